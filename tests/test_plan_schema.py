"""Plan schema and loader error paths: every mistake is one GendocError naming file, line and
field, the CLI exits 1, and no output file appears."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gendoc.cli import main
from gendoc.errors import GendocError
from gendoc.plan import MAX_SECTION_DEPTH, Plan, json_schema, load_plan

from conftest import FIXTURE_PLANS

MINIMAL = (FIXTURE_PLANS / "minimal.yaml").read_text(encoding="utf-8")
# line numbers in minimal.yaml
L_META, L_TITLE, L_RECIPIENTS, L_DATE = 4, 6, 9, 10
assert MINIMAL.splitlines()[L_TITLE - 1].strip().startswith("title:")
assert MINIMAL.splitlines()[L_RECIPIENTS - 1].strip().startswith("recipients:")
assert MINIMAL.splitlines()[L_DATE - 1].strip().startswith("date:")


def _replace_line(line_no: int, new: str, text: str = MINIMAL) -> str:
    lines = text.splitlines()
    lines[line_no - 1] = new
    return "\n".join(lines) + "\n"


def _insert_after(line_no: int, new: str, text: str = MINIMAL) -> str:
    lines = text.splitlines()
    lines.insert(line_no, new)
    return "\n".join(lines) + "\n"


DEEP = """\
schema_version: 1
template: notice
meta:
  genre: 通知
  title: 关于开展测试工作的通知
  issuer:
    name: 中共测试县卫生局委员会
sections:
  - heading: 一级
    sections:
      - heading: 二级
        sections:
          - heading: 三级
            sections:
              - heading: 四级
                sections:
                  - heading: 五级
