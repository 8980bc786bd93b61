"""Next year's plan from this year's (``gendoc roll``): every date moves, the rest is listed.

* Every date is found by the schema, not by the text: :func:`iter_date_fields` walks the
  pydantic models and yields each field whose type is a date expression
  (:class:`~gendoc.dates.When`) or a calendar date, at any depth, including fields added
  to the schema later.
* Exact days keep their weekday: they move by whole weeks, the number of weeks that lands
  closest to the same calendar date (52 for one year), and never out of their year
  (1月1日 moves 53 weeks rather than land on 12月31日 of the old year). Months, 旬, 底前,
  份, 上半年 and years move by calendar years, so 4月上旬 stays 4月上旬. One expression
  moves by one amount, so a range keeps its length and a list such as 2010-09-15,20 its
  spacing. ``keep_dates`` moves everything by calendar years (2月29日 becomes 2月28日).
* Each moved day that falls on a weekend or a public holiday is reported with the nearest
  working day, from the holiday package ``chinesecalendar`` (the State Council's yearly
  arrangement, 调休 working days included); a year it has no data for is said plainly.
* What a computer cannot know is listed with its line: per-year names (``context``),
  counters (第十二期), congress and plenum names, years and dates typed in prose,
  year-bound targets, attachments' titles with a year, basis documents, the leading group.

The file is edited in place through :mod:`gendoc.source`, so only the moved values change.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as _dt
import functools
import json
import re
import types
import warnings
from dataclasses import dataclass, field
from typing import Annotated, Any, Iterator, Union, get_args, get_origin

from pydantic import BaseModel

from .dates import Point, When, cn_number
from .errors import GendocError, GendocWarning
from .loader import dotted, gc_paused
from .plan import DocNumber, MeetingNotice, Meta, Plan
from .plandiff import Labels
from .source import Source, open_plan

WEEKDAYS = "一二三四五六日"


# ----------------------------------------------------------------- the schema's date fields

def _shape(tp) -> Any:
    """What a field's type can hold, reduced to where dates are: None (no date below it),
    "when", "date", ("model", cls), ("list", shape), ("dict", shape), ("union", [shapes])."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _shape(get_args(tp)[0])
    if origin in (Union, types.UnionType):
        shapes = [s for s in map(_shape, get_args(tp)) if s is not None]
        return None if not shapes else shapes[0] if len(shapes) == 1 else ("union", shapes)
    if origin in (list, tuple, set, frozenset):
        inner = _shape(get_args(tp)[0]) if get_args(tp) else None
        return ("list", inner) if inner is not None else None
    if origin is dict:
        args = get_args(tp)
        inner = _shape(args[1]) if len(args) == 2 else None
        return ("dict", inner) if inner is not None else None
    if isinstance(tp, type):
        if issubclass(tp, When):
            return "when"
        if issubclass(tp, _dt.date):
            return "date"
        if issubclass(tp, BaseModel) and _date_fields(tp):
            return ("model", tp)
    return None


_FIELDS: dict[type, tuple] = {}


def _date_fields(cls: type[BaseModel]) -> tuple:
    """(name, shape) of the fields of ``cls`` that can hold a date (cached per class)."""
    if cls in _FIELDS:
        return _FIELDS[cls]
    _FIELDS[cls] = (("", None),)  # in progress (a model that contains itself): walk it
    found = tuple((name, s) for name, f in cls.model_fields.items()
                  if (s := _shape(f.annotation)) is not None)
    _FIELDS[cls] = found
    return found


def iter_date_fields(model: BaseModel, path: tuple = ()) -> Iterator[tuple[tuple, When | _dt.date]]:
    """Every date value in a validated plan (or any part of it), with its plan path:
    ``(("phases", 0, "when"), When(...))``, ``(("meta", "date"), date(2014, 2, 27))``."""
    for name, shape in _date_fields(type(model)):
        if name:
            yield from _walk(getattr(model, name), shape, path + (name,))


def _walk(value, shape, path):
    if value is None:
        return
    if shape == "when":
        if isinstance(value, When):
            yield path, value
    elif shape == "date":
        if isinstance(value, _dt.date):
            yield path, value
    elif shape[0] == "model":
        if isinstance(value, BaseModel):
            yield from iter_date_fields(value, path)
    elif shape[0] == "list":
        if isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                yield from _walk(v, shape[1], path + (i,))
    elif shape[0] == "dict":
        if isinstance(value, dict):
            for k, v in value.items():
                yield from _walk(v, shape[1], path + (k,))
    elif shape[0] == "union":
        for s in shape[1]:
            if _fits(value, s):
                yield from _walk(value, s, path)
                return


def _fits(value, shape) -> bool:
    if shape == "when":
        return isinstance(value, When)
    if shape == "date":
        return isinstance(value, _dt.date)
    return isinstance(value, {"model": BaseModel, "list": (list, tuple), "dict": dict}[shape[0]])


# ----------------------------------------------------------------- moving dates

