"""Every example plan, rendered through LibreOffice, passes every GB/T 9704 rule of
``gendoc verify``; a long plan (40+ pages) too. These tests need LibreOffice: CI installs it
(scripts/install-deps.sh); elsewhere they skip and say why."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import example_plans

from gendoc.render import render_file
from gendoc.verify import verify

ROOT = Path(__file__).resolve().parent.parent
PLANS = example_plans()

needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None and not os.environ.get("CI"),
    reason="LibreOffice (soffice) not installed: run scripts/install-deps.sh")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf")
    return {p.stem: render_file(p, out / f"{p.stem}.docx", pdf=True) for p in PLANS}


@needs_soffice
@pytest.mark.libreoffice
@pytest.mark.parametrize("stem", [p.stem for p in PLANS])
def test_every_example_plan_passes_every_rule(rendered, stem):
    report = verify(rendered[stem].pdf)
    assert report.ok, report.format()
    applicable = {r.name for r in report.rules if r.applicable}
    # the rules every document has must really have been measured, not skipped
    assert {"paper-a4", "margin-left", "margin-top", "lines-per-page", "chars-per-line",
            "font-body", "font-title", "page-number-position"} <= applicable


@needs_soffice
@pytest.mark.libreoffice
def test_red_header_plan_measures_mark_line_and_banji(rendered):
    report = verify(rendered["mass-line-implementation-plan-2014"].pdf)
    for rule in ("red-mark", "red-line", "doc-number", "banji-bottom", "banji-even-page",
                 "attachment-new-page", "signature-with-body", "page-number-sequence"):
        assert report.rule(rule).applicable and report.rule(rule).passed, report.format()


@needs_soffice
@pytest.mark.libreoffice
def test_estimated_page_count_matches_the_rendered_body(rendered):
    """The typesetter's own page estimate (used for the 版记 page) agrees with LibreOffice
    to within one page for every example plan."""
    import pdfplumber
    for stem, result in rendered.items():
        with pdfplumber.open(result.pdf) as pdf:
            pages = len(pdf.pages)
        if result.layout.banji_page is None:
            assert abs(pages - result.layout.body_pages) <= 1, (stem, pages, result.layout)
        else:  # the 版记 page is the last page of the PDF (blank pages kept)
            assert pages == result.layout.banji_page, (stem, pages, result.layout)


def _long_plan(tmp_path: Path, sections: int = 40) -> Path:
    src = (ROOT / "plans" / "mass-line-implementation-plan-2014.yaml").read_text(encoding="utf-8")
    para = ("各单位要把开展教育实践活动与推进医药卫生体制改革结合起来，围绕群众反映强烈的看病难、"
            "看病贵问题，逐项研究提出解决办法，明确责任单位和完成时限，做到件件有着落、事事有回音。")
    extra = ["sections:"]
    for i in range(sections):
        extra += [f"  - heading: 第{i + 1}项重点工作的具体安排",
                  "    paras:",
                  f"      - {para}",
                  f"      - {para}",
                  "    items:",
                  f"      - {{title: 明确任务, text: {para}}}",
                  f"      - {{title: 落实责任, text: {para}}}"]
    plan = tmp_path / "long.yaml"
    plan.write_text(src.replace("\nresponsibilities:", "\n" + "\n".join(extra) + "\nresponsibilities:"),
                    encoding="utf-8")
    return plan


@needs_soffice
@pytest.mark.libreoffice
def test_a_long_plan_of_forty_pages_renders_and_verifies(tmp_path):
    result = render_file(_long_plan(tmp_path), tmp_path / "long.docx", pdf=True)
    report = verify(result.pdf)
    assert report.page_count >= 40
    assert report.ok, report.format()
