"""Many of gendoc's own documents to PDF through one LibreOffice document (``batch --pdf``).

LibreOffice spends about 0.13 s of CPU on every document it opens, whatever its length, and
about 0.015 s a page (measured here, LibreOffice 7.4: 0.24 s for an 8-page 实施方案 converted
with 24 others in one call). Documents of one batch share every part of their packages but
``word/document.xml`` (and the properties), so :func:`docx_to_pdf_joined` joins them into one
document, each starting a section of its own, converts that once, and cuts the PDF back into
one file per document: about 0.09 s a document.

What keeps each document's pages as they are when it is converted alone:

* each document starts a new page and its page numbers start at 1 (``w:pgNumType``), so its
  odd and even pages, and the even page its 版记 must fall on, are what they were; where a
  document ends on an odd page, LibreOffice puts a blank page before the next one (page 1 is
  always a right-hand page), and that blank page is not part of either document;
* a bookmark at each document's start becomes a named destination in the PDF
  (``ExportBookmarksToPDFDestination``): the cut is made where LibreOffice put the page,
  not where a page count says it should be;
* each PDF gets its own document's title, and the outline entries (headings) of its pages.

Only packages that gendoc wrote in this way are joined (the same parts besides the document
and its properties, a body that starts with a paragraph and ends with one section's
properties); anything else, and any join whose destinations do not come out one per
document, is converted file by file instead (:func:`gendoc.pdf.docx_to_pdf_many`).
"""

from __future__ import annotations

import hashlib
import html
import importlib
import io
import os
import re
import threading
import zipfile
from pathlib import Path
from typing import Iterable

from .errors import GendocError
from .outputs import write_each

#: the PDF filter of a joined conversion: blank pages a section start inserts are kept (see
#: gendoc.pdf.PDF_FILTER), bookmarks become named destinations
JOINED_FILTER = ('pdf:writer_pdf_Export:{"IsSkipEmptyPages":{"type":"boolean","value":"false"},'
                 '"ExportBookmarksToPDFDestination":{"type":"boolean","value":"true"}}')
#: pages of one joined document: past about 200 the cost per page grows (measured here)
MAX_JOINED_PAGES = 256
_OWN_PARTS = {"word/document.xml", "docProps/core.xml", "docProps/custom.xml"}
_MARK = "gendocjoin"   # letters and digits: LibreOffice writes other characters as hex
_BOOKMARK_ID = 1 << 24        # far above the ids a document's own bookmarks use
_BODY = re.compile(r"<w:body>(.*)</w:body>", re.S)
_LAST_SECT = re.compile(r"(<w:sectPr\b(?:(?!<w:sectPr\b).)*</w:sectPr>)$", re.S)
_FIRST_SECT = re.compile(r"<w:sectPr\b[^>]*>(.*?)</w:sectPr>", re.S)
_PG_NUM = re.compile(r"<w:pgNumType\b([^>]*?)\s*(?:/>|>\s*</w:pgNumType>)")
_TITLE = re.compile(rb"<dc:title>(.*?)</dc:title>", re.S)
_TEXT = re.compile(r"<w:t(?: [^>]*)?>([^<]*)</w:t>")
_FLOATING = re.compile(r"<w:tbl>(?:(?!<w:tbl>).)*?<w:tblpPr\b(?:(?!<w:tbl>).)*</w:tbl>(<w:p\b(?:(?!<w:p\b).)*)$", re.S)


class _Unjoinable(Exception):
    pass


