"""Dates as clerks write them, and Chinese numerals.

A plan never types a date inside prose: it puts a *date expression* in a ``when`` field and
the templates format it. The expression language (domain.md §4.1):

=================================  ===========================
``2014-02-28``                     2月28日
``2014-02-28..2014-03-07``         2月28日—3月7日
``2014-02``                        2月
``2014-02 份``                     2月份
``2014-02..2014-03``               2月至3月
``2014-04 上旬`` (中旬, 下旬, 中下旬, 上中旬, 初, 底, 末, 底前)  4月上旬
``2014-06 上旬..2014-09``          6月上旬至9月
``2014-03-07 起`` (开始, 以来, 前, 前夕, 上午, 下午, 晚)      3月7日起
``2010-09-15,20``                  9月15、20日
``2010-06,09``                     6月、9月
``2014-04 末起`` (上旬起, 中旬以来 …: a month part, then 起/开始/以来/前)  4月末起
``2003 上半年`` (下半年, 年内, 全年, 年初, 年底, 第一季度 …)   上半年
=================================  ===========================

The year is printed only when it differs from the plan's own year (``2014年2月至3月``), or
always with ``full=True`` (落款 and 印发日期 use :func:`format_full_date`).

babel formats the single dates (``format_date(..., 'long', locale='zh_CN')`` gives
2014年2月28日, the skeleton ``MMMd`` gives 2月28日); ranges are joined here with the 一字线 "—"
(GB/T 15834), which babel's interval formats do not use.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re
from dataclasses import dataclass

from babel import Locale
from babel.dates import format_date, format_skeleton

LOCALE = Locale.parse("zh_CN")  # parsed once: babel re-reads locale data for every string
RANGE_DASH = "—"  # U+2014, 一字线
RANGE_WORD = "至"

_MONTH_PARTS = ("上中旬", "中下旬", "上旬", "中旬", "下旬", "初", "底前", "底", "末", "份")
_DAY_SUFFIXES = ("起", "开始", "以来", "前夕", "前", "上午", "下午", "晚")
_YEAR_PARTS = ("上半年", "下半年", "年内", "全年", "年初", "年底", "年中",
               "第一季度", "第二季度", "第三季度", "第四季度")

_DAY_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAYS_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})((?:,\d{1,2})+)$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
_MONTHS_RE = re.compile(r"^(\d{4})-(\d{1,2})((?:,\d{1,2})+)$")
_YEAR_RE = re.compile(r"^(\d{4})$")


class DateError(ValueError):
    """A date expression that cannot be read or names a day that does not exist."""


# One year range for every year a plan holds: dates, date expressions, the 文号 year, the
# plan's year (plan.py uses these); roll refuses to move a plan outside it.
YEAR_MIN, YEAR_MAX = 1949, 2100


def check_year(y: int, text: str) -> int:
    if not YEAR_MIN <= y <= YEAR_MAX:
        raise DateError(f"“{text}”：年份 {y} 超出范围（{YEAR_MIN}—{YEAR_MAX}）")
    return y


def check_day(y: int, m: int, d: int, text: str) -> _dt.date:
    check_year(y, text)
    if not 1 <= m <= 12:
        raise DateError(f"“{text}”：月份 {m} 不存在（应为 1—12）")
    last = calendar.monthrange(y, m)[1]
    if not 1 <= d <= last:
        raise DateError(f"“{text}”：日期不存在，{y}年{m}月只有{last}天")
    return _dt.date(y, m, d)


def parse_iso_date(value) -> _dt.date:
    """``YYYY-MM-DD`` (a YAML date or a string) -> date, with a clerk-readable error."""
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        check_year(value.year, value.isoformat())
        return value
    if not isinstance(value, str):
        raise DateError(f"应为日期，写作 YYYY-MM-DD（如 2014-02-28），而不是 {value!r}")
    text = value.strip()
    m = _DAY_RE.match(text)
    if not m:
        raise DateError(f"“{text}”不是日期，应写作 YYYY-MM-DD（如 2014-02-28）")
    return check_day(int(m[1]), int(m[2]), int(m[3]), text)


@dataclass(frozen=True)
class Point:
    """One end of a date expression: a year, a month or a day, with an optional qualifier."""

    year: int
    month: int | None = None
    day: int | None = None
    extra_days: tuple[int, ...] = ()
    part: str = ""  # 上旬, 底前, 份, 上半年, 起, 末起 …
    extra_months: tuple[int, ...] = ()  # 6月、9月: month 6, extra_months (9,)

    @property
    def span_part(self) -> str:
        """The part that says which days are meant: 末 of 末起, 上旬 of 上旬开始."""
        for suffix in _DAY_SUFFIXES:
            if self.part.endswith(suffix) and self.part != suffix and self.part[:-len(suffix)] in _SPAN_PARTS:
                return self.part[:-len(suffix)]
        return self.part

    @property
    def first(self) -> _dt.date:
        if self.day:
            return _dt.date(self.year, self.month, self.day)
        if self.month:
            start = {"中旬": 11, "下旬": 21, "中下旬": 11, "底": 21, "末": 21, "底前": 21}
            return _dt.date(self.year, self.month, start.get(self.span_part, 1))
        half = {"下半年": 7, "第二季度": 4, "第三季度": 7, "第四季度": 10, "年底": 12, "年中": 6}
        return _dt.date(self.year, half.get(self.span_part, 1), 1)

    @property
    def last(self) -> _dt.date:
        if self.day:
            return _dt.date(self.year, self.month, max((self.day, *self.extra_days)))
        if self.month:
            month = max((self.month, *self.extra_months))
            end = {"上旬": 10, "初": 10, "上中旬": 20, "中旬": 20}
            return _dt.date(self.year, month,
                            end.get(self.span_part, calendar.monthrange(self.year, month)[1]))
        half = {"上半年": 6, "第一季度": 3, "第二季度": 6, "第三季度": 9, "年初": 3, "年中": 7}
        m = half.get(self.span_part, 12)
        return _dt.date(self.year, m, calendar.monthrange(self.year, m)[1])


def _parse_point(text: str, whole: str) -> Point:
    text = text.strip()
    base, _, part = text.partition(" ")
    part = part.strip()
    if m := _DAYS_RE.match(base):
        y, mo = int(m[1]), int(m[2])
        days = [int(m[3])] + [int(x) for x in m[4].split(",") if x]
        for d in days:
            check_day(y, mo, d, whole)
        if days != sorted(set(days)):
            raise DateError(f"“{whole}”：同月的几天要从早到晚写，且不能重复")
        return Point(y, mo, days[0], tuple(days[1:]), _check_part(part, _DAY_SUFFIXES, whole))
    if m := _DAY_RE.match(base):
        check_day(int(m[1]), int(m[2]), int(m[3]), whole)
        return Point(int(m[1]), int(m[2]), int(m[3]), (), _check_part(part, _DAY_SUFFIXES, whole))
    if m := _MONTHS_RE.match(base):
        check_year(int(m[1]), whole)
        months = [int(m[2])] + [int(x) for x in m[3].split(",") if x]
        for mo in months:
            if not 1 <= mo <= 12:
                raise DateError(f"“{whole}”：月份 {mo} 不存在（应为 1—12）")
        if months != sorted(set(months)):
            raise DateError(f"“{whole}”：几个月份要从早到晚写，且不能重复")
        return Point(int(m[1]), months[0], None, (), _check_part(part, ("份",), whole), tuple(months[1:]))
    if m := _MONTH_RE.match(base):
        check_year(int(m[1]), whole)
        mo = int(m[2])
        if not 1 <= mo <= 12:
            raise DateError(f"“{whole}”：月份 {mo} 不存在（应为 1—12）")
        return Point(int(m[1]), mo, None, (), _check_part(part, _MONTH_PARTS + _DAY_SUFFIXES, whole))
    if m := _YEAR_RE.match(base):
        check_year(int(m[1]), whole)
        return Point(int(m[1]), None, None, (), _check_part(part, _YEAR_PARTS + _DAY_SUFFIXES, whole))
    raise DateError(
        f"“{whole}”不是日期表达式：应写作 2014-02-28、2014-02-28..2014-03-07、"
        "2014-04 上旬、2014-03 底前 或 2003 上半年 等")


_SPAN_PARTS = _MONTH_PARTS + _YEAR_PARTS


def _check_part(part: str, allowed: tuple[str, ...], whole: str) -> str:
    """A qualifier from ``allowed``, or a span part followed by an open start or end
    (4月末起, 10月中旬以来, 年底前) where both halves are allowed here."""
    part = part.replace(" ", "")
    if not part or part in allowed:
        return part
    for suffix in _DAY_SUFFIXES:
        head = part[:-len(suffix)]
        if part.endswith(suffix) and head in allowed and head in _SPAN_PARTS and suffix in allowed:
            return part
    raise DateError(f"“{whole}”：不认识“{part}”，这里可用：{'、'.join(allowed)}"
                    "（或其中的时段加 起、开始、以来、前，如 末起）")


@dataclass(frozen=True)
class When:
    """A parsed date expression: one point, or a range of two."""

    start: Point
    end: Point | None = None
    source: str = ""

    @classmethod
    def parse(cls, value) -> "When":
        if isinstance(value, When):
            return value
        if isinstance(value, (_dt.date, _dt.datetime)):
            d = parse_iso_date(value)
            return cls(Point(d.year, d.month, d.day), None, d.isoformat())
        if isinstance(value, int) and 1000 <= value <= 9999:
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise DateError(f"应为日期表达式（如 2014-02-28 或 2014-04 上旬），而不是 {value!r}")
        text = " ".join(value.split())
        if ".." in text:
            a, _, b = text.partition("..")
            start, end = _parse_point(a, text), _parse_point(b, text)
            if end.last < start.first or (end.first < start.first):
                raise DateError(f"“{text}”：结束日期早于开始日期")
            return cls(start, end, text)
        return cls(_parse_point(text, text), None, text)

    @property
    def first(self) -> _dt.date:
        return self.start.first

    @property
    def last(self) -> _dt.date:
        return (self.end or self.start).last

    def within(self, other: "When") -> bool:
        return other.first <= self.first and self.last <= other.last

    def __str__(self) -> str:
        return self.source

    def format(self, plan_year: int | None = None, numerals: str = "arabic") -> str:
        """Render as clerks write it: 2月28日—3月7日, 4月上旬, 2014年2月至3月 …"""
        s, e = self.start, self.end
        show_year = plan_year is None or s.year != plan_year or (e is not None and e.year != s.year)
        if e is None or e == s:
            return _fmt_point(s, show_year, numerals)
        if s.day and e.day and not s.part and not e.part and not s.extra_days:
            return (_fmt_point(s, show_year, numerals) + RANGE_DASH
                    + _fmt_point(e, show_year and e.year != s.year, numerals))
        same_year = e.year == s.year
        return (_fmt_point(s, show_year, numerals) + RANGE_WORD
                + _fmt_point(e, not same_year, numerals))


def _month_word(m: int, numerals: str) -> str:
    return f"{cn_number(m)}月" if numerals == "chinese" else f"{m}月"


def _fmt_point(p: Point, show_year: bool, numerals: str) -> str:
    if p.day:
        d = _dt.date(p.year, p.month, p.day)
        if p.extra_days:
            days = "、".join(str(x) for x in (p.day, *p.extra_days))
            text = (f"{p.year}年" if show_year else "") + f"{p.month}月{days}日"
        elif numerals == "chinese":
            text = (f"{p.year}年" if show_year else "") + f"{cn_number(p.month)}月{cn_number(p.day)}日"
        elif show_year:
            text = format_date(d, "long", locale=LOCALE)
        else:
            text = format_skeleton("MMMd", d, locale=LOCALE)
        return text + p.part
    if p.month:
        months = "、".join(_month_word(m, numerals) + (p.part if p.extra_months else "")
                           for m in (p.month, *p.extra_months))
        text = (f"{p.year}年" if show_year else "") + months
        return text if p.extra_months else text + p.part
    if p.part:
        return (f"{p.year}年" if show_year else "") + p.part
    return f"{p.year}年"


def format_full_date(d: _dt.date) -> str:
    """成文日期 and 印发日期: Arabic numerals, full year, no zero padding (GB/T 9704 7.3.5.4)."""
    return format_date(d, "long", locale=LOCALE)


_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十, 105 -> 一百零五, 1010 -> 一千零一十,
    20001 -> 二万零一 (for 一、 and （一） numbering; any count a plan can hold)."""
    if n < 0:
        raise ValueError(n)
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    if n < 100_000_000:
        return _cn_grouped(n)
    raise ValueError(f"数字太大：{n}")


def _cn_below_10000(n: int) -> str:
    """1..9999 with every unit written (一十 inside a number: 一千零一十)."""
    out, zero = [], False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // value % 10
        if digit:
            if zero and out:
                out.append("零")
            out.append(_DIGITS[digit] + unit)
            zero = False
        else:
            zero = True
    return "".join(out)


def _cn_grouped(n: int) -> str:
    high, low = divmod(n, 10_000)
    if not high:
        text = _cn_below_10000(low)
        return text[1:] if text.startswith("一十") else text   # 十二, not 一十二
    head = cn_number(high) + "万"
    if not low:
        return head
    return head + ("零" if low < 1000 else "") + _cn_below_10000(low)
