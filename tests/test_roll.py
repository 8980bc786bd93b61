"""``gendoc roll``: next year's plan from this year's (issue 8).

The checks of the issue, on every example plan and on a fixture with every date form:
the rolled plan validates and renders, keeps every comment, and every date value lies 52 or
53 weeks (or, with --keep-dates, one calendar year) later at the same place in the file;
weekend and holiday hits and dates typed in prose are listed with lines; rolling twice by
one year equals rolling once by two; the safety rules (invalid plan, output = input, year
out of range) are errors. The expected dates are computed here with plain ``datetime``,
not with gendoc's own shifting code.
"""

from __future__ import annotations

import calendar
import codecs
import datetime as dt
import hashlib
import json
import shutil
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from gendoc.cli import main
from gendoc.dates import When
from gendoc.plan import Strict, WhenField, DateField, load_plan
from gendoc.roll import (format_text, iter_date_fields, plan_year, respell, roll_file, shift_when, week_shift,
                         _roll_doc_number)
from gendoc.source import Source, open_plan

from conftest import FIXTURE_PLANS, PLANS, TESTS, example_plans

FORMS = FIXTURE_PLANS / "roll-forms.yaml"
ROLLED = example_plans() + [FORMS]
MASS_LINE = PLANS / "mass-line-implementation-plan-2014.yaml"
WORK_POINTS = PLANS / "party-building-work-points-2003.yaml"
CXZY = PLANS / "cxzy-long-term-mechanism-notice.yaml"
UNDATED = {CXZY, PLANS / "advanced-education-rectification-2005.yaml"}  # meta.year only: the seeds give no date


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _copy(src: Path, folder: Path, name: str | None = None) -> Path:
    dst = folder / (name or src.name)
    shutil.copy(src, dst)
    return dst


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _quiet_load(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_plan(path)


# ------------------------------------------------------------------ expectations, by hand

def _points(w: When):
    return [w.start] if w.end is None else [w.start, w.end]


def _days(p) -> list[dt.date]:
    return [dt.date(p.year, p.month, d) for d in (p.day, *p.extra_days)] if p.day else []


def _as_when(v) -> When:
    return v if isinstance(v, When) else When.parse(v)


def _check_moved(old, new, years: int, keep_dates: bool) -> None:
    """``new`` is ``old`` moved ``years`` on: days by 52/53 weeks (or the calendar year),
    months, 旬, 份, 半年 and years by calendar years with their qualifiers kept."""
    o, n = _as_when(old), _as_when(new)
    assert len(_points(o)) == len(_points(n)), (old, new)
    deltas = set()
    for po, pn in zip(_points(o), _points(n)):
        assert po.part == pn.part, (old, new)
        assert bool(po.day) == bool(pn.day) and bool(po.month) == bool(pn.month), (old, new)
        if not po.day:
            assert (pn.year, pn.month) == (po.year + years, po.month), (old, new)
            continue
        assert len(po.extra_days) == len(pn.extra_days), (old, new)
        for do, dn in zip(_days(po), _days(pn)):
            if keep_dates:
                y = do.year + years
                assert dn == dt.date(y, do.month, min(do.day, calendar.monthrange(y, do.month)[1])), (old, new)
            else:
                assert (dn - do).days in (7 * 52 * years, 7 * 53 * years), (old, new)  # |years| = 1
                assert dn.weekday() == do.weekday()
                deltas.add((dn - do).days)
    assert len(deltas) <= 1, f"one expression moves by one amount: {old} -> {new}"


def _date_values(plan) -> dict:
    return {path: value for path, value in iter_date_fields(plan)}


# ------------------------------------------------------------------ the checks

@pytest.mark.parametrize("keep_dates", [False, True], ids=["weekday", "keep-dates"])
@pytest.mark.parametrize("plan", ROLLED, ids=lambda p: p.stem)
def test_rolled_plan_validates_renders_keeps_comments_and_moves_every_date(plan, keep_dates, tmp_path):
    from gendoc.render import build_document
    from gendoc.typeset import Typesetter

    src = _copy(plan, tmp_path)
    out = tmp_path / "next.yaml"
    before = _digest(src)
    args = ["roll", src, "-o", out] + (["--keep-dates"] if keep_dates else [])
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert _digest(src) == before, "the input is never changed"
    assert run("check", out).exit_code == 0

    old, new = _quiet_load(src), _quiet_load(out)
    years = 1
    assert plan_year(new) == plan_year(old) + years
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data, _layout = Typesetter().render(build_document(new))
    assert data[:2] == b"PK"

    # every comment is kept, every line stays on its line
    old_lines = src.read_text(encoding="utf-8").split("\n")
    new_lines = out.read_text(encoding="utf-8").split("\n")
    assert len(old_lines) == len(new_lines)
    for a, b in zip(old_lines, new_lines):
        if a.lstrip().startswith("#"):
            assert a == b
        elif " #" in a:
            assert b.endswith(a[a.index(" #"):]), (a, b)

    # every date moved, at the same place; nothing else changed
    od, nd = _date_values(old), _date_values(new)
    assert od.keys() == nd.keys()
    old_src, new_src = open_plan(src)[0], open_plan(out)[0]  # lines of the values as typed
    assert od or plan in UNDATED, "every example plan but those with only meta.year has dates"
    date_lines = set()
    for path in od:
        _check_moved(od[path], nd[path], years, keep_dates)
        assert old_src.line(path) == new_src.line(path)
        date_lines.add(old_src.line(path))
    for extra in (("meta", "year"), ("meta", "doc_number", "year"), ("meta", "doc_number", "seq")):
        if extra in old._lines:
            date_lines.add(old._lines[extra])
    changed = {i + 1 for i, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b}
    assert changed <= date_lines
    if old.meta.doc_number:
        assert new.meta.doc_number.year == old.meta.doc_number.year + 1
        assert new.meta.doc_number.code == old.meta.doc_number.code


@pytest.mark.parametrize("keep_dates", [False, True], ids=["weekday", "keep-dates"])
@pytest.mark.parametrize("plan", ROLLED, ids=lambda p: p.stem)
def test_rolling_twice_by_one_year_equals_rolling_once_by_two(plan, keep_dates, tmp_path):
    src = _copy(plan, tmp_path)
    flag = ["--keep-dates"] if keep_dates else []
    year = plan_year(_quiet_load(src))
    a, b, c = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml"
    assert run("roll", src, "-o", a, *flag).exit_code == 0
    assert run("roll", a, "-o", b, *flag).exit_code == 0
    assert run("roll", src, "-o", c, "--to-year", year + 2, *flag).exit_code == 0
    assert b.read_bytes() == c.read_bytes()


DAYS = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31))


