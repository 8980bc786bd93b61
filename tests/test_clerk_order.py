"""A plan carries a real document as the clerk wrote it (issue: every genre reads as written):
dates where clerks put them, a phase's content in the clerk's order, meetings part by part,
an optional 落款, counts computed from the structure.

Each test renders a small plan to .docx through the library and reads the paragraphs back.
"""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import pytest

from conftest import PLANS, Docx, render_plan
from gendoc.dates import When
from gendoc.errors import GendocError, GendocWarning
from gendoc.plan import load_plan
from gendoc.roll import respell, shift_when

HEAD = """\
schema_version: 1
template: {template}
meta:
  genre: 工作方案
  title: 关于开展作风建设年活动的工作方案
  issuer: {{name: 中共沙湾县卫生局委员会}}
  year: 2014
{meta}"""


def plan_file(tmp_path: Path, body: str, template: str = "work_plan", meta: str = "") -> Path:
    p = tmp_path / "plan.yaml"
    p.write_text(HEAD.format(template=template, meta=meta) + textwrap.dedent(body), encoding="utf-8")
    return p


def texts(tmp_path: Path, body: str, **kw) -> list[str]:
    return Docx(render_plan(plan_file(tmp_path, body, **kw), tmp_path)).texts()


PHASE = """\
phases:
  - name: 动员部署
    when: 2014-03-01..2014-03-31
    when_note: 1个月时间
    body:
      - 这一阶段主要抓好学习动员。
      - para: 各支部要制定本支部的具体方案，报局党委备案。
        when: 2014-03 底前
      - meeting:
          name: 动员大会
          when: 2014-03-07
          guidance: [县委督导组]
          requirements: 各单位要认真组织
      - item:
          title: 集中学习
          when: 2014-03 中旬
          when_note: 具体时间另行通知
          text: 组织党员干部集中学习有关文件。
          attendees: [全体党员]
          guidance: [县委督导组]
      - section:
          heading: 广泛征求意见
          body:
            - 通过座谈会、走访等形式征求意见。
            - item: {text: 召开座谈会。, when: 2014-03-20, when_style: lead, when_join: ""}
      - 最后一段，在小节之后。
"""


def test_a_phase_keeps_paragraphs_items_meetings_and_sections_in_the_clerks_order(tmp_path):
    got = texts(tmp_path, PHASE)
    start = got.index("一、动员部署（3月1日—3月31日，1个月时间）")
    assert got[start + 1:start + 8] == [
        "这一阶段主要抓好学习动员。",
        "3月底前，各支部要制定本支部的具体方案，报局党委备案。",
        "1.召开动员大会（3月7日）。邀请县委督导组到会指导。有关要求：各单位要认真组织。",
        "2.集中学习（3月中旬，具体时间另行通知）。组织党员干部集中学习有关文件。"
        "参会人员：全体党员；邀请县委督导组到会指导。",
        "（一）广泛征求意见",
        "通过座谈会、走访等形式征求意见。",
        "1.3月20日召开座谈会。",
    ]
    assert got[start + 8] == "最后一段，在小节之后。"


def test_work_plan_phases_are_level_one_headings_with_their_dates(tmp_path):
    d = Docx(render_plan(plan_file(tmp_path, PHASE), tmp_path))
    heading = d.find("一、动员部署（3月1日—3月31日，1个月时间）")
    assert d.style(heading) == "Heading1"
    assert "方法步骤" not in d.texts()   # the 实施方案 template's wrapper heading is not used


def test_the_implementation_plan_template_still_puts_phases_under_its_own_heading(tmp_path):
    got = texts(tmp_path, PHASE, template="implementation_plan")
    assert "一、方法步骤" in got and "（一）动员部署（3月1日—3月31日，1个月时间）" in got


@pytest.mark.parametrize("when_style, expected", [
    ("lead", "1.集中学习。3月中旬，组织学习。"),
    ("paren", "1.集中学习（3月中旬）。组织学习。"),
    ("none", "1.集中学习。组织学习。"),
])
def test_an_items_date_prints_where_the_clerk_chooses(tmp_path, when_style, expected):
    body = f"""\
    sections:
      - heading: 主要任务
        items:
          - {{title: 集中学习, when: 2014-03 中旬, when_style: {when_style}, text: 组织学习。}}
    """
    assert expected in texts(tmp_path, body)


def test_a_dated_paragraph_without_title_puts_a_bracketed_date_before_its_full_stop(tmp_path):
    body = """\
    sections:
      - heading: 主要任务
        body:
          - {para: 各支部完成自查。, when: 2014-04 上旬, when_style: paren}
          - {para: 各支部完成自查。, when: 2014-04 末起, when_note: 为期两周}
    """
    got = texts(tmp_path, body)
    assert "各支部完成自查（4月上旬）。" in got
    assert "4月末起（为期两周），各支部完成自查。" in got


