"""Branch versions of one parent plan (issue 9): ``gendoc batch``.

A 局党委 issues one 实施方案 and every 党支部, 直属单位 and 卫生院 produces its own version.
This module reads a branches file (CSV or YAML), builds each branch's plan from the parent,
renders every branch, checks each document for another unit's terms, names the files safely
and writes a manifest.

What a branch's plan is (the *full path*, :meth:`Parent.full_plan`): the parent's data with
the parent's terms (issuer name, short name, self-reference, 发文机关标志) replaced by the
branch's wherever they occur in its text, in one pass, longest term first; then the sections
and responsibilities the branch drops (by tag), its recipients, whom it reports to (抄送), its
own leading group; then any other field of the branch deep-merged over the result. The
overrides are the clerk's own text and are never substituted, so a stale name typed there is
found by the stale-term check.

The *shared path* (:meth:`Parent.shared`) gives the same document much faster for branches
that change only terms and recipients. The parent's template runs once, with each term
replaced by a one-character token from Unicode's supplementary private use area. Branches
whose values have the same lengths share one typesetting: each token is widened to a run of
its character as long as the value (every value on this path is CJK ideographs, one character
wide each, so line counts, page estimates, the 版记's even page and the mark's size are those
of the real text); the document XML is then cut at these runs, and each branch's XML is the
pieces joined with its values. A value that occurs in a title (broken at word-like
boundaries, so characters matter) is kept literally: such branches share only with branches
of the same value. ``tests/test_batch.py`` checks that every branch sent this way gives
exactly the parts of a full render.
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import csv
import gc
import dataclasses
import hashlib
import io
import itertools
import json
import os
import re
import pickle
import signal
import struct
import tempfile
import threading
import time
import unicodedata
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from array import array
from collections.abc import Sequence
from typing import Any, Callable, Iterable, Iterator

from .errors import GendocError, GendocWarning
from .loader import LineMap, decode, load_file, load_text
from .model import Document, Heading, Item, Para, Table, strip_end
from .outputs import check_destination, write_all, write_atomic, write_each
from .plan import validate
from .render import build_document
from .typeset import ZIP_TIME, Typesetter, break_title, fingerprinter, static_parts, text_width

MAX_BRANCHES_BYTES = 20 * 1024 * 1024
MAX_ID = 64
NAME_BYTES = 200          # a file name in UTF-8 bytes (ext4 and NTFS allow 255)
TERMS = ("name", "short", "self_ref", "mark")
TERM_WORDS = {"name": "名称", "short": "简称", "self_ref": "自称", "mark": "发文机关标志"}
_LIST_FIELDS = ("recipients", "reports_to", "drop_tags", "keep_tags")
_BRANCH_KEYS = {"id", "name", "short", "self_ref", "mark", "recipients", "reports_to",
                "leading_group", "drop_tags", "keep_tags", "parent", "overrides"}
# CSV headers a clerk may write in Chinese
_CSV_ALIASES = {"编号": "id", "名称": "name", "全称": "name", "简称": "short", "自称": "self_ref",
                "发文机关标志": "mark", "主送": "recipients", "主送机关": "recipients",
                "报送": "reports_to", "抄送": "reports_to", "去掉标签": "drop_tags",
                "保留标签": "keep_tags", "计划": "parent"}
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}
_BAD_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_LATIN = re.compile(r"[\u0020-\u007e\u00c0-\u024f]")
_SENTENCE_END = "。；！？\n"
# tokens and markers of the shared path: supplementary private use area (gendoc's markup
# stand-ins live in the BMP's private use area)
_TOKEN_BASE = 0xF0000
MAX_LIST_SLOTS = 16


# ================================================================ branches file

class _NoOverrides(dict):
    """The overrides of every branch that has none: one shared, read-only, empty mapping
    (a dict each cost ten thousand branches 0.6 MiB), pickled as itself."""

    __slots__ = ()

    def __reduce__(self):
        return "_NO_OVERRIDES"

    def _read_only(self, *args, **kwargs):
        raise TypeError("_NO_OVERRIDES is read-only")
    __setitem__ = __delitem__ = update = setdefault = pop = popitem = clear = _read_only


_NO_OVERRIDES = _NoOverrides()

@dataclass(slots=True)
class Branch:
    """One branch as the branches file gives it."""

    id: str
    name: str
    file: str                       # the branches file
    line: int | None                # its line (YAML entry or CSV row)
    terms: dict[str, str] = field(default_factory=dict)     # name/short/self_ref/mark given
    recipients: list[str] | None = None
    reports_to: list[str] | None = None
    leading_group: Any = None
    drop_tags: Sequence[str] = ()
    keep_tags: list[str] | None = None
    overrides: dict = field(default_factory=lambda: _NO_OVERRIDES)   # plan fields, deep-merged
    parent: str | None = None
    lines: LineMap = field(default_factory=LineMap)          # override path -> line
    problem: GendocError | None = None                       # refused before rendering

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    @property
    def structural(self) -> bool:
        """Needs the full path: anything besides terms, recipients and 抄送."""
        return bool(self.overrides or self.leading_group is not None or self.drop_tags
                    or self.keep_tags is not None)


@dataclass
class BranchSet:
    file: str
    branches: Sequence[Branch]     # a list, or made record by record (_CsvBranches)
    parent: str | None = None                  # the parent plan the file names
    tags: dict[str, list[str]] = field(default_factory=dict)   # tag -> selectors
    tag_lines: dict[str, int] = field(default_factory=dict)

    def refuse(self, i: int, problem: GendocError) -> None:
        """The branch at ``i`` is not to be rendered, for ``problem``."""
        if isinstance(self.branches, _CsvBranches):
            self.branches.problems[i] = problem
        else:
            self.branches[i].problem = problem


def _err(message: str, file: str, line: int | None = None, field_: str | None = None) -> GendocError:
    return GendocError(message, file=file, line=line, field=field_)


def read_branches(path: str | os.PathLike) -> BranchSet:
    """Read a branches file (.csv, or .yaml/.yml). Errors that concern the whole file raise
    :class:`GendocError`; a branch's own problem is kept in ``Branch.problem`` so that the
    other branches are still rendered."""
    p = Path(path)
    name = str(path)
    if p.is_dir():
        raise _err("这是一个文件夹，不是分支文件", name)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise _err("分支文件不存在", name) from None
    except OSError as exc:
        raise _err(f"无法读取分支文件：{exc.strerror}", name) from None
    if len(raw) > MAX_BRANCHES_BYTES:
        raise _err(f"分支文件超过 {MAX_BRANCHES_BYTES:,} 字节", name)
    text = decode(raw, name)
    if p.suffix.lower() == ".csv":
        bs = _read_csv(text, name)
    elif p.suffix.lower() in (".yaml", ".yml"):
        bs = _read_yaml(text, name)
    else:
        raise _err("分支文件应为 .csv 或 .yaml", name)
    _check_ids(bs)
    return bs


def _split_list(value: str) -> list[str]:
    return [v.strip() for v in re.split(r"[;；|、]", value) if v.strip()]


_NO_LINES = LineMap()   # shared by every CSV row without override columns (never written to)


def _read_csv(text: str, file: str) -> BranchSet:
    offsets = array("I", [0])   # where each line of the file starts, and the end

    def lines():
        pos = 0
        for line in io.StringIO(text, newline=""):
            pos += len(line)
            offsets.append(pos)
            yield line
    reader = csv.reader(lines())
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise _err(f"CSV 格式错误：{exc}", file, 1) from None
    if not header or not any(h.strip() for h in header):
        raise _err("CSV 文件没有表头；第一行应为列名，至少有 id,name", file, 1)
    cols = [_CSV_ALIASES.get(h.strip(), h.strip()) for h in header]
    missing = [c for c in ("id", "name") if c not in cols]
    if missing:
        raise _err(f"CSV 表头缺少列 {'、'.join(missing)}（至少要有 id,name；现有：{','.join(header)}）",
                   file, 1)
    dup = sorted({c for c in cols if c and cols.count(c) > 1})
    if dup:
        raise _err(f"CSV 表头里列 {'、'.join(dup)} 重复", file, 1)
    for c in cols:
        if not c:
            raise _err("CSV 表头里有空的列名", file, 1)
    starts, ends = array("I"), array("I")   # each record's lines [start, end), 0-based
    last = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise _err(f"CSV 格式错误：{exc}", file, reader.line_num) from None
        first, last = last, reader.line_num
        if any(c.strip() for c in row):
            starts.append(first)
            ends.append(last)
    return BranchSet(file, _CsvBranches(text, file, cols, starts, ends, offsets))


class _CsvBranches(Sequence):
    """The branches of a CSV file, each made from its record when it is asked for: a run
    over ten thousand branches holds the file's text and 12 bytes a branch, not ten thousand
    branches (``problems``: what the whole-file checks refused, by position)."""

    def __init__(self, text: str, file: str, cols: list[str], starts: array, ends: array, offsets: array):
        self.text, self.file, self.cols = text, file, cols
        self.starts, self.ends, self.offsets = starts, ends, offsets
        self.problems: dict[int, GendocError] = {}

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        a, b = self.starts[i], self.ends[i]
        row = next(csv.reader(io.StringIO(self.text[self.offsets[a]:self.offsets[b]], newline="")))
        branch = _csv_branch(self.cols, row, self.file, a + 1)
        problem = self.problems.get(i)
        if problem is not None:
            branch.problem = problem
        return branch


def _csv_branch(cols: list[str], row: list[str], file: str, line: int) -> Branch:
    """One CSV record as a branch (``line``: the record's first line)."""
    if len(row) > len(cols):
        return Branch(id=row[0].strip(), name="", file=file, line=line, problem=_err(
            f"这一行有 {len(row)} 列，表头只有 {len(cols)} 列（名称里有逗号时请加双引号）", file, line))
    entry: dict[str, Any] = {}
    lines = _NO_LINES
    for c, v in zip(cols, row):
        v = v.strip()
        if not v:
            continue
        if c in ("recipients", "reports_to", "drop_tags", "keep_tags"):
            entry[c] = _split_list(v)
        elif c in _BRANCH_KEYS:
            entry[c] = v
        else:  # a dotted plan field: meta.signature, closing …
            d = entry.setdefault("overrides", {})
            parts = c.split(".")
            for k in parts[:-1]:
                d = d.setdefault(k, {})
                if not isinstance(d, dict):
                    break
            else:
                d[parts[-1]] = v
            if lines is _NO_LINES:
                lines = LineMap()
            lines[tuple(parts)] = line
    return _branch(entry, file, line, lines, f"第 {line} 行")


def _read_yaml(text: str, file: str) -> BranchSet:
    data, lines = load_text(text, file)
    if isinstance(data, list):
        data = {"branches": data}
    if not isinstance(data, dict) or "branches" not in data:
        raise _err("分支文件的顶层应有 branches: 列表（每项至少有 id 和 name）", file, 1)
    unknown = sorted(set(data) - {"branches", "parent", "tags"})
    if unknown:
        k = unknown[0]
        raise _err(f"分支文件顶层不认识“{k}”（可用 branches、parent、tags）", file,
                   lines.line_of((k,)), k)
    entries = data["branches"]
    if not isinstance(entries, list) or not entries:
        raise _err("branches: 应为一个列表，每项至少有 id 和 name", file, lines.line_of(("branches",)),
                   "branches")
    parent = data.get("parent")
    if parent is not None and not isinstance(parent, str):
        raise _err("parent: 应为计划文件的路径", file, lines.line_of(("parent",)), "parent")
    tags: dict[str, list[str]] = {}
    tag_lines: dict[str, int] = {}
    raw_tags = data.get("tags") or {}
    if not isinstance(raw_tags, dict):
        raise _err("tags: 应为映射：标签: [选择器, …]", file, lines.line_of(("tags",)), "tags")
    for tag, sel in raw_tags.items():
        sel = [sel] if isinstance(sel, str) else sel
        if not isinstance(sel, list) or not all(isinstance(s, str) for s in sel):
            raise _err("标签的内容应为选择器列表，如 [phases/认真总结, requirements/加强宣传引导]",
                       file, lines.line_of(("tags", tag)), f"tags.{tag}")
        tags[str(tag)] = sel
        tag_lines[str(tag)] = lines.line_of(("tags", tag))
    branches = []
    for i, entry in enumerate(entries):
        line = lines.line_of(("branches", i))
        sub = LineMap({k[2:]: v for k, v in lines.items() if k[:2] == ("branches", i)})
        if not isinstance(entry, dict):
            branches.append(Branch(id="", name="", file=file, line=line, problem=_err(
                "每个分支应为映射，至少有 id 和 name", file, line, f"branches[{i}]")))
            continue
        branches.append(_branch(entry, file, line, sub, f"branches[{i}]"))
    if parent is not None:
        parent = str((Path(file).parent / parent))
    return BranchSet(file, branches, parent, tags, tag_lines)


def _branch(entry: dict, file: str, line: int | None, lines: LineMap, where: str) -> Branch:
    bid = entry.get("id")
    bid = "" if bid is None else str(bid).strip()
    b = Branch(id=bid, name="", file=file, line=line, lines=lines)

    def refuse(msg: str, key: str | None = None):
        b.problem = _err(msg, file, (lines.line_of((key,)) if key else None) or line, key)
        return b

    problem = _id_problem(bid)
    if problem:
        return refuse(problem, "id")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        return refuse("分支缺少名称（name）", "name" if "name" in entry else None)
    b.name = name.strip()
    b.terms["name"] = b.name
    for k in ("short", "self_ref", "mark"):
        v = entry.get(k)
        if v is None:
            continue
        if not isinstance(v, str) or not v.strip():
            return refuse(f"{TERM_WORDS[k]}（{k}）应为一段文字", k)
        b.terms[k] = v.strip()
    for k in _LIST_FIELDS:
        v = entry.get(k)
        if v is None:
            continue
        v = _split_list(v) if isinstance(v, str) else v
        if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
            return refuse(f"{k} 应为文字列表", k)
        v = [x.strip() for x in v]
        if k == "keep_tags":
            b.keep_tags = v
        elif k == "drop_tags":
            b.drop_tags = v
        else:
            setattr(b, k, v)
    if "leading_group" in entry:
        if not isinstance(entry["leading_group"], dict):
            return refuse("leading_group 应为映射（name、leader、deputies、members …）", "leading_group")
        b.leading_group = entry["leading_group"]
    if entry.get("parent") is not None:
        if not isinstance(entry["parent"], str):
            return refuse("parent 应为计划文件的路径", "parent")
        b.parent = str(Path(file).parent / entry["parent"])
    over = dict(entry.get("overrides") or {})
    if not isinstance(over, dict):
        return refuse("overrides 应为映射（计划里的字段）", "overrides")
    if "overrides" in entry:  # lines of overrides: given as if at the entry's top level
        for k, v in list(lines.items()):
            if k[:1] == ("overrides",):
                lines[k[1:]] = v
    for k, v in entry.items():
        if k not in _BRANCH_KEYS:
            over[k] = v
    if over:
        b.overrides = over
    return b


def _id_problem(bid: str) -> str | None:
    if not bid:
        return "分支缺少编号（id）"
    if "/" in bid or "\\" in bid or ".." in bid or bid.startswith("."):
        return f"编号“{bid}”里不能有 /、\\ 或 ..（编号用作文件名的开头）"
    if _BAD_NAME_CHARS.search(bid) or re.search(r"\s", bid):
        return f"编号“{bid}”里有文件名不允许的字符（空白、:*?\"<>| 或控制字符）"
    if bid.split(".")[0].upper() in _RESERVED:
        return f"编号“{bid}”是 Windows 的保留名，不能用作文件名；请换一个编号"
    if len(bid) > MAX_ID:
        return f"编号超过 {MAX_ID} 个字符"
    return None


def _check_ids(bs: BranchSet) -> None:
    """Duplicate ids and names: every branch involved is refused, naming the others. One
    pass, keeping a number a branch (the hash of its id and of its name) and the groups."""
    words = {"id": "编号", "name": "名称"}
    first: dict[str, dict[int, int]] = {"id": {}, "name": {}}          # hash -> first position
    exact: dict[str, dict[str, int]] = {"id": {}, "name": {}}          # after a hash collision
    groups: dict[str, dict[int, list[int]]] = {"id": {}, "name": {}}   # first -> all positions
    for i, b in enumerate(bs.branches):
        if b.problem is not None:
            continue
        for attr in words:
            value = getattr(b, attr)
            if not value:
                continue
            key = unicodedata.normalize("NFC", value).casefold()
            j = exact[attr].get(key)
            if j is None:
                j = first[attr].setdefault(hash(key), i)
                if j != i and unicodedata.normalize("NFC", getattr(bs.branches[j], attr)).casefold() != key:
                    j = exact[attr].setdefault(key, i)
            if j != i:
                groups[attr].setdefault(j, [j]).append(i)
    refused: set[int] = set()
    for attr, word in words.items():
        for members in groups[attr].values():
            members = [i for i in members if i not in refused]   # a duplicate id is said once
            if len(members) < 2:
                continue
            found = [bs.branches[i] for i in members]
            for i, b in zip(members, found):
                others = "、".join(o.where for o in found if o is not b)
                bs.refuse(i, _err(f"{word}“{getattr(b, attr)}”与 {others} 的分支重复", b.file, b.line, attr))
            refused.update(members)


def _term_pattern(mapping: dict[str, str]) -> re.Pattern | None:
    keys = sorted((k for k in mapping if k), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, keys))) if keys else None