@settings(max_examples=400, deadline=None)
@given(DAYS, st.integers(0, 120), st.booleans())
def test_shift_composes_for_days_and_ranges(start, length, keep):
    for text in (start.isoformat(), f"{start}..{start + dt.timedelta(days=length)}"):
        w = When.parse(text)
        once = shift_when(shift_when(w, 1, keep)[0], 1, keep)[0]
        twice = shift_when(w, 2, keep)[0]
        assert (once.start, once.end) == (twice.start, twice.end)


def test_shift_composes_for_every_day_of_three_decades():
    d = dt.date(2000, 1, 1)
    while d.year < 2030:
        w = When.parse(d.isoformat())
        a = shift_when(shift_when(w, 1)[0], 1)[0]
        assert a.start == shift_when(w, 2)[0].start, d
        d += dt.timedelta(days=1)


# ------------------------------------------------------------------ the rules, case by case

@pytest.mark.parametrize("typed, weekday, keep", [
    ("2014-02-28..2014-03-07", "2015-02-27..2015-03-06", "2015-02-28..2015-03-07"),
    ("2014-02-28 .. 2014-03-07", "2015-02-27 .. 2015-03-06", "2015-02-28 .. 2015-03-07"),  # spacing kept
    ("2014-3-7", "2015-3-6", "2015-3-7"),                          # no zero padding kept
    ("2014-03-07 起", "2015-03-06 起", "2015-03-07 起"),
    ("2010-09-15,20", "2011-09-14,19", "2011-09-15,20"),           # a list keeps its spacing
    ("2014-04 上旬", "2015-04 上旬", "2015-04 上旬"),               # 上旬 stays 上旬 of April
    ("2014-03 底前", "2015-03 底前", "2015-03 底前"),
    ("2014-03 份", "2015-03 份", "2015-03 份"),
    ("2003 上半年", "2004 上半年", "2004 上半年"),
    ("2014-06 上旬..2014-09", "2015-06 上旬..2015-09", "2015-06 上旬..2015-09"),
    ("2014-01-01", "2015-01-07", "2015-01-01"),                    # never back into the old year
    ("2016-02-29", "2017-02-27", "2017-02-28"),                    # 2月29日
    ("2014-12-25..2015-01-02", "2015-12-24..2016-01-01", "2015-12-25..2016-01-02"),
])
def test_one_expression_moved_in_the_clerks_spelling(typed, weekday, keep):
    assert respell(typed, shift_when(When.parse(typed), 1)[0]) == weekday
    assert respell(typed, shift_when(When.parse(typed), 1, keep_dates=True)[0]) == keep


