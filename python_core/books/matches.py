"""Recording that a fingerprint is a BookLore book, and the words a reader is told when
the server knows no such book (the leading plugin's users already know them, lessons.md).

Every path that finds a match (at book open, before a sync, Match Unmatched Books, a
manual choice) records it here, so the cache rows and every queued item of that
fingerprint change together.
"""

from __future__ import annotations

from python_core.clock import utc_now
from python_core.store import Database, book_cache, item_queues

NO_MATCH = "No match found based on hash.\nDoes this book exist in your BookLore library?"
NO_MATCH_HASH_OR_ISBN = ("No match found based on hash or ISBN.\n"
                         "Does this book exist in your BookLore library?")


def remember_match(db: Database, book_hash: str, book_id: int, source: str) -> None:
    """One transaction: the cache rows and every queued item of that fingerprint. A match
    the reader chose by hand ("manual") wins over an earlier one, for the queued items too:
    it is how a wrong match is put right."""
    with db.atomic() as tx:
        book_cache.set_book_id(tx, book_hash, book_id, source, utc_now())
        if source == "manual":
            item_queues.reassign_book_id(tx, book_hash, book_id)
        else:
            item_queues.assign_book_id(tx, book_hash, book_id)