def replace_terms(text: str, mapping: dict[str, str]) -> str:
    """``text`` with each key of ``mapping`` replaced by its value, in one pass, longest key
    first; no pattern is compiled when no key occurs (the usual case: a title, a term)."""
    hit = {k: v for k, v in mapping.items() if k and k in text}
    pat = _term_pattern(hit)
    return pat.sub(lambda m: hit[m.group()], text) if pat else text


def substitute(data: Any, mapping: dict[str, str]) -> Any:
    """A copy of plan data with every occurrence of each key replaced by its value, in every
    string value (not in mapping keys), in one pass, longest key first."""
    pat = _term_pattern(mapping)
    if pat is None:
        return copy.deepcopy(data)

    def walk(v):
        if isinstance(v, str):
            return pat.sub(lambda m: mapping[m.group()], v) if v else v
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v
    return walk(data)


def deep_merge(base: dict, over: dict) -> dict:
    """``over`` merged into ``base`` (in place): mappings merge, everything else replaces."""
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            deep_merge(base[k], v)
        else:
            base[k] = copy.deepcopy(v)
    return base


_TITLE_KEYS = ("heading", "name", "title", "task", "problem")
_TAGGED_LISTS = ("sections", "phases", "principles", "requirements", "responsibilities",
                 "rectifications", "attachments", "meetings", "targets")


