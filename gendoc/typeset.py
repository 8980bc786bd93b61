"""The typesetter: document model -> .docx bytes, laid out by GB/T 9704-2012.

This is the one module that knows OOXML and every layout number. Each figure is written
once, in the standard's own unit, in :class:`GB` (sources: shared/docs/gbt9704.md and the
measured 22 x 28 recipe of shared/docs/rendering.md §3); everything else refers to it by name.

Speed (rendering.md §4): the static parts of the package (styles, settings, fonts table,
footers, relationships) are built once per process from a lean base and cached as bytes;
per document only ``word/document.xml`` and ``docProps/core.xml`` are written. Text goes
through :func:`xml_text`, the single place that escapes it and drops what XML 1.0 forbids.
"""

from __future__ import annotations

import math
import re
import unicodedata
import warnings
import hashlib
import zipfile
import io
import itertools
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable
from xml.sax.saxutils import escape

from docx.shared import Mm, Pt, Twips

from .dates import cn_number
from .errors import GendocWarning
from .model import (MAX_LEVEL, Banji, Block, Document, Head, Heading, Item, PageBreak, Para, Signature, Table,
                    end_sentence, strip_end)


def tw(length) -> int:
    """python-docx Length -> twips (the unit of most OOXML attributes)."""
    return int(round(length.twips)) if hasattr(length, "twips") else int(length)


class GB:
    """GB/T 9704-2012 in its own units. python-docx Length types keep the units honest."""

    # 5.1, 5.2.1 — A4, 天头 37 mm, 订口 28 mm, 版心 156 x 225 mm
    PAGE_W, PAGE_H = Mm(210), Mm(297)
    MARGIN_TOP, MARGIN_LEFT = Mm(37), Mm(28)
    MARGIN_RIGHT = Mm(26)                        # 210 - 28 - 156
    MARGIN_BOTTOM = Mm(35)                       # 297 - 37 - 225
    TYPE_AREA_W = Twips(tw(PAGE_W) - tw(MARGIN_LEFT) - tw(MARGIN_RIGHT))  # 版心 156 mm
    FOOTER_DIST = Mm(24)                         # puts the "— 1 —" dash 7 mm below the 版心
    HEADER_DIST = Mm(15)
    # 5.2.3 — 22 lines x 28 characters (rendering.md §3: exact 28.95 pt, run spacing -0.25 pt)
    LINE = Twips(579)                            # 28.95 pt, exact
    CHAR_SPACING = Pt(-0.25)                     # 28 x 15.75 pt = 441 pt <= 442.2 pt
    LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
    # 7.x and §2.1 — sizes (字号): 二号 22 pt, 三号 16 pt, 四号 14 pt
    SIZE_BODY, SIZE_TITLE, SIZE_SMALL = Pt(16), Pt(22), Pt(14)
    SIZE_TABLE = Pt(14)
    TABLE_LINE = Pt(20)
    CHAR = Pt(16)                                # 一字 at 三号: indents in "characters"
    CHAR_SMALL = Pt(14)                          # 一字 at 四号 (版记, page numbers)
    # fonts (standard names; fallbacks are gendoc.fonts' business)
    FONT_BODY, FONT_LATIN = "仿宋_GB2312", "Times New Roman"
    FONT_H1, FONT_H2 = "黑体", "楷体_GB2312"
    FONT_TITLE, FONT_MARK = "方正小标宋简体", "方正小标宋简体"
    FONT_PAGE_NO = "宋体"
    RED = "FF0000"
    # 7.2.4 — 发文机关标志: top edge 35 mm below the 版心 top; size steps down with length
    MARK_TOP = Mm(35)
    MARK_SIZES = ((6, Pt(42)), (10, Pt(36)), (13, Pt(30)), (99, Pt(26)))
    MARK_LINE_EXTRA = Pt(0)                      # exact line = size + this
    MARK_NUDGE = Mm(1.8)                         # glyph top sits 1.8 mm above such a line's top
    # 7.2.5 — red separator 4 mm below the 发文字号 (border space calibrated by rendering)
    SEPARATOR_WIDTH = 12                         # eighths of a point: 1.5 pt
    SEPARATOR_SPACE = 3                          # points between line box and rule: 4 mm below the glyphs
    # 7.4 — 版记 rules: first/last thick 0.35 mm, inner thin 0.25 mm (eighths of a pt)
    BANJI_THICK, BANJI_THIN = 8, 6
    # 7.3.5.5: a last body paragraph of at most this many lines moves with the 署名
    KEEP_WITH_SIGNATURE = 6
    BANJI_FIT = 20                               # twips taken off the last row for the rule's width
    BANJI_OFFSET = Pt(4.6)                       # calibrated in LibreOffice 7.4: a table starts 6.5 pt
                                                 # below the paragraph above it; the rules add 1.9 pt
    # 版记 at the foot of the last body page when that page is even and the estimate leaves
    # this many grid lines free beyond the 版记's own (a margin for the line predictor)
    BANJI_SAME_PAGE_SLACK = 2
    # 7.3.5.5: when the 署名 and 成文日期 do not fit under the body, the page's line pitch may
    # shrink down to this (from 28.95 pt) to hold them; the estimate gets this many lines' margin
    SIGNATURE_MIN_PITCH = Pt(25)
    SIGNATURE_PITCH_MARGIN = 0.5
    TYPE_AREA_H = Twips(tw(PAGE_H) - tw(MARGIN_TOP) - tw(MARGIN_BOTTOM))  # 版心 225 mm
    TABLE_RULE = 4
    TABLE_CELL_MARGIN = 80                       # twips left and right inside a cell
    TABLE_SLACK = 60                             # twips for the rules and rounding
    TABLE_KEEP_HEADER, TABLE_KEEP_CELL = 6, 8    # never wrapped: headers and cells up to this long
    TABLE_WRAP_MIN = 4                           # a wrapping cell still gets four characters
    # 8: a table too wide for the 版心 goes on a landscape page (A4 turned, the 版心 turned:
    # 225 mm wide, 156 mm high); its page number is where the other pages have theirs
    LANDSCAPE_HF_DIST = Mm(10)
    TABLE_RULE_LINES = 0.02                      # a row's rule, in grid lines (0.5 pt)
    LANDSCAPE_NUMBER_BOX = Mm(8)                 # the turned page number's text box: its depth
    LANDSCAPE_NUMBER_GAP = Mm(3.8)               # between the box and the turned 版心: the dash
                                                 # 28 mm from the sheet edge (calibrated, LibreOffice 7.4)
    # 10.1 信函格式: mark top edge 30 mm from the sheet top; red double lines 170 mm long,
    # thick over thin 4 mm below the mark, thin over thick 20 mm above the sheet bottom;
    # the 发文字号 right, 7/8 of a 3号 height below the upper line; no page number on page 1
    LETTER_MARK_TOP = Mm(30)
    LETTER_MARK_RISE = 0.2                       # of the mark's size: its glyph top above its exact
                                                 # line's top (LibreOffice 7.4, 30 and 42 pt)
    LETTER_RULE_W = Mm(170)
    LETTER_RULE_GAP = Mm(4)                      # mark glyphs -> upper double line
    LETTER_RULE_BOTTOM = Mm(20)                  # lower double line above the sheet bottom
    LETTER_THICK, LETTER_THIN, LETTER_RULE_SPACE = Pt(1.5), Pt(0.75), Pt(0.75)
    LETTER_BELOW_RULE = Mm(4.9)                  # 7/8 of a 3号 height
    BODY_GLYPH_DROP = Mm(2.7)                    # a 3号 glyph's top below its exact line's top (calibrated)
    # 10.3 纪要格式: 出席/请假/列席 one blank line below the body, indented two characters
    MINUTES_INDENT_CHARS = 2


@dataclass
class LetterHead(Head):
    """信函格式 (GB/T 9704 10.1): the mark (the organ's name, no 文件) and the red double
    lines on page 1, which carries no page number."""


@dataclass
class MinutesHead(Head):
    """纪要格式 (10.3): the 纪要标志 as head; after the body, the 出席/请假/列席 lines
    ((label, names as written)); no 主送, no 署名 or seal."""

    attendance: list[tuple[str, str]] = field(default_factory=list)


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

_XML_BAD = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """Escape text for an XML text node; drop characters XML 1.0 forbids (with a warning)."""
    if _XML_BAD.search(text):
        bad = sorted({f"U+{ord(c):04X}" for c in _XML_BAD.findall(text)})
        warnings.warn(GendocWarning(f"已删除 XML 不允许的字符 {', '.join(bad[:5])}："
                                    f"“{_XML_BAD.sub('', text)[:20]}…”"), stacklevel=3)
        text = _XML_BAD.sub("", text)
    return escape(text)


# ------------------------------------------------------------------ run and paragraph XML

def _rfonts(east: str, latin: str | None = None) -> str:
    latin = latin or GB.FONT_LATIN
    return (f'<w:rFonts w:ascii="{latin}" w:hAnsi="{latin}" w:eastAsia="{east}" '
            f'w:cs="{latin}" w:hint="eastAsia"/>')


@lru_cache(maxsize=512)
def _rpr(east: str, size=None, latin: str | None = None, color: str | None = None,
         spacing=None, snap_off: bool = False) -> str:
    parts = [_rfonts(east, latin)]
    if color:
        parts.append(f'<w:color w:val="{color}"/>')
    if spacing is not None:
        parts.append(f'<w:spacing w:val="{tw(spacing)}"/>')
    if size is not None:
        hp = int(round(size.pt * 2))
        parts.append(f'<w:sz w:val="{hp}"/><w:szCs w:val="{hp}"/>')
    if snap_off:
        parts.append('<w:snapToGrid w:val="0"/>')
    return "<w:rPr>" + "".join(_order_rpr(parts)) + "</w:rPr>"


