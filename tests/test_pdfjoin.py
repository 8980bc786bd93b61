"""``batch --pdf`` converts its documents through one joined LibreOffice document and cuts
the PDF back (gendoc.pdfjoin): each PDF must be the PDF of its document converted alone.

Checked on the five example plans (4 to 14 pages, odd and even, with and without a 版记),
joined in one call: the same pages, and on every page the same characters in the same
fonts and sizes, every line at the same height and each character within 0.5 pt of where
the document alone puts it; its own title and its
outline; gendoc verify passes. And the ways it falls back to converting file by file."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gendoc import pdfjoin
from gendoc.pdf import docx_to_pdf_many, have_soffice
from gendoc.plan import load_plan
from gendoc.render import build_document
from gendoc.typeset import Typesetter

from conftest import FIXTURE_PLANS, ROOT, example_plans

pytestmark = pytest.mark.skipif(not have_soffice(), reason="LibreOffice (soffice) not installed")


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("docs")
    out = []
    # minimal: one page; landscape-table: a turned section in the middle of the document
    for plan in [FIXTURE_PLANS / "minimal.yaml", FIXTURE_PLANS / "landscape-table.yaml", *example_plans()]:
        data, _ = Typesetter().render(build_document(load_plan(plan)))
        path = folder / f"{plan.stem}.docx"
        path.write_bytes(data)
        out.append(path)
    return out


def layout(pdf: Path) -> list[tuple[list[tuple], list[tuple]]]:
    """Per page: its characters (text, font, size, x, top) and its rules (x, top, width)."""
    import pdfplumber
    with pdfplumber.open(pdf) as doc:
        return [([(c["text"], c["fontname"].split("+")[-1], round(c["size"], 1), c["x0"], c["top"])
                  for c in page.chars],
                 [(r["x0"], r["top"], r["width"]) for r in page.rects + page.lines]) for page in doc.pages]


def outline(reader, items=None, depth=0) -> list[tuple[str, int, int]]:
    out = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            out += outline(reader, item, depth + 1)
        else:
            out.append((item.title, reader.get_destination_page_number(item), depth, item.typ,
                        round(float(item.left or 0)), round(float(item.top or 0))))
    return out


def same_pages(a: Path, b: Path) -> None:
    """The same pages: the same characters line by line (every top within 0.01 pt) and the
    same rules; across a line, each character within 0.5 pt (0.18 mm) of where the document
    alone puts it (LibreOffice spreads a justified line's slack a little differently in a
    long document: measured here, at most 0.42 pt)."""
    pa, pb = layout(a), layout(b)
    assert len(pa) == len(pb), (a.name, len(pa), len(pb))
    for n, ((ca, ra), (cb, rb)) in enumerate(zip(pa, pb), 1):
        assert [c[:3] for c in ca] == [c[:3] for c in cb], (a.name, n)
        assert max((abs(c[4] - d[4]) for c, d in zip(ca, cb)), default=0) < 0.01, (a.name, n)
        assert max((abs(c[3] - d[3]) for c, d in zip(ca, cb)), default=0) < 0.5, (a.name, n)
        assert len(ra) == len(rb), (a.name, n)
        assert all(abs(x - y) < 0.5 for r, q in zip(ra, rb) for x, y in zip(r, q)), (a.name, n)


def test_joined_pdfs_are_the_documents_converted_alone(tmp_path, docs, monkeypatch):
    import gendoc.pdf
    with monkeypatch.context() as m:   # the joined path, with no file-by-file fallback
        m.setattr(gendoc.pdf, "docx_to_pdf_many", lambda *a, **k: pytest.fail("fell back"))
        joined = pdfjoin.docx_to_pdf_joined(docs, tmp_path / "joined")
    alone = docx_to_pdf_many(docs, tmp_path / "alone")
    from pypdf import PdfReader
    pages = []
    for a, b, src in zip(joined, alone, docs):
        same_pages(a, b)
        assert a.read_bytes()[:8] == b.read_bytes()[:8], src.name   # the same PDF version
        ra, rb = PdfReader(a), PdfReader(b)
        pages.append(len(ra.pages))
        assert ra.metadata["/Title"] == rb.metadata["/Title"]
        assert outline(ra) == outline(rb), src.name
    assert any(p % 2 for p in pages) and any(p % 2 == 0 for p in pages), pages   # both parities met
    for pdf in joined:
        v = subprocess.run([sys.executable, "-m", "gendoc.cli", "verify", str(pdf)], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
        assert v.returncode == 0, (pdf.name, v.stdout[-800:])


def foreign(src: Path, dest: Path) -> Path:
    """A copy of ``src`` with one shared part edited: a package gendoc did not write so."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "word/styles.xml":
                data = data.replace(b"</w:styles>", b"<!-- edited --></w:styles>")
            zout.writestr(info, data)
    return dest


