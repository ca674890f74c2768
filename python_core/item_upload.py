"""The ratings and annotations phases: one request per item, each item on its own.

One item's failure is recorded on that item (retry count and the server's message) and
the phase goes on with the next, so a single bad row can never hold back the queue. An
item leaves its queue only in the transaction that logs its upload. A 409 on an
annotation or note means the server already has it at that position: uploaded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from python_core.errors import AuthError, BookLoreError, Unreachable
from python_core.store import Database, item_queues
from python_core.sync_report import Offline, SyncReport

_STYLE_BY_DRAWER = {"lighten": "highlight", "underscore": "underline",
                    "strikeout": "strikethrough", "invert": "highlight"}


def upload_ratings(db: Database, client, report: SyncReport, now: Callable[[], str]) -> None:
    for row in item_queues.ready_ratings(db.connection()):
        def send(row=row):
            client.put_rating(int(row["book_id"]), int(row["rating"]))
            with db.atomic() as tx:
                item_queues.rating_uploaded(tx, row, now())
        if not _attempt(db, report, "ratings", row["id"], send):
            return


def upload_annotations(db: Database, client, report: SyncReport, now: Callable[[], str]) -> None:
    for row in item_queues.ready_annotations(db.connection()):
        def send(row=row):
            endpoint, server_id = _post_annotation(client, row)
            with db.atomic() as tx:
                item_queues.annotation_uploaded(
                    tx, row, content_digest(row), endpoint, server_id, now())
        if not _attempt(db, report, "annotations", row["id"], send):
            return


def _attempt(db: Database, report: SyncReport, kind: str, item_id: int, send) -> bool:
    """Run one upload; False when the phase must stop (account refused)."""
    try:
        report.requests += 1
        send()
    except Unreachable as exc:
        raise Offline(str(exc)) from None
    except BookLoreError as exc:
        with db.atomic() as tx:
            item_queues.record_item_failure(tx, kind, item_id, str(exc))
        report.failed[kind] += 1
        report.note(f"{kind.capitalize()[:-1]} upload failed: {exc}")
        if isinstance(exc, AuthError):
            report.needs_attention = True
            return False
        return True
    report.synced[kind] += 1
    return True


def _post_annotation(client, row) -> tuple[str, int | None]:
    """Send to the endpoint that fits the item; returns (endpoint, server id)."""
    try:
        if row["cfi"] and row["kind"] == "highlight":
            return "annotations", _id(client.post_annotation(_highlight_payload(row)))
        if row["cfi"] and row["destination"] in ("booklore", "both"):
            return "book-notes-v2", _id(client.post_book_note_v2(_note_payload(row)))
    except BookLoreError as exc:
        if exc.status == 409:
            return "already-there", None
        raise
    return "book-notes-v1", _id(client.post_book_note_v1(_plain_note_payload(row)))


def _highlight_payload(row) -> dict:
    payload = {"bookId": int(row["book_id"]), "cfi": row["cfi"], "text": row["text"] or "",
               "color": row["color"] or "#FFFF00",
               "style": _STYLE_BY_DRAWER.get(row["style"] or "", row["style"] or "highlight")}
    if row["note"]:
        payload["note"] = row["note"][:5000]
    if row["chapter"]:
        payload["chapterTitle"] = row["chapter"][:500]
    return payload


def _note_payload(row) -> dict:
    payload = {"bookId": int(row["book_id"]), "cfi": row["cfi"],
               "noteContent": row["note"] or row["text"] or "",
               "selectedText": (row["text"] or "")[:5000]}
    if row["color"]:
        payload["color"] = row["color"]
    if row["chapter"]:
        payload["chapterTitle"] = row["chapter"][:500]
    return payload


def _plain_note_payload(row) -> dict:
    where = " · ".join(part for part in (row["chapter"], row["page"] and f"page {row['page']}")
                       if part)
    body = row["text"] or ""
    if row["note"]:
        body = f"{body}\n\n{row['note']}" if body else row["note"]
    return {"bookId": int(row["book_id"]), "title": where[:255] or "Highlight",
            "content": body or "(empty)"}


def _id(response) -> int | None:
    value = response.get("id") if isinstance(response, dict) else None
    return value if isinstance(value, int) else None


def content_digest(item) -> str:
    """What makes two versions of an annotation different (an edited note re-uploads)."""
    fields = {k: item[k] for k in ("text", "note", "color", "style", "cfi")}
    return hashlib.sha1(json.dumps(fields, sort_keys=True).encode()).hexdigest()
