"""The rendered .docx, read back as raw OOXML: every GB/T 9704-2012 number to the twip.

Each plan is rendered once per module (module-scoped fixtures) with the library, into tmp.
Fixture plans live in tests/plans/; variants are written by editing their YAML data.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from pathlib import Path

import docx
import pytest
import yaml
from lxml import etree

from conftest import FIXTURE_PLANS, NS, PLANS, Docx, render_plan, w, example_plans

REAL_PLANS = example_plans()
CHAR = 320          # one 三号 character in twips
CHAR_SMALL = 280    # one 四号 character in twips
CN = "一二三四五六七八九十"


def _write_variant(base: Path, out: Path, edit) -> Path:
    data = yaml.safe_load(base.read_text(encoding="utf-8"))
    edit(data)
    out.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def _one_attachment(d):
    d["attachments"] = [{"title": "唯一的附件", "paras": ["附件的正文。"]}]


def _short_signature_unsealed(d):
    d["meta"]["signature"] = "测试局"


def _insert_section(d):
    d["sections"].insert(1, {"heading": "插入部分", "items": ["插入条目"],
                             "sections": [{"heading": "插入一节", "items": ["插入节条目"]}]})
    d["sections"][0]["sections"].insert(0, {"heading": "插入的首节", "items": ["首节条目"]})


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> dict[str, Docx]:
    tmp = tmp_path_factory.mktemp("layout")
    plans = {name: FIXTURE_PLANS / f"{name}.yaml" for name in ("layout", "unsealed", "escaping", "minimal")}
    plans["one_attachment"] = _write_variant(FIXTURE_PLANS / "minimal.yaml", tmp / "one_attachment.yaml",
                                             _one_attachment)
    plans["short_unsealed"] = _write_variant(FIXTURE_PLANS / "unsealed.yaml", tmp / "short_unsealed.yaml",
                                             _short_signature_unsealed)
    plans["inserted"] = _write_variant(FIXTURE_PLANS / "layout.yaml", tmp / "inserted.yaml", _insert_section)
    out = tmp / "out"
    out.mkdir()
    return {name: Docx(render_plan(p, out, name)) for name, p in plans.items()}


@pytest.fixture(scope="module")
def real_docs(tmp_path_factory) -> dict[str, Docx]:
    out = tmp_path_factory.mktemp("real")
    return {p.stem: Docx(render_plan(p, out)) for p in REAL_PLANS}


@pytest.fixture(scope="module")
def layout(docs) -> Docx:
    return docs["layout"]


def _width(text: str) -> float:
    """Width in 三号 characters: CJK and full-width 1, Latin letters and digits 0.5."""
    return sum(1 if unicodedata.east_asian_width(c) in "WFA" else 0.5 for c in text)


def _rpr_value(run, child: str, attr: str = "val"):
    node = run.find(f"{w('rPr')}/{w(child)}")
    return None if node is None else node.get(w(attr))


def _runs_with_text(p):
    return [r for r in p.iter(w("r")) if "".join(t.text or "" for t in r.iter(w("t"))).strip()]


def _ind(p, attr: str) -> int | None:
    node = p.find(f"{w('pPr')}/{w('ind')}")
    value = None if node is None else node.get(w(attr))
    return None if value is None else int(value)


def _sect_prs(d: Docx):
    return d.xpath("//w:sectPr")


# --------------------------------------------------------------------------- page setup

def test_page_is_a4_portrait_in_twips(layout):
    sects = _sect_prs(layout)
    assert sects
    for s in sects:
        pg = s.find(w("pgSz"))
        assert (pg.get(w("w")), pg.get(w("h"))) == ("11906", "16838")
        assert pg.get(w("orient")) in (None, "portrait")


def test_margins_are_37_26_35_28_mm_to_the_twip(layout):
    for s in _sect_prs(layout):
        mar = s.find(w("pgMar"))
        got = {k: mar.get(w(k)) for k in ("top", "right", "bottom", "left")}
        assert got == {"top": "2098", "right": "1474", "bottom": "1984", "left": "1587"}


def test_document_grid_is_lines_with_pitch_579(layout):
    for s in _sect_prs(layout):
        grid = s.find(w("docGrid"))
        assert grid.get(w("type")) == "lines"
        assert grid.get(w("linePitch")) == "579"


# --------------------------------------------------------------------------- styles and settings

def test_normal_style_is_fangsong_16pt_exact_579_with_minus_quarter_point_spacing(layout):
    normal = layout.style_def("Normal")
    assert normal.get(w("default")) == "1"
    fonts = normal.find(f"{w('rPr')}/{w('rFonts')}")
    assert fonts.get(w("eastAsia")) == "仿宋_GB2312"
    assert normal.find(f"{w('rPr')}/{w('sz')}").get(w("val")) == "32"
    assert normal.find(f"{w('rPr')}/{w('spacing')}").get(w("val")) == "-5"
    spacing = normal.find(f"{w('pPr')}/{w('spacing')}")
    assert spacing.get(w("line")) == "579"
    assert spacing.get(w("lineRule")) == "exact"


def test_normal_text_language_is_zh_cn(layout):
    # w:lang on Normal itself or inherited from the document defaults
    langs = layout.styles.xpath("w:style[@w:styleId='Normal']/w:rPr/w:lang | "
                                "w:docDefaults/w:rPrDefault/w:rPr/w:lang", namespaces=NS)
    assert langs, "no w:lang for Normal text"
    assert all(lang.get(w("eastAsia")) == "zh-CN" for lang in langs)


@pytest.mark.parametrize("part", ["word/styles.xml", "word/document.xml", "word/footer1.xml",
                                  "word/footer2.xml"])
def test_no_theme_font_attributes_anywhere(layout, part):
    root = layout.part(part)
    themed = {etree.QName(a).localname for el in root.iter() for a in el.attrib
              if "theme" in etree.QName(a).localname.lower()}
    assert not themed, f"{part} uses theme fonts: {themed}"


def test_settings_have_zh_cn_theme_language_even_odd_footers_and_no_compression(layout):
    s = layout.settings
    lang = s.find(w("themeFontLang"))
    assert lang is not None and lang.get(w("eastAsia")) == "zh-CN"
    assert s.find(w("evenAndOddHeaders")) is not None
    csc = s.find(w("characterSpacingControl"))
    assert csc is not None and csc.get(w("val")) == "doNotCompress"


def test_every_run_with_text_names_an_east_asian_font(docs, real_docs):
    for name, d in {**docs, **real_docs}.items():
        for r in d.xpath("//w:r[w:t]"):
            fonts = r.find(f"{w('rPr')}/{w('rFonts')}")
            text = "".join(t.text or "" for t in r.iter(w("t")))
            assert fonts is not None and fonts.get(w("eastAsia")), f"{name}: run {text!r} has no w:eastAsia"


# --------------------------------------------------------------------------- title, head

def test_title_runs_are_22pt_fangzheng_xiaobiaosong(layout):
    title = layout.paragraphs_with_style("GwTitle")[0]
    assert layout.text(title) == "关于开展测试工作的通知"
    runs = _runs_with_text(title)
    assert runs
    for r in runs:
        assert _rpr_value(r, "sz") == "44"
        assert _rpr_value(r, "rFonts", "eastAsia") == "方正小标宋简体"


def test_doc_number_uses_hexagonal_brackets_and_a_red_rule_below(layout):
    p = layout.find("卫党发〔2014〕3号")
    assert "\u3014" in layout.text(p) and "\u3015" in layout.text(p)
    bottom = p.find(f"{w('pPr')}/{w('pBdr')}/{w('bottom')}")
    assert bottom is not None, "发文字号 paragraph has no bottom border (the red separator)"
    assert bottom.get(w("color")).upper() == "FF0000"
    assert bottom.get(w("val")) == "single"


def test_issuing_organ_mark_is_red(layout):
    p = layout.find("中共测试县卫生局委员会文件")
    runs = _runs_with_text(p)
    assert runs and all((_rpr_value(r, "color") or "").upper() == "FF0000" for r in runs)


def test_no_red_head_without_doc_number(docs):
    d = docs["minimal"]
    assert not d.paragraphs_with_style("GwMark")
    assert not d.xpath("//w:pBdr/w:bottom[@w:color='FF0000']")


# --------------------------------------------------------------------------- numbering

def _heading_labels(d: Docx, upto: str | None = None) -> list[tuple[str, str]]:
    """(style, text) of headings and numbered items in the body, before the first attachment."""
    out = []
    for p in d.body_paragraphs:
        if p.find(f"{w('pPr')}/{w('pageBreakBefore')}") is not None:
            break
        st = d.style(p)
        t = d.text(p)
        if st in ("Heading1", "Heading2", "Heading3", "Heading4") or (st == "GwBody" and re.match(r"\d+\.", t)):
            out.append((st, t))
    return out


def test_level_one_headings_count_continuously(layout):
    h1 = layout.texts("Heading1")
    assert h1 == ["一、第一部分", "二、第二部分", "三、第三部分"]


def test_level_two_headings_restart_under_each_level_one(layout):
    assert _heading_labels(layout) == [
        ("Heading1", "一、第一部分"),
        ("GwBody", "1.甲条目"), ("GwBody", "2.乙条目"),
        ("Heading2", "（一）第一部分第一节"),
        ("GwBody", "1.丙条目"), ("GwBody", "2.丁条目"),
        ("Heading2", "（二）第一部分第二节"),
        ("GwBody", "1.戊条目"),
        ("Heading1", "二、第二部分"),
        ("Heading2", "（一）第二部分第一节"),
        ("GwBody", "1.己条目"), ("GwBody", "2.庚条目"), ("GwBody", "3.辛条目"),
        ("Heading1", "三、第三部分"),
    ]


def test_heading_fonts_are_heiti_then_kaiti(layout):
    for style, font in (("Heading1", "黑体"), ("Heading2", "楷体_GB2312")):
        for p in layout.paragraphs_with_style(style):
            for r in _runs_with_text(p):
                assert _rpr_value(r, "rFonts", "eastAsia") == font, (style, layout.text(p))


def test_inserting_a_section_renumbers_everything_after_it(docs):
    before = _heading_labels(docs["layout"])
    after = _heading_labels(docs["inserted"])
    strip = lambda t: re.sub(r"^([一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+\.)", "", t)
    # the same headings in the same order, with the inserted ones added
    inserted = {"插入部分", "插入条目", "插入一节", "插入节条目", "插入的首节", "首节条目"}
    assert [strip(t) for _, t in after if strip(t) not in inserted] == [strip(t) for _, t in before]
    assert [t for s, t in after if s == "Heading1"] == ["一、第一部分", "二、插入部分", "三、第二部分", "四、第三部分"]
    assert [t for s, t in after if s == "Heading2"] == [
        "（一）插入的首节", "（二）第一部分第一节", "（三）第一部分第二节", "（一）插入一节", "（一）第二部分第一节"]
    # every numbered paragraph keeps a continuous sequence inside its parent
    assert ("GwBody", "1.插入条目") in after and ("GwBody", "1.首节条目") in after


def test_numbering_in_real_plans_is_continuous_at_every_level(real_docs):
    pat = {"Heading1": r"^([一二三四五六七八九十]+)、", "Heading2": r"^（([一二三四五六七八九十]+)）"}
    from gendoc.dates import cn_number
    for name, d in real_docs.items():
        counters = {"Heading1": 0, "Heading2": 0}
        for p in d.body_paragraphs:
            if p.find(f"{w('pPr')}/{w('pageBreakBefore')}") is not None:
                counters = {"Heading1": 0, "Heading2": 0}  # an attachment numbers afresh
                continue
            st = d.style(p)
            if st not in pat:
                continue
            if d.text(p) and d.style(p) == "Heading2" and p.find(f"{w('pPr')}/{w('jc')}") is not None:
                continue
            m = re.match(pat[st], d.text(p))
            assert m, f"{name}: {st} paragraph without its label: {d.text(p)!r}"
            counters[st] += 1
            if st == "Heading1":
                counters["Heading2"] = 0
            assert m.group(1) == cn_number(counters[st]), f"{name}: {d.text(p)!r} out of sequence"


# --------------------------------------------------------------------------- signature

def _signature(d: Docx):
    sign = d.paragraphs_with_style("GwSign")
    assert len(sign) == 2, [d.text(p) for p in sign]
    return sign


def test_signature_date_is_arabic_without_zero_padding(layout, docs):
    _, date = _signature(layout)
    assert layout.text(date) == "2014年2月27日"
    assert docs["unsealed"].text(_signature(docs["unsealed"])[1]) == "2014年12月31日"


def test_sealed_date_is_right_indented_four_characters(layout):
    name, date = _signature(layout)
    assert _ind(date, "right") == 1280


def test_sealed_signature_is_centred_on_the_date(layout):
    name, date = _signature(layout)
    name_w, date_w = _width(layout.text(name)), _width(layout.text(date))
    centre_name = _ind(name, "right") + name_w * CHAR / 2
    centre_date = _ind(date, "right") + date_w * CHAR / 2
    assert abs(centre_name - centre_date) <= 1


def test_unsealed_signature_is_right_indented_two_characters_and_date_starts_two_characters_further_right(docs):
    d = docs["unsealed"]
    name, date = _signature(d)
    assert _ind(name, "right") == 2 * CHAR
    name_start = _ind(name, "right") + _width(d.text(name)) * CHAR
    date_start = _ind(date, "right") + _width(d.text(date)) * CHAR
    assert name_start - date_start == 2 * CHAR


def test_unsealed_date_longer_than_signature_is_right_indented_two_characters(docs):
    d = docs["short_unsealed"]
    name, date = _signature(d)
    assert d.text(name) == "测试局"
    assert _ind(date, "right") == 2 * CHAR
    name_start = _ind(name, "right") + _width(d.text(name)) * CHAR
    date_start = _ind(date, "right") + _width(d.text(date)) * CHAR
    assert name_start - date_start == 2 * CHAR


def test_unsealed_signature_has_one_blank_line_above_it(docs):
    d = docs["unsealed"]
    ps = d.body_paragraphs
    i = ps.index(_signature(d)[0])
    assert d.text(ps[i - 1]) == "" and d.text(ps[i - 2]) == "认真做好测试工作。"


# --------------------------------------------------------------------------- footers

def _footer_targets(d: Docx) -> dict[str, str]:
    rels = etree.fromstring(d.raw["word/_rels/document.xml.rels"])
    by_id = {r.get("Id"): r.get("Target") for r in rels}
    sect = _sect_prs(d)[0]  # the body section (the 版记 section may be unnumbered)
    R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    return {ref.get(w("type")): "word/" + by_id[ref.get(R)] for ref in sect.findall(w("footerReference"))}


def test_section_references_default_and_even_footers(layout):
    refs = _footer_targets(layout)
    assert set(refs) >= {"default", "even"}
    assert refs["default"] != refs["even"]


@pytest.mark.parametrize("kind,align,indent", [("default", "right", "right"), ("even", "left", "left")])
def test_page_number_footer_is_dash_page_dash_in_songti_14pt(layout, kind, align, indent):
    footer = layout.part(_footer_targets(layout)[kind])
    p = footer.find(f".//{w('p')}")
    assert p.find(f"{w('pPr')}/{w('jc')}").get(w("val")) == align
    assert _ind(p, indent) == CHAR_SMALL  # 空一字
    instr = "".join(t.text for t in p.iter(w("instrText")))
    assert instr.strip() == "PAGE"
    texts = [t.text for t in p.iter(w("t"))]
    assert texts[0] == "\u2014 " and texts[-1] == " \u2014"
    for r in p.iter(w("r")):
        assert _rpr_value(r, "rFonts", "eastAsia") == "宋体"
        assert _rpr_value(r, "sz") == "28"


# --------------------------------------------------------------------------- attachments

def _page_break_paragraphs(d: Docx):
    return [p for p in d.body_paragraphs if p.find(f"{w('pPr')}/{w('pageBreakBefore')}") is not None]


def test_attachment_starts_on_a_new_page_with_its_number_in_heiti(layout):
    labels = _page_break_paragraphs(layout)
    assert [layout.text(p) for p in labels] == ["附件1", "附件2"]
    for p in labels:
        assert all(_rpr_value(r, "rFonts", "eastAsia") == "黑体" for r in _runs_with_text(p))
        assert _ind(p, "firstLine") in (None, 0) and layout.style(p) != "GwBody"


def test_attachment_title_follows_its_label_after_one_blank_line(layout):
    ps = layout.body_paragraphs
    for label, title in zip(_page_break_paragraphs(layout), ["测试工作任务分工表", "测试工作日程安排"]):
        i = ps.index(label)
        assert layout.text(ps[i + 1]) == ""
        assert layout.style(ps[i + 2]) == "GwTitle" and layout.text(ps[i + 2]) == title


def test_single_attachment_is_labelled_without_a_number(docs):
    d = docs["one_attachment"]
    assert [d.text(p) for p in _page_break_paragraphs(d)] == ["附件"]
    assert "附件：唯一的附件" in d.texts()


def test_attachment_note_lists_numbered_names_after_the_body(layout):
    texts = layout.texts()
    i = texts.index("附件：1.\t测试工作任务分工表")
    assert texts[i + 1] == "2.\t测试工作日程安排"
    assert texts[i - 1] == ""                       # one blank line below the body
    assert texts[i - 2] == "第三部分的正文。"
    assert i < texts.index("2014年2月27日")          # before the signature


# --------------------------------------------------------------------------- 版记

def test_banji_has_cc_and_printer_with_printing_date(layout):
    texts = [layout.text(p) for p in layout.xpath("//w:tbl//w:p")]
    assert "抄送：县委督导组，县委办公室。" in texts
    printing = [t for t in texts if "印发" in t]
    assert printing and printing[-1].endswith("2014年3月1日印发")
    assert printing[-1].startswith("中共测试县卫生局委员会办公室")


def test_banji_comes_after_the_last_attachment(layout):
    body = list(layout.xpath("/w:document/w:body/*"))
    tables = [i for i, el in enumerate(body) if el.tag == w("tbl")]
    last_label = body.index(_page_break_paragraphs(layout)[-1])
    assert tables and tables[-1] > last_label


# --------------------------------------------------------------------------- escaping

def test_special_and_markup_characters_render_literally(docs):
    d = docs["escaping"]
    paras = [p.text for p in docx.Document(str(d.path)).paragraphs]  # the .docx opens
    for expected in ["关于A&B<C>“测试”的通知", "支部<甲>&乙：", "一、标题 # + @ | \\ 字符",
                     "正文 & < > \" ' 字符", "# 不是标题", "+ 不是条目", "@attachment 不是附件",
                     "@pagebreak", "甲|乙\\丙", "模板 {{ year }} 和 {% if true %}块{% endif %} 原样",
                     "</w:t></w:r><w:r><w:t>注入"]:
        assert expected in paras, expected


def test_table_cells_keep_bars_backslashes_and_markup_characters(docs):
    table = docx.Document(str(docs["escaping"].path)).tables[0]
    assert [[c.text for c in r.cells] for r in table.rows] == [["甲\\", "乙|丙"], ["#a", "@row b | c"]]


def test_markup_characters_in_plan_text_create_no_structure(docs):
    d = docs["escaping"]
    assert d.texts("Heading1") == ["一、标题 # + @ | \\ 字符"]
    assert not d.paragraphs_with_style("Heading2") and not _page_break_paragraphs(d)
    assert not d.xpath("//w:br[@w:type='page']")


# --------------------------------------------------------------------------- real plans

@pytest.mark.parametrize("plan", REAL_PLANS, ids=[p.stem for p in REAL_PLANS])
def test_every_example_plan_renders_to_a_docx_that_opens(real_docs, plan):
    d = real_docs[plan.stem]
    document = docx.Document(str(d.path))
    assert any(p.text.strip() for p in document.paragraphs)
    assert d.paragraphs_with_style("GwTitle")
    for s in _sect_prs(d):
        assert s.find(w("pgSz")).get(w("w")) == "11906"


def test_mass_line_plan_has_its_doc_number_and_printing_line(real_docs):
    d = real_docs["mass-line-implementation-plan-2014"]
    p = d.find("卫党发〔2014〕3号")
    assert p.find(f"{w('pPr')}/{w('pBdr')}/{w('bottom')}").get(w("color")) == "FF0000"
    assert any(t.endswith("2014年2月27日印发") for t in (d.text(p) for p in d.xpath("//w:tbl//w:p")))


@pytest.mark.parametrize("recipients", [None, "各支部"])
def test_one_blank_line_below_the_title_with_or_without_recipients(recipients):
    """7.3.1/7.3.2: the 主送 stands one line below the title; without a 主送 the body does."""
    from lxml import etree
    from gendoc.model import Document, Para
    from gendoc.typeset import Typesetter
    xml, _ = Typesetter().body_xml(Document(title_lines=["关于测试的通知"], recipients=recipients,
                                            body=[Para("正文第一段。")]))
    body = etree.fromstring(f'<w:body xmlns:w="{NS["w"]}" xmlns:r="r">{xml}</w:body>')
    paras = body.xpath("w:p", namespaces=NS)
    texts = ["".join(p.xpath(".//w:t/text()", namespaces=NS)) for p in paras]
    title = texts.index("关于测试的通知")
    assert texts[title + 1] == ""
    assert texts[title + 2] == (f"{recipients}：" if recipients else "正文第一段。")


def test_the_same_plan_gives_the_same_bytes(tmp_path):
    """Reproducible output: every zip entry carries one fixed time, so two renders of one plan
    are byte-identical (manifests' SHA-256 change only when the document does)."""
    import time
    from conftest import PLANS, render_plan
    plan = PLANS / "party-building-work-points-2003.yaml"
    first = render_plan(plan, tmp_path, "a").read_bytes()
    time.sleep(2.1)   # a zip time has two-second steps
    assert render_plan(plan, tmp_path, "b").read_bytes() == first
