"""KOReader xpointers to EPUB CFIs: the pure rules (epub_cfi) and a small EPUB built here
(epub_file), each CFI checked by reading the text it selects back out of the XHTML."""

import xml.etree.ElementTree as ET
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from python_core.annotations.epub_cfi import (
    XPointer,
    build_cfi,
    collapsed_length,
    content_steps,
    parse_xpointer,
    source_offset,
)
from python_core.annotations.epub_file import EpubFile
from tests.small_epub import CH1, CH2, CLOCKS, MEMBERS, PASSAGES, text_at, write_small_epub


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    with EpubFile(write_small_epub(tmp_path_factory.mktemp("epub") / "small.epub")) as epub:
        yield epub


def html(body: str) -> ET.Element:
    return ET.fromstring(f'<html xmlns="http://www.w3.org/1999/xhtml"><head/>{body}</html>')


# -- xpointers ---------------------------------------------------------------------------

def test_parse_xpointer_reads_fragment_path_text_node_and_offset():
    assert parse_xpointer("/body/DocFragment[3]/body/div/p[4]/text().12") == XPointer(
        3, (("div", 1), ("p", 4)), 0, 12)
    assert parse_xpointer("/body/DocFragment[3]/body/p/text()[2].5").text_index == 2
    assert parse_xpointer("/body/DocFragment[2]/body/div[2]/p.0") == XPointer(
        2, (("div", 2), ("p", 1)), None, 0)
    assert parse_xpointer("/body/DocFragment[2]/body/div/img") == XPointer(
        2, (("div", 1), ("img", 1)), None, None)


def test_a_single_spine_item_book_has_no_fragment_index():
    assert parse_xpointer("/body/DocFragment/body/p[2]/text().3").fragment == 1


@pytest.mark.parametrize("text", [
    None, "", 12, "/FictionBook/body/section[2]/p[3]/text().5", "#_doc_fragment_3",
    "/body/DocFragment[3]/body/p[0]/text().1", "/body/DocFragment[x]/body/p", "page 12",
])
def test_anything_but_an_epub_xpointer_is_refused(text):
    assert parse_xpointer(text) is None


# -- steps inside one document --------------------------------------------------------------

def test_element_steps_count_all_element_children_times_two():
    root = html("<body><h1>T</h1><div><p>a</p><img/><p>b</p><p>c</p></div></body>")
    pointer = parse_xpointer("/body/DocFragment[1]/body/div/p[3]/text().0")
    # body is html's 2nd element child (/4), div body's 2nd (/4), p[3] the div's 4th (/8)
    assert content_steps(root, pointer) == [(4, None), (4, None), (8, None), (1, 0)]


def test_text_after_an_inline_element_is_an_odd_step():
    root = html("<body><p>one <b>two</b> three <i>four</i> five</p></body>")
    pointer = parse_xpointer("/body/DocFragment[1]/body/p/text()[3].2")
    assert content_steps(root, pointer) == [(4, None), (2, None), (5, 2)]


def test_whitespace_opening_a_block_is_not_a_text_node_for_crengine():
    root = html("<body><div>\n  <p>x</p>\n  tail text</div></body>")
    pointer = parse_xpointer("/body/DocFragment[1]/body/div/text().1")
    assert content_steps(root, pointer) == [(4, None), (2, None), (3, 3)]


def test_whitespace_runs_count_once_for_crengine_and_fully_in_the_cfi():
    assert collapsed_length("a  \n  b") == 3
    assert source_offset("a  \n  b", 2) == 6
    assert source_offset("\n   Call me", 1) == 4


def test_preformatted_text_keeps_every_space():
    root = html("<body><pre>x    y</pre></body>")
    pointer = parse_xpointer("/body/DocFragment[1]/body/pre/text().5")
    assert content_steps(root, pointer)[-1] == (1, 5)


def test_offsets_are_utf16_units_like_the_browser_reader():
    assert source_offset("🙂 smile", 2) == 3
    assert source_offset("é smile", 2) == 2


def test_an_element_pointer_lands_on_its_first_text():
    root = html("<body><p><em>Lead</em> in</p></body>")
    pointer = parse_xpointer("/body/DocFragment[1]/body/p.0")
    assert content_steps(root, pointer) == [(4, None), (2, None), (2, None), (1, 0)]


def test_an_element_without_text_is_addressed_as_the_element():
    root = html("<body><div><img/></div></body>")
    pointer = parse_xpointer("/body/DocFragment[1]/body/div/img.0")
    assert content_steps(root, pointer) == [(4, None), (2, None), (2, None)]


