"""The plan's dates as iCalendar (RFC 5545), written with the ``icalendar`` library.

Every :class:`~gendoc.dates.When` in the validated plan becomes an event, wherever the schema
puts it (the same generic walk as :mod:`gendoc.lint`): a meeting's ``when`` (with its presider,
place, speakers, attendees… in DESCRIPTION and LOCATION), a phase's span, every ``deadline``
(tasks, responsibilities, metrics, rectifications) and every other dated thing (items,
sections, calendar entries).

Dates are those of :mod:`gendoc.dates` (``Point.first``/``Point.last``), never re-read from
text: 4月上旬 is the all-day span 1—10日, 中旬 11—20日, 下旬 21日—月末, 上半年 1月1日—6月30日;
月底前 is the month's last day; 3月7日前/起 is that day. A day with 上午/下午/晚 is a timed
event in Asia/Shanghai (TZID with its VTIMEZONE): 08:30—12:00, 14:30—18:00, 19:00—21:00.
``2010-09-15,20`` gives one event per day.

UIDs are stable: a hash of the plan's identity (the issuer's name and the 文号's 机关代字 and
year, or the title when there is no 文号) and of the event's content key (its kind, the name or
title of what is dated, the field, the day's place in a list of days, and a counter when two
keys are equal). Re-importing after changing a date, a place, people, text or the order of
things updates the event; renaming the meeting (item, task), changing the issuer, the 文号's
代字 or year (a new year's plan), or the title of a plan without 文号 makes a new event.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from .dates import Point, When
from .errors import GendocError
from .lint import label as _label, walk
from .loader import dotted
from .outputs import check_destination, write_atomic
from .plan import Meeting, Phase, Plan, load_plan

TZ = ZoneInfo("Asia/Shanghai")
_TIMES = {"上午": ((8, 30), (12, 0)), "下午": ((14, 30), (18, 0)), "晚": ((19, 0), (21, 0))}
_MEETING_LINES = (("presider", "主持"), ("duration", "会期"), ("speakers", "讲话"),
                  ("attendees", "参加人员"), ("guidance", "邀请到会指导"), ("observers", "列席"),
                  ("text", "主要内容"), ("requirements", "有关要求"), ("follow_up", "会后"))


@dataclass
class Entry:
    kind: str            # 会议, 阶段, 期限, 日程
    key: str             # content key for the UID
    summary: str
    first: _dt.date
    last: _dt.date
    times: tuple | None = None          # ((h, m), (h, m)) in Asia/Shanghai
    location: str | None = None
    description: list[str] = field(default_factory=list)
    path: tuple = ()


def _days(p: Point) -> list[tuple[_dt.date, _dt.date]]:
    if p.day:
        return [(_dt.date(p.year, p.month, d),) * 2 for d in (p.day, *p.extra_days)]
    if p.part == "底前":          # 月底前: the last day of the month
        return [(p.last, p.last)]
    return [(p.first, p.last)]


def _spans(w: When) -> list[tuple[_dt.date, _dt.date]]:
    if w.end is None:
        return _days(w.start)
    return [(_days(w.start)[0][0], _days(w.end)[-1][1])]


def entries(plan: Plan) -> list[Entry]:
    """One entry per dated thing (per day for 9月15、20日), in plan order."""
    year = plan.meta.plan_year
    out: list[Entry] = []
    for n in walk(plan):
        if not isinstance(n.value, When):
            continue
        w: When = n.value
        owner = n.owners[-1][1] if n.owners else None
        phase = next((m for _, m in reversed(n.owners) if isinstance(m, Phase) and m is not owner), None)
        label = (_label(owner, None) if owner is not None else "") or dotted(n.path)
        # a summary is a title: no final full stop (the text itself goes in DESCRIPTION)
        short = ((_label(owner, 40) if owner is not None else "") or label).rstrip("。；，、")
        desc, location = [], None
        if owner is not None and n.path[-1] == "when":   # a meeting, or an event of a new kind
            place = getattr(owner, "place", None)
            location = place if isinstance(place, str) and place else None
            for name, word in _MEETING_LINES:
                v = getattr(owner, name, None)
                if v and isinstance(v, (str, list)) and (name != "text" or isinstance(owner, Meeting)):
                    desc.append(f"{word}：{'、'.join(map(str, v)) if isinstance(v, list) else v}")
        if isinstance(owner, Meeting) and n.path[-1] == "when":
            kind, summary = "会议", owner.name
        elif isinstance(owner, Phase) and n.path[-1] == "when":
            kind, summary = "阶段", f"阶段：{owner.name}"
            if owner.focus:
                desc.append(owner.focus)
        elif n.path[-1] == "deadline":
            kind, summary = "期限", f"截止：{short}"
            for name, word in (("lead", "牵头"), ("support", "配合"), ("responsible", "具体负责"),
                               ("unit", "责任单位"), ("leader", "责任领导"), ("output", "成果")):
                v = getattr(owner, name, None)
                if v:
                    desc.append(f"{word}：{'、'.join(v) if isinstance(v, list) else v}")
        else:
            kind, summary = "日程", short
            text = getattr(owner, "text", None)
            if isinstance(text, str) and text and text != short:
                desc.append(text)
        desc.append(f"时间：{w.format(year)}")
        if phase is not None:
            desc.append(f"所属阶段：{phase.name}（{phase.when.format(year)}）")
        times = None
        if w.end is None and w.start.day and w.start.part in _TIMES:
            times = _TIMES[w.start.part]
        spans = _spans(w)
        for i, (first, last) in enumerate(spans):
            key = "\x1f".join((kind, label, str(n.path[-1]), str(i) if len(spans) > 1 else ""))
            out.append(Entry(kind, key, summary, first, last, times, location, desc, n.path))
    return out


def _identity(plan: Plan) -> str:
    m = plan.meta
    if m.doc_number is not None:
        return f"{m.issuer.name}\x1f{m.doc_number.code}\x1f{m.doc_number.year}"
    return f"{m.issuer.name}\x1f{m.title}"


def build_calendar(plan: Plan, now: _dt.datetime | None = None) -> tuple[Calendar, int]:
    """The plan as a VCALENDAR and the number of events; no dates at all is an error."""
    items = entries(plan)
    if not items:
        raise GendocError("计划里没有可以放进日历的日期：会议、阶段、条目的 when 和任务、指标的 "
                          "deadline 都没有写；请先在这些字段里写上日期（如 when: 2014-03-07）",
                          file=getattr(plan, "_file", None))
    stamp = (now or _dt.datetime.now(_dt.timezone.utc)).astimezone(_dt.timezone.utc)
    cal = Calendar()
    cal.add("prodid", "-//gendoc//计划日历//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", plan.meta.title)
    cal.add("x-wr-timezone", "Asia/Shanghai")
    identity = _identity(plan)
    seen: dict[str, int] = {}
    for e in items:
        seen[e.key] = seen.get(e.key, 0) + 1
        digest = hashlib.sha256(f"{identity}\x1e{e.key}\x1e{seen[e.key]}".encode("utf-8")).hexdigest()
        ev = Event()
        ev.add("uid", f"{digest[:32]}@gendoc")
        ev.add("dtstamp", stamp)
        ev.add("summary", e.summary)
        if e.times:
            (h1, m1), (h2, m2) = e.times
            ev.add("dtstart", _dt.datetime.combine(e.first, _dt.time(h1, m1), TZ))
            ev.add("dtend", _dt.datetime.combine(e.last, _dt.time(h2, m2), TZ))
        else:   # all-day: DTEND is the day after the last (exclusive)
            ev.add("dtstart", e.first)
            ev.add("dtend", e.last + _dt.timedelta(days=1))
        if e.location:
            ev.add("location", e.location)
        ev.add("description", "\n".join(e.description))
        ev.add("categories", [e.kind])
        ev.add("transp", "OPAQUE" if e.kind == "会议" else "TRANSPARENT")
        cal.add_component(ev)
    cal.add_missing_timezones()
    return cal, len(items)


def output_for(plan_path: Path, output) -> Path:
    if output is None:
        return plan_path.with_suffix(".ics")
    out = Path(output)
    if out.is_dir():
        return out / f"{plan_path.stem}.ics"
    if out.suffix.lower() != ".ics":
        raise GendocError("日历文件名应以 .ics 结尾", file=str(output))
    return out


def export_file(plan_path: Path, output=None) -> tuple[Path, int]:
    """``gendoc calendar``: load, build, check the destination, write atomically."""
    plan = load_plan(plan_path)
    target = output_for(Path(plan_path), output)
    dest = check_destination(target, plan=Path(plan_path)).path
    if dest.is_file() and dest.stat().st_size:
        with open(dest, "rb") as fh:
            head = fh.read(64).lstrip(b"\xef\xbb\xbf").lstrip()
        if not head.upper().startswith(b"BEGIN:VCALENDAR"):
            raise GendocError("已有的这个文件不是日历文件（.ics）；为免覆盖它，请换一个输出文件名",
                              file=str(dest))
    cal, count = build_calendar(plan)
    write_atomic(dest, cal.to_ical())
    return dest, count
