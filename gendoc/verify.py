"""Conformance checker: measure a rendered 公文 against GB/T 9704-2012.

It works on the rendered page, not on the XML, so it can check any .docx (converted with
LibreOffice through :func:`gendoc.pdf.docx_to_pdf`) or any .pdf, including documents that
somebody typed by hand. The PDF is measured with pdfplumber: characters with their
positions, font names, sizes and fill colours, and the rules (lines and thin rectangles)
with their colours and widths.

The layer cake:

* **measurement** (:class:`Glyph`, :class:`TextLine`, :class:`HRule`, :class:`Page`): what is
  on each page, in points from the top-left corner of the sheet;
* **analysis** (:class:`Layout`): the document's structure read from the measurements —
  the text block's edges, the line pitch, the 版头 (red mark, red line, 发文字号, title),
  attachment labels, the 版记, blank pages, full pages;
* **rules**: one function per GB/T 9704 requirement, each returning a :class:`Rule`.

Figures come from docs/gbt9704.md §1.1 (geometry), §2 (fonts), §3 (elements).

Where the top of the 版心 is measured (rule ``margin-top``): LibreOffice and Word centre a
glyph vertically in an exact-height line, so the top of the line box is *glyph top minus
half the leading*, ``glyph_top - (pitch - size) / 2``. With 28.95 pt lines and 16 pt
FangSong the glyph top sits 6.5 pt below the line top; on the good fixture this puts the
line top at 37.05 mm. "Glyph top" is pdfplumber's character box top (baseline + descent −
size), i.e. the top of the em box, not of the ink.
"""

from __future__ import annotations

import re
import shutil
import statistics
import tempfile
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .errors import GendocError

# --------------------------------------------------------------------------- the standard
MM = 72 / 25.4                      # points per millimetre
PAPER_W_MM, PAPER_H_MM = 210.0, 297.0
PAPER_TOL_MM = 1.0
LEFT_MM, TOP_MM = 28.0, 37.0        # 订口, 天头
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
PAGE_NO_Y_MM, PAGE_NO_Y_TOL_MM = 269.0, 3.0       # 版心 bottom (262) + 7 mm
PAGE_NO_X_TOL_MM = 2.0
BANJI_BOTTOM_MM, BANJI_TOL_MM = TOP_MM + BLOCK_H_MM, 1.5
DOC_NUMBER_RE = re.compile(r"^\S+〔\d{4}〕[1-9]\d*号$")

LEFT, TOP = LEFT_MM * MM, TOP_MM * MM
RIGHT = (LEFT_MM + BLOCK_W_MM) * MM
BOTTOM = (TOP_MM + BLOCK_H_MM) * MM

CN_NUM = "一二三四五六七八九十百"
H1_RE = re.compile(rf"^[{CN_NUM}]+、")
H2_RE = re.compile(rf"^（[{CN_NUM}]+）")
ATTACH_LABEL_RE = re.compile(r"^附件[0-9０-９]*$")
PAGE_NO_RE = re.compile(r"^(\D{0,3}?)(\d{1,4})(\D{0,3})$")


# --------------------------------------------------------------------------- report
@dataclass
class Rule:
    """The result of one check."""

    name: str
    description: str
    passed: bool
    value: str
    expected: str
    pages: list[int] = field(default_factory=list)
    applicable: bool = True

    def format(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        if not self.applicable:
            status = "N/A "
        where = f" [pages {', '.join(map(str, self.pages))}]" if self.pages else ""
        return f"{status} {self.name}: {self.value} (expected {self.expected}){where}"


@dataclass
class Report:
    path: Path
    pdf: Path | None
    page_count: int
    rules: list[Rule] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.passed for r in self.rules)

    @property
    def failed(self) -> list[Rule]:
        return [r for r in self.rules if not r.passed]

    def rule(self, name: str) -> Rule:
        for r in self.rules:
            if r.name == name:
                return r
        raise KeyError(name)

    def format(self) -> str:
        return "\n".join(r.format() for r in self.rules)


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


def face_kinds(font: str) -> set[str]:
    """Which 公文 faces a (decoded) PDF font name stands for: fangsong/kai/hei/xbs/song.

    A bold Noto Serif CJK (the 小标宋 stand-in) is ``xbs`` and also ``song``; the regular one
    only ``song``. FangSong is tested before Song, so FandolFang is not a Song face.
    """
    n = _norm_face(font)
    kinds = {kind for kind, words in _FACE_WORDS.items() if any(w and w in n for w in words)}
    if "bold" in n and any(b in n for b in _BOLD_ONLY):
        kinds.add("xbs")
    if "fangsong" in kinds or "kai" in kinds:
        kinds.discard("song")       # "FangSong", "KaiSong"… are not 宋体
    return kinds


