"""Conformance checker: measure a rendered 公文 against GB/T 9704-2012.

It works on the rendered page, not on the XML, so it can check any .docx, .dotx or .odt
(converted with LibreOffice through :func:`gendoc.pdf.docx_to_pdf`) or any .pdf, including
documents that somebody typed by hand in Word or WPS. The PDF is measured with pdfplumber:
characters with their positions, font names, sizes and fill colours, and the rules (lines
and thin rectangles) with their colours and widths. From a .docx it also reads what the
document *asks for* (:class:`DocxFacts`): the East Asian font of every character (run,
character style, paragraph style, document defaults and theme fonts resolved as Word does)
and the text of its 页眉, so that a font finding names the font requested and the font used.

The layer cake:

* **input** (:func:`verify`): file checks (a damaged package is refused before LibreOffice
  is started, with a one-line message), conversion, the .docx facts;
* **measurement** (:class:`Glyph`, :class:`TextLine`, :class:`HRule`, :class:`Page`): what is
  on each page, in points from the top-left corner of the sheet;
* **analysis** (:class:`Layout`): the document's structure read from the measurements —
  the 页眉 (:func:`find_headers`, kept out of every other rule), the text block's edges,
  the line pitch, the 版头 (red mark, red line, 发文字号, title), attachment labels, the 版记,
  blank pages, full pages;
* **rules**: one function per GB/T 9704 requirement, each returning a :class:`Rule` that
  passes, fails, or is not applicable (with the reason) when there is nothing to measure.
  Only a failed rule makes the document fail.

Figures come from docs/gbt9704.md §1.1 (geometry), §2 (fonts), §3 (elements). Positions
that GB/T 9704 gives from an edge of the sheet are measured from that edge of the page as
printed, whatever its size: the page numbers of a Letter-size document are found and
measured, and the paper size is ``paper-a4``'s finding. Even pages may mirror the margins
(the 订口 of a sheet printed on both sides is on the right of its back).

Where LibreOffice cannot draw what Word draws, the check says so instead of measuring
LibreOffice: Word's character grid (docGrid ``linesAndChars``, LibreOffice gives a
glyph wider than a cell two cells) is rendered from a copy that turns the grid into
character spacing (:func:`grid_copy`); a mark that is a picture, a PDF without text,
cannot be measured and are not applicable.

Where the top of the 版心 is measured (rule ``margin-top``): LibreOffice and Word centre a
glyph vertically in an exact-height line, so the top of the line box is *glyph top minus
half the leading*, ``glyph_top - (pitch - size) / 2``. With 28.95 pt lines and 16 pt
FangSong the glyph top sits 6.5 pt below the line top; on the good fixture this puts the
line top at 37.05 mm. "Glyph top" is the top of the em box, ``baseline - size`` (what
pdfplumber reports for fonts without a descent), so that the figure does not depend on the
descent a font's PDF descriptor happens to declare. The 发文机关标志's top edge is measured
the same way: gendoc calibrates it at 72 mm from the sheet top (35 mm below the 版心 top).
"""

from __future__ import annotations

import math
import io
import re
import statistics
import unicodedata
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from .errors import GendocError

# --------------------------------------------------------------------------- the standard
MM = 72 / 25.4                      # points per millimetre
PAPER_W_MM, PAPER_H_MM = 210.0, 297.0
PAPER_TOL_MM = 1.0
LEFT_MM, TOP_MM = 28.0, 37.0        # 订口, 天头
RIGHT_MARGIN_MM, BOTTOM_MARGIN_MM = 26.0, 35.0
BLOCK_W_MM, BLOCK_H_MM = 156.0, 225.0
MARGIN_TOL_MM = 1.0
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
CHARS_MIN_SHARE = 0.90              # share of full lines that must hold exactly 28
CHARS_RANGE = (26, 30)              # no full line outside this range
BODY_PT, TITLE_PT, PAGE_NO_PT = 16.0, 22.0, 14.0   # 3号, 2号, 4号
SIZE_TOL_PT = 0.5
FACE_MIN_SHARE = 0.95               # share of CJK glyphs that must be in the expected face
RED_LINE_W_MM, RED_LINE_TOL_MM = 156.0, 2.0
LETTER_LINE_W_MM, LETTER_NUMBER_GAP_MM = 170.0, 4.9   # 10.1: double lines 170 mm; 文号 7/8 of 3号 below
RED_LINE_GAP_MM, RED_LINE_GAP_TOL_MM = 4.0, 2.0    # red line 4 mm below the 发文字号
PAGE_NO_RISE_MM = 28.0              # page-number dash 28 mm above the sheet bottom (版心 + 7 mm)
PAGE_NO_Y_TOL_MM = 3.0
PAGE_NO_X_TOL_MM = 2.0
PAGE_NO_ZONE = 0.85                 # page numbers are looked for below this share of the height
BANJI_BOTTOM_MM, BANJI_TOL_MM = TOP_MM + BLOCK_H_MM, 1.5
DOC_NUMBER_RE = re.compile(r"^\S+〔\d{4}〕[1-9]\d*号$")
# 7.2.4 发文机关标志: top edge below the 版心 top (文件格式, 纪要 10.3: 35 mm; 命令 10.2: 20 mm);
# 信函格式 (10.1): 30 mm from the sheet top. Size: not smaller than the 2号 title; the per-
# character cap 22 mm high × 15 mm wide is the 1999 edition's, still common practice.
MARK_BELOW_BLOCK_MM = {"文件": 35.0, "命令": 20.0}
LETTER_MARK_TOP_MM = 30.0
MARK_TOP_TOL_MM = 3.0               # 1 mm 版心 tolerance + em-box conventions at 30–42 pt
MARK_CENTRE_TOL_MM = 3.0
MARK_MIN_PT = 22.0
MARK_MAX_H_MM, MARK_MAX_W_MM = 22.0, 15.0
HEADER_SIZE_MAX_PT = 15.0           # text above the 版心 smaller than 3号 is a 页眉

LEFT, TOP = LEFT_MM * MM, TOP_MM * MM

CN_NUM = "一二三四五六七八九十百"
H1_RE = re.compile(rf"^[{CN_NUM}]+、")
H2_RE = re.compile(rf"^（[{CN_NUM}]+）")
ATTACH_LABEL_RE = re.compile(r"^附件[0-9０-９]*$")
_DASHES = "—–―‐\\-－·•"
PAGE_NO_RE = re.compile(rf"^([{_DASHES}（(\[［第]{{0,3}}?)(\d{{1,4}})([{_DASHES}）)\]］页]{{0,3}})$")
PAGE_NO_TOTAL_RE = re.compile(r"^(第?)(\d{1,4})((?:页)?(?:共\d{1,4}页|[/／]\d{1,4}))$")
# 份号, 密级和保密期限, 紧急程度: the lines that may stand above the 发文机关标志 (7.2.1–7.2.3)
PRE_MARK_RE = re.compile(r"^(?:\d{6}|(?:绝密|机密|秘密)(?:★\S*)?|特急|加急|平急|特提)$")


def page_number_parts(text: str) -> tuple[str, int, str] | None:
    """“— 3 —” -> ("—", 3, "—"); “第3页共5页” -> ("第", 3, "页共5页"); None if no page number."""
    m = PAGE_NO_RE.match(text) or PAGE_NO_TOTAL_RE.match(text)
    return (m.group(1), int(m.group(2)), m.group(3)) if m else None


# --------------------------------------------------------------------------- report
STATUS_LABEL = {"pass": "通过", "fail": "不通过", "na": "不适用"}


def page_list(pages: list[int]) -> str:
    """[1, 2, 3, 5] -> “1–3、5”."""
    runs: list[list[int]] = []
    for n in sorted(set(pages)):
        if runs and runs[-1][1] == n - 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return "、".join(str(a) if a == b else f"{a}–{b}" for a, b in runs)


@dataclass
class Rule:
    """The result of one check. A rule that cannot measure is not applicable
    (``applicable=False``, ``value`` says why) and never fails."""

    name: str
    description: str
    passed: bool
    value: str
    expected: str
    pages: list[int] = field(default_factory=list)
    applicable: bool = True

    @property
    def status(self) -> str:
        """``pass``, ``fail`` or ``na``."""
        if not self.applicable:
            return "na"
        return "pass" if self.passed else "fail"

    def format(self) -> str:
        label = STATUS_LABEL[self.status]
        head = f"{label}{'　' * (3 - len(label))} {self.name} {self.description}"
        if not self.applicable:
            return f"{head}：无法测量，{self.value}"
        where = f"［第 {page_list(self.pages)} 页］" if self.pages else ""
        return f"{head}：{self.value}；应为 {self.expected}{where}"


@dataclass
class Report:
    path: Path
    pdf: Path | None
    page_count: int
    rules: list[Rule] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No rule failed (rules that are not applicable do not count)."""
        return not self.failed

    @property
    def failed(self) -> list[Rule]:
        return [r for r in self.rules if r.status == "fail"]

    def rule(self, name: str) -> Rule:
        for r in self.rules:
            if r.name == name:
                return r
        raise KeyError(name)

    def format(self) -> str:
        counts = Counter(r.status for r in self.rules)
        verdict = "不符合" if self.failed else "符合"
        summary = (f"结论：{verdict} GB/T 9704-2012 的可测项——{counts['fail']} 条不通过，"
                   f"{counts['pass']} 条通过，{counts['na']} 条不适用（共 {self.page_count} 页）")
        return "\n".join([*(r.format() for r in self.rules), summary])


# --------------------------------------------------------------------------- faces
# kind -> name fragments (lower case, spaces/underscores/hyphens removed). The standard
# names and their fallbacks are added from gendoc.fonts.STANDARD_FONTS below.
_FACE_WORDS: dict[str, list[str]] = {
    "fangsong": ["fangsong", "fang", "仿宋"],
    "kai": ["kai", "楷"],
    "hei": ["hei", "黑", "notosanscjk", "sourcehansans"],
    "xbs": ["xiaobiaosong", "小标宋", "fzxbs"],
    "song": ["song", "宋", "notoserifcjk", "simsun", "sourcehanserif"],
}
_STANDARD_KIND = {"仿宋_GB2312": "fangsong", "楷体_GB2312": "kai", "黑体": "hei",
                  "宋体": "song", "方正小标宋简体": "xbs"}
_BOLD_ONLY: set[str] = set()        # fallback families that stand in only in bold


def _norm_face(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name).lower()


def _load_standard_fonts() -> None:
    try:
        from .fonts import STANDARD_FONTS
    except ImportError:  # pragma: no cover - fonts.py is part of the package
        return
    for std, kind in _STANDARD_KIND.items():
        spec = STANDARD_FONTS.get(std)
        if not spec:
            continue
        words = _FACE_WORDS[kind]
        for name in [std, *spec.get("aliases", [])]:
            if _norm_face(name) not in words:
                words.append(_norm_face(name))
        for name in spec.get("fallbacks", []):
            if spec.get("bold"):   # "Noto Serif CJK SC" -> also NotoSerifCJKjp-Bold
                _BOLD_ONLY.add(re.sub(r"(sc|tc|jp|kr|hk)$", "", _norm_face(name)))
            elif _norm_face(name) not in words:
                words.append(_norm_face(name))


_load_standard_fonts()


def decode_font_name(raw: str) -> str:
    """PDF base font name -> readable name: no subset prefix, #xx escapes decoded."""
    name = raw.split("+", 1)[1] if re.match(r"^[A-Z]{6}\+", raw) else raw
    if "#" in name:
        try:
            name = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]),
                          name.encode("latin-1")).decode("utf-8", "replace")
        except UnicodeEncodeError:
            pass
    return name


@lru_cache(maxsize=1024)
def face_kinds(font: str) -> frozenset[str]:
    """Which 公文 faces a (decoded) font name stands for: fangsong/kai/hei/xbs/song.

    A bold Noto Serif CJK (the 小标宋 stand-in) is ``xbs`` and also ``song``; the regular one
    only ``song``. FangSong is tested before Song, so FandolFang is not a Song face.
    """
    n = _norm_face(font)
    kinds = {kind for kind, words in _FACE_WORDS.items() if any(w and w in n for w in words)}
    if "bold" in n and any(b in n for b in _BOLD_ONLY):
        kinds.add("xbs")
    if "fangsong" in kinds or "kai" in kinds:
        kinds.discard("song")       # "FangSong", "KaiSong"… are not 宋体
    return frozenset(kinds)


FACE_LABEL = {"fangsong": "仿宋", "kai": "楷体", "hei": "黑体",
              "xbs": "小标宋（或代替它的 Noto Serif CJK Bold）", "song": "宋体"}


