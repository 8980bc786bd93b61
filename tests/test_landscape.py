"""横排表格 (GB/T 9704-2012 8, issue 10 point 3): a table too wide for the portrait 版心
goes on a landscape page of its own, A4 turned with the 版心 turned (the table's head on the
binding side), the table spanning the turned 版心's 225 mm, its header repeated and rows
kept whole; the page number stands where it stands on the other pages for the reader who
holds the bound document upright; the page after is portrait again; the typesetter's page
estimate counts the landscape pages, and ``gendoc verify`` passes."""

from __future__ import annotations

import os
import shutil
import statistics
import warnings
from pathlib import Path

import pytest
import yaml

from gendoc.model import Table
from gendoc.plan import load_plan
from gendoc.render import build_document, render_file
from gendoc.typeset import GB, Typesetter, tw
from gendoc.verify import measure, verify

from conftest import FIXTURE_PLANS, NS, PLANS, Docx, w

PLAN = FIXTURE_PLANS / "landscape-table.yaml"
MM = 72 / 25.4
needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None and not os.environ.get("CI"),
    reason="LibreOffice (soffice) not installed: run scripts/install-deps.sh")


def _variant(tmp_path: Path, rows: int | None = None, attachment: bool = False) -> Path:
    """The fixture plan with the table as its 附件 and/or with more rows."""
    plan = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    table = plan["sections"][0]["table"]
    if rows:
        table["rows"] = [[str(i + 1), f"第{i + 1}卫生院办公室", *table["rows"][0][2:]] for i in range(rows)]
    if attachment:
        del plan["sections"][0]["table"]
        plan["attachments"] = [{"title": "各单位教育实践活动进度安排表", "table": table}]
    out = tmp_path / f"landscape-{rows or 4}{'-att' if attachment else ''}.yaml"
    out.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def _render(plan: Path, tmp_path: Path, pdf: bool = False):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # dates written in the table's cells
        return render_file(plan, tmp_path / (plan.stem + ".docx"), pdf=pdf)


def _sections(d: Docx):
    return d.xpath("//w:sectPr")


def _mm(twips: str) -> float:
    return int(twips) / 56.6929


# ---------------------------------------------------------------- the .docx

def test_wide_table_is_landscape_and_a_narrow_one_is_not():
    wide = load_plan(PLAN).sections[0].table
    t = Table(wide.header, wide.rows)
    assert Typesetter._landscape(t)
    narrow = Table(["序号", "工作任务", "牵头单位", "配合单位", "完成时限"],
                   [["1", "制定活动实施方案并组织动员", "局办公室", "局人事科", "3月7日"]])
    assert not Typesetter._landscape(narrow)
    # a model table may ask for it (the plan's or the template's choice)
    narrow.landscape = True
    assert Typesetter._landscape(narrow)


def test_landscape_widths_span_the_turned_type_area():
    wide = load_plan(PLAN).sections[0].table
    widths = Typesetter()._col_widths(Table(wide.header, wide.rows), tw(GB.TYPE_AREA_H))
    assert sum(widths) == tw(GB.TYPE_AREA_H)         # 225 mm
    assert min(widths) >= 2 * GB.TABLE_CELL_MARGIN + 2 * tw(GB.SIZE_TABLE)


