"""`gendoc calendar PLAN.yaml -o PLAN.ics` (gendoc/ics.py): the .ics is read back with the
icalendar library: one event per meeting with the right dates, fuzzy dates as all-day spans,
Asia/Shanghai times, stable UIDs, and bad destinations refused."""

from __future__ import annotations

import datetime as _dt
import shutil

import pytest
from click.testing import CliRunner
from icalendar import Calendar

from gendoc.cli import main

from conftest import PLANS, TESTS

CAL_PLANS = TESTS / "calendar_plans"
MASS_LINE = PLANS / "mass-line-implementation-plan-2014.yaml"


def run(*args):
    return CliRunner().invoke(main, ["calendar", *map(str, args)])


def export(plan, out):
    r = run(plan, "-o", out)
    assert r.exit_code == 0, r.output
    return Calendar.from_ical(out.read_bytes())


def events(cal):
    return list(cal.walk("VEVENT"))


def by_summary(cal):
    out = {}
    for ev in events(cal):
        out.setdefault(str(ev["SUMMARY"]), []).append(ev)
    return out


def dates(ev):
    return ev.decoded("DTSTART"), ev.decoded("DTEND")


def test_one_event_per_meeting_with_dates_and_people(tmp_path):
    cal = export(MASS_LINE, tmp_path / "p.ics")
    meetings = [ev for ev in events(cal) if ev.get("CATEGORIES").cats == ["会议"]]
    assert [str(ev["SUMMARY"]) for ev in meetings] == ["局党的群众路线教育实践活动动员大会",
                                                       "局领导班子专题民主生活会"]
    rally, life = meetings
    assert dates(rally) == (_dt.date(2014, 3, 7), _dt.date(2014, 3, 8))   # all day, DTEND exclusive
    assert dates(life) == (_dt.date(2014, 6, 1), _dt.date(2014, 6, 11))   # 6月上旬 = 1—10日
    text = str(rally["DESCRIPTION"])
    for words in ("主持：局党委副书记", "讲话：县委督导组组长、局党委书记",
                  "参加人员：局领导班子成员、局机关全体干部、局属各单位领导班子成员",
                  "邀请到会指导：县委督导组", "列席：党员群众代表", "会期：半天",
                  "所属阶段：扎实进行动员准备（2月28日—3月7日）"):
        assert words in text
    assert str(cal["X-WR-CALNAME"]).startswith("关于印发《县卫生局")


def test_phases_and_deadlines(tmp_path):
    cal = by_summary(export(MASS_LINE, tmp_path / "p.ics"))
    assert dates(cal["阶段：扎实进行动员准备"][0]) == (_dt.date(2014, 2, 28), _dt.date(2014, 3, 8))
    assert dates(cal["阶段：认真总结"][0]) == (_dt.date(2014, 9, 21), _dt.date(2014, 10, 1))
    # 2014-03 底前: the last day of March
    assert dates(cal["截止：开展征求意见活动并汇总反馈"][0]) == (_dt.date(2014, 3, 31), _dt.date(2014, 4, 1))
    deadline = cal["截止：制定活动实施方案并组织动员"][0]
    assert "牵头：局办公室" in str(deadline["DESCRIPTION"]) and str(deadline["TRANSP"]) == "TRANSPARENT"
    assert len([s for s in cal if s.startswith("截止：")]) == 6


