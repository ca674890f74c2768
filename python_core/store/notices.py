"""`notices`: sentences the reader must see once, such as what was taken over from the
previous BookLore plugin. One row per topic, so telling the same thing twice is harmless;
a notice is marked shown in the transaction that hands it out."""

from __future__ import annotations

import sqlite3

ADD_NOTICE = """
    INSERT INTO notices (topic, text, created_at) VALUES (?, ?, ?)
    ON CONFLICT (topic) DO NOTHING"""
UNSHOWN = "SELECT id, topic, text FROM notices WHERE shown_at IS NULL ORDER BY id"
ANY_UNSHOWN = "SELECT 1 FROM notices WHERE shown_at IS NULL LIMIT 1"
MARK_SHOWN = "UPDATE notices SET shown_at = ? WHERE id = ?"
TEXT_OF = "SELECT text FROM notices WHERE topic = ?"


def add_notice(conn: sqlite3.Connection, topic: str, text: str, now: str) -> None:
    conn.execute(ADD_NOTICE, (topic, text, now))


def any_unshown(conn: sqlite3.Connection) -> bool:
    return conn.execute(ANY_UNSHOWN).fetchone() is not None


def take_unshown(conn: sqlite3.Connection, now: str) -> list[str]:
    """The notices not shown yet, marked shown (call inside a transaction)."""
    rows = conn.execute(UNSHOWN).fetchall()
    for row in rows:
        conn.execute(MARK_SHOWN, (now, row[0]))
    return [row[2] for row in rows]


def text_of(conn: sqlite3.Connection, topic: str) -> str | None:
    """The text of the notice on `topic`, shown or not."""
    row = conn.execute(TEXT_OF, (topic,)).fetchone()
    return None if row is None else row[0]