def test_a_meeting_prints_its_parts_in_the_chosen_order_and_no_empty_label(tmp_path):
    body = """\
    meetings:
      - name: 专题民主生活会
        when: 2014-06 上旬
        presider: 局党委书记
        guidance: [县委督导组]
        observers: [党员群众代表]
        follow_up: 形成专题报告
        order: [follow_up, guidance, observers, presider]
      - name: 推进会
        verb: 举办
        when: 2014-06,09
        when_style: lead
        text: 交流经验
        attendees: [各支部书记]
        requirements: 提前报送材料
        layout: paragraphs
    """
    got = texts(tmp_path, body, template="implementation_plan")
    first = next(t for t in got if "专题民主生活会" in t)
    assert first == ("1.召开专题民主生活会（6月上旬）。会后，形成专题报告。"
                     "邀请县委督导组到会指导；邀请党员群众代表列席。由局党委书记主持。")
    assert "参会人员" not in first
    i = got.index("2.6月、9月，举办推进会。交流经验。")
    assert got[i + 1:i + 3] == ["参会人员：各支部书记。", "有关要求：提前报送材料。"]


def test_meeting_order_naming_a_part_twice_is_an_error_with_its_line(tmp_path):
    body = """\
    meetings:
      - name: 动员大会
        order: [text, text]
    """
    with pytest.raises(GendocError) as e:
        load_plan(plan_file(tmp_path, body))
    assert e.value.line == 10 and "重复" in e.value.message


@pytest.mark.parametrize("block, words", [
    ("{para: 一段, item: {text: 一条}}", "para、item"),
    ("{points_style: yi_yao}", "或者直接写一段文字"),
    ("{paragraph: 一段}", "不认识的字段"),
])
def test_a_body_entry_must_be_exactly_one_kind(tmp_path, block, words):
    body = f"""\
    sections:
      - heading: 主要任务
        body:
          - {block}
    """
    with pytest.raises(GendocError) as e:
        load_plan(plan_file(tmp_path, body))
    assert e.value.line == 11 and words in e.value.message, e.value.message


def test_no_signature_and_no_date_print_no_closing(tmp_path):
    d = Docx(render_plan(plan_file(tmp_path, PHASE), tmp_path))
    assert not [t for t in d.texts() if "中共沙湾县卫生局委员会" in t or "年" in t and "日" in t and len(t) < 14]


