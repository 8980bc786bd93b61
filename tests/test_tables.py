"""Tables that fit (issue 10, point 3): column widths from the content, the 版心's width, rows
that never split, a header that repeats, short words never broken inside a cell."""

from __future__ import annotations

import re
import shutil

import pytest

from gendoc.model import Table
from gendoc.typeset import GB, Typesetter, tw

from conftest import NS, PLANS, Docx, render_plan, w

MASS_LINE = PLANS / "mass-line-implementation-plan-2014.yaml"

CASES = [
    Table(["序号", "工作任务", "牵头单位", "配合单位", "完成时限"],
          [["1", "制定活动实施方案并组织动员", "局办公室", "局人事科", "3月7日"],
           ["2", "开展征求意见活动并汇总反馈", "局医政科", "局属各医疗卫生单位", "3月31日"]]),
    Table(["问题", "整改措施", "责任领导", "责任单位", "完成时限"],
          [["学习不深入", "制定学习计划，每月集中学习一次，" * 3, "张三", "局办公室", "长期坚持"]]),
    Table(["项目", "指标", "2013年", "2014年目标"], [["门诊量", "人次", "11306", "12000"]]),
    Table(["单位"], [["县人民医院"]]),
]


def _fits(text: str, width: int, keep: float) -> bool:
    from gendoc.typeset import text_width
    usable = width - 2 * GB.TABLE_CELL_MARGIN
    mixed = bool(re.search(r"[0-9A-Za-z]", text)) and bool(re.search(r"[\u2e80-\uffff]", text))
    return text_width(text) > keep or (text_width(text) + (0.5 if mixed else 0)) * tw(GB.SIZE_TABLE) <= usable


@pytest.mark.parametrize("table", CASES, ids=lambda t: t.header[0] + str(len(t.header)))
def test_widths_span_the_type_area_and_hold_short_words(table):
    widths = Typesetter()._col_widths(table)
    assert sum(widths) == tw(GB.TYPE_AREA_W)        # 156 mm
    for c, width in enumerate(widths):
        assert _fits(table.header[c], width, GB.TABLE_KEEP_HEADER), (table.header[c], width)
        for row in table.rows:
            assert _fits(row[c], width, GB.TABLE_KEEP_CELL), (row[c], width)


def test_long_text_columns_take_the_rest():
    widths = Typesetter()._col_widths(CASES[1])
    assert widths[1] == max(widths)                 # 整改措施, the long text


def test_docx_table_rows_keep_together_and_header_repeats(tmp_path):
    d = Docx(render_plan(MASS_LINE, tmp_path))
    tables = [t for t in d.xpath("//w:tbl") if t.xpath("w:tr[1]/w:trPr/w:tblHeader", namespaces=NS)]
    assert tables
    for t in tables:
        grid = [int(g.get(w("w"))) for g in t.xpath("w:tblGrid/w:gridCol", namespaces=NS)]
        assert sum(grid) == tw(GB.TYPE_AREA_W)
        rows = t.xpath("w:tr", namespaces=NS)
        assert all(r.xpath("w:trPr/w:cantSplit", namespaces=NS) for r in rows)


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_no_short_cell_wraps_on_the_page(tmp_path):
    """In the rendered 任务分工表 every header of up to six and every cell of up to eight
    characters sits on one line."""
    import pdfplumber
    from gendoc.render import render_file
    result = render_file(MASS_LINE, tmp_path / "m.docx", pdf=True)
    import yaml
    plan = yaml.safe_load(MASS_LINE.read_text(encoding="utf-8"))
    short = {"序号", "工作任务", "牵头单位", "配合单位", "完成时限"}
    for task in plan["responsibilities"]:
        for unit in task.get("lead", []) + task.get("support", []):
            if len(unit) <= 8:
                short.add(unit)
    with pdfplumber.open(str(result.pdf)) as pdf:
        page = next(p for p in pdf.pages if "序号" in (p.extract_text() or "").replace(" ", ""))
        lines = [ln.replace(" ", "") for ln in (page.extract_text() or "").splitlines()]
    for word in sorted(short):
        assert any(word in ln for ln in lines), f"{word} is broken across lines: {lines}"
    for date in ("3月7日", "3月31日", "9月10日"):
        assert any(date in ln for ln in lines), date
