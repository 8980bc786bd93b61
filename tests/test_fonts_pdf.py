"""Fontconfig fallbacks for the standard 公文 fonts, the font report, and .docx -> .pdf.

Tests that need LibreOffice skip when soffice is missing (CI installs it through
scripts/install-deps.sh). Tests that need a fallback font skip when it is missing, except
under CI=true, where a missing font means install-deps.sh is broken and they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gendoc import fonts, pdf
from gendoc.errors import GendocError
from gendoc.fonts import STANDARD_FONTS, font_report, fontconfig_file, fontconfig_xml
from gendoc.pdf import docx_to_pdf, docx_to_pdf_many, have_soffice

needs_fc = pytest.mark.skipif(shutil.which("fc-match") is None, reason="fontconfig (fc-match) not installed")


def _installed_families() -> set[str]:
    out = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout
    return {name.strip() for line in out.splitlines() for name in line.split(",")}


def require_fonts(*families: str) -> None:
    missing = [f for f in families if f not in _installed_families()]
    if missing:
        msg = f"fonts not installed: {', '.join(missing)} (run scripts/install-deps.sh)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


# --- fontconfig XML ------------------------------------------------------------------------

def test_fontconfig_xml_is_valid_and_includes_system_config():
    root = ET.fromstring(fontconfig_xml().encode("utf-8"))
    assert root.tag == "fontconfig"
    include = root.find("include")
    assert include is not None and include.text == "/etc/fonts/fonts.conf"
    assert include.get("ignore_missing") == "yes"
    # included first, so our rules run after the system's
    assert root[0] is include


def test_fontconfig_xml_maps_every_name_and_alias():
    root = ET.fromstring(fontconfig_xml().encode("utf-8"))
    aliased = {a.findtext("family"): [f.text for f in a.find("accept")]
               for a in root.iter("alias")}
    matched = {m.find("test/string").text for m in root.iter("match")}
    for standard, spec in STANDARD_FONTS.items():
        for name in [standard, *spec["aliases"]]:
            if spec["bold"]:
                assert name in matched, name
            else:
                assert aliased.get(name) == spec["fallbacks"], name


def test_fontconfig_xml_has_bold_rule_for_xiaobiaosong():
    root = ET.fromstring(fontconfig_xml().encode("utf-8"))
    rules = [m for m in root.iter("match") if m.find("test/string").text == "方正小标宋简体"]
    assert len(rules) == 1
    rule = rules[0]
    assert rule.get("target") == "pattern"
    assert rule.find("test").get("name") == "family"
    edits = {e.get("name"): e for e in rule.findall("edit")}
    assert [s.text for s in edits["family"].findall("string")] == ["Noto Serif CJK SC"]
    assert edits["weight"].get("mode") == "assign"
    assert edits["weight"].findtext("const") == "bold"
    # and no plain alias for it (an alias cannot carry the weight)
    assert "方正小标宋简体" not in {a.findtext("family") for a in root.iter("alias")}


def test_fontconfig_file_is_written_once_with_the_xml(tmp_path):
    path = fontconfig_file()
    assert path.read_text(encoding="utf-8") == fontconfig_xml()
    mtime = path.stat().st_mtime_ns
    assert fontconfig_file() == path
    assert path.stat().st_mtime_ns == mtime
    # no temporary files left beside it
    assert not list(path.parent.glob(path.name + ".*.tmp"))


def test_fontconfig_file_is_rewritten_when_damaged():
    path = fontconfig_file()
    path.write_text("<fontconfig/>", encoding="utf-8")
    assert fontconfig_file() == path
    assert path.read_text(encoding="utf-8") == fontconfig_xml()


# --- fc-match with the generated config --------------------------------------------------

def _fc_match(name: str) -> tuple[str, str]:
    env = dict(os.environ, FONTCONFIG_FILE=str(fontconfig_file()))
    out = subprocess.run(["fc-match", "-f", "%{family[0]}|%{style}", name], env=env,
                         capture_output=True, text=True, check=True).stdout
    family, style = out.split("|", 1)
    return family, style


@needs_fc
@pytest.mark.parametrize("name, family", [
    ("仿宋_GB2312", "FandolFang"),
    ("仿宋", "FandolFang"),
    ("FangSong", "FandolFang"),
    ("楷体_GB2312", "FandolKai"),
    ("KaiTi", "FandolKai"),
    ("黑体", "Noto Sans CJK SC"),
    ("SimHei", "Noto Sans CJK SC"),
    ("宋体", "Noto Serif CJK SC"),
    ("SimSun", "Noto Serif CJK SC"),
    ("Times New Roman", "Liberation Serif"),
])
def test_fc_match_fallback(name, family):
    require_fonts(family)
    assert _fc_match(name)[0] == family
    # the document language must not pull in another face
    assert _fc_match(f"{name}:lang=zh-cn")[0] == family


@needs_fc
@pytest.mark.parametrize("name", ["方正小标宋简体", "方正小标宋_GBK", "小标宋"])
def test_fc_match_xiaobiaosong_is_noto_serif_bold(name):
    require_fonts("Noto Serif CJK SC")
    for query in (name, f"{name}:lang=zh-cn"):
        family, style = _fc_match(query)
        assert family == "Noto Serif CJK SC"
        assert "Bold" in style.split(","), style


@needs_fc
def test_fc_match_without_our_config_does_not_find_fandol(tmp_path):
    """Guards the test above: the mapping comes from our file, not from the system (nor from
    a `gendoc fonts --install` in the real home: a fresh home here)."""
    require_fonts("FandolFang")
    env = {k: v for k, v in os.environ.items() if k not in ("FONTCONFIG_FILE", "XDG_CONFIG_HOME")}
    env["HOME"] = str(tmp_path)
    out = subprocess.run(["fc-match", "-f", "%{family[0]}", "仿宋_GB2312"], env=env,
                         capture_output=True, text=True, check=True).stdout
    assert out != "FandolFang"


# --- font report -------------------------------------------------------------------------

def test_font_report_lists_all_six():
    rows = font_report()
    assert [r["name"] for r in rows] == list(STANDARD_FONTS)
    assert len(rows) == 6


@needs_fc
def test_font_report_fallbacks_and_metrics():
    require_fonts("FandolFang", "FandolKai", "Noto Sans CJK SC", "Noto Serif CJK SC",
                  "Liberation Serif")
    rows = {r["name"]: r for r in font_report()}
    for name, row in rows.items():
        assert row["installed"] in (True, False), row
        if row["installed"]:
            continue  # a machine with the real font: nothing to fall back to
        assert row["fallback_ok"] is True, row
        assert row["fallback"] == STANDARD_FONTS[name]["fallbacks"][0], row
        if STANDARD_FONTS[name]["cjk"]:
            assert row["metrics"] == fonts.METRICS_CJK
            assert f"字宽不变：{fonts.METRICS_CJK}" in row["status"]
        else:
            assert "字宽相同" in row["metrics"]
    if not rows["方正小标宋简体"]["installed"]:
        assert rows["方正小标宋简体"]["fallback_style"] == "Bold"
    text = fonts.format_font_report()
    assert len(text.splitlines()) == 6


def test_font_report_without_fontconfig(monkeypatch):
    monkeypatch.setattr(fonts.shutil, "which", lambda *a, **k: None)
    rows = font_report()
    assert len(rows) == 6
    for row in rows:
        assert row["status"] == fonts.FONTCONFIG_MISSING
        assert row["installed"] is None and row["fallback"] is None
    assert fonts.FONTCONFIG_MISSING in fonts.format_font_report(rows)


# --- .docx -> .pdf ------------------------------------------------------------------------

def make_docx(path: Path, runs: list[tuple[str, str]]) -> Path:
    """A small .docx: one paragraph per (text, w:eastAsia font), language zh-CN."""
    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    doc = Document()
    for text, font in runs:
        run = doc.add_paragraph().add_run(text)
        rpr = run._r.get_or_add_rPr()
        rfonts = rpr.get_or_add_rFonts()
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
            rfonts.set(qn(attr), font)
        lang = OxmlElement("w:lang")
        lang.set(qn("w:eastAsia"), "zh-CN")
        rpr.append(lang)
    doc.save(path)
    return path


def pdf_fonts(path: Path) -> set[str]:
    """Base font names (subset prefix removed) of the characters drawn in the PDF."""
    import pdfplumber

    with pdfplumber.open(path) as doc:
        names = {c["fontname"] for page in doc.pages for c in page.chars}
    return {n.split("+", 1)[-1] for n in names}


def pdf_text(path: Path) -> str:
    import pdfplumber

    with pdfplumber.open(path) as doc:
        return "".join(page.extract_text() or "" for page in doc.pages)


@pytest.mark.libreoffice
@pytest.mark.skipif(not have_soffice(), reason="LibreOffice (soffice) not installed")
def test_docx_to_pdf_embeds_fandolfang(tmp_path):
    require_fonts("FandolFang", "Noto Serif CJK SC")
    src = make_docx(tmp_path / "通知.docx", [
        ("关于开展安全生产检查的通知", "方正小标宋简体"),
        ("各区人民政府，市政府各部门：现将有关事项通知如下。", "仿宋_GB2312"),
    ])
    out = docx_to_pdf(src)
    assert out == tmp_path / "通知.pdf"
    assert out.read_bytes().startswith(b"%PDF")
    used = pdf_fonts(out)
    assert any(n.startswith("FandolFang") for n in used), used
    # Noto CJK collections share one CFF table, so the embedded name says "jp" for the
    # SC face too (NotoSerifCJKjp-Bold-VKana); the weight is what matters here
    assert any(n.startswith("NotoSerifCJK") and "-Bold" in n for n in used), used
    assert "现将有关事项通知如下" in pdf_text(out)
    if shutil.which("pdffonts"):
        listing = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True).stdout
        fandol = [line for line in listing.splitlines() if "FandolFang" in line]
        assert fandol and " yes " in fandol[0]  # embedded
    # nothing but the source and the PDF in the directory
    assert sorted(p.name for p in tmp_path.iterdir()) == ["通知.docx", "通知.pdf"]


@pytest.mark.libreoffice
@pytest.mark.skipif(not have_soffice(), reason="LibreOffice (soffice) not installed")
def test_docx_to_pdf_into_out_dir(tmp_path):
    src = make_docx(tmp_path / "a.docx", [("正文", "仿宋_GB2312")])
    out = docx_to_pdf(src, tmp_path / "pdfs" / "nested")
    assert out == tmp_path / "pdfs" / "nested" / "a.pdf"
    assert out.is_file()
    assert not (tmp_path / "a.pdf").exists()


@pytest.mark.libreoffice
@pytest.mark.skipif(not have_soffice(), reason="LibreOffice (soffice) not installed")
def test_docx_to_pdf_many_in_one_call(tmp_path):
    srcs = [make_docx(tmp_path / f"d{i}.docx", [(f"第{i}号文件", "仿宋_GB2312")])
            for i in range(3)]
    outs = docx_to_pdf_many(srcs, tmp_path / "out")
    assert outs == [tmp_path / "out" / f"d{i}.pdf" for i in range(3)]
    for i, out in enumerate(outs):
        assert f"第{i}号文件" in pdf_text(out)


@pytest.mark.libreoffice
@pytest.mark.skipif(not have_soffice(), reason="LibreOffice (soffice) not installed")
def test_docx_to_pdf_many_same_stem_beside_sources(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    a = make_docx(tmp_path / "x" / "doc.docx", [("甲", "仿宋_GB2312")])
    b = make_docx(tmp_path / "y" / "doc.docx", [("乙", "仿宋_GB2312")])
    outs = docx_to_pdf_many([a, b])
    assert outs == [tmp_path / "x" / "doc.pdf", tmp_path / "y" / "doc.pdf"]
    assert "甲" in pdf_text(outs[0]) and "乙" in pdf_text(outs[1])


def test_docx_to_pdf_many_same_stem_same_out_dir_is_an_error(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    a = tmp_path / "x" / "doc.docx"
    b = tmp_path / "y" / "doc.docx"
    a.write_bytes(b"")
    b.write_bytes(b"")
    with pytest.raises(GendocError, match="都会转换成"):
        docx_to_pdf_many([a, b], tmp_path / "out")


@pytest.mark.libreoffice
@pytest.mark.skipif(not have_soffice(), reason="LibreOffice (soffice) not installed")
def test_two_conversions_in_parallel_threads(tmp_path):
    srcs = [make_docx(tmp_path / f"p{i}.docx", [(f"并行转换{i}", "仿宋_GB2312")])
            for i in range(2)]
    results: dict[int, object] = {}

    def work(i: int) -> None:
        try:
            results[i] = docx_to_pdf(srcs[i], tmp_path / f"out{i}")
        except BaseException as exc:  # reported below
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    for i in range(2):
        assert isinstance(results[i], Path), results[i]
        assert f"并行转换{i}" in pdf_text(results[i])


def test_missing_soffice_names_the_package(tmp_path, monkeypatch):
    src = tmp_path / "a.docx"
    src.write_bytes(b"")
    monkeypatch.setattr(pdf.shutil, "which", lambda *a, **k: None)
    monkeypatch.setattr(pdf, "SOFFICE_PATHS", ())
    assert pdf.soffice_path() is None
    assert pdf.have_soffice() is False
    with pytest.raises(GendocError) as info:
        docx_to_pdf(src)
    message = str(info.value)
    assert "libreoffice-writer-nogui" in message
    assert "install-deps.sh" in message
    assert not (tmp_path / "a.pdf").exists()


def test_missing_source_is_an_error(tmp_path):
    with pytest.raises(GendocError, match="找不到要转换成 PDF 的文件"):
        docx_to_pdf(tmp_path / "nope.docx")


@pytest.mark.libreoffice
@pytest.mark.skipif(not have_soffice(), reason="LibreOffice (soffice) not installed")
def test_unreadable_docx_reports_soffice_error(tmp_path):
    src = tmp_path / "broken.docx"
    src.write_bytes(b"PK\x03\x04 this is not a zip archive")
    with pytest.raises(GendocError) as info:
        docx_to_pdf(src)
    message = str(info.value)
    assert "LibreOffice 没有生成 PDF" in message
    assert "could not be loaded" in message  # soffice's own error line
    assert "broken.docx" in message
    assert not (tmp_path / "broken.pdf").exists()


@pytest.mark.libreoffice
@pytest.mark.skipif(not have_soffice(), reason="LibreOffice (soffice) not installed")
def test_timeout_is_reported_in_seconds(tmp_path):
    src = make_docx(tmp_path / "slow.docx", [("正文", "仿宋_GB2312")])
    with pytest.raises(GendocError, match=r"0\.05 秒内"):
        docx_to_pdf(src, timeout=0.05)
    assert not (tmp_path / "slow.pdf").exists()