def calendar_shift(d: _dt.date, years: int) -> _dt.date:
    """The same calendar date ``years`` later; 2月29日 becomes 2月28日 in a common year."""
    y = d.year + years
    return _dt.date(y, d.month, min(d.day, calendar.monthrange(y, d.month)[1]))


def week_shift(points: list[Point], years: int, prefer: int | None = None) -> int | None:
    """Whole weeks that move one expression ``years`` on keeping the weekday: the count that
    lands its first day closest to the same calendar date, such that the first day stays in
    its year (+ ``years``: 1月1日 moves 53 weeks, not 52 to 12月31日 of the old year) and the
    days of a list such as 9月15、20日 stay in their month; None when no count does.
    ``prefer`` (the weeks the enclosing phase moved) is taken first when it fits, so that
    what lay inside a phase stays inside it."""
    first = next(d for p in points for d in _days(p))
    target = calendar_shift(first, years)
    k0 = round((target - first).days / 7)
    ks = sorted((k0, k0 - 1, k0 + 1), key=lambda k: abs((first + _dt.timedelta(weeks=k) - target).days))
    for k in ([prefer] if prefer is not None else []) + ks:
        delta = _dt.timedelta(weeks=k)
        if (first + delta).year != first.year + years:
            continue
        if any(p.extra_days and {(d + delta).month for d in _days(p)} != {p.month} for p in points):
            continue
        return k
    return None


def _points(w: When) -> list[Point]:
    return [w.start] if w.end is None else [w.start, w.end]


def _days(p: Point) -> list[_dt.date]:
    return [_dt.date(p.year, p.month, d) for d in (p.day, *p.extra_days)] if p.day else []


def _move_point(p: Point, years: int, weeks: int | None, notes: list[str]) -> Point:
    if not p.day:
        return dataclasses.replace(p, year=p.year + years)
    if weeks is not None:
        days = [d + _dt.timedelta(weeks=weeks) for d in _days(p)]
        return Point(days[0].year, days[0].month, days[0].day, tuple(d.day for d in days[1:]), p.part)
    y = p.year + years
    last = calendar.monthrange(y, p.month)[1]
    if max((p.day, *p.extra_days)) > last:
        notes.append(f"{y}年2月没有29日，{p.year}年2月29日改为{y}年2月28日")
    days = sorted({min(d, last) for d in (p.day, *p.extra_days)})
    return Point(y, p.month, days[0], tuple(days[1:]), p.part)


def shift_when(w: When, years: int, keep_dates: bool = False,
               prefer: int | None = None) -> tuple[When, int | None, list[str]]:
    """(moved expression, weeks moved or None for calendar years, notes for the clerk)."""
    notes: list[str] = []
    pts = _points(w)
    weeks = None
    if any(p.day for p in pts) and not keep_dates:
        weeks = week_shift(pts, years, prefer)
        if weeks is None:
            notes.append("保持星期会移出当年或把同月的几天拆到两个月，改为按日历移动")
    moved = [_move_point(p, years, weeks, notes) for p in pts]
    if len(moved) == 2 and (moved[1].last < moved[0].first or moved[1].first < moved[0].first):
        weeks, notes = None, ["保持星期后起止颠倒，改为按日历移动"]
        moved = [_move_point(p, years, None, notes) for p in pts]
    new = When(moved[0], moved[1] if len(moved) == 2 else None, "")
    return new, weeks, notes


def shift_date(d: _dt.date, years: int, keep_dates: bool = False,
               prefer: int | None = None) -> tuple[_dt.date, int | None, list[str]]:
    new, weeks, notes = shift_when(When(Point(d.year, d.month, d.day)), years, keep_dates, prefer)
    return _dt.date(new.start.year, new.start.month, new.start.day), weeks, notes


def spell(w: When) -> str:
    """The canonical text of an expression: 2014-02-28..2014-03-07, 2014-04 上旬 …"""
    def one(p: Point) -> str:
        s = f"{p.year:04d}"
        if p.month:
            s += f"-{p.month:02d}" + "".join(f",{m:02d}" for m in p.extra_months)
        if p.day:
            s += f"-{p.day:02d}" + "".join(f",{d:02d}" for d in p.extra_days)
        return s + (f" {p.part}" if p.part else "")
    return "..".join(one(p) for p in _points(w))


_TOKEN = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})((?:,\d{1,2})*))?)?")


def respell(typed: str, new: When) -> str:
    """``new`` written the way the clerk wrote the old expression ``typed``: the same spaces,
    qualifiers, range marks and zero padding, only the numbers changed."""
    matches = list(_TOKEN.finditer(typed))
    pts = _points(new)
    if len(matches) != len(pts):
        return spell(new)
    out, pos = [], 0
    for m, p in zip(matches, pts):
        extras = [x for x in (m[4] or "").split(",") if x]
        if bool(m[2]) != bool(p.month) or bool(m[3]) != bool(p.day) or len(extras) != len(p.extra_days):
            return spell(new)
        piece = f"{p.year:04d}"
        if p.month:
            piece += "-" + str(p.month).zfill(len(m[2]))
        if p.day:
            piece += "-" + str(p.day).zfill(len(m[3]))
            piece += "".join("," + str(d).zfill(len(x)) for d, x in zip(p.extra_days, extras))
        out += [typed[pos:m.start()], piece]
        pos = m.end()
    return "".join(out) + typed[pos:]