def _order_rpr(parts: list[str]) -> list[str]:
    # CT_RPr order: rFonts, ..., color, spacing, ..., sz, szCs, ..., snapToGrid? (snapToGrid
    # comes before sz per the schema: rFonts b i caps ... snapToGrid vanish webHidden color
    # spacing w kern position sz szCs ...)
    order = ["rFonts", "snapToGrid", "color", "spacing", "sz"]
    return sorted(parts, key=lambda p: next((i for i, k in enumerate(order)
                                             if p.startswith(f"<w:{k}")), 99))


# Latin text: ASCII and accented letters; not ×, ÷, ·, which Chinese text sets full-width
_LATIN = re.compile(r"[\u0020-\u007e\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]+")


def _run(text: str, east: str = GB.FONT_BODY, latin: str | None = None, **rpr) -> str:
    """Runs for one piece of text, every one with explicit fonts (w:eastAsia included).

    Latin letters and digits get the Latin font; everything else (hanzi, full-width
    punctuation, “”——…) gets the Chinese font in *every* slot, because renderers pick
    the slot for quotes and dashes by their own rules (LibreOffice treats “” as Latin)."""
    latin = latin or GB.FONT_LATIN
    if latin == east:
        return _one_run(text, _rpr(east, latin=latin, **rpr))
    out, pos = [], 0
    for m in _LATIN.finditer(text):
        if m.start() > pos:
            out.append(_one_run(text[pos:m.start()], _rpr(east, latin=east, **rpr)))
        out.append(_one_run(m.group(), _rpr(east, latin=latin, **rpr)))
        pos = m.end()
    if pos < len(text):
        out.append(_one_run(text[pos:], _rpr(east, latin=east, **rpr)))
    return "".join(out)


def _one_run(text: str, rpr: str) -> str:
    return f'<w:r>{rpr}<w:t xml:space="preserve">{xml_text(text)}</w:t></w:r>'


def _runs_with_breaks(lines: list[str], east: str, **rpr) -> str:
    return "<w:r><w:br/></w:r>".join(_run(t, east, **rpr) for t in lines)


def _ppr(style: str, *, jc: str | None = None, ind: str = "", keep_next: bool = False,
         page_break: bool = False, spacing: str = "", border: str = "", tabs: str = "",
         sect: str = "", snap_off: bool = False) -> str:
    # CT_PPr order: pStyle keepNext keepLines pageBreakBefore ... pBdr shd tabs ...
    # spacing ind ... jc ... sectPr? (sectPr is last in pPr)
    p = [f'<w:pStyle w:val="{style}"/>']
    if keep_next:
        p.append("<w:keepNext/>")
    if page_break:
        p.append("<w:pageBreakBefore/>")
    if border:
        p.append(border)
    if tabs:
        p.append(tabs)
    if snap_off:
        p.append('<w:snapToGrid w:val="0"/>')
    if spacing:
        p.append(spacing)
    if ind:
        p.append(ind)
    if jc:
        p.append(f'<w:jc w:val="{jc}"/>')
    if sect:
        p.append(sect)
    return "<w:pPr>" + "".join(p) + "</w:pPr>"


def _keep_with_next(out: list[str], i: int) -> None:
    """Give paragraph ``out[i]`` keep-with-next, with widow/orphan control so that only its
    last lines move, not the whole paragraph (a table or a page break is left alone)."""
    if 0 <= i < len(out) and out[i].startswith("<w:p><w:pPr><w:pStyle") and "<w:keepNext/>" not in out[i]:
        head, sep, rest = out[i].partition("/>")
        out[i] = head + sep + '<w:keepNext/><w:widowControl w:val="1"/>' + rest


def _page_break_before(p: str) -> str:
    """Paragraph XML ``p`` starting a new page (CT_PPr: after pStyle, keepNext, keepLines)."""
    m = re.match(r"(<w:p><w:pPr><w:pStyle [^>]*/>(?:<w:keepNext/>)?(?:<w:keepLines/>)?)", p)
    return p if m is None or "<w:pageBreakBefore/>" in p else m.group(1) + "<w:pageBreakBefore/>" + p[m.end():]


def _with_spacing(p: str, spacing: str) -> str:
    """Paragraph XML ``p`` with its line spacing replaced by ``spacing`` (off the grid: an
    exact pitch that is not the grid's own)."""
    if not p.startswith("<w:p><w:pPr>"):
        return p   # a table (not expected on a 署名 page) keeps its own
    p = re.sub(r"<w:spacing [^>]*/>", "", p, count=1)
    head, sep, rest = p.partition("</w:pPr>")
    # CT_PPr order: snapToGrid before spacing; ind, jc, sectPr after it
    m = re.search(r"<w:(ind|jc|sectPr)\b", head)
    at = m.start() if m else len(head)
    head = head[:at] + spacing + head[at:]
    if "<w:snapToGrid" not in head:
        head = head.replace(spacing, '<w:snapToGrid w:val="0"/>' + spacing, 1)
    return head + sep + rest


def _para(style: str, body: str = "", **kw) -> str:
    return f"<w:p>{_ppr(style, **kw)}{body}</w:p>"


def _blank() -> str:
    return _para("GwFlush")


# ------------------------------------------------------------------ widths and lines

def text_width(text: str) -> float:
    """Width in characters of 三号 text: CJK and full-width = 1, Latin and digits = 0.5."""
    w = 0.0
    for ch in text:
        if unicodedata.east_asian_width(ch) in ("W", "F", "A") or ord(ch) > 0x2E80:
            w += 1
        else:
            w += 0.5
    return w


def lines_needed(text: str, indent_chars: float = 0, per_line: int = GB.CHARS_PER_LINE) -> int:
    return max(1, math.ceil((indent_chars + text_width(text)) / per_line - 1e-9))


# ------------------------------------------------------------------ title lines

_GOOD_AFTER = "的于和与及、，"
# words a title line may start with (no word segmenter: the common heads of 公文 titles)
_GOOD_BEFORE = ("关于", "印发", "实施方案", "工作方案", "工作要点", "的通知", "的意见", "的报告", "长效机制",
                "活动", "工作", "建设", "实施", "整改", "总结", "《", "全县", "全市", "全省", "全区", "全系统")
_OPEN, _CLOSE = "《“（(〈「", "》”）)〉」"
# two-character words of 公文 titles a line break must not split (no word segmenter here)
_TITLE_WORDS = frozenset("""医疗 卫生 健康 服务 能力 提升 基层 工作 活动 建设 实施 方案 通知 意见 报告 总结 要点 整改
措施 机制 长效 教育 实践 群众 路线 党员 干部 组织 领导 管理 改革 发展 推进 开展 加强 深入 学习 贯彻 落实 全面 规范
创先 争优 作风 廉政 安全 生产 检查 考核 评估 监督 专项 治理 质量 疾病 预防 控制 妇幼 保健 中医 医院 乡镇 社区 农村
城乡 县城 全县 全市 全省 系统 单位 机关 党委 党组 支部 委员 政府 部门 印发 关于 年度 计划 规划 行动 三年 五年""".split())


