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

from verify_fixtures import VARIANTS, build, build_and_render, make_dotx, soffice_convert

needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) is not installed: cannot render .docx to PDF")


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[str, Path]:
    return build_and_render(tmp_path_factory.mktemp("verify"))


@pytest.fixture(scope="module")
def reports(pdfs) -> dict[str, V.Report]:
    """The PDFs checked as PDFs: only the fonts used are known."""
    return {name: V.verify(pdf) for name, pdf in pdfs.items()}


@pytest.fixture(scope="module")
def docx_reports(pdfs) -> dict[str, V.Report]:
    """The PDFs checked with what their .docx asks for, as ``verify(docx)`` does."""
    out = {}
    for name, pdf in pdfs.items():
        docx = pdf.with_suffix(".docx")
        count, rules = V.check_pdf(pdf, V.open_package(docx))
        out[name] = V.Report(docx, pdf, count, rules)
    return out


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
    assert len(lines) == len(V.RULE_IDS) + 1
    assert lines[0].startswith("通过　 paper-a4 纸张 A4：210.0×297.0 mm 8 页")
    assert all(line.split()[0] in ("通过", "不通过", "不适用") for line in lines[:-1])
    assert [line.split()[1] for line in lines[:-1]] == V.RULE_IDS
    assert lines[-1] == ("结论：符合 GB/T 9704-2012 的可测项——0 条不通过，21 条通过，"
                         "1 条不适用（共 8 页）")


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
    share = int(re.match(r"\d+ 个纯汉字满行中 (\d+)% 为 28 字", rule.value).group(1))
    assert share < 50 and "27 字" in rule.value, rule.value


@needs_soffice
def test_missing_red_line_fails_red_line(reports):
    report = reports["no_red_line"]
    assert report.rule("red-mark").passed
    rule = report.rule("red-line")
    assert not rule.passed and rule.applicable
    assert rule.value == "第 1 页没有红色分隔线"


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
    assert "不是该页第一行" in rule.value


@needs_soffice
def test_document_without_header_reports_red_rules_not_applicable(reports):
    report = reports["no_header"]
    for name in ("red-mark", "red-line", "doc-number"):
        rule = report.rule(name)
        assert rule.passed and not rule.applicable, rule.format()
        assert rule.status == "na" and rule.format().startswith(f"不适用 {name} ")
    assert report.rule("red-line").value == "没有版头"
    assert report.rule("font-title").passed
    assert report.rule("body-on-page1").passed


@needs_soffice
def test_blank_page_in_the_body_fails_no_blank_pages(reports, pdfs):
    rule = reports["blank_page"].rule("no-blank-pages")
    assert not rule.passed
    # the blank page is the one after the page that ends the body with 特此通知。
    pages = V.measure(pdfs["blank_page"])
    end = next(p.number for p in pages if any(ln.text == "特此通知。" for ln in p.lines))
    assert rule.pages == [end + 1]


@needs_soffice
def test_broken_variants_keep_the_other_header_rules(reports):
    # each variant breaks its own rule, not the neighbouring ones
    assert reports["square_brackets"].rule("red-line").passed
    assert reports["no_red_line"].rule("doc-number").passed
    assert reports["spacing_0"].rule("margin-left").passed
    assert reports["attachment_inline"].rule("chars-per-line").passed


# --------------------------------------------------------------------------- documents typed elsewhere
@needs_soffice
@pytest.mark.parametrize("name", ["page_header", "page_header_plain"])
@pytest.mark.parametrize("source", ["pdf", "docx"])
def test_a_page_header_fails_no_header_and_is_never_the_first_body_line(
        reports, docx_reports, name, source):
    report = (reports if source == "pdf" else docx_reports)[name]
    rule = report.rule("no-header")
    assert rule.status == "fail", rule.format()
    assert "某某市卫生局" in rule.value
    assert rule.pages == list(range(1, report.page_count + 1))
    if VARIANTS[name].page_header_rule:
        assert "页眉横线" in rule.value
    # the 页眉 is measured as itself and nothing else: the body keeps its verdicts
    good = reports["good"]
    for other in ("margin-top", "lines-per-page", "chars-per-line", "body-on-page1",
                  "attachment-new-page", "font-body", "red-mark"):
        assert report.rule(other).passed and report.rule(other).applicable, report.format()
    assert report.rule("margin-top").value == good.rule("margin-top").value
    assert report.rule("lines-per-page").value == good.rule("lines-per-page").value
    assert _failed(report) == ["no-header"], report.format()