def test_a_package_gendoc_did_not_write_is_converted_alone(tmp_path, docs, monkeypatch):
    other = foreign(docs[0], tmp_path / "other.docx")
    calls = []
    real = pdfjoin._join
    monkeypatch.setattr(pdfjoin, "_join", lambda d: calls.append(d) or real(d))
    pdfs = pdfjoin.docx_to_pdf_joined([docs[1], other], tmp_path / "out")
    assert not calls and all(p.read_bytes().startswith(b"%PDF") for p in pdfs)


def test_a_pdf_that_cannot_be_cut_is_made_file_by_file(tmp_path, docs, monkeypatch):
    monkeypatch.setattr(pdfjoin, "_cut", lambda pdf, d, dests: [])
    pdfs = pdfjoin.docx_to_pdf_joined(docs[:2], tmp_path / "out")
    alone = docx_to_pdf_many(docs[:2], tmp_path / "alone")
    for a, b in zip(pdfs, alone):
        same_pages(a, b)


def test_the_body_of_a_joined_document(docs):
    """Page numbers restart, each document is marked where it starts, and a document's
    section ends on its last paragraph, or on a paragraph of its own after a floating 版记
    table."""
    banji = next(d for d in docs if "mass-line" in d.name)
    for src in (docs[0], banji):
        d = pdfjoin._Doc(src)
        body = d.body(3, last=False)
        assert body.count('<w:pgNumType w:start="1"/>') == 1
        assert 'w:name="gendocjoin00003"' in body
        last_p = body[max(body.rfind("<w:p>"), body.rfind("<w:p ")):]
        assert "<w:sectPr>" in last_p and last_p.count("</w:p>") == 1
        alone = 'w:line="20" w:lineRule="exact"' in last_p and "<w:r>" not in last_p
        assert alone == (src == banji), src.name
        assert d.body(3, last=True).endswith("</w:sectPr>")
        assert d.body(3, last=True).count("<w:sectPr") == 1


def test_a_failed_joined_call_converts_file_by_file(tmp_path, docs, monkeypatch):
    import gendoc.pdf
    real = gendoc.pdf._conversion

    def failing(soffice, sources, timeout, data=None, pdf_filter=gendoc.pdf.PDF_FILTER):
        if pdf_filter == pdfjoin.JOINED_FILTER:
            raise pdfjoin.GendocError("LibreOffice 没有生成 PDF")
        return real(soffice, sources, timeout, data, pdf_filter)
    monkeypatch.setattr(gendoc.pdf, "_conversion", failing)
    pdfs = pdfjoin.docx_to_pdf_joined(docs[:2], tmp_path / "out")
    alone = docx_to_pdf_many(docs[:2], tmp_path / "alone")
    for a, b in zip(pdfs, alone):
        same_pages(a, b)


def test_one_foreign_package_is_converted_alone_and_the_rest_joined(tmp_path, docs, monkeypatch):
    other = foreign(docs[0], tmp_path / "other.docx")
    joined = []
    real = pdfjoin._join
    monkeypatch.setattr(pdfjoin, "_join", lambda d: joined.append([x.path.name for x in d]) or real(d))
    pdfs = pdfjoin.docx_to_pdf_joined([docs[1], other, docs[2]], tmp_path / "out")
    assert joined == [[docs[1].name, docs[2].name]]
    assert all(p.read_bytes().startswith(b"%PDF") for p in pdfs)


def test_a_joined_pdf_that_cannot_be_written_is_converted_again_alone(tmp_path, docs, monkeypatch):
    """The join is cut and written in one step; one PDF that fails to be written (a disk
    error) is converted again by itself, the others are kept as the join made them."""
    import gendoc.pdf
    from gendoc.errors import GendocError
    real_each, real_many = pdfjoin.write_each, gendoc.pdf.docx_to_pdf_many
    again = []

    def write_each(files):
        files = list(files)
        errors = real_each(files[:1] + files[2:])
        return errors[:1] + [GendocError("无法写入：磁盘读写出错", file=str(files[1][0]))] + errors[1:]

    def many(sources, out_dir, timeout=None):
        again.extend(Path(s).name for s in sources)
        return real_many(sources, out_dir, timeout)
    monkeypatch.setattr(pdfjoin, "write_each", write_each)
    monkeypatch.setattr(gendoc.pdf, "docx_to_pdf_many", many)
    pdfs = pdfjoin.docx_to_pdf_joined(docs[:3], tmp_path / "out")
    assert again == [docs[1].name]
    assert all(p.is_file() for p in pdfs)
    for a, b in zip(pdfs, real_many(docs[:3], tmp_path / "alone")):
        same_pages(a, b)
