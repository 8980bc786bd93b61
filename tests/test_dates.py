"""Date expressions (gendoc.dates): the docstring table, errors, full dates, Chinese numerals."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from gendoc import dates
from gendoc.dates import DateError, When, cn_number, format_full_date, parse_iso_date

# the table in gendoc/dates.py's docstring, formatted within the expression's own year
TABLE = [
    ("2014-02-28", "2月28日"),
    ("2014-02-28..2014-03-07", "2月28日—3月7日"),
    ("2014-02", "2月"),
    ("2014-02 份", "2月份"),
    ("2014-02..2014-03", "2月至3月"),
    ("2014-04 上旬", "4月上旬"),
    ("2014-06 上旬..2014-09", "6月上旬至9月"),
    ("2014-03-07 起", "3月7日起"),
    ("2010-09-15,20", "9月15、20日"),
    ("2010-06,09", "6月、9月"),
    ("2014-04 末起", "4月末起"),
    ("2003 上半年", "上半年"),
]


def _docstring_rows() -> list[tuple[str, str]]:
    rows = []
    for line in dates.__doc__.splitlines():
        m = re.match(r"^``([^`]+)``.*?\s{2,}(\S+)\s*$", line)
        if m:
            rows.append((m.group(1), m.group(2)))
    return rows


def test_table_above_is_the_docstring_table():
    assert _docstring_rows() == TABLE


@pytest.mark.parametrize("expr,expected", TABLE, ids=[e for e, _ in TABLE])
def test_expression_formats_as_in_the_docstring_table(expr, expected):
    when = When.parse(expr)
    assert when.format(plan_year=int(expr[:4])) == expected


@pytest.mark.parametrize("expr,expected", [
    ("2014-02..2014-03", "2014年2月至3月"),
    ("2014-02-28", "2014年2月28日"),
    ("2003 上半年", "2003年上半年"),
])
def test_year_is_printed_when_it_differs_from_the_plan_year(expr, expected):
    assert When.parse(expr).format(plan_year=2000) == expected
    assert When.parse(expr).format(plan_year=None) == expected


def test_range_across_years_prints_both_years_even_in_the_plan_year():
    assert When.parse("2013-12-20..2014-01-10").format(2014) == "2013年12月20日—2014年1月10日"
    assert When.parse("2014-12..2015-01").format(2014) == "2014年12月至2015年1月"


@pytest.mark.parametrize("part", ["上旬", "中旬", "下旬", "中下旬", "上中旬", "初", "底", "末", "底前", "份"])
def test_every_month_qualifier_is_printed_after_the_month(part):
    assert When.parse(f"2014-04 {part}").format(2014) == f"4月{part}"


@pytest.mark.parametrize("part", ["起", "开始", "以来", "前", "前夕", "上午", "下午", "晚"])
def test_every_day_suffix_is_printed_after_the_day(part):
    assert When.parse(f"2014-03-07 {part}").format(2014) == f"3月7日{part}"


def test_chinese_numerals_option():
    assert When.parse("2014-02-28").format(2014, "chinese") == "二月二十八日"
    assert When.parse("2014-12").format(2014, "chinese") == "十二月"


def test_extra_whitespace_is_tolerated_and_source_kept():
    w = When.parse("  2014-04   上旬 ")
    assert w.format(2014) == "4月上旬"
    assert str(w) == "2014-04 上旬"


def test_yaml_date_and_year_int_are_accepted():
    assert When.parse(dt.date(2014, 2, 28)).format(2014) == "2月28日"
    assert When.parse(2003).format(2003) == "2003年"


@pytest.mark.parametrize("expr,first,last", [
    ("2014-04 上旬", dt.date(2014, 4, 1), dt.date(2014, 4, 10)),
    ("2014-04 中旬", dt.date(2014, 4, 11), dt.date(2014, 4, 20)),
    ("2014-04 下旬", dt.date(2014, 4, 21), dt.date(2014, 4, 30)),
    ("2014-02", dt.date(2014, 2, 1), dt.date(2014, 2, 28)),
    ("2012-02", dt.date(2012, 2, 1), dt.date(2012, 2, 29)),
    ("2003 上半年", dt.date(2003, 1, 1), dt.date(2003, 6, 30)),
    ("2003 下半年", dt.date(2003, 7, 1), dt.date(2003, 12, 31)),
    ("2003 第三季度", dt.date(2003, 7, 1), dt.date(2003, 9, 30)),
    ("2010-09-15,20", dt.date(2010, 9, 15), dt.date(2010, 9, 20)),
    ("2014-02-28..2014-03-07", dt.date(2014, 2, 28), dt.date(2014, 3, 7)),
])
def test_expression_covers_the_right_days(expr, first, last):
    w = When.parse(expr)
    assert (w.first, w.last) == (first, last)


def test_within():
    assert When.parse("2014-04 上旬").within(When.parse("2014-04"))
    assert When.parse("2014-03-07..2014-03-20").within(When.parse("2014-03"))
    assert not When.parse("2014-05-01").within(When.parse("2014-04"))
    assert not When.parse("2014-04").within(When.parse("2014-04 上旬"))


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize("expr", [
    "2014-02-30", "2014-02-29", "2014-04-31", "2014-13", "2014-00", "2014-13-01", "2014-01-00",
    "2014-02-28..2014-02-30", "2010-09-15,31",
])
def test_impossible_date_raises_date_error(expr):
    with pytest.raises(DateError):
        When.parse(expr)


def test_leap_day_exists_in_a_leap_year():
    assert When.parse("2012-02-29").format(2012) == "2月29日"


@pytest.mark.parametrize("expr", [
    "2014-04 上上旬",        # unknown word
    "2014-02-28 上旬",       # month part after a day
    "2003 上旬",             # month part after a year
    "2014-04 上半年",        # year part after a month
    "2014-04 noon",
])
def test_bad_qualifier_raises_date_error_naming_it(expr):
    with pytest.raises(DateError, match="不认识"):
        When.parse(expr)


@pytest.mark.parametrize("expr", [
    "2014-03..2014-02", "2014-03-07..2014-03-01", "2014-04 下旬..2014-04 上旬", "2015..2014",
])
def test_range_ending_before_it_starts_raises_date_error(expr):
    with pytest.raises(DateError, match="结束日期早于开始日期"):
        When.parse(expr)


@pytest.mark.parametrize("value", ["", "   ", "明年", "2014/02/28", "14-02-28", None, 3.5, [2014], "2014-02-28..",
                                   "2010-09-20,15", "2010-09-15,15"])
def test_unreadable_expression_raises_date_error(value):
    with pytest.raises(DateError):
        When.parse(value)


def test_date_error_is_a_value_error():
    assert issubclass(DateError, ValueError)


# --------------------------------------------------------------------------- full dates

@pytest.mark.parametrize("d,expected", [
    (dt.date(2014, 2, 27), "2014年2月27日"),
    (dt.date(2012, 7, 1), "2012年7月1日"),
    (dt.date(2014, 12, 31), "2014年12月31日"),
    (dt.date(2003, 10, 9), "2003年10月9日"),
])
def test_full_date_is_arabic_with_full_year_and_no_zero_padding(d, expected):
    assert format_full_date(d) == expected


@pytest.mark.parametrize("value", ["2014-02-30", "2014/02/27", "27.2.2014", 20140227, None])
def test_parse_iso_date_rejects_bad_dates(value):
    with pytest.raises(DateError):
        parse_iso_date(value)


def test_parse_iso_date_accepts_dates_and_strings():
    assert parse_iso_date("2014-02-27") == dt.date(2014, 2, 27)
    assert parse_iso_date(dt.datetime(2014, 2, 27, 9, 30)) == dt.date(2014, 2, 27)


# --------------------------------------------------------------------------- Chinese numerals

@pytest.mark.parametrize("n,expected", [
    (1, "一"), (2, "二"), (9, "九"), (10, "十"), (11, "十一"), (12, "十二"), (19, "十九"), (20, "二十"),
    (21, "二十一"), (30, "三十"), (45, "四十五"), (99, "九十九"), (100, "一百"), (101, "一百零一"),
    (105, "一百零五"), (110, "一百一十"), (111, "一百一十一"), (119, "一百一十九"), (120, "一百二十"),
])
def test_cn_number(n, expected):
    assert cn_number(n) == expected


def test_cn_number_is_unique_and_hanzi_only_from_1_to_120():
    words = [cn_number(n) for n in range(1, 121)]
    assert len(set(words)) == 120
    assert all(re.fullmatch("[零一二三四五六七八九十百]+", s) for s in words)


def test_cn_number_rejects_negative_numbers():
    with pytest.raises(ValueError):
        cn_number(-1)


@pytest.mark.parametrize("n, words", [
    (99, "九十九"), (100, "一百"), (110, "一百一十"), (999, "九百九十九"), (1000, "一千"),
    (1001, "一千零一"), (1010, "一千零一十"), (1100, "一千一百"), (9999, "九千九百九十九"),
    (10000, "一万"), (10010, "一万零一十"), (12345, "一万二千三百四十五"), (20001, "二万零一"),
    (100000, "十万"), (1000000, "一百万"),
])
def test_chinese_numerals_past_a_thousand(n, words):
    assert cn_number(n) == words


def test_headings_past_the_end_of_the_old_numbering_render(tmp_path):
    """1,200 level-1 sections: check accepts them, so render numbers them (一千二百、)."""
    import warnings
    import yaml
    from gendoc.plan import validate
    from gendoc.loader import load_text
    from gendoc.render import build_document
    from gendoc.typeset import Typesetter
    plan = {"schema_version": 1, "template": "implementation_plan",
            "meta": {"genre": "实施方案", "title": "关于测试的实施方案", "issuer": {"name": "测试局"}},
            "sections": [{"heading": f"第{i}项"} for i in range(1, 1201)]}
    text = yaml.safe_dump(plan, allow_unicode=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data, _ = Typesetter().render(build_document(validate(*load_text(text, "p.yaml"), "p.yaml")))
    import io
    import zipfile
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode("utf-8")
    assert "一千二百、" in xml and "一千零一十、" in xml and "九百九十九、" in xml