@needs_soffice
def test_body_text_set_too_high_is_not_a_header(reports, docx_reports):
    # a 25.4 mm 天头: the title and body sit above the 版心 but run on without a gap
    assert reports["one_page_top_25mm"].rule("no-header").status == "pass"
    # Word's defaults: 11 pt text from 25.4 mm down; only the real 页眉 is one
    for report in (reports["word_defaults"], docx_reports["word_defaults"]):
        rule = report.rule("no-header")
        assert rule.status == "fail" and rule.value == f"页眉“内部资料注意保存” {report.page_count} 页"
        assert report.rule("body-on-page1").status == "pass", report.format()
        assert report.rule("margin-top").status == "fail"       # 25.4 mm, measured
        lines = report.rule("lines-per-page")
        assert lines.status == "fail" and "行距 14." in lines.value, lines.value
        assert report.rule("chars-per-line").status == "fail"   # 11 pt: 39 a line
        assert report.rule("paper-a4").status == "fail"
    font = docx_reports["word_defaults"].rule("font-body")
    assert font.status == "fail" and "字号 11 pt" in font.value
    assert "要求字体 ＭＳ 明朝" in font.value      # the theme font for a ja-JP theme language


@needs_soffice
def test_good_document_has_no_header(reports):
    rule = reports["good"].rule("no-header")
    assert rule.status == "pass" and rule.value == "版心上方没有页眉"


@needs_soffice
def test_letter_paper_fails_paper_a4_and_its_page_numbers_are_found(reports):
    report = reports["letter"]
    assert report.rule("paper-a4").status == "fail"
    assert "215.9×279.4 mm" in report.rule("paper-a4").value
    for name in ("page-number-format", "page-number-position", "page-number-sequence"):
        rule = report.rule(name)
        assert rule.status == "pass", rule.format()
    assert report.rule("page-number-sequence").value.startswith(
        f"{report.page_count}/{report.page_count} 页编了页码")


@needs_soffice
def test_one_page_document_measures_the_top_margin_on_page_1(reports):
    report = reports["one_page"]
    assert report.page_count == 1
    rule = report.rule("margin-top")
    assert rule.status == "pass", rule.format()
    assert rule.value.startswith("只有一页，首行是 22 pt 的标题")
    # nothing else to measure is not a failure
    for name in ("page-number-format", "page-number-position", "page-number-sequence"):
        assert report.rule(name).status == "na"
        assert report.rule(name).value == "只有一页，没有页码"
    assert report.rule("lines-per-page").status == "na"
    assert report.ok, report.format()


@needs_soffice
def test_one_page_document_with_a_25mm_top_margin_fails_margin_top(reports):
    report = reports["one_page_top_25mm"]
    assert report.page_count == 1
    assert report.rule("margin-top").status == "fail", report.format()
    assert _failed(report) == ["margin-top"], report.format()


@needs_soffice
def test_one_page_document_with_a_red_header_cannot_measure_the_top_margin(reports):
    report = reports["one_page_header"]
    assert report.page_count == 1
    rule = report.rule("margin-top")
    assert rule.status == "na" and "发文机关标志" in rule.value, rule.format()
    assert report.rule("red-mark").status == "pass"
    assert report.ok, report.format()


@needs_soffice
def test_red_mark_measures_position_size_and_centring(reports):
    rule = reports["good"].rule("red-mark")
    assert rule.status == "pass"
    m = re.search(r"(\d+) pt，上边缘距纸张上边 ([\d.]+) mm.*中线偏差 ([\d.]+) mm", rule.value)
    assert m and m.group(1) == "36", rule.value
    assert abs(float(m.group(2)) - 72) <= 0.5 and float(m.group(3)) <= 1


@needs_soffice
def test_mark_at_the_top_of_the_page_fails_red_mark(reports):
    report = reports["mark_at_top"]
    rule = report.rule("red-mark")
    assert rule.status == "fail", rule.format()
    assert "上边缘应在版心上边缘下 35 mm" in rule.value and "偏上" in rule.value
    assert report.rule("red-line").passed


@needs_soffice
def test_red_text_in_the_body_is_not_a_mark(reports):
    report = reports["red_in_body"]
    rule = report.rule("red-mark")
    assert rule.status == "fail", rule.format()
    assert "版头位置没有发文机关标志" in rule.value
    assert "基层卫生服务能力提升行动" in rule.value
    assert report.rule("red-line").status == "na"      # no 版头 at all


