"""Plan lint: the mistakes a clerk makes before a document leaves the office (issue 12 item 2).

:func:`lint` walks the *validated* plan model generically: every pydantic field of every model,
at any depth, is visited, and the checks look at what a value is (a :class:`~gendoc.dates.When`,
a :class:`~gendoc.plan.Meeting`, a :class:`~gendoc.plan.Section`, a :class:`~gendoc.plan.Phase`,
a string of prose) rather than where today's schema puts it, so new places for phases, meetings,
sections and dated paragraphs are checked without changing this module.

Each finding is a :class:`Finding` (a code, the plan path, the line, a message that says how to
fix it). A finding is *explained* when the plan line it points at carries a YAML comment
``# 检查：……`` saying why it stays (an example plan's ××× placeholders, a quoted seed's date):
``gendoc check`` counts explained findings but does not print them or fail on them under
``--strict``.

Lines come from :class:`gendoc.source.Source` (the composed YAML graph the plan was read from):
the line of the value, and inside a multi-line text the line where the offending words are.
"""

from __future__ import annotations

import datetime as _dt
import re
import typing
from dataclasses import dataclass
from typing import Any, Iterator

from pydantic import BaseModel

from .dates import When
from .errors import GendocError
from .loader import dotted
from .plan import Meeting, Phase, Plan, Section
from .roll import _NOT_PROSE, _PROSE, cn_value, day_status, holiday_package
from .source import Source

# ----------------------------------------------------------------------------- findings


@dataclass
class Finding:
    code: str
    path: tuple
    message: str
    line: int | None = None
    file: str | None = None
    explained: bool = False

    def located(self) -> str:
        return GendocError(self.message, file=self.file, line=self.line,
                           field=dotted(self.path) or None).located()


# codes whose finding replaces plan.py's warning at the same place (same fact, plus the fix)
OWNS_PLAN_WARNINGS = {"phase-date", "phase-order"}

_EXPLAINED = re.compile(r"(?:^|\s)#\s*检查[:：]")


def explained(text_lines: list[str], line: int | None) -> bool:
    """Whether the plan line carries a ``# 检查：`` comment explaining its warning."""
    return bool(line and 0 < line <= len(text_lines) and _EXPLAINED.search(text_lines[line - 1]))


# ----------------------------------------------------------------------------- the walk


@dataclass
class Node:
    path: tuple
    value: Any
    owners: tuple   # the models above the value, nearest last: ((path, model), ...)


def walk(value: Any, path: tuple = (), owners: tuple = ()) -> Iterator[Node]:
    """Every value of a validated plan, in document order, with its plan path and the models
    that hold it (an explicit stack: nested generators cost a frame per level per value)."""
    stack = [(path, value, owners)]
    while stack:
        path, value, owners = stack.pop()
        yield Node(path, value, owners)
        if isinstance(value, BaseModel):
            inner = owners + ((path, value),)
            stack.extend((path + (name,), getattr(value, name), inner)
                         for name in reversed(type(value).model_fields))
        elif isinstance(value, (list, tuple)):
            stack.extend((path + (i,), value[i], owners) for i in range(len(value) - 1, -1, -1))
        elif isinstance(value, dict):
            stack.extend((path + (k,), v, owners) for k, v in reversed(value.items()))


def label(model: BaseModel, limit: int | None = 30) -> str:
    """What a dated thing is called: its name, title, heading, task… (shortened to ``limit``)."""
    for name in ("name", "title", "heading", "task", "indicator", "problem", "what", "text"):
        v = getattr(model, name, None)
        if isinstance(v, str) and v:
            return v if limit is None or len(v) <= limit else v[:limit] + "……"
    return ""


def _is_literal(cls: type[BaseModel], name: str) -> bool:
    ann = cls.model_fields[name].annotation
    return typing.get_origin(ann) is typing.Literal or ann is bool


# ----------------------------------------------------------------------------- the checks

_PLACEHOLDER = re.compile(r"20[xX]{2}|20\*年|[*＊]{2,}|×{2,}|【待定】")
_CJK = "\u4e00-\u9fff"
_HALF_PUNCT = re.compile(f"(?<=[{_CJK}“”《》、，。])[,:;()]|[,:;()](?=[{_CJK}“《])")
_FULL = {",": "，", ":": "：", ";": "；", "(": "（", ")": "）"}
_DOC_NO_BRACKETS = re.compile(
    rf"[{_CJK}]\s*(?P<o>[〔【\[［(（])\s*(?P<y>(?:19|20)\d\d)\s*(?P<c>[〕】\]］)）])\s*(?P<n>\d+)\s*号")