# --------------------------------------------------------------------------- measurement
def _rgb(color) -> tuple[float, float, float] | None:
    """pdfplumber colour (gray, RGB or CMYK tuple) -> RGB in 0..1, None if unknown."""
    if color is None:
        return None
    if isinstance(color, (int, float)):
        color = (color,)
    try:
        values = [float(v) for v in color]
    except (TypeError, ValueError):
        return None
    if len(values) == 1:
        return (values[0],) * 3
    if len(values) == 3:
        return tuple(values)  # type: ignore[return-value]
    if len(values) == 4:
        c, m, y, k = values
        return ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))
    return None


def is_red(rgb: tuple[float, float, float] | None) -> bool:
    return rgb is not None and rgb[0] > 0.7 and rgb[1] < 0.3 and rgb[2] < 0.3


def cell_units(ch: str, width: float, size: float) -> float:
    """Character cells: CJK and full-width 1, half-width 0.5; ambiguous by its advance."""
    eaw = unicodedata.east_asian_width(ch)
    if eaw in ("W", "F"):
        return 1.0
    if eaw == "A" and size > 0:
        return 1.0 if width / size >= 0.75 else 0.5
    return 0.5


@dataclass
class Glyph:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    baseline: float
    size: float
    font: str
    rgb: tuple[float, float, float] | None
    requested: str | None = None    # the font the .docx asks for (None: unknown)

    @property
    def cjk(self) -> bool:
        return unicodedata.east_asian_width(self.text) in ("W", "F")

    @property
    def kinds(self) -> frozenset[str]:
        return face_kinds(self.font)

    def in_face(self, kind: str) -> bool:
        """Drawn in the face, or asked for in it (a machine without the font substitutes
        another one: that is the renderer's business, not the document's)."""
        return kind in self.kinds or (self.requested is not None
                                      and kind in face_kinds(self.requested))


@dataclass
class TextLine:
    page: int
    glyphs: list[Glyph]

    @cached_property
    def text(self) -> str:
        return "".join(g.text for g in self.glyphs)

    @property
    def x0(self) -> float:
        return min(g.x0 for g in self.glyphs)

    @property
    def x1(self) -> float:
        return max(g.x1 for g in self.glyphs)

    @property
    def top(self) -> float:
        return min(g.top for g in self.glyphs)

    @property
    def bottom(self) -> float:
        return max(g.bottom for g in self.glyphs)

    @property
    def baseline(self) -> float:
        return statistics.median(g.baseline for g in self.glyphs)

    @cached_property
    def size(self) -> float:
        """The dominant font size (most glyphs; CJK glyphs preferred)."""
        pool = [g for g in self.glyphs if g.cjk] or self.glyphs
        return Counter(round(g.size, 1) for g in pool).most_common(1)[0][0]

    @property
    def red(self) -> bool:
        return sum(is_red(g.rgb) for g in self.glyphs) > len(self.glyphs) / 2

    @property
    def em_top(self) -> float:
        """Top of the em box of the line's (CJK) glyphs: baseline minus size."""
        cjk = [g for g in self.glyphs if g.cjk] or self.glyphs
        return statistics.median(g.baseline - g.size for g in cjk)

    def units(self) -> float:
        return sum(cell_units(g.text, g.x1 - g.x0, g.size) for g in self.glyphs)

    def box_top(self, pitch: float) -> float:
        """Top of the line box: glyph (em box) top minus half the leading."""
        cjk = [g for g in self.glyphs if g.cjk] or self.glyphs
        size = statistics.median(g.size for g in cjk)
        return self.em_top - max(pitch - size, 0) / 2

    def segments(self, gap: float) -> list[str]:
        """The line's text split where glyphs are more than ``gap`` apart."""
        parts, current, last = [], "", None
        for g in self.glyphs:
            if last is not None and g.x0 - last > gap:
                parts.append(current)
                current = ""
            current += g.text
            last = g.x1
        parts.append(current)
        return [p for p in parts if p]


@dataclass
class HRule:
    """A horizontal rule: a stroked line or a thin filled rectangle."""

    page: int
    x0: float
    x1: float
    y: float
    thickness: float
    rgb: tuple[float, float, float] | None

    @property
    def width(self) -> float:
        return self.x1 - self.x0


@dataclass
class Page:
    number: int
    width: float
    height: float
    lines: list[TextLine]
    rules: list[HRule]
    has_images: bool
    page_number_line: TextLine | None = None
    images: list[tuple[float, float, float, float]] = field(default_factory=list)  # x0 top x1 bottom
    header_lines: list[TextLine] = field(default_factory=list)    # 页眉 text
    header_rules: list[HRule] = field(default_factory=list)       # 页眉横线
    landscape: bool = False   # a 横排表格 page (8), measured as the reader holds the sheet

    @property
    def body_lines(self) -> list[TextLine]:
        """Every line but the page number and the 页眉."""
        skip = {id(ln) for ln in self.header_lines}
        return [ln for ln in self.lines
                if ln is not self.page_number_line and id(ln) not in skip]

    @property
    def body_rules(self) -> list[HRule]:
        skip = {id(r) for r in self.header_rules}
        return [r for r in self.rules if id(r) not in skip]

    @property
    def block_right(self) -> float:
        """The 版心's right edge on this sheet (26 mm from its right edge)."""
        return self.width - RIGHT_MARGIN_MM * MM

    @property
    def block_bottom(self) -> float:
        """The 版心's bottom edge on this sheet (35 mm above its bottom edge)."""
        return self.height - BOTTOM_MARGIN_MM * MM


def _glyphs(page) -> list[Glyph]:
    out = []
    for c in page.chars:
        text = c.get("text", "")
        if not text or text.isspace() or not c.get("upright", True):
            continue
        matrix = c.get("matrix")
        baseline = page.height - matrix[5] if matrix else c["bottom"]
        out.append(Glyph(text, float(c["x0"]), float(c["x1"]), float(c["top"]),
                         float(c["bottom"]), float(baseline), float(c.get("size") or 0),
                         decode_font_name(str(c.get("fontname", ""))),
                         _rgb(c.get("non_stroking_color"))))
    return out


def _cluster_lines(number: int, glyphs: list[Glyph]) -> list[TextLine]:
    """Group glyphs into lines by baseline (tolerance: a third of the glyph size)."""
    lines: list[list[Glyph]] = []
    for g in sorted(glyphs, key=lambda g: (g.baseline, g.x0)):
        if lines:
            ref = statistics.median(x.baseline for x in lines[-1])
            if abs(g.baseline - ref) <= max(2.0, 0.33 * min(g.size, lines[-1][0].size)):
                lines[-1].append(g)
                continue
        lines.append([g])
    return [TextLine(number, sorted(ln, key=lambda g: g.x0)) for ln in lines]


def _hrules(number: int, page) -> list[HRule]:
    raw: list[HRule] = []
    for ln in page.lines:
        if abs(ln["top"] - ln["bottom"]) < 1.0 and ln["x1"] - ln["x0"] > 5 * MM:
            raw.append(HRule(number, float(ln["x0"]), float(ln["x1"]),
                             float((ln["top"] + ln["bottom"]) / 2),
                             float(ln.get("linewidth") or 0), _rgb(ln.get("stroking_color"))))
    # filled bars: rectangles, and shapes exported as paths (信函格式's double lines)
    bars = [*page.rects, *(c for c in page.curves if c.get("fill"))]
    for rc in bars:
        h = rc["bottom"] - rc["top"]
        if h <= 3.0 and rc["x1"] - rc["x0"] > 5 * MM:
            color = rc.get("non_stroking_color") if rc.get("fill") else rc.get("stroking_color")
            raw.append(HRule(number, float(rc["x0"]), float(rc["x1"]),
                             float((rc["top"] + rc["bottom"]) / 2), float(h) or
                             float(rc.get("linewidth") or 0), _rgb(color)))
    # merge duplicates and touching segments at the same height and colour
    merged: list[HRule] = []
    for r in sorted(raw, key=lambda r: (round(r.y), r.x0)):
        for m in merged:
            if (abs(m.y - r.y) < 1.0 and is_red(m.rgb) == is_red(r.rgb)
                    and r.x0 <= m.x1 + 2 and r.x1 >= m.x0 - 2):
                m.x0, m.x1 = min(m.x0, r.x0), max(m.x1, r.x1)
                m.thickness = max(m.thickness, r.thickness)
                break
        else:
            merged.append(r)
    return sorted(merged, key=lambda r: r.y)


def _upright_glyphs(page) -> list[Glyph]:
    """A landscape sheet as the reader holds the bound document (GB/T 9704 8): turned a
    quarter, the table's head at the upright left edge. Only text turned with the sheet
    (the page number) reads upright then; the table's own text is left out."""
    out = []
    width = float(page.width)
    for c in page.chars:
        text, m = c.get("text", ""), c.get("matrix")
        if not text or text.isspace() or not m or not (abs(m[0]) < 1e-3 and m[1] < 0 and m[2] > 0):
            continue
        # landscape (X right, Y down) -> upright (x = Y, y = width - X); the size is the
        # glyph box's height as the reader sees it (pdfminer gives a turned glyph's advance)
        out.append(Glyph(text, float(c["top"]), float(c["bottom"]), width - float(c["x1"]),
                         width - float(c["x0"]), width - float(m[4]), float(c["x1"] - c["x0"]),
                         decode_font_name(str(c.get("fontname", ""))), _rgb(c.get("non_stroking_color"))))
    return out


def _find_page_number(page: Page) -> TextLine | None:
    """The page-number line: the lowest short line in the foot of the sheet (any paper size)
    that holds a number with at most a few dashes or 第…页 around it."""
    for ln in reversed(page.lines):
        if ln.top < page.height * PAGE_NO_ZONE:
            return None
        if len(ln.text) <= 12 and page_number_parts(ln.text):
            return ln
    return None


def measure(pdf_path: Path) -> list[Page]:
    """Read every page of a PDF into :class:`Page` measurements."""
    try:
        import pdfplumber
    except ImportError as exc:  # pragma: no cover
        raise GendocError("验证文档需要 pdfplumber，但它没有安装：请运行 pip install pdfplumber"
                          ) from exc
    pages = []
    try:
        with pdfplumber.open(str(pdf_path)) as pdf:
            for i, p in enumerate(pdf.pages, 1):
                images = [(float(im["x0"]), float(im["top"]), float(im["x1"]),
                           float(im["bottom"])) for im in p.images]
                if p.width > p.height * 1.2:   # a 横排表格 page: measured upright
                    page = Page(i, float(p.height), float(p.width),
                                _cluster_lines(i, _upright_glyphs(p)), [], False, landscape=True)
                else:
                    page = Page(i, float(p.width), float(p.height),
                                _cluster_lines(i, _glyphs(p)), _hrules(i, p), bool(images),
                                images=images)
                page.page_number_line = _find_page_number(page)
                pages.append(page)
    except GendocError:
        raise
    except Exception as exc:  # pdfminer raises many types for damaged files
        if re.search(r"Password|Encrypt", exc.__class__.__name__):
            raise GendocError("PDF 加了密码，读不出来；请导出不加密的 PDF 再试",
                              file=str(pdf_path)) from exc
        raise GendocError(f"PDF 已损坏，读不出来（{exc.__class__.__name__}: {exc}）；"
                          "请重新导出 PDF 再试", file=str(pdf_path)) from exc
    if not pages:
        raise GendocError("PDF 里没有页面", file=str(pdf_path))
    return pages


# --------------------------------------------------------------------------- what a .docx asks for
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
# theme font scripts by w:themeFontLang/@w:eastAsia
_THEME_SCRIPT = {"zh-CN": "Hans", "zh-SG": "Hans", "zh-TW": "Hant", "zh-HK": "Hant",
                 "zh-MO": "Hant", "ja-JP": "Jpan", "ko-KR": "Hang"}
_XML_MAX = 64 * 1024 * 1024         # parts larger than this are not read for facts


@dataclass
class CharGrid:
    """Word's character grid (docGrid ``linesAndChars``): every character takes ``pitch``
    points. LibreOffice cannot lay it out (a glyph wider than a cell takes two cells: 14
    characters a line instead of 28), so :func:`verify` renders a copy in which the grid
    becomes character spacing, when the grid was made for the default paragraph size."""

    pitch: float                    # points per character
    width: float                    # text width, points
    normal: float                   # size of the default paragraph style, points
    emulated: bool = False          # the copy was rendered

    @property
    def per_line(self) -> int:
        return int(self.width / self.pitch + 0.05)

    @property
    def spacing(self) -> int | None:
        """Character spacing in twentieths of a point that gives the grid's pitch to text
        of the default size (rounded down so that a line never holds one too few); None
        when the grid was set up for another size (then nobody knows what Word draws)."""
        delta = self.pitch - self.normal
        if not -2.0 <= delta <= 4.0:
            return None
        return math.floor(delta * 20 + 1e-6)


