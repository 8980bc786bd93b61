"""版记 placement measured on LibreOffice's pages (GB/T 9704 7.4, 7.5; issue: pages a clerk
would sign): for a body that ends on an even page with room, on an odd page, and on an even
page without room, the 版记 is on the page the rule gives, the document has no page more than
that rule needs, and every ``gendoc verify`` rule passes."""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import pdfplumber
import pytest

from gendoc.plan import load_plan
from gendoc.render import build_document, render_file
from gendoc.typeset import Typesetter
from gendoc.verify import verify

needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None and not os.environ.get("CI"),
    reason="LibreOffice (soffice) not installed: run scripts/install-deps.sh")

PARA = ("各单位要把开展教育实践活动与推进医药卫生体制改革结合起来，围绕群众反映强烈的看病难、"
        "看病贵问题，逐项研究提出解决办法，明确责任单位和完成时限，做到件件有着落、事事有回音。")


def _plan(folder: Path, paras: int, short: int) -> Path:
    body = "\n".join(f"      - {PARA}" for _ in range(paras))
    body += "".join("\n      - 请认真落实。" for _ in range(short))
    text = f"""schema_version: 1
template: notice
meta:
  genre: 通知
  title: 关于测试版记位置的通知
  issuer: {{name: 中共测试县卫生局委员会}}
  doc_number: {{code: 卫党发, year: 2014, seq: 3}}
  recipients: [局属各单位]
  cc: [县委督导组, 县委办公室]
  date: 2014-02-27
  printing: {{by: 中共测试县卫生局委员会办公室, date: 2014-02-27}}
sections:
  - heading: 工作安排
    paras:
{body}
"""
    p = folder / f"p{paras}-{short}.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def _layout(plan: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Typesetter().render(build_document(load_plan(plan)))[1]


CASES = {  # (what the estimate says, pages beyond the body's last page)
    "even, room": (lambda l: l.body_pages % 2 == 0 and l.banji_page == l.body_pages, 0),
    "odd": (lambda l: l.body_pages % 2 == 1, 1),
    "even, full": (lambda l: l.body_pages % 2 == 0 and l.blank_before_banji, 2),
}


def _find(folder: Path, case: str) -> Path:
    want, _ = CASES[case]
    for paras in range(4, 40):
        for short in range(6):
            plan = _plan(folder, paras, short)
            if want(_layout(plan)) and _layout(plan).body_pages >= 2:
                return plan
            plan.unlink()
    raise AssertionError(case)


def _banji_page(pdf_path: Path) -> int:
    """The page whose text holds the 版记's 印发 line."""
    with pdfplumber.open(pdf_path) as pdf:
        hits = [i for i, page in enumerate(pdf.pages, 1) if "印发" in (page.extract_text() or "")]
    return hits[-1]


@needs_soffice
@pytest.mark.libreoffice
@pytest.mark.parametrize("case", list(CASES))
def test_banji_on_the_page_the_standard_gives_and_no_page_more(tmp_path, case):
    plan = _find(tmp_path, case)
    result = render_file(plan, tmp_path / "out.docx", pdf=True)
    report = verify(result.pdf)
    assert report.ok, report.format()
    with pdfplumber.open(result.pdf) as pdf:
        pages = len(pdf.pages)
        body_end = max(i for i, page in enumerate(pdf.pages, 1)
                       if "中共测试县卫生局委员会" in (page.extract_text() or "").replace(" ", "")
                       and "印发" not in (page.extract_text() or "")) if case != "even, room" else None
    extra = CASES[case][1]
    assert pages == result.layout.body_pages + extra == result.layout.pages
    assert _banji_page(result.pdf) == pages and pages % 2 == 0
    if body_end is not None:   # the 署名 is on the body's last page, the 版记 after it
        assert body_end == result.layout.body_pages
