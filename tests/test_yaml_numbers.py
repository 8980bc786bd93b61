"""YAML 1.1 number forms a clerk never means: 010 is not 8, 9:30 is not 570."""

import pytest

from gendoc.errors import GendocError
from gendoc.loader import load_text
from gendoc.plan import validate

PLAN = """schema_version: 1
template: notice
meta:
  genre: 通知
  title: 关于测试的通知
  issuer: {{name: 测试局}}
  doc_number: {{code: 卫党发, year: 2014, seq: {seq}}}
  copy_number: {copy}
"""


def _plan(seq="3", copy="000017"):
    data, lines = load_text(PLAN.format(seq=seq, copy=copy), "p.yaml")
    return validate(data, lines, "p.yaml")


def test_leading_zero_sequence_is_read_as_decimal():
    assert str(_plan(seq="010").meta.doc_number) == "卫党发〔2014〕10号"


@pytest.mark.parametrize("copy", ["000017", "000019", "17"])
def test_copy_number_keeps_its_digits(copy):
    assert _plan(copy=copy).meta.copy_number == copy.zfill(6)


def test_sexagesimal_looking_number_is_an_error_not_570():
    with pytest.raises(GendocError) as ei:
        _plan(seq="9:30")
    assert ei.value.line == 7 and ei.value.field == "meta.doc_number.seq"
    assert "9:30" in ei.value.message


def test_plain_numbers_still_read_as_numbers():
    data, _ = load_text("a: 12\nb: -3\nc: 1.5\nd: 0\n", "x.yaml")
    assert data == {"a": 12, "b": -3, "c": 1.5, "d": 0}