_DECIMAL_ITEM = re.compile(r"(?:^|(?<=[。；：\s]))(?P<n>\d{1,2})[.．](?P<rest>\d{1,2}(?:月(?:\d{1,2}日)?|日|\.|．|年|%|个|项|次))")
_HEADING_NO = [
    (1, re.compile(r"^[一二三四五六七八九十]+[、，,.]")),
    (2, re.compile(r"^[（(][一二三四五六七八九十]+[）)]")),
    (3, re.compile(r"^\d+[.．、]")),
    (4, re.compile(r"^[（(]\d+[）)]")),
]
_LEVEL_WORDS = {1: "一、", 2: "（一）", 3: "1.", 4: "（1）"}
_NUMS = r"[一二两三四五六七八九十\d]+"
_LIST_COUNT = re.compile(rf"(?:以下|如下|下列|下面)(?P<n>{_NUMS})(?P<w>个方面|方面|条|项|点|部分|个环节|个步骤)")
_PHASE_COUNT = re.compile(rf"(?:分为?|共|划分为)(?P<n>{_NUMS})个(?:阶段|步骤)")
_ATTACH_REF = re.compile(r"附件(?P<n>\d+|[一二三四五六七八九十]+)(?![\d])")
_SKIP_DAY_PARTS = ("前", "前夕", "以来", "起", "开始")