def test_a_list_that_cannot_keep_its_weekdays_in_its_month_moves_by_the_calendar():
    new, weeks, _ = shift_when(When.parse("2014-09-01,05"), 1)
    assert respell("2014-09-01,05", new) == "2015-09-07,11" and weeks == 53   # 52 would leave September
    new, weeks, notes = shift_when(When.parse("2020-09-01,25"), 1)
    assert respell("2020-09-01,25", new) == "2021-09-01,25" and weeks is None
    assert notes and "按日历" in notes[0]


def test_february_29_with_keep_dates_is_said():
    new, _, notes = shift_when(When.parse("2016-02-28,29"), 1, keep_dates=True)
    assert respell("2016-02-28,29", new) == "2017-02-28"
    assert "2月29日" in notes[0]


def test_fifty_two_or_fifty_three_weeks_whichever_is_closer():
    # one year: 52 weeks is always closer (364 vs 365/366 days); three years: 156 or 157
    assert week_shift([When.parse("2014-03-07").start], 1) == 52
    assert week_shift([When.parse("2014-03-07").start], 3) == 157   # 2017-03-07 is 1096 days on
    assert week_shift([When.parse("2013-01-10").start], 3) == 156   # 2016-01-10 is 1095 days on


def test_items_move_with_their_phase(tmp_path):
    """A phase starting 1月1日 moves 53 weeks; what lies inside it moves with it."""
    out = tmp_path / "f.yaml"
    assert run("roll", FORMS, "-o", out).exit_code == 0
    new = _quiet_load(out)
    phase = new.phases[0]
    assert str(phase.when) == "2017-01-06..2017-01-15"
    assert all(i.when.within(phase.when) for i in phase.items)


def test_dates_are_found_by_the_schema_including_fields_added_later():
    class Stage(Strict):
        due: DateField
        windows: list[WhenField] = []

    class Later(Strict):
        when: WhenField | None = None
        stages: list[Stage] = []
        by_unit: dict[str, Stage] = {}

    m = Later.model_validate({"when": "2014-03 上旬", "stages": [{"due": "2014-05-01",
                              "windows": ["2014-06-01..2014-06-03"]}],
                              "by_unit": {"甲": {"due": "2014-07-01"}}})
    found = {path: str(v) for path, v in iter_date_fields(m)}
    assert found == {("when",): "2014-03 上旬", ("stages", 0, "due"): "2014-05-01",
                     ("stages", 0, "windows", 0): "2014-06-01..2014-06-03",
                     ("by_unit", "甲", "due"): "2014-07-01"}