# ----------------------------------------------------------------- weekends and holidays

_HOLIDAY_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def holiday_package() -> tuple[str, int, int] | None:
    """(name and version, first year, last year) of the holiday data, or None if missing."""
    try:
        import chinese_calendar as cc
        from chinese_calendar import constants
    except ImportError:
        return None
    years = [d.year for d in constants.holidays]
    return f"chinesecalendar {getattr(cc, '__version__', '')}".strip(), min(years), max(years)


@functools.lru_cache(maxsize=4096)
def day_status(d: _dt.date) -> tuple[bool, str, bool]:
    """(working day?, why not / note, holiday data known for the year?)."""
    weekend = d.weekday() >= 5
    try:
        import chinese_calendar as cc
        work = cc.is_workday(d)
        _, name = cc.get_holiday_detail(d)
    except (ImportError, NotImplementedError):
        return (not weekend, f"星期{WEEKDAYS[d.weekday()]}（周末）" if weekend else "", False)
    if work:
        return True, ("调休上班日" if weekend else ""), True
    if name:
        return False, f"{_HOLIDAY_NAMES.get(name, name)}假期", True
    return False, f"星期{WEEKDAYS[d.weekday()]}（周末）", True


def nearest_workday(d: _dt.date) -> _dt.date:
    """The closest working day (the earlier one on a tie)."""
    for n in range(1, 30):
        for cand in (d - _dt.timedelta(days=n), d + _dt.timedelta(days=n)):
            if day_status(cand)[0]:
                return cand
    return d


def weekday(d: _dt.date) -> str:
    return f"星期{WEEKDAYS[d.weekday()]}"


# fixed-date days that events are tied to (domain.md §2.5: 七一, 五四前夕): a weekday shift moves
# them off the day, so they are listed for the clerk to put back if the event belongs to the day
_FIXED_DAYS = {
    (1, 1): "元旦", (3, 8): "三八妇女节", (3, 12): "植树节", (4, 7): "世界卫生日",
    (5, 1): "五一劳动节", (5, 4): "五四青年节", (5, 12): "国际护士节", (6, 1): "六一儿童节",
    (7, 1): "七一（建党纪念日）", (8, 1): "八一建军节", (8, 19): "中国医师节", (9, 10): "教师节",
    (10, 1): "国庆节", (12, 1): "世界艾滋病日", (12, 4): "国家宪法日",
}


# ----------------------------------------------------------------- what the clerk must check

_CN = "零〇一二两三四五六七八九十百"
_CN_DIGIT = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}


def cn_value(s: str) -> int | None:
    """十二 -> 12, 二十 -> 20, 一百零五 -> 105, 13 -> 13."""
    if s.isdigit():
        return int(s)
    total, cur = 0, 0
    for ch in s:
        if ch in _CN_DIGIT:
            cur = _CN_DIGIT[ch]
        elif ch == "十":
            total += (cur or 1) * 10
            cur = 0
        elif ch == "百":
            total += (cur or 1) * 100
            cur = 0
        else:
            return None
    return total + cur


_NUM = f"[{_CN}]+|\\d+"
_CN_NUM = "[一二三四五六七八九十]"
_PATTERNS = [
    ("counter", f"第(?P<cn>{_NUM})(?P<cw>期|批|届|轮)"),
    ("anniversary", f"(?<![\\d.])(?P<an>{_NUM})(?P<aw>周年)"),
    ("congress", f"(?:十[一二三四五六七八九]|[二三四]十[一二三四五六七八九]?)大(?!学|队|会|家|于|的|力|小|型)"
                 f"|{_CN_NUM}+届{_CN_NUM}+中(?:、{_CN_NUM}+中)*全会"
                 f"|{_CN_NUM}+届{_CN_NUM}+次(?:、{_CN_NUM}+次)*全会"
                 f"|第{_CN_NUM}+次(?:党代会|党员代表大会|代表大会)"),
    ("year", r"(?<![\d.,，])(?P<yn>(?:19|20)\d\d)(?:年度?|(?=\s*年|〕|】|\]|-\d|/\d))"),
    ("date", r"(?<![\d.])(?:1[0-2]|0?[1-9])月(?:\d{1,2}[日号](?:、\d{1,2}[日号]?)*|份|上旬|中旬|下旬|中下旬|上中旬|初|底|末)?"
             r"|(?<![个几每数半多本这那同次上下])(?:十[一二]?|[一二三四五六七八九])月"
             r"(?:[一二三四五六七八九十]{1,3}[日号]|份|上旬|中旬|下旬|中下旬|上中旬|初|底|末)"),
    ("one_year", r"今年是|最后一年|去年|明年|上一年度?|下一年度?|[两三四五]年前|第[一二三四五]年"),
]
# one scan per string: the kinds as named alternatives
# (the look-ahead on the characters a match can start with lets the scan skip the rest fast)
_PROSE = re.compile(f"(?=[第\\d{_CN}今最去明上下])(?:" + "|".join(f"(?P<{kind}>{rx})" for kind, rx in _PATTERNS) + ")")
_YEAR_BOUND = re.compile(r"(?:19|20)\d\d\s*年|今年|年内|全年|年底|年末|年度|当年")

