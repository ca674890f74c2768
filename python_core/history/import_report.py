"""What an import did (or, with --dry-run, would do), as the lines a reader reads: one per
book, then the totals and everything left out, with the reason."""

from __future__ import annotations

from typing import Any


def report_text(report: dict[str, Any]) -> str:
    verb = "Would import" if report["dry_run"] else "Imported"
    lines = [_book_line(book) for book in report["books"]]
    totals = report["totals"]
    lines.append(f"{verb} {_n(totals['sessions'], 'reading session')} "
                 f"({_duration(totals['seconds'])}), {_n(totals['ratings'], 'rating')} and "
                 f"{_n(totals['annotations'], 'highlight or note', 'highlights or notes')} "
                 f"from {_n(len(report['books']), 'book')}.")
    lines += _left_out(report)
    if report.get("stopped"):
        lines.append(f"Stopped: {report['stopped']}")
    elif not report["dry_run"] and totals["sessions"] + totals["ratings"] + totals["annotations"]:
        lines.append("Run sync to upload them.")
    return "\n".join(lines)


def _book_line(book: dict[str, Any]) -> str:
    parts = []
    if book["sessions"]:
        parts.append(f"{_n(book['sessions'], 'session')} ({_duration(book['seconds'])})")
    if book["ratings"]:
        parts.append(_n(book["ratings"], "rating"))
    if book["annotations"]:
        parts.append(_n(book["annotations"], "highlight or note", "highlights or notes"))
    return f"  {book['title'] or book['book_hash']}: {', '.join(parts)}"


def _left_out(report: dict[str, Any]) -> list[str]:
    lines = []
    if report["visits_already_known"]:
        lines.append(f"Left out {_n(report['visits_already_known'], 'page visit')} already "
                     "recorded (live sessions, earlier imports or sessions BookLore holds).")
    if report["sittings_too_short"]:
        lines.append(f"Left out {_n(report['sittings_too_short'], 'sitting')} too short for "
                     "a session (the same minimums as live reading).")
    if report["books_without_fingerprint"]:
        lines.append(f"Skipped {_n(report['books_without_fingerprint'], 'book')} without a "
                     "fingerprint in the statistics (old rows); their reading cannot be "
                     "matched to a BookLore book.")
    if report["books_not_checked_on_server"]:
        lines.append(f"{_n(report['books_not_checked_on_server'], 'book')} could not be "
                     "checked against BookLore (not found by fingerprint); reading another "
                     "device uploaded for them may be counted twice.")
    elif not report["server_checked"]:
        lines.append("Not checked against BookLore (no BookLore account set): reading another "
                     "device uploaded itself would be counted twice.")
    for entry in report["unreadable_sidecars"][:10]:
        lines.append(f"Sidecar not read: {entry}")
    return lines


def _n(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number} {singular if number == 1 else plural or singular + 's'}"


def _duration(seconds: int) -> str:
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}h {rest // 60:02d}m" if hours else f"{rest // 60}m {rest % 60:02d}s"