"""

# name -> (plan text, line, field or None, a fragment of the message)
CASES = {
    "yaml_syntax_error": (_replace_line(5, "  genre: 通知: 多了冒号"), 5, None, "YAML 语法错误"),
    "missing_meta_title": ("\n".join(l for i, l in enumerate(MINIMAL.splitlines(), 1) if i != L_TITLE) + "\n",
                           L_META, "meta.title", "缺少必填字段"),
    "impossible_date": (_replace_line(L_DATE, "  date: 2014-02-30"), L_DATE, "meta.date", "2月只有28天"),
    "phase_range_ends_before_it_starts": (
        MINIMAL + "phases:\n  - name: 阶段\n    when: 2014-03..2014-02\n", 16, "phases[0].when", "结束日期早于开始日期"),
    "wrong_type": (_insert_after(L_DATE, '  doc_number: {code: 卫党发, year: 2014, seq: "abc"}'),
                   L_DATE + 1, "meta.doc_number.seq", "应为整数"),
    "unknown_field": (_replace_line(L_RECIPIENTS, "  recipeints: [各支部]"), L_RECIPIENTS, "meta.recipeints",
                      "不认识的字段"),
    "duplicate_key": (_insert_after(L_RECIPIENTS, "  recipients: [别的]"), L_RECIPIENTS + 1, "meta.recipients",
                      f"第 {L_RECIPIENTS} 行和第 {L_RECIPIENTS + 1} 行"),
    "tab_indentation": (_replace_line(L_RECIPIENTS, "\trecipients: [各支部]"), L_RECIPIENTS, None, "制表符"),
    "empty_file": ("", 1, None, "空"),
    "unknown_template": (_replace_line(3, "template: nosuch"), 3, "template", "nosuch"),
    "sections_deeper_than_four_levels": (DEEP, 17, "sections[0].sections[0].sections[0].sections[0].sections[0]",
                                         "超过四层"),
}


@pytest.fixture(params=sorted(CASES), ids=sorted(CASES))
def bad_plan(request, tmp_path):
    text, line, field, fragment = CASES[request.param]
    path = tmp_path / f"{request.param}.yaml"
    path.write_text(text, encoding="utf-8")
    return path, line, field, fragment


def test_bad_plan_fails_in_cli_with_line_and_field_and_writes_nothing(bad_plan, tmp_path):
    path, line, field, fragment = bad_plan
    out = tmp_path / "out.docx"
    result = CliRunner().invoke(main, ["render", str(path), "-o", str(out)])
    assert result.exit_code == 1, result.output
    err = result.stderr
    assert f"{path}:{line}:" in err, err
    if field:
        assert f": {field}:" in err, err
    assert fragment in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.suffix in (".docx", ".tmp")]


def test_bad_plan_raises_gendoc_error_with_line_and_field(bad_plan):
    path, line, field, fragment = bad_plan
    from gendoc.render import build_document
    with pytest.raises(GendocError) as info:
        build_document(load_plan(path))
    exc = info.value
    assert exc.line == line
    assert exc.field == field
    assert fragment in str(exc)


def test_check_command_fails_on_a_bad_plan(bad_plan):
    path, line, field, fragment = bad_plan
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:{line}:" in result.stderr


def test_title_lines_that_do_not_join_to_the_title_are_rejected(tmp_path):
    path = tmp_path / "title_lines.yaml"
    path.write_text(_insert_after(L_DATE, "  title_lines: [关于开展, 别的工作的通知]"), encoding="utf-8")
    out = tmp_path / "out.docx"
    result = CliRunner().invoke(main, ["render", str(path), "-o", str(out)])
    assert result.exit_code == 1
    assert "title_lines" in result.stderr
    assert not out.exists()


def test_title_lines_error_points_at_the_title_lines_line(tmp_path):
    path = tmp_path / "title_lines.yaml"
    path.write_text(_insert_after(L_DATE, "  title_lines: [关于开展, 别的工作的通知]"), encoding="utf-8")
    with pytest.raises(GendocError) as info:
        load_plan(path)
    assert info.value.line == L_DATE + 1
    assert info.value.field == "meta.title_lines"


def test_title_lines_that_join_to_the_title_are_used_as_the_title_lines(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(_insert_after(L_DATE, "  title_lines: [关于开展测试, 工作的通知]"), encoding="utf-8")
    from gendoc.render import build_document
    assert build_document(load_plan(path)).title_lines == ["关于开展测试", "工作的通知"]


LEAD_PLAN = (_replace_line(3, "template: implementation_plan")
             + 'guiding_ideology:\n  lead: "{{ nosuch }}年"\n  text: 指导思想。\n')
L_LEAD = len(MINIMAL.splitlines()) + 2


def test_bad_template_field_fails_with_its_field_and_writes_nothing(tmp_path):
    path = tmp_path / "lead.yaml"
    path.write_text(LEAD_PLAN, encoding="utf-8")
    assert LEAD_PLAN.splitlines()[L_LEAD - 1].strip().startswith("lead:")
    out = tmp_path / "out.docx"
    result = CliRunner().invoke(main, ["render", str(path), "-o", str(out)])
    assert result.exit_code == 1
    assert "guiding_ideology.lead" in result.stderr and "nosuch" in result.stderr
    assert not out.exists()


def test_bad_template_field_error_names_file_and_line(tmp_path):
    path = tmp_path / "lead.yaml"
    path.write_text(LEAD_PLAN, encoding="utf-8")
    result = CliRunner().invoke(main, ["render", str(path), "-o", str(tmp_path / "out.docx")])
    assert result.exit_code == 1
    assert f"{path}:{L_LEAD}: guiding_ideology.lead:" in result.stderr


def test_every_problem_is_reported_each_with_its_own_line(tmp_path):
    text = _replace_line(L_DATE, "  date: 2014-02-30")
    text = _replace_line(L_RECIPIENTS, "  recipeints: [各支部]", text)
    path = tmp_path / "two.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GendocError) as info:
        load_plan(path)
    located = sorted((p.line, p.field) for p in info.value.problems)
    assert located == [(L_RECIPIENTS, "meta.recipeints"), (L_DATE, "meta.date")]
    result = CliRunner().invoke(main, ["render", str(path), "-o", str(tmp_path / "o.docx")])
    assert result.exit_code == 1
    assert f"{path}:{L_RECIPIENTS}:" in result.stderr and f"{path}:{L_DATE}:" in result.stderr
    assert "共 2 处问题" in result.stderr


def test_four_levels_of_sections_are_allowed(tmp_path):
    path = tmp_path / "four.yaml"
    path.write_text(DEEP.rsplit("                sections:", 1)[0], encoding="utf-8")
    plan = load_plan(path)
    assert plan.sections[0].sections[0].sections[0].sections[0].heading == "四级"
    assert MAX_SECTION_DEPTH == 4


def test_yaml_dates_stay_checked_dates(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    plan = load_plan(path)
    assert plan.meta.date.isoformat() == "2014-02-27"
    assert plan.meta.plan_year == 2014  # defaults to the year of the date
    assert plan.meta.year is None       # derived, never stored as if the clerk had typed it
    assert "year" not in plan.model_dump(exclude_unset=True)["meta"]


@pytest.mark.parametrize("field, value", [
    ("meta.date", "1900-01-01"), ("meta.date", "2101-01-01"),
    ("sections[0].when", "1800-03"), ("sections[0].when", "3000 上半年"),
    ("sections[0].when", "2014-03-01..2200-01-01"), ("meta.year", 2200),
    ("meta.doc_number", {"code": "卫发", "year": 1900, "seq": 1}),
])
def test_every_year_is_held_to_one_range(tmp_path, field, value):
    import yaml
    data = yaml.safe_load(MINIMAL)
    node, *path = field.replace("[0]", ".0").split(".")
    target = data[node]
    for key in path[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = path[-1]
    target[int(last) if last.isdigit() else last] = value
    p = tmp_path / "y.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(GendocError) as info:
        load_plan(p)
    assert info.value.line is not None
    assert any(w in info.value.message for w in ("超出范围", "数值太"))


def test_doc_number_code_must_not_contain_year_or_brackets(tmp_path):
    path = tmp_path / "code.yaml"
    path.write_text(_insert_after(L_DATE, "  doc_number: {code: 卫党发〔2014〕, year: 2014, seq: 3}"), encoding="utf-8")
    with pytest.raises(GendocError) as info:
        load_plan(path)
    assert info.value.line == L_DATE + 1
    assert info.value.field == "meta.doc_number.code"


def test_copy_number_is_padded_to_six_digits(tmp_path):
    path = tmp_path / "copy.yaml"
    path.write_text(_insert_after(L_DATE, '  copy_number: "17"'), encoding="utf-8")
    assert load_plan(path).meta.copy_number == "000017"


def test_json_schema_forbids_unknown_fields_and_describes_meta():
    schema = json_schema()
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert "meta" in schema["properties"] and "meta" in schema["required"]
    assert schema.get("additionalProperties") is False
    json.dumps(schema, ensure_ascii=False)  # serialisable
    assert Plan.model_config["extra"] == "forbid"


# ---- warnings about content that would silently go missing (located like errors)

def _write(tmp_path, text):
    p = tmp_path / "w.yaml"
    p.write_text(text, encoding="utf-8")
    return p


WARN_PLAN = """schema_version: 1
template: work_points
meta:
  genre: 工作要点
  title: 2014年工作要点
  issuer: {name: 测试局}
  year: 2014