def test_docx_sections_portrait_landscape_portrait(tmp_path):
    d = Docx(_render(PLAN, tmp_path).docx)
    sects = _sections(d)
    sizes = [(s.find(w("pgSz")).get(w("w")), s.find(w("pgSz")).get(w("orient"))) for s in sects]
    assert sizes == [("11906", None), ("16838", "landscape"), ("11906", None)]
    land = sects[1]
    mar = land.find(w("pgMar"))
    # 版心 turned, the table's head on the binding side: 订口 28 at the top, 天头 37 on the right
    assert [round(_mm(mar.get(w(k)))) for k in ("top", "right", "bottom", "left")] == [28, 37, 26, 35]
    assert land.find(w("pgSz")).get(w("h")) == "11906"
    refs = {r.get(w("type")): r.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
            for r in land.findall(w("footerReference"))}
    assert refs == {"default": "rIdFtrLandOdd", "even": "rIdFtrLandEven"}
    # the table sits in the landscape section: between the two sectPr paragraphs
    body = d.xpath("/w:document/w:body/*")
    ends = [i for i, el in enumerate(body) if el.xpath(".//w:sectPr", namespaces=NS)]
    tables = [i for i, el in enumerate(body) if el.tag == w("tbl")]
    wide = [i for i in tables if ends[0] < i < ends[1]]
    assert len(wide) == 1
    tbl = body[wide[0]]
    grid = [int(g.get(w("w"))) for g in tbl.xpath("w:tblGrid/w:gridCol", namespaces=NS)]
    assert len(grid) == 8 and sum(grid) == tw(GB.TYPE_AREA_H)
    rows = tbl.xpath("w:tr", namespaces=NS)
    assert rows[0].xpath("w:trPr/w:tblHeader", namespaces=NS)
    assert all(r.xpath("w:trPr/w:cantSplit", namespaces=NS) for r in rows)


def test_landscape_footers_turn_the_page_number(tmp_path):
    d = Docx(_render(PLAN, tmp_path).docx)
    rels = d.part("word/_rels/document.xml.rels")
    target = {r.get("Id"): r.get("Target") for r in rels}
    for rid, align in (("rIdFtrLandOdd", "right"), ("rIdFtrLandEven", "left")):
        ftr = d.part("word/" + target[rid])
        box = ftr.xpath("//*[local-name()='textbox']")
        assert len(box) == 1 and "layout-flow:vertical" in box[0].get("style")
        shape = box[0].getparent()
        style = dict(kv.split(":") for kv in shape.get("style").split(";"))
        assert style["mso-position-horizontal-relative"] == "page"
        assert abs(float(style["margin-top"].removesuffix("pt")) - 28 * MM) < 0.1   # the turned 版心's top
        assert abs(float(style["height"].removesuffix("pt")) - 156 * MM) < 0.1      # as long as the 版心
        instr = "".join(ftr.xpath("//w:instrText/text()", namespaces=NS))
        assert instr.strip() == "PAGE"
        assert ftr.xpath("//w:txbxContent/w:p/w:pPr/w:jc/@w:val", namespaces=NS) == [align]


def test_attachment_label_and_title_go_with_the_table(tmp_path):
    d = Docx(_render(_variant(tmp_path, attachment=True), tmp_path).docx)
    body = d.xpath("/w:document/w:body/*")
    ends = [i for i, el in enumerate(body) if el.xpath(".//w:sectPr", namespaces=NS)]
    land = next(k for k, i in enumerate(ends) if body[i].xpath(".//w:pgSz[@w:orient='landscape']", namespaces=NS))
    inside = body[ends[land - 1] + 1:ends[land]]
    texts = ["".join(el.xpath(".//w:t/text()", namespaces=NS)) for el in inside if el.tag == w("p")]
    assert texts[0] == "附件" and "各单位教育实践活动进度安排表" in texts
    assert not any(el.xpath(".//w:pageBreakBefore", namespaces=NS) for el in inside)


def test_estimate_counts_landscape_pages():
    t = Table(["序号", "单位", "甲", "乙", "丙", "丁", "戊", "己"],
              [[str(i), "县人民医院办公室", *["3月上旬"] * 6] for i in range(39)])
    ts = Typesetter()
    widths = ts._col_widths(t, tw(GB.TYPE_AREA_H))
    # a one-line row takes one grid line and its rule (the cells snap to the line grid): the
    # header and 13 rows a page (measured in LibreOffice), 3 fewer under a 附件 label and title
    assert ts._landscape_pages(t, widths) == 3
    assert ts._landscape_pages(t, widths, above=4) == 4


