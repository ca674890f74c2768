"""The ratings and annotations phases: one request per item, each item on its own.

One item's failure is recorded on that item (retry count and the server's message) and
the phase goes on with the next, so a single bad row can never hold back the queue. An
item leaves its queue only in the transaction that logs its upload: never without the
server saying so. A 409 from the annotation, v2 note or bookmark endpoints means the
server already has something at that position: uploaded. Which endpoint an annotation goes to is in
`endpoints_for` and docs/ANNOTATIONS.md.
"""

from __future__ import annotations

from collections.abc import Callable

from python_core import field_limits as limits
from python_core.annotations.items import bookmark_title, digest, identity
from python_core.errors import BookLoreError, Rejected
from python_core.store import item_queues
from python_core.sync.phase import PhaseContext

ANNOTATIONS = "annotations"        # POST /api/v1/annotations: highlight at a CFI
NOTES_V2 = "book-notes-v2"         # POST /api/v2/book-notes: note at a CFI (BookLore's reader)
NOTES_V1 = "book-notes-v1"         # POST /api/v1/book-notes: the book's notes page, no position
BOOKMARKS = "bookmarks"            # POST /api/v1/bookmarks: a page bookmark at a CFI

EDIT_KEPT = ("An edited highlight or note was already in BookLore's reader; BookLore "
             "cannot update it there, so it keeps the first version")
_UNKNOWN_ID_QUIRK = "d != java.lang.String"  # personal-rating's 400 for an unknown book id


def upload_ratings(phase: PhaseContext) -> None:
    db, client = phase.db, phase.client
    for row in item_queues.ready_ratings(db.connection()):
        def send(row=row):
            try:
                client.put_rating(int(row["book_id"]), int(row["rating"]))
            except Rejected as exc:
                raise _explained(exc, int(row["book_id"])) from None
            with db.atomic() as tx:
                item_queues.rating_uploaded(tx, row, phase.now())
        _attempt(phase, "ratings", row["id"], send)


def upload_annotations(phase: PhaseContext) -> None:
    db, client = phase.db, phase.client
    for row in item_queues.ready_annotations(db.connection()):
        def send(row=row):
            before = item_queues.uploaded_annotation(db.connection(), identity(row))
            endpoint, server_id, conflict = _post_annotation(client, row, before)
            if conflict and before is not None and row["kind"] != "bookmark":
                phase.report.note(EDIT_KEPT)
            with db.atomic() as tx:
                item_queues.annotation_uploaded(tx, row, digest(row), endpoint, server_id,
                                                phase.now())
        _attempt(phase, "annotations", row["id"], send)


def endpoints_for(row) -> list[str]:
    """Where an item goes, in order. Highlights with a CFI become annotations in BookLore's
    reader; notes follow the notes destination; anything without a CFI (PDF, CBZ, an
    xpointer the book cannot resolve) becomes a note on the book's page. A bookmark is
    always queued with its CFI and goes to BookLore's bookmarks."""
    if row["kind"] == "bookmark":
        return [BOOKMARKS]
    if not row["cfi"]:
        return [NOTES_V1]
    if row["kind"] == "highlight":
        return [ANNOTATIONS]
    return {"booklore": [NOTES_V1], "both": [NOTES_V2, NOTES_V1]}.get(row["destination"],
                                                                      [NOTES_V2])


def _attempt(phase: PhaseContext, kind: str, item_id: int, send: Callable[[], None]) -> None:
    """One item's request; a failure follows the phase's one rule (`PhaseContext`)."""
    phase.between_requests()
    try:
        send()
    except BookLoreError as exc:
        phase.upload_failed(kind, exc, lambda tx, why=str(exc): item_queues.record_item_failure(
            tx, kind, item_id, why))
        return
    phase.report.synced[kind] += 1


def _post_annotation(client, row, before) -> tuple[str, int | None, bool]:
    """Send to every endpoint of the item: (endpoints, server id to update later, 409 seen).

    The kept id is the v1 note's (the only endpoint that can update an existing note)."""
    endpoints, server_id, conflict = endpoints_for(row), None, False
    for endpoint in endpoints:
        try:
            if endpoint == BOOKMARKS:
                server_id = _id(client.post_bookmark(_bookmark_payload(row)))
            elif endpoint == ANNOTATIONS:
                server_id = _id(client.post_annotation(_highlight_payload(row)))
            elif endpoint == NOTES_V2:
                server_id = _id(client.post_book_note_v2(_note_payload(row)))
            else:
                server_id = _id(client.post_book_note_v1(_plain_note_payload(row, before)))
        except BookLoreError as exc:
            if exc.status != 409 or endpoint == NOTES_V1:
                raise
            conflict = True
    return "+".join(endpoints), server_id, conflict


def _highlight_payload(row) -> dict:
    payload = {"bookId": int(row["book_id"]), "cfi": row["cfi"],
               "text": limits.clip(row["text"] or row["note"] or "…", limits.ANNOTATION_TEXT),
               "style": row["style"] or "highlight"}
    if row["color"]:
        payload["color"] = row["color"]
    if row["note"]:
        payload["note"] = limits.clip(row["note"], limits.ANNOTATION_TEXT)
    if row["chapter"]:
        payload["chapterTitle"] = limits.clip(row["chapter"], limits.CHAPTER_TITLE)
    return payload


def _bookmark_payload(row) -> dict:
    """booklore-api.md §2.14: the book, the CFI, and a title (a VARCHAR(255) column)."""
    return {"bookId": int(row["book_id"]), "cfi": row["cfi"],
            "title": limits.clip(bookmark_title(row), limits.NOTE_TITLE)}


def _note_payload(row) -> dict:
    payload = {"bookId": int(row["book_id"]), "cfi": row["cfi"],
               "noteContent": row["note"] or row["text"] or "…"}
    if row["text"]:
        payload["selectedText"] = limits.clip(row["text"], limits.ANNOTATION_TEXT)
    if row["color"]:
        payload["color"] = row["color"]
    if row["chapter"]:
        payload["chapterTitle"] = limits.clip(row["chapter"], limits.CHAPTER_TITLE)
    return payload


def _plain_note_payload(row, before) -> dict:
    """A v1 note: where it is (chapter, page) as the title, the passage and note as text.
    An item uploaded to v1 before is updated in place (v1 notes have no dedup)."""
    where = " · ".join(part for part in (row["chapter"], row["page"] and f"page {row['page']}")
                       if part)
    body = row["text"] or ""
    if row["note"]:
        body = f"{body}\n\n{row['note']}" if body else row["note"]
    payload = {"bookId": int(row["book_id"]),
               "title": limits.clip(where, limits.NOTE_TITLE) or "Highlight",
               "content": body or "(empty)"}
    if before is not None and NOTES_V1 in before["endpoint"] and before["server_id"]:
        payload["id"] = int(before["server_id"])
    return payload


def _explained(exc: Rejected, book_id: int) -> Rejected:
    """The personal-rating endpoint reports an unknown book as a formatting error."""
    if exc.status == 400 and _UNKNOWN_ID_QUIRK in exc.message:
        return Rejected(f"BookLore has no book with ID {book_id} (rating not saved; match "
                        f"the book again under Manage Sessions)", exc.status)
    return exc


def _id(response) -> int | None:
    value = response.get("id") if isinstance(response, dict) else None
    return value if isinstance(value, int) else None