def _entry_title(entry: Any) -> str | None:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict):
        for k in _TITLE_KEYS:
            if isinstance(entry.get(k), str):
                return entry[k]
    return None


def _select(data: dict, selector: str) -> list[tuple[list, int]]:
    """``phases/认真总结`` or ``sections/一级标题/二级标题``: (list, index) of each match."""
    parts = [p for p in selector.split("/") if p]
    if len(parts) < 2:
        return []
    container: Any = data.get(parts[0])
    found: list[tuple[list, int]] = []
    for depth, title in enumerate(parts[1:]):
        if not isinstance(container, list):
            return []
        hits = [i for i, e in enumerate(container) if _entry_title(e) == title]
        if depth == len(parts) - 2:
            found = [(container, i) for i in hits]
        elif hits:
            nxt = container[hits[0]]
            container = nxt.get("sections") or nxt.get("items") if isinstance(nxt, dict) else None
        else:
            return []
    return found


def apply_tags(data: dict, branch: Branch, tags: dict[str, list[str]], file: str) -> None:
    """Drop what ``drop_tags`` names and, with ``keep_tags``, every tagged entry not kept.
    An entry is tagged by the branches file's ``tags:`` table (selectors) or by its own
    ``tags:`` list in the plan."""
    wanted = set(branch.drop_tags) | set(branch.keep_tags or [])
    unknown = [t for t in wanted if t not in tags and not _native_tag_exists(data, t)]
    if unknown:
        raise _err(f"标签“{unknown[0]}”没有定义（在分支文件的 tags: 里写出它选中哪些部分）", file, branch.line)
    marks: dict[int, tuple[list, int, set]] = {}
    for tag, selectors in tags.items():
        for sel in selectors:
            hits = _select(data, sel)
            if not hits and tag in wanted:
                raise _err(f"标签“{tag}”的“{sel}”在计划里找不到", file, branch.line)
            for lst, i in hits:
                marks.setdefault(id(lst[i]), (lst, i, set()))[2].add(tag)
    for lst, i, entry in _native_tagged(data):
        marks.setdefault(id(entry), (lst, i, set()))[2].update(entry.get("tags") or [])
    drop = []
    for lst, i, t in marks.values():
        if t & set(branch.drop_tags) or (branch.keep_tags is not None and not t & set(branch.keep_tags)):
            drop.append((lst, i))
    for lst, i in sorted(drop, key=lambda x: -x[1]):
        del lst[i]


def _native_tagged(data: Any):
    stack = [data]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            for i, e in enumerate(v):
                if isinstance(e, dict) and isinstance(e.get("tags"), list):
                    yield v, i, e
                stack.append(e)


def _native_tag_exists(data: dict, tag: str) -> bool:
    return any(tag in (e.get("tags") or []) for _, _, e in _native_tagged(data))


def _path_of(field_: str | None) -> tuple:
    if not field_:
        return ()
    return tuple(int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", field_))


# ================================================================ rendering

@dataclass
class Rendered:
    """One branch's document, in memory."""

    data: bytes
    pages: int
    text: str                       # every printed string, blocks on their own lines
    title: str
    warnings: list[str] = field(default_factory=list)
    shared: bool = False            # came down the shared path


def document_text(doc: Document) -> str:
    """The text a reader sees (for the stale-term check), one block a line."""
    out: list[str] = []
    if doc.head:
        out += [doc.head.mark or "", doc.head.doc_number or ""]
    out.append("".join(doc.title_lines))
    out.append(doc.recipients or "")

    def blocks(bl):
        for b in bl:
            if isinstance(b, Heading):
                out.append(b.text + (b.run_in or ""))
            elif isinstance(b, Item):
                out.append((b.title or "") + b.text)
            elif isinstance(b, Para):
                out.append(b.text)
            elif isinstance(b, Table):
                out.extend("　".join(r) for r in [b.header, *b.rows])
    blocks(doc.body)
    for a in doc.attachments:
        out.append(a.title)
        blocks(a.blocks)
    if doc.signature:
        out += [doc.signature.name or "", doc.signature.date or ""]
    out += doc.notes
    out += doc.banji.cc + [doc.banji.printer or ""]
    return "\n".join(s for s in out if s)


def _caught(caught) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, GendocWarning)]


class Parent:
    """A parent plan loaded once; renders any number of branches to bytes in memory."""

    def __init__(self, path: str | os.PathLike, template_dirs: tuple[str, ...] = (),
                 tags: dict[str, list[str]] | None = None, branches_file: str = ""):
        self.data, self.lines, self.file = load_file(path)
        self.template_dirs = tuple(template_dirs)
        self.tags = tags or {}
        self.branches_file = branches_file
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", GendocWarning)
            self.plan = validate(copy.deepcopy(self.data), self.lines, self.file)
        self.warnings = _caught(caught)
        issuer = self.plan.meta.issuer
        self.terms = {k: getattr(issuer, k) for k in TERMS if getattr(issuer, k)}
        self._shared_base: _SharedBase | None | bool = None
        self._groups: dict[tuple, _Group | None] = {}
        self.ts = Typesetter()

    # ---- the full path
    def term_map(self, branch: Branch) -> dict[str, str]:
        return {self.terms[k]: v for k, v in branch.terms.items() if k in self.terms and self.terms[k] != v}

    def branch_data(self, branch: Branch) -> dict:
        data = substitute(self.data, self.term_map(branch))
        meta = data.setdefault("meta", {})
        issuer = meta.setdefault("issuer", {})
        for k, v in branch.terms.items():
            issuer[k] = v
        if branch.recipients is not None:
            meta["recipients"] = list(branch.recipients)
        if branch.reports_to is not None:
            meta["cc"] = list(branch.reports_to)
        if branch.drop_tags or branch.keep_tags is not None:
            apply_tags(data, branch, self.tags, branch.file)
        if branch.leading_group is not None:
            data["leading_group"] = copy.deepcopy(branch.leading_group)
        deep_merge(data, branch.overrides)
        return data

    def full_plan(self, branch: Branch):
        data = self.branch_data(branch)
        try:
            return validate(data, self.lines, self.file)
        except GendocError as exc:
            raise self._relocate(exc, branch) from None

    def _relocate(self, exc: GendocError, branch: Branch) -> GendocError:
        """Problems in a branch's overrides name the branches file and line."""
        problems = exc.problems or [exc]
        out = []
        for p in problems:
            path = _path_of(p.field)
            over = _overridden(branch, path)
            if over is not None:
                line = branch.lines.line_of(over) or branch.line
                out.append(GendocError(p.message, file=branch.file, line=line, field=p.field))
            else:
                out.append(GendocError(f"（按父计划的这一处）{p.message}", file=p.file, line=p.line,
                                       field=p.field))
        first = out[0]
        return GendocError(first.message, file=first.file, line=first.line, field=first.field,
                           problems=out)

    def render_full(self, branch: Branch) -> Rendered:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", GendocWarning)
            plan = self.full_plan(branch)
            doc = build_document(plan, self.template_dirs)
            data, layout = self.ts.render(doc)
        return Rendered(data, layout.pages, document_text(doc), "".join(doc.title_lines), _caught(caught))

    # ---- the shared path
    def share_key(self, branch: Branch) -> tuple | None:
        """The branch's group on the shared path, or None when it takes the full path.

        Branches with equal keys share one typesetting: per value its shape (lengths of its
        stretches of Chinese and of Latin letters and digits), or the value itself where a
        title holds it. Only branches that change terms and lists qualify, and only with
        values of a shape the shared path can stand in for."""
        if branch.structural or self._base() is None:
            return None
        if any(k not in self.terms for k in branch.terms):
            return None
        base = self._base()
        key = []
        for slot, value in self.slot_values(branch).items():
            if isinstance(value, list):
                shapes = tuple(_shape(v) for v in value)
                if len(value) > MAX_LIST_SLOTS or None in shapes:
                    return None
                key.append((slot, shapes))
            elif slot in base.literal:
                key.append((slot, value))
            else:
                shape = _shape(value)
                if shape is None:
                    return None
                key.append((slot, shape))
        return tuple(key)

    def can_share(self, branch: Branch) -> bool:
        return self.share_key(branch) is not None

    def _base(self) -> "_SharedBase | None":
        if self._shared_base is None:
            self._shared_base = _SharedBase.build(self) or False
        return self._shared_base or None

    def slot_values(self, branch: Branch) -> dict[str, Any]:
        """The text each token stands for in this branch's document."""
        base = self._base()
        mapping = self.term_map(branch)
        out: dict[str, Any] = {}
        for k in base.term_slots:
            if k in branch.terms:
                out[k] = branch.terms[k]
            else:  # the parent's own term, with the branch's other terms inside it replaced
                v = self.terms[k]
                out[k] = replace_terms(v, {a: b for a, b in mapping.items() if a != v})
        for k in base.lists:
            values = {"recipients": branch.recipients, "cc": branch.reports_to}[k]
            out[k] = list(base.parent_lists[k] if values is None else values)
        return out

    def render_shared(self, branch: Branch, key: tuple | None = None) -> Rendered:
        """The branch by the shared path (the full path when it does not qualify)."""
        key = key if key is not None else self.share_key(branch)
        if key is None:
            return self.render_full(branch)
        values = self.slot_values(branch)
        group = self._groups.get(key, False)
        if group is False:
            group = self._groups[key] = _Group.build(self, values)
        if group is None:
            return self.render_full(branch)
        return group.render(values)


