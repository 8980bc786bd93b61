"""No holes (issue: pages a clerk would sign): measured on LibreOffice's pages, no page that
the text flows past ends more than two lines early, the 署名 never stands alone, and when the
落款 does not fit under the body the page is set a little tighter (GB/T 9704 7.3.5.5 调整行距)
instead of leaving a half-empty page."""

from __future__ import annotations

import os
import re
import shutil
import warnings
from pathlib import Path

import pdfplumber
import pytest

from conftest import PLANS, example_plans
from gendoc.plan import load_plan
from gendoc.render import build_document, render_file
from gendoc.typeset import GB, Typesetter, tw
from gendoc.verify import verify

needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None and not os.environ.get("CI"),
    reason="LibreOffice (soffice) not installed: run scripts/install-deps.sh")

LINE_MM = tw(GB.LINE) / 1440 * 25.4
TOP_MM, BOTTOM_MM = 37.0, 262.0


def page_lines(pdf_path: Path) -> list[list[tuple[float, str]]]:
    """Per page, the text lines inside the 版心 (top in mm, text), page numbers left out."""
    out = []
    with pdfplumber.open(pdf_path) as pdf:
        for page in pdf.pages:
            rows: dict[float, list[str]] = {}
            for w in page.extract_words():
                top = w["top"] * 25.4 / 72
                if TOP_MM - 3 <= top < BOTTOM_MM:
                    rows.setdefault(round(top, 0), []).append(w["text"])
            out.append([(t, "".join(rows[t])) for t in sorted(rows)])
    return out


def holes(pdf_path: Path) -> list[tuple[int, int]]:
    """(page, lines left empty at its foot) for every page the text flows past: not the last
    page, not a page followed by an attachment's first page, a 版记 page or a blank page."""
    pages = page_lines(pdf_path)
    found = []
    for i, lines in enumerate(pages[:-1]):
        nxt = pages[i + 1]
        if not lines or not nxt or re.match(r"^附件\d*$", nxt[0][1]) or nxt[0][1].startswith("抄送"):
            continue
        if any("印发" in t for _, t in nxt[:3]) and len(nxt) <= 3:
            continue   # the 版记 page
        last_slot = int((lines[-1][0] - TOP_MM) / LINE_MM + 0.3)
        found.append((i + 1, GB.LINES_PER_PAGE - 1 - last_slot))
    return found


@needs_soffice
@pytest.mark.libreoffice
@pytest.mark.parametrize("plan", example_plans(), ids=lambda p: p.stem)
def test_no_page_the_text_flows_past_ends_more_than_two_lines_early(plan, tmp_path):
    result = render_file(plan, tmp_path / "out.docx", pdf=True)
    assert [(page, early) for page, early in holes(result.pdf) if early > 2] == []


@needs_soffice
@pytest.mark.libreoffice
def test_the_example_notice_fills_page_one_and_signs_under_its_attachment_note(tmp_path):
    """The 印发通知: its last paragraph stays on page 1 (which ends at most two lines early);
    the 附件说明 and the 落款 go to page 2 together."""
    result = render_file(PLANS / "mass-line-implementation-plan-2014.yaml", tmp_path / "n.docx", pdf=True)
    pages = page_lines(result.pdf)
    assert pages[0][-1][1].endswith("请及时报告。")
    texts = [t for _, t in pages[1]]
    assert texts[0].startswith("附件：1.") and "中共县卫生局委员会" in texts and "2014年2月27日" in texts
    assert verify(result.pdf).ok


PARA = ("各单位要把开展教育实践活动与推进医药卫生体制改革结合起来，围绕群众反映强烈的看病难、"
        "看病贵问题，逐项研究提出解决办法，明确责任单位和完成时限，做到件件有着落、事事有回音。")


def _plan(folder: Path, paras: int, short: int) -> Path:
    body = "\n".join(f"      - {PARA}" for _ in range(paras)) + "".join("\n      - 请认真落实。" for _ in range(short))
    p = folder / f"s{paras}-{short}.yaml"
    p.write_text(f"""schema_version: 1
template: notice
meta:
  genre: 通知
  title: 关于测试落款位置的通知
  issuer: {{name: 中共测试县卫生局委员会}}
  recipients: [局属各单位]
  date: 2014-02-27
sections:
  - heading: 工作安排
    paras:
{body}
""", encoding="utf-8")
    return p


def _tightened(plan: Path) -> int:
    """How many paragraphs the typesetter set at a tighter pitch for the 落款."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data, _ = Typesetter().render(build_document(load_plan(plan)))
    import io
    import zipfile
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    return len([m for m in re.findall(r'w:line="(\d+)" w:lineRule="exact"', xml)
                if tw(GB.SIGNATURE_MIN_PITCH) <= int(m) < tw(GB.LINE)])


def test_a_tail_that_fits_under_the_body_changes_no_pitch(tmp_path):
    assert _tightened(_plan(tmp_path, 3, 0)) == 0


@needs_soffice
@pytest.mark.libreoffice
def test_a_tail_that_does_not_fit_tightens_its_page_and_signs_there(tmp_path):
    plan = next(p for n in range(5, 12) for k in range(6)
                if _tightened(p := _plan(tmp_path, n, k)))
    result = render_file(plan, tmp_path / "t.docx", pdf=True)
    pages = page_lines(result.pdf)
    last = [t for _, t in pages[-1]]
    assert last[-2:] == ["中共测试县卫生局委员会", "2014年2月27日"] and len(last) > 2   # body above it
    # the 落款 shares its page with the body, the pages before it are full
    assert [(page, early) for page, early in holes(result.pdf) if early > 2] == []
    assert verify(result.pdf).ok, verify(result.pdf).format()