def test_a_signature_without_date_prints_alone_with_a_warning(tmp_path):
    p = plan_file(tmp_path, PHASE, meta="  signature: 中共沙湾县卫生局委员会\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        d = Docx(render_plan(p, tmp_path))
    assert "中共沙湾县卫生局委员会" in d.texts()
    assert any(issubclass(w.category, GendocWarning) and "没有成文日期" in str(w.message) for w in caught)


def test_a_dated_document_still_signs_with_the_issuer(tmp_path):
    d = Docx(render_plan(plan_file(tmp_path, PHASE, meta="  date: 2014-02-28\n"), tmp_path))
    got = d.texts()
    assert "中共沙湾县卫生局委员会" in got and "2014年2月28日" in got


def test_the_count_of_sections_in_a_lead_in_follows_the_structure(tmp_path):
    src = (PLANS / "party-building-work-points-2003.yaml").read_text(encoding="utf-8")
    assert "{{ count }}" in src   # the example types no count
    five = tmp_path / "five.yaml"
    five.write_text(src, encoding="utf-8")
    assert "今年重点做好以下五方面工作：" in Docx(render_plan(five, tmp_path)).texts()
    six = tmp_path / "six.yaml"
    head, sep, rest = src.partition("\nsections:")
    line_end = rest.index("\n") + 1
    six.write_text(head + sep + rest[:line_end] + "    - heading: 新增一方面工作\n      text: 新增的内容。\n"
                   + rest[line_end:], encoding="utf-8")
    got = Docx(render_plan(six, tmp_path)).texts()
    assert "今年重点做好以下六方面工作：" in got and "（一）新增一方面工作" in got


def test_count_is_only_known_where_a_lead_in_introduces_entries(tmp_path):
    body = """\
    guiding_ideology:
      lead: "以下{{ count }}条："
      text: 以科学发展观为指导。
    """
    with pytest.raises(GendocError) as e:
        render_plan(plan_file(tmp_path, body, template="implementation_plan"), tmp_path)
    assert "count" in e.value.message and e.value.line == 9


@pytest.mark.parametrize("typed, printed, first, last", [
    ("2010-06,09", "6月、9月", "2010-06-01", "2010-09-30"),
    ("2010-06,09 份", "6月份、9月份", "2010-06-01", "2010-09-30"),
    ("2014-04 末起", "4月末起", "2014-04-21", "2014-04-30"),
    ("2014-10 以来", "10月以来", "2014-10-01", "2014-10-31"),
    ("2014-10 中旬以来", "10月中旬以来", "2014-10-11", "2014-10-20"),
    ("2014 年底前", "年底前", "2014-12-01", "2014-12-31"),
])
def test_date_expressions_clerks_write(typed, printed, first, last):
    w = When.parse(typed)
    year = int(typed[:4])
    assert (w.format(year), str(w.first), str(w.last)) == (printed, first, last)


@pytest.mark.parametrize("typed, words", [
    ("2014-09,06", "从早到晚"),
    ("2014-06,13", "月份 13 不存在"),
    ("2014-04 末后", "不认识“末后”"),
    ("2014-04-03 末起", "不认识“末起”"),
])
def test_bad_date_expressions_say_what_is_wrong(typed, words):
    with pytest.raises(ValueError) as e:
        When.parse(typed)
    assert words in str(e.value)


def test_month_lists_and_open_starts_roll_as_typed():
    for typed, rolled in (("2010-06,09", "2011-06,09"), ("2014-04 末起", "2015-04 末起")):
        new, _, _ = shift_when(When.parse(typed), 1)
        assert respell(typed, new) == rolled


def test_the_rectification_example_counts_its_measures_and_invents_no_closing(tmp_path):
    """Seed 000 promises 七条 and gives three (a truncated scrape): the count is the structure's."""
    d = Docx(render_plan(PLANS / "advanced-education-rectification-2005.yaml", tmp_path))
    got = d.texts()
    assert got[2].endswith("现提出以下三条深入整改措施：")
    assert [t for t in got if t.startswith(("一、", "二、", "三、", "四、"))] == [
        "一、加强领导班子建设，建立党建工作长效机制", "二、进一步解放思想，加快卫生改革与发展步伐",
        "三、加快农村卫生发展，促进城乡卫生一体化"]
    assert not [t for t in got if "卫生局党组" in t]   # no 署名 was written, none is printed


def test_inline_points_run_inside_a_paragraph_or_stand_as_their_own(tmp_path):
    body = """\
    sections:
      - heading: 工作要求
        body:
          - para: 为此，各单位要做到：
            points: [{lead: 提高认识, text: 充分认识活动的重要意义。}, {text: 加强领导。}]
          - points: [{lead: 要统一思想, text: 认清形势。}, {text: 要落实责任。}]
            points_style: plain
    """
    got = texts(tmp_path, body)
    assert "为此，各单位要做到：一是提高认识。充分认识活动的重要意义。二是加强领导。" in got
    assert "要统一思想。认清形势。要落实责任。" in got


def test_roll_moves_the_dates_of_body_entries_and_names_them_in_plan_terms(tmp_path):
    """A paragraph's date written beside it (``para: …`` / ``when: …``), a meeting's and an
    item's inside a body: all move; the report and gendoc diff name them by what they are."""
    from gendoc.plandiff import diff_plans
    from gendoc.roll import roll_file
    result = roll_file(plan_file(tmp_path, PHASE), 2015)
    moved = {m.label: (m.old, m.new) for m in result.moves}
    assert moved["阶段一“动员部署”第2项（段落）“各支部要制定本支部的具体方案…”的时间"] == ("2014-03 底前", "2015-03 底前")
    assert moved["阶段一“动员部署”第3项（会议）“动员大会”的时间"] == ("2014-03-07", "2015-03-06")
    assert "阶段一“动员部署”第4项（条目）“集中学习”的时间" in moved
    assert "阶段一“动员部署”（一）“广泛征求意见”第2项（条目）“召开座谈会。”的时间" in moved
    assert "2014-03 底前" not in result.text and "2015-03 底前" in result.text
    labels = [c.label for c in diff_plans(result.plan, result.new_plan)]
    assert "阶段一“动员部署”第3项（会议）“动员大会”的时间" in labels


def test_a_run_in_sections_date_may_open_its_text_and_a_meeting_may_be_a_plain_paragraph(tmp_path):
    body = """\
    phases:
      - name: 查摆问题
        when: 2014-03-16..2014-04-30
        body:
          - section: {heading: 广泛征求意见, run_in: true, when: 2014-04 上旬, when_style: lead,
                      text: 通过座谈会等方式广泛听取意见。}
          - meeting: {name: 全系统动员大会, numbered: false, text: 会议由委党组副书记主持,
                      guidance: [县纪委监委派驻纪检组]}
    """
    got = texts(tmp_path, body)
    assert "（一）广泛征求意见。4月上旬，通过座谈会等方式广泛听取意见。" in got
    assert "召开全系统动员大会。会议由委党组副书记主持。邀请县纪委监委派驻纪检组到会指导。" in got