@dataclass
class DocxFacts:
    """What a .docx asks for, read from its XML: the requested font of every visible
    character of the body (``text`` without white space, ``fonts`` in step) and of the
    footers, and the text of each 页眉 paragraph."""

    text: str = ""
    fonts: list[str | None] = field(default_factory=list)
    footer_text: str = ""
    footer_fonts: list[str | None] = field(default_factory=list)
    header_texts: list[str] = field(default_factory=list)
    char_grid: CharGrid | None = None
    page_number_format: str | None = None   # pgNumType/@w:fmt of the main section


def _xml(data: bytes):
    from lxml import etree
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(data, parser)


def _rpr_props(rpr) -> dict:
    """rFonts slots of one w:rPr: eastAsia/ascii/hAnsi -> name or ("theme", value); hint."""
    out: dict = {}
    if rpr is None:
        return out
    rfonts = rpr.find(_W + "rFonts")
    if rfonts is not None:
        for slot in ("eastAsia", "ascii", "hAnsi"):
            theme, name = rfonts.get(f"{_W}{slot}Theme"), rfonts.get(_W + slot)
            if theme:               # a theme attribute overrides the name beside it
                out[slot] = ("theme", theme)
            elif name:
                out[slot] = name
        if rfonts.get(_W + "hint"):
            out["hint"] = rfonts.get(_W + "hint")
    sz = rpr.find(_W + "sz")
    if sz is not None and (sz.get(_W + "val") or "").isdigit():
        out["sz"] = int(sz.get(_W + "val")) / 2
    return out


class _FontResolver:
    """Word's font inheritance: run → character style → paragraph style → document
    defaults, each style through its w:basedOn chain; theme fonts from theme1.xml in the
    script of w:themeFontLang."""

    def __init__(self, styles, theme, settings):
        self.defaults: dict = {}
        self.styles: dict[str, tuple[str | None, dict]] = {}
        self.default_para: str | None = None
        if styles is not None:
            self.defaults = _rpr_props(styles.find(f"{_W}docDefaults/{_W}rPrDefault/{_W}rPr"))
            for st in styles.iter(_W + "style"):
                based = st.find(_W + "basedOn")
                self.styles[st.get(_W + "styleId") or ""] = (
                    based.get(_W + "val") if based is not None else None,
                    _rpr_props(st.find(_W + "rPr")))
                if (st.get(_W + "type") == "paragraph"
                        and st.get(_W + "default") in ("1", "true", "on")):
                    self.default_para = st.get(_W + "styleId")
        lang = None
        if settings is not None:
            tfl = settings.find(_W + "themeFontLang")
            lang = tfl.get(_W + "eastAsia") if tfl is not None else None
        script = _THEME_SCRIPT.get(lang or "zh-CN", "Hans")
        self.theme: dict[str, dict[str, str | None]] = {}
        for which in ("major", "minor"):
            font = theme.find(f".//{_A}{which}Font") if theme is not None else None
            latin = ea = None
            if font is not None:
                el = font.find(_A + "latin")
                latin = el.get("typeface") if el is not None else None
                el = font.find(_A + "ea")
                ea = el.get("typeface") if el is not None else None
                if not ea:
                    ea = next((f.get("typeface") for f in font.findall(_A + "font")
                               if f.get("script") == script), None)
            self.theme[which] = {"latin": latin or None, "ea": ea or None}
        self._chains: dict[str | None, dict] = {}

    def chain(self, style_id: str | None) -> dict:
        if style_id in self._chains:
            return self._chains[style_id]
        ids, seen, sid = [], set(), style_id
        while sid and sid in self.styles and sid not in seen and len(ids) < 32:
            seen.add(sid)
            ids.append(sid)
            sid = self.styles[sid][0]
        merged: dict = {}
        for sid in reversed(ids):
            merged.update(self.styles[sid][1])
        self._chains[style_id] = merged
        return merged

    def _name(self, value, slot: str) -> str | None:
        if isinstance(value, tuple):
            which = "major" if value[1].startswith("major") else "minor"
            return self.theme[which]["ea" if slot == "eastAsia" else "latin"]
        return value

    def normal_size(self) -> float:
        """The size of the default paragraph style (Word's default: 10 pt)."""
        props = dict(self.defaults)
        props.update(self.chain(self.default_para))
        return props.get("sz", 10.0)

    def resolve(self, para_style: str | None, run_style: str | None, direct: dict):
        """(East Asian font, ASCII font, high-ANSI font, hint) of a run."""
        props = dict(self.defaults)
        # a paragraph style the package does not define falls back to the default one
        props.update(self.chain(para_style if para_style in self.styles else self.default_para))
        props.update(self.chain(run_style))
        props.update(direct)
        return (self._name(props.get("eastAsia"), "eastAsia"),
                self._name(props.get("ascii"), "ascii"),
                self._name(props.get("hAnsi") or props.get("ascii"), "hAnsi"),
                props.get("hint"))


def _owner(el, tag: str):
    """The nearest ancestor of ``el`` with ``tag``."""
    return next(el.iterancestors(tag), None)


def _text_fonts(root, fonts: _FontResolver) -> tuple[str, list[str | None]]:
    """Visible characters of a part in document order, and the font each one asks for."""
    chars: list[str] = []
    names: list[str | None] = []
    if root is None:
        return "", []
    for p in root.iter(_W + "p"):
        if any(a.tag == _MC_FALLBACK for a in p.iterancestors()):
            continue                # VML copy of a text box already read from mc:Choice
        ppr = p.find(_W + "pPr")
        pstyle = ppr.find(_W + "pStyle") if ppr is not None else None
        para_style = pstyle.get(_W + "val") if pstyle is not None else None
        for r in p.iter(_W + "r"):
            if _owner(r, _W + "p") is not p:
                continue            # a run of a nested paragraph (text box)
            text = "".join(t.text or "" for t in r.findall(_W + "t"))
            if not text:
                continue
            rpr = r.find(_W + "rPr")
            rstyle = rpr.find(_W + "rStyle") if rpr is not None else None
            east, ascii_, hansi, hint = fonts.resolve(
                para_style, rstyle.get(_W + "val") if rstyle is not None else None,
                _rpr_props(rpr))
            for ch in text:
                if ch.isspace():
                    continue
                eaw = unicodedata.east_asian_width(ch)
                if eaw in ("W", "F") or (eaw == "A" and hint == "eastAsia"):
                    name = east
                else:
                    name = ascii_ if ord(ch) < 128 else hansi
                chars.append(ch)
                names.append(name)
    return "".join(chars), names


def _twips(el, attr: str) -> float | None:
    value = el.get(_W + attr) if el is not None else None
    try:
        return float(value) / 20
    except (TypeError, ValueError):
        return None


def _main_section(document):
    """The body's last w:sectPr: the section of the main text."""
    sects = list(document.iter(_W + "sectPr"))
    return sects[-1] if sects else None


def _char_grid(sect, normal_size: float) -> CharGrid | None:
    """Word's character grid of a section. ECMA-376 docGrid/@charSpace is the pitch minus
    the default paragraph style's size, in 4096ths of a point."""
    if sect is None:
        return None
    grid = sect.find(_W + "docGrid")
    if grid is None or grid.get(_W + "type") not in ("linesAndChars", "snapToChars"):
        return None
    try:
        pitch = normal_size + int(grid.get(_W + "charSpace") or 0) / 4096
    except ValueError:
        return None
    width = _twips(sect.find(_W + "pgSz"), "w")
    margins = sect.find(_W + "pgMar")
    left, right = _twips(margins, "left"), _twips(margins, "right")
    if not width or left is None or right is None or pitch <= 0:
        return None
    return CharGrid(pitch, width - left - right, normal_size)


def grid_copy(src: Path, dest: Path, spacing: int) -> Path:
    """Copy a .docx with Word's character grid turned into what LibreOffice can lay out:
    a line grid, and ``spacing`` (twentieths of a point) more character spacing on every
    character: on the document defaults and on every spacing a style or run sets."""
    from lxml import etree

    def respace(root) -> None:
        for rpr in root.iter(_W + "rPr"):
            el = rpr.find(_W + "spacing")
            if el is not None:
                try:
                    el.set(_W + "val", str(int(el.get(_W + "val") or 0) + spacing))
                except ValueError:
                    el.set(_W + "val", str(spacing))

    def dump(root) -> bytes:
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "word/document.xml":
                root = _xml(data)
                for grid in root.iter(_W + "docGrid"):
                    if grid.get(_W + "type") in ("linesAndChars", "snapToChars"):
                        grid.set(_W + "type", "lines")
                        grid.attrib.pop(_W + "charSpace", None)
                respace(root)
                data = dump(root)
            elif info.filename == "word/styles.xml":
                root = _xml(data)
                respace(root)
                defaults = root.find(_W + "docDefaults")
                if defaults is None:
                    defaults = etree.Element(_W + "docDefaults")
                    root.insert(0, defaults)
                rpr_default = defaults.find(_W + "rPrDefault")
                if rpr_default is None:
                    rpr_default = etree.Element(_W + "rPrDefault")
                    defaults.insert(0, rpr_default)
                rpr = rpr_default.find(_W + "rPr")
                if rpr is None:
                    rpr = etree.SubElement(rpr_default, _W + "rPr")
                if rpr.find(_W + "spacing") is None:
                    etree.SubElement(rpr, _W + "spacing").set(_W + "val", str(spacing))
                data = dump(root)
            zout.writestr(info, data)
    return dest


def read_docx_facts(zf: zipfile.ZipFile) -> DocxFacts:
    """Read what the document asks for from an open .docx/.dotx package."""
    def part(name: str):
        try:
            info = zf.getinfo(name)
        except KeyError:
            return None
        if info.file_size > _XML_MAX:
            return None
        return _xml(zf.read(info))

    rels: dict[str, list[str]] = {}
    rel_root = part("word/_rels/document.xml.rels")
    if rel_root is not None:
        for rel in rel_root.iter(_REL):
            kind = (rel.get("Type") or "").rsplit("/", 1)[-1]
            target = rel.get("Target") or ""
            target = target.lstrip("/") if target.startswith("/") else f"word/{target}"
            rels.setdefault(kind, []).append(target)
    theme = next((part(t) for t in rels.get("theme", [])), None)
    fonts = _FontResolver(part("word/styles.xml"), theme, part("word/settings.xml"))
    facts = DocxFacts()
    document = part("word/document.xml")
    if document is not None:
        facts.text, facts.fonts = _text_fonts(document.find(_W + "body"), fonts)
        sect = _main_section(document)
        facts.char_grid = _char_grid(sect, fonts.normal_size())
        numbering = sect.find(_W + "pgNumType") if sect is not None else None
        if numbering is not None:
            facts.page_number_format = numbering.get(_W + "fmt")
    for target in rels.get("footer", []):
        text, names = _text_fonts(part(target), fonts)
        facts.footer_text += text
        facts.footer_fonts += names
    for target in rels.get("header", []):
        root = part(target)
        if root is None:
            continue
        for p in root.iter(_W + "p"):
            text = re.sub(r"\s+", "", "".join(t.text or "" for t in p.iter(_W + "t")))
            if text:
                facts.header_texts.append(text)
    return facts


def _map_line(ln: TextLine, text: str, fonts: list[str | None], cursor: int) -> int:
    """Give the glyphs of ``ln`` the fonts their characters ask for in the .docx: the line's
    text is looked up from ``cursor`` on (reading order), then anywhere; leading characters
    the .docx does not hold (list numbers such as 一、) are dropped until it is found."""
    s = ln.text
    offsets, pos = [], 0
    for g in ln.glyphs:
        offsets.append(pos)
        pos += len(g.text)
    for k in range(min(6, max(len(s) - 1, 1))):
        t = s[k:]
        at = text.find(t, cursor)
        moved = at >= 0
        if not moved:
            at = text.find(t)
        if at < 0:
            continue
        for g, off in zip(ln.glyphs, offsets):
            if off >= k and at + off - k < len(fonts):
                g.requested = fonts[at + off - k]
        return at + len(t) if moved else cursor
    return cursor


def attach_requested(pages: list[Page], facts: DocxFacts) -> None:
    """Set :attr:`Glyph.requested` from the .docx: body lines from the document text,
    page numbers from the footers (a page field's cached digits differ from the printed
    ones, so digits take the font the footer's digits ask for)."""
    cursor = 0
    footer_font = {}
    for ch, name in zip(facts.footer_text, facts.footer_fonts):
        footer_font.setdefault("0" if ch.isdigit() else ch, name)
    for p in pages:
        for ln in p.body_lines:
            cursor = _map_line(ln, facts.text, facts.fonts, cursor)
        if p.page_number_line is not None:
            for g in p.page_number_line.glyphs:
                g.requested = footer_font.get("0" if g.text.isdigit() else g.text)