def test_every_date_field_of_the_example_plans_is_found():
    """Cross-check the schema walk against the file: every scalar under a key the schema
    types as a date (when, deadline, date) is one the walk found."""
    import yaml
    for plan_path in ROLLED:
        src, plan = open_plan(plan_path)
        found = {src.resolve(p)[1] for p, _ in iter_date_fields(plan)}
        typed = set()

        def walk(node, path):
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    walk(v, path + (k.value,))
            elif isinstance(node, yaml.SequenceNode):
                for i, v in enumerate(node.value):
                    walk(v, path + (i,))
            elif path[-1] in ("when", "deadline", "date") and node.value not in ("", "null", "~"):
                typed.add(path)
        walk(yaml.compose(src.text, Loader=yaml.SafeLoader), ())
        assert typed == found, plan_path.name


# ------------------------------------------------------------------ what is reported

def test_weekend_and_holiday_hits_are_listed_with_lines_and_a_working_day():
    pytest.importorskip("chinese_calendar")
    r = roll_file(MASS_LINE, output_name="next.yaml")
    hits = {(h.line, h.day.isoformat()): h for h in r.hits}
    sat = hits[(91, "2015-03-07")]                                   # 阶段二 starts on a Saturday
    assert "周末" in sat.why and sat.suggestion == dt.date(2015, 3, 6)
    dragon = hits[(119, "2015-06-20")]                               # 端午节 2015
    assert "端午" in dragon.why and dragon.suggestion == dt.date(2015, 6, 19)
    text = run("roll", MASS_LINE, "-o", Path("/dev/null")).output    # (refused: not .yaml)
    assert "错误" in text


def test_holidays_with_the_official_make_up_working_days():
    pytest.importorskip("chinese_calendar")
    from gendoc.roll import day_status
    assert day_status(dt.date(2015, 2, 19))[:2] == (False, "春节假期")
    assert day_status(dt.date(2015, 2, 28)) == (True, "调休上班日", True)   # a Saturday, worked


def test_a_year_without_holiday_data_is_said_plainly(tmp_path):
    pytest.importorskip("chinese_calendar")
    from gendoc.roll import holiday_package
    last = holiday_package()[2]
    src = _copy(MASS_LINE, tmp_path)
    out = tmp_path / "far.yaml"
    result = run("roll", src, "--to-year", last + 2, "-o", out)
    assert result.exit_code == 0, result.output
    assert f"{last + 2} 年没有数据" in result.output
    assert "只检查了周末" in result.output
    r = roll_file(src, last + 2)
    assert r.hits and all(not h.known and "周末" in h.why for h in r.hits)


def test_dates_typed_in_prose_and_per_year_names_are_listed_with_lines():
    r = roll_file(WORK_POINTS, output_name="next.yaml")
    by_line = {}
    for x in r.review:
        by_line.setdefault(x.line, []).append(x)

    def has(line, kind, text):
        return any(x.kind == kind and text in x.text for x in by_line.get(line, [])), by_line.get(line)

    assert has(13, "year", "2003年")                  # the title
    assert has(29, "context", "第十二期")              # context: per-year names
    assert has(25, "context", "十六大")
    assert has(107, "date", "二月份")                  # a date typed in prose
    assert has(134, "counter", "第十二期")             # ordinal counter, with the next one
    assert any("第十三期" in x.note for x in by_line[134])
    assert has(134, "year", "2003年度")
    assert has(36, "congress", "十六大")               # congress names in prose
    assert has(155, "one_year", "最后一年")
    assert has(187, "fixed_day", "2003-07-01")         # 七一 moved off its day: said
    assert has(189, "rollover", "期数加一")


def test_year_bound_targets_attachments_and_basis_documents_are_listed():
    r = roll_file(FORMS, output_name="next.yaml")
    kinds = {(x.kind, x.line) for x in r.review}
    assert ("target", 32) in kinds                    # 2016年完成……
    assert ("attachment", 83) in kinds                # 2016年测试工作日程表
    assert ("basis", 27) in kinds                     # 县组发〔2015〕8号: not moved, asked
    assert ("date", 48) in kinds                      # 3月7日前 in an item's text
    assert ("check", 56) in kinds                     # 3月份 no longer inside its moved phase
    # a date in a folded paragraph is placed on its own line of the block
    assert any(x.kind == "year" and x.line == 79 for x in r.review)