def _overridden(branch: Branch, path: tuple) -> tuple | None:
    """The part of ``path`` that the branch's overrides (or own fields) set."""
    over: Any = branch.overrides
    for i, p in enumerate(path):
        if isinstance(over, dict) and p in over:
            over = over[p]
            if not isinstance(over, dict):
                return path[:i + 1]
        else:
            return path[:i] if i else None
    return path if path else None


_SEGMENTS = re.compile(r"[\x20-\x7e]+|[^\x20-\x7e]+")   # ASCII stretches and the others
_SHARED_ASCII = re.compile(r"[0-9A-Za-z]+(?:[ ._-][0-9A-Za-z]+)*")
_SHARED_PUNCT = set("（）〔〕【】《》“”‘’·—－")
_MAX_SEGMENTS = 32


@lru_cache(maxsize=1024)
def _shape(v: str) -> tuple | None:
    """How the shared path stands in for a value: ``(("c", 3), ("l", 2), ("c", 4))`` for
    县第12人民医院 (three and four Chinese characters around two digits); None when a
    character could make the layout differ from its stand-in (half-width punctuation other
    than a space, dot, hyphen or underscore between letters or digits; accented Latin letters,
    which Chinese text sets in a Latin run; narrow or combining characters; punctuation a
    sentence may end with)."""
    if not v or len(v) > 200:
        return None
    out = []
    for m in _SEGMENTS.finditer(v):
        seg = m.group()
        if seg[0].isascii():
            if not _SHARED_ASCII.fullmatch(seg):
                return None
            out.append(("l", len(seg)))
            continue
        if not _SHAREABLE.issuperset(seg):
            for c in set(seg) - _SHAREABLE:
                if not _shareable(c):
                    return None
                _SHAREABLE.add(c)
        out.append(("c", len(seg)))
    return tuple(out) if len(out) <= _MAX_SEGMENTS else None


_SHAREABLE: set[str] = set()   # characters _shareable said yes to (a set test is C-fast)


def _shareable(c: str) -> bool:
    """A character the shared path can stand in for: a full-width letter or one of the
    punctuation marks names carry, outside the private-use areas the stand-ins use."""
    return ((c in _SHARED_PUNCT or unicodedata.category(c).startswith("L") and ord(c) >= 0x2E80)
            and text_width(c) == 1 and not 0xE000 <= ord(c) <= 0xF8FF and ord(c) < 0xF0000)


def _tok(slot_index: int, segment: int = 0) -> str:
    return chr(_TOKEN_BASE + slot_index * _MAX_SEGMENTS + segment)


class _SharedBase:
    """The parent rendered once with tokens in place of its terms (template run once)."""

    def __init__(self):
        self.term_slots: list[str] = []
        self.lists: list[str] = []
        self.parent_lists: dict[str, list[str]] = {}
        self.chars: dict[str, str] = {}     # slot -> token character
        self.index: dict[str, int] = {}     # term slot -> its number
        self.literal: set[str] = set()      # slots that must be kept as exact text
        self.doc: Document | None = None
        self.warnings: list[str] = []
        self.title_token = False

    @classmethod
    def build(cls, parent: Parent) -> "_SharedBase | None":
        base = cls()
        text_all = json.dumps(parent.data, ensure_ascii=False)
        if re.search("[\U000f0000-\U000fffff\u0180-\u024f]", text_all):
            return None
        values = list(parent.terms.values())
        if len(set(values)) != len(values):
            return None
        slots = [k for k in TERMS if k in parent.terms]
        base.term_slots = slots
        for n, k in enumerate(slots):
            base.chars[k] = _tok(n)
            base.index[k] = n
        mapping = {parent.terms[k]: base.chars[k] for k in slots}
        data = substitute(parent.data, mapping)
        meta = data["meta"]
        for k in slots:
            meta["issuer"][k] = base.chars[k]
        for n, (k, key) in ((4, ("recipients", "recipients")), (5, ("cc", "cc"))):
            base.chars[k] = _tok(n)
            base.parent_lists[k] = list(getattr(parent.plan.meta, key))
            meta[key] = [base.chars[k]]
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", GendocWarning)
                plan = validate(data, parent.lines, parent.file)
                doc = build_document(plan, parent.template_dirs)
        except GendocError:
            return None
        base.warnings = _caught(caught)
        # the lists must reach the document only where the shared path puts them
        rec, cc = base.chars["recipients"], base.chars["cc"]
        text = document_text(doc)
        if doc.recipients == rec and text.count(rec) == 1:
            base.lists.append("recipients")
        if doc.banji.cc == [cc] and text.count(cc) == 1:
            base.lists.append("cc")
        if "recipients" not in base.lists or "cc" not in base.lists:
            return None
        titles = "".join(doc.title_lines) + "".join(a.title for a in doc.attachments)
        base.literal = {k for k in slots if base.chars[k] in titles}
        base.title_token = any(base.chars[k] in "".join(doc.title_lines) for k in slots)
        base.doc = doc
        return base




_LATIN_FIRST, _LATIN_LAST = 0x180, 0x24F    # Latin Extended-B: stand-ins for digits and letters
_RUNS = re.compile("[\U000f0000-\U000fffff\u0180-\u024f]+")


class _NoShare(Exception):
    pass
_LIST_BASE = {"recipients": 8, "cc": 8 + MAX_LIST_SLOTS}


class _Group:
    """Branches whose values have the same shapes: typeset once, filled per branch."""

    def __init__(self):
        self.xml: list = []          # str pieces and (slot, item, segment) references
        self.text: list = []
        self.core = b""
        self.custom: tuple[bytes, bytes] = (b"", b"")   # custom.xml around its fingerprint
        self.fingerprint: Callable[[bytes], str] = str
        self.pages = 0
        self.title = ""
        self.warnings: list = []
        self.pieces: list = []
        self.core_entry: tuple = ()
        self.char_slot: dict[str, tuple] = {}  # marker char -> (slot, item, segment, length)
        self._latin = _LATIN_FIRST

    def _marker(self, slot: str, item: int | None, index: int, value: str) -> str:
        """A stand-in of the same shape: each Chinese stretch a run of one private-use
        character, each stretch of Latin letters and digits a run of one Latin Extended-B
        letter (as wide as a digit, and set in a Latin run as digits are)."""
        out = []
        for j, m in enumerate(_SEGMENTS.finditer(value)):
            seg = m.group()
            if seg[0].isascii():
                if self._latin > _LATIN_LAST:
                    raise _NoShare()
                ch = chr(self._latin)
                self._latin += 1
            else:
                ch = _tok(index, j)
            self.char_slot[ch] = (slot, item, j, len(seg))
            out.append(ch * len(seg))
        return "".join(out)

    @classmethod
    def build(cls, parent: Parent, values: dict) -> "_Group | None":
        try:
            return cls._build(parent, values)
        except _NoShare:
            return None

    @classmethod
    def _build(cls, parent: Parent, values: dict) -> "_Group | None":
        base = parent._base()
        g = cls()
        doc = copy.deepcopy(base.doc)
        repl: dict[str, str] = {}
        for k in base.term_slots:
            ch = base.chars[k]
            repl[ch] = values[k] if k in base.literal else g._marker(k, None, base.index[k], values[k])
        fill = _filler(repl)
        _map_strings(doc, fill)
        if base.title_token and parent.plan.meta.title_lines is None:
            doc.title_lines = break_title("".join(doc.title_lines))   # as build_document does
        lists = {k: [g._marker(k, i, _LIST_BASE[k] + i, v) for i, v in enumerate(values[k])]
                 for k in ("recipients", "cc")}
        doc.recipients = "、".join(strip_end(r) for r in lists["recipients"]) or None  # as build_document
        doc.banji.cc = lists["cc"]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", GendocWarning)
            data, layout = parent.ts.render(doc)
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            xml = z.read("word/document.xml").decode("utf-8")
            g.core = z.read("docProps/core.xml")
            custom = z.read("docProps/custom.xml")
        before, fp, after = re.split(rb"(sha256:[0-9a-f]{64})", custom, maxsplit=1)
        g.custom = (before, after)
        g.fingerprint = fingerprinter([*static_parts(), ("docProps/core.xml", g.core)], "word/document.xml")
        g.xml = g._cut(xml)
        g.text = g._cut(document_text(doc))
        if g.xml is None or g.text is None:
            return None
        # the fixed pieces compressed once: a deflate stream may be made of separately
        # flushed pieces, so each document compresses only its own values
        g.pieces = [p if isinstance(p, tuple) else [p.encode("utf-8"), _deflate_piece(p.encode("utf-8"))]
                    for p in g.xml if p]
        g.core_entry = _zip_entry("docProps/core.xml", g.core, 6)
        g.pages = layout.pages
        g.title = "".join(doc.title_lines)
        g.warnings = [g._cut(w) or [w] for w in [fill(w) for w in base.warnings] + _caught(caught)]
        return g

    def _cut(self, s: str) -> list | None:
        out: list = []
        pos = 0
        for m in _RUNS.finditer(s):
            out.append(s[pos:m.start()])
            run = m.group()
            i = 0
            while i < len(run):
                ref = self.char_slot.get(run[i])
                if ref is None or run[i:i + ref[3]] != run[i] * ref[3]:
                    return None
                out.append(ref[:3])
                i += ref[3]
            pos = m.end()
        out.append(s[pos:])
        return out

    @staticmethod
    def _join(pieces: list, segments: dict, escape: bool) -> str:
        out = []
        for p in pieces:
            if isinstance(p, tuple):
                v = segments[p]
                out.append(_xml_escape(v) if escape else v)
            else:
                out.append(p)
        return "".join(out)

    def render(self, values: dict) -> Rendered:
        segments = {}
        for slot, value in values.items():
            for item, v in (enumerate(value) if isinstance(value, list) else ((None, value),)):
                for j, m in enumerate(_SEGMENTS.finditer(v)):
                    segments[(slot, item, j)] = m.group()
        raw, comp, done = [], [], {}
        for p in self.pieces:
            if isinstance(p, tuple):
                v = segments[p]
                if v not in done:
                    b = _xml_escape(v).encode("utf-8")
                    done[v] = (b, _deflate_piece(b))
                b, c = done[v]
                raw.append(b)
                comp.append(c)
            else:
                raw.append(p[0])
                comp.append(p[1])
        xml = b"".join(raw)
        custom = self.custom[0] + self.fingerprint(xml).encode("ascii") + self.custom[1]
        doc_entry = (b"word/document.xml", b"".join(comp) + _FINAL_BLOCK, zlib.crc32(xml), len(xml), 8)
        data = zip_package([doc_entry, self.core_entry, _zip_entry("docProps/custom.xml", custom, 6)])
        return Rendered(data, self.pages, self._join(self.text, segments, False), self.title,
                        [self._join(w, segments, False) for w in self.warnings], shared=True)