# --------------------------------------------------------------------------- analysis
def _near(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= tol


def _mm(pt: float) -> str:
    return f"{pt / MM:.1f} mm"


def _is_body_size(size: float) -> bool:
    return _near(size, BODY_PT, SIZE_TOL_PT + 0.5)   # 3号 text, a little wider than the rule


def _running_size(lines: list[TextLine]) -> float:
    """The size most text is set in (by glyphs), display sizes aside: 16 pt in a 公文, 11 pt
    in a document typed on Word's defaults. Sizes within the 3号 tolerance count as 3号."""
    sizes = Counter()
    for ln in lines:
        if 9 <= ln.size <= 20:
            sizes[BODY_PT if _is_body_size(ln.size) else ln.size] += len(ln.glyphs)
    return sizes.most_common(1)[0][0] if sizes else BODY_PT


def _header_key(text: str) -> str:
    """页眉 text for comparison: no white space, every number the same (page fields)."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


HEADER_GAP_MM = 6.0                 # white space between a 页眉 and the text below it


def find_headers(pages: list[Page], header_texts: list[str] = ()) -> None:
    """Mark the 页眉 of every page (:attr:`Page.header_lines`, :attr:`Page.header_rules`).

    A 页眉 is a block of lines at the head of the page, wholly above the 版心 (their
    bottoms above the 37 mm 天头), with at least 6 mm of white space below it, and one of
    its lines is the text of a 页眉 paragraph of the .docx, or repeats at the same height
    on another page, or is printed smaller than 3号, or has a rule right under it. Body
    text that starts too high (a 25 mm 天头) has no such gap and stays body text. A rule
    above the 版心 and above all other text is a 页眉横线. Page 1's red 版头 (信函格式: mark
    and double line from 30 mm) and the 份号/密级/紧急程度 lines are not 页眉.
    """
    zone = TOP - 0.5 * MM
    wanted = [_header_key(t) for t in header_texts if t.strip()]

    def candidates(p: Page) -> list[TextLine]:
        return [ln for ln in p.lines if ln.bottom < zone and ln is not p.page_number_line
                and not (p.number == 1 and (ln.red or PRE_MARK_RE.match(ln.text)))
                and not ATTACH_LABEL_RE.match(ln.text)]

    seen = Counter((_header_key(ln.text), round(ln.top / 2)) for p in pages
                   for ln in candidates(p))

    def looks_like_header(p: Page, ln: TextLine, rules: list[HRule]) -> bool:
        key = _header_key(ln.text)
        return (any(key == w or (len(w) >= 2 and len(key) >= 2 and (key in w or w in key))
                    for w in wanted)
                or seen[(key, round(ln.top / 2))] >= 2
                or ln.size < HEADER_SIZE_MAX_PT
                or any(ln.bottom - 1 <= r.y <= ln.bottom + 8 * MM for r in rules))

    for p in pages:
        rules = [r for r in p.rules if r.y < zone and r.width > 0.3 * BLOCK_W_MM * MM
                 and not (p.number == 1 and is_red(r.rgb))]
        zone_lines = candidates(p)
        others = [ln for ln in p.lines if ln is not p.page_number_line]
        # the block ends at the first zone line followed by a gap
        for i, ln in enumerate(zone_lines):
            below = [o.top for o in others if o.top > ln.bottom]
            if not below or min(below) - ln.bottom >= HEADER_GAP_MM * MM:
                block = zone_lines[:i + 1]
                if any(looks_like_header(p, b, rules) for b in block):
                    p.header_lines = block
                break
        first = min((ln.top for ln in p.body_lines), default=p.height)
        p.header_rules = [r for r in rules if r.y < first]


@dataclass
class Layout:
    """The document's structure, read once from the measured pages."""

    pages: list[Page]
    pitch: float = 0.0
    body_size: float = BODY_PT                                # size of the running text
    left: float | None = None                                 # text block edges, odd pages
    right: float | None = None
    left_even: float | None = None                            # even pages (mirrored margins)
    right_even: float | None = None
    mark: list[TextLine] = field(default_factory=list)        # red 发文机关标志 lines
    red_text: list[TextLine] = field(default_factory=list)    # every red line on page 1
    letter_format: bool = False                               # 信函格式: red double line
    red_line: HRule | None = None
    doc_number: list[TextLine] = field(default_factory=list)
    title: list[TextLine] = field(default_factory=list)
    labels: list[TextLine] = field(default_factory=list)      # 附件N labels
    banji_page: int | None = None
    banji_rules: list[HRule] = field(default_factory=list)
    blank: list[int] = field(default_factory=list)
    full_pages: list[int] = field(default_factory=list)
    segment_ends: list[int] = field(default_factory=list)
    mark_image: tuple[float, float, float, float] | None = None  # a picture as the mark
    char_grid: CharGrid | None = None                         # Word's character grid
    page_number_format: str | None = None                     # the .docx's pgNumType/@fmt

    @property
    def textless(self) -> bool:
        """No text on any page: a scan, or text turned into outlines."""
        return not any(p.lines for p in self.pages)

    @property
    def has_header(self) -> bool:
        return bool(self.mark or self.mark_image or self.red_line)

    def page(self, n: int) -> Page:
        return self.pages[n - 1]

    def is_body(self, size: float) -> bool:
        """Set in the size of the running text (3号 in a 公文)."""
        return _near(size, self.body_size, SIZE_TOL_PT + 0.5)

    def running_lines(self, n: int) -> list[TextLine]:
        """Body lines of page n without the 版记 (lines at or below its first rule)."""
        lines = self.page(n).body_lines
        if n == self.banji_page and self.banji_rules:
            first = self.banji_rules[0].y
            lines = [ln for ln in lines if ln.bottom < first - 2]
        return lines

    @property
    def mirrored(self) -> bool:
        """Even pages carry the 订口 on the right (Word's mirrored margins)."""
        if self.left_even is None or len(self.pages) < 2:
            return False
        mirrored = self.pages[1].width - LEFT - BLOCK_W_MM * MM
        return (_near(self.left_even, mirrored, MARGIN_TOL_MM * MM)
                and not _near(self.left_even, LEFT, MARGIN_TOL_MM * MM))

    def outer_left(self, p: Page) -> float:
        """The standard 版心 left edge of page p: 28 mm, or 26 mm on a mirrored even page."""
        if p.number % 2 == 0 and self.mirrored:
            return p.width - LEFT - BLOCK_W_MM * MM
        return LEFT

    def edges(self, n: int) -> tuple[float | None, float | None]:
        """The text block's measured left and right edges on page n."""
        return (self.left, self.right) if n % 2 else (self.left_even, self.right_even)

    def widest_right(self) -> float | None:
        """The wider of the two measured right edges (odd and even pages): the measure, where
        the pages of one parity hold only a few short lines (a 落款 and a 版记 under a
        paragraph or two) and their own edge falls short of it."""
        return max((r for r in (self.right, self.right_even) if r is not None), default=None)

    def block_centre(self, p: Page) -> float:
        """The horizontal centre of the text block: measured, else the standard one."""
        left, right = self.edges(p.number)
        return ((left if left is not None else LEFT)
                + (right if right is not None else p.block_right)) / 2


def _clusters(values: list[float], tol: float) -> list[list[float]]:
    groups: list[list[float]] = []
    for v in sorted(values):
        if groups and v - groups[-1][-1] <= tol:
            groups[-1].append(v)
        else:
            groups.append([v])
    return groups


def _centred_title(lay: Layout, start: float) -> list[TextLine]:
    """A title not set in 2号: the first line below the 版头 when it is centred (not a 份号,
    发文字号 or 主送机关 line), with the centred lines of its size that follow it."""
    p1 = lay.pages[0]
    centre = lay.block_centre(p1)
    out: list[TextLine] = []
    for ln in p1.body_lines:
        if ln.top <= start or ln.red or ln in lay.doc_number:
            continue
        centred = (abs((ln.x0 + ln.x1) / 2 - centre) <= ln.size
                   and ln.x0 > (lay.left if lay.left is not None else LEFT) + ln.size)
        if not out:
            if PRE_MARK_RE.match(ln.text):
                continue
            if not centred or ln.text.endswith(("：", ":")) or ln.size < BODY_PT - 2:
                return []
            out.append(ln)
        elif (centred and _near(ln.size, out[-1].size, SIZE_TOL_PT)
              and ln.baseline - out[-1].baseline <= 2.2 * ln.size):
            out.append(ln)
        else:
            break
    return out


def analyse(pages: list[Page], facts: DocxFacts | None = None) -> Layout:
    find_headers(pages, facts.header_texts if facts else [])
    lay = Layout(pages, char_grid=facts.char_grid if facts else None,
                 page_number_format=facts.page_number_format if facts else None)
    body = [ln for p in pages for ln in p.body_lines]

    # line pitch: median gap between consecutive lines of running text on a page
    lay.body_size = _running_size(body)
    gaps = []
    for p in pages:
        bl = [ln.baseline for ln in p.body_lines if lay.is_body(ln.size)]
        gaps += [b - a for a, b in zip(bl, bl[1:]) if 0 < b - a < 2.2 * lay.body_size]
    lay.pitch = statistics.median(gaps) if gaps else 28.95

    # the text block's left/right edges from wide lines of running text, odd and even
    # pages apart (Word's mirrored margins put the 订口 of an even page on the right)
    wide = [ln for ln in body if lay.is_body(ln.size) and ln.x1 - ln.x0 > 0.8 * BLOCK_W_MM * MM]
    for parity in (1, 0):
        lines = [ln for ln in wide if ln.page % 2 == parity] or wide
        if lines:
            groups = [g for g in _clusters([ln.x0 for ln in lines], 1.0) if len(g) >= 2] \
                or _clusters([ln.x0 for ln in lines], 1.0)
            edges = statistics.median(groups[0]), statistics.median(ln.x1 for ln in lines)
            if parity:
                lay.left, lay.right = edges
            else:
                lay.left_even, lay.right_even = edges

    # 版头 on page 1: the red mark is the red text at the head of the page (after 份号,
    # 密级, 紧急程度 if any); red text further down is not a mark
    p1 = pages[0]
    lay.red_text = [ln for ln in p1.body_lines
                    if sum(is_red(g.rgb) for g in ln.glyphs if not g.text.isspace()) >= 2]
    for ln in p1.body_lines:
        if ln.red:
            lay.mark.append(ln)
        elif lay.mark or not PRE_MARK_RE.match(ln.text):
            break
    red_rules = [r for r in p1.body_rules if is_red(r.rgb) and r.width > 50 * MM]
    mark_bottom = max((ln.bottom for ln in lay.mark), default=0.0)
    below = [r for r in red_rules if r.y > mark_bottom] if lay.mark else red_rules
    lay.red_line = max(below or red_rules, key=lambda r: r.width, default=None)
    top_red = [r for r in red_rules if r.y < 0.4 * p1.height]
    lay.letter_format = any(0 < b.y - a.y <= 3 * MM for a, b in zip(top_red, top_red[1:]))
    if lay.letter_format:
        # 10.1: the 发文字号 is below the upper double line, at the right edge of the 版心
        lay.red_line = next(a for a, b in zip(top_red, top_red[1:]) if 0 < b.y - a.y <= 3 * MM)
        rules_end = max(r.y for r in top_red if r.y - lay.red_line.y <= 3 * MM)
    if not lay.mark:
        # a picture for the mark: above the red line (or above all text) and centred
        limit = lay.red_line.y if lay.red_line else min(
            (ln.top for ln in p1.body_lines), default=p1.height)
        centre = lay.block_centre(p1)
        lay.mark_image = next((im for im in p1.images if im[3] <= limit + 1
                               and im[3] - im[1] < 60 * MM
                               and abs((im[0] + im[2]) / 2 - centre) < 20 * MM), None)
    if lay.mark_image:
        mark_bottom = lay.mark_image[3]
    if lay.letter_format:
        after = [ln for ln in p1.body_lines if ln.top > rules_end and not ln.red][:1]
        lay.doc_number = [ln for ln in after if re.search(r"\d{4}", ln.text)]
        start = rules_end
    elif lay.mark or lay.mark_image:
        limit = lay.red_line.y if lay.red_line else None
        after = [ln for ln in p1.body_lines if ln.top > mark_bottom and not ln.red]
        if limit is not None:
            lay.doc_number = [ln for ln in after if ln.top < limit]
        elif after and re.search(r"\d{4}", after[0].text) and _is_body_size(after[0].size):
            lay.doc_number = [after[0]]
    if not lay.letter_format:
        start = lay.red_line.y if lay.red_line else mark_bottom
    for ln in p1.body_lines:
        if ln.top <= start or ln.red or ln in lay.doc_number:
            continue
        if ln.size >= TITLE_PT - 2:
            lay.title.append(ln)
        elif lay.title:
            break
    if not lay.title:
        lay.title = _centred_title(lay, start)

    # 附件 labels: "附件" / "附件N" alone on a line at the left edge
    lay.labels = [ln for ln in body if ATTACH_LABEL_RE.match(ln.text)
                  and ln.x0 <= (lay.edges(ln.page)[0] or LEFT) + BODY_PT]

    # 版记 on the last page: a line ending with 印发 in the lower half, wide rules
    last = pages[-1]
    for ln in last.body_lines:
        if ln.text.endswith("印发") and ln.top > last.height / 2:
            lay.banji_page = last.number
            lay.banji_rules = [r for r in last.body_rules if r.width > 0.8 * BLOCK_W_MM * MM
                               and r.y > last.height / 3 and not is_red(r.rgb)]
            if lay.banji_rules:
                top_rule = lay.banji_rules[0]
                above = [ln2 for ln2 in last.body_lines if ln2.bottom < top_rule.y - 2]
                # rules further up the page that separate body text are not 版记 rules
                if above:
                    lay.banji_rules = [r for r in lay.banji_rules
                                       if r.y > max(a.bottom for a in above)]
            break

    # blank pages (a page with nothing but a 页眉 is blank), running-text segments, full pages
    lay.blank = [p.number for p in pages
                 if not p.body_lines and not p.has_images and not p.body_rules and not p.landscape]
    # a 横排表格 page ends the running text before it; the text after it starts anew
    starts = {1} | {ln.page for ln in lay.labels} | {p.number + 1 for p in pages if p.landscape}
    # a label below other text: its page ends one segment and starts the next, so it is
    # not a full page either
    shared = {ln.page for ln in lay.labels if lay.running_lines(ln.page)[0] is not ln}
    running = [p.number for p in pages if p.number not in lay.blank and not p.landscape
               and (p.number != lay.banji_page or lay.running_lines(p.number))]
    segments: list[list[int]] = []
    for n in running:
        if n in starts or not segments:
            segments.append([n])
        else:
            segments[-1].append(n)
    lay.segment_ends = [s[-1] for s in segments]
    p1_header = lay.has_header or bool(lay.title) or any(ln.size > 18 for ln in p1.body_lines)
    for seg in segments:
        for n in seg[:-1]:
            if (n == 1 and p1_header) or n == lay.banji_page or n in shared:
                continue
            lay.full_pages.append(n)
    return lay