@needs_soffice
def test_wrong_body_font_names_the_font_asked_for_and_the_font_used(reports, docx_reports):
    rule = docx_reports["body_song"].rule("font-body")
    assert rule.status == "fail"
    assert "要求字体 宋体" in rule.value and "实际字体 NotoSerifCJK" in rule.value, rule.value
    # from a PDF only the font used is known
    rule = reports["body_song"].rule("font-body")
    assert rule.status == "fail"
    assert "要求字体" not in rule.value and "实际字体 NotoSerifCJK" in rule.value, rule.value


@needs_soffice
def test_a_fangsong_font_missing_on_this_machine_is_the_renderer_s_business(
        reports, docx_reports):
    rule = docx_reports["body_unknown_fangsong"].rule("font-body")
    assert rule.status == "pass", rule.format()
    assert "要求字体 仿宋体" in rule.value and "本机没有“仿宋体”" in rule.value, rule.value
    assert reports["body_unknown_fangsong"].rule("font-body").status == "fail"


@needs_soffice
def test_requested_fonts_are_read_for_every_kind_of_text(docx_reports):
    report = docx_reports["good"]
    assert "要求字体 方正小标宋简体" in report.rule("font-title").value
    assert "要求字体 黑体" in report.rule("font-h1").value
    assert "要求字体 楷体_GB2312" in report.rule("font-h2").value
    assert "要求字体 宋体" in report.rule("page-number-format").value


@needs_soffice
def test_dotx_and_odt_are_verified(tmp_path, reports):
    docx = build(tmp_path / "good.docx", VARIANTS["good"])
    dotx = make_dotx(docx, tmp_path / "template.dotx")
    odt = soffice_convert(docx, "odt", tmp_path)
    # the measurements, not the font findings (a .dotx also says which fonts it asks for)
    want = {r.name: r.value.split("；")[0] for r in reports["good"].rules}
    got = {path.suffix: V.verify(path) for path in (dotx, odt)}
    for suffix, report in got.items():
        for name in ("paper-a4", "margin-left", "margin-top", "red-mark", "red-line",
                     "doc-number", "font-body", "font-title"):
            assert report.rule(name).status == "pass", (suffix, report.format())
        for name in ("margin-left", "red-mark", "doc-number"):
            assert report.rule(name).value.split("；")[0] == want[name], (suffix, name)
    # a template renders exactly like the document; LibreOffice's own .odt of the
    # document loses Word's table spacing and takes a page more, which is measured too
    assert got[".dotx"].ok and got[".dotx"].page_count == 8, got[".dotx"].format()
    assert "要求字体 方正小标宋简体" in got[".dotx"].rule("font-title").value


@needs_soffice
def test_word_character_grid_is_laid_out_as_word_does(tmp_path, docx_reports):
    """LibreOffice lays Word's 28-character grid out 14 characters a line; verify renders
    a copy with the grid as character spacing, and measures that."""
    docx = build(tmp_path / "grid.docx", VARIANTS["char_grid"])
    report = V.verify(docx)
    assert report.ok, report.format()
    assert report.page_count == 8
    rule = report.rule("chars-per-line")
    assert "文档用 Word 字符网格（每格 15.79 pt），按字距 -0.25 pt 排版后计数" in rule.value
    assert report.rule("banji-even-page").status == "pass"
    # LibreOffice's own rendering of the grid: the count comes from the grid itself, and
    # what depends on Word's page breaks cannot be measured
    raw = docx_reports["char_grid"]
    assert raw.rule("chars-per-line").status == "pass"
    assert raw.rule("chars-per-line").value.startswith("按文档的字符网格每行 28 字")
    assert "LibreOffice 不能照 Word 的字符网格排版" in raw.rule("signature-with-body").value


def test_character_grid_spacing():
    assert V.CharGrid(15.79, 442.2, 16).spacing == -5
    assert V.CharGrid(15.79, 442.2, 16).per_line == 28
    assert V.CharGrid(16.0, 442.2, 16).spacing == 0
    assert V.CharGrid(15.79, 442.2, 10.5).spacing is None    # a grid made for another size


@needs_soffice
def test_mirrored_margins_keep_the_binding_margin_on_even_pages(reports):
    """Word's mirrored margins bind even pages on the right: 28 mm there, 26 mm left."""
    report = reports["mirrored"]
    rule = report.rule("margin-left")
    assert rule.status == "pass"
    assert rule.value == "单页 28.0 mm，双页 26.0 mm（对称页边距：双页订口在右边）", rule.value
    assert report.ok, report.format()
    assert report.rule("chars-per-line").value == reports["good"].rule("chars-per-line").value
    # a 20 mm binding margin is not a mirrored one
    assert reports["left_20mm"].rule("margin-left").status == "fail"