def _xml_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _filler(repl: dict[str, str]) -> Callable[[str], str]:
    if not repl:
        return lambda s: s
    pat = re.compile("|".join(map(re.escape, repl)))
    return lambda s: pat.sub(lambda m: repl[m.group()], s) if s else s


def _map_strings(obj: Any, fn: Callable[[str], str]) -> None:
    """Apply ``fn`` to every string inside a document model (in place)."""
    if dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            v = getattr(obj, f.name)
            if isinstance(v, str):
                setattr(obj, f.name, fn(v))
            elif isinstance(v, list):
                setattr(obj, f.name, _map_list(v, fn))
            elif dataclasses.is_dataclass(v):
                _map_strings(v, fn)


def _map_list(lst: list, fn) -> list:
    out = []
    for v in lst:
        if isinstance(v, str):
            out.append(fn(v))
        elif isinstance(v, list):
            out.append(_map_list(v, fn))
        else:
            _map_strings(v, fn)
            out.append(v)
    return out


# ---------------------------------------------------------------- the package

_STATIC_ZIP: list | None = None


# Below this size a deflate stream is made with zlib's smallest hash table (memLevel 1): for a
# branch's name or custom.xml, setting up the default one cost more than compressing (44 us
# against 8 us a piece here; about ten pieces a document).
SMALL_PIECE = 4096


def _compressor(level: int, size: int):
    return zlib.compressobj(level, zlib.DEFLATED, -15, 1 if size < SMALL_PIECE else 8)


def _zip_entry(name: str, data: bytes, level: int = 6) -> tuple[bytes, bytes, int, int, int]:
    c = _compressor(level, len(data))
    comp = c.compress(data) + c.flush()
    return name.encode("utf-8"), comp, zlib.crc32(data), len(data), 8


_FINAL_BLOCK = b"\x03\x00"   # an empty last block ends a stream of flushed pieces


def _deflate_piece(data: bytes) -> bytes:
    c = _compressor(6, len(data))
    return c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)


def zip_package(entries: list[tuple]) -> bytes:
    """A .docx package: gendoc's static parts (compressed once per process) and ``entries``
    (from :func:`_zip_entry`), in the order of :meth:`gendoc.typeset.Typesetter.render`."""
    global _STATIC_ZIP
    if _STATIC_ZIP is None:
        _STATIC_ZIP = [_zip_entry(n, d, 6) for n, d in static_parts()]
    entries = _STATIC_ZIP + list(entries)
    y, mo, d, h, mi, sec = ZIP_TIME   # the typesetter's fixed time: reproducible bytes
    dtime = (h << 11) | (mi << 5) | (sec // 2)
    ddate = ((y - 1980) << 9) | (mo << 5) | d
    out = io.BytesIO()
    central = []
    for name, comp, crc, size, method in entries:
        offset = out.tell()
        flags = 0x800  # UTF-8 names
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, method, dtime, ddate,
                              crc, len(comp), size, len(name), 0))
        out.write(name)
        out.write(comp)
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, flags, method, dtime, ddate,
                                   crc, len(comp), size, len(name), 0, 0, 0, 0, 0o600 << 16, offset) + name)
    start = out.tell()
    cd = b"".join(central)
    out.write(cd)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(cd), start, 0))
    return out.getvalue()


# ================================================================ stale terms

class StaleChecker:
    """Finds, in a branch's document, another branch's name, short name or self-reference,
    and the parent's terms that the branch replaced (:class:`TermFinder`: a document of any
    size is scanned once).

    Whose a term is (the branch ids :meth:`describe` names) is worked out only when a hit is
    worded, from the branches again: the table would grow with the branches, and hits are
    few. :meth:`hits` gives each hit as (term, sentence, the parent's word for it or ""); the
    workers get the checker without the branches."""

    def __init__(self, parents: dict[str, "Parent"], branches: Sequence[Branch], default_parent: str):
        self.branches = branches
        self._owner: dict[str, str] | None = None
        branch_terms: set[str] = set()
        for b in branches:
            if b.problem is None:
                branch_terms.update(v for k in ("name", "short", "self_ref") if (v := b.terms.get(k)))
        self.parent_terms: dict[str, dict[str, str]] = {p: dict(par.terms) for p, par in parents.items()}
        self.default_parent = default_parent
        terms = set(branch_terms)
        for t in self.parent_terms.values():
            terms.update(t.values())
        self.finder = TermFinder(terms)
        self.parents_only = terms - branch_terms   # terms of a parent plan and of no branch

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("branches", "_owner")}

    @property
    def owner(self) -> dict[str, str]:
        """term -> the ids of (up to three) branches it is of."""
        if self._owner is None:
            self._owner = {}
            for b in self.branches:
                if b.problem is None:
                    for k in ("name", "short", "self_ref"):
                        v = b.terms.get(k)
                        if v:
                            ids = self._owner.get(v)
                            if ids is None:
                                self._owner[v] = b.id
                            elif ids.count("、") < 2:
                                self._owner[v] = f"{ids}、{b.id}"
        return self._owner

    def describe(self, hit: tuple[str, str, str]) -> str:
        t, sentence, word = hit
        whose = f"父计划的{word}“{t}”" if word else f"分支 {self.owner.get(t, '？')} 的“{t}”"
        return f"含其他单位用语：{whose}：{sentence}"

    def own_terms(self, b: Branch, parent: "Parent") -> set[str]:
        own = set(b.terms.values())
        for k, v in parent.terms.items():
            if k not in b.terms or b.terms[k] == v:
                own.add(v)
        return own

    def hits(self, b: Branch, parent: "Parent", text: str) -> list[tuple[str, str, str]]:
        if not self.finder:
            return []
        own = self.own_terms(b, parent)
        replaced = {v for k, v in parent.terms.items() if k in b.terms and b.terms[k] != v}
        out = []
        scan = text
        for v in (b.recipients or []) + (b.reports_to or []):
            # the units a branch itself names as its recipients or superiors (县卫生局党委)
            scan = scan.replace(v, "\0" * len(v))
        for start, end, t in self.finder.finditer(scan):
            if t in own:
                continue
            if t in replaced:
                out.append((t, _sentence(text, start, end), _term_kind(parent, t)))
            elif t not in self.parents_only:
                out.append((t, _sentence(text, start, end), ""))
        return out