# --------------------------------------------------------------------------- rules
def _rule(name, description, passed, value, expected, pages=(), applicable=True) -> Rule:
    return Rule(name, description, bool(passed), value, expected, sorted(set(pages)), applicable)


def _not_applicable(name, description, reason, expected) -> Rule:
    """Nothing to measure: the rule neither passes nor fails; ``reason`` says why."""
    return _rule(name, description, True, reason, expected, applicable=False)


def _counted(counter: Counter, limit: int = 3) -> str:
    return "、".join(f"{k} ×{v}" for k, v in counter.most_common(limit))


def rule_paper(lay: Layout) -> Rule:
    bad = []
    sizes = Counter()
    for p in lay.pages:
        w, h = p.width / MM, p.height / MM
        sizes[f"{w:.1f}×{h:.1f} mm"] += 1
        portrait = _near(w, PAPER_W_MM, PAPER_TOL_MM) and _near(h, PAPER_H_MM, PAPER_TOL_MM)
        landscape = _near(h, PAPER_W_MM, PAPER_TOL_MM) and _near(w, PAPER_H_MM, PAPER_TOL_MM)
        if not (portrait or landscape):
            bad.append(p.number)
    value = "、".join(f"{k} {v} 页" for k, v in sizes.items())
    return _rule("paper-a4", "纸张 A4", not bad, value,
                 f"210×297 mm ±{PAPER_TOL_MM:g}（可横放）", bad)


def rule_margin_left(lay: Layout) -> Rule:
    desc = "版心左边缘（订口）28 mm"
    exp = f"{LEFT_MM:g} mm ±{MARGIN_TOL_MM:g}"
    if lay.left is None:
        return _not_applicable("margin-left", desc, "没有排满一行的正文", exp)
    tol = MARGIN_TOL_MM * MM
    bad = [] if _near(lay.left, LEFT, tol) else [1]
    value = f"{_mm(lay.left)}；右边缘 {_mm(lay.right)}"
    if len(lay.pages) > 1 and not _near(lay.left_even, lay.left, 0.5 * MM):
        # even pages: the same 版心, or mirrored so that the 订口 (28 mm) is on the right
        if not (_near(lay.left_even, LEFT, tol) or lay.mirrored):
            bad.append(2)
        value = f"单页 {_mm(lay.left)}，双页 {_mm(lay.left_even)}"
        if lay.mirrored:
            value += "（对称页边距：双页订口在右边）"
    return _rule("margin-left", desc, not bad, value, exp, bad)


def _margin_top_page1(lay: Layout, desc: str, exp: str) -> Rule:
    """Only page 1 can show the 版心 top: its first line is a 3号 line (份号, 密级, text) or
    the title; a 版头 whose first line is the mark fixes nothing (the mark is placed from
    the 版心 top, see red-mark)."""
    lines = lay.running_lines(1)
    if not lines:
        return _not_applicable("margin-top", desc, "第 1 页没有文字", exp)
    first = lines[0]
    if first in lay.mark:
        return _not_applicable("margin-top", desc, "只有一页，首行是发文机关标志，版心上边缘"
                               "要由标志的位置推算（见 red-mark）", exp)
    if first.size <= BODY_PT + SIZE_TOL_PT + 0.5:
        top = first.box_top(lay.pitch)
        ok = _near(top, TOP, MARGIN_TOL_MM * MM)
        return _rule("margin-top", desc, ok, f"{_mm(top)}（只有一页，量第 1 页首行）", exp,
                     [] if ok else [1])
    # a title line: its line height is unknown (off the grid, or snapped to two grid lines
    # as Word and LibreOffice do with a single-spaced 2号 line), so the 版心 top lies
    # between the glyph top and the glyph top minus up to two lines of leading
    glyph_top = first.em_top
    low, high = glyph_top - max(2 * lay.pitch - first.size, 0.6 * first.size), glyph_top
    tol = MARGIN_TOL_MM * MM
    ok = low - tol <= TOP <= high + tol
    return _rule("margin-top", desc, ok,
                 f"只有一页，首行是 {first.size:g} pt 的标题，字顶 {_mm(glyph_top)}：版心上边缘应在 "
                 f"{low / MM:.1f}–{high / MM:.1f} mm 之间", exp, [] if ok else [1])


def rule_margin_top(lay: Layout) -> Rule:
    desc = "版心上边缘（天头）37 mm"
    exp = f"{TOP_MM:g} mm ±{MARGIN_TOL_MM:g}（满页首行的行框上沿 = 字顶 − 半个行距余量）"
    pages = lay.full_pages or [n for n in range(2, len(lay.pages) + 1)
                               if n not in lay.blank and lay.running_lines(n)]
    if not pages:
        return _margin_top_page1(lay, desc, exp)
    tops = {n: lay.running_lines(n)[0].box_top(lay.pitch) for n in pages}
    bad = [n for n, t in tops.items() if not _near(t, TOP, MARGIN_TOL_MM * MM)]
    values = sorted(tops.values())
    value = _mm(statistics.median(values))
    if values[0] != values[-1]:
        value += f"（{values[0] / MM:.1f}–{values[-1] / MM:.1f} mm）"
    return _rule("margin-top", desc, not bad, value, exp, bad)


def rule_no_header(lay: Layout) -> Rule:
    desc = "不设页眉"
    exp = "版心上方没有页眉文字和页眉横线（公文不设页眉）"
    texts: Counter = Counter()
    ruled: list[int] = []
    for p in lay.pages:
        for ln in p.header_lines:
            texts[_header_key(ln.text).replace("#", "N")] += 1
        if p.header_rules:
            ruled.append(p.number)
    bad = [p.number for p in lay.pages if p.header_lines or p.header_rules]
    if not bad:
        return _rule("no-header", desc, True, "版心上方没有页眉", exp)
    parts = [f"页眉“{t[:30]}” {n} 页" for t, n in texts.most_common(3)]
    if ruled:
        parts.append(f"页眉横线 {len(ruled)} 页")
    return _rule("no-header", desc, False, "；".join(parts), exp, bad)


def line_slots(lay: Layout, lines: list[TextLine]) -> int:
    """Lines a page uses: from its first to its last text line in steps of the pitch, so
    empty paragraphs between them count. An empty line at the very foot of a page has no
    glyphs and cannot be seen: such a page counts one line short."""
    if not lines:
        return 0
    return round((lines[-1].baseline - lines[0].baseline) / lay.pitch) + 1


def rule_lines_per_page(lay: Layout) -> Rule:
    """22 lines on each full page: a page of running text followed by another page of the
    same segment (body, or one attachment). Not full: page 1 when it carries the 版头 or a
    title, the last page of the body and of each attachment, a page where an attachment
    label starts below other text, the 版记 page, blank pages."""
    desc = "每面 22 行"
    exp = f"每个满页 {LINES_PER_PAGE} 行"
    if not lay.full_pages:
        return _not_applicable("lines-per-page", desc, "没有满页（正文和每个附件都不足一页）", exp)
    counts = {}
    for n in lay.full_pages:
        p = lay.page(n)
        lines = [ln for ln in lay.running_lines(n) if ln.top < p.block_bottom + 3 * MM]
        counts[n] = line_slots(lay, lines)
    # keep-with-next moves a heading that would stand alone at the foot of a page to the
    # next page (gbt9704.md §7.7): such a page may end one or two lines early.
    # Likewise the last lines of the body move with the 署名 and 成文日期 (7.3.5.5).
    bad = [n for n, c in counts.items()
           if c != LINES_PER_PAGE
           and not (LINES_PER_PAGE - 2 <= c < LINES_PER_PAGE and _starts_with_heading(lay, n + 1))
           and not (LINES_PER_PAGE - 7 <= c < LINES_PER_PAGE and _holds_signature(lay, n + 1))]
    dist = Counter(counts.values())
    value = ("、".join(f"{k} 行 {v} 页" for k, v in sorted(dist.items()))
             + f"（满页：第 {page_list(list(counts))} 页）；行距 {lay.pitch:.2f} pt")
    return _rule("lines-per-page", desc, not bad, value, exp, bad)


_HEADING_START = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+\.|（\d+）)")


def _holds_signature(lay: Layout, page: int) -> bool:
    """Does ``page`` hold the 成文日期 of a signature block (a right-set date line)?"""
    if page > len(lay.pages):
        return False
    return any(_is_signature_date(lay, ln) for ln in lay.running_lines(page))


