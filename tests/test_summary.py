"""The 总结 from data (issue 11, item 6): statistics are numbers printed by code, counts come
from the lists, events carry their dates, a 总结 starts from the plan it reports on, and a
bad statistic is one Chinese line naming file, line and field."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml

from gendoc.errors import GendocError
from gendoc.loader import load_text
from gendoc.plan import Statistic, load_plan, validate
from gendoc.render import build_document
from gendoc.summary import format_statistic, starter_from_plan

from conftest import PLANS, Docx, example_plans, render_plan

SEED = PLANS / "cxzy-self-inspection-summary.yaml"

SMALL = """\
schema_version: 1
template: summary
meta:
  genre: 总结
  title: 测试县卫生局2014年工作总结
  issuer: {name: 中共测试县卫生局委员会, short: 局党委}
  year: 2014
summary:
  opening: 2014年，局党委紧紧围绕年度目标开展工作。现将有关情况总结如下：
  practices_heading: 主要做法
  practices_lead: [主要开展了以下, {ref: count}, 方面工作：]
  practices:
    - heading: 抓学习教育
      events:
        - when: 2014-03-07
          what: 党的群众路线教育实践活动动员大会
          organiser: 局党委
          participants: [局属各单位党员]
          attendance: {value: 120, qualifier: 余, unit: 人}
    - heading: 抓健康服务
      items:
        - text: [全年接种, {value: 11306, unit: 人次}, 。]
  next_steps:
    text: [下一步，局党委将重点抓好以下, {ref: count}, 项工作：]
    items: [抓落实, 抓整改]
