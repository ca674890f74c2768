"""KOReader annotations as queue items: what counts, kind, colour, style, page, digest."""

import pytest

from python_core.annotations.items import booklore_colour, digest, queue_item

BOOK = {"book_hash": "a" * 32, "book_id": 7}


def entry(**fields):
    base = {"datetime": "2026-01-02 10:00:00", "drawer": "lighten", "text": "words",
            "pos0": "/body/DocFragment[2]/body/p/text().0",
            "pos1": "/body/DocFragment[2]/body/p/text().5", "pageno": 12}
    return {**base, **fields}


def test_a_highlight_becomes_a_highlight_item():
    item = queue_item(entry(color="green", chapter="One"), BOOK, "book", "now")
    assert {k: item[k] for k in ("kind", "created", "text", "chapter", "page", "color",
                                 "style", "destination", "book_id", "cfi")} == {
        "kind": "highlight", "created": "2026-01-02 10:00:00", "text": "words",
        "chapter": "One", "page": "12", "color": "#00AA66", "style": "highlight",
        "destination": "book", "book_id": 7, "cfi": None}


def test_note_text_makes_it_a_note_and_blank_notes_do_not():
    assert queue_item(entry(note="Remember"), BOOK, "book", "now")["kind"] == "note"
    assert queue_item(entry(note="  "), BOOK, "book", "now")["kind"] == "highlight"


@pytest.mark.parametrize("fields", [
    {"drawer": None}, {"datetime": None}, {"datetime": ""},
])
def test_bookmarks_and_entries_without_a_creation_time_are_left_alone(fields):
    assert queue_item(entry(**fields), BOOK, "book", "now") is None
    assert queue_item("not a table", BOOK, "book", "now") is None


@pytest.mark.parametrize("drawer, style", [
    ("lighten", "highlight"), ("underscore", "underline"), ("strikeout", "strikethrough"),
    ("invert", "highlight"), ("something-new", "highlight"),
])
def test_drawers_map_to_booklore_styles(drawer, style):
    assert queue_item(entry(drawer=drawer), BOOK, "book", "now")["style"] == style


@pytest.mark.parametrize("colour, hex_value", [
    ("yellow", "#FFFF33"), ("red", "#FF3300"), ("orange", "#FF8800"), ("green", "#00AA66"),
    ("olive", "#88FF77"), ("cyan", "#00FFEE"), ("blue", "#0066FF"), ("purple", "#EE00FF"),
    ("gray", "#808080"), ("Grey", "#808080"), ("#a1b2c3", "#A1B2C3"), ("a1b2c3", "#A1B2C3"),
    ("mauve", None), (None, None), (3, None),
])
def test_colours_become_rrggbb_or_the_server_default(colour, hex_value):
    assert booklore_colour(colour) == hex_value


def test_paged_documents_give_their_page_number():
    item = queue_item(entry(pageno=None, page=42, pos0=None, pos1=None), BOOK, "book", "now")
    assert (item["page"], item["pos0"]) == ("42", None)


def test_the_digest_changes_with_the_note_colour_and_ends_only():
    first = queue_item(entry(note="a"), BOOK, "book", "now")
    same = queue_item(entry(note="a", chapter="Other", pageno=99), BOOK, "both", "later")
    assert digest(first) == digest(same)
    for change in ({"note": "b"}, {"color": "red"}, {"pos1": "/body/DocFragment[2]/body/p"}):
        changed = queue_item(entry(**{"note": "a", **change}), BOOK, "book", "now")
        assert digest(changed) != digest(first)
