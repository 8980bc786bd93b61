"""gendoc.verify: measure rendered pages against GB/T 9704-2012.

The documents are typed with python-docx in tests/verify_fixtures.py (not with gendoc's own
writer): one good document that follows the measured 22 × 28 recipe and variants that each
break one rule. All variants are rendered in one LibreOffice call per test module.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from gendoc import verify as V
from gendoc.errors import GendocError

from verify_fixtures import VARIANTS, build, build_and_render

needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) is not installed: cannot render .docx to PDF")


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[str, Path]:
    return build_and_render(tmp_path_factory.mktemp("verify"))


@pytest.fixture(scope="module")
def reports(pdfs) -> dict[str, V.Report]:
    return {name: V.verify(pdf) for name, pdf in pdfs.items()}


def _failed(report: V.Report) -> list[str]:
    return [r.name for r in report.failed]


# --------------------------------------------------------------------------- good document
@needs_soffice
def test_good_document_passes_every_rule(reports):
    report = reports["good"]
    assert report.ok, report.format()
    assert [r.name for r in report.rules] == V.RULE_IDS
    # the hand-built good document has no 署名 block, so that one rule cannot apply
    assert all(r.applicable for r in report.rules if r.name != "signature-with-body"), report.format()


@needs_soffice
def test_good_document_measures_22_lines_28_characters_and_the_margins(pdfs):
    lay = V.analyse(V.measure(pdfs["good"]))
    assert lay.full_pages  # pages 2, 3, 4 of the body, 6 of the attachment
    for n in lay.full_pages:
        assert V.line_slots(lay, lay.running_lines(n)) == 22
    counts = [V.line_chars(lay, ln) for ln in V.full_lines(lay)]
    assert counts.count(28) / len(counts) >= 0.9
    assert abs(lay.left / V.MM - 28) <= 0.5
    top = lay.running_lines(lay.full_pages[0])[0].box_top(lay.pitch)
    assert abs(top / V.MM - 37) <= 0.5
    assert abs(lay.pitch - 28.95) < 0.2


@needs_soffice
def test_verify_converts_a_docx_and_keeps_the_pdf(tmp_path):
    docx = build(tmp_path / "good.docx", VARIANTS["good"])
    kept = tmp_path / "kept.pdf"
    report = V.verify(docx, keep_pdf=kept)
    assert report.ok, report.format()
    assert kept.read_bytes().startswith(b"%PDF-")
    assert report.page_count == 8


@needs_soffice
def test_report_format_has_one_line_per_rule(reports):
    lines = reports["good"].format().splitlines()
    assert len(lines) == len(V.RULE_IDS)
    assert lines[0].startswith("PASS paper-a4: 210.0×297.0 mm")
    assert all(line.split()[0] in ("PASS", "FAIL", "N/A") for line in lines)


# --------------------------------------------------------------------------- broken documents
@needs_soffice
def test_left_margin_20mm_fails_margin_left(reports):
    report = reports["left_20mm"]
    rule = report.rule("margin-left")
    assert not rule.passed
    assert rule.value.startswith("20.0 mm")


@needs_soffice
def test_lines_of_27_characters_fail_chars_per_line(reports):
    rule = reports["spacing_0"].rule("chars-per-line")
    assert not rule.passed
    # most lines hold 27; the 28s are lines whose final "，" hangs past the right edge
    share = int(re.match(r"(\d+)% of \d+ all-Chinese full lines hold 28", rule.value).group(1))
    assert share < 50 and "27:" in rule.value, rule.value


@needs_soffice
def test_missing_red_line_fails_red_line(reports):
    report = reports["no_red_line"]
    assert report.rule("red-mark").passed
    rule = report.rule("red-line")
    assert not rule.passed and rule.applicable
    assert rule.value == "no red line on page 1"


@needs_soffice
def test_square_brackets_in_doc_number_fail_doc_number(reports):
    rule = reports["square_brackets"].rule("doc-number")
    assert not rule.passed
    assert rule.value == "卫党发【2014】3号"
    assert reports["good"].rule("doc-number").value == "卫党发〔2014〕3号"


@needs_soffice
def test_attachment_not_on_a_new_page_fails_attachment_new_page(reports):
    rule = reports["attachment_inline"].rule("attachment-new-page")
    assert not rule.passed
    assert "not first on its page" in rule.value


@needs_soffice
def test_document_without_header_reports_red_rules_not_applicable(reports):
    report = reports["no_header"]
    for name in ("red-mark", "red-line", "doc-number"):
        rule = report.rule(name)
        assert rule.passed and not rule.applicable, rule.format()
        assert "not applicable" in rule.value
    assert report.rule("red-line").value == "not applicable: no 版头"
    assert report.rule("font-title").passed
    assert report.rule("body-on-page1").passed


@needs_soffice
def test_blank_page_in_the_body_fails_no_blank_pages(reports):
    rule = reports["blank_page"].rule("no-blank-pages")
    assert not rule.passed
    assert rule.pages == [5]


@needs_soffice
def test_broken_variants_keep_the_other_header_rules(reports):
    # each variant breaks its own rule, not the neighbouring ones
    assert reports["square_brackets"].rule("red-line").passed
    assert reports["no_red_line"].rule("doc-number").passed
    assert reports["spacing_0"].rule("margin-left").passed
    assert reports["attachment_inline"].rule("chars-per-line").passed


# --------------------------------------------------------------------------- input errors
def test_rejects_a_file_that_is_neither_docx_nor_pdf(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("title: x\n", encoding="utf-8")
    with pytest.raises(GendocError, match="give a .docx or a .pdf"):
        V.verify(path)


def test_rejects_a_missing_file(tmp_path):
    with pytest.raises(GendocError, match="no such file"):
        V.verify(tmp_path / "nope.pdf")


def test_rejects_a_damaged_pdf(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\nthis is not a pdf body")
    with pytest.raises(GendocError):
        V.verify(path)


def test_rejects_a_pdf_that_is_not_a_pdf(tmp_path):
    path = tmp_path / "fake.pdf"
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(GendocError, match="not a PDF"):
        V.verify(path)


# --------------------------------------------------------------------------- helpers
@pytest.mark.parametrize("font, kind", [
    ("CAAAAA+FandolFang-Regular", "fangsong"),
    ("FangSong_GB2312", "fangsong"),
    ("仿宋_GB2312", "fangsong"),
    ("FandolKai-Regular", "kai"),
    ("ARPLUKaiCN", "kai"),
    ("楷体_GB2312", "kai"),
    ("NotoSansCJKjp-Regular-VKana", "hei"),
    ("SimHei", "hei"),
    ("NotoSerifCJKsc-Bold", "xbs"),
    ("FZXiaoBiaoSong-B05S", "xbs"),
    ("方正小标宋简体", "xbs"),
    ("NotoSerifCJKjp-Regular-VKana", "song"),
    ("SimSun", "song"),
])
def test_face_kinds_accepts_standard_faces_and_fallbacks(font, kind):
    assert kind in V.face_kinds(V.decode_font_name(font))


@pytest.mark.parametrize("font, kind", [
    ("FandolFang-Regular", "song"),
    ("NotoSerifCJKsc-Regular", "xbs"),
    ("LiberationSerif", "fangsong"),
    ("NotoSansCJKsc-Regular", "kai"),
])
def test_face_kinds_rejects_other_faces(font, kind):
    assert kind not in V.face_kinds(font)


def test_decode_font_name_undoes_hex_escapes():
    assert V.decode_font_name("ABCDEF+#E4#BB#BF#E5#AE#8B_GB2312") == "仿宋_GB2312"


@pytest.mark.parametrize("color, red", [
    ((1.0, 0.0, 0.0), True),
    ((0.9, 0.1, 0.05), True),
    ((0.0, 1.0, 1.0, 0.0), True),       # CMYK M100 Y100
    ((0.0, 0.8, 0.8, 0.0), False),      # M80 Y80 → RGB(1, .2, .2): borderline, still red?
    ((0.0,), False),
    ((0.0, 0.0, 0.0), False),
    (None, False),
])
def test_red_colour_detection(color, red):
    rgb = V._rgb(color)
    assert V.is_red(rgb) == (rgb is not None and rgb[0] > 0.7 and rgb[1] < 0.3 and rgb[2] < 0.3)
    if color != (0.0, 0.8, 0.8, 0.0):
        assert V.is_red(rgb) is red


def test_cell_units_count_cjk_as_one_and_ascii_as_half():
    assert V.cell_units("中", 16, 16) == 1
    assert V.cell_units("，", 16, 16) == 1
    assert V.cell_units("2", 8, 16) == 0.5
    assert V.cell_units("“", 16, 16) == 1        # ambiguous width drawn full-width
    assert V.cell_units("“", 5, 16) == 0.5


@pytest.mark.parametrize("number, ok", [
    ("卫党发〔2014〕3号", True),
    ("国办发〔2012〕14号", True),
    ("国办发〔2012〕014号", False),
    ("卫党发【2014】3号", False),
    ("卫党发[2014]3号", False),
    ("卫党发(2014)3号", False),
    ("卫党发〔14〕3号", False),
])
def test_doc_number_pattern(number, ok):
    assert bool(V.DOC_NUMBER_RE.match(number)) is ok
