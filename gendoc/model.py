"""The document model: what a 公文 is made of, with no twips and no fonts.

Templates produce the body as *gendoc markup*, a plain-text line format a clerk can read
and edit; :func:`parse_markup` turns it into blocks. Each non-blank line is one block:

============================  ==================================================
``# 标题``                    level-1 heading (numbered 一、 by the typesetter)
``## 标题``                   level-2 heading (（一）)
``### 标题`` / ``#### 标题``  level-3 (1.) / level-4 (（1）) heading
``## 标题。| 正文``           run-in heading: heading and text in one paragraph
``+ 正文`` / ``+ 引领语。| 正文``  numbered item: 1. under 一、 or （一）, （1） under 1.
``++ 正文``                   sub-item, one level below the item
``@attachment 标题``          starts an attachment (new page, 附件N, its own numbering)
``@center 文字``              a centred line (a sub-title inside an attachment)
``@noindent 文字``            a paragraph without the two-character indent
``@table 列1 | 列2``           a table header; ``@row a | b`` rows; ``@end`` closes it
``@table-landscape 列1 | …``   the same, on a landscape page (横排表格) whatever its width
``@pagebreak``                a page break
anything else                 a body paragraph (indented two characters)
============================  ==================================================

``\\`` escapes the next character in a template's own text. Templates see plan values
already escaped (see :func:`escape_markup` and ``gendoc.render.View``): their structure
characters are stand-ins no filter can turn back, so no plan text can create structure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import GendocError

MAX_LEVEL = 4   # 一、（一）1.（1）: the one place the depth of headings and items is set


@dataclass
class Heading:
    level: int
    text: str
    run_in: str | None = None  # text following the heading in the same paragraph


@dataclass
class Item:
    level: int
    text: str
    title: str | None = None


@dataclass
class Para:
    text: str
    indent: bool = True
    align: str = "both"  # both | center


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    landscape: bool = False   # the template asks for a landscape page (横排表格)


@dataclass
class PageBreak:
    pass


Block = Heading | Item | Para | Table | PageBreak


@dataclass
class Attachment:
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Head:
    """版头: everything above the red separator."""

    mark: str | None = None           # 发文机关标志 (red)
    doc_number: str | None = None     # 卫党发〔2014〕3号
    signers: list[str] = field(default_factory=list)
    copy_number: str | None = None
    secrecy: str | None = None
    urgency: str | None = None


@dataclass
class Signature:
    name: str | None
    date: str | None  # already formatted: 2014年2月28日
    seal: bool = True


@dataclass
class Banji:
    """版记: 抄送, 印发机关和印发日期."""

    cc: list[str] = field(default_factory=list)
    printer: str | None = None
    print_date: str | None = None  # formatted, without 印发

    @property
    def empty(self) -> bool:
        return not (self.cc or self.printer or self.print_date)


@dataclass
class Document:
    title_lines: list[str]
    head: Head | None = None
    recipients: str | None = None
    body: list[Block] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    attachment_note: bool = True  # print 附件说明 after the body
    signature: Signature | None = None
    notes: list[str] = field(default_factory=list)
    banji: Banji = field(default_factory=Banji)


# ---------------------------------------------------------------- sentence ends

_TRAILING = "。；，、：.;,:"


def strip_end(text) -> str:
    """A heading on its own line, an attachment name, a lead-in before a colon: no final
    punctuation (GB/T 9704 practice)."""
    return str(text or "").rstrip().rstrip(_TRAILING).rstrip()


def end_sentence(text) -> str:
    """A run-in heading or a sentence: ends with 。 unless it already ends with 。！？：… (a
    closing bracket or quote still takes the 。 after it: ……（试行）。)."""
    text = str(text or "").rstrip().rstrip("；，、;,").rstrip()
    if not text:
        return ""
    return text if text[-1] in "。！？：…:?!" else text + "。"


# ---------------------------------------------------------------- markup

# Plan text reaches templates with the markup's structure characters replaced by stand-ins
# from Unicode's private use area: no filter a template applies (replace, wordwrap, trim …)
# can turn them back into markup, and the parser maps them back to the characters the clerk
# typed only after the structure is read. Newlines are removed: a plan value is one line.
_STAND_INS = {"\\": "\ue05c", "#": "\ue023", "+": "\ue02b", "@": "\ue040", "|": "\ue07c"}
_TO_STAND_IN = str.maketrans(_STAND_INS)
_FROM_STAND_IN = str.maketrans({v: k for k, v in _STAND_INS.items()})
_NEWLINES = re.compile(r"\s*[\r\n\u2028\u2029\x85\x0b\x0c]+\s*")


def escape_markup(value) -> str:
    """Make a plan value inert inside markup: one line, structure characters stood in for."""
    if value is None:
        return ""
    text = _NEWLINES.sub("", str(value)) if isinstance(value, str) else str(value)
    return text.translate(_TO_STAND_IN)


def plain_text(text: str) -> str:
    """Escaped plan text back to the characters the clerk typed."""
    return text.translate(_FROM_STAND_IN)


def _unescape(text: str) -> str:
    """A template's own ``\\x`` escapes, then plan text's stand-ins."""
    return plain_text(re.sub(r"\\(.)", r"\1", text))


def _split_bar(text: str) -> tuple[str, str | None]:
    """Split at the first unescaped ``|``."""
    m = re.search(r"(?<!\\)(?:\\\\)*\|", text)
    if not m:
        return _unescape(text).strip(), None
    cut = m.end() - 1
    return _unescape(text[:cut]).strip(), _unescape(text[cut + 1:]).strip()


def _cells(text: str) -> list[str]:
    """Split at every unescaped ``|`` (one preceded by an even number of backslashes)."""
    parts, cur, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            cur.append(text[i:i + 2])
            i += 2
            continue
        if ch == "|":
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return [_unescape(p).strip() for p in parts]


def parse_markup(text: str, source: str = "template") -> tuple[list[Block], list[Attachment]]:
    """Parse gendoc markup into body blocks and attachments."""
    body: list[Block] = []
    attachments: list[Attachment] = []
    target = body
    heading_level = 0
    table: Table | None = None
    for no, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if not line:
            continue
        if table is not None:
            if line.startswith("@row"):
                cells = _cells(line[4:].strip())
                if len(cells) != len(table.header):
                    raise GendocError(f"表格行有 {len(cells)} 格，表头有 {len(table.header)} 格",
                                      file=source, line=no)
                table.rows.append(cells)
                continue
            if line == "@end":
                target.append(table)
                table = None
                continue
            raise GendocError("表格没有用 @end 结束", file=source, line=no)
        if line.startswith("#"):
            marks = len(line) - len(line.lstrip("#"))
            if marks > MAX_LEVEL:
                raise GendocError(f"标题层次超过四层：{line[:30]}", file=source, line=no)
            head, run_in = _split_bar(line[marks:])
            if not head:
                raise GendocError("空标题", file=source, line=no)
            heading_level = marks
            target.append(Heading(marks, head, run_in))
        elif line.startswith("+"):
            marks = len(line) - len(line.lstrip("+"))
            level = max(3, heading_level + 1) + marks - 1
            if level > MAX_LEVEL:
                raise GendocError(f"条目层次超过四层（一、（一）1.（1））：{line[:30]}",
                                  file=source, line=no)
            title, rest = _split_bar(line[marks:])
            if rest is None:
                target.append(Item(level, title))
            else:
                target.append(Item(level, rest, title or None))
        elif line.startswith("@"):
            word, _, arg = line[1:].partition(" ")
            arg_text = _unescape(arg).strip()
            if word == "attachment":
                if not arg_text:
                    raise GendocError("@attachment 后面要写附件标题", file=source, line=no)
                attachments.append(Attachment(arg_text))
                target = attachments[-1].blocks
                heading_level = 0
            elif word == "center":
                target.append(Para(arg_text, indent=False, align="center"))
            elif word == "noindent":
                target.append(Para(arg_text, indent=False))
            elif word in ("table", "table-landscape"):
                table = Table(_cells(arg), landscape=word == "table-landscape")
            elif word == "pagebreak":
                target.append(PageBreak())
            else:
                raise GendocError(f"不认识的标记 @{word}", file=source, line=no)
        else:
            target.append(Para(_unescape(line)))
    if table is not None:
        raise GendocError("表格没有用 @end 结束", file=source, line=len(text.split("\n")))
    return body, attachments
