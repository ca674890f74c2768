"""Book lookups (by id, by file hash, search) and the personal-rating update."""

import re

from .errors import ApiError, book_not_found, unexpected, validation_error
from .fuzzy_score import match_score
from .request_fields import int_field, long_list_field, read_object
from .responses import json_response
from .state import LIBRARY_ID, LIBRARY_NAME

TITLE_RESULT_LIMIT = 50


def book_dto(state, book):
    """The ``Book`` DTO: no top-level title, no file hash, null fields omitted."""
    primary = {"id": book.file_id, "bookId": book.id, "fileName": book.file_name,
               "bookType": book.book_type, "fileSizeKb": book.file_size_kb,
               "extension": book.file_name.rpartition(".")[2].lower() or None}
    metadata = {"bookId": book.id, "title": book.title, "authors": list(book.authors),
                "isbn13": book.isbn13, "isbn10": book.isbn10}
    dto = {"id": book.id, "libraryId": LIBRARY_ID, "libraryName": LIBRARY_NAME,
           "primaryFile": _without_nulls(primary), "metadata": _without_nulls(metadata),
           "personalRating": state.ratings.get(book.id),
           "alternativeFormats": [], "shelves": []}
    return _without_nulls(dto)


ADDED_ON = "2026-01-01T00:00:00Z"


def _file_dto(book, file_id, file_name, size_kb, book_type):
    """A ``BookFile``: where it lives, its type and its size (bytes // 1024); no hash."""
    return _without_nulls({
        "id": file_id, "bookId": book.id, "fileName": file_name,
        "filePath": f"/books/{file_name}", "fileSubPath": "", "folderBased": False,
        "bookType": book_type, "fileSizeKb": size_kb,
        "extension": file_name.rpartition(".")[2].lower() or None, "addedOn": ADDED_ON})


def list_view_dto(state, book, with_description=False):
    """One entry of ``GET /api/v1/books`` (§2.18, list view): lock flags and external ids
    stripped, ``allMetadataLocked`` added, empty collections left out."""
    metadata = {"bookId": book.id, "title": book.title, "language": "en",
                "isbn13": book.isbn13, "isbn10": book.isbn10,
                "coverUpdatedOn": ADDED_ON, "allMetadataLocked": False}
    if book.authors:
        metadata["authors"] = list(book.authors)
    if with_description:
        metadata["description"] = None  # no description is stored here; NON_NULL drops it
    dto = {"id": book.id, "libraryId": LIBRARY_ID, "libraryName": LIBRARY_NAME,
           "title": book.title,
           "primaryFile": _file_dto(book, book.file_id, book.file_name, book.file_size_kb,
                                    book.book_type),
           "metadata": _without_nulls(metadata), "personalRating": state.ratings.get(book.id),
           "readStatus": "UNREAD"}
    if book.alternative_formats:
        dto["alternativeFormats"] = [_file_dto(book, file_id, name, size, kind)
                                     for name, size, kind, file_id in book.alternative_formats]
    return _without_nulls(dto)


def list_books(server, request):
    """``GET /api/v1/books``: every live book of the caller's libraries (one library here,
    which every user belongs to), in no particular order."""
    with_description = request.query.get("withDescription", "false").lower() == "true"
    return json_response(200, [list_view_dto(server.state, book, with_description)
                               for book in server.state.books.values()])


def _without_nulls(mapping):
    return {key: value for key, value in mapping.items() if value is not None}


def by_hash(server, request, file_hash):
    """``GET /api/koreader/books/by-hash/{h}`` and ``/api/v1/books/by-hash/{h}`` (FORK)."""
    matches = server.state.books_with_hash(file_hash)
    if len(matches) > 1:
        raise unexpected()
    if not matches:
        raise ApiError(404, f"Book with hash {file_hash} not found")
    return json_response(200, book_dto(server.state, matches[0]))


def get_book(server, request, book_id):
    """``GET /api/v1/books/{bookId}``; a non-numeric id is a type mismatch, so 500."""
    if not re.fullmatch(r"-?\d{1,18}", book_id):
        raise unexpected()
    book = server.state.books.get(int(book_id))
    if book is None:
        raise book_not_found(int(book_id))
    return json_response(200, book_dto(server.state, book))


def _search_hit(book, score):
    hit = {"id": book.id, "title": book.title or book.file_name,
           "hash": book.file_hash, "matchScore": score}
    return _without_nulls(hit)


def _clean_isbn(text):
    return re.sub(r"[^0-9X]", "", text)


def search(server, request):
    """``GET /api/v1/books/search`` (FORK): exact ISBN hits first, else fuzzy titles."""
    title = (request.query.get("title") or "").strip()
    isbn = (request.query.get("isbn") or "").strip()
    if not title and not isbn:
        raise ApiError(400, "At least one search parameter (title or isbn) must be provided")
    books = list(server.state.books.values())
    if isbn:
        wanted = _clean_isbn(isbn)
        hits = [b for b in books if wanted and wanted in (
            re.sub(r"[- ]", "", b.isbn13 or ""), re.sub(r"[- ]", "", b.isbn10 or ""))]
        if hits or not title:
            return json_response(200, [_search_hit(b, 1.0) for b in hits])
    scored = [(match_score(b.title or b.file_name, title), b) for b in books]
    scored = sorted((pair for pair in scored if pair[0] > 0), key=lambda p: -p[0])
    return json_response(200, [_search_hit(b, s) for s, b in scored[:TITLE_RESULT_LIMIT]])


def update_rating(server, request):
    """``PUT /api/v1/books/personal-rating``: one entry per id; an unknown id trips the
    server's ``%d``-with-a-String formatting bug and nothing is changed."""
    body = read_object(request.body)
    ids = long_list_field(body, "ids")
    rating = int_field(body, "rating")
    if ids is None or None in ids:
        raise unexpected()
    if len(ids) > 500:
        raise validation_error(["ids: size must be between 0 and 500"])
    if any(book_id not in server.state.books for book_id in ids):
        raise ApiError(400, "d != java.lang.String")
    for book_id in ids:
        if rating is None:
            server.state.ratings.pop(book_id, None)
        else:
            server.state.ratings[book_id] = rating
    return json_response(200, [{"bookId": book_id, "personalRating": rating} for book_id in ids])
