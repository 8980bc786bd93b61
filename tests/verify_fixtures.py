"""Hand-built .docx documents for the conformance checker (``gendoc.verify``).

They are typed with python-docx directly, not with gendoc's writer, so that the checker is
tested on "a document somebody else typed". :func:`build` makes the good document that
follows the measured 22 × 28 recipe (docs/rendering.md §3); its keyword arguments break one
thing at a time (:data:`VARIANTS`). :func:`render` converts with LibreOffice using the project's font aliases.
"""

from __future__ import annotations

import io
import struct
import subprocess
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor, Twips

FANGSONG = "仿宋_GB2312"
HEI = "黑体"
KAI = "楷体_GB2312"
SONG = "宋体"
XBS = "方正小标宋简体"


@dataclass
class Variant:
    """What to break. The defaults give the good document."""

    left_twips: int = 1587
    char_spacing: int = -5          # w:spacing/@w:val on the Normal style (twentieths of a pt)
    red_line: bool = True
    doc_number: str = "卫党发〔2014〕3号"
    attachment_page_break: bool = True
    banji: bool = True
    header: bool = True             # False: no 版头 at all (a plan, not a 文件)
    blank_page: bool = False        # an empty page after the body
    # documents typed elsewhere
    paper: tuple[int, int] = (11906, 16838)     # twips; (12240, 15840) is US Letter
    top_twips: int = 2098           # 1440: Word's default 25.4 mm
    page_header: str | None = None  # a 页眉 with this text on every page
    page_header_pt: float = 10.5    # its size (五号)
    page_header_rule: bool = True   # and the bottom border Chinese Word gives a 页眉
    one_page: bool = False          # title, 主送, one paragraph, 特此通知 and nothing else
    page_numbers: bool = True
    mark_before: int = 1804         # space above the mark (twips): top edge at 72 mm
    red_in_body: str | None = None  # a phrase of the first body paragraph printed red
    body_font: str = FANGSONG       # East Asian font the body paragraphs ask for
    char_grid: bool = False         # Word's 28-character grid (docGrid linesAndChars)
    mirrored: bool = False          # Word's mirrored margins: even pages bound on the right
    mark_picture: bool = False      # the 发文机关标志 as a red picture
    scan: bool = False              # nothing but a picture of a page (a scanned document)
    word_defaults: bool = False     # typed on python-docx's (Word's) defaults: Letter, 11 pt
                                    # theme fonts, 25.4 mm top margin, a 页眉, no 公文 settings


# --------------------------------------------------------------------------- XML helpers
def _el(tag: str, **attrs: str):
    el = OxmlElement(tag)
    for k, v in attrs.items():
        el.set(qn(f"w:{k}"), str(v))
    return el


def _replace(parent, tag: str, **attrs: str):
    for old in parent.findall(qn(tag)):
        parent.remove(old)
    el = _el(tag, **attrs)
    parent.append(el)
    return el