@pytest.mark.parametrize("path", [
    "/body/DocFragment[1]/body/div/p[2]/text().0",      # only one <p>
    "/body/DocFragment[1]/body/section/text().0",         # no <section>
    "/body/DocFragment[1]/body/div/p/text()[3].0",        # only one text node
])
def test_paths_the_document_does_not_have_give_none(path):
    assert content_steps(html("<body><div><p>x</p></div></body>"), parse_xpointer(path)) is None


# -- the CFI string ------------------------------------------------------------------------

def test_a_range_shares_its_common_element_steps():
    start = [(4, None), (2, None), (8, None), (1, 12)]
    end = [(4, None), (2, None), (8, None), (1, 40)]
    assert build_cfi((6, 8), start, end) == "epubcfi(/6/8!/4/2/8,/1:12,/1:40)"


def test_a_range_across_elements_and_a_point():
    start = [(4, None), (2, None), (1, 0)]
    end = [(4, None), (4, None), (3, 5)]
    assert build_cfi((6, 4), start, end) == "epubcfi(/6/4!/4,/2/1:0,/4/3:5)"
    assert build_cfi((6, 4), start, list(start)) == "epubcfi(/6/4!/4/2/1:0)"
    assert build_cfi((6, 4), start) == "epubcfi(/6/4!/4/2/1:0)"


# -- the small EPUB ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(PASSAGES))
def test_passages_get_the_cfi_that_selects_the_highlighted_words(book, name):
    pos0, pos1, selected, expected = PASSAGES[name]
    cfi = book.cfi(pos0, pos1)
    assert cfi == expected
    assert " ".join(text_at(cfi).split()) == selected


def test_spine_position_comes_from_the_package_document(book):
    assert book.cfi(f"{CH1}/h1/text().0").startswith("epubcfi(/6/4!/4/2/1:0")
    assert book.cfi("/body/DocFragment[1]/body/div/p/text().0") == "epubcfi(/6/2!/4/2/2/1:0)"


def test_html_entities_parse_and_count_as_one_character(book):
    cfi = book.cfi("/body/DocFragment[3]/body/section/p/text().16",
                   "/body/DocFragment[3]/body/section/p/text().18")
    assert text_at(cfi) == "of"


@pytest.mark.parametrize("pos0, pos1", [
    (f"{CH1}/p[9]/text().0", f"{CH1}/p[9]/text().4"),            # no such paragraph
    ("/body/DocFragment[7]/body/p/text().0", None),                # no such spine item
    (f"{CH1}/p[1]/text().0", f"{CH2}/p[1]/text().4"),              # across two chapters
    ("/FictionBook/body/section/p/text().0", None),                 # not an EPUB pointer
])
def test_positions_the_book_cannot_place_give_none(book, pos0, pos1):
    assert book.cfi(pos0, pos1) is None


def test_a_single_chapter_book_and_a_differently_cased_member(tmp_path):
    members = dict(MEMBERS)
    members["OEBPS/content.opf"] = members["OEBPS/content.opf"].replace(
        '<itemref idref="cover"/>', "").replace('<itemref idref="c2"/>', "").replace(
        "Text/chapter-1.xhtml", "text/CHAPTER-1.xhtml")
    path = tmp_path / "one.epub"
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    with EpubFile(str(path)) as epub:
        at = CLOCKS.index("April")
        cfi = epub.cfi(f"/body/DocFragment/body/p[2]/text().{at}",
                       f"/body/DocFragment/body/p[2]/text().{at + 5}")
    assert cfi == f"epubcfi(/6/2!/4/6,/1:{at},/1:{at + 5})"


def test_a_file_that_is_not_an_epub_raises_for_the_caller(tmp_path):
    path = tmp_path / "fake.epub"
    path.write_bytes(b"%PDF-1.4 not a zip")
    with pytest.raises(zipfile.BadZipFile):
        EpubFile(str(path))


@given(st.data())
def test_any_range_of_a_paragraph_selects_exactly_that_text(book, data):
    start = data.draw(st.integers(0, len(CLOCKS) - 1))
    end = data.draw(st.integers(start + 1, len(CLOCKS)))
    cfi = book.cfi(f"{CH1}/p[2]/text().{start}", f"{CH1}/p[2]/text().{end}")
    assert text_at(cfi) == CLOCKS[start:end]
