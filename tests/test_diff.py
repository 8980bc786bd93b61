"""``gendoc diff``: what changed between two plans, in plan terms (issue 8).

A plan and its rolled version differ in exactly their moved dates (plus the 文号 year and
a typed meta.year); hand edits are named as a clerk names them: a target's value, a section
added, a paragraph reworded with the changed words marked, a meeting removed, a section moved.
"""

from __future__ import annotations

import json
import re
import shutil
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from gendoc.cli import main
from gendoc.loader import dotted
from gendoc.plan import load_plan
from gendoc.plandiff import describe, diff_plans, mark_words
from gendoc.roll import iter_date_fields, seq_optional

from conftest import FIXTURE_PLANS, PLANS, TESTS, example_plans

ROLLED = example_plans() + [FIXTURE_PLANS / "roll-forms.yaml"]
MASS_LINE = PLANS / "mass-line-implementation-plan-2014.yaml"
WORK_POINTS = PLANS / "party-building-work-points-2003.yaml"
LAYOUT = FIXTURE_PLANS / "layout.yaml"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _load(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_plan(path)


def _edited(src: Path, tmp_path: Path, *pairs, name="edited.yaml") -> Path:
    text = src.read_text(encoding="utf-8")
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    out = tmp_path / name
    out.write_text(text, encoding="utf-8")
    return out


@pytest.mark.parametrize("keep_dates", [False, True], ids=["weekday", "keep-dates"])
@pytest.mark.parametrize("plan", ROLLED, ids=lambda p: p.stem)
def test_diff_of_a_plan_and_its_rolled_version_lists_every_moved_date_and_nothing_else(
        plan, keep_dates, tmp_path):
    src = tmp_path / plan.name
    shutil.copy(plan, src)
    out = tmp_path / "next.yaml"
    assert run("roll", src, "-o", out, *(["--keep-dates"] if keep_dates else [])).exit_code == 0
    old, new = _load(src), _load(out)
    changes = diff_plans(old, new)
    expected = {path for path, _ in iter_date_fields(old)}
    expected |= {p for p in (("meta", "year"), ("meta", "doc_number", "year")) if p in old._lines}
    if seq_optional() and old.meta.doc_number:  # roll clears the 文号 sequence for re-entry
        expected.add(("meta", "doc_number", "seq"))
    assert {c.path for c in changes} == expected
    assert all(c.op == "changed" for c in changes)
    assert all(c.kind == "date" for c in changes if c.path[-1] not in ("year", "seq"))
    # and the command line says so, one line per change
    result = run("diff", src, out)
    assert result.exit_code == 0
    assert result.output.count("\n改  ") == len(changes)


def test_moved_dates_are_printed_as_clerks_write_them(tmp_path):
    out = tmp_path / "next.yaml"
    assert run("roll", MASS_LINE, "-o", out).exit_code == 0
    text = run("diff", MASS_LINE, out).output
    assert "改  第 91 行  阶段二“学习动员、听取意见”的时间：3月8日—3月31日 → 3月7日—3月30日" in text
    assert "成文日期：2014年2月27日 → 2015年2月26日" in text
    # a month-level date looks the same without its year: the years are printed
    assert "第2项“广泛听取意见”的时间：2014年3月下旬 → 2015年3月下旬" in text


def test_a_target_value_changed_is_reported_in_plan_terms(tmp_path):
    edited = _edited(WORK_POINTS, tmp_path,
                     ('indicator: 综合满意率, op: ">=", value: 90', 'indicator: 综合满意率, op: ">=", value: 95'),
                     ("市级医院综合满意率90%。", "市级医院综合满意率95%。"))
    text = run("diff", WORK_POINTS, edited).output
    assert "目标6“卫生行业争创市级文明行业；直…”指标“综合满意率”的数值：90 → 95" in text
    assert "市级医院综合满意率〔删：90〕〔增：95〕%。" in text
    assert text.startswith(f"{WORK_POINTS} → {edited}：2 处差别")


def test_a_new_section_a_removed_meeting_and_a_moved_section(tmp_path):
    edited = _edited(LAYOUT, tmp_path, ("""  - heading: 第三部分
    text: 第三部分的正文。
""", """  - heading: 第三部分
    text: 第三部分的正文。
    sections:
      - heading: 第三部分第一节
        text: 第一节。
      - heading: 加强宣传
        text: 新增的一节。
"""))
    text = run("diff", LAYOUT, edited).output
    assert re.search(r"增  第 \d+ 行  第三部分（二）“加强宣传”（新增）", text), text

    no_meeting = tmp_path / "no-meeting.yaml"
    no_meeting.write_text(re.sub(r"    meetings:\n      - name: 局领导班子专题民主生活会\n(        .*\n)+", "",
                                 MASS_LINE.read_text(encoding="utf-8")), encoding="utf-8")
    text = run("diff", MASS_LINE, no_meeting).output
    assert "删  原第 108 行  阶段三“查摆问题、开展批评”会议“局领导班子专题民主生活会”（删除）" in text
    assert "1 处差别" in text

    block = "  - heading: 第二部分\n    sections:\n      - heading: 第二部分第一节\n        items: [己条目, 庚条目, 辛条目]\n"
    text = LAYOUT.read_text(encoding="utf-8")
    assert block in text
    moved = tmp_path / "moved.yaml"
    moved.write_text(text.replace(block, "").replace("  - heading: 第一部分\n", block + "  - heading: 第一部分\n", 1),
                     encoding="utf-8")
    out = run("diff", LAYOUT, moved).output
    assert re.search(r"移  第 15 行  第一部分“第二部分”：由原来的 第二部分“第二部分”（原第 \d+ 行）移到这里", out), out
    assert "1 处差别" in out


def test_a_reworded_paragraph_shows_the_changed_words():
    assert mark_words("继续对纳入基本医疗目录、临床应用普遍的药品全面推行药品集中招标采购、议价采购。",
                      "继续对纳入基本药物目录的药品全面推行集中采购。") == (
        "继续对纳入基本〔删：医疗〕〔增：药物〕目录〔删：、临床应用普遍〕的药品全面推行〔删：药品〕"
        "集中〔删：招标采购、议价〕采购。")
    long = "甲" * 40 + "乙" + "丙" * 40
    assert mark_words(long, long.replace("乙", "丁")) == "……" + "甲" * 12 + "〔删：乙〕〔增：丁〕" + "丙" * 12 + "……"


def test_lists_of_names_context_and_scalars(tmp_path):
    edited = _edited(MASS_LINE, tmp_path,
                     ("recipients: [局属各医疗卫生单位党组织, 局机关各科室]", "recipients: [局属各医疗卫生单位党组织]"),
                     ("  batch: 第二批\n", "  batch: 第二批\n  leader: 新书记\n"),
                     ("        duration: 半天\n", "        duration: 1天\n"))
    changes = {dotted(c.path): c for c in diff_plans(_load(MASS_LINE), _load(edited))}
    assert changes["meta.recipients[1]"].op == "removed"
    assert changes["meta.recipients[1]"].label == "主送机关第2个"
    assert changes["context.leader"].op == "added" and changes["context.leader"].new == "新书记"
    dur = changes["phases[0].meetings[0].duration"]
    assert (dur.old_text, dur.new_text) == ("半天", "1天") and "的会期" in dur.label


def test_json_for_tools(tmp_path):
    out = tmp_path / "next.yaml"
    assert run("roll", MASS_LINE, "-o", out).exit_code == 0
    result = run("diff", "--json", MASS_LINE, out)
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["count"] == len(data["changes"]) == 22 + seq_optional()  # + the cleared 文号 seq; + the 会议通知 date
    phase = next(c for c in data["changes"] if c["path"] == "phases[1].when")
    assert phase == {**phase, "op": "changed", "kind": "date", "old": "2014-03-08..2014-03-31",
                     "new": "2015-03-07..2015-03-30", "old_text": "3月8日—3月31日",
                     "new_text": "3月7日—3月30日", "line_old": 91, "line_new": 91}


def test_identical_plans_have_no_difference():
    result = run("diff", MASS_LINE, MASS_LINE)
    assert result.exit_code == 0 and "没有差别" in result.output
    assert json.loads(run("diff", "--json", MASS_LINE, MASS_LINE).output)["changes"] == []


def test_any_two_valid_plans_and_an_invalid_one(tmp_path):
    result = run("diff", WORK_POINTS, MASS_LINE)
    assert result.exit_code == 0 and "处差别" in result.output
    bad = run("diff", MASS_LINE, TESTS / "bad_plans" / "bad_date.yaml")
    assert bad.exit_code == 1 and bad.output.startswith("错误：") and "Traceback" not in bad.output


@pytest.mark.parametrize("path, label", [
    (("meta", "date"), "成文日期"),
    (("meta", "printing", "date"), "印发日期"),
    (("phases", 1, "when"), "阶段二“学习动员、听取意见”的时间"),
    (("phases", 0, "meetings", 0, "presider"), "阶段一“扎实进行动员准备”会议“局党的群众路线教育实践活动动…”的主持人"),
    (("responsibilities", 2, "deadline"), "分工3“开展征求意见活动并汇总反馈”的完成时限"),
    (("responsibilities", 2, "lead"), "分工3“开展征求意见活动并汇总反馈”的牵头单位"),
    (("leading_group", "deputies", 1), "领导小组副组长2“×××”"),
    (("attachments", 1), "附件2“教育实践活动重点工作任务分工…”"),
    (("context", "batch"), "年度专名“batch”"),
])
def test_plan_paths_are_named_in_chinese(path, label):
    assert describe(_load(MASS_LINE), path) == label