class TermFinder:
    """Finds any of many terms in a text, leftmost and longest first, without overlaps: what
    one alternation of all the terms finds, built in milliseconds for tens of thousands.

    One pattern of the terms' first :data:`PREFIX` characters finds where a term may start
    (branch names share their openings, so the pattern stays small however many branches
    there are); a set of the terms, looked up by each length a term has, says which.

    :meth:`compact` keeps the terms' hashes instead of the terms (8 bytes a term, not 150):
    for the workers of one fork, which share the hash function's key."""

    PREFIX = 3

    def __init__(self, terms: Iterable[str]):
        self.terms = frozenset(t for t in terms if t)
        by_opening: dict[str, set[int]] = {}
        for t in self.terms:
            by_opening.setdefault(t[:self.PREFIX], set()).add(len(t))
        # where an opening matches, the terms that may start there: those with that opening
        # and those shorter than it that it begins with (the pattern finds the longest opening)
        self.lengths = {o: sorted(ns | {j for j in range(1, len(o)) if o[:j] in self.terms}, reverse=True)
                        for o, ns in by_opening.items()}
        self.starts = _trie_pattern(by_opening)

    def __bool__(self) -> bool:
        return bool(self.terms)

    def compact(self) -> "TermFinder":
        """The same finder holding the sorted hashes of its terms, not the terms: a term is
        then any text whose hash is among them (of ten thousand terms, two sharing a 64-bit
        hash by chance is about one in 10^11). Only for processes forked from this one."""
        out = object.__new__(TermFinder)
        out.terms = _Hashes(self.terms)
        out.lengths, out.starts = self.lengths, self.starts
        return out

    def finditer(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, term) of each occurrence, left to right."""
        if not self.terms:
            return
        search, terms, lengths = self.starts.search, self.terms, self.lengths
        pos = 0
        while True:
            m = search(text, pos)
            if m is None:
                return
            i = m.start()
            for n in lengths[m.group()]:
                t = text[i:i + n]
                if t in terms:
                    yield i, i + len(t), t
                    pos = i + len(t)
                    break
            else:
                pos = i + 1


class _Hashes:
    """A set of strings kept as their sorted hashes (``in`` by binary search)."""

    def __init__(self, strings: Iterable[str]):
        self.hashes = array("q", sorted({hash(t) for t in strings}))

    def __contains__(self, t: str) -> bool:
        h = hash(t)
        i = bisect.bisect_left(self.hashes, h)
        return i < len(self.hashes) and self.hashes[i] == h

    def __len__(self) -> int:
        return len(self.hashes)


def _term_kind(parent: "Parent", t: str) -> str:
    return next((TERM_WORDS[k] for k, v in parent.terms.items() if v == t), "用语")


def _sentence(text: str, a: int, b: int) -> str:
    start = max(text.rfind(c, 0, a) for c in _SENTENCE_END) + 1
    ends = [i for i in (text.find(c, b) for c in _SENTENCE_END) if i >= 0]
    end = min(ends) + 1 if ends else len(text)
    s = text[start:end].strip()
    if len(s) > 80:
        lo = max(0, a - start - 30)
        s = ("…" if lo else "") + s[lo:lo + 80] + "…"
    return f"“{s}”"


def _trie_pattern(words: Iterable[str]) -> re.Pattern | None:
    """One regular expression matching any of ``words``, factored by common prefixes (at
    each position the engine follows one branch per character, longest word first)."""
    ws = sorted({w for w in words if w})
    if not ws:
        return None
    esc: dict[str, str] = {}

    def escape(c: str) -> str:
        e = esc.get(c)
        if e is None:
            e = esc[c] = re.escape(c)
        return e

    def pat(lo: int, hi: int, depth: int) -> str:
        # ws[lo:hi] share their first ``depth`` characters
        end = len(ws[lo]) == depth
        if end:
            lo += 1
        alts = []
        i = lo
        while i < hi:
            c = ws[i][depth]
            j = i
            while j < hi and ws[j][depth] == c:
                j += 1
            alts.append(escape(c) + pat(i, j, depth + 1))
            i = j
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if end else body
    return re.compile(pat(0, len(ws), 0))


# ================================================================ file names

def safe_file_name(bid: str, title: str, suffix: str = ".docx") -> str:
    """``{id}-{title}.docx``, safe on Windows and Linux: no separators or characters Windows
    forbids, no trailing dots or spaces, not a reserved device name, at most
    :data:`NAME_BYTES` bytes of UTF-8 (Chinese stays as it is)."""
    title = unicodedata.normalize("NFC", title)
    title = _BAD_NAME_CHARS.sub("", title)
    title = re.sub(r"\s+", " ", title).strip(" .")
    stem = f"{bid}-{title}" if title else bid
    budget = NAME_BYTES - len(".pdf".encode()) - 4  # room for .pdf and a collision-free suffix
    while len(stem.encode("utf-8")) > budget:
        stem = stem[:-1]
    stem = stem.rstrip(" .")
    if stem.split(".")[0].upper() in _RESERVED:
        stem = "_" + stem
    return stem + suffix


# ================================================================ the run

STATUS_OK = "已生成"
STATUS_FAILED = "失败"
STATUS_STALE = "含其他单位用语"
STATUS_SKIPPED = "未生成（已中断）"

MANIFEST_COLUMNS = [("id", "编号"), ("name", "名称"), ("file", "文件"), ("pages", "页数"),
                    ("pdf", "PDF 文件"), ("pdf_pages", "PDF 页数"), ("sha256", "SHA-256"),
                    ("path", "方式"), ("status", "状态"), ("warnings", "警告"), ("message", "说明")]


@dataclass(slots=True)
class Job:
    index: int
    branch: Branch
    parent: str
    file_name: str
    key: tuple | None = None      # the shared path's group, None for the full path


@dataclass
class Options:
    out_dir: Path
    pdf: bool = False
    allow_stale: bool = False
    timeout: float | None = None
    shared: bool = True
    pdf_joined: bool = True       # the chunk's documents through one LibreOffice document (pdfjoin)


_CTX: dict = {}   # the run's parents, checker and options: in the main process, and in workers


def _parent(path: str) -> Parent:
    """A parent plan of this run: loaded before the workers were forked, or now."""
    par = _CTX["parents"].get(path)
    if par is None:
        par = _CTX["parents"][path] = Parent(path, _CTX["template_dirs"], _CTX["tags"], _CTX["branches_file"])
    return par


def _load_context(path: str) -> None:
    """In a worker: what the main process learnt after the fork (the stale-term checker, the
    branches file's tags), from the file it wrote them to, once per worker."""
    if _CTX.get("context") == path:
        return
    with open(path, "rb") as fh:
        ctx = pickle.load(fh)
    _CTX.update(ctx, context=path)
    for par in _CTX["parents"].values():
        par.tags = ctx["tags"]


def _render_job(job: Job) -> tuple[dict, bytes | None]:
    parent = _parent(job.parent)
    checker: StaleChecker = _CTX["checker"]
    b = job.branch
    row = dict(id=b.id, name=b.name, file="", pages="", pdf="", pdf_pages="", sha256="",
               path="", status=STATUS_FAILED, warnings=[], message="")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", GendocWarning)
            r = parent.render_shared(b, job.key) if job.key is not None else parent.render_full(b)
        row["path"] = "共享" if r.shared else "完整"
        row["warnings"] = r.warnings + _caught(caught)
    except GendocError as exc:
        msgs = [p.located() for p in (exc.problems or [exc])]
        row["message"] = f"分支 {b.id}（{b.where}）：" + "；".join(msgs)
        return row, None
    hits = checker.hits(b, parent, r.text)
    row["pages"] = r.pages
    if hits:
        row["stale"] = hits   # worded by the main process (StaleChecker.describe)
        if not _CTX["options"].allow_stale:
            row["status"] = STATUS_STALE
            row["message"] = f"分支 {b.id}（{b.where}）：文档里有 {len(hits)} 处其他单位的用语，没有写出"
            return row, None
    row["file"] = job.file_name
    row["sha256"] = hashlib.sha256(r.data).hexdigest()
    row["status"] = STATUS_OK
    return row, r.data


# A chunk is rendered first and written afterwards, in one step (outputs.write_each): its
# files are staged, put on disk by one syncfs (one journal commit for the chunk) and only then
# renamed. Measured here on 10,000 branches, alternating runs: 8.4 and 9.4 s, against 11.6
# and 11.7 s with an fsync a file on four threads, and 10.9-15.9 s on the sixteen threads
# used before (their directory lock spinning in the kernel); a writing thread taking sixteen
# documents at a time while rendering went on gave 8.1 and 9.2 s, within the noise, and was
# left out.


def _run_chunk(jobs: list[Job], context: str | None = None) -> list[tuple[int, dict]]:
    """A worker's share (``context``: the file :func:`_load_context` reads): render the chunk,
    write its documents (each complete or absent, a failure its own: :func:`write_each`), then
    convert the written ones to PDF in one LibreOffice call. In the main process a Ctrl-C stops
    between documents; what was rendered is still written."""
    if context is not None:
        _load_context(context)
    out_dir: Path = _CTX["options"].out_dir
    stop = _CTX.get("stop")
    results = []
    files = []
    written = []
    for job in jobs:
        if stop and stop[0]:
            break
        row, data = _render_job(job)
        if data is not None:
            files.append((job, row, data))
        results.append((job.index, row))
    if files:
        errors = write_each([(out_dir / job.file_name, data) for job, _, data in files])
        for (job, row, _), exc in zip(files, errors):
            if exc is None:
                written.append((job, row))
            else:
                row.update(status=STATUS_FAILED, file="", sha256="", message=exc.located())
        files.clear()
    if _CTX["options"].pdf and written:
        _convert(written, out_dir, _CTX["options"].timeout)
    return results


def _convert(written: list[tuple[Job, dict]], out_dir: Path, timeout: float | None) -> None:
    from .pdf import docx_to_pdf_many
    from .pdfjoin import docx_to_pdf_joined
    convert = docx_to_pdf_joined if _CTX["options"].pdf_joined else docx_to_pdf_many
    try:
        pdfs = convert([out_dir / j.file_name for j, _ in written], out_dir, timeout=timeout)
    except GendocError as exc:
        for _, row in written:
            row["status"] = STATUS_FAILED
            row["message"] = f"PDF：{exc.located()}"
        return
    for (_, row), pdf in zip(written, pdfs):
        row["pdf"] = pdf.name
        row["pdf_pages"] = pdf_pages(pdf)


def pdf_pages(path: Path) -> int | str:
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    m = re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)
    if m:
        return max(int(x) for x in m)
    return len(re.findall(rb"/Type\s*/Page\b", data))