def _starts_with_heading(lay: Layout, page: int) -> bool:
    """Does the running text of ``page`` open with a numbered heading line that does not
    fill the measure (a stand-alone heading, not a run-in paragraph)?"""
    if page > len(lay.pages):
        return False
    lines = lay.running_lines(page)
    if not lines:
        return False
    first = lines[0]
    if H1_RE.match(first.text) or H2_RE.match(first.text):
        # 一、/（一） headings are set in Hei/Kai; a run-in one continues in FangSong
        face = first.glyphs[len(first.glyphs) // 2].kinds
        return "fangsong" not in face
    right = lay.edges(page)[1]
    return bool(_HEADING_START.match(first.text)) and first.x1 < (right or first.x1) - first.size


def full_lines(lay: Layout) -> list[TextLine]:
    """3号 lines that fill the measure: right edge within half a character of the text block's
    right edge, left edge at the left edge or two characters in."""
    out = []
    widest = lay.widest_right()
    for p in lay.pages:
        left, right = lay.edges(p.number)
        if left is None or right is None:
            continue
        if widest is not None and not getattr(p, "landscape", False):
            right = max(right, widest)
        for ln in lay.running_lines(p.number):
            if not lay.is_body(ln.size) or ln.red or ln in lay.title:
                continue
            size = ln.size
            indent = ln.x0 - left
            if (ln.x1 >= right - size / 2 and -2 <= indent <= 2 * size + 2):
                out.append(ln)
    return out


def _has_latin_run(ln: TextLine, nxt: TextLine | None = None) -> bool:
    """The line holds, or is pushed short by, an unbreakable run of Latin letters/digits."""
    if re.search(r"[0-9A-Za-z]{3,}", ln.text):
        return True
    return nxt is not None and bool(re.match(r"^\W?[0-9A-Za-z]{3,}", nxt.text))


_HANGING = "，。、；：！？”’）》」"


def line_chars(lay: Layout, ln: TextLine) -> int:
    """Characters in a full line, counting the indent cells (2 for a first line). A closing
    mark hung past the right edge (LibreOffice's and Word's hanging punctuation: the line
    holds its 28 characters and the mark in the margin) is not one of them."""
    left, right = lay.edges(ln.page)
    indent = round(max(ln.x0 - (left or ln.x0), 0) / ln.size)
    n = int(ln.units() + indent + 0.5)
    widest = lay.widest_right() or right
    if ln.text and ln.text[-1] in _HANGING and widest is not None and ln.x1 > widest + ln.size / 4:
        n -= 1
    return n


GRID_NOTE = "LibreOffice 不能照 Word 的字符网格排版"


def _chars_by_grid(lay: Layout, desc: str, exp: str, lines: list[TextLine]) -> Rule:
    """A character grid LibreOffice could not be given (not made for the default size):
    the count is the document's own, text width over the grid pitch, when the body text
    fits a cell."""
    pitch, width, per_line = lay.char_grid.pitch, lay.char_grid.width, lay.char_grid.per_line
    sizes = [ln.size for ln in lines] or [g.size for g in _body_glyphs(lay)]
    body = statistics.median(sizes) if sizes else BODY_PT
    if body > pitch + SIZE_TOL_PT:
        return _not_applicable("chars-per-line", desc,
                               f"文档用 Word 字符网格（每格 {pitch:.2f} pt），比正文的 {body:g} pt "
                               f"小，{GRID_NOTE}，量不出每行字数", exp)
    ok = per_line == CHARS_PER_LINE
    return _rule("chars-per-line", desc, ok,
                 f"按文档的字符网格每行 {per_line} 字（每格 {pitch:.2f} pt，行宽 {_mm(width)}）；"
                 f"{GRID_NOTE}，不按版面计数", exp)


def rule_chars_per_line(lay: Layout) -> Rule:
    desc = "每行 28 字"
    lo, hi = CHARS_RANGE
    exp = f"至少 {CHARS_MIN_SHARE:.0%} 的满行为 {CHARS_PER_LINE} 字，没有少于 {lo} 或多于 {hi} 字的满行"
    lines = full_lines(lay)
    if lay.char_grid and not lay.char_grid.emulated:
        return _chars_by_grid(lay, desc, exp, lines)
    if not lines:
        return _not_applicable("chars-per-line", desc, "没有排满一行的正文", exp)
    counts = [(ln, line_chars(lay, ln)) for ln in lines]
    dist = Counter(c for _, c in counts)
    # LibreOffice puts extra space around a run of Western letters or digits inside Chinese
    # text (and ignores w:autoSpaceDE), so such lines are judged by the hard bounds only
    pure = [c for ln, c in counts if not re.search(r"[0-9A-Za-z]", ln.text)] or [c for _, c in counts]
    share = pure.count(CHARS_PER_LINE) / len(pure)
    # a line holding a long unbreakable Latin run (a phone number, a year in brackets)
    # is stretched by justification: it counts in the share, not against the hard bounds
    following = {}
    for p in lay.pages:
        run = lay.running_lines(p.number)
        following.update({id(a): b for a, b in zip(run, run[1:])})
    bad = [ln.page for ln, c in counts
           if (c < lo and not _has_latin_run(ln, following.get(id(ln)))) or c > hi]
    ok = share >= CHARS_MIN_SHARE and not bad
    if not ok and not bad:
        bad = [ln.page for ln, c in counts if c != CHARS_PER_LINE]
    value = (f"{len(pure)} 个纯汉字满行中 {share:.0%} 为 {CHARS_PER_LINE} 字（满行共 {len(counts)} 行；"
             + "、".join(f"{k} 字 {v} 行" for k, v in sorted(dist.items())) + "）")
    if lay.char_grid:
        value += (f"；文档用 Word 字符网格（每格 {lay.char_grid.pitch:.2f} pt），"
                  f"按字距 {lay.char_grid.spacing / 20:+g} pt 排版后计数")
    return _rule("chars-per-line", desc, ok, value, exp, bad)


def _face_check(glyphs: list[Glyph], kind: str) -> tuple[float, str]:
    """Share of the CJK glyphs in the face ``kind`` (drawn or asked for in it, see
    :meth:`Glyph.in_face`), and a finding naming the fonts asked for and used."""
    cjk = [g for g in glyphs if g.cjk] or glyphs
    if not cjk:
        return 1.0, ""
    hits = sum(g.in_face(kind) for g in cjk)
    used = Counter(g.font for g in cjk)
    asked = Counter(g.requested for g in cjk if g.requested)
    finding = f"实际字体 {_counted(used)}"
    if asked:
        finding = f"要求字体 {_counted(asked)}，{finding}"
        stand_in = Counter((g.requested, g.font) for g in cjk if g.requested
                           and kind in face_kinds(g.requested) and kind not in g.kinds)
        if stand_in:
            (want, got), n = stand_in.most_common(1)[0]
            if n >= asked[want] / 2:
                finding += f"（本机没有“{want}”，以“{got}”代替显示）"
            else:
                finding += f"（本机的“{want}”缺 {n} 个字，以“{got}”补上）"
    return hits / len(cjk), finding


def _heading_part(ln: TextLine) -> list[Glyph]:
    """The heading of a heading line: up to and including the first 。 (run-in), else all."""
    out = []
    for g in ln.glyphs:
        out.append(g)
        if g.text == "。":
            break
    return out


def _table_zone(p: Page) -> tuple[float, float] | None:
    """The vertical extent of a ruled table on the page: three or more wide black rules."""
    wide = [r.y for r in p.body_rules if r.width > 0.8 * BLOCK_W_MM * MM and not is_red(r.rgb)]
    if len(wide) < 3:
        return None
    return min(wide), max(wide)


def _body_glyphs(lay: Layout) -> list[Glyph]:
    """Glyphs of running 3号 text: no 版头, title, headings, labels, 版记, page numbers."""
    skip = set(map(id, lay.title + lay.mark + lay.doc_number + lay.labels))
    header_end = lay.red_line.y if lay.red_line else (
        max((ln.bottom for ln in lay.mark), default=0.0))
    out = []
    for p in lay.pages:
        lines = lay.running_lines(p.number)
        zone = _table_zone(p)
        for ln in lines:
            if id(ln) in skip or ln.red or (p.number == 1 and ln.top <= header_end):
                continue
            if zone and zone[0] - 1 <= ln.top <= zone[1] + 1:
                continue            # text inside a table (任务分工表) is display text
            if ln.size >= TITLE_PT - 2:
                continue            # attachment titles and other display text
            glyphs = ln.glyphs
            if H1_RE.match(ln.text) or H2_RE.match(ln.text):
                glyphs = glyphs[len(_heading_part(ln)):]
            out += glyphs
    return out


def rule_font_body(lay: Layout) -> Rule:
    desc = "正文 3号仿宋"
    exp = (f"{BODY_PT:g} pt ±{SIZE_TOL_PT:g}，至少 {FACE_MIN_SHARE:.0%} 的汉字为"
           f"{FACE_LABEL['fangsong']}")
    glyphs = _body_glyphs(lay)
    if not glyphs:
        return _not_applicable("font-body", desc, "没有找到正文", exp)
    sized = [g for g in glyphs if _near(g.size, BODY_PT, SIZE_TOL_PT)]
    size_share = len(sized) / len(glyphs)
    share, finding = _face_check(sized or glyphs, "fangsong")
    sizes = Counter(f"{round(g.size, 1):g} pt" for g in glyphs)
    ok = size_share >= FACE_MIN_SHARE and share >= FACE_MIN_SHARE
    bad: list[int] = []
    if not ok:
        bad_ids = {id(g) for g in glyphs if not _near(g.size, BODY_PT, SIZE_TOL_PT)
                   or (g.cjk and not g.in_face("fangsong"))}
        bad = sorted({ln.page for p in lay.pages for ln in p.lines
                      if any(id(g) in bad_ids for g in ln.glyphs)})
    value = f"字号 {_counted(sizes)}；{share:.0%} 为仿宋；{finding}"
    return _rule("font-body", desc, ok, value, exp, bad)


def rule_font_title(lay: Layout) -> Rule:
    desc = "标题 2号小标宋"
    exp = f"{TITLE_PT:g} pt ±{SIZE_TOL_PT:g}，{FACE_LABEL['xbs']}"
    if not lay.title:
        return _not_applicable("font-title", desc, "第 1 页版头下没有找到标题（居中的大字行）", exp)
    glyphs = [g for ln in lay.title for g in ln.glyphs]
    size = statistics.median(g.size for g in glyphs)
    share, finding = _face_check(glyphs, "xbs")
    ok = _near(size, TITLE_PT, SIZE_TOL_PT) and share >= FACE_MIN_SHARE
    text = "".join(ln.text for ln in lay.title)
    return _rule("font-title", desc, ok, f"“{text[:30]}” {size:g} pt；{finding}", exp,
                 [] if ok else [1])


def _rule_heading(lay: Layout, name: str, desc: str, pattern: re.Pattern, kind: str) -> Rule:
    exp = f"{BODY_PT:g} pt，{FACE_LABEL[kind]}"
    heads = [ln for p in lay.pages for ln in lay.running_lines(p.number)
             if pattern.match(ln.text) and lay.is_body(ln.size)
             # indented two characters, or up to four where list numbering sets the indent
             and lay.left is not None and ln.x0 <= (lay.edges(p.number)[0] or LEFT) + 4 * ln.size + 2]
    if not heads:
        return _not_applicable(name, desc, "没有这一级标题", exp)
    bad, parts = [], []
    for ln in heads:
        part = _heading_part(ln)
        share, _ = _face_check(part, kind)
        parts += part
        if share < 0.9 or not all(_near(g.size, BODY_PT, SIZE_TOL_PT) for g in part):
            bad.append(ln.page)
    _, finding = _face_check(parts, kind)
    value = f"{len(heads) - len(bad)}/{len(heads)} 个标题合格；{finding}"
    return _rule(name, desc, not bad, value, exp, bad)


def rule_font_h1(lay: Layout) -> Rule:
    return _rule_heading(lay, "font-h1", "一级标题（一、）3号黑体", H1_RE, "hei")


def rule_font_h2(lay: Layout) -> Rule:
    return _rule_heading(lay, "font-h2", "二级标题（（一））3号楷体", H2_RE, "kai")


def _mark_top_expected(lay: Layout, text: str) -> tuple[float, str]:
    """Where the mark's top edge belongs (points from the sheet top) and which format."""
    if lay.letter_format:
        return LETTER_MARK_TOP_MM * MM, f"信函格式：距纸张上边 {LETTER_MARK_TOP_MM:g} mm"
    if text.endswith("令"):
        below = MARK_BELOW_BLOCK_MM["命令"]
        return TOP + below * MM, f"命令格式：版心上边缘下 {below:g} mm"
    below = MARK_BELOW_BLOCK_MM["文件"]
    return TOP + below * MM, f"版心上边缘下 {below:g} mm，即距纸张上边 {TOP_MM + below:g} mm"


def rule_red_mark(lay: Layout) -> Rule:
    """7.2.4: red, centred, top edge 35 mm below the 版心 top (命令 20 mm, 信函 30 mm from
    the sheet top), not smaller than the 2号 title and at most 22 × 15 mm a character."""
    desc = "发文机关标志：红色、居中、上边缘在版心上边缘下 35 mm"
    exp = (f"红色，不小于 {MARK_MIN_PT:g} pt、每字不大于 {MARK_MAX_W_MM:g}×{MARK_MAX_H_MM:g} mm，"
           f"居中 ±{MARK_CENTRE_TOL_MM:g} mm，上边缘在版心上边缘下 35 mm ±{MARK_TOP_TOL_MM:g}"
           f"（命令格式 20 mm；信函格式距纸张上边 30 mm）")
    p1 = lay.pages[0]
    if not lay.mark and lay.mark_image:
        x0, top, x1, _ = lay.mark_image
        return _not_applicable("red-mark", desc,
                               f"发文机关标志是图片（上边缘距纸张上边 {_mm(top)}，中线偏差 "
                               f"{abs((x0 + x1) / 2 - lay.block_centre(p1)) / MM:.1f} mm），"
                               "颜色和字号量不出", exp)
    if not lay.mark:
        if lay.red_line is not None:
            black = [ln for ln in p1.body_lines if ln.bottom < lay.red_line.y
                     and ln.size >= TITLE_PT - 2]
            value = "有红色分隔线，但上方没有红色的发文机关标志"
            if black:
                value += f"（“{black[0].text[:20]}”不是红色）"
            return _rule("red-mark", desc, False, value, exp, [1])
        if lay.red_text:
            ln = lay.red_text[0]
            red = "".join(g.text for g in ln.glyphs if is_red(g.rgb))
            return _rule("red-mark", desc, False,
                         f"版头位置没有发文机关标志；红色文字“{red[:20]}”在第 1 页 "
                         f"{_mm(ln.em_top)} 处，排在其他文字之后，不是标志的位置", exp, [1])
        return _not_applicable("red-mark", desc, "没有版头（第 1 页没有红色标志和红色分隔线）", exp)
    text = "".join(ln.text for ln in lay.mark)
    glyphs = [g for ln in lay.mark for g in ln.glyphs]
    cjk = [g for g in glyphs if g.cjk] or glyphs
    top = min(ln.em_top for ln in lay.mark)
    want, where = _mark_top_expected(lay, text)
    x0, x1 = min(ln.x0 for ln in lay.mark), max(ln.x1 for ln in lay.mark)
    off = (x0 + x1) / 2 - lay.block_centre(p1)
    size = max(ln.size for ln in lay.mark)
    width = statistics.median(g.x1 - g.x0 for g in cjk)
    problems = []
    if sum(is_red(g.rgb) for g in glyphs) < 0.9 * len(glyphs):
        problems.append("不全是红色")
    if min(ln.size for ln in lay.mark) < MARK_MIN_PT - SIZE_TOL_PT:
        problems.append(f"字号 {min(ln.size for ln in lay.mark):g} pt 小于二号")
    if size > MARK_MAX_H_MM * MM + SIZE_TOL_PT:
        problems.append(f"字高 {_mm(size)} 超过 {MARK_MAX_H_MM:g} mm")
    if width > (MARK_MAX_W_MM + 0.5) * MM:
        problems.append(f"字宽 {_mm(width)} 超过 {MARK_MAX_W_MM:g} mm")
    if x1 - x0 > (BLOCK_W_MM + 1) * MM:
        problems.append(f"宽 {_mm(x1 - x0)}，超出版心")
    if abs(off) > MARK_CENTRE_TOL_MM * MM:
        problems.append(f"偏离版心中线 {_mm(abs(off))}")
    if not _near(top, want, MARK_TOP_TOL_MM * MM):
        problems.append(f"上边缘应在{where}，实际偏{'下' if top > want else '上'} "
                        f"{_mm(abs(top - want))}")
    _, finding = _face_check(glyphs, "xbs")
    value = (f"“{text[:24]}” {size:g} pt，上边缘距纸张上边 {_mm(top)}（版心上边缘下 "
             f"{(top - TOP) / MM:.1f} mm），中线偏差 {abs(off) / MM:.1f} mm；{finding}")
    if problems:
        value += "；" + "，".join(problems)
    return _rule("red-mark", desc, not problems, value, exp, [1] if problems else [])


def rule_red_line(lay: Layout) -> Rule:
    desc = "版头红色分隔线：宽 156 mm，在发文字号下 4 mm"
    exp = (f"红线宽 {RED_LINE_W_MM:g} mm ±{RED_LINE_TOL_MM:g}，在标志之下、"
           f"发文字号下 {RED_LINE_GAP_MM:g} mm ±{RED_LINE_GAP_TOL_MM:g}")
    if not lay.has_header:
        return _not_applicable("red-line", desc, "没有版头", exp)
    if lay.letter_format:
        return _rule_letter_lines(lay)
    if lay.red_line is None:
        return _rule("red-line", desc, False, "第 1 页没有红色分隔线", exp, [1])
    line = lay.red_line
    mark_bottom = max((ln.bottom for ln in lay.mark), default=0.0)
    ok = _near(line.width, RED_LINE_W_MM * MM, RED_LINE_TOL_MM * MM) and line.y > mark_bottom
    value = f"宽 {_mm(line.width)}，粗 {line.thickness:.2f} pt，距纸张上边 {_mm(line.y)}"
    if lay.doc_number:
        gap = line.y - lay.doc_number[-1].baseline
        value += f"，在发文字号下 {_mm(gap)}"
        ok = ok and _near(gap, RED_LINE_GAP_MM * MM, RED_LINE_GAP_TOL_MM * MM)
    if line.y <= mark_bottom:
        value += "（在标志上方）"
    return _rule("red-line", desc, ok, value, exp, [] if ok else [1])


def _rule_letter_lines(lay: Layout) -> Rule:
    """10.1 信函格式: a red double line (thick over thin) 170 mm long, 4 mm below the mark;
    the 发文字号 7/8 of a 3号 height below it; a second double line 20 mm above the sheet foot."""
    desc = "信函格式红色双线：长 170 mm，在标志下 4 mm；发文字号在双线下、居右"
    exp = (f"上下两条红色双线，宽 {LETTER_LINE_W_MM:g} mm ±{RED_LINE_TOL_MM:g}，上线在标志之下 "
           f"{RED_LINE_GAP_MM:g} mm ±{RED_LINE_GAP_TOL_MM:g}；发文字号在双线下 {LETTER_NUMBER_GAP_MM:g} mm "
           f"±{RED_LINE_GAP_TOL_MM:g}，右端与版心右边缘对齐")
    p1 = lay.pages[0]
    line = lay.red_line
    reds = [r for r in p1.body_rules if is_red(r.rgb) and r.width > 50 * MM]
    lower = [r for r in reds if r.y > 0.6 * p1.height]
    mark_bottom = max((ln.bottom for ln in lay.mark), default=line.y)
    problems = []
    if not _near(line.width, LETTER_LINE_W_MM * MM, RED_LINE_TOL_MM * MM):
        problems.append(f"上双线宽 {_mm(line.width)}")
    gap = line.y - mark_bottom
    if not _near(gap, RED_LINE_GAP_MM * MM, RED_LINE_GAP_TOL_MM * MM):
        problems.append(f"上双线在标志下 {_mm(gap)}")
    if len(lower) < 2:
        problems.append("页面下部没有红色双线")
    value = f"上双线宽 {_mm(line.width)}，距纸张上边 {_mm(line.y)}，在标志下 {_mm(gap)}"
    if lower:
        value += f"；下双线距纸张下边 {_mm(p1.height - max(r.y for r in lower))}"
    if lay.doc_number:
        ln = lay.doc_number[-1]
        below = ln.em_top - max(r.y for r in reds if r.y - line.y <= 3 * MM)
        value += f"；发文字号在双线下 {_mm(below)}，右端离版心右边缘 {_mm(p1.block_right - ln.x1)}"
        if not _near(below, LETTER_NUMBER_GAP_MM * MM, RED_LINE_GAP_TOL_MM * MM):
            problems.append(f"发文字号在双线下 {_mm(below)}")
        if abs(p1.block_right - ln.x1) > RED_LINE_TOL_MM * MM:
            problems.append("发文字号没有居右")
    if problems:
        value += "；" + "，".join(problems)
    return _rule("red-line", desc, not problems, value, exp, [1] if problems else [])


def rule_doc_number(lay: Layout) -> Rule:
    desc = "发文字号：机关代字〔年份〕序号号"
    exp = "机关代字 + 六角括号〔〕内四位年份 + 不编虚位的序号 + 号，如 国办发〔2012〕14号"
    if not lay.doc_number:
        return _not_applicable("doc-number", desc, "第 1 页没有发文字号", exp)
    ln = lay.doc_number[-1]
    parts = ln.segments(1.5 * ln.size)
    # 上行文: "字号 … 签发人：姓名" on one line; take the part that is not the signer
    candidates = [s for s in parts if "签发人" not in s] or parts
    number = next((s for s in candidates if re.search(r"\d", s)), candidates[0])
    ok = bool(DOC_NUMBER_RE.match(number))
    return _rule("doc-number", desc, ok, number, exp, [] if ok else [1])


def rule_body_on_page1(lay: Layout) -> Rule:
    desc = "首页显示正文"
    exp = "第 1 页标题下有正文"
    start = (lay.title[-1].bottom if lay.title else
             lay.red_line.y if lay.red_line else 0.0)
    lines = [ln for ln in lay.running_lines(1) if ln.top > start and not ln.red
             and lay.is_body(ln.size)]
    if lines and lines[0].text.endswith("："):
        lines = lines[1:]           # 主送机关 is not 正文
    return _rule("body-on-page1", desc, bool(lines), f"标题下有 {len(lines)} 行正文"
                 + ("" if lay.title else "（没有找到标题）"), exp, [] if lines else [1])


_DATE_LINE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")


def _is_signature_date(lay: Layout, ln: TextLine) -> bool:
    """A 成文日期: a full date alone on a line, set well to the right."""
    return bool(_DATE_LINE.match(ln.text)) and ln.x0 > (lay.edges(ln.page)[0] or 0) + 8 * ln.size


def rule_signature_with_body(lay: Layout) -> Rule:
    """7.3.5.5: the 署名 and 成文日期 never stand on a page without text above them: above
    the 署名 on its page there is 正文 or the 附件说明 (7.3.5.1 places the seal within one
    line of "正文（或附件说明）": the 附件说明 is the text the 落款 follows)."""
    desc = "署名页有正文"
    exp = "署名所在页的署名上方有正文或附件说明"
    if lay.char_grid and not lay.char_grid.emulated:
        return _not_applicable("signature-with-body", desc,
                               f"文档用 Word 字符网格，{GRID_NOTE}，分页与 Word 不同", exp)
    for p in lay.pages:
        lines = lay.running_lines(p.number)
        for i, ln in enumerate(lines):
            if not _is_signature_date(lay, ln):
                continue
            above = lines[:max(i - 1, 0)]
            note = [a for a in above if a.text.startswith("附件") or re.match(r"^\d+\.", a.text)]
            body = [a for a in above if a not in note]
            said = f"第 {p.number} 页署名上方有 {len(body)} 行正文" + (f"、{len(note)} 行附件说明" if note else "")
            return _rule("signature-with-body", desc, bool(above), said, exp,
                         [] if above else [p.number])
    return _not_applicable("signature-with-body", desc, "没有找到成文日期", exp)


def _page_number_pages(lay: Layout) -> tuple[list[int], list[int]]:
    """(pages that must carry a number, pages that must not). 7.5: when a blank page
    precedes the 版记 page, neither the blank page nor the 版记 page is numbered."""
    bare = []
    if lay.banji_page and lay.banji_page - 1 in lay.blank:
        bare = [lay.banji_page - 1, lay.banji_page]
    if lay.letter_format:   # 10.1: 信函格式 has no page number on page 1
        bare = [1, *bare]
    return [p.number for p in lay.pages if p.number not in bare], bare


def _no_page_numbers(lay: Layout) -> str:
    return "只有一页，没有页码" if len(lay.pages) == 1 else "没有找到页码（见 page-number-sequence）"


def rule_page_number_format(lay: Layout) -> Rule:
    desc = "页码：4号半角宋体“— N —”"
    exp = f"“— N —”（一字线 U+2014），{PAGE_NO_PT:g} pt ±{SIZE_TOL_PT:g}，{FACE_LABEL['song']}"
    numbered = [p for p in lay.pages if p.page_number_line]
    if not numbered:
        return _not_applicable("page-number-format", desc, _no_page_numbers(lay), exp)
    bad, samples = [], Counter()
    for p in numbered:
        ln = p.page_number_line
        pre, _, post = page_number_parts(ln.text)
        samples[f"“{pre}N{post}”"] += 1
        size_ok = all(_near(g.size, PAGE_NO_PT, SIZE_TOL_PT) for g in ln.glyphs)
        face_ok = all(g.in_face("song") or g.in_face("xbs") for g in ln.glyphs)
        if not (pre == "—" and post == "—" and size_ok and face_ok):
            bad.append(p.number)
    glyphs = [g for p in numbered for g in p.page_number_line.glyphs]
    _, finding = _face_check(glyphs, "song")
    value = f"{_counted(samples)}；{numbered[0].page_number_line.size:g} pt；{finding}"
    if lay.page_number_format == "numberInDash":
        value += ("；页码格式是 Word 的 numberInDash：Word 印作“- N -”（半角连字符，不是一字线），"
                  "LibreOffice 只印数字")
    return _rule("page-number-format", desc, not bad, value, exp, bad)


def rule_page_number_position(lay: Layout) -> Rule:
    desc = "页码位置：单页居右、双页居左各空一字，一字线在版心下边缘下 7 mm"
    exp = (f"单页右端在版心右边缘内 1 字 ±{PAGE_NO_X_TOL_MM:g} mm，双页左端在版心左边缘内同样距离；"
           f"一字线距纸张下边 {PAGE_NO_RISE_MM:g} mm ±{PAGE_NO_Y_TOL_MM:g}")
    numbered = [p for p in lay.pages if p.page_number_line]
    if not numbered:
        return _not_applicable("page-number-position", desc, _no_page_numbers(lay), exp)
    bad, rises, insets = [], [], []
    tol = PAGE_NO_X_TOL_MM * MM
    for p in numbered:
        ln = p.page_number_line
        dashes = [g for g in ln.glyphs if not g.text.isdigit()] or ln.glyphs
        rise = p.height - statistics.median((g.top + g.bottom) / 2 for g in dashes)
        rises.append(rise)
        inset = p.block_right - ln.x1 if p.number % 2 else ln.x0 - lay.outer_left(p)
        insets.append(inset)
        x_ok = -tol <= inset <= ln.size + tol
        if not (x_ok and _near(rise, PAGE_NO_RISE_MM * MM, PAGE_NO_Y_TOL_MM * MM)):
            bad.append(p.number)
    value = (f"离版心外侧边缘 {min(insets) / MM:.1f}–{max(insets) / MM:.1f} mm；"
             f"一字线距纸张下边 {min(rises) / MM:.1f}–{max(rises) / MM:.1f} mm")
    return _rule("page-number-position", desc, not bad, value, exp, bad)


def rule_page_number_sequence(lay: Layout) -> Rule:
    desc = "页码连续"
    must, bare = _page_number_pages(lay)
    exp = "第 N 页印 N" + (f"；空白页和版记页（第 {page_list(bare)} 页）不编页码（7.5）" if bare else "")
    numbered = [p for p in lay.pages if p.page_number_line]
    if not numbered and len(lay.pages) == 1:
        return _not_applicable("page-number-sequence", desc, "只有一页，没有页码", exp)
    missing = [n for n in must if not lay.page(n).page_number_line]
    extra = [n for n in bare if lay.page(n).page_number_line]
    wrong = [p.number for p in numbered
             if page_number_parts(p.page_number_line.text)[1] != p.number]
    parts = []
    if missing:
        parts.append(f"第 {page_list(missing)} 页没有页码")
    if wrong:
        parts.append(f"第 {page_list(wrong)} 页页码不对")
    if extra:
        parts.append(f"第 {page_list(extra)} 页不应编页码")
    value = "；".join(parts) or f"{len(numbered)}/{len(lay.pages)} 页编了页码，从 1 起连续"
    return _rule("page-number-sequence", desc, not (missing or wrong or extra), value, exp,
                 missing + wrong + extra)


def rule_attachment_new_page(lay: Layout) -> Rule:
    desc = "附件另面编排，“附件N”黑体顶格"
    exp = "“附件N”（黑体）是其页第一行，在版心左边缘"
    if not lay.labels:
        return _not_applicable("attachment-new-page", desc, "没有附件", exp)
    bad, notes = [], []
    for ln in lay.labels:
        first = lay.running_lines(ln.page)[0] is ln
        share, _ = _face_check(ln.glyphs, "hei")
        left = lay.edges(ln.page)[0]
        at_left = left is None or ln.x0 <= left + 2
        if not (first and share >= 0.9 and at_left):
            bad.append(ln.page)
            why = [w for w, c in (("不是该页第一行", not first),
                                  ("不是黑体", share < 0.9), ("没有顶格", not at_left)) if c]
            notes.append(f"第 {ln.page} 页的“{ln.text}”{'、'.join(why)}")
        else:
            notes.append(f"“{ln.text}”在第 {ln.page} 页页首")
    return _rule("attachment-new-page", desc, not bad, "；".join(notes), exp, bad)


def rule_banji_bottom(lay: Layout) -> Rule:
    desc = "版记末条分隔线与版心下边缘重合"
    exp = f"距纸张下边 {BOTTOM_MARGIN_MM:g} mm ±{BANJI_TOL_MM:g}（A4 上距上边 {BANJI_BOTTOM_MM:g} mm）"
    if lay.banji_page is None:
        return _not_applicable("banji-bottom", desc, "没有版记", exp)
    if not lay.banji_rules:
        return _rule("banji-bottom", desc, False, "版记没有分隔线", exp, [lay.banji_page])
    last = lay.banji_rules[-1]
    p = lay.page(lay.banji_page)
    ok = _near(last.y, p.block_bottom, BANJI_TOL_MM * MM)
    value = (f"{len(lay.banji_rules)} 条分隔线；末条距纸张上边 {_mm(last.y)}、下边 "
             f"{_mm(p.height - last.y)}，宽 {_mm(last.width)}，粗 {last.thickness:.2f} pt")
    return _rule("banji-bottom", desc, ok, value, exp, [] if ok else [lay.banji_page])


def rule_banji_even(lay: Layout) -> Rule:
    desc = "版记在偶数页"
    exp = "偶数页"
    if lay.banji_page is None:
        return _not_applicable("banji-even-page", desc, "没有版记", exp)
    if lay.char_grid and not lay.char_grid.emulated:
        return _not_applicable("banji-even-page", desc,
                               f"文档用 Word 字符网格，{GRID_NOTE}，分页与 Word 不同", exp)
    ok = lay.banji_page % 2 == 0
    return _rule("banji-even-page", desc, ok, f"第 {lay.banji_page} 页", exp,
                 [] if ok else [lay.banji_page])


def rule_no_blank_pages(lay: Layout) -> Rule:
    desc = "无空白页（版记前的一页除外）"
    allowed = [lay.banji_page - 1] if lay.banji_page else []
    exp = "没有空白页" + (f"（第 {allowed[0]} 页可以空白）" if allowed else "")
    bad = [n for n in lay.blank if n not in allowed]
    value = f"空白页：第 {page_list(lay.blank)} 页" if lay.blank else "没有空白页"
    return _rule("no-blank-pages", desc, not bad, value, exp, bad)


RULES = [
    rule_paper, rule_margin_left, rule_margin_top, rule_no_header, rule_lines_per_page,
    rule_chars_per_line, rule_font_body, rule_font_title, rule_font_h1, rule_font_h2,
    rule_red_mark, rule_red_line, rule_doc_number, rule_body_on_page1,
    rule_signature_with_body, rule_page_number_format, rule_page_number_position,
    rule_page_number_sequence, rule_attachment_new_page, rule_banji_bottom, rule_banji_even,
    rule_no_blank_pages,
]
RULE_IDS = ["paper-a4", "margin-left", "margin-top", "no-header", "lines-per-page",
            "chars-per-line", "font-body", "font-title", "font-h1", "font-h2", "red-mark",
            "red-line", "doc-number", "body-on-page1", "signature-with-body",
            "page-number-format", "page-number-position", "page-number-sequence",
            "attachment-new-page", "banji-bottom", "banji-even-page", "no-blank-pages"]


# --------------------------------------------------------------------------- entry point
TEXTLESS = "PDF 里没有文字（扫描件，或文字已转成曲线）"


def run_rules(lay: Layout) -> list[Rule]:
    """Every rule; on pages without any text only the paper and blank pages are measurable."""
    out = []
    for rule in RULES:
        result = rule(lay)
        if lay.textless and rule not in (rule_paper, rule_no_blank_pages):
            result = _not_applicable(result.name, result.description, TEXTLESS, result.expected)
        out.append(result)
    return out


def check_pdf(pdf: Path, facts: DocxFacts | None = None) -> tuple[int, list[Rule]]:
    """Run every rule on a PDF: (page count, rule results). ``facts``: what the .docx
    the PDF was made from asks for (fonts, 页眉 text, character grid)."""
    pages = measure(pdf)
    lay = analyse(pages, facts)
    if facts is not None:
        attach_requested(pages, facts)
    return len(lay.pages), run_rules(lay)


# suffix -> the package part that must be there; None: a PDF
INPUTS = {".pdf": None, ".docx": "word/document.xml", ".docm": "word/document.xml",
          ".dotx": "word/document.xml", ".dotm": "word/document.xml", ".odt": "content.xml"}


def _damaged(path: Path, reason: str) -> GendocError:
    return GendocError(f"文件已损坏或不是有效的 {path.suffix.lower()}：{reason}；"
                       "请在 Word 或 WPS 中打开后另存为 .docx 再试", file=str(path))


def _head(path: Path, n: int) -> bytes:
    """The first ``n`` bytes of a file (fewer if it is shorter)."""
    try:
        with path.open("rb") as fh:
            return fh.read(n)
    except OSError as exc:
        raise GendocError(f"读不了这个文件：{exc.strerror or exc}", file=str(path)) from exc


def open_package(path: Path) -> DocxFacts | None:
    """Check that a .docx/.dotx/.odt is a whole package before LibreOffice sees it, and
    read what a Word package asks for (None for .odt). Raises :class:`GendocError`
    naming what is damaged."""
    main = INPUTS[path.suffix.lower()]
    magic = _head(path, 8)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise _damaged(path, "这是旧版 Word（.doc）或 WPS（.wps）格式，只是扩展名写成了 "
                       f"{path.suffix.lower()}")
    if not magic.startswith(b"PK"):
        raise _damaged(path, "文件是空的" if not magic else "不是 zip 压缩包")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _damaged(path, "压缩包不完整，可能在下载或复制时被截断") from exc
    with zf:
        try:
            info = zf.getinfo(main)
        except KeyError:
            raise _damaged(path, f"压缩包里没有 {main}") from None
        try:
            data = zf.read(info) if info.file_size <= _XML_MAX else None
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError,
                NotImplementedError) as exc:
            raise _damaged(path, f"{main} 解压不出来（{exc}）") from exc
        if data is not None:
            from lxml import etree
            try:
                _xml(data)
            except etree.XMLSyntaxError as exc:
                raise _damaged(path, f"{main} 不是完整的 XML（{exc.msg}）") from exc
        if main != "word/document.xml":
            return None
        try:
            return read_docx_facts(zf)
        except Exception:  # noqa: BLE001 - the facts only enrich the findings
            return None


