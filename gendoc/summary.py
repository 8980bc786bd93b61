"""The 总结 (summary) genre: numbers printed from data, counts, and a 总结 started from a plan.

A 总结 reports what was done with numbers: 11306人次, 66275元, 88%以上, 80余人. They are
:class:`~gendoc.plan.Statistic` values in the plan and printed here, by Chinese numeric
conventions (GB/T 15835-2011 出版物上数字用法): Arabic digits with no thousands separator
(babel's zh_CN decimal format without grouping), a range joined by the 一字线 with % repeated
(15%—20%) and other units written once (20—45岁), qualifiers where clerks put them
(约80人, 80余人, 88%以上).

:func:`starter_from_plan` writes the 总结 of a plan before it is filled in: the plan's phases
and meetings become its 主要做法, each outcome a visible placeholder for the clerk.
"""

from __future__ import annotations

import json
from pathlib import Path

from babel.numbers import format_decimal

from .dates import LOCALE

_BEFORE = ("约", "近", "超过", "不到")        # 约80人
_INSIDE = ("余", "多")                      # 80余人
_REPEATED_UNITS = ("%", "‰", "％")          # 15%—20%, not 15—20%
RANGE_DASH = "—"


def format_number(value: float | int) -> str:
    """66275 -> 66275, 88.5 -> 88.5, 88.0 -> 88 (no grouping: 66275元, not 66,275元)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return format_decimal(value, locale=LOCALE, group_separator=False)


def format_statistic(stat) -> str:
    """A :class:`~gendoc.plan.Statistic` as clerks print it: 11306人次, 88%以上, 80余人, 15%—20%."""
    unit, q = stat.unit or "", stat.qualifier
    if isinstance(stat.value, list):
        low, high = (format_number(v) for v in stat.value)
        number = f"{low}{unit if unit in _REPEATED_UNITS else ''}{RANGE_DASH}{high}"
    else:
        number = format_number(stat.value)
    text = f"{number}{q if q in _INSIDE else ''}{unit}"
    if q in _BEFORE:
        return q + text
    if q and q not in _INSIDE:
        return text + q
    return text


# ---------------------------------------------------------------- a 总结 from its plan

def _q(value) -> str:
    """A YAML scalar: JSON's double-quoted string is valid YAML, and safe for any text."""
    return json.dumps(str(value), ensure_ascii=False)


def _summary_title(title: str) -> str:
    """关于印发《县卫生局……实施方案》的通知 -> 县卫生局……总结."""
    inner = title.split("《", 1)[1].rsplit("》", 1)[0] if "《" in title and "》" in title else title
    inner = inner.removeprefix("关于")
    for suffix in ("实施方案", "工作方案", "工作计划", "工作要点", "方案", "计划", "要点", "的通知", "通知"):
        if inner.endswith(suffix):
            return inner[: -len(suffix)] + "总结"
    return inner + "总结"


def starter_from_plan(path) -> str:
    """A commented YAML 总结 plan for the plan at ``path``: its phases become the 主要做法
    (one heading each), its items and meetings the events held, with their dates and names;
    what was achieved is left as visible placeholders (待填写：……) for the clerk.

    The text loads, validates and renders as it is (``gendoc render``), so a clerk sees the
    shape of the 总结 at once and fills in the placeholders."""
    from .plan import load_plan
    plan = load_plan(Path(path))
    m, year = plan.meta, plan.meta.plan_year
    issuer = m.issuer
    who = issuer.short or issuer.name
    out = [
        f"# 总结：由 {Path(path).name} 生成。各阶段成为“主要做法”，会议和有日期的工作成为开展的活动；",
        "# 凡“待填写”处改写为实际做法和成效；文字里的数字写成统计数 {value: 数, unit: 单位}，",
        "# 由程序排印（11306人次、88%以上）。改好后运行：gendoc render 总结.yaml --pdf && gendoc verify 总结.docx",
        "schema_version: 1",
        "template: summary",
        "meta:",
        "  genre: 总结",
        f"  title: {_q(_summary_title(m.title))}",
        "  issuer:",
        f"    name: {_q(issuer.name)}",
    ]
    out += [f"    {k}: {_q(getattr(issuer, k))}" for k in ("short", "self_ref") if getattr(issuer, k)]
    if year:
        out.append(f"  year: {year}             # 总结所述年度：同年的日期不写年份")
    out += ["  # date: YYYY-MM-DD        # 成文日期", "summary:",
            f"  opening: {_q(f'自开展工作以来，{who}精心组织，狠抓落实，各项工作取得了初步成效。现将工作开展情况总结如下：')}",
            "  practices:"]
    practices = [(ph.name, f"阶段：{ph.when}", ph.items, ph.meetings) for ph in plan.phases] or \
                [(sec.heading, "部分", sec.items, []) for sec in plan.sections]
    if plan.meetings:
        practices.append(("召开会议", "计划中的会议", [], plan.meetings))
    if not practices:
        practices = [("待填写：做法标题", "", [], [])]
    for heading, note, items, meetings in practices:
        out += [f"    - heading: {_q(heading)}" + (f"      # {note}" if note else ""),
                f"      paras: [{_q(f'待填写：{heading}方面的主要做法，开展了哪些工作，覆盖了多少单位和人员，解决了哪些问题，取得了哪些成效。')}]"]
        events = [(i.title or i.text[:20], i.when, [], "开展了") for i in items if i.when] + \
                 [(mt.name, mt.when, list(mt.attendees), "召开了") for mt in meetings]
        undated = [i.title or i.text[:20] for i in items if not i.when]
        if events:
            out.append("      events:")
        for what, when, attendees, verb in events:
            out += [f"        - what: {_q(what)}"]
            if when:
                out.append(f"          when: {_q(when)}")
            out.append(f"          organiser: {_q(who)}")
            if attendees:
                out.append(f"          participants: [{', '.join(_q(a) for a in attendees)}]")
            lead = "[{ref: when}, \"，\", " if when else "["
            out += ["          # attendance: {value: 80, qualifier: 余, unit: 人}   # 参加人数，由程序排印",
                    f"          text: {lead}{{ref: organiser}}, {_q(verb)}, {{ref: what}}, {_q('。待填写：活动的主要内容、参加人员和取得的成效。')}]"]
        if undated:
            out.append("      items:")
            out += [f"        - title: {_q(t)}\n          text: {_q('待填写：这项工作的具体做法和取得的成效。')}" for t in undated]
    out += ["  achievements:",
            "    heading: 取得成效",
            "    items:",
            "      - text: [待填写：取得的成效，数字写成统计数，如 全年共培训党员干部, {value: 0, unit: 人次}, 。]",
            "  problems:",
            "    heading: 存在问题",
            "    text: 工作虽然取得了一定成效，但对照要求，也存在一些不足：",
            "    inline: true          # 印作 一是……；二是……。",
            "    items: [待填写：存在的第一个问题, 待填写：存在的第二个问题]",
            "  next_steps:",
            "    heading: 下一步打算",
            "    text: [下一步，将从以下, {ref: count}, 方面抓好工作：]",
            "    items: [待填写：下一步的第一项打算。, 待填写：下一步的第二项打算。]",
            ""]
    return "\n".join(out)