def test_example_plans_have_no_landscape_page(tmp_path):
    d = Docx(_render(PLANS / "mass-line-implementation-plan-2014.yaml", tmp_path).docx)
    assert not d.xpath("//w:pgSz[@w:orient='landscape']")


# ---------------------------------------------------------------- on LibreOffice's pages

def _pages(pdf: Path):
    import pdfplumber
    with pdfplumber.open(str(pdf)) as doc:
        return [(p.width / MM, p.height / MM, p.extract_text() or "",
                 [ln for ln in p.lines + p.rects if abs(ln["top"] - ln["bottom"]) < 1],
                 [c for c in p.chars if not c.get("upright", True)]) for p in doc.pages]


@pytest.mark.libreoffice
@needs_soffice
@pytest.mark.parametrize("rows,attachment", [(None, False), (None, True), (30, True)],
                         ids=["body", "attachment", "three-pages"])
def test_rendered_landscape_pages(tmp_path, rows, attachment):
    plan = PLAN if rows is None and not attachment else _variant(tmp_path, rows, attachment)
    result = _render(plan, tmp_path, pdf=True)
    pages = _pages(result.pdf)
    assert len(pages) == result.layout.pages            # the estimate counts them
    land = [i for i, p in enumerate(pages, 1) if p[0] > p[1]]
    assert land and land == list(range(land[0], land[-1] + 1))
    assert len(land) == (3 if rows else 1)
    # A4 turned; the page before and the page after are portrait
    for n, (wid, hgt, *_rest) in enumerate(pages, 1):
        size = (297, 210) if n in land else (210, 297)
        assert abs(wid - size[0]) < 0.5 and abs(hgt - size[1]) < 0.5, n
    assert land[0] > 1 and land[-1] < len(pages)
    for n in land:
        wid, hgt, text, rules, turned = pages[n - 1]
        # the table spans the turned 版心: 35 mm from the left edge to 37 mm from the right
        assert abs(min(r["x0"] for r in rules) / MM - 35) < 0.5
        assert abs(max(r["x1"] for r in rules) / MM - (297 - 37)) < 0.5
        assert min(r["top"] for r in rules) / MM > 28 - 0.5            # below the 订口
        assert max(r["top"] for r in rules) / MM < 210 - 26 + 0.5
        assert "序号" in text.replace(" ", "")                            # the header repeats
        # the page number: turned with the sheet, reading down the left edge (the upright
        # foot), its dash 28 mm from that edge (7 mm outside the 版心); odd pages near the
        # bottom (upright right), even near the top (upright left), one 4号 character in
        digits = [c for c in turned if c["text"].isdigit()]
        assert "".join(c["text"] for c in digits) == str(n)
        assert all(c["matrix"][1] < 0 < c["matrix"][2] for c in turned)
        dashes = [c for c in turned if c["text"] == "—"]
        assert len(dashes) == 2
        centre = statistics.median((c["x0"] + c["x1"]) / 2 for c in dashes) / MM
        assert abs(centre - 28) < 1.5, centre
        ends = (min(c["top"] for c in turned) / MM, max(c["bottom"] for c in turned) / MM)
        if n % 2:
            assert abs(ends[1] - (210 - 26 - 14 / MM)) < 1.5, ends
        else:
            assert abs(ends[0] - (28 + 14 / MM)) < 1.5, ends
    report = verify(result.pdf)
    assert report.ok, report.format()
    measured = measure(result.pdf)
    assert [p.number for p in measured if p.landscape] == land
    assert all(p.page_number_line is not None for p in measured if p.landscape)


@pytest.mark.parametrize("attachment", [False, True], ids=["body", "attachment"])
def test_landscape_docx_passes_openxml_audit(tmp_path, attachment):
    validator = pytest.importorskip("openxml_audit")
    plan = _variant(tmp_path, attachment=True) if attachment else PLAN
    result = validator.OpenXmlValidator().validate(str(_render(plan, tmp_path).docx))
    assert result.error_count == 0, [str(e) for e in result.errors]