def test_doc_number_year_moves_and_the_sequence_is_listed_for_re_entry(tmp_path, monkeypatch):
    r = roll_file(MASS_LINE, output_name="next.yaml")
    assert r.doc_number["old"] == "卫党发〔2014〕3号"
    assert r.doc_number["line"] == 18
    assert any(x.kind == "doc_number" for x in r.review)
    import gendoc.roll as rolling
    if rolling.seq_optional():
        assert "卫党发, year: 2015, seq: null}" in r.text
    else:                                             # the schema still requires a seq
        assert "卫党发, year: 2015, seq: 3}" in r.text
    # once the schema lets seq be empty, roll clears it
    monkeypatch.setattr(rolling, "seq_optional", lambda: True)
    src, plan = open_plan(MASS_LINE)
    _roll_doc_number(src, plan, 1, [])
    assert "{code: 卫党发, year: 2015, seq: null}" in src.text_out()


def test_meta_year_moves_only_when_typed():
    assert "year: 2013" in roll_file(CXZY).text
    text = roll_file(MASS_LINE).text
    assert "\n  year:" not in text and "year: 2015, seq" in text


def test_report_files_in_markdown_and_json(tmp_path):
    src = _copy(MASS_LINE, tmp_path)
    md, js = tmp_path / "r.md", tmp_path / "r.json"
    assert run("roll", src, "-o", tmp_path / "a.yaml", "--report", md).exit_code == 0
    assert run("roll", src, "-o", tmp_path / "b.yaml", "--report", js).exit_code == 0
    text = md.read_text(encoding="utf-8")
    assert text.startswith("# 年度滚动报告：2014 → 2015") and "## 请核对" in text
    data = json.loads(js.read_text(encoding="utf-8"))
    assert data["from_year"] == 2014 and data["to_year"] == 2015 and data["rule"] == "weekday"
    assert len(data["moves"]) == 21   # the 动员大会 会议通知 has a date too
    assert {"path": "phases[1].when", "line": 91} .items() <= next(
        m for m in data["moves"] if m["path"] == "phases[1].when").items()
    assert all(set(x) >= {"kind", "path", "line", "note"} for x in data["review"])


def test_console_report_is_chinese(tmp_path):
    result = run("roll", _copy(MASS_LINE, tmp_path), "-o", tmp_path / "n.yaml")
    assert result.exit_code == 0
    out = result.output
    assert "已从 2014 年滚动到 2015 年" in out and "移动了 21 处日期" in out
    assert "第 89 行" in out and "请核对" in out


# ------------------------------------------------------------------ the file as the clerk wrote it

def test_quoting_anchors_flow_style_and_comments_survive(tmp_path):
    out = tmp_path / "f.yaml"
    assert run("roll", FORMS, "-o", out).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "  date: '2017-02-24'                 # 单引号" in text
    assert 'date: "2017-02-27"}   # 双引号；2月29日' in text
    assert "    when: &start 2017-01-06..2017-01-15    # 1月1日" in text
    assert "        when: *start" in text
    assert "{title: 学习, when: 2017-3-6 起, text: 集中学习不少于5天。}" in text
    assert "when: 2017-02-27 .. 2017-03-30" in text


def test_crlf_bom_and_gbk_input(tmp_path):
    text = FORMS.read_text(encoding="utf-8")
    crlf = tmp_path / "crlf.yaml"
    crlf.write_bytes(codecs.BOM_UTF8 + text.replace("\n", "\r\n").encode("utf-8"))
    out = tmp_path / "crlf-out.yaml"
    assert run("roll", crlf, "-o", out).exit_code == 0
    raw = out.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8) and raw.count(b"\r\n") == text.count("\n")

    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes(text.encode("gb18030"))
    out = tmp_path / "gbk-out.yaml"
    result = run("roll", gbk, "-o", out)
    assert result.exit_code == 0, result.output
    assert "UTF-8" in result.output
    assert out.read_text(encoding="utf-8").count("#") == text.count("#")


