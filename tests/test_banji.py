"""版记 placement (GB/T 9704 7.4, 7.5): at the foot of the last body page when that page is
even and has room (a table floating at the foot of the 版心); else a section of its own that
starts on the next even page; when the body ends on an even page without room a blank page
comes first and neither it nor the 版记 page is numbered."""

import io
import zipfile

import pytest
from lxml import etree

from gendoc.model import Banji, Document, Para, Signature
from gendoc.typeset import GB, Typesetter

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _doc(paragraphs: int, short: int = 0) -> Document:
    text = "各单位要认真贯彻落实，切实加强组织领导，确保各项工作落到实处。" * 4  # 4 lines
    return Document(title_lines=["关于测试版记位置的通知"],
                    body=[Para(text)] * paragraphs + [Para("请认真落实。")] * short,
                    signature=Signature("测试局", "2014年2月27日"),
                    banji=Banji(cc=["县委办公室"], printer="测试局办公室", print_date="2014年2月27日"))


def _render(doc):
    data, layout = Typesetter().render(doc)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        root = etree.fromstring(z.read("word/document.xml"))
        rels = etree.fromstring(z.read("word/_rels/document.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    sects = root.findall(f".//{W}sectPr")
    return layout, sects, targets, root


CASES = {
    "odd": lambda layout: layout.body_pages % 2 == 1,
    "even, room": lambda layout: layout.body_pages % 2 == 0 and layout.banji_page == layout.body_pages,
    "even, full": lambda layout: layout.body_pages % 2 == 0 and layout.blank_before_banji,
}


def _find(case):
    for n in range(1, 40):
        for short in range(4):
            found = _render(_doc(n, short))
            if CASES[case](found[0]):
                return found
    raise AssertionError(f"no body length gave the case {case}")


@pytest.mark.parametrize("case", ["odd", "even, full"])
def test_banji_gets_a_section_of_its_own_on_the_next_even_page(case):
    layout, sects, _, _ = _find(case)
    assert len(sects) == 2
    assert sects[-1].find(f"{W}type").get(f"{W}val") == "evenPage"
    assert layout.banji_page % 2 == 0 and layout.banji_page > layout.body_pages


def test_banji_at_the_foot_of_an_even_last_page_with_room_floats_there():
    layout, sects, targets, root = _find("even, room")
    assert len(sects) == 1 and layout.pages == layout.body_pages   # no page added
    tbl = root.findall(f".//{W}tbl")[-1]
    pos = tbl.find(f"{W}tblPr/{W}tblpPr")
    heights = [int(tr.find(f"{W}trPr/{W}trHeight").get(f"{W}val")) for tr in tbl.findall(f"{W}tr")]
    # its last rule on the foot of the 版心: the position is relative to the 版心's top
    assert pos.get(f"{W}vertAnchor") == "margin"
    assert int(pos.get(f"{W}tblpY")) + sum(heights) + GB.BANJI_FIT == 12756   # 225 mm
    assert pos.get(f"{W}horzAnchor") == "page" and pos.get(f"{W}tblpX") == "1587"   # 28 mm
    footers = {targets[f.get(R)] for f in sects[-1].findall(f"{W}footerReference")}
    assert footers == {"footer1.xml", "footer2.xml"}   # the 版记 page is a numbered body page


def test_banji_page_after_an_odd_last_page_is_numbered():
    layout, sects, targets, _ = _find("odd")
    assert not layout.blank_before_banji
    footers = {targets[f.get(R)] for f in sects[-1].findall(f"{W}footerReference")}
    assert footers == {"footer1.xml", "footer2.xml"}


def test_blank_page_and_banji_page_after_a_full_even_last_page_are_not_numbered():
    layout, sects, targets, _ = _find("even, full")
    assert layout.blank_before_banji and layout.banji_page == layout.body_pages + 2
    footers = {targets[f.get(R)] for f in sects[-1].findall(f"{W}footerReference")}
    assert footers == {"footer3.xml"}
    # and the body section keeps its numbers
    body = {targets[f.get(R)] for f in sects[0].findall(f"{W}footerReference")}
    assert body == {"footer1.xml", "footer2.xml"}


def test_banji_rows_fill_the_page_to_the_bottom_of_the_type_area():
    _, sects, _, _ = _find("odd")
    body = sects[0].getparent().getparent().getparent()  # sectPr -> pPr -> p -> body
    tbl = body.findall(f"{W}tbl")[-1]
    heights = [int(tr.find(f"{W}trPr/{W}trHeight").get(f"{W}val")) for tr in tbl.findall(f"{W}tr")]
    assert sum(heights) == 2 * 579 - GB.BANJI_FIT
    borders = tbl.find(f"{W}tblPr/{W}tblBorders")
    assert borders.find(f"{W}top").get(f"{W}sz") == "8" and borders.find(f"{W}bottom").get(f"{W}sz") == "8"
    assert borders.find(f"{W}insideH").get(f"{W}sz") == "6"