class _Lint:
    def __init__(self, plan: Plan, src: Source):
        self.plan, self.src = plan, src
        self.file = src.file
        self.lines = src.text.split("\n")
        self.found: list[Finding] = []
        self.nodes = list(walk(plan))
        self.prose = [n for n in self.nodes if isinstance(n.value, str) and n.value and not _not_prose(n.path)]
        self.holiday_years_said: set[int] = set()

    def add(self, code: str, path: tuple, message: str, needle: str | None = None) -> None:
        line = None
        try:
            line = self.src.line(path, needle)
        except Exception:   # a path the file does not spell (defaults): the nearest parent
            line = None
        if line is None and self.plan._lines is not None:
            line = self.plan._lines.line_of(path)
        self.found.append(Finding(code, path, message, line, self.file,
                                  explained(self.lines, line)))

    # ----------------------------------------------------------- dates and phases

    def phases(self) -> None:
        lists: dict[tuple, list[tuple[tuple, Phase]]] = {}
        for n in self.nodes:
            if isinstance(n.value, Phase):
                lists.setdefault(n.path[:-1], []).append((n.path, n.value))
                self._within_phase(n.path, n.value)
        self._deadlines_of_phases([p for ps in lists.values() for p in ps])
        for phases in lists.values():
            for (pa, a), (pb, b) in zip(phases, phases[1:]):
                if b.when.first < a.when.first:
                    self.add("phase-order", pb + ("when",),
                             f"阶段“{b.name}”（{b.when}）开始早于前一阶段“{a.name}”（{a.when}）："
                             "请按时间先后排列阶段，或改正日期")
                elif b.when.first <= a.when.last:
                    self.add("phase-overlap", pb + ("when",),
                             f"阶段“{b.name}”（{b.when}）与前一阶段“{a.name}”（{a.when}）时间重叠"
                             f"（{a.when.last:%-m月%-d日}还在前一阶段内）：请让它从"
                             f"{a.when.last + _dt.timedelta(days=1):%-m月%-d日}开始，或缩短前一阶段")

    def _deadlines_of_phases(self, phases: list[tuple[tuple, Phase]]) -> None:
        """A task outside the phases that names one (its ``area`` is the phase's name): its
        deadline must not come before that phase begins. Tasks inside a phase are checked by
        :meth:`_within_phase`."""
        by_name = {ph.name: (p, ph) for p, ph in phases}
        for n in self.nodes:
            v = n.value
            if not isinstance(v, BaseModel) or not isinstance(getattr(v, "deadline", None), When):
                continue
            if any(isinstance(m, Phase) for _, m in n.owners):
                continue
            named = [by_name[s] for f in type(v).model_fields
                     if isinstance(s := getattr(v, f), str) and s in by_name]
            for _, ph in named[:1]:
                if v.deadline.last < ph.when.first:
                    self.add("deadline-before-phase", n.path + ("deadline",),
                             f"“{label(v)}”的期限 {v.deadline} 早于它所属的阶段“{ph.name}”"
                             f"（{ph.when}）开始：请改正期限，或改正它所属的阶段")

    def _within_phase(self, path: tuple, phase: Phase) -> None:
        for n in walk(phase, path):
            if not isinstance(n.value, When) or n.path == path + ("when",):
                continue
            if any(isinstance(m, Phase) for p, m in n.owners if len(p) > len(path)):
                continue   # a phase inside this phase checks its own dates
            w = n.value
            if w.within(phase.when):
                continue
            owner = label(n.owners[-1][1]) if n.owners else ""
            if n.path[-1] == "deadline" and w.last < phase.when.first:
                self.add("deadline-before-phase", n.path,
                         f"“{owner}”的期限 {w} 早于它所在的阶段“{phase.name}”（{phase.when}）开始："
                         "期限应在阶段之内；请改正期限，或把这项任务移到它所属的阶段")
            else:
                self.add("phase-date", n.path,
                         f"{w} 不在阶段“{phase.name}”（{phase.when}）之内：请改正日期，"
                         "或把“" + owner + "”移到日期所属的阶段，或调整阶段的起止日期")

    # ----------------------------------------------------------- weekends and holidays

    def workdays(self) -> None:
        for n in self.nodes:
            if not isinstance(n.value, When):
                continue
            owner = n.owners[-1][1] if n.owners else None
            if isinstance(owner, Meeting) and n.path[-1] == "when":
                what = f"会议“{owner.name}”"
                days = _typed_days(n.value, every=True)
            elif n.path[-1] == "deadline":
                what = f"“{label(owner)}”的期限" if owner is not None else "期限"
                days = _typed_days(n.value, every=False)
            else:
                continue
            for d in days:
                ok, why, known = day_status(d)
                if not known and d.year not in self.holiday_years_said:
                    self.holiday_years_said.add(d.year)
                    pkg = holiday_package()
                    have = (f"{pkg[0]} 只有 {pkg[1]}—{pkg[2]} 年的数据" if pkg
                            else "没有安装节假日数据包 chinesecalendar")
                    self.add("holiday-data", n.path,
                             f"{d.year} 年的法定节假日和调休无从核对（{have}）：这一年只检查了周末，"
                             "节假日请对照国务院办公厅当年的放假通知自行核对"
                             + ("；升级 chinesecalendar 可能补上这一年" if pkg and d.year > pkg[2] else ""))
                if not ok:
                    self.add("non-workday", n.path,
                             f"{what}在 {d:%Y年%-m月%-d日}，是{why}：请确认，"
                             "或改到前后的工作日")

    # ----------------------------------------------------------- text

    def texts(self) -> None:
        calendar_words = self._calendar_words()
        for n in self.prose:
            text = n.value
            for m in _PLACEHOLDER.finditer(text):
                self.add("placeholder", n.path,
                         f"“{m[0]}”是没有填写的占位符：印发前请填上实际内容", needle=m[0])
            hits = list(dict.fromkeys(m[0] for m in _HALF_PUNCT.finditer(text)))
            if hits and "{{" not in text:
                m = _HALF_PUNCT.search(text)
                around = text[max(0, m.start() - 6):m.end() + 6]
                fix = "、".join(f"“{h}”改为“{_FULL[h]}”" for h in hits)
                self.add("half-width", n.path,
                         f"中文里用了半角标点（“{around}”）：{fix}", needle=around)
            for m in _DOC_NO_BRACKETS.finditer(text):
                if m["o"] == "〔":
                    continue
                typed = m[0][1:].strip()
                self.add("doc-number-brackets", n.path,
                         f"文号里的“{typed}”应写作“〔{m['y']}〕{m['n']}号”：文号的年份用六角括号〔〕",
                         needle=typed)
            for m in _DECIMAL_ITEM.finditer(text):
                self.add("decimal-number", n.path,
                         f"“{m[0]}”读起来像小数“{m['n']}.{m['rest'][0]}”：条目编号由排版程序生成，"
                         f"请删去手写的“{m['n']}.”（日期请放进 when 字段）", needle=m[0])
            self._prose_dates(n, text, calendar_words)

    def _calendar_words(self) -> set[str]:
        """Dates the plan already holds as data: a calendar entry's label and text."""
        words = set()
        for n in self.nodes:
            if isinstance(n.value, BaseModel) and "every" in type(n.value).model_fields \
                    and "what" in type(n.value).model_fields:
                for name in ("label", "what"):
                    v = getattr(n.value, name, None)
                    if isinstance(v, str):
                        words.update(m[0] for m in _PROSE.finditer(v))
        return words

    def _prose_dates(self, n: Node, text: str, calendar_words: set[str]) -> None:
        owner = n.owners[-1][1] if n.owners else None
        if owner is not None and "every" in type(owner).model_fields and n.path[-1] in ("label", "what"):
            return   # a calendar entry: the date as the prose writes it, next to its date field
        numbers = [m.span() for m in _DOC_NO_BRACKETS.finditer(text)]   # a 文号's year stays
        words = [m[0] for m in _PROSE.finditer(text)
                 if m.lastgroup in ("date", "year") and not _in_title_marks(text, m.start())
                 and not any(a <= m.start() < b for a, b in numbers)]
        words = [w for w in dict.fromkeys(words) if w not in calendar_words]
        if words:
            self.add("prose-date", n.path,
                     f"正文里写了日期或年份：{'、'.join(words)}。日期请放进日期字段（when、deadline，"
                     "或 calendar: 里记一条），年份可用模板字段 {{ year }}；写在正文里的，"
                     "检查和 gendoc roll 都不会替你移动", needle=words[0])

    # ----------------------------------------------------------- structure

    def sections(self) -> None:
        for n in self.nodes:
            v = n.value
            if isinstance(v, Section):
                cls = type(v)
                content = [getattr(v, f) for f in cls.model_fields
                           if f not in ("heading", "when") and not _is_literal(cls, f)]
                if not any(isinstance(c, (str, list, BaseModel)) and c for c in content):
                    self.add("empty-section", n.path + ("heading",),
                             f"“{v.heading}”这一节没有内容：请写上正文（text、paras、items…），或删去这一节")
            if isinstance(v, (Section, Phase)):
                self._heading_number(n)

    def _heading_number(self, n: Node) -> None:
        v = n.value
        title = v.heading if isinstance(v, Section) else v.name
        field = "heading" if isinstance(v, Section) else "name"
        typed = next(((lvl, rx.match(title)[0]) for lvl, rx in _HEADING_NO if rx.match(title)), None)
        if typed is None:
            return
        level = 1 + sum(isinstance(m, (Section, Phase)) for _, m in n.owners)
        lvl, mark = typed
        # a template may start one level down (工作要点 starts at （一）): a skip is two levels
        skip = (f"；而且“{mark}”是第 {lvl} 级的编号，这一节却在第 {level} 级，跳过了"
                f"{'、'.join(_LEVEL_WORDS[k] for k in range(level + 1, lvl))}这一级") if lvl > level + 1 else ""
        self.add("heading-number", n.path + (field,),
                 f"标题开头手写了编号“{mark}”：编号由排版程序按层次生成，手写的会重复{skip}；请删去“{mark}”",
                 needle=mark)

    def counts(self) -> None:
        phase_lists = [n.value for n in self.nodes
                       if isinstance(n.value, list) and n.value and all(isinstance(x, Phase) for x in n.value)]
        for n in self.prose:
            for m in _PHASE_COUNT.finditer(n.value):
                said = cn_value(m["n"])
                have = sorted({len(p) for p in phase_lists})
                if said is not None and have and said not in have:
                    self.add("count", n.path,
                             f"正文说“{m[0]}”，计划里的阶段却是 {'、'.join(map(str, have))} 个："
                             "请改正文里的数字，或补齐/删减阶段", needle=m[0])
            for m in _LIST_COUNT.finditer(n.value):
                said = cn_value(m["n"])
                owner = n.owners[-1][1] if n.owners else None
                lists = {f: len(getattr(owner, f)) for f in type(owner).model_fields
                         if isinstance(getattr(owner, f), list) and getattr(owner, f)} if owner else {}
                lists.pop(n.path[-2] if isinstance(n.path[-1], int) else "", None)  # its own list
                if said is None or not lists or said in lists.values():
                    continue
                have = "、".join(f"{k} 有 {v} 项" for k, v in lists.items())
                self.add("count", n.path,
                         f"正文说“{m[0]}”，紧接着的内容却不是 {said} 项（{have}）："
                         "请改正文里的数字，或补齐/删减条目", needle=m[0])

    def attachments(self) -> None:
        atts = getattr(self.plan, "attachments", []) or []
        titles = [a.title for a in atts]
        referred: dict[int, tuple] = {}
        for n in self.prose:
            if n.path[:1] == ("attachments",):
                continue   # an attachment's own text names itself
            for m in _ATTACH_REF.finditer(n.value):
                k = cn_value(m["n"])
                if k is None:
                    continue
                referred.setdefault(k, n.path)
                if k > len(atts):
                    self.add("attachment-missing", n.path,
                             f"正文提到“{m[0]}”，计划却只有 {len(atts)} 个附件：请补上这个附件"
                             "（attachments:），或改正正文", needle=m[0])
            for m in re.finditer(r"将《(?P<t>[^》]+)》印发", n.value):
                if m["t"] not in titles and m["t"] not in (self.plan.meta.title or ""):
                    self.add("attachment-missing", n.path,
                             f"正文印发《{m['t']}》，附件里却没有这个标题"
                             f"（附件：{'、'.join(titles) or '无'}）：请让附件标题与正文一致", needle=m["t"])
        if referred:
            for i, a in enumerate(atts, 1):
                if i not in referred:
                    self.add("attachment-unmentioned", ("attachments", i - 1, "title"),
                             f"附件{i}“{a.title}”列在附件说明里，正文却只提到了"
                             f"{'、'.join(f'附件{k}' for k in sorted(referred))}：请在正文里提到它，或删去这个附件")


