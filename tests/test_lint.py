"""Plan lint (gendoc/lint.py) and `gendoc check --strict`: every check on a small bad plan
(tests/lint_plans/), with its message and line; the example plans clean or explained."""

from __future__ import annotations

import warnings

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st
from pydantic import Field

from gendoc.cli import main
from gendoc.lint import lint, walk
from gendoc.loader import load_text
from gendoc.plan import Meeting, Phase, Plan
from gendoc.source import Source, open_plan

from conftest import TESTS, example_plans

LINT_PLANS = TESTS / "lint_plans"


def findings(name: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        src, plan = open_plan(LINT_PLANS / name)
    return lint(plan, src)


# (fixture, code, line, words the message must contain) — and nothing else in that fixture
EXPECTED = {
    "phases.yaml": [
        ("phase-date", 16, ["2014-04-08 不在阶段“动员部署”", "请改正日期"]),
        ("phase-overlap", 19, ["与前一阶段“动员部署”", "时间重叠", "请让它从4月1日开始"]),
        ("phase-order", 24, ["开始早于前一阶段“查摆问题”", "请按时间先后排列阶段"]),
        ("deadline-before-phase", 26, ["“汇总群众意见”的期限 2014-03-12 早于它所属的阶段“查摆问题”"]),
    ],
    "workdays.yaml": [
        ("non-workday", 11, ["会议“周六动员大会”在 2014年3月8日，是星期六（周末）", "改到前后的工作日"]),
        ("holiday-data", 17, ["2003 年的法定节假日和调休无从核对", "只有 2004—2026 年的数据", "只检查了周末"]),
        ("non-workday", 19, ["“报送总结”的期限在 2014年10月1日，是国庆节假期"]),
    ],
    "placeholders.yaml": [
        ("placeholder", 13, ["“×××”是没有填写的占位符", "印发前请填上"]),
        ("placeholder", 13, ["“20xx”"]),
        ("placeholder", 15, ["“**”"]),
        ("placeholder", 15, ["“【待定】”"]),
        ("placeholder", 16, ["“20*年”"]),
    ],
    "structure.yaml": [
        ("attachment-missing", 12, ["正文提到“附件3”，计划却只有 2 个附件", "请补上这个附件"]),
        ("attachment-missing", 12, ["正文印发《测试工作方案》，附件里却没有这个标题"]),
        ("empty-section", 17, ["“还没写的一节”这一节没有内容", "或删去这一节"]),
        ("heading-number", 18, ["手写了编号“1.”", "跳过了（一）这一级", "请删去“1.”"]),
        ("attachment-unmentioned", 23, ["附件2“测试人员名单”列在附件说明里，正文却只提到了附件1、附件3"]),
    ],
    "punctuation.yaml": [
        ("half-width", 13, ["中文里用了半角标点", "“,”改为“，”", "“(”改为“（”", "“)”改为“）”"]),
        ("doc-number-brackets", 15, ["“【2012】16号”应写作“〔2012〕16号”"]),
        ("decimal-number", 16, ["“1.2月28日”读起来像小数“1.2”", "请删去手写的“1.”"]),
    ],
    "prose.yaml": [
        # line 15, not the key's line 13: the words are on the second line of the folded text
        ("prose-date", 15, ["正文里写了日期或年份：3月15日、2014年度", "日期请放进日期字段"]),
    ],
    "counts.yaml": [
        ("count", 9, ["正文说“分六个阶段”，计划里的阶段却是 4 个"]),
        ("count", 17, ["正文说“以下七条”", "items 有 3 项"]),
    ],
}


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_each_check_reports_message_and_line(fixture):
    got = findings(fixture)
    assert [(f.code, f.line) for f in got] == [(c, line) for c, line, _ in EXPECTED[fixture]]
    for f, (_, _, words) in zip(got, EXPECTED[fixture]):
        located = f.located()
        assert located.startswith(f"{LINT_PLANS / fixture}:{f.line}: ")
        for w in words:
            assert w in located, (w, located)


def test_fixtures_cover_every_check():
    from gendoc.lint import CHECKS
    codes = {c for rows in EXPECTED.values() for c, _, _ in rows}
    assert {"phase-date", "phase-overlap", "phase-order", "deadline-before-phase", "non-workday",
            "holiday-data", "placeholder", "empty-section", "attachment-missing",
            "attachment-unmentioned", "half-width", "doc-number-brackets", "decimal-number",
            "heading-number", "prose-date", "count"} <= codes
    assert len(CHECKS) == 6


def test_quiet_cases_are_quiet():
    """调休 working day, a deadline “3月8日前”, a 文号 in 〔〕, a year inside 《》, a prose date
    already held in calendar:, a count that matches, a weekday meeting: no finding."""
    lines = {(f.code, f.line) for name in EXPECTED for f in findings(name)}
    assert ("non-workday", 13) not in lines and ("non-workday", 20) not in lines   # workdays.yaml
    prose = findings("prose.yaml")
    assert all("2013" not in f.message and "九月下旬" not in f.message for f in prose)
    assert all("2014" not in f.message for f in findings("punctuation.yaml") if f.code == "prose-date")
    assert [f for f in findings("counts.yaml") if f.line == 20] == []


def test_example_plans_have_no_unexplained_findings():
    for path in example_plans():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            src, plan = open_plan(path)
        loud = [f.located() for f in lint(plan, src) if not f.explained]
        assert loud == [], loud


def test_example_plans_pass_strict():
    r = CliRunner().invoke(main, ["check", "--strict", *map(str, example_plans())])
    assert r.exit_code == 0, r.output
    assert "警告：" not in r.output and "错误：" not in r.output
    assert "已在计划的注释（# 检查：……）里说明" in r.output     # the ××× of the 2014 example


def test_strict_turns_warnings_into_errors():
    plan = str(LINT_PLANS / "phases.yaml")
    loose = CliRunner().invoke(main, ["check", plan])
    assert loose.exit_code == 0
    assert f"警告：{plan}:19: phases[1].when: 阶段“查摆问题”" in loose.output
    strict = CliRunner().invoke(main, ["check", "--strict", plan])
    assert strict.exit_code == 1
    assert f"错误：{plan}:19: phases[1].when: 阶段“查摆问题”" in strict.output
    assert "未通过（--strict：4 条警告）" in strict.output
    assert "Traceback" not in strict.output


def test_plan_py_warning_is_not_repeated():
    """plan.py warns about phases out of order; lint says the same with the fix, once."""
    r = CliRunner().invoke(main, ["check", str(LINT_PLANS / "phases.yaml")])
    assert r.output.count("phases[2].when") == 1
    assert "请按时间先后排列阶段" in r.output


def test_comment_explains_a_warning(tmp_path):
    plan = tmp_path / "p.yaml"
    text = (LINT_PLANS / "placeholders.yaml").read_text(encoding="utf-8")
    text = text.replace("      - 活动从20*年开始。", "      - 活动从20*年开始。   # 检查：年份待定，印发前填写")
    plan.write_text(text, encoding="utf-8")
    r = CliRunner().invoke(main, ["check", "--strict", str(plan)])
    assert "“20*年”" not in r.output
    assert "另有 1 条警告已在计划的注释（# 检查：……）里说明" in r.output
    assert r.exit_code == 1          # the other four placeholders are not explained
    assert r.output.count("错误：") == 4


def test_bad_plan_is_an_error_not_a_lint(tmp_path):
    plan = tmp_path / "bad.yaml"
    plan.write_text((LINT_PLANS / "phases.yaml").read_text(encoding="utf-8")
                    .replace("when: 2014-04-08", "when: 2014-02-30"), encoding="utf-8")
    r = CliRunner().invoke(main, ["check", "--strict", str(plan)])
    assert r.exit_code == 1
    assert f"错误：{plan}:16: phases[0].sections[0].items[0].when: “2014-02-30”：日期不存在" in r.output
    assert "Traceback" not in r.output


# ----------------------------------------------------------------- the walk is generic

class _Block(Plan.__base__):
    """A block of a schema that does not exist yet: phases and meetings in a new place."""
    stages: list[Phase] = Field(default_factory=list)
    events: dict[str, list[Meeting]] = Field(default_factory=dict)


class _FuturePlan(Plan):
    programme: list[_Block] = Field(default_factory=list)


FUTURE = """\
schema_version: 1
template: notice
meta:
  genre: 通知
  title: 关于开展测试工作的通知
  issuer: {name: 中共测试县卫生局委员会}
  date: 2014-02-27
programme:
  - stages:
      - name: 新位置的阶段
        when: 2014-03-03..2014-03-14
        meetings:
          - {name: 阶段外的会, when: 2014-03-20}
    events:
      周末:
        - {name: 新位置的会, when: 2014-03-09}
"""


def test_checks_find_phases_and_meetings_wherever_the_schema_puts_them():
    data, lines = load_text(FUTURE, "future.yaml")
    plan = _FuturePlan.model_validate(data)
    plan._file, plan._lines = "future.yaml", lines
    got = {(f.code, f.line, f.path) for f in lint(plan, Source(FUTURE, "future.yaml"))}
    assert ("phase-date", 13, ("programme", 0, "stages", 0, "meetings", 0, "when")) in got
    assert ("non-workday", 16, ("programme", 0, "events", "周末", 0, "when")) in got
    assert ("non-workday", 13, ("programme", 0, "stages", 0, "meetings", 0, "when")) not in got  # a Thursday


def test_walk_visits_every_value_once():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, plan = open_plan(example_plans()[0])
    paths = [n.path for n in walk(plan)]
    assert len(paths) == len(set(paths))
    dumped = yaml.safe_dump(plan.model_dump(mode="json"), allow_unicode=True)
    for n in walk(plan):
        if isinstance(n.value, str) and len(n.value) > 8:
            assert n.value[:8] in dumped


# ----------------------------------------------------------------- any text: findings, never a crash

_PIECES = st.sampled_from(["×××", "**", "20xx", "【待定】", ",", "(", ")", "；", "1.2月28日", "以下七条",
                           "分六个阶段", "附件9", "附件一", "【2012】16号", "〔2014〕3号", "《", "》", "3月15日",
                           "2014年", "九月下旬", "（一）", "一、", "{{ year }}", "\u2028", "\ufeff", "中文"])
_TEXT = st.lists(st.one_of(_PIECES, st.characters(codec="utf-8")), max_size=12).map("".join)


@settings(max_examples=60, deadline=None)
@given(heading=_TEXT, text=_TEXT)
def test_any_text_gives_findings_never_a_crash(heading, text):
    plan_text = (LINT_PLANS / "phases.yaml").read_text(encoding="utf-8")
    data, lines = load_text(plan_text, "p.yaml")
    data["phases"][0]["sections"][0]["heading"] = heading or "标题"
    data["phases"][0]["sections"][0]["items"][0]["text"] = text
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plan = Plan.model_validate(data)
    except Exception:
        return   # the schema refuses it (an empty heading after stripping): not lint's business
    plan._file, plan._lines = "p.yaml", lines
    for f in lint(plan, Source(plan_text, "p.yaml")):
        assert f.line and f.located().startswith(f"p.yaml:{f.line}: ")