@needs_soffice
def test_a_picture_for_the_mark_is_not_measured_as_text(reports):
    report = reports["mark_picture"]
    rule = report.rule("red-mark")
    assert rule.status == "na" and "发文机关标志是图片" in rule.value, rule.format()
    for name in ("red-line", "doc-number", "font-title", "body-on-page1"):
        assert report.rule(name).status == "pass", report.format()


@needs_soffice
def test_a_scan_without_text_is_not_applicable_not_failed(reports):
    report = reports["scan"]
    assert report.ok, report.format()
    measured = {r.name for r in report.rules if r.applicable}
    assert measured == {"paper-a4", "no-blank-pages"}
    assert all("PDF 里没有文字" in r.value for r in report.rules if not r.applicable)


def test_an_encrypted_pdf_is_named(tmp_path, monkeypatch):
    import pdfplumber

    class PDFPasswordIncorrect(Exception):
        pass

    def locked(*args, **kwargs):
        raise PDFPasswordIncorrect()

    monkeypatch.setattr(pdfplumber, "open", locked)
    path = tmp_path / "locked.pdf"
    path.write_bytes(b"%PDF-1.7\n")
    with pytest.raises(GendocError, match="PDF 加了密码"):
        V.verify(path)


def test_timeout_reaches_the_converter(tmp_path, monkeypatch):
    import gendoc.pdf

    docx = build(tmp_path / "good.docx", VARIANTS["good"])
    seen = []

    def fake(src, *, data=None, timeout=180):
        seen.append(timeout)
        raise GendocError("stop")

    monkeypatch.setattr(gendoc.pdf, "converted", fake)
    for timeout in (None, 7.5):
        with pytest.raises(GendocError, match="stop"):
            V.verify(docx, timeout=timeout)
    assert seen == [None, 7.5]


def _docx_bytes(tmp_path) -> bytes:
    return build(tmp_path / "ok.docx", VARIANTS["good"]).read_bytes()


def _without_document_xml(data: bytes) -> bytes:
    import io
    import zipfile
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                dst.writestr(info, src.read(info))
    return out.getvalue()


def _corrupt_document_xml(data: bytes) -> bytes:
    import io
    import zipfile
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 20
    return data[:start] + bytes(b ^ 0xFF for b in data[start:start + 40]) + data[start + 40:]