"""


def _doc(text: str, name: str = "总结.yaml"):
    data, lines = load_text(text, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_document(validate(data, lines, name))


def _body(text: str) -> list[str]:
    from gendoc.model import Heading, Item, Para
    out = []
    for b in _doc(text).body:
        if isinstance(b, Heading):
            out.append(b.text + (("|" + b.run_in) if b.run_in else ""))
        elif isinstance(b, Item):
            out.append((b.title + "|" if b.title else "") + b.text)
        elif isinstance(b, Para):
            out.append(b.text)
    return out


def _error(text: str) -> GendocError:
    data, lines = load_text(text, "总结.yaml")
    with pytest.raises(GendocError) as info:
        validate(data, lines, "总结.yaml")
    return info.value


# --------------------------------------------------------------------------- the seed

def test_the_seed_is_an_example_plan():
    assert SEED in example_plans()


def test_seed_statistics_print_from_data_fields(tmp_path):
    plan = load_plan(SEED)
    printed = [str(s) for s in plan.summary.statistics()]
    for figure in ("11306人", "66275元", "88%以上", "80余人", "7849人次", "56100元", "15%—20%", "200余名"):
        assert figure in printed, figure
    xml = "\n".join(Docx(render_plan(SEED, tmp_path)).texts())   # the w:t text of every paragraph
    for figure in ("农村接种11306人，", "累计捐款总额66275元。", "体检率达88%以上，", "共有80余人参加了会议",
                   "至少降低15%—20%，", "发放补助资金56100元", "6月、9月，", "9月15、20日卫生局党委"):
        assert figure in xml, figure
    assert "66,275" not in xml and "56,100" not in xml


def test_changing_a_statistic_changes_the_document_and_nothing_else():
    data = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    before = _body(yaml.safe_dump(data, allow_unicode=True))
    item = data["summary"]["practices"][2]["events"][3]
    stat = next(p for p in item["text"] if isinstance(p, dict) and p.get("value") == 11306)
    stat["value"] = 11307
    after = _body(yaml.safe_dump(data, allow_unicode=True))
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert len(before) == len(after) and len(changed) == 1
    assert "农村接种11307人，" in changed[0][1] and "11306" not in changed[0][1]


def test_seed_reads_in_the_order_clerks_write_a_summary():
    body = _body(SEED.read_text(encoding="utf-8"))
    headings = [t for t in body if t in ("积极动员，全面部署。", "加强领导，狠抓落实。", "主题活动，彰显特色。",
                                         "注重结合，推进工作。", "存在问题，下步打算")]
    assert headings == ["积极动员，全面部署。", "加强领导，狠抓落实。", "主题活动，彰显特色。",
                        "注重结合，推进工作。", "存在问题，下步打算"]
    problems = next(t for t in body if t.startswith("“创先争优”和“双争双比”活动开展以来"))
    assert "不足：一是在活动内容" in problems and "记录不完整；二是有的党组织" in problems
    assert problems.endswith("不便考核评价。针对自查发现的问题，局党委将从以下几方面开展工作，"
                             "通过“创先争优”和“双争双比”活动组织和引导全系统党组织和广大党员在卫生事业"
                             "又好又快发展的进程中当先锋、做表率、创佳绩。")
    assert body[-1].startswith("要结合“城乡结对、送医下乡”")


# --------------------------------------------------------------------------- printing numbers

@pytest.mark.parametrize("stat, printed", [
    ({"value": 11306, "unit": "人次"}, "11306人次"),
    ({"value": 66275, "unit": "元"}, "66275元"),
    ({"value": 1234567.0, "unit": "元"}, "1234567元"),
    ({"value": 88, "unit": "%", "qualifier": "以上"}, "88%以上"),
    ({"value": 88.5, "unit": "%"}, "88.5%"),
    ({"value": 80, "unit": "人", "qualifier": "余"}, "80余人"),
    ({"value": 80, "unit": "人", "qualifier": "约"}, "约80人"),
    ({"value": 50, "unit": "篇", "qualifier": "超过"}, "超过50篇"),
    ({"value": 30, "unit": "人", "qualifier": "左右"}, "30人左右"),
    ({"value": [15, 20], "unit": "%"}, "15%—20%"),
    ({"value": [20, 45], "unit": "岁"}, "20—45岁"),
    ({"value": 0.5, "unit": "天"}, "0.5天"),
    ({"value": 12}, "12"),
])
def test_statistics_print_by_chinese_number_conventions(stat, printed):
    assert format_statistic(Statistic.model_validate(stat)) == printed


# --------------------------------------------------------------------------- counts and events

def test_counts_follow_the_data():
    body = _body(SMALL)
    assert "主要开展了以下两方面工作：" in body
    assert "下一步，局党委将重点抓好以下两项工作：" in body
    more = SMALL.replace("    - heading: 抓健康服务", "    - heading: 抓作风建设\n      paras: [整治“四风”。]\n"
                                                   "    - heading: 抓健康服务")
    more = more.replace("items: [抓落实, 抓整改]", "items: [抓落实, 抓整改, 抓长效]")
    body = _body(more)
    assert "主要开展了以下三方面工作：" in body and "下一步，局党委将重点抓好以下三项工作：" in body
    assert body.count("主要做法") == 1 and "抓作风建设" in body


def test_practices_nest_under_a_common_heading_when_one_is_given():
    from gendoc.model import Heading
    levels = {b.text: b.level for b in _doc(SMALL).body if isinstance(b, Heading)}
    assert levels == {"主要做法": 1, "抓学习教育": 2, "抓健康服务": 2, "下一步打算": 1}


def test_an_event_held_in_several_months_prints_them_all():
    text = SMALL.replace("        - when: 2014-03-07\n", "        - when: 2014-06,09\n")
    assert "6月、9月，局党委召开了党的群众路线教育实践活动动员大会，局属各单位党员共120余人参加。" in _body(text)


def test_an_event_without_text_is_written_from_its_data():
    body = _body(SMALL)
    assert "3月7日，局党委召开了党的群众路线教育实践活动动员大会，局属各单位党员共120余人参加。" in body


def test_a_summary_plan_without_summary_data_still_prints_its_sections():
    text = (PLANS.parent / "tests" / "plans" / "minimal.yaml").read_text(encoding="utf-8")
    text = text.replace("template: notice", "template: summary").replace("genre: 通知", "genre: 总结")
    assert "认真做好测试工作。" in _body(text)


# --------------------------------------------------------------------------- errors

def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("bad, words", [
    ("{value: -5, unit: 人次}", "统计数不能为负数"),
    ("{value: 一万, unit: 人次}", "统计数应为数字"),
    ("{value: '11,306', unit: 人次}", "不带千分位逗号"),
    ("{value: true, unit: 人次}", "统计数应为数字"),
    ("{value: [20, 15], unit: '%'}", "范围写两个由小到大的数"),
    ("{value: 5, unit: 人, qualifier: 大约}", "取值不对"),
    ("{vaule: 5, unit: 人}", "不认识的字段"),
    ("11306", "文字里的数字要写成统计数"),
])
def test_a_bad_statistic_is_one_chinese_line_naming_its_line(bad, words):
    text = SMALL.replace("{value: 11306, unit: 人次}", bad)
    err = _error(text)
    problem = next(p for p in err.problems or [err] if words in p.message)
    assert problem.line == _line_of(text, bad)
    assert problem.field.startswith("summary.practices[1].items[0].text[1]")


def test_a_reference_to_data_the_event_lacks_is_an_error():
    text = SMALL.replace("          attendance: {value: 120, qualifier: 余, unit: 人}\n",
                         "          text: [共, {ref: attendance}, 参加。]\n")
    err = _error(text)
    assert "没有填 attendance" in err.message and err.line == _line_of(text, "- when: 2014-03-07")


def test_a_reference_where_there_is_no_such_data_is_an_error():
    err = _error(SMALL.replace("[全年接种, {value: 11306, unit: 人次}, 。]", "[全年接种, {ref: when}]"))
    assert "这里不能引用 when：引用只用在活动" in err.message and err.field == "summary.practices[1].items[0]"
    err = _error(SMALL.replace("[下一步，局党委将重点抓好以下, {ref: count}, 项工作：]", "[下一步, {ref: what}]"))
    assert "这里不能引用 what（可引用：count）" in err.message and err.field == "summary.next_steps"


def test_a_summary_without_practices_is_an_error():
    text = SMALL[:SMALL.index("  practices_heading")] + "  practices: []\n"
    err = _error(text)
    assert err.field == "summary.practices" and "不能为空" in err.message


def test_bad_statistic_through_the_command_line(tmp_path):
    plan = tmp_path / "总结.yaml"
    plan.write_text(SMALL.replace("{value: 11306, unit: 人次}", "{value: -3, unit: 人次}"), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "gendoc.cli", "render", str(plan), "-o", str(tmp_path / "x.docx")],
                         capture_output=True, text=True)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    line = _line_of(plan.read_text(encoding="utf-8"), "{value: -3")
    assert f"总结.yaml:{line}: summary.practices[1].items[0].text[1].value: 统计数不能为负数" in run.stderr
    assert not (tmp_path / "x.docx").exists()


# --------------------------------------------------------------------------- from the plan

def test_a_summary_starts_from_the_plan_it_reports_on(tmp_path):
    source = PLANS / "mass-line-implementation-plan-2014.yaml"
    text = starter_from_plan(source)
    assert text.startswith("# 总结：由 mass-line-implementation-plan-2014.yaml 生成。")
    out = tmp_path / "总结.yaml"
    out.write_text(text, encoding="utf-8")
    plan, summary = load_plan(out), load_plan(source)
    assert plan.template == "summary" and plan.meta.genre == "总结"
    assert [p.heading for p in plan.summary.practices] == [ph.name for ph in summary.phases]
    meetings = [(m.name, str(m.when)) for ph in summary.phases for m in ph.meetings if m.when]
    events = [(e.what, str(e.when)) for p in plan.summary.practices for e in p.events]
    assert meetings and set(meetings) <= set(events)
    body = "\n".join(Docx(render_plan(out, tmp_path)).texts())
    assert summary.phases[0].name in body and meetings[0][0] in body
    assert "待填写" in body                                   # the clerk sees what to fill in


def test_the_starter_of_a_plan_without_phases_still_renders(tmp_path):
    out = tmp_path / "总结.yaml"
    out.write_text(starter_from_plan(PLANS.parent / "tests" / "plans" / "minimal.yaml"), encoding="utf-8")
    assert "待填写" in "\n".join(Docx(render_plan(out, tmp_path)).texts())


def test_roll_moves_every_date_of_an_event(tmp_path):
    from click.testing import CliRunner
    from gendoc.cli import main
    plan = tmp_path / "总结-2014.yaml"
    plan.write_text(SMALL, encoding="utf-8")
    out = tmp_path / "总结-2015.yaml"
    result = CliRunner().invoke(main, ["roll", str(plan), "--to-year", "2015", "--keep-dates", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "        - when: 2015-03-07\n" in out.read_text(encoding="utf-8")
    assert str(load_plan(out).summary.practices[0].events[0].when) == "2015-03-07"


@pytest.mark.skipif(__import__("shutil").which("soffice") is None and not __import__("os").environ.get("CI"),
                    reason="LibreOffice (soffice) not installed: run scripts/install-deps.sh")
@pytest.mark.libreoffice
def test_the_summary_started_from_a_plan_passes_verify(tmp_path):
    from gendoc.render import render_file
    from gendoc.verify import verify
    out = tmp_path / "总结.yaml"
    out.write_text(starter_from_plan(PLANS / "mass-line-implementation-plan-2014.yaml"), encoding="utf-8")
    result = render_file(out, tmp_path / "总结.docx", pdf=True)
    report = verify(result.pdf)
    assert report.ok, report.format()