def test_fuzzy_dates_are_all_day_spans_and_times_are_shanghai(tmp_path):
    cal = export(CAL_PLANS / "fuzzy.yaml", tmp_path / "f.ics")
    ev = by_summary(cal)
    assert dates(ev["阶段：上半年工作"][0]) == (_dt.date(2014, 1, 1), _dt.date(2014, 7, 1))
    assert dates(ev["上旬的事"][0]) == (_dt.date(2014, 4, 1), _dt.date(2014, 4, 11))
    assert dates(ev["中旬的事"][0]) == (_dt.date(2014, 4, 11), _dt.date(2014, 4, 21))
    assert dates(ev["下旬的事"][0]) == (_dt.date(2014, 2, 21), _dt.date(2014, 3, 1))   # to the month's end
    assert dates(ev["截止：月底前报送"][0]) == (_dt.date(2014, 3, 31), _dt.date(2014, 4, 1))
    assert [dates(e) for e in ev["两天义诊"]] == [(_dt.date(2014, 9, 15), _dt.date(2014, 9, 16)),
                                                (_dt.date(2014, 9, 20), _dt.date(2014, 9, 21))]
    untitled = [e for e in events(cal) if str(e["SUMMARY"]).startswith("没有标题的条目")][0]
    assert str(untitled["SUMMARY"]) == "没有标题的条目只写了正文，日程的标题取正文的前四十个字，其余的放在说明里，这样日……"
    assert "这样日历里看得清楚也不丢内容。" in str(untitled["DESCRIPTION"])
    morning = ev["上午的会"][0]
    start, end = dates(morning)
    assert start.tzinfo is not None and start.utcoffset() == _dt.timedelta(hours=8)
    assert (start.hour, start.minute, end.hour) == (8, 30, 12)
    assert morning["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert str(morning["LOCATION"]) == "局三楼会议室"
    assert "主持：局长" in str(morning["DESCRIPTION"])
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    for e in events(cal):
        if e is not morning:
            assert e["DTSTART"].params.get("VALUE") == "DATE"


def test_uids_are_stable_and_unique(tmp_path):
    first = export(MASS_LINE, tmp_path / "a.ics")
    second = export(MASS_LINE, tmp_path / "b.ics")
    uids = [str(e["UID"]) for e in events(first)]
    assert uids == [str(e["UID"]) for e in events(second)]
    assert len(uids) == len(set(uids)) == 18
    assert all(u.endswith("@gendoc") for u in uids)


def test_moving_a_meeting_keeps_its_uid_renaming_makes_a_new_one(tmp_path):
    before = {str(e["SUMMARY"]): str(e["UID"]) for e in events(export(MASS_LINE, tmp_path / "a.ics"))}
    text = MASS_LINE.read_text(encoding="utf-8")
    moved = tmp_path / "moved.yaml"
    moved.write_text(text.replace("        when: 2014-03-07\n        place:",
                                  "        when: 2014-03-06\n        place:"), encoding="utf-8")
    after = by_summary(export(moved, tmp_path / "m.ics"))
    rally = after["局党的群众路线教育实践活动动员大会"][0]
    assert dates(rally)[0] == _dt.date(2014, 3, 6)
    assert str(rally["UID"]) == before["局党的群众路线教育实践活动动员大会"]
    renamed = tmp_path / "renamed.yaml"
    renamed.write_text(text.replace("name: 局党的群众路线教育实践活动动员大会", "name: 全局动员大会"),
                       encoding="utf-8")
    uids = {str(e["SUMMARY"]): str(e["UID"]) for e in events(export(renamed, tmp_path / "r.ics"))}
    assert uids["全局动员大会"] not in before.values()
    assert uids["局领导班子专题民主生活会"] == before["局领导班子专题民主生活会"]


def test_default_output_and_folder(tmp_path):
    plan = tmp_path / "计划.yaml"
    shutil.copy(CAL_PLANS / "fuzzy.yaml", plan)
    r = run(plan)
    assert r.exit_code == 0 and "9 个日程" in r.output
    assert Calendar.from_ical((tmp_path / "计划.ics").read_bytes())
    out = tmp_path / "out"
    out.mkdir()
    assert run(plan, "-o", out).exit_code == 0
    assert (out / "计划.ics").is_file()
    assert run(plan, "-o", out / "计划.ics").exit_code == 0   # its own earlier output: replaced


def test_plan_without_dates_is_refused(tmp_path):
    r = run(CAL_PLANS / "nodates.yaml", "-o", tmp_path / "n.ics")
    assert r.exit_code == 1
    assert "nodates.yaml: 计划里没有可以放进日历的日期" in r.output
    assert "Traceback" not in r.output and not (tmp_path / "n.ics").exists()


@pytest.mark.parametrize("case, message", [
    ("suffix", "日历文件名应以 .ics 结尾"),
    ("missing_folder", "输出文件所在的文件夹不存在"),
    ("plan_itself", "输出文件不能是输入的计划文件本身"),
    ("not_a_calendar", "已有的这个文件不是日历文件（.ics）"),
    ("a_plan", "已有的这个文件是一个计划文件"),
])
def test_bad_destinations_are_refused(tmp_path, case, message):
    plan = tmp_path / "p.yaml"
    shutil.copy(CAL_PLANS / "fuzzy.yaml", plan)
    target = {"suffix": tmp_path / "p.txt", "missing_folder": tmp_path / "no" / "p.ics",
              "plan_itself": plan, "not_a_calendar": tmp_path / "notes.ics",
              "a_plan": tmp_path / "old.ics"}[case]
    if case == "not_a_calendar":
        target.write_text("会议记录：不要覆盖我\n", encoding="utf-8")
    if case == "a_plan":
        shutil.copy(plan, target)
    if case == "plan_itself":   # a plan saved under a .ics name, given as its own output
        plan = target = tmp_path / "p.ics"
        shutil.copy(CAL_PLANS / "fuzzy.yaml", plan)
    before = target.read_bytes() if target.is_file() else None
    r = run(plan, "-o", target)
    assert r.exit_code == 1, r.output
    assert message in r.output and "Traceback" not in r.output
    assert (target.read_bytes() if target.is_file() else None) == before


def test_bad_plan_is_reported_with_line(tmp_path):
    plan = tmp_path / "p.yaml"
    plan.write_text((CAL_PLANS / "fuzzy.yaml").read_text(encoding="utf-8")
                    .replace("2014-04 上旬", "2014-04 上周"), encoding="utf-8")
    r = run(plan, "-o", tmp_path / "p.ics")
    assert r.exit_code == 1
    assert f"{plan}:14: phases[0].items[0].when:" in r.output and "不认识“上周”" in r.output