@pytest.mark.parametrize("damage, reason", [
    (lambda d: b"hello, not a word file", "不是 zip 压缩包"),
    (lambda d: b"", "文件是空的"),
    (lambda d: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + d[8:200], "旧版 Word（.doc）"),
    (lambda d: d[: len(d) * 2 // 3], "压缩包不完整"),
    (_without_document_xml, "压缩包里没有 word/document.xml"),
    (_corrupt_document_xml, "word/document.xml"),
])
def test_damaged_docx_is_refused_before_libreoffice_with_one_chinese_line(
        tmp_path, monkeypatch, damage, reason):
    import gendoc.pdf

    def never(*args, **kwargs):
        raise AssertionError("LibreOffice must not see a damaged file")

    monkeypatch.setattr(gendoc.pdf, "docx_to_pdf", never)
    path = tmp_path / "通知.docx"
    path.write_bytes(damage(_docx_bytes(tmp_path)))
    with pytest.raises(GendocError) as info:
        V.verify(path)
    message = info.value.message
    assert message.startswith("文件已损坏或不是有效的 .docx："), message
    assert message.endswith("；请在 Word 或 WPS 中打开后另存为 .docx 再试"), message
    assert reason in message and "\n" not in message
    assert info.value.file == str(path)


def test_not_applicable_rules_never_fail_a_report(tmp_path):
    na = V.Rule("x", "某项", False, "没有可量的东西", "…", applicable=False)
    fail = V.Rule("y", "另一项", False, "1 mm", "2 mm", [3])
    assert na.status == "na" and na.format() == "不适用 x 某项：无法测量，没有可量的东西"
    assert fail.format() == "不通过 y 另一项：1 mm；应为 2 mm［第 3 页］"
    assert V.Report(tmp_path, None, 1, [na]).ok
    assert not V.Report(tmp_path, None, 1, [na, fail]).ok
    assert V.Report(tmp_path, None, 1, [na, fail]).failed == [fail]


def test_missing_pdfplumber_is_reported_in_chinese(tmp_path, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "pdfplumber", None)
    path = tmp_path / "a.pdf"
    path.write_bytes(b"%PDF-1.4\n")
    with pytest.raises(GendocError, match="需要 pdfplumber.*pip install pdfplumber"):
        V.verify(path)


def test_theme_fonts_and_style_chains_are_resolved(tmp_path):
    """python-docx's own template asks for theme fonts (MS Mincho for a ja-JP theme
    language, 宋体 for zh-CN); a style based on another inherits its East Asian font."""
    import zipfile
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document()
    doc.add_paragraph("中文正文")
    styles = doc.styles
    base = styles.add_style("GwBase", 1)
    base.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "黑体")
    child = styles.add_style("GwChild", 1)
    child.base_style = base
    doc.add_paragraph("继承黑体", style="GwChild")
    path = doc.save(tmp_path / "a.docx") or tmp_path / "a.docx"
    with zipfile.ZipFile(path) as zf:
        facts = V.read_docx_facts(zf)
    assert facts.text == "中文正文继承黑体"
    assert facts.fonts == ["ＭＳ 明朝"] * 4 + ["黑体"] * 4
    doc.settings.element.find(qn("w:themeFontLang")).set(qn("w:eastAsia"), "zh-CN")
    doc.save(path)
    with zipfile.ZipFile(path) as zf:
        assert V.read_docx_facts(zf).fonts[:4] == ["宋体"] * 4


def test_an_undefined_paragraph_style_falls_back_to_the_default_style(tmp_path):
    """pandoc writes styles (FirstParagraph, BodyText) its reference document may lack:
    Word then uses the default paragraph style, and so does the font finding."""
    import zipfile
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document()
    normal = doc.styles["Normal"].element.get_or_add_rPr().get_or_add_rFonts()
    normal.set(qn("w:eastAsia"), "仿宋")
    par = doc.add_paragraph("正文一段")
    par._p.get_or_add_pPr().get_or_add_pStyle().set(qn("w:val"), "FirstParagraph")
    sect = doc.sections[0]._sectPr
    numbering = sect.makeelement(qn("w:pgNumType"), {qn("w:fmt"): "numberInDash"})
    sect.append(numbering)
    doc.save(tmp_path / "a.docx")
    with zipfile.ZipFile(tmp_path / "a.docx") as zf:
        facts = V.read_docx_facts(zf)
    assert facts.fonts == ["仿宋"] * 4
    assert facts.page_number_format == "numberInDash"


@needs_soffice
def test_word_s_dashed_page_numbers_are_explained(pdfs):
    lay = V.analyse(V.measure(pdfs["good"]))
    assert "numberInDash" not in V.rule_page_number_format(lay).value
    lay.page_number_format = "numberInDash"
    assert "Word 印作“- N -”" in V.rule_page_number_format(lay).value


@pytest.mark.parametrize("text, parts", [
    ("— 3 —".replace(" ", ""), ("—", 3, "—")),
    ("-12-", ("-", 12, "-")),
    ("7", ("", 7, "")),
    ("第3页", ("第", 3, "页")),
    ("第3页共5页", ("第", 3, "页共5页")),
    ("3/5", ("", 3, "/5")),
    ("附件3", None),
    ("合计12", None),
    ("2014年", None),
])
def test_page_number_parts(text, parts):
    assert V.page_number_parts(text) == parts


def test_page_list_is_compact():
    assert V.page_list([5, 1, 2, 3, 7, 8]) == "1–3、5、7–8"
    assert V.page_list([4]) == "4"


# --------------------------------------------------------------------------- input errors
def test_rejects_a_file_that_is_neither_docx_nor_pdf(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("title: x\n", encoding="utf-8")
    with pytest.raises(GendocError, match="请给出 .docx、.dotx、.odt 或 .pdf"):
        V.verify(path)


def test_rejects_a_missing_file(tmp_path):
    with pytest.raises(GendocError, match="没有这个文件"):
        V.verify(tmp_path / "nope.pdf")


def test_rejects_a_damaged_pdf(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\nthis is not a pdf body")
    with pytest.raises(GendocError, match="PDF 已损坏.*请重新导出 PDF 再试"):
        V.verify(path)


def test_rejects_a_pdf_that_is_not_a_pdf(tmp_path):
    path = tmp_path / "fake.pdf"
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(GendocError, match="不是 PDF 文件"):
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