# fields that are not prose: dates, numbers, codes, names of templates
_NOT_PROSE = {("schema_version",), ("template",), ("meta", "doc_number"), ("meta", "copy_number"),
              ("meta", "contact"), ("meta", "year"), ("meta", "date"), ("meta", "printing", "date"),
              ("context",)}


@dataclass
class Review:
    """One thing the clerk must check: where, what, why."""

    kind: str
    path: tuple
    line: int | None
    label: str
    text: str
    note: str

    def as_json(self) -> dict:
        return {"kind": self.kind, "path": dotted(self.path), "line": self.line, "label": self.label,
                "text": self.text, "note": self.note}


@dataclass
class Move:
    path: tuple
    line: int | None
    label: str
    old: str
    new: str
    weeks: int | None
    notes: list[str] = field(default_factory=list)
    first_day: _dt.date | None = None
    value: When | None = None         # the new value, parsed

    def as_json(self) -> dict:
        return {"path": dotted(self.path), "line": self.line, "label": self.label, "old": self.old,
                "new": self.new, "rule": "weeks" if self.weeks is not None else "calendar",
                "weeks": self.weeks, "notes": self.notes,
                "weekday": weekday(self.first_day) if self.first_day else None}


@dataclass
class Hit:
    """A moved day that is not a working day."""

    path: tuple
    line: int | None
    label: str
    day: _dt.date
    why: str
    suggestion: _dt.date | None
    known: bool

    def as_json(self) -> dict:
        return {"path": dotted(self.path), "line": self.line, "label": self.label,
                "date": self.day.isoformat(), "weekday": weekday(self.day), "why": self.why,
                "suggestion": self.suggestion.isoformat() if self.suggestion else None,
                "holiday_data": self.known}


@dataclass
class RollResult:
    source: Source
    plan: Plan
    new_plan: Plan
    text: str
    from_year: int
    to_year: int
    keep_dates: bool
    moves: list[Move]
    hits: list[Hit]
    review: list[Review]
    doc_number: dict | None
    holiday_data: tuple[str, int, int] | None
    output: str = ""

    @property
    def years(self) -> int:
        return self.to_year - self.from_year

    def missing_holiday_years(self) -> list[int]:
        years = sorted({h.day.year for h in self.hits} | {m.first_day.year for m in self.moves if m.first_day}
                       | {self.to_year})
        if self.holiday_data is None:
            return years
        _, lo, hi = self.holiday_data
        return [y for y in years if not lo <= y <= hi]


def plan_year(plan: Plan) -> int | None:
    """The plan's year: ``meta.plan_year`` (typed year, else the 成文日期's, else the 文号's)
    where the schema derives it as a property, else ``meta.year``."""
    return getattr(plan.meta, "plan_year", plan.meta.year)


def year_bounds() -> tuple[int, int]:
    """The schema's range for a plan year (meta.year: ge/le)."""
    lo, hi = 1, 9999
    for m in Meta.model_fields["year"].metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    return lo, hi


def seq_optional() -> bool:
    """Whether the schema lets a 发文字号 have no sequence number yet (seq: null)."""
    return not DocNumber.model_fields["seq"].is_required()


def open_for_roll(path) -> tuple[Source, Plan, list[str]]:
    """Load and validate the plan (its usual errors for an invalid one); its own warnings
    are passed on and also returned, to tell the rolled plan's new ones apart."""
    with warnings.catch_warnings(record=True) as caught, gc_paused():
        warnings.simplefilter("always", GendocWarning)
        src, plan = open_plan(path)
    for w in caught:  # the input's own warnings are still the clerk's business
        warnings.warn(w.message, w.category, stacklevel=2)
    return src, plan, [str(w.message) for w in caught if issubclass(w.category, GendocWarning)]


def years_for(src: Source, plan: Plan, to_year: int | None) -> tuple[int, int]:
    """(from, to): the plan's year (meta.year, else the year of its date or 文号, else of its
    earliest date) and the target year, checked against the schema's range."""
    from_year = plan_year(plan)
    if from_year is None:
        firsts = [_first(v).year for _, v in iter_date_fields(plan)]
        if not firsts:
            raise GendocError("计划没有年份（meta.year、meta.date、meta.doc_number）也没有日期，"
                              "不知道从哪一年滚动；请写上 meta.year", file=src.file)
        from_year = min(firsts)
    if to_year is None:
        to_year = from_year + 1
    lo, hi = year_bounds()
    if not lo <= to_year <= hi:
        raise GendocError(f"--to-year {to_year} 超出计划年份的范围（{lo}—{hi}）", file=src.file)
    if to_year == from_year:
        raise GendocError(f"计划已经是 {from_year} 年的，--to-year 要写另一个年份", file=src.file)
    return from_year, to_year


