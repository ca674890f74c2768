"""Ranking the library listing for a title, for manual matching on servers without search.

The reader accepts or types a query (the book's title, or its file name) and picks one of
the best five. A score is 0-1, shown as a percentage: the better of the share of words in
common (Jaccard) and the share of letter pairs in common (Dice over character bigrams,
which forgives a typo, a missing article or a subtitle). The same words in any order
score 1. Each book is scored by its title and by its title with its authors, because
file names often carry both. Accents, case and punctuation do not count.

Both measures are set operations, so a 10,000-book listing ranks in a few tens of
milliseconds, also on an e-reader's slow processor.
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

from python_core.books.library import ListedBook

RESULT_LIMIT = 5
_NOT_WORD = re.compile(r"[\W_]+")


class Ranked(NamedTuple):
    book: ListedBook
    score: float


class Text(NamedTuple):
    words: frozenset[str]
    pairs: frozenset[str]


def normalised(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", plain.casefold()).split())


def as_text(raw: str) -> Text:
    flat = normalised(raw)
    return Text(frozenset(flat.split()),
                frozenset(flat[i:i + 2] for i in range(len(flat) - 1)) or frozenset([flat]))


def score(wanted: Text, form: Text) -> float:
    if not (wanted.words and form.words):
        return 0.0
    common_words = len(wanted.words & form.words)
    if common_words == len(wanted.words) == len(form.words):
        return 1.0
    words = common_words / len(wanted.words | form.words)
    pairs = 2 * len(wanted.pairs & form.pairs) / (len(wanted.pairs) + len(form.pairs))
    return min(max(words, pairs), 0.99)  # 100 % is kept for the same words


def rank(books: Iterable[ListedBook], query: str, limit: int = RESULT_LIMIT) -> list[Ranked]:
    """The `limit` best books for `query`, best first (ties: lower id first); books
    scoring 0 are left out."""
    wanted = as_text(query)
    if not wanted.words:
        return []
    scored = ((max(score(wanted, form) for form in forms(book)), book) for book in books)
    best = heapq.nsmallest(limit, ((-s, book.book_id, book) for s, book in scored if s > 0))
    return [Ranked(book, -negative) for negative, _id, book in best]


def forms(book: ListedBook) -> list[Text]:
    title = book.title or (book.files[0][0].rsplit(".", 1)[0] if book.files else "")
    texts = [as_text(title)]
    if book.authors:
        texts.append(as_text(f"{title} {' '.join(book.authors)}"))
    return texts