def _typed_days(w: When, every: bool) -> list[_dt.date]:
    """The days a clerk named exactly (not 4月上旬, not 3月7日前): a meeting's days, a
    deadline's last day."""
    points = [w.start] + ([w.end] if w.end else [])
    days = []
    for p in points:
        if p.day and p.part not in _SKIP_DAY_PARTS:
            days += [_dt.date(p.year, p.month, d) for d in (p.day, *p.extra_days)]
    if not every:
        end = w.end or w.start
        return [_dt.date(end.year, end.month, max((end.day, *end.extra_days)))] \
            if end.day and end.part not in _SKIP_DAY_PARTS else []
    return list(dict.fromkeys(days))


_NOT_LINTED = frozenset(_NOT_PROSE) | {("meta", "title"), ("meta", "title_lines")}
_NOT_LINTED_DEPTHS = sorted({len(p) for p in _NOT_LINTED})


def _not_prose(path: tuple) -> bool:
    """Codes, numbers and dates, not prose; and the document's own title, which names its year
    by convention (2003年卫生党建工作要点)."""
    return any(path[:k] in _NOT_LINTED for k in _NOT_LINTED_DEPTHS)


def _in_title_marks(text: str, at: int) -> bool:
    """Inside 《……》: a document's name keeps its year (《2003年卫生党建工作要点》)."""
    return text.rfind("《", 0, at) > text.rfind("》", 0, at)