def roll_file(path, to_year: int | None = None, *, keep_dates: bool = False,
              output_name: str | None = None) -> RollResult:
    """Roll the plan at ``path`` to ``to_year`` (default: the next year). Raises GendocError
    for an invalid plan, a plan without a year, or a year outside the schema's range."""
    src, plan, before = open_for_roll(path)
    return roll(src, plan, to_year, keep_dates=keep_dates, output_name=output_name,
                warnings_before=before)


def roll(src: Source, plan: Plan, to_year: int | None = None, *, keep_dates: bool = False,
         output_name: str | None = None, warnings_before: list[str] = ()) -> RollResult:
    """Move every date of ``plan`` (read from ``src``) to ``to_year`` and list what to check.
    The cyclic garbage collector is paused meanwhile, as the loader does: a large plan is a
    large acyclic heap, and repeated full collections would make the roll quadratic."""
    with gc_paused():
        return _roll(src, plan, to_year, keep_dates, output_name, list(warnings_before))


def _roll(src: Source, plan: Plan, to_year: int | None, keep_dates: bool, output_name: str | None,
          warnings_before: list[str]) -> RollResult:
    from_year, to_year = years_for(src, plan, to_year)
    years = to_year - from_year
    dates = list(iter_date_fields(plan))
    name = output_name or src.file

    moves: list[Move] = []
    review: list[Review] = []
    weeks_of: dict[tuple, int] = {}  # block -> weeks its own date moved (a phase's when)
    describe = Labels(plan)
    for path, value in dates:
        owner = path[:-1]
        prefer = next((weeks_of[owner[:cut]] for cut in range(len(owner) - 1, -1, -1)
                       if owner[:cut] in weeks_of), None)
        found = src.resolve(path)
        if found is None:  # pragma: no cover - every validated value comes from the file
            continue
        node, written = found
        typed = node.value
        if isinstance(value, When):
            new, weeks, notes = shift_when(value, years, keep_dates, prefer)
            text = respell(typed, new)
            first = _dt.date(new.start.year, new.start.month, new.start.day) if new.start.day else None
        else:
            new_day, weeks, notes = shift_date(value, years, keep_dates, prefer)
            new = When(Point(new_day.year, new_day.month, new_day.day))
            text = respell(typed, new)
            first = new_day
        src.set_node(node, written, text)
        if weeks is not None:
            weeks_of.setdefault(owner, weeks)
        label = describe(path)
        line = src.node_line(node)
        moves.append(Move(written, line, label, typed, text, weeks, notes, first, new))
        for note in notes:
            review.append(Review("date_rule", written, line, label, typed, note))
        if weeks is not None and path[-1] == "when" and isinstance(value, When) and value.end is None \
                and value.start.day and not value.start.extra_days:
            fixed = _FIXED_DAYS.get((value.start.month, value.start.day))
            if fixed:
                review.append(Review("fixed_day", written, line, label, typed,
                                     f"{value.start.month}月{value.start.day}日是{fixed}，按星期移到了"
                                     f"{new.start.month}月{new.start.day}日；若活动定在这一天，请改回"
                                     f"{to_year}-{value.start.month:02d}-{value.start.day:02d}"))

    doc = _roll_doc_number(src, plan, years, review)
    _roll_meta_year(src, years)
    text = src.text_out()
    try:
        new_plan, after = src.validate_edited(src.file)
    except GendocError as exc:  # a date pushed past the schema's last year
        raise GendocError(f"滚动到 {to_year} 年后这里不再有效，没有写出文件：{exc.message}", file=exc.file,
                          line=exc.line, field=exc.field) from None
    moves.sort(key=lambda m: m.line or 0)
    hits = _hits(moves)
    review += _review(src, plan, describe, years, {m.path for m in moves})
    review += _new_warnings(warnings_before, after, describe)
    review.sort(key=lambda r: (r.line or 0, r.kind))
    return RollResult(src, plan, new_plan, text, from_year, to_year, keep_dates, moves, hits, review,
                      doc, holiday_package(), name)


def _first(v) -> _dt.date:
    return v.first if isinstance(v, When) else v


def _roll_doc_number(src: Source, plan: Plan, years: int, review: list[Review]) -> dict | None:
    """发文字号 of the documents the plan issues (the main one, each 会议通知 given its own):
    the year moves; the sequence number is cleared (seq: null) where the schema allows it,
    else kept and listed for re-entry. A basis document's 文号 is another organ's: kept.
    Returns the main document's."""
    main = None
    for path, dn, label in _issued_doc_numbers(plan, Labels(plan)):
        done = _roll_one_doc_number(src, dn, path, label, years, review)
        main = done if path == ("meta", "doc_number") else main
    return main


