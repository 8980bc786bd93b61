"""Plan text is data on every path (issue 7, point 3): every string a plan holds, at every
depth, is given markup and line breaks, and the document's structure does not change; or
the field refuses it (fixed forms: 机关代字, template name), naming the line."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import pytest
import yaml

from gendoc.errors import GendocError
from gendoc.loader import load_text
from gendoc.model import Heading, Item, PageBreak, Para, Table
from gendoc.plan import validate
from gendoc.render import build_document

from conftest import FIXTURE_PLANS, PLANS, example_plans

HOSTILE = ("\n# 假标题\n## 假二级\n+ 假条目\n++ 假子项\n@attachment 假附件\n@pagebreak\n"
           "@table 甲 | 乙\n@row 1 | 2\n@end\n@center 假居中\n标题。| 假正文\\\n\u2028#\u0085+")
SOURCES = example_plans() + [FIXTURE_PLANS / n for n in ("layout.yaml", "escaping.yaml")]


def structure(doc) -> tuple:
    def blocks(bs):
        out = []
        for b in bs:
            if isinstance(b, (Heading, Item)):
                out.append((type(b).__name__, b.level, b.run_in is not None if isinstance(b, Heading) else bool(b.title)))
            elif isinstance(b, Table):
                out.append(("Table", len(b.header), len(b.rows)))
            elif isinstance(b, Para):
                out.append(("Para", b.indent, b.align))
            elif isinstance(b, PageBreak):
                out.append(("PageBreak",))
        return out
    return (blocks(doc.body), [(blocks(a.blocks)) for a in doc.attachments],
            doc.head is not None and (bool(doc.head.mark), bool(doc.head.doc_number)),
            bool(doc.recipients), len(doc.notes), len(doc.banji.cc))


def string_paths(node, path=()):
    if isinstance(node, str):
        yield path
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from string_paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from string_paths(v, path + (i,))


def build(data: dict, name: str):
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    parsed, lines = load_text(text, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_document(validate(parsed, lines, name))


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_markup_in_any_string_field_changes_no_structure(source: Path):
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    baseline = structure(build(data, source.name))
    paths = list(string_paths(data))
    assert len(paths) > 10
    refused = 0
    for path in paths:
        changed = copy.deepcopy(data)
        node = changed
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = node[path[-1]] + HOSTILE
        try:
            doc = build(changed, source.name)
        except GendocError as exc:       # a fixed form or a date: refused with its line
            refused += 1
            assert exc.line is not None, (path, exc.located())
            continue
        assert structure(doc) == baseline, f"{'.'.join(map(str, path))} changed the structure"
    assert refused < len(paths) / 2      # most fields are prose and take any text


@pytest.mark.parametrize("field, value, words", [
    ("meta.doc_number.code", "卫党发\n# 标题", "机关代字里不能有换行"),
    ("meta.doc_number.code", "卫党#发", "机关代字里不能有“#”"),
    ("meta.doc_number.code", "卫党 发", "机关代字里不能有空格"),
    ("template", "notice\n@pagebreak", "模板名里不能有换行"),
    ("template", "../notice", "模板名只写文件名"),
])
def test_fixed_forms_refuse_newlines_and_markup(field, value, words):
    data = yaml.safe_load((PLANS / "mass-line-implementation-plan-2014.yaml").read_text(encoding="utf-8"))
    node = data
    *parents, last = field.split(".")
    for key in parents:
        node = node[key]
    node[last] = value
    with pytest.raises(GendocError) as info:
        build(data, "p.yaml")
    problem = next(p for p in info.value.problems or [info.value] if p.field == field)
    assert words in problem.message and problem.line is not None
