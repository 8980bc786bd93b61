"""The .docx as other programs read it: an Open XML SDK-rule validator finds no error, and
pandoc sees every 一、/（一） heading as a heading of its level (Word's navigation pane and
tables of contents use the same built-in heading styles)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURE_PLANS, example_plans, render_plan

PLANS = example_plans() + [FIXTURE_PLANS / n for n in ("layout.yaml", "escaping.yaml", "unsealed.yaml",
                                                       "minimal.yaml")]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("ooxml")
    return {p.stem: render_plan(p, out) for p in PLANS}


@pytest.mark.parametrize("stem", [p.stem for p in PLANS])
def test_openxml_audit_finds_no_error(rendered, stem):
    validator = pytest.importorskip("openxml_audit")
    result = validator.OpenXmlValidator().validate(str(rendered[stem]))
    assert result.error_count == 0, [str(e) for e in result.errors]


def _header_texts(doc: Path) -> list[tuple[int, str]]:
    proc = subprocess.run(["pandoc", "-t", "json", str(doc)], capture_output=True, text=True,
                          timeout=120, check=True)

    def text(inlines) -> str:
        out = []
        for node in inlines:
            kind, content = node["t"], node.get("c")
            if kind == "Str":
                out.append(content)
            elif kind == "Space":
                out.append(" ")
            elif kind in ("Span", "Link"):
                out.append(text(content[1]))
            elif kind in ("Emph", "Strong", "Underline", "SmallCaps"):
                out.append(text(content))
        return "".join(out)
    return [(b["c"][0], text(b["c"][2])) for b in json.loads(proc.stdout)["blocks"] if b["t"] == "Header"]


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc not installed (scripts/install-deps.sh)")
@pytest.mark.parametrize("stem", [p.stem for p in example_plans()])
def test_pandoc_sees_every_numbered_heading_at_its_level(rendered, stem):
    import docx
    headers = _header_texts(rendered[stem])
    d = docx.Document(str(rendered[stem]))
    # printed paragraphs (a run-in heading's outline entry is a hidden paragraph before it)
    printed = [p for p in d.paragraphs if not (p.runs and all(r.font.hidden for r in p.runs))]
    h1 = [p.text for p in printed if re.match(r"^[一二三四五六七八九十百]+、", p.text)]
    h2 = [p.text for p in printed if re.match(r"^（[一二三四五六七八九十百]+）", p.text)]
    assert h1 or h2
    assert [t for lvl, t in headers if lvl == 1] == h1
    assert [t[:6] for lvl, t in headers if lvl == 2] == [t[:6] for t in h2]
    assert all(lvl <= 4 for lvl, _ in headers)


def test_heading_styles_are_the_built_in_ones(rendered):
    from lxml import etree
    import zipfile
    styles = etree.fromstring(zipfile.ZipFile(rendered["layout"]).read("word/styles.xml"))
    ns = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
    for level in range(1, 5):
        style = styles.find(f"w:style[@w:styleId='Heading{level}']", ns)
        assert style is not None
        assert style.find("w:name", ns).get(f"{{{ns['w']}}}val") == f"heading {level}"
        outline = style.find("w:pPr/w:outlineLvl", ns)
        assert outline.get(f"{{{ns['w']}}}val") == str(level - 1)