def _init_worker():
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C: the parent finishes cleanly


ROW_KEYS = tuple(k for k, _ in MANIFEST_COLUMNS)
_STATUS, _PATH = ROW_KEYS.index("status"), ROW_KEYS.index("path")


def _pack(row: dict) -> tuple:
    """A manifest row as the run keeps it until the manifest is written: a tuple in column
    order (ten thousand dicts cost the run 6 MiB more)."""
    return tuple(tuple(row[k]) if k == "warnings" else row[k] for k in ROW_KEYS)


def _unpack(t: tuple) -> dict:
    d = dict(zip(ROW_KEYS, t))
    d["warnings"] = list(d["warnings"])
    return d


@dataclass
class BatchResult:
    packed: "_Rows"                 # the manifest's rows in branch order (see :func:`_pack`)
    manifest: list[Path]
    zip: Path | None = None
    interrupted: bool = False
    seconds: float = 0.0

    @property
    def rows(self) -> list[dict]:
        """The manifest's rows as dicts (keys: :data:`ROW_KEYS`)."""
        return [_unpack(t) for t in self.packed]

    def iter_rows(self) -> Iterator[dict]:
        return map(_unpack, self.packed)

    def count(self, status: str | None = None, path: str | None = None) -> int:
        return self.packed.count(status, path)

    @property
    def failed(self) -> list[dict]:
        if self.count(STATUS_OK) == len(self.packed):
            return []   # no pass over the rows
        return [_unpack(t) for t in self.packed if t[_STATUS] != STATUS_OK]

    @property
    def shared(self) -> int:
        return self.count(path="共享")


class _Rows:
    """The manifest's rows, packed (:func:`_pack`), as the run makes them: kept in a
    temporary file (gone when closed), not in memory, and read back in branch order."""

    def __init__(self, n: int):
        self.fh = tempfile.TemporaryFile(prefix="gendoc-rows-")
        self.at = array("q", [-1]) * n
        # how many rows of each (status, path): counted without reading the rows back
        self.kind = array("h", [-1]) * n
        self.kinds: dict[tuple[str, str], int] = {}
        self.tally: list[int] = []

    def __setitem__(self, i: int, packed: tuple) -> None:
        self.fh.seek(0, os.SEEK_END)
        self.at[i] = self.fh.tell()
        pickle.dump(packed, self.fh, protocol=pickle.HIGHEST_PROTOCOL)
        k = self.kinds.setdefault((packed[_STATUS], packed[_PATH]), len(self.kinds))
        if k == len(self.tally):
            self.tally.append(0)
        if self.kind[i] >= 0:
            self.tally[self.kind[i]] -= 1
        self.kind[i] = k
        self.tally[k] += 1

    def count(self, status: str | None = None, path: str | None = None) -> int:
        return sum(self.tally[k] for (s, p), k in self.kinds.items()
                   if (status is None or s == status) and (path is None or p == path))

    def __contains__(self, i: int) -> bool:
        return self.at[i] >= 0

    def __len__(self) -> int:
        return sum(self.tally)

    def __iter__(self) -> Iterator[tuple]:
        for off in self.at:
            if off >= 0:
                self.fh.seek(off)
                yield pickle.load(self.fh)


@dataclass
class _Plan:
    """What the run renders: positions of the branches in the branches file, grouped by
    parent plan and shared typesetting (one group after another goes to the workers)."""

    groups: dict[tuple, array] = field(default_factory=dict)   # (parent, share key) -> positions

    @property
    def count(self) -> int:
        return sum(len(g) for g in self.groups.values())


def _file_name(parent: Parent, b: Branch) -> str:
    return safe_file_name(b.id, _title_of(parent, b))


def plan_jobs(plan_path: str, bs: BranchSet, opts: Options, template_dirs: tuple[str, ...] = (),
              parents: dict[str, Parent] | None = None, shard: tuple[int, int] | None = None):
    """Load the parents (those in ``parents`` are loaded already; the branches file's tags are
    given to them), name every file and refuse clashes: before anything is written. Returns
    the parents, the :class:`_Plan` and the rows of the branches refused (a :class:`_Rows`).

    ``shard=(k, n)``: only the branches at positions k-1, k-1+n … are planned, but every
    branch's file name is checked against the others'. One branch is in memory at a time."""
    parents = {} if parents is None else parents
    for par in parents.values():
        par.tags = bs.tags
    first = plan_path
    if bs.parent is not None and not _same_path(bs.parent, plan_path):
        raise _err(f"分支文件指定的父计划是 {bs.parent}，命令里给的是 {plan_path}；请用同一个计划",
                   bs.file, None, "parent")

    def parent_of(p: str) -> Parent:
        if p not in parents:
            parents[p] = Parent(p, template_dirs, bs.tags, bs.file)
        return parents[p]
    parent_of(first)
    plan = _Plan()
    rows = _Rows(len(bs.branches))
    names: dict[int, int] = {}      # hash of a file name -> the position of its branch
    existing = set(os.listdir(opts.out_dir))
    checked = False
    for i, b in enumerate(bs.branches):
        mine = shard is None or i % shard[1] == shard[0] - 1
        pp = b.parent or first
        if b.problem is None:
            try:
                par = parent_of(pp)
                fname = _file_name(par, b)
            except GendocError as exc:
                b.problem = GendocError(exc.located(), file=b.file, line=b.line)
                bs.refuse(i, b.problem)
        if b.problem is not None:
            if mine:
                rows[i] = _pack(_failed_row(b, b.problem))
            continue
        key = hash(_name_key(fname))   # a number, not the name: memory stays small
        j = names.get(key)
        if j is not None:
            other = bs.branches[j]
            if _name_key(_file_name(parent_of(other.parent or first), other)) == _name_key(fname):
                if mine:
                    msg = _err(f"文件名“{fname}”与分支 {other.id}（{other.where}）相同", b.file, b.line)
                    rows[i] = _pack(_failed_row(b, msg))
                continue
        try:  # a name not yet in the folder needs only the folder's checks (done once above)
            if fname in existing or not checked:
                check_destination(opts.out_dir / fname, plan=Path(pp), inputs=[Path(bs.file)],
                                  can_force=False)
            pdf_name = fname[:-len(".docx")] + ".pdf"
            if opts.pdf and (pdf_name in existing or not checked):
                check_destination(opts.out_dir / pdf_name, inputs=[Path(bs.file)], option="--pdf")
            checked = True
        except GendocError as exc:
            if mine:
                rows[i] = _pack(_failed_row(b, exc))
            continue
        names.setdefault(key, i)
        if mine:
            share = par.share_key(b) if opts.shared else None
            plan.groups.setdefault((pp, share), array("I")).append(i)
    return parents, plan, rows