def break_title(title: str, per_line: int = 20) -> list[str]:
    """Break a long title into balanced lines (a trapezoid or diamond, never an hourglass),
    preferring breaks after 关于/的/和, never inside 《》 or “” or a number."""
    if text_width(title) <= per_line:
        return [title]
    n = -(-int(text_width(title) + 0.999) // per_line)
    depth, allowed = 0, []
    for i, ch in enumerate(title):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        nxt = title[i + 1] if i + 1 < len(title) else ""
        if depth == 0 and nxt and not (ch.isdigit() and nxt.isdigit()) and nxt not in _CLOSE + "。，、：；":
            allowed.append(i + 1)
    best, best_score = None, None

    def score(cuts):
        parts = [title[a:b] for a, b in zip((0, *cuts), (*cuts, len(title)))]
        widths = [text_width(p) for p in parts]
        if max(widths) > per_line:
            return None
        s = (max(widths) - min(widths)) / 2
        for c in cuts:
            if title[c - 1] not in _GOOD_AFTER and not title[c:].startswith(_GOOD_BEFORE):
                s += 6
            if title[c - 1:c + 1] in _TITLE_WORDS:
                s += 8   # inside a word (医/疗)
        if len(widths) == 3 and widths[1] < widths[0] and widths[1] < widths[2]:
            s += 10  # hourglass
        return s

    def search(positions):
        """Best cuts, each within a few characters of its evenly spaced ideal (bounded work)."""
        prefix = [0.0]
        for ch in title:
            prefix.append(prefix[-1] + text_width(ch))
        total = prefix[-1]
        windows = [[c for c in positions if unbounded or abs(prefix[c] - total * k / n) <= _TITLE_SLACK]
                   for k in range(1, n)]
        found, found_score = None, None
        for cuts in itertools.product(*windows):
            if any(b <= a for a, b in zip(cuts, cuts[1:])):
                continue
            sc = score(cuts)
            if sc is not None and (found_score is None or sc < found_score):
                found, found_score = cuts, sc
        return found

    if n > _TITLE_MAX_LINES:
        return _greedy_lines(title, per_line)
    unbounded = n <= 3          # two or three lines: every combination is cheap
    best = search(allowed)
    if best is None:
        # no break outside 《》/“” fits: break inside them, on the best balance
        best = search([i for i in range(1, len(title))
                       if not (title[i - 1].isdigit() and title[i].isdigit())
                       and title[i] not in _CLOSE + "。，、：；"])
    if best is None:
        return _greedy_lines(title, per_line)
    return [title[a:b] for a, b in zip((0, *best), (*best, len(title)))]


_TITLE_SLACK = 5        # characters a line may differ from an even split
_TITLE_MAX_LINES = 4    # GB/T 9704 titles run to three lines; beyond four, fill lines greedily


def _greedy_lines(title: str, per_line: int) -> list[str]:
    """Fill each line, backing up to a preferred break within five characters."""
    lines, start = [], 0
    while start < len(title):
        end, width = start, 0.0
        while end < len(title) and width + text_width(title[end]) <= per_line:
            width += text_width(title[end])
            end += 1
        if end < len(title):
            for cut in range(end, max(start + 1, end - 5), -1):
                if title[cut - 1] in _GOOD_AFTER or title[cut:].startswith(_GOOD_BEFORE):
                    end = cut
                    break
        lines.append(title[start:end])
        start = end
    return lines


# ------------------------------------------------------------------ numbering

def number_label(level: int, n: int) -> str:
    """一、 （一） 1. （1） — GB/T 9704 7.3.3."""
    if level == 1:
        return f"{cn_number(n)}、"
    if level == 2:
        return f"（{cn_number(n)}）"
    if level == 3:
        return f"{n}."
    return f"（{n}）"


class Counter:
    """Heading/item numbers by level; a number at level k restarts every level below it."""

    def __init__(self):
        self.n = [0] * (MAX_LEVEL + 1)

    def next(self, level: int) -> int:
        self.n[level] += 1
        for k in range(level + 1, MAX_LEVEL + 1):
            self.n[k] = 0
        return self.n[level]


# ------------------------------------------------------------------ the typesetter

@dataclass
class Layout:
    """What the typesetter estimated: body pages and the (even) page of the 版记."""

    body_pages: int
    banji_page: int | None = None

    @property
    def pages(self) -> int:
        return self.banji_page or self.body_pages

    @property
    def blank_before_banji(self) -> bool:
        """The body ends on an even page, so a blank page comes before the 版记 (7.5)."""
        return self.banji_page is not None and self.banji_page == self.body_pages + 2


class _Flow:
    """Keeps the estimated position (page, line) while paragraphs are emitted."""

    def __init__(self):
        self.page, self.line = 1, 0.0

    def add(self, lines: float) -> None:
        self.line += lines
        while self.line > GB.LINES_PER_PAGE + 1e-6:
            self.line -= GB.LINES_PER_PAGE
            self.page += 1

    def new_page(self) -> None:
        if self.line > 0:
            self.page += 1
        self.line = 0.0


class Typesetter:
    def __init__(self):
        self.parts = static_parts()

    # ---- public
    def render(self, doc: Document) -> tuple[bytes, Layout]:
        body, layout = self.body_xml(doc)
        xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               f'<w:document xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:body>{body}</w:body></w:document>')
        buf = io.BytesIO()
        static, extra = self.parts, []
        if isinstance(doc.head, LetterHead):   # 信函格式: page 1's own header (mark, lines)
            static, extra = letter_parts(), [(LETTER_HEADER_PART, _letter_header_xml(doc.head))]
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
            for name, data in static:
                z.writestr(_entry(name), data)
            parts = [*static, *extra, ("word/document.xml", xml.encode("utf-8")),
                     ("docProps/core.xml", _core_xml("".join(doc.title_lines)))]
            for name, data in parts[len(static):]:
                z.writestr(_entry(name), data)
            z.writestr(_entry(FINGERPRINT_PART), _fingerprint_xml(package_fingerprint(parts)))
        return buf.getvalue(), layout

    # ---- body
    def body_xml(self, doc: Document) -> tuple[str, Layout]:
        out: list[str] = []
        flow = _Flow()
        self._letter = isinstance(doc.head, LetterHead)   # the first section gets page 1's header
        minutes = isinstance(doc.head, MinutesHead)
        if self._letter:
            self._letter_head(doc.head, out, flow)
        elif doc.head:
            self._head(doc.head, out, flow)
        # 标题: two blank lines below the red line (7.3.1)
        out.append(_para("GwTitle", _runs_with_breaks(doc.title_lines, GB.FONT_TITLE, latin=GB.FONT_TITLE,
                                                      size=GB.SIZE_TITLE, spacing=Pt(0), snap_off=True)))
        flow.add(len(doc.title_lines))
        # one blank line below the title, then the 主送 (7.3.2) or, without one, the body
        out.append(_blank())
        flow.add(1)
        if doc.recipients and not minutes:   # 纪要 have no 主送
            out.append(_para("GwFlush", _run(doc.recipients + "：")))
            flow.add(lines_needed(doc.recipients + "："))
        self._starts: list[tuple[int, int, float]] = []
        self._blocks(doc.body, out, flow)
        last_body = len(out) - 1
        tail_from = len(out)   # the 附件说明 and 落款 follow from here
        body_end = (flow.page, flow.line)
        names = [a.title for a in doc.attachments]
        if names and doc.attachment_note:
            self._attachment_note(names, out, flow)
        if minutes:   # 10.3: 出席/请假/列席 after the body; no 署名, no seal
            self._attendance(doc.head.attendance, out, flow)
        elif doc.signature and (doc.signature.name or doc.signature.date):
            self._signature(doc.signature, out, flow)
            self._signature_page(doc, out, flow, last_body, tail_from, body_end)
        for note in doc.notes:
            text = note if note.startswith("（") else f"（{note}）"
            out.append(_para("GwBody", _run(text)))
            flow.add(lines_needed(text, 2))
        for i, att in enumerate(doc.attachments, 1):
            label = "附件" if len(doc.attachments) == 1 else f"附件{i}"
            flow.new_page()
            out.append(_para("GwFlush", _run(label, GB.FONT_H1), page_break=True))
            out.append(_blank())
            out.append(_para("GwTitle", _runs_with_breaks(break_title(att.title), GB.FONT_TITLE,
                                                          latin=GB.FONT_TITLE, size=GB.SIZE_TITLE,
                                                          spacing=Pt(0), snap_off=True)))
            out.append(_blank())
            flow.add(4)
            self._blocks(att.blocks, out, flow)
        layout = self._banji(doc.banji, out, flow)
        if layout.banji_page and layout.banji_page != layout.body_pages:
            # 7.5: after a blank page neither the blank page nor the 版记 page is numbered
            out.append(self._sect_xml("evenPage", numbered=not layout.blank_before_banji))
        else:
            out.append(self._sect_xml("nextPage"))
        return "".join(out), layout

    def _head(self, head, out: list[str], flow: _Flow) -> None:
        above = 0
        if head.copy_number:
            out.append(_para("GwFlush", _run(head.copy_number)))
            above += 1
        if head.secrecy:
            out.append(_para("GwFlush", _run(head.secrecy, GB.FONT_H1)))
            above += 1
        if head.urgency:
            out.append(_para("GwFlush", _run(head.urgency, GB.FONT_H1)))
            above += 1
        if head.mark:
            size = mark_size(head.mark)
            line = tw(size) + tw(GB.MARK_LINE_EXTRA)
            before = max(0, tw(GB.MARK_TOP) + tw(GB.MARK_NUDGE) - above * tw(GB.LINE))
            spacing = f'<w:spacing w:before="{before}" w:after="0" w:line="{line}" w:lineRule="exact"/>'
            out.append(_para("GwMark", _run(head.mark, GB.FONT_MARK, latin=GB.FONT_MARK, size=size,
                                                  color=GB.RED, spacing=Pt(0), snap_off=True),
                             spacing=spacing))
            out.append(_blank())
            out.append(_blank())
            # the grid-snapped paragraphs below start on the next whole grid line
            flow.add(math.ceil((before + line) / tw(GB.LINE)) + 2)
        border = (f'<w:pBdr><w:bottom w:val="single" w:sz="{GB.SEPARATOR_WIDTH}" '
                  f'w:space="{GB.SEPARATOR_SPACE}" w:color="{GB.RED}"/></w:pBdr>')
        number = head.doc_number or ""
        if head.signers:
            # 上行文: 字号 left +1 char, 签发人 right -1 char on the same line (7.2.5, 7.2.6)
            width = tw(GB.TYPE_AREA_W)
            char = tw(GB.CHAR)
            # (a tab stop, not a left indent: the red rule under the paragraph spans the 版心)
            tabs = (f'<w:tabs><w:tab w:val="left" w:pos="{char}"/>'
                    f'<w:tab w:val="right" w:pos="{width - char}"/></w:tabs>')
            runs = "<w:r><w:tab/></w:r>" + _run(number) + "<w:r><w:tab/></w:r>" + _run("签发人：") + _run(
                "　".join(head.signers), GB.FONT_H2)
            out.append(_para("GwFlush", runs, border=border, tabs=tabs))
        else:
            out.append(_para("GwDocNo", _run(number), border=border))
        out.append(_blank())
        out.append(_blank())
        flow.add(3)   # the 发文字号 line (its red rule inside it) and two blank lines

    def _letter_head(self, head: LetterHead, out: list[str], flow: _Flow) -> None:
        """信函格式: the head is page 1's header (:func:`_letter_header_xml`); the body starts
        below it with the title, one blank line down (the header's own gap makes the second)."""
        out.append(_blank())
        flow.add(_letter_head_lines(head) + 2)

    def _attendance(self, rows: list[tuple[str, str]], out: list[str], flow: _Flow) -> None:
        """10.3: one blank line, then 出席：…, 请假：…, 列席：… indented two characters,
        the label in 黑体, wrapped names aligned after the colon."""
        if not rows:
            return
        char = tw(GB.CHAR)
        out.append(_blank())
        flow.add(1)
        for label, names in rows:
            label = label + "："
            start = GB.MINUTES_INDENT_CHARS * char
            at = start + int(round(text_width(label) * char))
            out.append(_para("GwFlush", _run(label, GB.FONT_H1) + _run(names), jc="both",
                             ind=f'<w:ind w:left="{at}" w:hanging="{at - start}"/>'))
            flow.add(lines_needed(label + names, GB.MINUTES_INDENT_CHARS))

    def _blocks(self, blocks: list[Block], out: list[str], flow: _Flow) -> None:
        self._out = out   # the document's paragraphs, for _sect_xml
        counter = Counter()
        for b in blocks:
            # where each block starts (its first paragraph in ``out``, the estimated page
            # and line): the 署名 page's remedy needs to know what sits on that page
            self._starts.append((len(out), flow.page, flow.line))
            if isinstance(b, Heading):
                label = number_label(b.level, counter.next(b.level))
                style = f"Heading{b.level}"
                if b.run_in is not None and not b.run_in.strip():   # a run-in heading without text
                    text = label + end_sentence(b.text)
                    out.append(_para(style, _run(text, _heading_font(b.level))))
                    flow.add(lines_needed(text, 2))
                elif b.run_in is not None:
                    # one printed paragraph; the outline gets the heading only, from a hidden
                    # heading paragraph just before it
                    head = end_sentence(b.text)
                    out.append(_run_in_heading(style, _run(label + head, _heading_font(b.level))))
                    out.append(_para("GwBody", _run(label + head, _heading_font(b.level)) + _run(b.run_in)))
                    flow.add(lines_needed(label + head + b.run_in, 2))
                else:
                    text = label + strip_end(b.text)
                    out.append(_para(style, _run(text, _heading_font(b.level)), keep_next=True))
                    flow.add(lines_needed(text, 2))
            elif isinstance(b, Item):
                label = number_label(b.level, counter.next(b.level))
                if b.title:
                    head = end_sentence(b.title)
                    text = label + head + b.text
                    out.append(_para("GwBody", _run(label + head) + _run(b.text)))
                else:
                    text = label + b.text
                    out.append(_para("GwBody", _run(text)))
                flow.add(lines_needed(text, 2))
            elif isinstance(b, Para):
                if b.align == "center":
                    counter = Counter()  # a centred sub-title starts a sub-document
                    out.append(_para("GwFlush", _run(b.text), jc="center"))
                    flow.add(lines_needed(b.text))
                else:
                    out.append(_para("GwBody" if b.indent else "GwFlush", _run(b.text)))
                    flow.add(lines_needed(b.text, 2 if b.indent else 0))
            elif isinstance(b, Table):
                if self._landscape(b):
                    self._landscape_table(b, out, flow)
                    continue
                widths = self._col_widths(b)
                out.append(self._table(b, widths))
                flow.add(self._table_lines(b, widths))
                if b is blocks[-1]:   # nothing follows in this part: a paragraph of no height
                    out.append(_para("GwFlush", spacing=_TINY, snap_off=True))
                else:
                    out.append(_blank())
                    flow.add(1)
            elif isinstance(b, PageBreak):
                out.append('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')
                flow.new_page()

    # ---- tables (任务分工表 etc.)
    def _col_widths(self, t: Table, total: int | None = None) -> list[int]:
        """Column widths from the content, spanning the 版心 (``total`` twips: 156 mm, or
        225 mm on a landscape page): a header of up to six characters and a cell of up to
        eight (局办公室, 3月31日) get the width they need on one line; longer text columns
        share the rest in proportion to their length."""
        total = total or tw(GB.TYPE_AREA_W)
        cols = range(len(t.header))
        rows = [t.header, *t.rows]
        need = _col_needs(t)
        longest = [max(_cell_need(r[c], 10 ** 6) for r in rows) for c in cols]
        room = total - sum(need)
        if room < 0:   # even the short words do not fit: shrink all alike (they wrap)
            widths = [max(1, need[c] * total // sum(need)) for c in cols]
        else:
            widths = list(need)
            extra = [longest[c] - need[c] for c in cols]
            # columns that can be given all they want cheaply get it (no wrapped cell at all);
            # what remains goes to the long text columns, in proportion to their length
            widest = max(cols, key=lambda c: extra[c])
            keep = GB.TABLE_WRAP_MIN * tw(GB.SIZE_TABLE)   # what the widest column keeps at least
            for c in sorted(cols, key=lambda c: extra[c]):
                if c != widest and 0 < extra[c] <= room - keep:
                    widths[c] += extra[c]
                    room -= extra[c]
                    extra[c] = 0
            share = sum(extra) or len(widths)
            for c in cols:
                widths[c] += room * (extra[c] if sum(extra) else 1) // share
        widths[-1] += total - sum(widths)
        return widths

    def _row_lines(self, t: Table, widths: list[int]) -> list[float]:
        """Each row's height (header first) in body grid lines (28.95 pt): a cell's lines
        snap to the page's line grid (LibreOffice 7.4: a one-line row 29.4 pt, two lines
        58.4 pt), plus the rule."""
        per_char = tw(GB.SIZE_TABLE)
        grid = math.ceil(tw(GB.TABLE_LINE) / tw(GB.LINE))
        return [max(math.ceil(max(text_width(c), 1) * per_char / max(w - 200, per_char))
                    for c, w in zip(row, widths)) * grid + GB.TABLE_RULE_LINES
                for row in [t.header] + t.rows]

    def _table_lines(self, t: Table, widths: list[int]) -> float:
        return sum(self._row_lines(t, widths))

    @staticmethod
    def _landscape(t: Table) -> bool:
        """A table goes on a landscape page when the plan says so or when its columns'
        minimum widths do not fit the portrait 版心 (156 mm)."""
        return bool(getattr(t, "landscape", False)) or sum(_col_needs(t)) > tw(GB.TYPE_AREA_W)

    def _landscape_pages(self, t: Table, widths: list[int], above: float = 0.0) -> int:
        """Landscape pages the table takes (``above``: grid lines before it on the first):
        rows never split, the header repeats on each."""
        rows = self._row_lines(t, widths)
        room = tw(GB.TYPE_AREA_W) / tw(GB.LINE)      # the turned 版心 is 156 mm high
        pages, used = 1, above + rows[0]
        for h in rows[1:]:
            if used + h > room + 1e-6 and used > rows[0]:
                pages, used = pages + 1, rows[0]
            used += h
        return pages

    def _landscape_table(self, t: Table, out: list[str], flow: _Flow) -> None:
        """A section of its own: A4 turned, the 版心 turned with it (8: the table's head on
        the binding side), the table spanning the turned 版心's 225 mm; the page after it
        is portrait again. A second landscape table right after shares the section."""
        widths = self._col_widths(t, tw(GB.TYPE_AREA_H))
        above = 0.0                                  # lines above the table on its first page
        if self._landscape_open(out):
            out.pop()                                # the same landscape section goes on
            out.append(_blank())
        else:
            close = _para("GwFlush", spacing=_TINY, snap_off=True, sect=self._sect_xml("nextPage"))
            # an attachment that is the table: its 附件N and title go on the landscape page
            at = len(out) - 4
            if at > 0 and flow.line <= 4 and "<w:pageBreakBefore/>" in out[at]:
                out[at] = out[at].replace("<w:pageBreakBefore/>", "", 1)
                out.insert(at, close)
                flow.page -= 1
                above = flow.line
            else:
                out.append(close)
        flow.new_page()
        out.append(self._table(t, widths))
        # the paragraph that closes the landscape section; a table needs one after it
        out.append(_para("GwFlush", spacing=_TINY, snap_off=True, sect=self._sect_xml("nextPage", landscape=True)))
        self._landscape_end = (out, len(out))
        # the page estimate: the landscape pages are full; what follows starts a new page
        flow.page += self._landscape_pages(t, widths, above) - 1
        flow.line = float(GB.LINES_PER_PAGE)

    def _landscape_open(self, out: list[str] | None = None) -> bool:
        """Nothing has been laid out since a landscape section was closed."""
        end = getattr(self, "_landscape_end", None)
        return end is not None and (out is None or end[0] is out) and len(end[0]) == end[1]

    def _table(self, t: Table, widths: list[int]) -> str:
        total = sum(widths)
        rule = GB.TABLE_RULE
        borders = "".join(f'<w:{side} w:val="single" w:sz="{rule}" w:space="0" w:color="000000"/>'
                          for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
        grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
        rows = []
        for r, row in enumerate([t.header] + t.rows):
            cells = []
            for text, w in zip(row, widths):
                font = GB.FONT_H1 if r == 0 else GB.FONT_BODY
                jc = "center" if r == 0 or text_width(text) <= 4 else "both"
                cells.append(f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>'
                             f'{_para("GwTable", _run(text, font, size=GB.SIZE_TABLE, spacing=Pt(0)), jc=jc)}</w:tc>')
            trpr = "<w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>" if r == 0 else "<w:trPr><w:cantSplit/></w:trPr>"
            rows.append(f"<w:tr>{trpr}{''.join(cells)}</w:tr>")
        return (f'<w:tbl><w:tblPr><w:tblW w:w="{total}" w:type="dxa"/><w:jc w:val="center"/>'
                f'<w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/>'
                f'<w:tblCellMar><w:left w:w="{GB.TABLE_CELL_MARGIN}" w:type="dxa"/><w:right w:w="{GB.TABLE_CELL_MARGIN}" w:type="dxa"/></w:tblCellMar>'
                f'<w:tblLook w:val="0000"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>{"".join(rows)}</w:tbl>')

    # ---- 附件说明 (7.3.6)
    def _attachment_note(self, names: list[str], out: list[str], flow: _Flow) -> None:
        char = tw(GB.CHAR)
        out.append(_para("GwFlush", keep_next=True))  # one blank line, kept with the 附件说明
        flow.add(1)
        if len(names) == 1:
            left = 5 * char  # 2 chars indent + "附件："
            out.append(_para("GwFlush", _run("附件：" + strip_end(names[0])), keep_next=True,
                             ind=f'<w:ind w:left="{left}" w:hanging="{3 * char}"/>'))
            flow.add(lines_needed(names[0], 5))
            return
        digits = len(str(len(names)))
        name_at = 5 * char + int((digits * 0.5 + 0.5 + 0.5) * char)
        tabs = f'<w:tabs><w:tab w:val="left" w:pos="{name_at}"/></w:tabs>'
        for i, name in enumerate(names, 1):
            prefix = "附件：" if i == 1 else ""
            start = 2 * char if i == 1 else 5 * char
            body = _run(f"{prefix}{i}.") + "<w:r><w:tab/></w:r>" + _run(strip_end(name))
            out.append(_para("GwFlush", body, tabs=tabs, keep_next=True,
                             ind=f'<w:ind w:left="{name_at}" w:hanging="{name_at - start}"/>'))
            flow.add(lines_needed(name, name_at / char))

    # ---- 署名 and 成文日期 (7.3.5)
    def _signature_page(self, doc: Document, out: list[str], flow: _Flow, last_body: int,
                        tail_from: int, body_end: tuple[int, float]) -> None:
        """7.3.5.5: the 署名 never stands alone on a page, and no page ends early for it.

        The tail (附件说明, blank lines, 署名, 成文日期) is one keep-with-next chain. When it
        does not fit under the last body paragraph, the page that paragraph ends on is set
        with a slightly smaller line pitch (the standard's own remedy: 调整行距), down to
        GB.SIGNATURE_MIN_PITCH, so that the tail fits there too. When even that is not
        enough: a tail that starts with the 附件说明 moves whole to the next page if the
        page then ends at most two lines early (the 附件说明 keeps the 署名 company);
        otherwise a last paragraph of up to GB.KEEP_WITH_SIGNATURE lines moves with it
        (LibreOffice moves a keep-with-next paragraph whole)."""
        body = doc.body
        if not body or not self._starts or not isinstance(body[-1], (Para, Item, Heading)):
            return
        start, page, line = self._starts[-1]
        end_page, end_line = body_end   # where the flow stood after the last block
        p_lines = (end_page - page) * GB.LINES_PER_PAGE + end_line - line
        tail = flow.line + (flow.page - end_page) * GB.LINES_PER_PAGE - end_line
        free = GB.LINES_PER_PAGE - end_line
        if tail <= free + 1e-6:
            return   # everything fits under the last paragraph
        # what sits on the 署名 page: the blocks that start on it (a paragraph continued from
        # the page before keeps its pitch there), then the tail
        on_page = [(i, ln) for i, pg, ln in self._starts if pg == end_page]
        # lines above the first block that starts on the page (the head on page 1, or the end
        # of a paragraph from the page before) keep their pitch
        first_out, carried = (on_page[0][0], on_page[0][1]) if on_page else (start, 0.0)
        lines = GB.LINES_PER_PAGE - carried - free + tail + GB.SIGNATURE_PITCH_MARGIN
        room = (GB.LINES_PER_PAGE - carried) * tw(GB.LINE)
        pitch = int(room // lines)
        if pitch >= tw(GB.SIGNATURE_MIN_PITCH):
            spacing = f'<w:spacing w:before="0" w:after="0" w:line="{pitch}" w:lineRule="exact"/>'
            for i in range(first_out, len(out)):
                out[i] = _with_spacing(out[i], spacing)
            flow.page, flow.line = end_page, float(GB.LINES_PER_PAGE)   # the page is full
            if len(body) >= 2 and p_lines <= GB.KEEP_WITH_SIGNATURE:
                _keep_with_next(out, last_body)   # should the estimate fall short: never alone
            return
        starts_with_note = tail_from + 1 < len(out) and bool(doc.attachments) and doc.attachment_note
        if starts_with_note and free <= 2:
            # the tail moves whole, the 附件说明 above the 署名; its blank line would stand
            # at the top of the next page, so the 附件说明 starts that page itself
            out[tail_from] = ""
            out[tail_from + 1] = _page_break_before(out[tail_from + 1])
            return
        if len(body) >= 2 and p_lines <= GB.KEEP_WITH_SIGNATURE:
            _keep_with_next(out, last_body)

    def _signature(self, sig: Signature, out: list[str], flow: _Flow) -> None:
        char = tw(GB.CHAR)
        name_w = text_width(sig.name or "")
        date_w = text_width(sig.date or "")
        if sig.seal:
            date_right = 4.0
            name_right = max(0.0, 4 + (date_w - name_w) / 2)
            blanks = 2
        else:
            name_right = 2.0
            date_right = name_right + name_w - 2 - date_w
            if date_right < 2:
                date_right = 2.0
                name_right = date_w + 4 - name_w
            blanks = 1
        for _ in range(blanks):
            out.append(_para("GwFlush", keep_next=True))
        if sig.name:
            out.append(_para("GwSign", _run(sig.name), keep_next=bool(sig.date),
                             ind=f'<w:ind w:right="{int(round(name_right * char))}"/>'))
        if sig.date:
            out.append(_para("GwSign", _run(sig.date),
                             ind=f'<w:ind w:right="{int(round(date_right * char))}"/>'))
        flow.add(blanks + bool(sig.name) + bool(sig.date))

    # ---- 版记 (7.4): thick/thin rules, at the foot of the last, even page
    def _banji(self, banji: Banji, out: list[str], flow: _Flow) -> Layout:
        if banji.empty:
            return Layout(flow.page)
        rows: list[tuple[str, int]] = []  # (paragraph, grid lines it takes)
        small = tw(GB.CHAR_SMALL)
        width = tw(GB.TYPE_AREA_W)
        rpr = dict(size=GB.SIZE_SMALL, spacing=Pt(0))
        if banji.cc:
            text = "抄送：" + "，".join(banji.cc) + "。"
            per_line = (width - 2 * small) // small  # 4号 characters between the 1-char indents
            rows.append((_para("GwBanji", _run(text, **rpr),
                               ind=f'<w:ind w:left="{4 * small}" w:right="{small}" w:hanging="{3 * small}"/>'),
                         lines_needed(text, 0, per_line)))
        if banji.printer or banji.print_date:
            tabs = f'<w:tabs><w:tab w:val="right" w:pos="{width - small}"/></w:tabs>'
            date = (banji.print_date + "印发") if banji.print_date else ""
            rows.append((_para("GwBanji", _run(banji.printer or "", **rpr) + "<w:r><w:tab/></w:r>"
                               + _run(date, **rpr), tabs=tabs,
                               ind=f'<w:ind w:left="{small}" w:right="0"/>'), 1))
        thick, thin = GB.BANJI_THICK, GB.BANJI_THIN
        # The 版记 gets the last, even page (7.4): a section that starts on an even page
        # (renderers insert a blank page when the body ends on an even page), filled down
        # so that its rows, of exact heights, end on the bottom edge of the 版心. Only the
        # page numbering of that section depends on the page estimate (7.5).
        line = tw(GB.LINE)
        heights = [line * n for _, n in rows]
        heights[-1] -= GB.BANJI_FIT
        fill = GB.LINES_PER_PAGE - sum(math.ceil(h / line) for h in heights)
        borders = (f'<w:top w:val="single" w:sz="{thick}" w:space="0" w:color="000000"/>'
                   f'<w:left w:val="nil"/>'
                   f'<w:bottom w:val="single" w:sz="{thick}" w:space="0" w:color="000000"/>'
                   f'<w:right w:val="nil"/>'
                   f'<w:insideH w:val="single" w:sz="{thin}" w:space="0" w:color="000000"/>'
                   f'<w:insideV w:val="nil"/>')
        trs = "".join(f'<w:tr><w:trPr><w:cantSplit/><w:trHeight w:val="{h}" w:hRule="exact"/></w:trPr>'
                      f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>'
                      f'{r}</w:tc></w:tr>' for (r, _), h in zip(rows, heights))
        # 7.4: on the last body page when it is even and has room (the table floats, held to
        # the foot of the 版心 whatever the exact last line of the body); else a section of
        # its own that starts on the next even page (after a blank page when the body ends
        # on an even page without room)
        used = sum(math.ceil(h / line) for h in heights)
        same_page = (flow.page % 2 == 0 and flow.line > 0
                     and GB.LINES_PER_PAGE - flow.line >= used + GB.BANJI_SAME_PAGE_SLACK)
        floating = ""
        if same_page:
            top = tw(GB.TYPE_AREA_H) - sum(heights) - GB.BANJI_FIT
            # horizontally from the page edge: LibreOffice floats a table as wide as the
            # 版心 only when its position is relative to the page
            floating = (f'<w:tblpPr w:leftFromText="0" w:rightFromText="0" w:topFromText="0" '
                        f'w:bottomFromText="0" w:vertAnchor="margin" w:horzAnchor="page" '
                        f'w:tblpX="{tw(GB.MARGIN_LEFT)}" w:tblpY="{top}"/><w:tblOverlap w:val="never"/>')
        table = (f'<w:tbl><w:tblPr>{floating}<w:tblW w:w="{width}" w:type="dxa"/><w:jc w:val="center"/>'
                 f'<w:tblBorders>{borders}</w:tblBorders>'
                 f'<w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="0" w:type="dxa"/>'
                 f'<w:right w:w="0" w:type="dxa"/></w:tblCellMar><w:tblLook w:val="0000"/></w:tblPr>'
                 f'<w:tblGrid><w:gridCol w:w="{width}"/></w:tblGrid>{trs}</w:tbl>')
        if same_page:
            out.append(table)
            # a table is followed by a paragraph; this one takes no room
            out.append(_para("GwFlush", spacing='<w:spacing w:before="0" w:after="0" w:line="20" '
                                                'w:lineRule="exact"/>', snap_off=True))
            return Layout(flow.page, flow.page)
        out.append(_para("GwFlush", sect=self._sect_xml(start="nextPage")))
        if fill > 0:  # one paragraph of exact height, off the grid, holds the table down
            height = fill * line - tw(GB.BANJI_OFFSET)
            out.append(_para("GwFlush", spacing=f'<w:spacing w:before="0" w:after="0" w:line="{height}" '
                                                f'w:lineRule="exact"/>', snap_off=True))
        out.append(table)
        page = flow.page + 1 if flow.page % 2 else flow.page + 2
        return Layout(flow.page, page)

    def _sect_xml(self, start: str = "nextPage", numbered: bool = True, landscape: bool = False) -> str:
        out = getattr(self, "_out", None)
        if out and out[-1].startswith("<w:tbl>"):
            # the body's last section ends with a table (the 版记): a paragraph of no height
            # after it, else LibreOffice adds one of its own when it reads the document back
            # from an .odt, and that one takes a page of its own after a full 版记 page
            out.append(_para("GwFlush", spacing=_TINY, snap_off=True))
        if not landscape and self._landscape_open():
            # nothing since a landscape table: the paragraph this sectPr goes into closes the
            # landscape section itself, instead of leaving an empty portrait page after it
            out = self._landscape_end[0]
            out.pop()
            self._landscape_end = None
            landscape = True
        if landscape:
            odd, even = ("rIdFtrLandOdd", "rIdFtrLandEven") if numbered else ("rIdFtrNone", "rIdFtrNone")
        else:
            odd, even = ("rIdFtrOdd", "rIdFtrEven") if numbered else ("rIdFtrNone", "rIdFtrNone")
        # 信函格式: the first section's page 1 has the letter header and no page number
        first = getattr(self, "_letter", False)
        self._letter = False
        refs = (f'<w:headerReference w:type="first" r:id="{LETTER_HEADER_ID}"/>'
                '<w:footerReference w:type="first" r:id="rIdFtrNone"/>') if first else ""
        if landscape:
            # 8: A4 turned; the 版心 turned with it, the table's head on the binding side:
            # the 订口 (28 mm) at the top, the 天头 (37 mm) on the right
            size = f'<w:pgSz w:w="{tw(GB.PAGE_H)}" w:h="{tw(GB.PAGE_W)}" w:orient="landscape"/>'
            margins = (f'<w:pgMar w:top="{tw(GB.MARGIN_LEFT)}" w:right="{tw(GB.MARGIN_TOP)}" '
                       f'w:bottom="{tw(GB.MARGIN_RIGHT)}" w:left="{tw(GB.MARGIN_BOTTOM)}" '
                       f'w:header="{tw(GB.LANDSCAPE_HF_DIST)}" w:footer="{tw(GB.LANDSCAPE_HF_DIST)}" w:gutter="0"/>')
        else:
            size = f'<w:pgSz w:w="{tw(GB.PAGE_W)}" w:h="{tw(GB.PAGE_H)}"/>'
            margins = (f'<w:pgMar w:top="{tw(GB.MARGIN_TOP)}" w:right="{tw(GB.MARGIN_RIGHT)}" '
                       f'w:bottom="{tw(GB.MARGIN_BOTTOM)}" w:left="{tw(GB.MARGIN_LEFT)}" '
                       f'w:header="{tw(GB.HEADER_DIST)}" w:footer="{tw(GB.FOOTER_DIST)}" w:gutter="0"/>')
        sect = (f'<w:sectPr>{refs}<w:footerReference w:type="default" r:id="{odd}"/>'
                f'<w:footerReference w:type="even" r:id="{even}"/>'
                f'<w:type w:val="{start}"/>{size}{margins}'
                f'<w:cols w:space="425"/>{"<w:titlePg/>" if first else ""}'
                f'<w:docGrid w:type="lines" w:linePitch="{tw(GB.LINE)}"/></w:sectPr>')
        return sect


def _run_in_heading(style: str, runs: str) -> str:
    """The outline entry of a run-in heading (（一）标题。正文……): a heading paragraph of
    hidden text with a hidden paragraph mark, which takes no room on the page, before the
    printed paragraph. Word's style separator (a hidden mark with w:specVanish between a
    heading paragraph and its text) would need no copy, but LibreOffice 7.4 prints it as
    two paragraphs."""
    # CT_RPr order: rFonts … snapToGrid vanish … color spacing … sz
    hidden = re.sub(r"(<w:rPr>(?:<w:rFonts [^>]*/>)?(?:<w:snapToGrid [^>]*/>)?)", r"\1<w:vanish/>", runs)
    return _para(style, hidden).replace("</w:pPr>", "<w:rPr><w:vanish/></w:rPr></w:pPr>", 1)


# a paragraph that takes no room: it closes a section after a table
_TINY = '<w:spacing w:before="0" w:after="0" w:line="20" w:lineRule="exact"/>'


def _col_needs(t: Table) -> list[int]:
    """Each column's minimum width: its headers of up to six and cells of up to eight
    characters on one line."""
    rows = [t.header, *t.rows]
    return [max(_cell_need(r[c], GB.TABLE_KEEP_HEADER if i == 0 else GB.TABLE_KEEP_CELL)
                for i, r in enumerate(rows)) for c in range(len(t.header))]


def _cell_need(text: str, keep: float) -> int:
    """Twips a table cell needs to hold ``text`` on one line when it is at most ``keep``
    characters (longer text may wrap: it needs room for a short word only). Digits and Latin
    letters inside Chinese get the extra space renderers put around them."""
    width = text_width(text)
    chars = width if width <= keep else min(width, GB.TABLE_WRAP_MIN)
    mixed = any(ch.isascii() and ch.isalnum() for ch in text) and any(ord(ch) > 0x2E80 for ch in text)
    return (int(math.ceil((chars + (0.5 if mixed else 0)) * tw(GB.SIZE_TABLE)))
            + 2 * GB.TABLE_CELL_MARGIN + GB.TABLE_SLACK)


def _heading_font(level: int) -> str:
    return {1: GB.FONT_H1, 2: GB.FONT_H2}.get(level, GB.FONT_BODY)


def mark_size(mark: str):
    n = len(mark)
    size = next(s for limit, s in GB.MARK_SIZES if n <= limit)
    # never wider than the 版心
    width_pt = tw(GB.TYPE_AREA_W) / 20
    if n * size.pt > width_pt:
        size = Pt(math.floor(width_pt / n))
    return size


# ------------------------------------------------------------------ static parts

# every part carries one fixed time: the same plan gives the same bytes (and SHA-256) on
# every run, so manifests and checksums say what changed
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _core_xml(title: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<dc:title>{xml_text(title)}</dc:title><dc:creator>gendoc</dc:creator>'
            '</cp:coreProperties>').encode("utf-8")


# gendoc's own, unmodified output is recognised by a fingerprint of every other part of the
# package, recorded as a custom document property (Word and WPS keep it, and an edit changes
# the parts): gendoc.outputs refuses to replace an edited document without --force.
FINGERPRINT_PART = "docProps/custom.xml"
_FINGERPRINT_NAME = "gendoc-fingerprint"
_FINGERPRINT_RE = re.compile(rf'name="{_FINGERPRINT_NAME}"[^>]*>\s*<vt:lpwstr>(sha256:[0-9a-f]{{64}})</vt:lpwstr>')


def _fingerprint_head(name: str, data: bytes) -> bytes:
    return name.encode("utf-8") + b"\0" + len(data).to_bytes(8, "big")


def package_fingerprint(parts) -> str:
    """sha256 over the package's parts (name and bytes, in name order)."""
    digest = hashlib.sha256()
    for name, data in sorted(parts):
        digest.update(_fingerprint_head(name, data) + data)
    return "sha256:" + digest.hexdigest()


def fingerprinter(fixed: list[tuple[str, bytes]], varying: str) -> Callable[[bytes], str]:
    """:func:`package_fingerprint` of ``fixed`` plus one part named ``varying``, as a function
    of that part's bytes: the fixed parts are hashed once (a batch's documents differ in
    word/document.xml only)."""
    names = sorted(n for n, _ in fixed)
    data = dict(fixed)
    before = hashlib.sha256()
    for n in (n for n in names if n < varying):
        before.update(_fingerprint_head(n, data[n]) + data[n])
    after = b"".join(_fingerprint_head(n, data[n]) + data[n] for n in names if n > varying)

    def fingerprint(part: bytes) -> str:
        digest = before.copy()
        digest.update(_fingerprint_head(varying, part))
        digest.update(part)
        digest.update(after)
        return "sha256:" + digest.hexdigest()
    return fingerprint


def read_fingerprint(custom_xml: bytes) -> str | None:
    m = _FINGERPRINT_RE.search(custom_xml.decode("utf-8", errors="replace"))
    return m.group(1) if m else None


def _fingerprint_xml(fingerprint: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
            'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
            '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" '
            f'name="{_FINGERPRINT_NAME}"><vt:lpwstr>{fingerprint}</vt:lpwstr></property>'
            '</Properties>').encode("utf-8")


def _style(sid: str, name: str, ppr: str = "", rpr: str = "", based: str | None = "Normal",
           kind: str = "paragraph", default: bool = False, next_style: str | None = None) -> str:
    d = ' w:default="1"' if default else ""
    b = f'<w:basedOn w:val="{based}"/>' if based else ""
    n = f'<w:next w:val="{next_style}"/>' if next_style else ""
    return (f'<w:style w:type="{kind}"{d} w:styleId="{sid}"><w:name w:val="{name}"/>{b}{n}'
            f'<w:qFormat/>{ppr}{rpr}</w:style>')


def _styles_xml() -> str:
    line = tw(GB.LINE)
    char = tw(GB.CHAR)
    exact = f'<w:spacing w:before="0" w:after="0" w:line="{line}" w:lineRule="exact"/>'
    indent = f'<w:ind w:firstLineChars="200" w:firstLine="{2 * char}"/>'
    body_rpr = _rpr(GB.FONT_BODY, size=GB.SIZE_BODY, spacing=GB.CHAR_SPACING)
    defaults = (f'<w:docDefaults><w:rPrDefault><w:rPr>{_rfonts(GB.FONT_BODY)}'
                f'<w:kern w:val="0"/><w:sz w:val="32"/><w:szCs w:val="32"/>'
                f'<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>'
                f'<w:pPrDefault><w:pPr><w:widowControl w:val="0"/>{exact}<w:jc w:val="both"/></w:pPr></w:pPrDefault>'
                f'</w:docDefaults>')
    s = [
        _style("Normal", "Normal", f'<w:pPr><w:widowControl w:val="0"/>{exact}<w:jc w:val="both"/></w:pPr>',
               body_rpr, based=None, default=True),
        _style("GwBody", "gw 正文", f"<w:pPr>{indent}</w:pPr>"),
        _style("GwFlush", "gw 顶格", '<w:pPr><w:ind w:firstLine="0"/></w:pPr>'),
        # the built-in heading styles (Word's navigation pane, tables of contents, pandoc and
        # mammoth know them by these names), formatted as GB/T 9704 7.3.3 wants
        _style("Heading1", "heading 1", f'<w:pPr>{indent}<w:outlineLvl w:val="0"/></w:pPr>',
               _rpr(GB.FONT_H1, latin=GB.FONT_H1), next_style="GwBody"),
        _style("Heading2", "heading 2", f'<w:pPr>{indent}<w:outlineLvl w:val="1"/></w:pPr>',
               _rpr(GB.FONT_H2, latin=GB.FONT_LATIN), next_style="GwBody"),
        _style("Heading3", "heading 3", f'<w:pPr>{indent}<w:outlineLvl w:val="2"/></w:pPr>',
               next_style="GwBody"),
        _style("Heading4", "heading 4", f'<w:pPr>{indent}<w:outlineLvl w:val="3"/></w:pPr>',
               next_style="GwBody"),
        _style("GwTitle", "gw 标题", '<w:pPr><w:keepNext/><w:snapToGrid w:val="0"/><w:ind w:firstLine="0"/>'
               '<w:jc w:val="center"/></w:pPr>',
               _rpr(GB.FONT_TITLE, size=GB.SIZE_TITLE, latin=GB.FONT_TITLE, spacing=Pt(0), snap_off=True)),
        _style("GwMark", "gw 发文机关标志", '<w:pPr><w:snapToGrid w:val="0"/><w:ind w:firstLine="0"/>'
               '<w:jc w:val="center"/></w:pPr>',
               _rpr(GB.FONT_MARK, latin=GB.FONT_MARK, color=GB.RED, spacing=Pt(0), snap_off=True)),
        _style("GwDocNo", "gw 发文字号", '<w:pPr><w:ind w:firstLine="0"/><w:jc w:val="center"/></w:pPr>'),
        _style("GwSign", "gw 署名日期", '<w:pPr><w:ind w:firstLine="0"/><w:jc w:val="right"/></w:pPr>'),
        _style("GwBanji", "gw 版记", '<w:pPr><w:ind w:firstLine="0"/></w:pPr>',
               _rpr(GB.FONT_BODY, size=GB.SIZE_SMALL)),
        _style("GwTable", "gw 表格", f'<w:pPr><w:spacing w:before="0" w:after="0" w:line="{tw(GB.TABLE_LINE)}" '
               f'w:lineRule="exact"/><w:ind w:firstLine="0"/></w:pPr>',
               _rpr(GB.FONT_BODY, size=GB.SIZE_TABLE, spacing=Pt(0))),
        _style("GwFooter", "gw 页码", '<w:pPr><w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>'
               '<w:ind w:firstLine="0"/></w:pPr>',
               _rpr(GB.FONT_PAGE_NO, size=GB.SIZE_SMALL, latin=GB.FONT_PAGE_NO, spacing=Pt(0))),
        '<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/>'
        '<w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/>'
        '<w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/>'
        '</w:tblCellMar></w:tblPr></w:style>',
    ]
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<w:styles xmlns:w="{W_NS}">{defaults}{"".join(s)}</w:styles>')


def _footer_xml(align: str | None) -> str:
    if align is None:
        return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<w:ftr xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:p><w:pPr><w:pStyle w:val="GwFooter"/></w:pPr></w:p></w:ftr>')
    small = tw(GB.CHAR_SMALL)
    ind = f'<w:ind w:right="{small}"/>' if align == "right" else f'<w:ind w:left="{small}"/>'
    rpr = _rpr(GB.FONT_PAGE_NO, latin=GB.FONT_PAGE_NO, size=GB.SIZE_SMALL, spacing=Pt(0))
    field = (f'<w:r>{rpr}<w:fldChar w:fldCharType="begin"/></w:r>'
             f'<w:r>{rpr}<w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>'
             f'<w:r>{rpr}<w:fldChar w:fldCharType="separate"/></w:r>'
             f'<w:r>{rpr}<w:t>1</w:t></w:r>'
             f'<w:r>{rpr}<w:fldChar w:fldCharType="end"/></w:r>')
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<w:ftr xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:p><w:pPr><w:pStyle w:val="GwFooter"/>{ind}'
            f'<w:jc w:val="{align}"/></w:pPr>{_one_run("— ", rpr)}{field}{_one_run(" —", rpr)}</w:p></w:ftr>')


def _landscape_footer_xml(align: str) -> str:
    """The page number of a landscape table page (8): where the portrait pages have theirs
    for the reader who holds the document upright: along the sheet's left edge (the upright
    foot), the dash 7 mm outside the turned 版心, the text turned with the sheet. It is the
    portrait footer's own paragraph in a text box anchored to the page, its text turned 90°
    (a VML text box: LibreOffice 7.4 places a DrawingML text box in a footer at the page's
    corner, whatever its offsets)."""
    para = _footer_xml(align).split("<w:ftr ", 1)[1].split(">", 1)[1].removesuffix("</w:ftr>")
    depth = GB.LANDSCAPE_NUMBER_BOX.pt
    x = GB.MARGIN_BOTTOM.pt - GB.LANDSCAPE_NUMBER_GAP.pt - depth
    style = (f"position:absolute;margin-left:{x:.2f}pt;margin-top:{GB.MARGIN_LEFT.pt:.2f}pt;"
             f"width:{depth:.2f}pt;height:{Twips(tw(GB.TYPE_AREA_W)).pt:.2f}pt;z-index:1;"
             "mso-position-horizontal-relative:page;mso-position-vertical-relative:page")
    box = ('<w:r><w:pict><v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
           'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
           '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
           f'<v:shape id="横排表格页码" type="#_x0000_t202" filled="f" stroked="f" style="{style}">'
           f'<v:textbox style="layout-flow:vertical" inset="0,0,0,0"><w:txbxContent>{para}</w:txbxContent>'
           '</v:textbox></v:shape></w:pict></w:r>')
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<w:ftr xmlns:w="{W_NS}" xmlns:r="{R_NS}" xmlns:v="urn:schemas-microsoft-com:vml" '
            f'xmlns:o="urn:schemas-microsoft-com:office:office">'
            f'<w:p><w:pPr><w:pStyle w:val="GwFooter"/></w:pPr>{box}</w:p></w:ftr>')


def _settings_xml() -> str:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<w:settings xmlns:w="{W_NS}"><w:zoom w:percent="100"/>'
            f'<w:defaultTabStop w:val="{tw(GB.CHAR) * 2}"/><w:evenAndOddHeaders/>'
            f'<w:characterSpacingControl w:val="doNotCompress"/>'
            f'<w:compat><w:compatSetting w:name="compatibilityMode" '
            f'w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat>'
            f'<w:themeFontLang w:val="en-US" w:eastAsia="zh-CN"/></w:settings>')


def _font_table_xml() -> str:
    """The standard fonts with their alternates (w:altName, panose, code-page signature), so
    a word processor without 仿宋_GB2312 or 方正小标宋简体 falls back to the closest Chinese
    face (gendoc.fonts.font_table_entries)."""
    from .fonts import font_element_xml, font_table_entries
    body = "".join(font_element_xml(e) for e in font_table_entries())
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<w:fonts xmlns:w="{W_NS}">{body}</w:fonts>')


_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml."


def _theme_xml() -> str:
    """The theme part strict consumers require (ECMA-376 lists it for a document): black
    text, the standard fonts as the theme's fonts, plain formatting. Every run names its
    fonts explicitly, so the theme only matters to programs that fall back to it."""
    a = "http://schemas.openxmlformats.org/drawingml/2006/main"
    colours = (("dk1", '<a:sysClr val="windowText" lastClr="000000"/>'),
               ("lt1", '<a:sysClr val="window" lastClr="FFFFFF"/>'),
               ("dk2", '<a:srgbClr val="000000"/>'), ("lt2", '<a:srgbClr val="FFFFFF"/>'),
               *((f"accent{i}", '<a:srgbClr val="000000"/>') for i in range(1, 7)),
               ("hlink", '<a:srgbClr val="0000FF"/>'), ("folHlink", '<a:srgbClr val="800080"/>'))
    clr = "".join(f"<a:{n}>{v}</a:{n}>" for n, v in colours)

    def font(latin: str, east: str) -> str:
        return (f'<a:latin typeface="{latin}"/><a:ea typeface="{east}"/><a:cs typeface=""/>'
                f'<a:font script="Hans" typeface="{east}"/>')
    solid = '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>'
    line = f'<a:ln w="6350" cap="flat" cmpd="sng" algn="ctr">{solid}<a:prstDash val="solid"/></a:ln>'
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<a:theme xmlns:a="{a}" name="gendoc"><a:themeElements>'
            f'<a:clrScheme name="gendoc">{clr}</a:clrScheme>'
            f'<a:fontScheme name="gendoc"><a:majorFont>{font(GB.FONT_LATIN, GB.FONT_H1)}</a:majorFont>'
            f'<a:minorFont>{font(GB.FONT_LATIN, GB.FONT_BODY)}</a:minorFont></a:fontScheme>'
            f'<a:fmtScheme name="gendoc"><a:fillStyleLst>{solid * 3}</a:fillStyleLst>'
            f'<a:lnStyleLst>{line * 3}</a:lnStyleLst>'
            f'<a:effectStyleLst>{"<a:effectStyle><a:effectLst/></a:effectStyle>" * 3}</a:effectStyleLst>'
            f'<a:bgFillStyleLst>{solid * 3}</a:bgFillStyleLst></a:fmtScheme>'
            '</a:themeElements><a:objectDefaults/><a:extraClrSchemeLst/></a:theme>')


