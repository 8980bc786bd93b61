"""gendoc markup (gendoc.model): the line format templates emit, its escaping, and the
heading/item numbering the typesetter gives it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from gendoc.errors import GendocError
from gendoc.model import (Attachment, Heading, Item, PageBreak, Para, Table, escape_markup,
                          parse_markup)
from gendoc.typeset import Counter, break_title, number_label, text_width


def body(text: str):
    blocks, attachments = parse_markup(text)
    assert attachments == []
    return blocks


# --------------------------------------------------------------------------- blocks

def test_hashes_make_headings_of_their_level():
    assert body("# 甲\n## 乙\n### 丙\n#### 丁") == [
        Heading(1, "甲"), Heading(2, "乙"), Heading(3, "丙"), Heading(4, "丁")]


def test_more_than_four_hashes_is_an_error_with_its_line():
    with pytest.raises(GendocError) as info:
        parse_markup("# 甲\n\n##### 太深", source="x.j2")
    assert info.value.line == 3 and info.value.file == "x.j2"


def test_empty_heading_is_an_error():
    with pytest.raises(GendocError):
        parse_markup("## ")


def test_bar_splits_a_run_in_heading_from_its_text():
    assert body("## 加强领导。| 各单位要……") == [Heading(2, "加强领导。", "各单位要……")]
    assert body("## 加强领导") == [Heading(2, "加强领导", None)]


def test_items_sit_one_level_below_the_enclosing_heading_and_never_above_level_three():
    blocks = body("+ 零\n# 一\n+ a\n++ b\n## 二\n+ c\n### 三\n+ d")
    items = [(b.level, b.text) for b in blocks if isinstance(b, Item)]
    assert items == [(3, "零"), (3, "a"), (4, "b"), (3, "c"), (4, "d")]


def test_item_deeper_than_level_four_is_an_error():
    with pytest.raises(GendocError) as info:
        parse_markup("#### 四\n+ 太深")
    assert info.value.line == 2


def test_item_with_bar_has_a_run_in_title():
    assert body("+ 深入查摆问题。| 对照检查") == [Item(3, "对照检查", "深入查摆问题。")]


def test_attachment_starts_its_own_block_list_and_resets_heading_level():
    blocks, atts = parse_markup("# 正文\n正文段。\n@attachment 附件标题\n+ 条目\n@center 子标题\n@noindent 顶格")
    assert blocks == [Heading(1, "正文"), Para("正文段。")]
    assert atts == [Attachment("附件标题", [Item(3, "条目"), Para("子标题", indent=False, align="center"),
                                         Para("顶格", indent=False)])]


def test_attachment_without_title_is_an_error():
    with pytest.raises(GendocError):
        parse_markup("@attachment ")


def test_table_rows_and_end():
    assert body("@table 序号 | 任务\n@row 1 | 学习\n@row 2 | 整改\n@end\n之后") == [
        Table(["序号", "任务"], [["1", "学习"], ["2", "整改"]]), Para("之后")]


def test_table_row_with_wrong_cell_count_is_an_error_with_its_line():
    with pytest.raises(GendocError) as info:
        parse_markup("@table a | b\n@row 1\n@end")
    assert info.value.line == 2


@pytest.mark.parametrize("text", ["@table a | b\n@row 1 | 2", "@table a | b\n@row 1 | 2\n正文"])
def test_table_without_end_is_an_error(text):
    with pytest.raises(GendocError, match="@end"):
        parse_markup(text)


def test_pagebreak_and_unknown_directive():
    assert body("@pagebreak") == [PageBreak()]
    with pytest.raises(GendocError, match="@frobnicate"):
        parse_markup("正文\n@frobnicate x")


def test_blank_lines_are_ignored_and_plain_lines_are_indented_paragraphs():
    assert body("\n\n  第一段。  \n\n第二段。\n") == [Para("第一段。"), Para("第二段。")]


# --------------------------------------------------------------------------- escaping

@pytest.mark.parametrize("text", ["# 不是标题", "## 甲 | 乙", "+ 不是条目", "++ 也不是", "@attachment 不是附件",
                                  "@pagebreak", "@table a | b", "a \\ b", "\\", "#", "+", "@", "|", "\\#"])
def test_escaped_text_is_one_literal_paragraph(text):
    assert body(escape_markup(text)) == [Para(text)]


def test_escape_joins_lines_so_a_value_cannot_start_a_new_block():
    assert escape_markup("第一行\n# 第二行\r\n+ 第三行\u2028@pagebreak") == "第一行\ue023 第二行\ue02b 第三行\ue040pagebreak"
    assert body(escape_markup("正文\n# 标题")) == [Para("正文# 标题")]


def test_escape_of_none_and_numbers():
    assert escape_markup(None) == ""
    assert escape_markup(2014) == "2014"


def test_escaped_bar_in_a_heading_is_kept():
    assert body("## " + escape_markup("甲|乙") + "| 正文") == [Heading(2, "甲|乙", "正文")]


def test_escaped_backslash_before_a_bar_still_splits_a_run_in_heading():
    assert body("## " + escape_markup("甲\\") + "| 正文") == [Heading(2, "甲\\", "正文")]


def test_escaped_bar_in_a_table_cell_is_kept():
    assert body("@table " + escape_markup("a|b") + " | c\n@end") == [Table(["a|b", "c"])]


def test_escaped_backslash_before_a_cell_separator_still_splits_cells():
    assert body("@table " + escape_markup("a\\") + "| b\n@row 1 | 2\n@end") == [Table(["a\\", "b"], [["1", "2"]])]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("#+@|\\ 　甲乙a1{}%<>&\"'\n\t")), max_size=30))
def test_any_escaped_value_parses_back_to_itself(value):
    escaped = escape_markup(value)
    assert "\n" not in escaped
    expected = "".join(value.splitlines()).strip() if "\n" not in value else None
    blocks = body(escaped)
    if not escaped.strip():
        assert blocks == []
        return
    assert len(blocks) == 1 and isinstance(blocks[0], Para)
    if expected is not None:
        assert blocks[0].text == expected


# --------------------------------------------------------------------------- numbering

@pytest.mark.parametrize("level,n,label", [
    (1, 1, "一、"), (1, 10, "十、"), (1, 12, "十二、"), (2, 1, "（一）"), (2, 21, "（二十一）"),
    (3, 1, "1."), (3, 12, "12."), (4, 1, "（1）"), (4, 3, "（3）"),
])
def test_number_labels_follow_gbt9704_7_3_3(level, n, label):
    assert number_label(level, n) == label


def test_counter_restarts_every_level_below_the_one_counted():
    c = Counter()
    seq = [(lvl, c.next(lvl)) for lvl in (1, 2, 3, 3, 2, 3, 1, 3, 2, 4, 4)]
    assert seq == [(1, 1), (2, 1), (3, 1), (3, 2), (2, 2), (3, 1), (1, 2), (3, 1), (2, 1), (4, 1), (4, 2)]


# --------------------------------------------------------------------------- title lines

def test_short_title_stays_on_one_line():
    assert break_title("关于开展测试工作的通知") == ["关于开展测试工作的通知"]


@pytest.mark.parametrize("title", [
    "关于印发《县卫生局党的群众路线教育实践活动实施方案》的通知",
    "卫生局党委关于建立健全创先争优活动长效机制实施方案的通知",
    "中共常州市卫生局委员会关于认真做好二〇〇三年卫生系统党建工作的意见",
])
def test_long_title_breaks_into_lines_that_join_back_and_fit(title):
    lines = break_title(title)
    assert len(lines) >= 2
    assert "".join(lines) == title
    assert all(text_width(line) <= 20 for line in lines)
    if len(lines) == 3:  # a trapezoid or diamond, never an hourglass
        assert not (text_width(lines[1]) < text_width(lines[0]) and text_width(lines[1]) < text_width(lines[2]))


def test_title_is_not_broken_inside_book_title_marks_that_fit_on_a_line():
    title = "关于转发《县卫生系统党风廉政建设实施办法》的通知"
    lines = break_title(title)
    assert len(lines) == 2 and "".join(lines) == title
    for line in lines:
        assert line.count("《") == line.count("》"), lines


def test_title_is_not_broken_inside_a_number():
    title = "关于做好2014年至2015年度全县卫生系统党员发展工作的通知"
    lines = break_title(title)
    assert "".join(lines) == title
    for a, b in zip(lines, lines[1:]):
        assert not (a[-1].isdigit() and b[0].isdigit()), lines