def _chunks(plan: _Plan, bs: BranchSet, parents: dict[str, Parent], workers: int, pdf: bool,
            chunk: int | None) -> tuple[int, Iterator[list[Job]]]:
    """How many chunks, and the chunks (a worker's task each), made as they are taken:
    branches that share a typesetting go to the same worker, one after another."""
    count = plan.count
    if chunk:
        size = chunk
    elif pdf:   # one LibreOffice call per chunk: few, large chunks
        size = max(1, min(100, -(-count // workers)))
    else:
        size = max(1, min(64, count // (workers * 4) or 1))

    def jobs() -> Iterator[Job]:
        for (pp, key), positions in sorted(plan.groups.items(),
                                           key=lambda g: (g[0][0], g[0][1] is None, repr(g[0][1]))):
            for i in positions:
                b = bs.branches[i]
                yield Job(i, b, pp, _file_name(parents[pp], b), key)

    def chunks() -> Iterator[list[Job]]:
        it = jobs()
        while True:
            c = list(itertools.islice(it, size))
            if not c:
                return
            yield c
    return -(-count // size), chunks()


def _same_path(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve() or os.path.samefile(a, b)
    except OSError:
        return False


def _name_key(file_name: str) -> str:
    """Names that are one file on Windows or macOS disks (case, Unicode normalisation)."""
    return unicodedata.normalize("NFC", Path(file_name).stem).casefold()


def _title_of(parent: Parent, b: Branch) -> str:
    over = b.overrides.get("meta", {})
    if isinstance(over, dict) and isinstance(over.get("title"), str):
        return over["title"]
    return replace_terms(parent.plan.meta.title, parent.term_map(b))


def _failed_row(b: Branch, exc: GendocError) -> dict:
    msgs = [p.located() for p in (exc.problems or [exc])]
    return dict(id=b.id, name=b.name, file="", pages="", pdf="", pdf_pages="", sha256="", path="",
                status=STATUS_FAILED, warnings=[], message=f"分支 {b.id or '（无编号）'}（{b.where}）：" + "；".join(msgs))


def run_batch(plan_path: str, branches_path: str, out_dir: str | os.PathLike, *, jobs: int = 1,
              pdf: bool = False, make_zip: bool = False, allow_stale: bool = False,
              template_dirs: tuple[str, ...] = (), timeout: float | None = None, shared: bool = True,
              progress: Callable[[int], None] | None = None, chunk: int | None = None,
              shard: tuple[int, int] | None = None, pdf_joined: bool = True) -> BatchResult:
    """Render every branch; write the documents, the manifest (CSV and JSON) and, with
    ``make_zip``, a zip of both. Ctrl-C stops after the documents in progress: every file
    written is complete, and the manifest lists what was done.

    ``shard=(k, n)``: render only the branches whose position in the file is k modulo n
    (k from 1), on one of n machines; every shard reads the whole branches file, so names,
    file-name clashes and stale terms are checked across all branches, and each shard writes
    ``manifest-k-of-n.csv/.json``."""
    t0 = time.perf_counter()
    out = Path(out_dir)
    if not Path(branches_path).is_file():
        read_branches(branches_path)   # the reason, in its words
    if not out.is_dir():
        if out.parent.is_dir() and not out.exists():
            out.mkdir()
        else:
            raise GendocError("输出文件夹不存在", file=str(out_dir))
    opts = Options(out, pdf=pdf, allow_stale=allow_stale, timeout=timeout, shared=shared, pdf_joined=pdf_joined)
    stem = "manifest" if shard is None else f"manifest-{shard[0]}-of-{shard[1]}"
    manifest = [out / f"{stem}.csv", out / f"{stem}.json"]
    zip_name = Path(branches_path).stem + ("" if shard is None else f"-{shard[0]}-of-{shard[1]}")
    zip_path = out / f"{zip_name}.zip" if make_zip else None
    for m in manifest + ([zip_path] if zip_path else []):
        check_destination(m, inputs=[Path(branches_path), Path(plan_path)])
    workers = max(1, jobs)
    # the parent plan is loaded and its shared typesetting built before the workers are forked
    # (they inherit both); the branches are read after, so that no worker holds them
    first = Parent(plan_path, template_dirs, None, str(branches_path))
    if shared:
        first._base()
    _CTX.update(parents={plan_path: first}, options=opts, template_dirs=tuple(template_dirs),
                tags={}, branches_file=str(branches_path))
    pool = _Pool(workers) if workers > 1 else None
    context = None
    try:
        bs = read_branches(branches_path)
        parents, plan, rows = plan_jobs(plan_path, bs, opts, template_dirs, _CTX["parents"], shard)
        checker = StaleChecker(parents, bs.branches, plan_path)
        _CTX.update(checker=checker, tags=bs.tags)
        if pool is not None:
            if pool.forked:   # the workers share this process's hash key
                checker.finder = checker.finder.compact()
            context = _write_context(dict(checker=checker, tags=bs.tags))
            checker.finder = TermFinder(())   # the workers scan; here it only words their hits
        n_chunks, chunks = _chunks(plan, bs, parents, workers, pdf, chunk)
        return _run(plan_path, branches_path, out, n_chunks, chunks, rows, pool, context, progress,
                    manifest, zip_path if make_zip else None, t0)
    finally:
        if pool is not None:
            pool.close()
        if context is not None:
            _remove_context(context)
        _CTX.clear()


def _write_context(ctx: dict) -> str:
    """What the workers need that was made after they were forked, in a file in a private
    folder (mode 0700: no one else can put a file in its place before a worker reads it)."""
    folder = tempfile.mkdtemp(prefix="gendoc-batch-")
    path = os.path.join(folder, "context.pickle")
    try:
        with open(path, "xb") as fh:
            pickle.dump(ctx, fh, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:
        _remove_context(path)
        raise
    return path


def _remove_context(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
    with contextlib.suppress(OSError):
        os.rmdir(os.path.dirname(path))


def _run(plan_path, branches_path, out, n_chunks: int, chunks: Iterator[list[Job]], rows: "_Rows", pool,
         context, progress, manifest, zip_path, t0) -> BatchResult:
    """run_batch's second half: the chunks to the workers (or rendered here), each made as
    it is taken from ``chunks``, then the manifest."""
    unrun: list[Job] = []    # after Ctrl-C

    checker: StaleChecker = _CTX["checker"]

    def settle(c: list[Job], res) -> None:
        for i, row in res:
            row["warnings"] += [checker.describe(h) for h in row.pop("stale", ())]
            rows[i] = _pack(row)
        if len(res) < len(c):
            unrun.extend(j for j in c if j.index not in rows)
        if progress:
            progress(len(res))
    stop = [False]
    _CTX["stop"] = stop
    old = None
    if threading.current_thread() is threading.main_thread():
        old = signal.signal(signal.SIGINT, lambda signum, frame: stop.__setitem__(0, True))
    try:
        if pool is None or n_chunks <= 1:
            for c in chunks:
                settle(c, _run_chunk(c))
                if stop[0]:
                    break
        else:
            pool.run(chunks, context, settle, unrun, stop)
    finally:
        if old is not None:
            signal.signal(signal.SIGINT, old)
    interrupted = stop[0]
    for j in itertools.chain(unrun, *chunks):
        rows[j.index] = _pack(dict(id=j.branch.id, name=j.branch.name, file="", pages="", pdf="",
                                   pdf_pages="", sha256="", path="", status=STATUS_SKIPPED,
                                   warnings=[], message=""))
    unrun.clear()
    write_manifest(manifest, rows, plan_path, branches_path)
    zp = None
    if zip_path and not interrupted:
        zp = zip_path
        write_zip(zp, out, rows, manifest)
    return BatchResult(rows, manifest, zp, interrupted, time.perf_counter() - t0)


class _Pool:
    """Worker processes, forked when made: before the branches are read, so that what grows
    with the number of branches is in the main process only."""

    def __init__(self, jobs: int):
        import concurrent.futures as cf
        import multiprocessing as mp
        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
        # what the workers inherit goes to the collector's permanent generation: a collection
        # in a worker would otherwise write to every inherited object's header, and so copy
        # every page of the parent's tables into each worker
        gc.collect()
        gc.freeze()
        self.jobs = jobs
        self.forked = ctx is not None
        try:
            self.pool = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker)
            if ctx is not None:
                self.pool.submit(int).result()   # with fork, the first task starts every worker
        finally:
            gc.unfreeze()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def run(self, chunks: Iterator[list[Job]], context: str | None, settle, unrun: list, stop: list) -> None:
        """Chunks to the workers, a few queued per worker (memory stays flat), each taken from
        ``chunks`` when it is sent and given to ``settle`` with its results. After Ctrl-C no
        chunk starts (those queued go to ``unrun``); the ones in progress finish, so every file
        they write is complete."""
        import concurrent.futures as cf
        sent: dict = {}   # future -> its chunk, while it is out

        def send() -> None:
            c = None if stop[0] else next(chunks, None)
            if c is not None:
                sent[self.pool.submit(_run_chunk, c, context)] = c
        try:
            for _ in range(self.jobs * 2):
                send()
            while sent:
                done, _ = cf.wait(list(sent), timeout=0.2, return_when=cf.FIRST_COMPLETED)
                if stop[0]:
                    for f in list(sent):
                        if f.cancel():
                            unrun.extend(sent.pop(f))
                for f in done:
                    if f in sent:
                        settle(sent.pop(f), f.result())
                        send()
        finally:
            for f in list(sent):
                if f.cancel():
                    unrun.extend(sent.pop(f))
            cf.wait(list(sent))


def write_manifest(paths: list[Path], rows: list[tuple], plan: str, branches: str) -> None:
    """manifest.csv (UTF-8 with BOM, for Excel) and manifest.json (one row a line), from the
    packed rows (:func:`_pack`), each written line by line as it is made: the manifest of
    ten thousand branches is never in memory whole."""
    warnings_at = ROW_KEYS.index("warnings")

    def csv_lines() -> Iterator[bytes]:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        yield b"\xef\xbb\xbf"
        for values in itertools.chain([[zh for _, zh in MANIFEST_COLUMNS]], rows):
            buf.seek(0)
            buf.truncate()
            w.writerow(values if isinstance(values, list) else
                       ["；".join(v) if i == warnings_at else v for i, v in enumerate(values)])
            yield buf.getvalue().encode("utf-8")

    def json_lines() -> Iterator[bytes]:
        head = json.dumps({"plan": str(plan), "branches": str(branches),
                           "columns": {k: zh for k, zh in MANIFEST_COLUMNS}}, ensure_ascii=False)
        yield (head[:-1] + ', "rows": [\n').encode("utf-8")
        for n, t in enumerate(rows):
            yield (",\n" if n else "").encode() + json.dumps(_unpack(t), ensure_ascii=False).encode("utf-8")
        yield b"\n]}\n"
    write_all([(paths[0], csv_lines()), (paths[1], json_lines())])


def write_zip(path: Path, out: Path, rows: list[tuple], manifest: list[Path]) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for r in rows:
            for k in (ROW_KEYS.index("file"), ROW_KEYS.index("pdf")):
                if r[k]:
                    z.write(out / r[k], r[k])
        for m in manifest:
            z.write(m, m.name)
    write_atomic(path, buf.getvalue())