@lru_cache(maxsize=1)
def static_parts() -> tuple[tuple[str, bytes], ...]:
    """Every part except document.xml and core.xml, built once per process."""
    rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/word/document.xml" ContentType="{_CT}document.main+xml"/>'
        f'<Override PartName="/word/styles.xml" ContentType="{_CT}styles+xml"/>'
        f'<Override PartName="/word/settings.xml" ContentType="{_CT}settings+xml"/>'
        f'<Override PartName="/word/fontTable.xml" ContentType="{_CT}fontTable+xml"/>'
        '<Override PartName="/word/theme/theme1.xml" ContentType="application/vnd.openxmlformats-officedocument.theme+xml"/>'
        f'<Override PartName="/word/footer1.xml" ContentType="{_CT}footer+xml"/>'
        f'<Override PartName="/word/footer2.xml" ContentType="{_CT}footer+xml"/>'
        f'<Override PartName="/word/footer3.xml" ContentType="{_CT}footer+xml"/>'
        f'<Override PartName="/word/footer4.xml" ContentType="{_CT}footer+xml"/>'
        f'<Override PartName="/word/footer5.xml" ContentType="{_CT}footer+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/>'
        '</Types>')
    root_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rels}/officeDocument" Target="word/document.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
        'Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{rels}/custom-properties" Target="docProps/custom.xml"/>'
        '</Relationships>')
    doc_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rIdStyles" Type="{rels}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rIdSettings" Type="{rels}/settings" Target="settings.xml"/>'
        f'<Relationship Id="rIdFonts" Type="{rels}/fontTable" Target="fontTable.xml"/>'
        f'<Relationship Id="rIdTheme" Type="{rels}/theme" Target="theme/theme1.xml"/>'
        f'<Relationship Id="rIdFtrOdd" Type="{rels}/footer" Target="footer1.xml"/>'
        f'<Relationship Id="rIdFtrEven" Type="{rels}/footer" Target="footer2.xml"/>'
        f'<Relationship Id="rIdFtrNone" Type="{rels}/footer" Target="footer3.xml"/>'
        f'<Relationship Id="rIdFtrLandOdd" Type="{rels}/footer" Target="footer4.xml"/>'
        f'<Relationship Id="rIdFtrLandEven" Type="{rels}/footer" Target="footer5.xml"/>'
        '</Relationships>')
    parts = {
        "[Content_Types].xml": content_types,
        "_rels/.rels": root_rels,
        "word/_rels/document.xml.rels": doc_rels,
        "word/styles.xml": _styles_xml(),
        "word/settings.xml": _settings_xml(),
        "word/fontTable.xml": _font_table_xml(),
        "word/theme/theme1.xml": _theme_xml(),
        "word/footer1.xml": _footer_xml("right"),
        "word/footer2.xml": _footer_xml("left"),
        "word/footer3.xml": _footer_xml(None),
        "word/footer4.xml": _landscape_footer_xml("right"),   # 横排表格 pages (8)
        "word/footer5.xml": _landscape_footer_xml("left"),
    }
    return tuple((k, v.encode("utf-8")) for k, v in parts.items())