# ----------------------------------------------------------------------------- entry point

CHECKS = ("phases", "workdays", "texts", "sections", "counts", "attachments")


def lint(plan: Plan, src: Source) -> list[Finding]:
    """Every finding of every check, in line order."""
    run = _Lint(plan, src)
    for name in CHECKS:
        getattr(run, name)()
    seen, out = set(), []
    for f in sorted(run.found, key=lambda f: (f.line or 0, dotted(f.path))):
        key = (f.code, f.path, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


_LOCATED = re.compile(r"^(?P<where>.*?:\d+: (?:[\w.\[\]]+: )?)")


def location_prefix(located: str) -> str | None:
    """``file:line: field: `` of a located message (plan.py's warnings), for de-duplication."""
    m = _LOCATED.match(located)
    return m["where"] if m else None


def report_lines(name: str, src: Source, plan: Plan, plan_warnings: list[str],
                 strict: bool = False) -> tuple[list[str], int]:
    """What ``gendoc check`` prints for one plan: the loader's and renderer's warnings and the
    lint findings, one line each (``错误：`` under ``--strict``), explained ones counted in a
    last line; and the number of unexplained warnings."""
    findings = lint(plan, src)
    owned = {location_prefix(f.located()) for f in findings if f.code in OWNS_PLAN_WARNINGS}
    text_lines = src.text.split("\n")
    items: list[tuple[int, str, bool]] = []
    for text in plan_warnings:
        text = text if text.startswith(name) else f"{name}: {text}"
        where = location_prefix(text)
        if where is not None and where in owned:
            continue   # the lint finding says the same, and how to fix it
        line = re.match(r"^.*?:(\d+): ", text)
        items.append((int(line[1]) if line else 0, text,
                      explained(text_lines, int(line[1])) if line else False))
    items += [(f.line or 0, f.located(), f.explained) for f in findings]
    word = "错误" if strict else "警告"
    out = [f"{word}：{text}" for _, text, ok in items if not ok]
    quiet = sum(ok for _, _, ok in items)
    if quiet:
        out.append(f"{name}: 另有 {quiet} 条警告已在计划的注释（# 检查：……）里说明，不再列出")
    return out, len(items) - quiet