def _issued_doc_numbers(plan: Plan, describe: Labels) -> Iterator[tuple[tuple, DocNumber, str]]:
    from .lint import walk   # the plan walk lint owns (lint builds on this module: imported here)
    if plan.meta.doc_number is not None:
        yield ("meta", "doc_number"), plan.meta.doc_number, "发文字号"
    for n in walk(plan):
        if isinstance(n.value, MeetingNotice) and n.value.doc_number is not None:
            yield n.path + ("doc_number",), n.value.doc_number, describe(n.path + ("doc_number",))


def _roll_one_doc_number(src: Source, dn: DocNumber, path: tuple, label: str, years: int,
                         review: list[Review]) -> dict:
    new_year = dn.year + years
    src.set(path + ("year",), str(new_year))
    cleared = seq_optional() and dn.seq is not None
    if cleared:
        src.set(path + ("seq",), "null")
    line = src.line(path + ("seq",)) or src.line(path)
    old = str(dn)
    new = f"{dn.code}〔{new_year}〕" + ("　号" if cleared or dn.seq is None else f"{dn.seq}号")
    note = ("顺序号已清空（seq: null），请向文书部门取号后填写" if cleared else
            f"顺序号 {dn.seq} 是上一年的，请取新号后改写 seq（计划格式目前要求必须有顺序号，所以暂时保留）")
    # the main 发文字号 has its own line in the report; a 会议通知's is listed for checking
    kind = "doc_number" if path == ("meta", "doc_number") else "notice_doc_number"
    review.append(Review(kind, path + ("seq",), line, label, f"{old} → {new}" if kind != "doc_number" else old, note))
    return {"old": old, "new": new, "line": line, "seq_cleared": cleared, "note": note}


def _roll_meta_year(src: Source, years: int) -> None:
    """meta.year moves when the clerk typed it; a derived year is never written."""
    typed = src.get(("meta", "year"))
    if typed is not None and typed.strip().lstrip("+").isdigit():
        src.set(("meta", "year"), str(int(typed) + years))


def _hits(moves: list[Move]) -> list[Hit]:
    out = []
    for m in moves:
        for d in dict.fromkeys(d for p in _points(m.value) for d in _days(p)):
            ok, why, known = day_status(d)
            if not ok:
                out.append(Hit(m.path, m.line, m.label, d, why, nearest_workday(d), known))
    return out


def _iter_strings(data, path=(), skip=frozenset()):
    """(path, text) of every string in loaded plan data, in document order, leaving out the
    subtrees in ``skip`` (an explicit stack: nested generators cost a frame per level per string)."""
    stack = [(path, data)]
    while stack:
        here, value = stack.pop()
        if isinstance(value, str):
            yield here, value
        elif isinstance(value, dict):
            kids = [(here + (k,), v) for k, v in value.items()]
            stack.extend(reversed([kv for kv in kids if kv[0] not in skip]))
        elif isinstance(value, list):
            stack.extend(reversed([(here + (i,), v) for i, v in enumerate(value)]))


def _suggest(kind: str, m: re.Match, years: int) -> str:
    if kind in ("counter", "anniversary"):
        num, word = (m["cn"], m["cw"]) if kind == "counter" else (m["an"], m["aw"])
        n = cn_value(num)
        if n is None:
            return ""
        new = str(n + years) if num.isdigit() else cn_number(n + years)
        return f"是否改为“{'第' if kind == 'counter' else ''}{new}{word}”？"
    if kind == "year":
        return f"它不在日期字段里，不会自动移动；是否改为“{m[0].replace(m['yn'], str(int(m['yn']) + years))}”？"
    return ""


_NOTES = {
    "counter": "期数、批次、届次：新一年通常要加一",
    "anniversary": "周年数：新一年要加一",
    "congress": "会议届次或代表大会名称：新一年可能已是下一次",
    "year": "正文里写了年份",
    "date": "正文里写了日期：它不在日期字段里，不会自动移动",
    "one_year": "只对当年成立的说法",
}