# ------------------------------------------------------------------ 信函格式 (10.1)

LETTER_HEADER_PART, LETTER_HEADER_ID = "word/header1.xml", "rIdHdrLetter"
_WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
_A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
_WPS_NS = "http://schemas.microsoft.com/office/word/2010/wordprocessingShape"


def _emu(length) -> int:
    return int(round(length.emu)) if hasattr(length, "emu") else int(length)


def _letter_geometry(mark: str) -> dict:
    """Page-1 positions of the 信函格式 head: twips for paragraphs, EMU for the red bars,
    both from the sheet top."""
    size = mark_size(mark)
    rise = GB.LETTER_MARK_RISE * tw(size)
    upper = _emu(GB.LETTER_MARK_TOP) + _emu(size) + _emu(GB.LETTER_RULE_GAP)   # thick line top
    thin_top = upper + _emu(GB.LETTER_THICK) + _emu(GB.LETTER_RULE_SPACE)
    rules_end = thin_top + _emu(GB.LETTER_THIN)
    per_tw = _emu(Twips(1))
    number_line_top = round((rules_end + _emu(GB.LETTER_BELOW_RULE) - _emu(GB.BODY_GLYPH_DROP)) / per_tw)
    mark_line_top = round(tw(GB.LETTER_MARK_TOP) + rise)
    lower = _emu(GB.PAGE_H) - _emu(GB.LETTER_RULE_BOTTOM) - _emu(GB.LETTER_THICK)  # thick line top
    return dict(size=size, before=mark_line_top - tw(GB.HEADER_DIST), line=tw(size),
                gap=max(20, number_line_top - mark_line_top - tw(size)),
                rules=[(upper, GB.LETTER_THICK), (thin_top, GB.LETTER_THIN),
                       (lower - _emu(GB.LETTER_RULE_SPACE) - _emu(GB.LETTER_THIN), GB.LETTER_THIN),
                       (lower, GB.LETTER_THICK)], number_line_top=number_line_top)