def _set_fonts(rpr, east_asia: str, latin: str = "Times New Roman") -> None:
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = _el("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in list(rfonts.attrib):
        if attr.endswith("Theme"):
            del rfonts.attrib[attr]
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:cs"), latin)


def _run(par, text: str, font: str = FANGSONG, size: float | None = None,
         color: str | None = None, latin: str = "Times New Roman"):
    run = par.add_run(text)
    rpr = run._r.get_or_add_rPr()
    _set_fonts(rpr, font, latin)
    if size:
        run.font.size = Pt(size)
    if color:
        run.font.color.rgb = RGBColor.from_string(color)
    return run


def _exact(par, twips: int = 579, indent: int | None = None, align=None) -> None:
    pf = par.paragraph_format
    ppr = par._p.get_or_add_pPr()
    _replace(ppr, "w:spacing", before="0", after="0", line=str(twips), lineRule="exact")
    if indent is not None:
        _replace(ppr, "w:ind", firstLineChars=str(indent * 200 // 640), firstLine=str(indent))
    if align is not None:
        pf.alignment = align


# --------------------------------------------------------------------------- document
BODY = ("为深入贯彻落实全市卫生工作会议精神，进一步加强基层卫生服务能力建设，提高人民群众健康水平，"
        "经研究决定，在全市范围内组织开展基层卫生服务能力提升行动。各单位要充分认识此项工作的重要意义，"
        "切实加强组织领导，明确责任分工，细化工作措施，确保各项任务落到实处。"
        "要坚持问题导向，聚焦群众反映强烈的突出问题，集中力量攻坚克难，"
        "在今年年底前取得阶段性成效，形成一批可复制可推广的经验做法。")
# LibreOffice puts ~4 pt around a run of Arabic digits inside CJK text even with
# autoSpaceDE/DN off, so such a line holds 27 characters; digits appear only here.
OPENING = BODY.replace("今年年底", "2014年底")


def _body(doc, text: str = BODY, font: str = FANGSONG, red: str | None = None):
    par = doc.add_paragraph()
    _exact(par, indent=640, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    if red and red in text:
        before, after = text.split(red, 1)
        _run(par, before, font=font)
        _run(par, red, font=font, color="FF0000")
        _run(par, after, font=font)
    else:
        _run(par, text, font=font)
    return par


def _blank(doc):
    par = doc.add_paragraph()
    _exact(par)
    return par


def _style_normal(doc, char_spacing: int, autospace: bool = False) -> None:
    styles = doc.styles.element
    # docDefaults: drop theme fonts, set zh-CN
    rpr_default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(rpr_default, FANGSONG)
    _replace(rpr_default, "w:lang", val="en-US", eastAsia="zh-CN", bidi="ar-SA")
    ppr_default = styles.find(qn("w:docDefaults")).find(qn("w:pPrDefault"))
    if ppr_default is not None:
        ppr = ppr_default.find(qn("w:pPr"))
        if ppr is not None:
            _replace(ppr, "w:spacing", before="0", after="0", line="579", lineRule="exact")

    normal = doc.styles["Normal"].element
    rpr = normal.get_or_add_rPr()
    _set_fonts(rpr, FANGSONG)
    _replace(rpr, "w:spacing", val=str(char_spacing))
    _replace(rpr, "w:sz", val="32")
    _replace(rpr, "w:szCs", val="32")
    _replace(rpr, "w:lang", val="en-US", eastAsia="zh-CN", bidi="ar-SA")
    ppr = normal.get_or_add_pPr()
    _replace(ppr, "w:widowControl", val="0")
    if autospace is False:
        # LibreOffice adds ~1/4 em between CJK and Latin text ("2014年"): 27 characters
        _replace(ppr, "w:autoSpaceDE", val="0")
        _replace(ppr, "w:autoSpaceDN", val="0")
    _replace(ppr, "w:spacing", before="0", after="0", line="579", lineRule="exact")

    settings = doc.settings.element
    tfl = settings.find(qn("w:themeFontLang"))
    if tfl is not None:
        tfl.set(qn("w:eastAsia"), "zh-CN")


def _page_field(par, odd: bool) -> None:
    ppr = par._p.get_or_add_pPr()
    if odd:
        par.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _replace(ppr, "w:ind", right="280")
    else:
        par.alignment = WD_ALIGN_PARAGRAPH.LEFT
        _replace(ppr, "w:ind", left="280")

    def run(text=None):
        r = _run(par, text or "", font=SONG, size=14, latin=SONG)
        rpr = r._r.get_or_add_rPr()
        rpr.find(qn("w:rFonts")).set(qn("w:hint"), "eastAsia")
        _replace(rpr, "w:spacing", val="0")
        return r

    run("— ")
    r = run()
    r._r.append(_el("w:fldChar", fldCharType="begin"))
    r = run()
    instr = _el("w:instrText")
    instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    instr.text = " PAGE "
    r._r.append(instr)
    r = run()
    r._r.append(_el("w:fldChar", fldCharType="separate"))
    run("1")
    r = run()
    r._r.append(_el("w:fldChar", fldCharType="end"))
    run(" —")


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A one-colour PNG, made here so that no image file is committed."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _page_header(sec, text: str, size: float, rule: bool) -> None:
    """A 页眉 on odd and even pages, as Word and WPS let a clerk type one."""
    for header in (sec.header, sec.even_page_header):
        par = header.paragraphs[0]
        par.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(par, text, font=SONG, size=size, latin=SONG)
        if rule:
            pbdr = _el("w:pBdr")
            pbdr.append(_el("w:bottom", val="single", sz="6", space="1", color="000000"))
            par._p.get_or_add_pPr().append(pbdr)


def _banji(doc) -> None:
    """抄送 + 印发 on a new page: 20 empty lines, then a 2-row table with thick/thin/thick
    rules on lines 21-22, so that its last rule sits on the bottom edge of the 版心. LibreOffice
    snaps every paragraph to the docGrid line pitch, and the borders add ~3 pt, so the rows are
    27.5 pt high (calibrated on LibreOffice 7.4). The document ends with the table: an empty
    paragraph after it would take one more grid line and spill onto a new page."""
    for i in range(20):
        par = _blank(doc)
        if i == 0:
            par.paragraph_format.page_break_before = True
    table = doc.add_table(rows=2, cols=1)
    tblpr = table._tbl.tblPr
    for child in list(tblpr):
        if child.tag != qn("w:tblStyle"):
            tblpr.remove(child)
    # schema order: tblW, tblBorders, tblCellMar
    tblpr.append(_el("w:tblW", w="8845", type="dxa"))
    borders = _el("w:tblBorders")
    borders.append(_el("w:top", val="single", sz="8", space="0", color="000000"))
    borders.append(_el("w:left", val="nil"))
    borders.append(_el("w:bottom", val="single", sz="8", space="0", color="000000"))
    borders.append(_el("w:right", val="nil"))
    borders.append(_el("w:insideH", val="single", sz="6", space="0", color="000000"))
    borders.append(_el("w:insideV", val="nil"))
    tblpr.append(borders)
    mar = _el("w:tblCellMar")
    mar.append(_el("w:left", w="0", type="dxa"))
    mar.append(_el("w:right", w="0", type="dxa"))
    tblpr.append(mar)
    for row, text in zip(table.rows, ["抄送：市委办公室，市人大办公室，市政府办公室。",
                                      "某某市卫生局办公室\u3000\u3000\u3000\u3000\u3000"
                                      "\u3000\u3000\u3000\u30002014年3月5日印发"]):
        trpr = row._tr.get_or_add_trPr()
        trpr.append(_el("w:trHeight", val="550", hRule="exact"))
        cell_par = row.cells[0].paragraphs[0]
        _exact(cell_par, twips=579)
        ppr = cell_par._p.get_or_add_pPr()
        _replace(ppr, "w:ind", left="280", right="280")
        _run(cell_par, text, size=14)


VARIANTS: dict[str, Variant] = {
    "good": Variant(),
    "left_20mm": Variant(left_twips=1134),          # 20 mm binding margin
    "spacing_0": Variant(char_spacing=0),           # no -0.25 pt: 27 characters a line
    "no_red_line": Variant(red_line=False),
    "square_brackets": Variant(doc_number="卫党发【2014】3号"),
    "attachment_inline": Variant(attachment_page_break=False),
    "no_header": Variant(header=False),
    "blank_page": Variant(blank_page=True),
    # documents typed elsewhere (Word/WPS habits)
    "page_header": Variant(page_header="某某市卫生局"),
    "page_header_plain": Variant(page_header="某某市卫生局", page_header_pt=16,
                                 page_header_rule=False),
    "letter": Variant(paper=(12240, 15840)),
    "one_page": Variant(one_page=True, header=False, page_numbers=False),
    "one_page_header": Variant(one_page=True, page_numbers=False),
    "one_page_top_25mm": Variant(one_page=True, header=False, page_numbers=False, top_twips=1440),
    "mark_at_top": Variant(mark_before=0),
    "red_in_body": Variant(header=False, red_in_body="基层卫生服务能力提升行动"),
    "body_song": Variant(body_font=SONG),
    "body_unknown_fangsong": Variant(body_font="仿宋体"),
    "char_grid": Variant(char_grid=True, char_spacing=0),
    "mark_picture": Variant(mark_picture=True),
    "mirrored": Variant(mirrored=True),
    "scan": Variant(scan=True),
    "word_defaults": Variant(word_defaults=True),
}


def _build_word_defaults(path: Path) -> Path:
    doc = Document()
    doc.sections[0].header.paragraphs[0].text = "内部资料 注意保存"
    doc.add_paragraph("关于做好防汛工作的通知").alignment = WD_ALIGN_PARAGRAPH.CENTER
    for _ in range(12):
        doc.add_paragraph(BODY)
    doc.save(path)
    return path


def build(path: Path, variant: Variant | None = None) -> Path:
    v = variant or Variant()
    if v.word_defaults:
        return _build_word_defaults(path)
    doc = Document()
    _style_normal(doc, v.char_spacing)

    sec = doc.sections[0]
    sec.page_width, sec.page_height = Twips(v.paper[0]), Twips(v.paper[1])
    sec.top_margin, sec.bottom_margin = Twips(v.top_twips), Twips(1984)
    sec.left_margin = Twips(v.left_twips)
    sec.right_margin = Twips(1474)
    sec.header_distance = Twips(851)
    sec.footer_distance = Twips(1360)
    sectpr = sec._sectPr
    if v.char_grid:     # 28 characters of the 16 pt Normal style: pitch 15.79 pt
        _replace(sectpr, "w:docGrid", type="linesAndChars", linePitch="579", charSpace="-849")
    else:
        _replace(sectpr, "w:docGrid", type="lines", linePitch="579")
    if v.scan:
        doc.add_paragraph().add_run().add_picture(io.BytesIO(png(30, 40, (235, 235, 235))),
                                                  width=Mm(150))
        doc.save(path)
        return path
    doc.settings.odd_and_even_pages_header_footer = True
    if v.mirrored:
        doc.settings.element.append(_el("w:mirrorMargins"))
    if v.page_numbers:
        _page_field(sec.footer.paragraphs[0], odd=True)
        _page_field(sec.even_page_footer.paragraphs[0], odd=False)
    if v.page_header:
        _page_header(sec, v.page_header, v.page_header_pt, v.page_header_rule)

    # --- 版头
    if v.header:
        mark = doc.add_paragraph()
        _exact(mark, twips=1000, align=WD_ALIGN_PARAGRAPH.CENTER)
        # top edge 72 mm from the sheet top (7.2.4: 35 mm below the 版心 top)
        mark.paragraph_format.space_before = Twips(v.mark_before)
        if v.mark_picture:
            mark.paragraph_format.line_spacing_rule = None
            _replace(mark._p.get_or_add_pPr(), "w:spacing", before=str(v.mark_before), after="0")
            mark.add_run().add_picture(io.BytesIO(png(40, 5, (255, 0, 0))), width=Mm(110))
        else:
            _run(mark, "某某市卫生局文件", font=XBS, size=36, color="FF0000", latin=XBS)
        _blank(doc)
        _blank(doc)
        num = doc.add_paragraph()
        _exact(num, align=WD_ALIGN_PARAGRAPH.CENTER)
        _run(num, v.doc_number)
        if v.red_line:
            pbdr = _el("w:pBdr")
            pbdr.append(_el("w:bottom", val="single", sz="12", space="6", color="FF0000"))
            num._p.get_or_add_pPr().append(pbdr)
        _blank(doc)
        _blank(doc)
    # --- 主体
    title = doc.add_paragraph()
    _exact(title, align=WD_ALIGN_PARAGRAPH.CENTER)
    _run(title, "关于开展基层卫生服务能力提升行动的通知", font=XBS, size=22, latin=XBS)
    _blank(doc)
    to = doc.add_paragraph()
    _exact(to)
    _run(to, "各区卫生局，局属各单位：", font=v.body_font)
    if v.one_page:
        _body(doc, OPENING[:100], font=v.body_font, red=v.red_in_body)
        _body(doc, "特此通知。", font=v.body_font)
        doc.save(path)
        return path
    _body(doc, OPENING, font=v.body_font, red=v.red_in_body)
    for i, (h1, h2) in enumerate([("一、总体要求", "（一）工作目标。"),
                                   ("二、主要任务", "（一）完善服务网络。"),
                                   ("三、保障措施", "（一）加强组织领导。")]):
        par = doc.add_paragraph()
        _exact(par, indent=640)
        _run(par, h1, font=HEI)
        par = doc.add_paragraph()
        _exact(par, indent=640, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
        _run(par, h2, font=KAI)
        _run(par, BODY, font=v.body_font)
        for _ in range(2):
            _body(doc, font=v.body_font)
    _body(doc, "特此通知。", font=v.body_font)
    if v.blank_page:
        for _ in range(2):
            _blank(doc).paragraph_format.page_break_before = True
    _blank(doc)
    par = doc.add_paragraph()
    _exact(par, indent=640)
    _run(par, "附件：基层卫生服务能力提升行动任务分解表")
    # --- 附件
    label = doc.add_paragraph()
    _exact(label)
    if v.attachment_page_break:
        label.paragraph_format.page_break_before = True
    _run(label, "附件1", font=HEI, latin=HEI)
    _blank(doc)
    at = doc.add_paragraph()
    _exact(at, align=WD_ALIGN_PARAGRAPH.CENTER)
    _run(at, "基层卫生服务能力提升行动任务分解表", font=XBS, size=22, latin=XBS)
    _blank(doc)
    for _ in range(5):
        _body(doc, font=v.body_font)
    if v.banji:
        _banji(doc)
    doc.save(path)
    return path


def make_dotx(docx: Path, dotx: Path) -> Path:
    """The same document saved as a Word template: only the main part's content type differs."""
    with zipfile.ZipFile(docx) as src, zipfile.ZipFile(dotx, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"wordprocessingml.document.main+xml",
                                    b"wordprocessingml.template.main+xml")
            out.writestr(info, data)
    return dotx


def soffice_convert(src: Path, fmt: str, out_dir: Path) -> Path:
    """Save ``src`` in another format (``odt``) with LibreOffice, as a clerk would."""
    from gendoc.pdf import soffice_path

    profile = out_dir / "soffice-profile"
    subprocess.run([soffice_path(), f"-env:UserInstallation={profile.as_uri()}", "--headless",
                    "--norestore", "--convert-to", fmt, "--outdir", str(out_dir), str(src)],
                   check=True, capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
    return out_dir / f"{src.stem}.{fmt}"


# --------------------------------------------------------------------------- rendering
def render(docx: Path, out_dir: Path) -> Path:
    """.docx -> .pdf with the project's converter (LibreOffice + the font aliases)."""
    from gendoc.pdf import docx_to_pdf

    return docx_to_pdf(docx, out_dir)


def build_and_render(directory: Path, names=None) -> dict[str, Path]:
    """Build the named variants (default: all) and render them in one soffice call."""
    from gendoc.pdf import docx_to_pdf_many

    names = list(names or VARIANTS)
    docxs = [build(directory / f"{name}.docx", VARIANTS[name]) for name in names]
    return dict(zip(names, docx_to_pdf_many(docxs, directory)))