def test_yaml_11_numbers_are_kept_as_typed(tmp_path):
    """The loader keeps 010 and 000017 as typed; the rolled file must not rewrite them."""
    text = (FIXTURE_PLANS / "minimal.yaml").read_text(encoding="utf-8").replace(
        "  date: 2014-02-27", "  date: 2014-02-27\n  copy_number: 000017\n  year: 2014")
    p = tmp_path / "n.yaml"
    p.write_text(text, encoding="utf-8")
    out = tmp_path / "o.yaml"
    assert run("roll", p, "-o", out).exit_code == 0
    new = out.read_text(encoding="utf-8")
    assert "copy_number: 000017" in new and "year: 2015" in new


def test_source_edits_scalars_in_place():
    text = "a: &x 2014-03-07\nb: *x\nc: '2014-03 底前'   # c\nd: \"2014\"\ne: |\n  2014-01-01\nf: {g: [1, 2014-05-01]}\n"
    s = Source(text, "t.yaml")
    assert s.get(("c",)) == "2014-03 底前" and s.line(("e",)) == 5
    s.set(("b",), "2015-03-06")           # the alias writes its anchor
    s.set(("c",), "2015-03 底前")
    s.set(("d",), "2015")
    s.set(("e",), "2015-01-07")
    s.set(("f", "g", 1), "2015-04-30")
    assert s.text_out() == ("a: &x 2015-03-06\nb: *x\nc: '2015-03 底前'   # c\nd: \"2015\"\n"
                            "e: \"2015-01-07\"\nf: {g: [1, 2015-04-30]}\n")


# ------------------------------------------------------------------ safety

def test_an_invalid_plan_is_refused_with_the_usual_errors(tmp_path):
    bad = TESTS / "bad_plans" / "bad_date.yaml"
    result = run("roll", bad, "-o", tmp_path / "x.yaml")
    assert result.exit_code == 1
    checked = run("check", bad)
    first = [ln for ln in checked.output.splitlines() if ln.startswith("错误：")][0]
    assert first in result.output
    assert not (tmp_path / "x.yaml").exists()


@pytest.mark.parametrize("bad", ["alias_bomb.yaml", "duplicate_key.yaml", "encoding_latin1.yaml"])
def test_hostile_input_is_refused_as_on_loading(bad, tmp_path):
    result = run("roll", TESTS / "bad_plans" / bad, "-o", tmp_path / "x.yaml")
    assert result.exit_code == 1 and "错误：" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x.yaml").exists()


def test_never_overwrites_its_input(tmp_path):
    src = _copy(MASS_LINE, tmp_path)
    before = _digest(src)
    for target in (src, tmp_path / "." / src.name):
        result = run("roll", src, "-o", target)
        assert result.exit_code == 1 and "输入的计划文件本身" in result.output
    link = tmp_path / "link.yaml"
    link.hardlink_to(src)
    assert run("roll", src, "-o", link).exit_code == 1
    assert _digest(src) == before


def test_to_year_outside_the_schema_range_is_an_error(tmp_path):
    src = _copy(MASS_LINE, tmp_path)
    for year in (1948, 2101, 99999):
        result = run("roll", src, "--to-year", year, "-o", tmp_path / "x.yaml")
        assert result.exit_code == 1 and "超出计划年份的范围（1949—2100）" in result.output
    result = run("roll", src, "--to-year", 2014, "-o", tmp_path / "x.yaml")
    assert result.exit_code == 1 and "已经是 2014 年" in result.output
    assert not (tmp_path / "x.yaml").exists()


def test_default_output_name_and_no_silent_overwrite(tmp_path):
    src = _copy(MASS_LINE, tmp_path)
    result = run("roll", src)
    assert result.exit_code == 0, result.output
    default = tmp_path / "mass-line-implementation-plan-2015.yaml"
    assert default.is_file()
    default.write_text(default.read_text(encoding="utf-8") + "# 手改过\n", encoding="utf-8")
    again = run("roll", src)                       # a plan is never overwritten
    assert again.exit_code == 1 and "为免覆盖它" in again.output
    assert run("roll", src, "-o", default).exit_code == 1
    assert default.read_text(encoding="utf-8").endswith("# 手改过\n")
    plain = _copy(FIXTURE_PLANS / "minimal.yaml", tmp_path, "plan.yaml")
    assert run("roll", plain).exit_code == 0 and (tmp_path / "plan-2015.yaml").is_file()
    folder = tmp_path / "out"
    folder.mkdir()
    assert run("roll", src, "-o", f"{folder}/").exit_code == 0
    assert (folder / "mass-line-implementation-plan-2015.yaml").is_file()