class _Doc:
    """One source package, read for joining."""

    def __init__(self, path: Path):
        self.path = path
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            # the digest of every other part: documents with the same one can be joined
            digest = hashlib.sha256()
            for n in sorted(names):
                if n not in _OWN_PARTS:
                    digest.update(n.encode("utf-8") + b"\0" + hashlib.sha256(z.read(n)).digest())
            self.shared = digest.digest()
            if "word/document.xml" not in names:
                raise _Unjoinable()
            xml = z.read("word/document.xml").decode("utf-8")
            core = z.read("docProps/core.xml") if "docProps/core.xml" in names else b""
        m = _BODY.search(xml)
        if m is None:
            raise _Unjoinable()
        self.head, self.tail = xml[:m.start(1)], xml[m.end(1):]
        body = m.group(1)
        last = _LAST_SECT.search(body)
        if last is None or not body.startswith(("<w:p>", "<w:p ")):
            raise _Unjoinable()
        self.content, self.sect = body[:last.start()], last.group(1)
        if not self.content.endswith("</w:p>"):
            raise _Unjoinable()
        t = _TITLE.search(core)
        self.title = html.unescape(t.group(1).decode("utf-8")) if t else None
        # pages, roughly: 22 lines of 28 characters, less what headings, tables and the 版头 take
        text = sum(len(m) for m in _TEXT.findall(self.content))
        self.pages = 1 + text // 450 + self.content.count('w:type="page"') + self.content.count("<w:sectPr")

    def body(self, index: int, last: bool) -> str:
        """This document's body inside the joined one: a bookmark at its start, page numbers
        from 1, and (unless it is the last) its section's properties on its last paragraph."""
        mark = (f'<w:bookmarkStart w:id="{_BOOKMARK_ID + index}" w:name="{_MARK}{index:05d}"/>'
                f'<w:bookmarkEnd w:id="{_BOOKMARK_ID + index}"/>')
        content = self.content
        first_end = content.index("</w:p>")
        ppr_end = content.find("</w:pPr>", 0, first_end)
        at = ppr_end + len("</w:pPr>") if ppr_end >= 0 else content.index(">") + 1
        content = content[:at] + mark + content[at:]
        sect = self.sect
        first = _FIRST_SECT.search(content)   # a first section that ends inside the body
        if first is not None:
            content = content[:first.start()] + _restart(first.group(0)) + content[first.end():]
        else:
            sect = _restart(sect)
        if last:
            return content + sect
        # the section ends with this document: its properties go on its last paragraph, or,
        # when that is gendoc's one-point closing paragraph that a floating 版记 table is
        # anchored to, on a second one like it (a section's end on the anchor makes LibreOffice
        # set the table in the text instead; the 版记 floats only on a page with room for it)
        p_start = max(content.rfind("<w:p>"), content.rfind("<w:p "))
        last_p = content[p_start:]
        if "<w:sectPr" in last_p or "<w:txbxContent" in last_p or last_p.count("</w:p>") != 1:
            raise _Unjoinable()
        ppr = re.match(r"<w:p\b[^>]*>(<w:pPr>.*?</w:pPr>)", last_p, re.S)
        tail = content[max(0, content.rfind("<w:tbl>")):]
        if ppr is not None and 'w:line="20" w:lineRule="exact"' in ppr.group(1) and _FLOATING.search(tail):
            return content + "<w:p>" + ppr.group(1).replace("</w:pPr>", sect + "</w:pPr>") + "</w:p>"
        if ppr is not None:   # any other last paragraph carries them itself
            return content[:p_start] + last_p.replace("</w:pPr>", sect + "</w:pPr>", 1)
        gt = last_p.index(">") + 1
        return content[:p_start] + last_p[:gt] + f"<w:pPr>{sect}</w:pPr>" + last_p[gt:]


def _restart(sect: str) -> str:
    """A section's properties with its page numbers starting at 1 (a numbering format it
    has is kept)."""
    m = _PG_NUM.search(sect)
    if m:
        attrs = re.sub(r'\s*w:start="[^"]*"', "", m.group(1))
        return sect[:m.start()] + f'<w:pgNumType{attrs} w:start="1"/>' + sect[m.end():]
    # w:pgNumType comes after w:pgMar/w:paperSrc/w:pgBorders/w:lnNumType in CT_SectPr
    m = re.search(r"<w:(?:cols|formProt|vAlign|noEndnote|titlePg|textDirection|bidi|rtlGutter|docGrid"
                  r"|printerSettings|sectPrChange)\b", sect)
    at = m.start() if m else sect.rindex("</w:sectPr>")
    return sect[:at] + '<w:pgNumType w:start="1"/>' + sect[at:]


def _join(docs: list[_Doc]) -> bytes:
    """The joined package: the first document's parts, the bodies one after another."""
    bodies = "".join(d.body(i, i == len(docs) - 1) for i, d in enumerate(docs))
    xml = docs[0].head + bodies + docs[0].tail
    buf = io.BytesIO()
    with zipfile.ZipFile(docs[0].path) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = xml.encode("utf-8") if info.filename == "word/document.xml" else zin.read(info)
            zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
    return buf.getvalue()