def _review(src: Source, plan: Plan, describe: Labels, years: int, date_paths: set[tuple]) -> list[Review]:
    out: list[Review] = []
    data = src.data if src.data is not None else {}

    def add(kind, path, text, note, needle=None):
        out.append(Review(kind, path, src.line(path, needle or text), describe(path), text, note))

    for key, value in (data.get("context") or {}).items():
        shown = "、".join(map(str, value)) if isinstance(value, list) else str(value)
        add("context", ("context", key), shown,
            "年度专名（活动、批次、会议届次、领导等）：新一年请逐个核对", needle=str(key))

    for path, text in _iter_strings(data, skip=_NOT_PROSE):
        if path in date_paths:
            continue
        found: dict[str, list[re.Match]] = {}
        for m in _PROSE.finditer(text):
            found.setdefault(m.lastgroup, []).append(m)
        if path[0] == "calendar" and path[-1] == "label":
            found.pop("date", None)  # a calendar entry's label is the date as the prose writes it
        for kind, ms in found.items():
            words = list(dict.fromkeys(m[0] for m in ms))
            note = _NOTES[kind]
            extra = "；".join(filter(None, (_suggest(kind, m, years) for m in ms[:3])))
            if kind == "year" and path[-1] in ("lead", "sections_lead"):
                extra += "；这是模板字段，可写成 {{ year }}年，以后随计划年度自动变"
            if kind == "year" and path[:1] == ("attachments",) and path[-1] == "title":
                kind, note = "attachment", "附件标题带年份：" + note
            add(kind, path, "、".join(words), note + (("；" + extra) if extra else ""), needle=words[0])

    targets = plan.targets.items if plan.targets else []
    for i, t in enumerate(targets):
        bound = _YEAR_BOUND.search(t.text) or any(m.period or m.deadline for m in t.metrics)
        if bound:
            path = ("targets", "items", i)
            add("target", path, t.text[:40] + ("……" if len(t.text) > 40 else ""),
                "目标像是只管这一年的（写了年份、年内、全年或有期限）：新一年的目标值请重新确认")
    if targets:
        add("targets", ("targets",), f"{len(targets)} 条目标",
            "目标的数值沿用了上一年的：请逐条确认新一年的数值", needle="targets")

    basis = plan.preamble.basis if plan.preamble else []
    for i, b in enumerate(basis):
        ref = f"《{b.title}》" + (f"（{b.doc_number}）" if b.doc_number else "")
        add("basis", ("preamble", "basis", i), ref, "依据文件：新一年是否有新的依据文件和文号？（依据文件的文号不会自动移动）",
            needle=None)
    if plan.leading_group:
        add("leading_group", ("leading_group",), plan.leading_group.name,
            "领导小组名单：人事变动请核对", needle="leading_group")
    for i, c in enumerate(plan.calendar):
        if c.rollover:
            add("rollover", ("calendar", i, "rollover"), c.rollover, f"换年时要做的事：{c.what}")
    return out


_LOCATED = re.compile(r"^(?P<file>.*?):(?P<line>\d+): (?:(?P<field>[\w.\[\]]+): )?(?P<msg>.*)$")


def _new_warnings(before: list[str], after: list[str], describe: Labels) -> list[Review]:
    """Warnings the rolled plan gives that the original did not (a month-level item that
    now sticks out of a phase that moved by weeks)."""
    def key(msg: str):
        m = _LOCATED.match(msg)
        if not m:
            return None, msg
        return m["field"], re.sub(r"\d", "", m["msg"])
    old = {key(w) for w in before}
    out = []
    for w in after:
        k = key(w)
        if k in old or k[0] == "meta.doc_number":  # the cleared 文号 sequence: listed already
            continue
        m = _LOCATED.match(w)
        if m and m["field"]:
            path = _parse_dotted(m["field"])
            out.append(Review("check", path, int(m["line"]), describe(path), "",
                              "滚动后的检查提示：" + m["msg"]))
        else:
            out.append(Review("check", (), None, "", "", w))
    return out


def _parse_dotted(s: str) -> tuple:
    out: list = []
    for name, idx in re.findall(r"([^.\[\]]+)|\[(\d+)\]", s):
        out.append(int(idx) if idx else name)
    return tuple(out)


# ----------------------------------------------------------------- the report

def _holiday_line(r: RollResult) -> str:
    if r.holiday_data is None:
        return "没有安装节假日数据包 chinesecalendar：只检查了周末，法定节假日和调休请自行核对。"
    name, lo, hi = r.holiday_data
    missing = r.missing_holiday_years()
    line = f"节假日数据：{name}，收录 {lo}—{hi} 年国务院办公厅公布的放假和调休安排。"
    if missing:
        ys = "、".join(map(str, missing))
        line += (f"{ys} 年没有数据：这些年份只检查了周末，法定节假日和调休没有检查，"
                 "请对照国务院办公厅当年的放假通知核对。")
    return line


def _rule_line(r: RollResult) -> str:
    if r.keep_dates:
        return "按日历移动（--keep-dates）：月、日不变，2月29日改为2月28日"
    return f"保持星期：具体日期移动整周（{abs(r.years)} 年约 {abs(round(r.years * 365.2425 / 7))} 周），月、旬、季、半年按年移动"