FACE_LABEL = {"fangsong": "FangSong/仿宋", "kai": "Kai/楷体", "hei": "Hei/黑体",
              "xbs": "XiaoBiaoSong/小标宋 (or Noto Serif CJK Bold)", "song": "Song/宋体"}


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

    @property
    def cjk(self) -> bool:
        return unicodedata.east_asian_width(self.text) in ("W", "F")

    @property
    def kinds(self) -> set[str]:
        return face_kinds(self.font)


@dataclass
class TextLine:
    page: int
    glyphs: list[Glyph]

    @property
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

    @property
    def size(self) -> float:
        """The dominant font size (most glyphs; CJK glyphs preferred)."""
        pool = [g for g in self.glyphs if g.cjk] or self.glyphs
        return Counter(round(g.size, 1) for g in pool).most_common(1)[0][0]

    @property
    def red(self) -> bool:
        return sum(is_red(g.rgb) for g in self.glyphs) > len(self.glyphs) / 2

    def units(self) -> float:
        return sum(cell_units(g.text, g.x1 - g.x0, g.size) for g in self.glyphs)

    def box_top(self, pitch: float) -> float:
        """Top of the line box: glyph (em box) top minus half the leading."""
        cjk = [g for g in self.glyphs if g.cjk] or self.glyphs
        top = statistics.median(g.top for g in cjk)
        size = statistics.median(g.size for g in cjk)
        return top - max(pitch - size, 0) / 2

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

    @property
    def body_lines(self) -> list[TextLine]:
        return [ln for ln in self.lines if ln is not self.page_number_line]


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
    for rc in page.rects:
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


def _find_page_number(page: Page) -> TextLine | None:
    """The page-number line: the lowest line below the 版心 holding digits only (+ dashes)."""
    for ln in reversed(page.lines):
        if ln.top < BOTTOM - 2 * MM:
            return None
        if PAGE_NO_RE.match(ln.text):
            return ln
    return None


def measure(pdf_path: Path) -> list[Page]:
    """Read every page of a PDF into :class:`Page` measurements."""
    try:
        import pdfplumber
    except ImportError as exc:  # pragma: no cover
        raise GendocError("pdfplumber is needed to verify documents: pip install pdfplumber"
                          ) from exc
    pages = []
    try:
        with pdfplumber.open(str(pdf_path)) as pdf:
            for i, p in enumerate(pdf.pages, 1):
                page = Page(i, float(p.width), float(p.height),
                            _cluster_lines(i, _glyphs(p)), _hrules(i, p), bool(p.images))
                page.page_number_line = _find_page_number(page)
                pages.append(page)
    except GendocError:
        raise
    except Exception as exc:  # pdfminer raises many types for damaged files
        raise GendocError(f"cannot read the PDF: {exc.__class__.__name__}: {exc}",
                          file=str(pdf_path)) from exc
    if not pages:
        raise GendocError("the PDF has no pages", file=str(pdf_path))
    return pages