def _letter_head_lines(head: LetterHead) -> float:
    """Grid lines of page 1 that the letter header takes below the 版心 top (page estimate)."""
    g = _letter_geometry(head.mark or "")
    lines = 1 + sum(1 for t in (head.secrecy, head.urgency) if t and t != _letter_left(head)[0])
    return max(0.0, (g["number_line_top"] - tw(GB.MARGIN_TOP)) / tw(GB.LINE)) + lines


def _letter_left(head: LetterHead) -> list[str]:
    """份号, 密级, 紧急程度 (at the left edge, the first on the 发文字号's line)."""
    return [t for t in (head.copy_number, head.secrecy, head.urgency) if t] or [""]


def _red_bar(n: int, top_emu: int, thickness) -> str:
    """A red bar LETTER_RULE_W long, centred on the sheet, anchored to the page."""
    w, h = _emu(GB.LETTER_RULE_W), _emu(thickness)
    x = (_emu(GB.PAGE_W) - w) // 2
    return (f'<w:r><w:drawing><wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" '
            f'relativeHeight="{n}" behindDoc="1" locked="1" layoutInCell="1" allowOverlap="1">'
            f'<wp:simplePos x="0" y="0"/>'
            f'<wp:positionH relativeFrom="page"><wp:posOffset>{x}</wp:posOffset></wp:positionH>'
            f'<wp:positionV relativeFrom="page"><wp:posOffset>{top_emu}</wp:posOffset></wp:positionV>'
            f'<wp:extent cx="{w}" cy="{h}"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapNone/>'
            f'<wp:docPr id="{n}" name="信函格式红线{n}"/><wp:cNvGraphicFramePr/>'
            f'<a:graphic><a:graphicData uri="{_WPS_NS}"><wps:wsp><wps:cNvSpPr/>'
            f'<wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{w}" cy="{h}"/></a:xfrm>'
            f'<a:prstGeom prst="rect"><a:avLst/></a:prstGeom>'
            f'<a:solidFill><a:srgbClr val="{GB.RED}"/></a:solidFill><a:ln><a:noFill/></a:ln></wps:spPr>'
            f'<wps:bodyPr/></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></w:r>')