@pytest.mark.parametrize("args, message", [
    (["-o", "x.docx"], "应以 .yaml 或 .yml 结尾"),
    (["-o", "missing/x.yaml"], "文件夹不存在"),
    (["-o", "x.yaml", "--report", "r.txt"], ".md（Markdown）或 .json"),
])
def test_bad_output_arguments(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = _copy(MASS_LINE, tmp_path)
    result = run("roll", src, *args)
    assert result.exit_code == 1 and message in result.output, result.output
    assert not (tmp_path / "x.yaml").exists()


def test_a_date_pushed_past_the_last_year_is_an_error_naming_its_line(tmp_path):
    plan = tmp_path / "p.yaml"
    plan.write_text(FORMS.read_text(encoding="utf-8").replace("deadline: 2016-09 下旬",
                                                              "deadline: 2016-12-28..2017-01-03"), encoding="utf-8")
    out = tmp_path / "x.yaml"
    result = run("roll", plan, "--to-year", 2100, "-o", out)
    assert result.exit_code == 1
    assert f"{plan}:66: rectifications[0].deadline: 滚动到 2100 年后这里不再有效，没有写出文件" in result.output
    assert "2101" in result.output and not out.exists()


def test_a_plan_without_any_year_is_an_error(tmp_path):
    plan = tmp_path / "p.yaml"
    plan.write_text("schema_version: 1\ntemplate: notice\nmeta:\n  genre: 通知\n  title: 关于测试的通知\n"
                    "  issuer: {name: 测试局}\nsections:\n  - heading: 一\n    text: 二。\n", encoding="utf-8")
    result = run("roll", plan)
    assert result.exit_code == 1 and "请写上 meta.year" in result.output


def test_rolling_backwards(tmp_path):
    out = tmp_path / "back.yaml"
    assert run("roll", MASS_LINE, "--to-year", 2013, "-o", out).exit_code == 0
    old, new = _quiet_load(MASS_LINE), _quiet_load(out)
    moved = dict(iter_date_fields(new))
    for path, value in iter_date_fields(old):
        _check_moved(value, moved[path], -1, False)
    assert str(new.phases[1].when) == "2013-03-09..2013-04-01"


_PARTS_MONTH = ["", " 上旬", " 中旬", " 下旬", " 中下旬", " 底前", " 份", " 初"]
_PARTS_YEAR = [" 上半年", " 下半年", " 年内", " 第三季度"]


@st.composite
def expressions(draw):
    """A date expression in any of the clerk's forms, padded or not, with its quoting."""
    def day(d: dt.date, pad: bool) -> str:
        return f"{d.year}-{d.month:02d}-{d.day:02d}" if pad else f"{d.year}-{d.month}-{d.day}"
    start = draw(st.dates(min_value=dt.date(2004, 1, 1), max_value=dt.date(2030, 12, 31)))
    pad = draw(st.booleans())
    kind = draw(st.sampled_from(["day", "range", "list", "month", "year", "months"]))
    if kind == "day":
        text = day(start, pad) + draw(st.sampled_from(["", " 起", " 前", " 上午"]))
    elif kind == "range":
        end = start + dt.timedelta(days=draw(st.integers(0, 90)))
        text = day(start, pad) + draw(st.sampled_from(["..", " .. "])) + day(end, pad)
    elif kind == "list":
        last = calendar.monthrange(start.year, start.month)[1]
        extra = sorted(set(draw(st.lists(st.integers(start.day + 1, max(start.day + 1, last)),
                                         min_size=1, max_size=3))) - {start.day} - set(range(last + 1, 40)))
        text = day(start, pad) + "".join(f",{d:02d}" if pad else f",{d}" for d in extra)
    elif kind == "month":
        text = f"{start.year}-{start.month:02d}" + draw(st.sampled_from(_PARTS_MONTH))
    elif kind == "year":
        text = f"{start.year}" + draw(st.sampled_from(_PARTS_YEAR))
    else:
        text = f"{start.year}-{start.month:02d} 上旬..{start.year}-12"
    quote = draw(st.sampled_from(["", "'", '"']))
    return text, quote


@settings(max_examples=150, deadline=None)
@given(st.lists(expressions(), min_size=1, max_size=6), st.booleans())
def test_random_date_forms_roll_in_place(exprs, keep):
    import tempfile
    base = (FIXTURE_PLANS / "minimal.yaml").read_text(encoding="utf-8")
    base = base.replace("  date: 2014-02-27\n", "  year: 2016\n")
    sections = "".join(f"  - heading: 第{i}节   # 注释 {i}\n    when: {q}{t}{q}\n    text: 正文。\n"
                       for i, (t, q) in enumerate(exprs))
    text = base.split("sections:\n")[0] + "sections:\n" + sections
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "p.yaml"
        p.write_text(text, encoding="utf-8")
        r = roll_file(p, 2017, keep_dates=keep)
        old_lines, new_lines = text.split("\n"), r.text.split("\n")
        assert len(old_lines) == len(new_lines)
        for i, (t, q) in enumerate(exprs):
            assert f"  - heading: 第{i}节   # 注释 {i}" in new_lines
            old = When.parse(t)
            new = r.new_plan.sections[i].when
            move = next(m for m in r.moves if m.path == ("sections", i, "when"))
            if move.notes:  # the one exception, said in the report: a list that cannot keep
                assert old.start.extra_days and "按日历" in move.notes[0]  # weekdays in its month
            _check_moved(old, new, 1, keep or bool(move.notes))
            line = new_lines[old_lines.index(f"    when: {q}{t}{q}")]
            assert line.startswith(f"    when: {q}") and line.endswith(q)


def test_source_follows_merge_keys_and_explicit_keys_win():
    s = Source("base: &b {when: 2014-03-07, text: 甲}\nitem:\n  <<: *b\n  text: 乙\n", "t.yaml")
    assert s.get(("item", "when")) == "2014-03-07" and s.line(("item", "when")) == 1
    assert s.get(("item", "text")) == "乙"
    s.set(("item", "when"), "2015-03-06")  # the merged value is the anchor's: it moves there
    assert s.text_out().startswith("base: &b {when: 2015-03-06, text: 甲}")


def test_a_meeting_notices_own_doc_number_rolls_and_a_basis_documents_does_not(tmp_path):
    plan = tmp_path / "mn.yaml"
    plan.write_text("""schema_version: 1
template: notice
meta:
  genre: 通知
  title: 关于开展活动的通知
  issuer: {name: 中共测试县卫生局委员会}
  doc_number: {code: 卫党发, year: 2014, seq: 3}
  date: 2014-02-27
preamble:
  basis: [{title: 上级文件, doc_number: {code: 县委发, year: 2014, seq: 1}}]
meetings:
  - name: 动员大会
    when: 2014-03-07
    place: 局会议室
    attendees: [全体党员]
    notice: {doc_number: {code: 卫党办发, year: 2014, seq: 5}, date: 2014-03-01}
""", encoding="utf-8")
    result = roll_file(plan, 2015)
    assert "notice: {doc_number: {code: 卫党办发, year: 2015, seq: null}" in result.text
    assert "doc_number: {code: 县委发, year: 2014, seq: 1}" in result.text   # another organ's
    rows = [r for r in result.review if r.kind in ("doc_number", "notice_doc_number")]
    assert [(r.kind, r.line) for r in rows] == [("doc_number", 7), ("notice_doc_number", 16)]
    assert "会议" in rows[1].label and "卫党办发〔2015〕" in rows[1].text
    assert "卫党办发〔2014〕5号 → 卫党办发〔2015〕" in format_text(result)