scope: 全局党员
phases:
  - name: 动员
    when: 2014-03-01..2014-03-10
    items:
      - {text: 召开动员会, when: 2014-04-02}
attachments:
  - {title: 附表}
"""


def test_content_the_template_does_not_print_is_warned_with_its_line(tmp_path):
    import warnings as _w
    from gendoc.errors import GendocWarning
    from gendoc.plan import load_plan
    from gendoc.render import build_document
    path = _write(tmp_path, WARN_PLAN)
    with _w.catch_warnings(record=True) as caught:
        _w.simplefilter("always", GendocWarning)
        build_document(load_plan(path))
    messages = [str(w.message) for w in caught]
    assert any(m.startswith(f"{path}:8: scope: ") and "不会出现在文档里" in m for m in messages), messages
    assert any(m.startswith(f"{path}:9: phases: ") for m in messages), messages
    assert any(m.startswith(f"{path}:13: phases[0].items[0].when: ") and "不在阶段" in m for m in messages), messages
    assert any("附件“附表”没有内容" in m for m in messages), messages


def test_trailing_colon_in_recipients_is_not_doubled(tmp_path):
    from gendoc.plan import load_plan
    from gendoc.render import build_document
    path = _write(tmp_path, WARN_PLAN.replace("  year: 2014\n", "  year: 2014\n  recipients: [各支部：]\n"))
    assert build_document(load_plan(path)).recipients == "各支部"
