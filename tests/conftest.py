"""Shared helpers for the gendoc tests: paths, rendering a plan into tmp, reading the .docx.

Rendering goes through the library (gendoc.render.render_file); the .docx is read back with
zipfile + lxml (raw OOXML, to the attribute) and python-docx (paragraph text).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import settings
from lxml import etree

# property-based tests are reproducible: the same examples on every run and machine (no
# random seed, no example database that differs between a laptop and CI)
settings.register_profile("gendoc", derandomize=True, database=None, deadline=None, print_blob=True)
settings.load_profile("gendoc")

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
PLANS = ROOT / "plans"


def example_plans() -> list[Path]:
    """The example plans in plans/ (not the branches files that sit beside them)."""
    return sorted(p for p in PLANS.glob("*.yaml") if not p.name.endswith(".branches.yaml"))
FIXTURE_PLANS = TESTS / "plans"

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W_NS}


def w(name: str) -> str:
    """Clark name of a w: attribute or element: w('val') -> '{...main}val'."""
    return f"{{{W_NS}}}{name}"


class Docx:
    """A rendered .docx opened for inspection: parsed parts and paragraph helpers."""

    def __init__(self, path: Path):
        self.path = Path(path)
        with zipfile.ZipFile(self.path) as z:
            self.names = z.namelist()
            self.raw = {n: z.read(n) for n in self.names}
        self.document = etree.fromstring(self.raw["word/document.xml"])
        self.styles = etree.fromstring(self.raw["word/styles.xml"])
        self.settings = etree.fromstring(self.raw["word/settings.xml"])

    def part(self, name: str):
        return etree.fromstring(self.raw[name])

    def xpath(self, expr: str, node=None):
        return (self.document if node is None else node).xpath(expr, namespaces=NS)

    @property
    def body_paragraphs(self):
        """Top-level paragraphs of the body (not those inside tables)."""
        return self.xpath("/w:document/w:body/w:p")

    @property
    def all_paragraphs(self):
        return self.xpath("//w:p")

    @staticmethod
    def text(p) -> str:
        out = []
        for node in p.iter(w("t"), w("tab")):
            if node.tag == w("t"):
                out.append(node.text or "")
            elif node.getparent().tag == w("r"):  # a tab character, not a tab stop in w:tabs
                out.append("\t")
        return "".join(out)

    @staticmethod
    def style(p) -> str | None:
        s = p.find(f"{w('pPr')}/{w('pStyle')}")
        return s.get(w("val")) if s is not None else None

    def paragraphs_with_style(self, style: str):
        return [p for p in self.body_paragraphs if self.style(p) == style]

    def texts(self, style: str | None = None) -> list[str]:
        ps = self.body_paragraphs if style is None else self.paragraphs_with_style(style)
        return [self.text(p) for p in ps]

    def find(self, text: str, style: str | None = None):
        """The first paragraph (anywhere, tables included) whose text equals ``text``."""
        for p in self.all_paragraphs:
            if self.text(p) == text and (style is None or self.style(p) == style):
                return p
        raise AssertionError(f"no paragraph with text {text!r}; have {[self.text(p) for p in self.all_paragraphs]}")

    def style_def(self, style_id: str):
        found = self.styles.xpath(f"w:style[@w:styleId='{style_id}']", namespaces=NS)
        assert found, f"style {style_id} is not defined"
        return found[0]


def render_plan(plan: Path, out_dir: Path, name: str | None = None) -> Path:
    """Render ``plan`` with the library into ``out_dir`` and return the .docx path."""
    from gendoc.render import render_file
    out = Path(out_dir) / ((name or Path(plan).stem) + ".docx")
    result = render_file(Path(plan), out)
    assert result.docx == out and out.is_file()
    return out


@pytest.fixture(scope="session")
def fixture_plans() -> Path:
    return FIXTURE_PLANS


@pytest.fixture(scope="session")
def minimal_plan_text() -> str:
    return (FIXTURE_PLANS / "minimal.yaml").read_text(encoding="utf-8")