def _keep(dest: Path, data: bytes) -> None:
    """--keep-pdf: the measured PDF, written atomically (gendoc.outputs)."""
    from .outputs import write_atomic
    dest.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(dest, data)


def verify(path: Path, *, keep_pdf: Path | None = None, timeout: float | None = None) -> Report:
    """Check a .docx, .dotx, .odt or .pdf against GB/T 9704-2012 by measuring its pages.

    A word-processor file is checked for damage, then converted with LibreOffice
    (:func:`gendoc.pdf.docx_to_pdf`; ``timeout`` in seconds, None: the converter's
    default, which scales with the document). ``keep_pdf``: where to keep the rendered
    PDF (a file path, or an existing directory for ``<stem>.pdf``); by default it is
    thrown away. Raises :class:`GendocError` (one line, in Chinese) for a missing,
    unreadable or damaged file or one of another kind.
    """
    path = Path(path)
    if path.is_dir():
        raise GendocError("这是文件夹，不是要验证的文件", file=str(path))
    if not path.is_file():
        raise GendocError("没有这个文件", file=str(path))
    suffix = path.suffix.lower()
    if suffix not in INPUTS:
        kind = f" {suffix} 文件" if suffix else "没有扩展名的文件"
        raise GendocError(f"不能验证{kind}：请给出 .docx、.dotx、.odt 或 .pdf", file=str(path))

    dest = None
    if keep_pdf is not None:
        keep_pdf = Path(keep_pdf)
        dest = keep_pdf / f"{path.stem}.pdf" if keep_pdf.is_dir() else keep_pdf

    if suffix == ".pdf":
        if _head(path, 5) != b"%PDF-":
            raise GendocError("不是 PDF 文件（开头没有 %PDF-）；请重新导出 PDF 再试", file=str(path))
        count, rules = check_pdf(path)
        if dest is not None and not (dest.exists() and dest.samefile(path)):
            _keep(dest, path.read_bytes())
        return Report(path, dest or path, count, rules)

    facts = open_package(path)
    from .pdf import converted

    data = None
    grid = facts.char_grid if facts else None
    if grid is not None and grid.spacing is not None:
        buf = io.BytesIO()
        grid_copy(path, buf, grid.spacing)
        data = buf.getvalue()
        grid.emulated = True
    # the PDF lives in the conversion's private folder, gone when the block ends
    with converted(path, data=data, timeout=timeout) as pdf:
        count, rules = check_pdf(pdf, facts)
        if dest is not None:
            _keep(dest, pdf.read_bytes())
    return Report(path, dest, count, rules)
