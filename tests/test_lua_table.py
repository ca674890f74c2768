"""The sidecar reader: KOReader's dump format reads back exactly; anything that is not a
literal table is refused, never run."""

import math

import pytest

from python_core.history.lua_table import MAX_DEPTH, LuaTableError, loads
from tests.koreader_fixtures import write_sidecar


def test_a_sidecar_written_by_dump_reads_back_exactly(tmp_path):
    data = {"summary": {"rating": 4, "status": "complete", "modified": "2026-01-02",
                        "note": 'line one\nline "two"\t\\ \r end\0'},
            "annotations": [{"datetime": "2026-01-01 10:00:00", "text": "é € 𝄞",
                             "pos0": "/body/DocFragment[3]/body/p[2]/text().0", "pageno": 3},
                            {"datetime": "2026-01-01 10:01:00", "page": 12}],
            "percent_finished": 0.123456789012345, "doc_pages": 321, "flag": False,
            "inf": math.inf, "negative": -5}
    path = write_sidecar(tmp_path / "Book.sdr", "epub", data, "/mnt/onboard/Book.epub")
    assert path.read_text().startswith("-- /mnt/onboard/Book.epub\nreturn {\n")
    assert loads(path.read_bytes()) == data


def test_named_fields_positional_values_and_comments_are_read():
    text = "--[==[ block ]==] return { x = 1, 'a', \"b\"; [4] = 0x10, y = nil, -- tail\n }"
    assert loads(text) == {"x": 1, 1: "a", 2: "b", 4: 16}
    assert loads("return {1, 2, 3}") == [1, 2, 3]


@pytest.mark.parametrize("text", [
    'return os.execute("rm -rf /")', "return { x = print('hi') }", "return { a = 1 + 2 }",
    "return setmetatable({}, {})", "return { [{}] = 1 }", "return { [nil] = 1 }",
    'return { "a" "b" }', 'return { "\\q" }', 'return { "unterminated }', "return { a = b }",
    "return { 1 } os.exit()", "return {", "return { [true] = 1 }",
    "return " + "{" * (MAX_DEPTH + 1) + "}" * (MAX_DEPTH + 1)])
def test_anything_but_literal_data_is_refused(text):
    with pytest.raises(LuaTableError):
        loads(text)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read():
    with pytest.raises(LuaTableError, match="larger than 8 MiB"):
        loads(b"return {" + b" " * (8 * 1024 * 1024) + b"}")
