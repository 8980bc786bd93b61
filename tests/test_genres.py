"""Genres as a registry (issue 11): ``gendoc templates``, ``gendoc new``, every genre's
starter rendered through LibreOffice and verified; 信函格式 and 纪要格式."""

from __future__ import annotations

import importlib
import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pdfplumber
import pytest
from lxml import etree

from gendoc.genres import GENRES, starters_dir
from gendoc.typeset import GB, tw

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
HAVE_SOFFICE = shutil.which("soffice") is not None
needs_lo = pytest.mark.skipif(not HAVE_SOFFICE, reason="需要 LibreOffice（scripts/install-deps.sh）")
STARTED = [g for g in GENRES if (starters_dir() / GENRES[g].starter).is_file()]


def gendoc(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "gendoc.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd)


def test_templates_lists_every_genre_one_line_each():
    r = gendoc("templates")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == len(GENRES) >= 12
    names = [ln.split("　")[0] for ln in lines]
    assert names == list(GENRES)
    for need in ("通知", "印发通知", "会议通知", "实施方案", "工作方案", "工作要点", "整改措施", "总结",
                 "请示", "报告", "纪要", "函"):
        assert need in names
    line = lines[names.index("会议通知")]
    assert "通知" in line.split("　", 1)[1] and "参会人员" in line


def test_every_genre_except_the_summary_owner_has_a_starter():
    # 总结's starter is written with gendoc/summary.py; every other genre ships one here
    assert set(GENRES) - set(STARTED) <= {"总结"}


def test_unknown_genre_suggests_the_nearest(tmp_path):
    r = gendoc("new", "会议", "-o", tmp_path / "x.yaml")
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [r.stderr.strip()]   # one line, no traceback
    assert "没有名为“会议”的文种" in r.stderr and "是不是“会议通知”" in r.stderr
    assert not (tmp_path / "x.yaml").exists()


def test_new_refuses_to_overwrite_a_yaml_file(tmp_path):
    out = tmp_path / "p.yaml"
    out.write_text("schema_version: 1\n", encoding="utf-8")
    r = gendoc("new", "函", "-o", out)
    assert r.returncode == 1 and "请换一个输出文件名" in r.stderr
    assert out.read_text(encoding="utf-8") == "schema_version: 1\n"


def test_new_wants_a_yaml_name(tmp_path):
    r = gendoc("new", "函", "-o", tmp_path / "p.docx")
    assert r.returncode == 1 and ".yaml" in r.stderr


def test_from_is_for_the_summary_only(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text("x: 1\n", encoding="utf-8")
    r = gendoc("new", "请示", "-o", tmp_path / "p.yaml", "--from", plan)
    assert r.returncode == 1 and "--from 只用于总结" in r.stderr


@pytest.mark.skipif(not hasattr(importlib.import_module("gendoc.summary"), "starter_from_plan")
                    if importlib.util.find_spec("gendoc.summary") else True,
                    reason="gendoc.summary.starter_from_plan 还没有")
def test_new_summary_from_the_plan_it_reports_on(tmp_path):
    from gendoc.summary import starter_from_plan
    plan = Path(__file__).parent.parent / "plans" / "mass-line-implementation-plan-2014.yaml"
    out = tmp_path / "总结.yaml"
    r = gendoc("new", "总结", "-o", out, "--from", plan)
    assert r.returncode == 0, r.stderr
    assert out.read_text(encoding="utf-8") == starter_from_plan(plan)


def test_new_writes_the_commented_starter(tmp_path):
    out = tmp_path / "请示.yaml"
    r = gendoc("new", "请示", "-o", out)
    assert r.returncode == 0, r.stderr
    text = out.read_text(encoding="utf-8")
    assert text == (starters_dir() / "请示.yaml").read_text(encoding="utf-8")
    assert "# " in text and "签发人" in text and "lorem" not in text.lower()


def test_template_names_still_work_beside_genre_names(tmp_path):
    src = (starters_dir() / "报告.yaml").read_text(encoding="utf-8")
    plan = tmp_path / "r.yaml"
    plan.write_text(src.replace("template: 报告", "template: report"), encoding="utf-8")
    r = gendoc("render", plan, "-o", tmp_path / "r.docx")
    assert r.returncode == 0, r.stderr
    assert "特此报告。" in _text(tmp_path / "r.docx")


def _text(docx: Path) -> str:
    with zipfile.ZipFile(docx) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    return "\n".join("".join(t.text or "" for t in p.iter(W + "t")) for p in root.iter(W + "p"))


def _render(tmp_path, genre, longer: bool = False) -> Path:
    plan = tmp_path / f"{genre}.yaml"
    r = gendoc("new", genre, "-o", plan)
    assert r.returncode == 0, r.stderr
    if longer:   # a third section of long paragraphs after the starter's own
        para = "请贵局协助做好学生体检的组织和宣传工作，确保体检工作有序开展，体检结果及时反馈学生家长。"
        text = plan.read_text(encoding="utf-8").replace(
            "\nclosing:", "\n  - heading: 宣传动员\n    paras:\n" + f"      - {para * 3}\n" * 3 + "closing:", 1)
        plan.write_text(text, encoding="utf-8")
    r = gendoc("render", plan, "-o", tmp_path / f"{genre}.docx", "--pdf")
    assert r.returncode == 0, r.stderr
    assert "警告" not in r.stderr, r.stderr
    return tmp_path / f"{genre}.docx"


@needs_lo
@pytest.mark.libreoffice
@pytest.mark.parametrize("genre", STARTED)
def test_every_starter_renders_and_verifies(tmp_path, genre):
    docx = _render(tmp_path, genre)
    r = gendoc("verify", docx.with_suffix(".pdf"))
    assert r.returncode == 0, r.stdout
    assert "0 条不通过" in r.stdout


def test_request_and_report_carry_the_signer_on_the_number_line(tmp_path):
    for genre, ending in (("请示", "妥否，请批示。"), ("报告", "特此报告。")):
        gendoc("new", genre, "-o", tmp_path / f"{genre}.yaml")
        r = gendoc("render", tmp_path / f"{genre}.yaml", "-o", tmp_path / f"{genre}.docx")
        assert r.returncode == 0, r.stderr
        text = _text(tmp_path / f"{genre}.docx")
        assert "签发人：李明华" in text and ending in text


def test_meeting_notice_prints_the_meeting(tmp_path):
    gendoc("new", "会议通知", "-o", tmp_path / "m.yaml")
    assert gendoc("render", tmp_path / "m.yaml", "-o", tmp_path / "m.docx").returncode == 0
    text = _text(tmp_path / "m.docx")
    for part in ("会议时间", "2月27日，会期半天。", "会议地点", "县卫生健康局四楼会议室。", "参会人员",
                 "会议议程", "传达全省卫生健康工作会议精神。", "有关要求", "联系人：王丽"):
        assert part in text, part


@needs_lo
@pytest.mark.libreoffice
def test_letter_format(tmp_path):
    docx = _render(tmp_path, "函", longer=True)   # two pages: page 2 carries its number
    with zipfile.ZipFile(docx) as z:
        doc = etree.fromstring(z.read("word/document.xml"))
        header = etree.fromstring(z.read("word/header1.xml"))
    assert doc.find(f".//{W}sectPr/{W}titlePg") is not None
    # page 1's header: the organ's name (no 文件), then the 发文字号 under the double line
    texts = ["".join(t.text or "" for t in p.iter(W + "t")) for p in header.iter(W + "p")]
    assert [t for t in texts if t] == ["县卫生健康局", "县卫健函〔2026〕7号"]
    tabs = header.findall(f".//{W}tab[@{W}val='right']")
    assert tabs and all(int(t.get(W + "pos")) == tw(GB.TYPE_AREA_W) for t in tabs)   # 版心 right edge
    with pdfplumber.open(docx.with_suffix(".pdf")) as pdf:
        p1, p2 = pdf.pages[0], pdf.pages[1]
        bars = sorted((c for c in p1.curves + p1.rects if c.get("fill")), key=lambda c: c["top"])
        red = [b for b in bars if tuple(b["non_stroking_color"]) == (1.0, 0.0, 0.0)]
        words1 = p1.extract_text().splitlines()
        words2 = p2.extract_text().splitlines()
    mm = 72 / 25.4
    assert len(red) == 4                       # two double lines
    for b in red:
        assert abs((b["x1"] - b["x0"]) / mm - 170) < 1
    top, bottom = red[:2], red[2:]
    assert top[0]["bottom"] - top[0]["top"] > top[1]["bottom"] - top[1]["top"]        # thick over thin
    assert bottom[0]["bottom"] - bottom[0]["top"] < bottom[1]["bottom"] - bottom[1]["top"]  # thin over thick
    assert abs((p1.height - bottom[1]["bottom"]) / mm - 20) < 1
    assert not any(ln.replace(" ", "").startswith("—") for ln in words1[-2:])   # no page number on page 1
    assert words2[-1].replace(" ", "") == "—2—"


@needs_lo
@pytest.mark.libreoffice
def test_minutes_format(tmp_path):
    docx = _render(tmp_path, "纪要")
    text = _text(docx)
    assert "县卫生健康局党组会议纪要" in text
    assert "出席：李明华、张志刚" in text and "请假：赵伟" in text and "列席：杨帆（局办公室）" in text
    assert "县卫生健康局党组\n" not in text + "\n"        # no 署名
    assert "2026年" not in text.split("出席：")[1]         # no 成文日期 after the body
    with zipfile.ZipFile(docx) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    paras = list(root.iter(W + "p"))
    label = next(p for p in paras if "".join(t.text or "" for t in p.iter(W + "t")).startswith("出席："))
    first = label.find(f"{W}r/{W}rPr/{W}rFonts")
    assert first.get(W + "eastAsia") == "黑体"
    assert next(label.iter(W + "t")).text == "出席："
    # no 主送: the line after the title is the body
    with pdfplumber.open(docx.with_suffix(".pdf")) as pdf:
        lines = pdf.pages[0].extract_text().splitlines()
    assert not any(ln.endswith("：") and len(ln) < 20 and "出席" not in ln for ln in lines[3:6])
    with pdfplumber.open(docx.with_suffix(".pdf")) as pdf:
        red = [c for c in pdf.pages[0].chars if c.get("non_stroking_color") == (1.0, 0.0, 0.0)]
    assert "".join(c["text"] for c in red) == "县卫生健康局党组会议纪要"


@pytest.mark.parametrize("genre", ["函", "纪要", "请示"])
def test_openxml_audit_finds_no_error(tmp_path, genre):
    """The 信函格式 header (anchored shapes), the 纪要 lines and the 上行文 head are valid OOXML."""
    validator = pytest.importorskip("openxml_audit")
    gendoc("new", genre, "-o", tmp_path / "p.yaml")
    assert gendoc("render", tmp_path / "p.yaml", "-o", tmp_path / "p.docx").returncode == 0
    result = validator.OpenXmlValidator().validate(str(tmp_path / "p.docx"))
    assert result.error_count == 0, [str(e) for e in result.errors]


def test_upward_documents_are_checked(tmp_path):
    src = (starters_dir() / "请示.yaml").read_text(encoding="utf-8")
    plan = tmp_path / "q.yaml"
    plan.write_text(src.replace("  signers: [李明华]", "  signers: []")
                    .replace("  recipients: [县人民政府]", "  recipients: [县人民政府, 县财政局]"), encoding="utf-8")
    r = gendoc("check", plan)
    assert r.returncode == 0
    assert "meta: 请示是上行文，应写签发人（meta.signers）" in r.stderr
    assert "meta.recipients: 请示只写一个主送机关" in r.stderr
    assert f"{plan}:" in r.stderr   # located: file and line