# --------------------------------------------------------------------------- analysis
def _near(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= tol


def _mm(pt: float) -> str:
    return f"{pt / MM:.1f} mm"


def _is_body_size(size: float) -> bool:
    return _near(size, BODY_PT, SIZE_TOL_PT + 0.5)   # 3号 text, a little wider than the rule


@dataclass
class Layout:
    """The document's structure, read once from the measured pages."""

    pages: list[Page]
    pitch: float = 0.0
    left: float | None = None
    right: float | None = None
    mark: list[TextLine] = field(default_factory=list)        # red 发文机关标志 lines
    red_line: HRule | None = None
    doc_number: list[TextLine] = field(default_factory=list)
    title: list[TextLine] = field(default_factory=list)
    labels: list[TextLine] = field(default_factory=list)      # 附件N labels
    banji_page: int | None = None
    banji_rules: list[HRule] = field(default_factory=list)
    blank: list[int] = field(default_factory=list)
    full_pages: list[int] = field(default_factory=list)
    segment_ends: list[int] = field(default_factory=list)

    @property
    def has_header(self) -> bool:
        return bool(self.mark or self.red_line)

    def page(self, n: int) -> Page:
        return self.pages[n - 1]

    def running_lines(self, n: int) -> list[TextLine]:
        """Body lines of page n without the 版记 (lines at or below its first rule)."""
        lines = self.page(n).body_lines
        if n == self.banji_page and self.banji_rules:
            first = self.banji_rules[0].y
            lines = [ln for ln in lines if ln.bottom < first - 2]
        return lines


def _clusters(values: list[float], tol: float) -> list[list[float]]:
    groups: list[list[float]] = []
    for v in sorted(values):
        if groups and v - groups[-1][-1] <= tol:
            groups[-1].append(v)
        else:
            groups.append([v])
    return groups


def analyse(pages: list[Page]) -> Layout:
    lay = Layout(pages)
    body = [ln for p in pages for ln in p.body_lines]

    # line pitch: median gap between consecutive 3号 lines on a page
    gaps = []
    for p in pages:
        bl = [ln.baseline for ln in p.body_lines if _is_body_size(ln.size)]
        gaps += [b - a for a, b in zip(bl, bl[1:]) if 0 < b - a < 2.2 * BODY_PT]
    lay.pitch = statistics.median(gaps) if gaps else 28.95

    # the text block's left/right edges from wide 3号 lines
    wide = [ln for ln in body if _is_body_size(ln.size) and ln.x1 - ln.x0 > 0.8 * BLOCK_W_MM * MM]
    if wide:
        groups = [g for g in _clusters([ln.x0 for ln in wide], 1.0) if len(g) >= 2] \
            or _clusters([ln.x0 for ln in wide], 1.0)
        lay.left = statistics.median(groups[0])
        lay.right = statistics.median(ln.x1 for ln in wide)

    # 版头 on page 1: red mark, red line, 发文字号, title
    p1 = pages[0]
    lay.mark = [ln for ln in p1.body_lines if ln.red]
    red_rules = [r for r in p1.rules if is_red(r.rgb) and r.width > 50 * MM]
    mark_bottom = max((ln.bottom for ln in lay.mark), default=0.0)
    below = [r for r in red_rules if r.y > mark_bottom] if lay.mark else red_rules
    lay.red_line = max(below or red_rules, key=lambda r: r.width, default=None)
    if lay.mark:
        limit = lay.red_line.y if lay.red_line else None
        after = [ln for ln in p1.body_lines if ln.top > mark_bottom and not ln.red]
        if limit is not None:
            lay.doc_number = [ln for ln in after if ln.bottom < limit]
        elif after and re.search(r"\d{4}", after[0].text) and _is_body_size(after[0].size):
            lay.doc_number = [after[0]]
    start = lay.red_line.y if lay.red_line else mark_bottom
    for ln in p1.body_lines:
        if ln.top <= start or ln.red:
            continue
        if ln.size >= TITLE_PT - 2:
            lay.title.append(ln)
        elif lay.title:
            break

    # 附件 labels: "附件" / "附件N" alone on a line at the left edge
    left = lay.left if lay.left is not None else LEFT
    lay.labels = [ln for ln in body if ATTACH_LABEL_RE.match(ln.text)
                  and ln.x0 <= left + BODY_PT]

    # 版记 on the last page: a line ending with 印发 in the lower half, wide rules
    last = pages[-1]
    for ln in last.body_lines:
        if ln.text.endswith("印发") and ln.top > last.height / 2:
            lay.banji_page = last.number
            lay.banji_rules = [r for r in last.rules if r.width > 0.8 * BLOCK_W_MM * MM
                               and r.y > last.height / 3 and not is_red(r.rgb)]
            if lay.banji_rules:
                top_rule = lay.banji_rules[0]
                above = [ln2 for ln2 in last.body_lines if ln2.bottom < top_rule.y - 2]
                # rules further up the page that separate body text are not 版记 rules
                if above:
                    lay.banji_rules = [r for r in lay.banji_rules
                                       if r.y > max(a.bottom for a in above)]
            break

    # blank pages, running-text segments, full pages
    lay.blank = [p.number for p in pages
                 if not p.body_lines and not p.has_images and not p.rules]
    starts = {1} | {ln.page for ln in lay.labels}
    # a label below other text: its page ends one segment and starts the next, so it is
    # not a full page either
    shared = {ln.page for ln in lay.labels if lay.running_lines(ln.page)[0] is not ln}
    running = [p.number for p in pages if p.number not in lay.blank
               and (p.number != lay.banji_page or lay.running_lines(p.number))]
    segments: list[list[int]] = []
    for n in running:
        if n in starts or not segments:
            segments.append([n])
        else:
            segments[-1].append(n)
    lay.segment_ends = [s[-1] for s in segments]
    p1_header = lay.has_header or any(ln.size > 18 for ln in p1.body_lines)
    for seg in segments:
        for n in seg[:-1]:
            if (n == 1 and p1_header) or n == lay.banji_page or n in shared:
                continue
            lay.full_pages.append(n)
    return lay


# --------------------------------------------------------------------------- rules
def _rule(name, description, passed, value, expected, pages=(), applicable=True) -> Rule:
    return Rule(name, description, bool(passed), value, expected, sorted(set(pages)), applicable)


def _not_applicable(name, description, value, expected) -> Rule:
    return _rule(name, description, True, f"not applicable: {value}", expected, applicable=False)


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
    value = ", ".join(f"{k} ×{v}" for k, v in sizes.items())
    return _rule("paper-a4", "纸张 A4 / paper A4 on every page", not bad, value,
                 f"210×297 mm ±{PAPER_TOL_MM:g} (landscape A4 allowed)", bad)


def rule_margin_left(lay: Layout) -> Rule:
    desc = "版心左边距 28 mm / type area left edge 28 mm (订口)"
    exp = f"{LEFT_MM:g} mm ±{MARGIN_TOL_MM:g}"
    if lay.left is None:
        return _rule("margin-left", desc, False, "no full-width 3号 line to measure", exp)
    ok = _near(lay.left, LEFT, MARGIN_TOL_MM * MM)
    right = f"; right edge {_mm(lay.right)}" if lay.right else ""
    return _rule("margin-left", desc, ok, f"{_mm(lay.left)}{right}", exp)


def rule_margin_top(lay: Layout) -> Rule:
    desc = "版心上边距 37 mm / type area top edge 37 mm (天头), first line box on full pages"
    exp = f"{TOP_MM:g} mm ±{MARGIN_TOL_MM:g} (line top = glyph top − half leading)"
    pages = lay.full_pages or [n for n in range(2, len(lay.pages) + 1)
                               if n not in lay.blank and lay.running_lines(n)]
    if not pages:
        return _not_applicable("margin-top", desc, "no page after page 1 to measure", exp)
    tops = {n: lay.running_lines(n)[0].box_top(lay.pitch) for n in pages}
    bad = [n for n, t in tops.items() if not _near(t, TOP, MARGIN_TOL_MM * MM)]
    values = sorted(tops.values())
    value = _mm(statistics.median(values))
    if values[0] != values[-1]:
        value += f" (range {values[0] / MM:.1f}–{values[-1] / MM:.1f} mm)"
    return _rule("margin-top", desc, not bad, value, exp, bad)


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
    desc = "每面 22 行 / 22 lines on every full body page"
    exp = f"{LINES_PER_PAGE} lines on each full page"
    if not lay.full_pages:
        return _not_applicable("lines-per-page", desc, "no full page", exp)
    counts = {}
    for n in lay.full_pages:
        lines = [ln for ln in lay.running_lines(n) if ln.top < BOTTOM + 3 * MM]
        counts[n] = line_slots(lay, lines)
    # keep-with-next moves a heading that would stand alone at the foot of a page to the
    # next page (gbt9704.md §7.7): such a page may end one or two lines early.
    # Likewise the last lines of the body move with the 署名 and 成文日期 (7.3.5.5).
    bad = [n for n, c in counts.items()
           if c != LINES_PER_PAGE
           and not (LINES_PER_PAGE - 2 <= c < LINES_PER_PAGE and _starts_with_heading(lay, n + 1))
           and not (LINES_PER_PAGE - 7 <= c < LINES_PER_PAGE and _holds_signature(lay, n + 1))]
    dist = Counter(counts.values())
    value = (", ".join(f"{k} lines ×{v}" for k, v in sorted(dist.items()))
             + f" on pages {','.join(map(str, counts))}; pitch {lay.pitch:.2f} pt")
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
    return bool(_HEADING_START.match(first.text)) and first.x1 < (lay.right or first.x1) - first.size


def full_lines(lay: Layout) -> list[TextLine]:
    """3号 lines that fill the measure: right edge within half a character of the text block's
    right edge, left edge at the left edge or two characters in."""
    if lay.left is None or lay.right is None:
        return []
    out = []
    for p in lay.pages:
        for ln in lay.running_lines(p.number):
            if not _is_body_size(ln.size) or ln.red or ln in lay.title:
                continue
            size = ln.size
            indent = ln.x0 - lay.left
            if (ln.x1 >= lay.right - size / 2 and -2 <= indent <= 2 * size + 2):
                out.append(ln)
    return out


def _has_latin_run(ln: TextLine, nxt: TextLine | None = None) -> bool:
    """The line holds, or is pushed short by, an unbreakable run of Latin letters/digits."""
    if re.search(r"[0-9A-Za-z]{3,}", ln.text):
        return True
    return nxt is not None and bool(re.match(r"^\W?[0-9A-Za-z]{3,}", nxt.text))


def line_chars(lay: Layout, ln: TextLine) -> int:
    """Characters in a full line, counting the indent cells (2 for a first line)."""
    indent = round(max(ln.x0 - (lay.left or ln.x0), 0) / ln.size)
    return int(ln.units() + indent + 0.5)


def rule_chars_per_line(lay: Layout) -> Rule:
    desc = "每行 28 字 / 28 characters on every full line"
    lo, hi = CHARS_RANGE
    exp = f"≥{CHARS_MIN_SHARE:.0%} of full lines hold {CHARS_PER_LINE}, none <{lo} or >{hi}"
    lines = full_lines(lay)
    if not lines:
        return _not_applicable("chars-per-line", desc, "no full line", exp)
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
    value = (f"{share:.0%} of {len(pure)} all-Chinese full lines hold {CHARS_PER_LINE} "
             f"({len(counts)} full lines in all); "
             + ", ".join(f"{k}:{v}" for k, v in sorted(dist.items())))
    return _rule("chars-per-line", desc, ok, value, exp, bad)


def _face_check(glyphs: list[Glyph], kind: str) -> tuple[float, str]:
    """Share of the CJK glyphs in the face ``kind``, and the faces seen."""
    cjk = [g for g in glyphs if g.cjk] or glyphs
    if not cjk:
        return 1.0, ""
    hits = sum(kind in g.kinds for g in cjk)
    faces = Counter(g.font for g in cjk)
    seen = ", ".join(f"{f} ({n})" for f, n in faces.most_common(3))
    return hits / len(cjk), seen


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
    wide = [r.y for r in p.rules if r.width > 0.8 * BLOCK_W_MM * MM and not is_red(r.rgb)]
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
    desc = "正文 3号仿宋 / body text 16 pt in a FangSong face"
    exp = f"{BODY_PT:g} pt ±{SIZE_TOL_PT:g}, ≥{FACE_MIN_SHARE:.0%} of CJK glyphs in {FACE_LABEL['fangsong']}"
    glyphs = _body_glyphs(lay)
    if not glyphs:
        return _rule("font-body", desc, False, "no body text found", exp)
    sized = [g for g in glyphs if _near(g.size, BODY_PT, SIZE_TOL_PT)]
    size_share = len(sized) / len(glyphs)
    share, seen = _face_check(sized or glyphs, "fangsong")
    sizes = Counter(round(g.size, 1) for g in glyphs).most_common(3)
    ok = size_share >= FACE_MIN_SHARE and share >= FACE_MIN_SHARE
    bad: list[int] = []
    if not ok:
        bad_ids = {id(g) for g in glyphs if not _near(g.size, BODY_PT, SIZE_TOL_PT)
                   or (g.cjk and "fangsong" not in g.kinds)}
        bad = sorted({ln.page for p in lay.pages for ln in p.lines
                      if any(id(g) in bad_ids for g in ln.glyphs)})
    value = (f"sizes {', '.join(f'{s:g} pt ×{n}' for s, n in sizes)}; "
             f"{share:.0%} FangSong ({seen})")
    return _rule("font-body", desc, ok, value, exp, bad[:20])


def rule_font_title(lay: Layout) -> Rule:
    desc = "标题 2号小标宋 / title 22 pt in a 小标宋 face"
    exp = f"{TITLE_PT:g} pt ±{SIZE_TOL_PT:g} in {FACE_LABEL['xbs']}"
    if not lay.title:
        return _rule("font-title", desc, False, "no 2号 title found on page 1", exp, [1])
    glyphs = [g for ln in lay.title for g in ln.glyphs]
    size = statistics.median(g.size for g in glyphs)
    share, seen = _face_check(glyphs, "xbs")
    ok = _near(size, TITLE_PT, SIZE_TOL_PT) and share >= FACE_MIN_SHARE
    text = "".join(ln.text for ln in lay.title)
    return _rule("font-title", desc, ok, f"“{text[:30]}” {size:g} pt, {seen}", exp,
                 [] if ok else [1])


def _rule_heading(lay: Layout, name: str, desc: str, pattern: re.Pattern, kind: str) -> Rule:
    exp = f"{FACE_LABEL[kind]}, {BODY_PT:g} pt"
    heads = [ln for p in lay.pages for ln in lay.running_lines(p.number)
             if pattern.match(ln.text) and _is_body_size(ln.size)
             and lay.left is not None and ln.x0 <= lay.left + 2 * ln.size + 2]
    if not heads:
        return _not_applicable(name, desc, "no such heading", exp)
    bad, faces = [], Counter()
    for ln in heads:
        part = _heading_part(ln)
        share, _ = _face_check(part, kind)
        faces.update(g.font for g in part if g.cjk)
        if share < 0.9 or not all(_near(g.size, BODY_PT, SIZE_TOL_PT) for g in part):
            bad.append(ln.page)
    seen = ", ".join(f for f, _ in faces.most_common(2))
    value = f"{len(heads) - len(bad)}/{len(heads)} headings ok ({seen})"
    return _rule(name, desc, not bad, value, exp, bad)


def rule_font_h1(lay: Layout) -> Rule:
    return _rule_heading(lay, "font-h1", "一级标题 3号黑体 / level-1 headings (一、) in Hei",
                         H1_RE, "hei")


def rule_font_h2(lay: Layout) -> Rule:
    return _rule_heading(lay, "font-h2", "二级标题 3号楷体 / level-2 headings (（一）) in Kai",
                         H2_RE, "kai")


def rule_red_mark(lay: Layout) -> Rule:
    desc = "红色发文机关标志 / red issuing-organ mark on page 1"
    exp = "red text above the red line"
    if not lay.has_header:
        return _not_applicable("red-mark", desc, "no 版头", exp)
    if not lay.mark:
        return _rule("red-mark", desc, False, "red line but no red mark", exp, [1])
    text = "".join(ln.text for ln in lay.mark)
    size = max(ln.size for ln in lay.mark)
    return _rule("red-mark", desc, True, f"“{text}” {size:g} pt", exp)


def rule_red_line(lay: Layout) -> Rule:
    desc = "红色分隔线 156 mm / red separator line, 156 mm wide, below the mark"
    exp = f"red rule {RED_LINE_W_MM:g} mm ±{RED_LINE_TOL_MM:g} below the mark"
    if not lay.has_header:
        return _not_applicable("red-line", desc, "no 版头", exp)
    if lay.red_line is None:
        return _rule("red-line", desc, False, "no red line on page 1", exp, [1])
    line = lay.red_line
    mark_bottom = max((ln.bottom for ln in lay.mark), default=0.0)
    ok = _near(line.width, RED_LINE_W_MM * MM, RED_LINE_TOL_MM * MM) and line.y > mark_bottom
    value = (f"{_mm(line.width)} wide, {line.thickness:.2f} pt thick, at {_mm(line.y)} "
             f"from the top")
    if line.y <= mark_bottom:
        value += " (above the mark)"
    return _rule("red-line", desc, ok, value, exp, [] if ok else [1])


def rule_doc_number(lay: Layout) -> Rule:
    desc = "发文字号 机关代字〔年份〕序号号 / document number with 〔〕 and no leading zeros"
    exp = "^\\S+〔\\d{4}〕[1-9]\\d*号$"
    if not lay.doc_number:
        return _not_applicable("doc-number", desc, "no 发文字号 on page 1", exp)
    ln = lay.doc_number[-1]
    parts = ln.segments(1.5 * ln.size)
    # 上行文: "字号 … 签发人：姓名" on one line; take the part that is not the signer
    candidates = [s for s in parts if "签发人" not in s] or parts
    number = next((s for s in candidates if re.search(r"\d", s)), candidates[0])
    ok = bool(DOC_NUMBER_RE.match(number))
    return _rule("doc-number", desc, ok, number, exp, [] if ok else [1])


def rule_body_on_page1(lay: Layout) -> Rule:
    desc = "首页显示正文 / body text starts on page 1"
    exp = "3号 text below the title on page 1"
    start = (lay.title[-1].bottom if lay.title else
             lay.red_line.y if lay.red_line else 0.0)
    lines = [ln for ln in lay.running_lines(1) if ln.top > start and not ln.red
             and _near(ln.size, BODY_PT, SIZE_TOL_PT)]
    if lines and lines[0].text.endswith("："):
        lines = lines[1:]           # 主送机关 is not 正文
    return _rule("body-on-page1", desc, bool(lines), f"{len(lines)} lines of 3号 text below "
                 "the title" + ("" if lay.title else " (no title found)"), exp,
                 [] if lines else [1])


_DATE_LINE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")


def _is_signature_date(lay: Layout, ln: TextLine) -> bool:
    """A 成文日期: a full date alone on a line, set well to the right."""
    return bool(_DATE_LINE.match(ln.text)) and ln.x0 > (lay.left or 0) + 8 * ln.size


def rule_signature_with_body(lay: Layout) -> Rule:
    """7.3.5.5: the 署名 and 成文日期 never stand on a page without body text: above the
    成文日期 on its page there is a line that is neither 附件说明 nor the 署名."""
    desc = "署名页有正文 / the page with the 署名 and date also holds body text"
    exp = "body text above the 署名 on its page"
    for p in lay.pages:
        lines = lay.running_lines(p.number)
        for i, ln in enumerate(lines):
            if not _is_signature_date(lay, ln):
                continue
            above = lines[:max(i - 1, 0)]
            body = [a for a in above if not a.text.startswith("附件") and not re.match(r"^\d+\.", a.text)]
            return _rule("signature-with-body", desc, bool(body),
                         f"page {p.number}: {len(body)} body lines above the 署名", exp,
                         [] if body else [p.number])
    return _not_applicable("signature-with-body", desc, "no 成文日期 found", exp)


def _page_number_pages(lay: Layout) -> tuple[list[int], list[int]]:
    """(pages that must carry a number, pages that must not). 7.5: when a blank page
    precedes the 版记 page, neither the blank page nor the 版记 page is numbered."""
    bare = []
    if lay.banji_page and lay.banji_page - 1 in lay.blank:
        bare = [lay.banji_page - 1, lay.banji_page]
    return [p.number for p in lay.pages if p.number not in bare], bare


def rule_page_number_format(lay: Layout) -> Rule:
    desc = "页码 4号半角宋体 “— N —” / page numbers “— N —”, 14 pt, Song face"
    exp = f"“— N —” with U+2014, {PAGE_NO_PT:g} pt ±{SIZE_TOL_PT:g}, {FACE_LABEL['song']}"
    numbered = [p for p in lay.pages if p.page_number_line]
    if not numbered:
        return _rule("page-number-format", desc, False, "no page numbers found", exp)
    bad, samples = [], Counter()
    for p in numbered:
        ln = p.page_number_line
        m = PAGE_NO_RE.match(ln.text)
        samples[f"{m.group(1)}N{m.group(3)}"] += 1
        size_ok = all(_near(g.size, PAGE_NO_PT, SIZE_TOL_PT) for g in ln.glyphs)
        face_ok = all("song" in g.kinds or "xbs" in g.kinds for g in ln.glyphs)
        if not (m.group(1) == "—" and m.group(3) == "—" and size_ok and face_ok):
            bad.append(p.number)
    ln0 = numbered[0].page_number_line
    fonts = ", ".join(sorted({g.font for g in ln0.glyphs}))
    value = (", ".join(f"“{k}” ×{v}" for k, v in samples.items())
             + f"; {ln0.size:g} pt; {fonts}")
    return _rule("page-number-format", desc, not bad, value, exp, bad)


def rule_page_number_position(lay: Layout) -> Rule:
    desc = ("页码位置 单页居右 双页居左 / page numbers: odd pages right, even pages left, "
            "7 mm below the type area")
    exp = (f"odd: right edge ≤1 char + {PAGE_NO_X_TOL_MM:g} mm inside the 版心 right edge; "
           f"even: same on the left; dash at {PAGE_NO_Y_MM:g} mm ±{PAGE_NO_Y_TOL_MM:g}")
    numbered = [p for p in lay.pages if p.page_number_line]
    if not numbered:
        return _rule("page-number-position", desc, False, "no page numbers found", exp)
    bad, ys, insets = [], [], []
    tol = PAGE_NO_X_TOL_MM * MM
    for p in numbered:
        ln = p.page_number_line
        dashes = [g for g in ln.glyphs if not g.text.isdigit()] or ln.glyphs
        y = statistics.median((g.top + g.bottom) / 2 for g in dashes)
        ys.append(y)
        if p.number % 2:
            inset = RIGHT - ln.x1
        else:
            inset = ln.x0 - LEFT
        insets.append(inset)
        x_ok = -tol <= inset <= ln.size + tol
        if not (x_ok and _near(y, PAGE_NO_Y_MM * MM, PAGE_NO_Y_TOL_MM * MM)):
            bad.append(p.number)
    value = (f"inset from the outer 版心 edge {min(insets) / MM:.1f}–{max(insets) / MM:.1f} mm; "
             f"dash at {min(ys) / MM:.1f}–{max(ys) / MM:.1f} mm")
    return _rule("page-number-position", desc, not bad, value, exp, bad)


def rule_page_number_sequence(lay: Layout) -> Rule:
    desc = "页码连续 / every page numbered, numbers consecutive"
    must, bare = _page_number_pages(lay)
    exp = "page N shows N" + (f"; blank page and 版记 page {bare} unnumbered (7.5)" if bare else "")
    missing = [n for n in must if not lay.page(n).page_number_line]
    extra = [n for n in bare if lay.page(n).page_number_line]
    wrong = []
    for p in lay.pages:
        if p.page_number_line:
            n = int(PAGE_NO_RE.match(p.page_number_line.text).group(2))
            if n != p.number:
                wrong.append(p.number)
    parts = []
    if missing:
        parts.append(f"no number on pages {missing}")
    if wrong:
        parts.append(f"wrong number on pages {wrong}")
    if extra:
        parts.append(f"numbered though it should not be: pages {extra}")
    numbered = sum(1 for p in lay.pages if p.page_number_line)
    value = "; ".join(parts) or f"{numbered} of {len(lay.pages)} pages numbered 1…"
    return _rule("page-number-sequence", desc, not (missing or wrong or extra), value, exp,
                 missing + wrong + extra)


def rule_attachment_new_page(lay: Layout) -> Rule:
    desc = "附件另面编排 / every 附件 starts a new page, label 附件N in Hei top-left"
    exp = "“附件N” in Hei is the first line of its page, at the 版心 left edge"
    if not lay.labels:
        return _not_applicable("attachment-new-page", desc, "no 附件", exp)
    bad, notes = [], []
    for ln in lay.labels:
        first = lay.running_lines(ln.page)[0] is ln
        share, _ = _face_check(ln.glyphs, "hei")
        at_left = lay.left is None or ln.x0 <= lay.left + 2
        if not (first and share >= 0.9 and at_left):
            bad.append(ln.page)
            why = [w for w, c in (("not first on its page", not first),
                                  ("not Hei", share < 0.9), ("indented", not at_left)) if c]
            notes.append(f"{ln.text} on page {ln.page}: {', '.join(why)}")
        else:
            notes.append(f"{ln.text} heads page {ln.page}")
    return _rule("attachment-new-page", desc, not bad, "; ".join(notes), exp, bad)


def rule_banji_bottom(lay: Layout) -> Rule:
    desc = "版记末条线与版心下边缘重合 / last 版记 rule on the bottom edge of the type area"
    exp = f"{BANJI_BOTTOM_MM:g} mm ±{BANJI_TOL_MM:g} from the sheet top"
    if lay.banji_page is None:
        return _not_applicable("banji-bottom", desc, "no 版记", exp)
    if not lay.banji_rules:
        return _rule("banji-bottom", desc, False, "版记 without rules", exp, [lay.banji_page])
    last = lay.banji_rules[-1]
    ok = _near(last.y, BANJI_BOTTOM_MM * MM, BANJI_TOL_MM * MM)
    value = (f"{len(lay.banji_rules)} rules; last at {_mm(last.y)}, {_mm(last.width)} wide, "
             f"{last.thickness:.2f} pt")
    return _rule("banji-bottom", desc, ok, value, exp, [] if ok else [lay.banji_page])


def rule_banji_even(lay: Layout) -> Rule:
    desc = "版记在偶数页 / the 版记 page is even (封四)"
    exp = "even page"
    if lay.banji_page is None:
        return _not_applicable("banji-even-page", desc, "no 版记", exp)
    ok = lay.banji_page % 2 == 0
    return _rule("banji-even-page", desc, ok, f"page {lay.banji_page}", exp,
                 [] if ok else [lay.banji_page])


def rule_no_blank_pages(lay: Layout) -> Rule:
    desc = "无空白页 / no blank page except the one before the 版记 page"
    allowed = [lay.banji_page - 1] if lay.banji_page else []
    exp = "no blank page" + (f" (page {allowed[0]} may be blank)" if allowed else "")
    bad = [n for n in lay.blank if n not in allowed]
    value = f"blank pages: {lay.blank}" if lay.blank else "none blank"
    return _rule("no-blank-pages", desc, not bad, value, exp, bad)


RULES = [
    rule_paper, rule_margin_left, rule_margin_top, rule_lines_per_page, rule_chars_per_line,
    rule_font_body, rule_font_title, rule_font_h1, rule_font_h2, rule_red_mark, rule_red_line,
    rule_doc_number, rule_body_on_page1, rule_signature_with_body, rule_page_number_format, rule_page_number_position,
    rule_page_number_sequence, rule_attachment_new_page, rule_banji_bottom, rule_banji_even,
    rule_no_blank_pages,
]
RULE_IDS = ["paper-a4", "margin-left", "margin-top", "lines-per-page", "chars-per-line",
            "font-body", "font-title", "font-h1", "font-h2", "red-mark", "red-line",
            "doc-number", "body-on-page1", "signature-with-body", "page-number-format", "page-number-position",
            "page-number-sequence", "attachment-new-page", "banji-bottom", "banji-even-page",
            "no-blank-pages"]


# --------------------------------------------------------------------------- entry point
def check_pdf(pdf: Path) -> tuple[int, list[Rule]]:
    """Run every rule on a PDF: (page count, rule results)."""
    lay = analyse(measure(pdf))
    return len(lay.pages), [rule(lay) for rule in RULES]


def verify(path: Path, *, keep_pdf: Path | None = None) -> Report:
    """Check a .docx or .pdf against GB/T 9704-2012 by measuring its rendered pages.

    A .docx is converted with LibreOffice (:func:`gendoc.pdf.docx_to_pdf`). ``keep_pdf``:
    where to keep the rendered PDF (a file path, or an existing directory for
    ``<stem>.pdf``); by default it is thrown away. Raises :class:`GendocError` for a missing
    or unreadable file or a file that is neither .docx nor .pdf.
    """
    path = Path(path)
    if not path.is_file():
        raise GendocError("no such file to verify", file=str(path))
    suffix = path.suffix.lower()
    if suffix not in (".pdf", ".docx"):
        raise GendocError(f"cannot verify a {suffix or 'suffix-less'} file: "
                          "give a .docx or a .pdf", file=str(path))
    try:
        with path.open("rb") as fh:
            magic = fh.read(5)
    except OSError as exc:
        raise GendocError(f"cannot read the file: {exc.strerror or exc}", file=str(path)) from exc
    if suffix == ".pdf" and magic != b"%PDF-":
        raise GendocError("not a PDF file (no %PDF- header)", file=str(path))
    if suffix == ".docx" and magic[:2] != b"PK":
        raise GendocError("not a .docx file (not a zip package)", file=str(path))

    dest = None
    if keep_pdf is not None:
        keep_pdf = Path(keep_pdf)
        dest = keep_pdf / f"{path.stem}.pdf" if keep_pdf.is_dir() else keep_pdf

    if suffix == ".pdf":
        if dest is not None and dest.resolve() != path.resolve():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
        count, rules = check_pdf(path)
        return Report(path, dest or path, count, rules)

    from .pdf import docx_to_pdf

    with tempfile.TemporaryDirectory(prefix="gendoc-verify-") as tmp:
        pdf = docx_to_pdf(path, Path(tmp))
        count, rules = check_pdf(pdf)
        if dest is not None:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(pdf, dest)
    return Report(path, dest, count, rules)

