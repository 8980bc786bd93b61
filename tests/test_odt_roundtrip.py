"""A document round-tripped through LibreOffice (.docx → .odt → .docx, as a clerk who saves
it in LibreOffice's own format and back does) keeps its pages and its 版记 at the foot of the
last, even page (issue 10, point 7), in all three placements: floating at the foot of the
last body page (the example 印发通知), a section of its own on the next even page, and a blank
page before the 版记 page. What changes is in README (layout choices: .odt)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pdfplumber
import pytest

from gendoc.render import render_file
from gendoc.verify import verify

from conftest import PLANS, TESTS

sys.path.insert(0, str(TESTS))
from test_banji_pdf import _banji_page, _find  # noqa: E402  (plans for the three placements)

pytestmark = [pytest.mark.libreoffice, pytest.mark.skipif(
    shutil.which("soffice") is None and not os.environ.get("CI"),
    reason="LibreOffice (soffice) not installed: run scripts/install-deps.sh")]

MASS_LINE = PLANS / "mass-line-implementation-plan-2014.yaml"
# rules a round trip must keep; the line-breaking rule is not among them (README: .odt)
KEPT = ("paper-a4", "margin-left", "margin-top", "lines-per-page", "page-number-position",
        "page-number-sequence", "banji-bottom", "banji-even-page", "no-blank-pages")


def _convert(src: Path, to: str, out_dir: Path, profile: Path) -> Path:
    out_dir.mkdir(exist_ok=True)
    subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
                    "--convert-to", to, "--outdir", str(out_dir), str(src)],
                   check=True, capture_output=True, timeout=180)
    out = out_dir / (src.stem + "." + to)
    assert out.is_file(), out
    return out


def _pages(pdf: Path) -> int:
    with pdfplumber.open(str(pdf)) as doc:
        return len(doc.pages)


@pytest.mark.parametrize("case", ["example", "even, room", "odd", "even, full"])
def test_round_trip_keeps_the_banji_at_the_foot_of_an_even_page(tmp_path, case):
    plan = MASS_LINE if case == "example" else _find(tmp_path, case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = render_file(plan, tmp_path / "doc.docx", pdf=True)
    profile = tmp_path / "profile"
    odt = _convert(result.docx, "odt", tmp_path / "odt", profile)
    back = _convert(odt, "docx", tmp_path / "back", profile)
    pages = _pages(result.pdf)
    assert pages == result.layout.pages and pages % 2 == 0
    for doc in (odt, back):
        pdf = tmp_path / f"{doc.parent.name}.pdf"
        report = verify(doc, keep_pdf=pdf)
        assert _pages(pdf) == pages, (doc.name, report.format())
        assert _banji_page(pdf) == pages
        for name in KEPT:
            assert report.rule(name).passed, report.rule(name).format()