def _letter_header_xml(head: LetterHead) -> bytes:
    """Page 1's header (10.1): the red mark, top edge 30 mm from the sheet top; the double
    lines, anchored to the page; below them 份号/密级/紧急程度 at the left edge and the
    发文字号 at the right edge of the 版心, 7/8 of a 3号 height under the upper line. In the
    header, so that their places do not depend on where a renderer starts the body."""
    g = _letter_geometry(head.mark or "")
    bars = "".join(_red_bar(i, top, t) for i, (top, t) in enumerate(g["rules"], 1))
    spacing = f'<w:spacing w:before="{g["before"]}" w:after="0" w:line="{g["line"]}" w:lineRule="exact"/>'
    paras = [_para("GwMark", bars + _run(head.mark or "", GB.FONT_MARK, latin=GB.FONT_MARK, size=g["size"],
                                         color=GB.RED, spacing=Pt(0), snap_off=True), spacing=spacing),
             _para("GwFlush", spacing=f'<w:spacing w:before="0" w:after="0" w:line="{g["gap"]}" '
                                      f'w:lineRule="exact"/>', snap_off=True)]
    left = _letter_left(head)
    tabs = f'<w:tabs><w:tab w:val="right" w:pos="{tw(GB.TYPE_AREA_W)}"/></w:tabs>'
    font = GB.FONT_BODY if left[0] == head.copy_number else GB.FONT_H1
    paras.append(_para("GwFlush", (_run(left[0], font) if left[0] else "") + "<w:r><w:tab/></w:r>"
                       + _run(head.doc_number or ""), tabs=tabs))
    paras += [_para("GwFlush", _run(t, GB.FONT_H1)) for t in left[1:]]
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<w:hdr xmlns:w="{W_NS}" xmlns:r="{R_NS}" xmlns:wp="{_WP_NS}" xmlns:a="{_A_NS}" '
            f'xmlns:wps="{_WPS_NS}">{"".join(paras)}</w:hdr>').encode("utf-8")


@lru_cache(maxsize=1)
def letter_parts() -> tuple[tuple[str, bytes], ...]:
    """The static parts with page 1's header declared (content type and relationship)."""
    rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    out = []
    for name, data in static_parts():
        if name == "[Content_Types].xml":
            data = data.replace(b"</Types>", (f'<Override PartName="/{LETTER_HEADER_PART}" '
                                              f'ContentType="{_CT}header+xml"/></Types>').encode())
        elif name == "word/_rels/document.xml.rels":
            data = data.replace(b"</Relationships>", (
                f'<Relationship Id="{LETTER_HEADER_ID}" Type="{rels}/header" '
                f'Target="{LETTER_HEADER_PART.removeprefix("word/")}"/></Relationships>').encode())
        out.append((name, data))
    return tuple(out)