def _groups(docs: list[_Doc]) -> list[list[int]]:
    """Indexes of the documents joined together: in order, up to MAX_JOINED_PAGES pages."""
    groups: list[list[int]] = []
    pages = 0
    for i, d in enumerate(docs):
        if not groups or pages + d.pages > MAX_JOINED_PAGES:
            groups.append([])
            pages = 0
        groups[-1].append(i)
        pages += d.pages
    return groups


def docx_to_pdf_joined(srcs: Iterable[str | os.PathLike], out_dir: str | os.PathLike,
                       timeout: float | None = None) -> list[Path]:
    """Convert gendoc's .docx files to ``out_dir/<stem>.pdf`` through joined documents (module
    docstring), in one soffice call; returns the PDFs in order. Documents that share their
    other parts are joined together; any that cannot be joined, and any join whose PDF cannot
    be cut as it should, are converted file by file."""
    from .pdf import _conversion, _require_soffice, docx_to_pdf_many
    sources = [Path(s) for s in srcs]
    dests = [Path(out_dir) / f"{s.stem}.pdf" for s in sources]
    if len(sources) < 2 or len(set(dests)) != len(dests):
        return docx_to_pdf_many(sources, out_dir, timeout)
    alike: dict[bytes, list[int]] = {}   # the other parts' digest -> the documents that have them
    docs: dict[int, _Doc] = {}
    for i, src in enumerate(sources):
        try:
            d = docs[i] = _Doc(src)
        except (_Unjoinable, zipfile.BadZipFile, OSError, UnicodeDecodeError, KeyError):
            continue
        alike.setdefault(d.shared, []).append(i)
    groups: list[list[int]] = []
    joined: list[bytes] = []
    for members in alike.values():
        for group in _groups([docs[i] for i in members]) if len(members) > 1 else []:
            try:   # the joined documents exist only in the conversion's private folder
                joined.append(_join([docs[members[k]] for k in group]))
            except _Unjoinable:
                continue
            groups.append([members[k] for k in group])
    done: set[int] = set()
    if groups:
        soffice = _require_soffice()
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        names = [Path(out_dir) / f"gendoc-joined-{g:04d}.docx" for g in range(len(groups))]
        # pikepdf (0.1 s to import) is loaded while LibreOffice works, not after
        loading = threading.Thread(target=importlib.import_module, args=("pikepdf",), daemon=True)
        loading.start()
        try:
            with _conversion(soffice, names, timeout, data=joined, pdf_filter=JOINED_FILTER) as (pdfs, _w):
                del joined
                loading.join()
                for members, pdf in zip(groups, pdfs):
                    try:
                        written = _cut(pdf, [docs[i] for i in members], [dests[i] for i in members])
                        done.update(members[k] for k in written)
                    except Exception:   # noqa: BLE001 - a PDF pikepdf cannot read: converted alone
                        continue
        except GendocError:
            pass   # converted one by one: each failure is then told of its own file
    left = [i for i in range(len(sources)) if i not in done]
    if left:
        docx_to_pdf_many([sources[i] for i in left], out_dir, timeout)
    return dests


def _cut(pdf: Path, docs: list[_Doc], dests: list[Path]) -> list[int]:
    """Cut a joined PDF into its documents' PDFs (with pikepdf: qpdf copies the pages and what
    they use; pypdf took three times as long here); returns the positions of those written (a
    file that cannot be written fails alone), none when its named destinations are not one
    per document, in order, or a document's last page holds nothing but its page number (a
    page the joined document would have added)."""
    import pikepdf
    with pikepdf.open(pdf) as src:
        pages = src.pages
        number = {p.obj.objgen: n for n, p in enumerate(pages)}   # page object -> index
        named = _named_destinations(src)

        def page_of(dest) -> int | None:
            dest = _resolve(dest, named)
            if dest is not None and isinstance(dest[0], pikepdf.Dictionary):
                return number.get(dest[0].objgen)
            return None
        starts = []
        for i in range(len(docs)):
            dest = named.get(f"{_MARK}{i:05d}")
            start = None if dest is None else page_of(dest)
            if start is None:
                return []
            starts.append(start)
        if starts[0] != 0 or any(b <= a for a, b in zip(starts, starts[1:])):
            return []
        ends = starts[1:] + [len(pages)]
        outline = _outline(src, page_of, named)
        # as bytes: a value kept as an object of its own belongs to src
        info = {k: bytes(v) for k, v in src.docinfo.items()
                if isinstance(v, pikepdf.String) and str(k) != "/Title"}
        out = []
        for doc, start, end in zip(docs, starts, ends):
            while end - 1 > start and _blank(pages[end - 1]):
                end -= 1   # the blank page before the next document's page 1
            if _text_runs(pages[end - 1]) < 4:
                return []
            dst = pikepdf.new()
            dst.pages.extend(pages[start:end])
            mine = [entry for entry in outline if start <= entry[1] < end]
            # a document whose headings start below the first level has them under the previous
            # document's last heading in the joined outline: its own outline starts at its top
            top = min((entry[2] for entry in mine), default=0)
            with dst.open_outline() as own:
                parents: list = []
                for title, page, level, where in mine:
                    level -= top
                    del parents[level:]
                    item = pikepdf.OutlineItem(title, page - start, **where)
                    (parents[-1].children if parents else own.root).append(item)
                    parents.append(item)
            for k, v in info.items():   # the title is the first document's: each gets its own
                dst.docinfo[k] = pikepdf.String(v)
            if doc.title:
                dst.docinfo["/Title"] = pikepdf.String(doc.title)
            buf = io.BytesIO()
            dst.save(buf, min_version=src.pdf_version)   # a new PDF is 1.3; LibreOffice's 1.6 stays
            out.append(buf.getvalue())
    # one sync for them all, then each renamed; one that fails is converted again alone
    return [k for k, error in enumerate(write_each(zip(dests, out))) if error is None]


