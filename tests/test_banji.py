"""版记 placement (GB/T 9704 7.4, 7.5): its own section starting on an even page; when the
body ends on an even page (so a blank page comes first) that section has no page numbers."""

import io
import zipfile

import pytest
from lxml import etree

from gendoc.model import Banji, Document, Para, Signature
from gendoc.typeset import GB, Typesetter

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _doc(paragraphs: int) -> Document:
    text = "各单位要认真贯彻落实，切实加强组织领导，确保各项工作落到实处。" * 4  # 4 lines
    return Document(title_lines=["关于测试版记位置的通知"], body=[Para(text)] * paragraphs,
                    signature=Signature("测试局", "2014年2月27日"),
                    banji=Banji(cc=["县委办公室"], printer="测试局办公室", print_date="2014年2月27日"))


def _render(doc):
    data, layout = Typesetter().render(doc)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        root = etree.fromstring(z.read("word/document.xml"))
        rels = etree.fromstring(z.read("word/_rels/document.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    sects = root.findall(f".//{W}sectPr")
    return layout, sects, targets


def _find(odd):
    for n in range(1, 40):
        layout, sects, targets = _render(_doc(n))
        if (layout.body_pages % 2 == 1) == odd:
            return layout, sects, targets
    raise AssertionError("no body length gave the wanted parity")


@pytest.mark.parametrize("odd", [True, False])
def test_banji_section_starts_on_an_even_page(odd):
    layout, sects, _ = _find(odd)
    assert len(sects) == 2
    assert sects[-1].find(f"{W}type").get(f"{W}val") == "evenPage"
    assert layout.banji_page % 2 == 0


def test_banji_page_after_an_odd_last_page_is_numbered():
    layout, sects, targets = _find(odd=True)
    assert not layout.blank_before_banji
    footers = {targets[f.get(R)] for f in sects[-1].findall(f"{W}footerReference")}
    assert footers == {"footer1.xml", "footer2.xml"}


def test_blank_page_and_banji_page_after_an_even_last_page_are_not_numbered():
    layout, sects, targets = _find(odd=False)
    assert layout.blank_before_banji and layout.banji_page == layout.body_pages + 2
    footers = {targets[f.get(R)] for f in sects[-1].findall(f"{W}footerReference")}
    assert footers == {"footer3.xml"}
    # and the body section keeps its numbers
    body = {targets[f.get(R)] for f in sects[0].findall(f"{W}footerReference")}
    assert body == {"footer1.xml", "footer2.xml"}


def test_banji_rows_fill_the_page_to_the_bottom_of_the_type_area():
    _, sects, _ = _find(odd=True)
    body = sects[0].getparent().getparent().getparent()  # sectPr -> pPr -> p -> body
    tbl = body.findall(f"{W}tbl")[-1]
    heights = [int(tr.find(f"{W}trPr/{W}trHeight").get(f"{W}val")) for tr in tbl.findall(f"{W}tr")]
    assert sum(heights) == 2 * 579 - GB.BANJI_FIT
    borders = tbl.find(f"{W}tblPr/{W}tblBorders")
    assert borders.find(f"{W}top").get(f"{W}sz") == "8" and borders.find(f"{W}bottom").get(f"{W}sz") == "8"
    assert borders.find(f"{W}insideH").get(f"{W}sz") == "6"