def format_text(r: RollResult, limit: int = 60) -> str:
    """The report as printed by ``gendoc roll``."""
    out = [f"已从 {r.from_year} 年滚动到 {r.to_year} 年：{r.source.file} → {r.output}",
           f"规则：{_rule_line(r)}。"]
    out.append(f"\n移动了 {len(r.moves)} 处日期：")
    for m in r.moves[:limit]:
        out.append("  " + _move_text(m))
    if len(r.moves) > limit:
        out.append(f"  ……其余 {len(r.moves) - limit} 处见 --report 报告")
    if r.doc_number:
        d = r.doc_number
        out.append(f"\n发文字号（第 {d['line']} 行）：{d['old']} → {d['new']}：{d['note']}。")
    out.append(f"\n落在周末或节假日的日期：{len(r.hits)} 处" + ("，建议改到最近的工作日：" if r.hits else "。"))
    for h in r.hits:
        out.append("  " + _hit_text(h))
    out.append(_holiday_line(r))
    items = [x for x in r.review if x.kind != "doc_number"]
    out.append(f"\n请核对（计算机无法判断的 {len(items)} 项）：")
    for x in items:
        out.append("  " + _review_text(x))
    return "\n".join(out) + "\n"


def _at(line) -> str:
    return f"第 {line} 行" if line else "（位置不明）"


def _move_text(m: Move) -> str:
    wd = f"（{weekday(m.first_day)}）" if m.first_day else ""
    return f"{_at(m.line)}  {m.label}：{m.old} → {m.new}{wd}"


def _hit_text(h: Hit) -> str:
    tail = f"；建议 {h.suggestion.isoformat()}（{weekday(h.suggestion)}）" if h.suggestion else ""
    known = "" if h.known else "（该年没有节假日数据，只按周末判断）"
    return f"{_at(h.line)}  {h.label}：{h.day.isoformat()} 是{h.why}{known}{tail}"


def _review_text(x: Review) -> str:
    what = f"“{x.text}”" if x.text else ""
    return f"{_at(x.line)}  {x.label}{('：' + what) if what else ''}——{x.note}"


def format_markdown(r: RollResult) -> str:
    def cell(s) -> str:
        return str(s if s is not None else "").replace("|", "\\|").replace("\n", " ")
    out = [f"# 年度滚动报告：{r.from_year} → {r.to_year}", "",
           f"- 原计划：`{r.source.file}`", f"- 新计划：`{r.output}`", f"- 规则：{_rule_line(r)}",
           f"- {_holiday_line(r)}", ""]
    if r.doc_number:
        d = r.doc_number
        out += ["## 发文字号", "", f"第 {d['line']} 行：{d['old']} → {d['new']}：{d['note']}。", ""]
    out += [f"## 落在周末或节假日的日期（{len(r.hits)}）", ""]
    if r.hits:
        out += ["| 行 | 位置 | 日期 | 原因 | 建议的工作日 |", "|---|---|---|---|---|"]
        out += [f"| {h.line} | {cell(h.label)} | {h.day.isoformat()}（{weekday(h.day)}） | {cell(h.why)}"
                f"{'' if h.known else '（无节假日数据）'} | "
                f"{h.suggestion.isoformat() + '（' + weekday(h.suggestion) + '）' if h.suggestion else ''} |"
                for h in r.hits]
    else:
        out.append("没有。")
    items = [x for x in r.review if x.kind != "doc_number"]
    out += ["", f"## 请核对（{len(items)}）", "", "| 行 | 位置 | 内容 | 说明 |", "|---|---|---|---|"]
    out += [f"| {x.line or ''} | {cell(x.label)} | {cell(x.text)} | {cell(x.note)} |" for x in items]
    out += ["", f"## 移动的日期（{len(r.moves)}）", "", "| 行 | 位置 | 原来 | 现在 | 规则 |",
            "|---|---|---|---|---|"]
    out += [f"| {m.line} | {cell(m.label)} | `{m.old}` | `{m.new}`"
            f"{'（' + weekday(m.first_day) + '）' if m.first_day else ''} | "
            f"{'移动 ' + str(m.weeks) + ' 周' if m.weeks is not None else '按日历'} |" for m in r.moves]
    return "\n".join(out) + "\n"


def to_json(r: RollResult) -> dict:
    hd = r.holiday_data
    return {
        "input": r.source.file, "output": r.output, "from_year": r.from_year, "to_year": r.to_year,
        "rule": "calendar" if r.keep_dates else "weekday",
        "holiday_data": {"package": hd[0], "first_year": hd[1], "last_year": hd[2],
                         "years_without_data": r.missing_holiday_years()} if hd else None,
        "doc_number": r.doc_number,
        "moves": [m.as_json() for m in r.moves],
        "hits": [h.as_json() for h in r.hits],
        "review": [x.as_json() for x in r.review],
    }


def format_json(r: RollResult) -> str:
    """The report as JSON: one line per key, and per entry of the lists (readable, and written
    by the C encoder: ``indent`` would take the pure-Python one, seconds for 10,000 dates)."""
    def dump(v) -> str:
        return json.dumps(v, ensure_ascii=False)
    out = []
    for key, value in to_json(r).items():
        if isinstance(value, list) and value:
            body = ",\n    ".join(map(dump, value))
            out.append(f'  {dump(key)}: [\n    {body}\n  ]')
        else:
            out.append(f"  {dump(key)}: {dump(value)}")
    return "{\n" + ",\n".join(out) + "\n}\n"