def _resolve(dest, named: dict):
    """A destination as its array ([page, /XYZ, left, top, zoom] …), or None."""
    import pikepdf
    if isinstance(dest, (pikepdf.String, pikepdf.Name)):
        dest = named.get(str(dest).lstrip("/"))
    if isinstance(dest, pikepdf.Dictionary) and "/D" in dest:
        dest = dest.D
    return dest if isinstance(dest, pikepdf.Array) and len(dest) else None


def _named_destinations(src) -> dict:
    """Named destinations by name: the catalogue's /Dests (where LibreOffice puts them) and
    the /Names tree."""
    import pikepdf
    out = {}
    root = src.Root
    if "/Dests" in root:
        out.update((str(k).lstrip("/"), v) for k, v in root.Dests.items())
    if "/Names" in root and "/Dests" in root.Names:
        out.update((str(k), v) for k, v in pikepdf.NameTree(root.Names.Dests).items())
    return out


_TEXT_RUN = re.compile(rb"\b(?:Tj|TJ)\b")
_MARKING = re.compile(rb"\b(?:Tj|TJ|Do|re|l|c|f|S|B|sh)\b")   # text, images, paths, shadings


def _content(page) -> bytes:
    import pikepdf
    contents = page.obj.get("/Contents")
    if contents is None:
        return b""
    if isinstance(contents, pikepdf.Array):
        return b"\n".join(c.read_bytes() for c in contents)
    return contents.read_bytes()


def _text_runs(page) -> int:
    return len(_TEXT_RUN.findall(_content(page)))


def _blank(page) -> bool:
    """A page with nothing on it (LibreOffice's page before a right-hand page 1)."""
    return not _MARKING.search(_content(page))


def _outline(src, page_of, named: dict) -> list[tuple[str, int, int, dict]]:
    """The PDF outline flattened: (title, page number, depth, where on the page: the
    OutlineItem arguments that keep it; an empty left or zoom of an /XYZ is written as 0,
    which LibreOffice's numeric ones never are)."""
    import pikepdf
    out: list[tuple[str, int, int, dict]] = []

    def where(dest) -> dict:
        dest = _resolve(dest, named)
        if dest is None or len(dest) < 2 or dest[1] != pikepdf.Name.XYZ:
            return {}
        values = dict(zip(("left", "top", "zoom"), list(dest)[2:5]))
        return dict(page_location=pikepdf.PageLocation.XYZ,
                    **{k: float(v) for k, v in values.items() if v is not None})

    def walk(items, level):
        for item in items:
            dest = item.destination
            if dest is None and item.action is not None and item.action.get("/S") == pikepdf.Name.GoTo:
                dest = item.action.D
            page = page_of(dest) if dest is not None else None
            if page is not None:
                out.append((str(item.title), page, level, where(dest)))
            walk(item.children, level + 1)
    try:   # read only: the outline is not written back (no ``with``)
        walk(src.open_outline().root, 0)
    except Exception:   # noqa: BLE001 - a PDF without a readable outline keeps none
        return []
    return out
