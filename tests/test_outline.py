"""Run-in headings in the outline (issue 10, point 4): a run-in heading （一）标题。正文……
gives Word's navigation pane, pandoc and mammoth only its heading text, and the printed page
stays what it was: one paragraph, the text running on after the heading on the same line.

The outline entry is a heading paragraph of hidden text with a hidden paragraph mark just
before the printed paragraph. (Word's own style separator, w:specVanish, would need no copy,
but LibreOffice 7.4 prints it as two paragraphs: the heading alone on its line.)"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from conftest import NS, PLANS, Docx, render_plan, w

CXZY = PLANS / "cxzy-long-term-mechanism-notice.yaml"
RUN_IN = ["（一）建立常设机构，组织保障到位。", "（二）建立责任机制，落实领导责任。",
          "（三）建立激励机制，引领价值取向。", "（三）强化监督评价机制，推动创先争优社会化。"]
EMPTY = ["（一）成立常设考评机构，确保考评科学公正。", "（二）完善考核评价体系，促进考核成果转化。"]
STANDALONE = ["（一）服务人民群众方面", "（二）维护稳定、促进和谐方面",
              "（一）科学确定争创目标，确保争创活动规范有序", "（二）规范建立各项制度，以落实制度体现机制效能"]
needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None and not os.environ.get("CI"),
    reason="LibreOffice (soffice) not installed: run scripts/install-deps.sh")


@pytest.fixture(scope="module")
def cxzy(tmp_path_factory) -> Path:
    return render_plan(CXZY, tmp_path_factory.mktemp("outline"))


def _hidden(p) -> bool:
    return bool(p.xpath("w:pPr/w:rPr/w:vanish", namespaces=NS))


def test_run_in_heading_is_a_hidden_outline_entry_and_one_printed_paragraph(cxzy):
    d = Docx(cxzy)
    paras = d.body_paragraphs
    entries = [i for i, p in enumerate(paras) if _hidden(p)]
    assert [d.text(paras[i]) for i in entries] == RUN_IN
    for i in entries:
        head, printed = paras[i], paras[i + 1]
        assert d.style(head) == "Heading2"
        runs = head.xpath("w:r", namespaces=NS)
        assert runs and all(r.xpath("w:rPr/w:vanish", namespaces=NS) for r in runs)
        # the printed paragraph: body style (not in the outline), the heading in 楷体, the text after
        assert d.style(printed) == "GwBody"
        text = d.text(printed)
        assert text.startswith(d.text(head)) and len(text) > len(d.text(head))
        first = printed.xpath("w:r[1]/w:rPr/w:rFonts", namespaces=NS)[0]
        assert first.get(w("eastAsia")) == "楷体_GB2312"
        assert not printed.xpath("w:r/w:rPr/w:vanish", namespaces=NS)
    # stand-alone headings stay printed heading paragraphs, kept with the next; a run-in
    # heading whose section has no text is a printed heading paragraph, not kept
    printed = [p for p in paras if d.style(p) == "Heading2" and not _hidden(p)]
    assert sorted(d.text(p) for p in printed) == sorted(STANDALONE + EMPTY)
    for p in printed:
        assert bool(p.xpath("w:pPr/w:keepNext", namespaces=NS)) == (d.text(p) in STANDALONE)


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc not installed (scripts/install-deps.sh)")
def test_pandoc_outline_has_the_heading_text_only(cxzy):
    proc = subprocess.run(["pandoc", "-f", "docx", "-t", "json", str(cxzy)], capture_output=True,
                          text=True, timeout=120, check=True)
    blocks = json.loads(proc.stdout)["blocks"]

    def text(inlines) -> str:
        return "".join(n["c"] if n["t"] == "Str" else " " if n["t"] == "Space"
                       else text(n["c"][1]) if n["t"] == "Span" else "" for n in inlines)
    level2 = [text(b["c"][2]) for b in blocks if b["t"] == "Header" and b["c"][0] == 2]
    assert sorted(level2) == sorted(RUN_IN + EMPTY + STANDALONE)
    # each run-in entry is followed by the printed paragraph, text and all
    for i, b in enumerate(blocks):
        if b["t"] == "Header" and text(b["c"][2]) in RUN_IN:
            nxt = blocks[i + 1]
            assert nxt["t"] == "Para" and text(nxt["c"]).startswith(text(b["c"][2]))


def test_mammoth_outline_has_the_heading_text_only(cxzy):
    mammoth = pytest.importorskip("mammoth")
    with open(cxzy, "rb") as f:
        html = mammoth.convert_to_html(f).value
    h2 = [re.sub(r"<[^>]+>", "", m) for m in re.findall(r"<h2>(.*?)</h2>", html)]
    assert sorted(h2) == sorted(RUN_IN + EMPTY + STANDALONE)


def _lines(pdf: Path) -> list[tuple[int, str]]:
    import pdfplumber
    with pdfplumber.open(str(pdf)) as doc:
        return [(p.page_number, ln.replace(" ", "")) for p in doc.pages
                for ln in (p.extract_text() or "").splitlines()]


@pytest.mark.libreoffice
@needs_soffice
def test_printed_page_is_the_one_paragraph_it_was(cxzy, tmp_path):
    """The same document without the outline entries prints the same lines on the same pages,
    and each run-in heading's line goes on with its text."""
    from gendoc.pdf import docx_to_pdf_many
    plain = tmp_path / "plain.docx"
    with zipfile.ZipFile(cxzy) as zi, zipfile.ZipFile(plain, "w", zipfile.ZIP_DEFLATED) as zo:
        for name in zi.namelist():
            data = zi.read(name)
            if name == "word/document.xml":
                root = etree.fromstring(data)
                for p in root.xpath("//w:body/w:p[w:pPr/w:rPr/w:vanish]", namespaces=NS):
                    p.getparent().remove(p)
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            zo.writestr(name, data)
    shutil.copy(cxzy, tmp_path / "outlined.docx")
    outlined_pdf, plain_pdf = docx_to_pdf_many([tmp_path / "outlined.docx", plain], tmp_path)
    outlined = _lines(outlined_pdf)
    assert outlined == _lines(plain_pdf)
    for head in RUN_IN:
        line = next(t for _, t in outlined if t.startswith(head))
        assert len(line) > len(head), line          # the text runs on after the heading
