"""gendoc batch (issue 9): branches files, branch plans, the shared path, stale terms, file
names, the manifest, exit codes, Ctrl-C and PDF."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import PLANS, ROOT, example_plans
from gendoc.batch import (NAME_BYTES, STATUS_OK, STATUS_STALE, Parent, read_branches, run_batch,
                          safe_file_name)
from gendoc.cli import main
from gendoc.errors import GendocError

PLAN = PLANS / "mass-line-implementation-plan-2014.yaml"
EXAMPLE = PLANS / "mass-line-implementation-plan-2014.branches.yaml"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def rows_of(out: Path) -> list[dict]:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))["rows"]


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        return {n: z.read(n) for n in z.namelist()}


def doc_text(path: Path) -> str:
    import re
    xml = zipfile.ZipFile(path).read("word/document.xml").decode("utf-8")
    return "".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", xml))


def run_cli(*args):
    return CliRunner().invoke(main, ["batch", *map(str, args)], catch_exceptions=False)


# ---------------------------------------------------------------- branches files

def test_csv_needs_id_and_name(tmp_path):
    f = write(tmp_path / "b.csv", "编号,简称\nx,院党委\n")
    with pytest.raises(GendocError) as e:
        read_branches(f)
    assert e.value.line == 1 and "name" in e.value.message


def test_csv_chinese_headers_lists_and_fields(tmp_path):
    f = write(tmp_path / "b.csv", "编号,名称,简称,自称,主送,meta.signature\n"
                                  "a,中共甲镇卫生院支部委员会,院党支部,我院,院内各科室、各村卫生室,甲镇卫生院\n")
    b = read_branches(f).branches[0]
    assert b.problem is None
    assert b.terms == {"name": "中共甲镇卫生院支部委员会", "short": "院党支部", "self_ref": "我院"}
    assert b.recipients == ["院内各科室", "各村卫生室"]
    assert b.overrides == {"meta": {"signature": "甲镇卫生院"}}


def test_csv_row_with_too_many_columns_names_its_line(tmp_path):
    f = write(tmp_path / "b.csv", "id,name\na,甲单位\nb,乙单位,多余\nc,丙单位\n")
    bs = read_branches(f)
    assert [b.problem is None for b in bs.branches] == [True, False, True]
    assert bs.branches[1].problem.line == 3


def test_duplicate_ids_and_names_refuse_every_branch_involved(tmp_path):
    f = write(tmp_path / "b.csv", "id,name\na,甲单位\nA,乙单位\nc,丙单位\nd,丙单位\ne,戊单位\n")
    bs = read_branches(f)
    bad = {b.id: b.problem for b in bs.branches if b.problem}
    assert set(bad) == {"a", "A", "c", "d"}
    assert "b.csv:3" in bad["a"].message and "b.csv:2" in bad["A"].message
    assert "名称" in bad["c"].message


def test_yaml_syntax_error_has_its_line(tmp_path):
    f = write(tmp_path / "b.yaml", "branches:\n  - id: a\n    name: [甲\n")
    with pytest.raises(GendocError) as e:
        read_branches(f)
    assert e.value.line and "YAML" in e.value.message


def test_yaml_needs_branches_list(tmp_path):
    f = write(tmp_path / "b.yaml", "branch:\n  - id: a\n")
    with pytest.raises(GendocError) as e:
        read_branches(f)
    assert "branches" in e.value.message


@pytest.mark.parametrize("bid, word", [("../x", ".."), ("a/b", "/"), ("CON", "保留名"), ("com1", "保留名"),
                                       ("lpt9.txt", "保留名"), ("a:b", "不允许")])
def test_unsafe_ids_are_refused_with_their_row(tmp_path, bid, word):
    f = write(tmp_path / "b.csv", f"id,name\nok,甲单位\n{bid},乙单位\n")
    bs = read_branches(f)
    assert bs.branches[0].problem is None
    p = bs.branches[1].problem
    assert word in p.message and p.line == 3


def test_safe_file_names():
    assert safe_file_name("a", '关于/印发:*?"<>|《方案》的通知. ') == "a-关于印发《方案》的通知.docx"
    long = safe_file_name("x", "很长的标题" * 100)
    assert len(long.encode("utf-8")) <= NAME_BYTES and long.endswith(".docx")
    assert safe_file_name("NUL", "").startswith("_")


# ---------------------------------------------------------------- branch plans

def test_broken_override_names_branches_file_and_line(tmp_path):
    f = write(tmp_path / "b.yaml", f"parent: {PLAN}\nbranches:\n  - id: ok\n    name: 中共甲镇卫生院支部委员会\n"
                                   "  - id: bad\n    name: 中共乙镇卫生院支部委员会\n"
                                   "    meta:\n      date: 2014-02-30\n")
    out = tmp_path / "out"
    r = run_cli(PLAN, "--branches", f, "-o", out, "-j", "1")
    assert r.exit_code == 3
    rows = {row["id"]: row for row in rows_of(out)}
    assert rows["ok"]["status"] == STATUS_OK
    assert rows["bad"]["status"] != STATUS_OK
    assert f"{f}:8: meta.date" in rows["bad"]["message"] and "2月只有28天" in rows["bad"]["message"]
    assert "bad" in r.output and "b.yaml:8" in r.output


def test_csv_override_column_error_names_the_row(tmp_path):
    f = write(tmp_path / "b.csv", "id,name,meta.seal\na,甲单位,true\nb,乙单位,也许\n")
    out = tmp_path / "out"
    assert run_cli(PLAN, "--branches", f, "-o", out, "-j", "1").exit_code == 3
    rows = {row["id"]: row for row in rows_of(out)}
    assert rows["a"]["status"] == STATUS_OK
    assert "b.csv:3" in rows["b"]["message"] and "meta.seal" in rows["b"]["message"]


def test_terms_are_replaced_and_overrides_merged():
    bs = read_branches(EXAMPLE)
    parent = Parent(PLAN, tags=bs.tags)
    by_id = {b.id: b for b in bs.branches}
    data = parent.branch_data(by_id["xrmyy"])
    assert data["meta"]["issuer"]["name"] == "中共县人民医院委员会"
    assert data["preamble"]["context"] == "结合我院实际"
    assert data["leading_group"]["name"] == "院党的群众路线教育实践活动领导小组"
    dropped = parent.branch_data(by_id["dhxwsy"])
    assert "加强宣传引导" not in [r["title"] for r in dropped["requirements"]]
    assert "筹备召开专题民主生活会" not in [t["task"] for t in dropped["responsibilities"]]
    assert len(dropped["requirements"]) == len(parent.data["requirements"]) - 1
    notes = parent.branch_data(by_id["jjgdzb"])["meta"]
    assert notes["notes"] == ["此件发至局机关全体党员"] and notes["date"] == "2014-02-27"


def test_unknown_tag_is_the_branch_s_error(tmp_path):
    f = write(tmp_path / "b.yaml", "branches:\n  - {id: a, name: 中共甲镇卫生院支部委员会}\n"
                                   "  - {id: b, name: 中共乙镇卫生院支部委员会, drop_tags: [没有]}\n")
    out = tmp_path / "out"
    assert run_cli(PLAN, "--branches", f, "-o", out, "-j", "1").exit_code == 3
    rows = {row["id"]: row for row in rows_of(out)}
    assert rows["a"]["status"] == STATUS_OK and "标签“没有”没有定义" in rows["b"]["message"]


# ---------------------------------------------------------------- the shared path

SHARED_CSV = """id,name,short,self_ref,recipients,reports_to
a,中共县人民医院委员会,院党委,我院,,
b,中共县疾病预防控制中心支部委员会,中心党支部,我中心,中心各科室,县卫生局党委
c,中共城关镇卫生院支部委员会,院党支部,我院,院内各科室、各村卫生室,县卫生局党委、县委督导组
d,中共县第12人民医院委员会,院党委,我院,,
e,县人民医院（县急救中心）党委,,,,
f,中共县第3人民医院委员会,院党委,我院,,
g,中共X县第二中学卫生室支部委员会,室党支部,我室,各班级,
h,甲,乙,丙,丁,戊
i,中共县卫生局机关支部委员会,机关党支部,我支部,局机关各科室,
j,Test Unit-7 Clinic,Unit 7,我所,Ward A、Ward B_2,County Office
k,ABC医院 党支部,,,,
l,中共Café卫生室支部,,,,
"""


@pytest.mark.parametrize("plan", [p.name for p in example_plans()])
def test_shared_path_gives_the_full_render(tmp_path, plan):
    """Every branch the shared path takes gives exactly the parts of a full render of that
    branch (document.xml, core.xml, the fingerprint: all of them), the same text, page
    estimate and warnings."""
    bs = read_branches(write(tmp_path / "b.csv", SHARED_CSV))
    parent = Parent(PLANS / plan)
    shared = 0
    for b in bs.branches:
        if parent.share_key(b) is None:
            continue
        s = parent.render_shared(b)
        f = parent.render_full(b)
        assert s.shared
        shared += 1
        assert parts(s.data) == parts(f.data), b.id
        assert (s.text, s.pages, s.warnings, s.title) == (f.text, f.pages, f.warnings, f.title)
    assert shared >= 9


def test_branches_share_typesetting_by_shape():
    parent = Parent(PLAN)
    from gendoc.batch import Branch
    a = Branch("a", "中共县第1人民医院委员会", "x", 1, terms={"name": "中共县第1人民医院委员会"})
    b = Branch("b", "中共县第7人民医院委员会", "x", 2, terms={"name": "中共县第7人民医院委员会"})
    c = Branch("c", "中共县第17人民医院委员会", "x", 3, terms={"name": "中共县第17人民医院委员会"})
    assert parent.share_key(a) == parent.share_key(b) != parent.share_key(c)
    space = Branch("s", "甲 乙", "x", 4, terms={"name": "甲 乙"})
    assert parent.share_key(space) is None          # a space beside Chinese: the full path
    latin = Branch("l", "Unit 7 Clinic", "x", 4, terms={"name": "Unit 7 Clinic"})
    assert parent.share_key(latin) is not None
    over = Branch("o", "甲单位", "x", 5, terms={"name": "甲单位"}, overrides={"closing": "好。"})
    assert parent.share_key(over) is None           # structural: the full path


# ---------------------------------------------------------------- runs

def test_batch_writes_documents_and_manifest(tmp_path):
    out = tmp_path / "out"
    r = run_cli(PLAN, "--branches", EXAMPLE, "-o", out, "-j", "2", "--zip")
    assert r.exit_code == 0, r.output
    rows = rows_of(out)
    assert [row["id"] for row in rows] == ["xrmyy", "xcdc", "cgzwsy", "dhxwsy", "jjgdzb", "xzyy"]
    for row in rows:
        assert row["status"] == STATUS_OK
        data = (out / row["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
        assert row["pages"] >= 2
        text = doc_text(out / row["file"])
        assert row["name"] in text and "中共县卫生局委员会" not in text and "我局" not in text
    assert {row["path"] for row in rows} == {"共享", "完整"}
    with open(out / "manifest.csv", encoding="utf-8-sig", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert [t["编号"] for t in table] == [row["id"] for row in rows]
    assert table[0]["SHA-256"] == rows[0]["sha256"] and table[0]["状态"] == "已生成"
    with zipfile.ZipFile(out / "mass-line-implementation-plan-2014.branches.zip") as z:
        assert set(z.namelist()) == {row["file"] for row in rows} | {"manifest.csv", "manifest.json"}
    # the shared and full versions of one branch are the same document
    again = tmp_path / "again"
    assert run_cli(PLAN, "--branches", EXAMPLE, "-o", again, "-j", "1", "--no-shared").exit_code == 0
    for row, other in zip(rows, rows_of(again)):
        assert parts((out / row["file"]).read_bytes()) == parts((again / other["file"]).read_bytes())


def test_mixed_batch_renders_good_branches_and_refuses_bad_ones(tmp_path):
    lines = ["id,name,closing"]
    for i in range(40):
        lines.append(f"u{i:02d},中共第{i}镇卫生院支部委员会,")
    lines += ["../etc,中共越界镇卫生院支部委员会,",            # path traversal
              "CON,中共保留镇卫生院支部委员会,",               # reserved name
              "u05,中共重号镇卫生院支部委员会,",              # duplicate id
              "dup,中共第7镇卫生院支部委员会,",               # same name as u07
              "x1,中共十一镇卫生院支部委员会,请中共第3镇卫生院支部委员会认真落实。"]   # planted stale name
    f = write(tmp_path / "b.csv", "\n".join(lines) + "\n")
    out = tmp_path / "out"
    r = run_cli(PLAN, "--branches", f, "-o", out, "-j", "2")
    assert r.exit_code == 3
    rows = {row["id"]: row for row in rows_of(out)}
    bad = {k for k, row in rows.items() if row["status"] != STATUS_OK}
    assert bad == {"../etc", "CON", "u05", "dup", "u07", "x1"}
    assert rows["x1"]["status"] == STATUS_STALE
    assert any("中共第3镇卫生院支部委员会" in w and "认真落实" in w for w in rows["x1"]["warnings"])
    written = sorted(p.name for p in out.glob("*.docx"))
    assert written == sorted(row["file"] for row in rows.values() if row["status"] == STATUS_OK)
    assert len(written) == 38 and not list(tmp_path.glob("etc*"))
    for name in written[:5]:
        assert rows[name.split("-")[0]]["name"] in doc_text(out / name)
    # allowed stale terms: written, with the hit in the manifest
    out2 = tmp_path / "out2"
    assert run_cli(PLAN, "--branches", f, "-o", out2, "-j", "1", "--allow-stale").exit_code == 3
    row = {row["id"]: row for row in rows_of(out2)}["x1"]
    assert row["status"] == STATUS_OK and (out2 / row["file"]).exists() and row["warnings"]


def test_file_name_collisions_are_refused_before_writing(tmp_path):
    f = write(tmp_path / "b.yaml", "branches:\n"
              "  - {id: a, name: 中共甲镇卫生院支部委员会, meta: {title: 甲-关于印发《方案》的通知}}\n"
              "  - {id: a-甲, name: 中共乙镇卫生院支部委员会, meta: {title: 关于印发《方案》的通知}}\n"
              "  - {id: c, name: 中共丙镇卫生院支部委员会}\n")
    out = tmp_path / "out"
    r = run_cli(PLAN, "--branches", f, "-o", out, "-j", "1")
    rows = rows_of(out)
    assert r.exit_code == 3
    assert [row["status"] == STATUS_OK for row in rows] == [True, False, True]
    assert "文件名" in rows[1]["message"] and "分支 a（" in rows[1]["message"]
    assert sorted(p.name for p in out.glob("*.docx")) == sorted([rows[0]["file"], rows[2]["file"]])


def test_bad_branches_file_writes_nothing(tmp_path):
    f = write(tmp_path / "b.csv", "id\nx\n")
    out = tmp_path / "out"
    r = run_cli(PLAN, "--branches", f, "-o", out)
    assert r.exit_code == 1 and "错误：" in r.output and "name" in r.output
    assert not out.exists() or not list(out.iterdir())


def test_library_renders_in_memory_without_files():
    bs = read_branches(EXAMPLE)
    parent = Parent(PLAN, tags=bs.tags)
    docs = [parent.render_shared(b) for b in bs.branches]
    for b, d in zip(bs.branches, docs):
        assert d.data[:2] == b"PK" and b.name in d.text and isinstance(d.warnings, list)


def test_ctrl_c_leaves_complete_files_and_a_manifest(tmp_path):
    lines = ["id,name"] + [f"u{i:03d},中共第{i}镇卫生院支部委员会" for i in range(400)]
    f = write(tmp_path / "b.csv", "\n".join(lines) + "\n")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "gendoc.cli", "batch", str(PLAN), "--branches", str(f),
                             "-o", str(out), "-j", "2", "--no-shared"], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline and not (out.is_dir() and list(out.glob("*.docx"))):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)        # what a terminal sends: every process of the group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    rows = rows_of(out)
    done = {row["file"] for row in rows if row["status"] == STATUS_OK}
    assert 0 < len(done) < 400
    assert {p.name for p in out.iterdir()} == done | {"manifest.csv", "manifest.json"}
    for row in rows:
        if row["status"] == STATUS_OK:
            assert hashlib.sha256((out / row["file"]).read_bytes()).hexdigest() == row["sha256"]
    assert "已中断" in err.decode()


def test_a_document_that_cannot_be_written_fails_alone(tmp_path, monkeypatch):
    lines = ["id,name"] + [f"u{i:02d},中共第{i}镇卫生院支部委员会" for i in range(40)]
    f = write(tmp_path / "b.csv", "\n".join(lines) + "\n")
    out = tmp_path / "out"
    import gendoc.outputs as outputs
    real = outputs._stage

    def full_disk(path, data, mode, sync=True):
        if path.name.startswith("u07-"):
            raise OSError(28, "No space left on device")
        return real(path, data, mode, sync)

    monkeypatch.setattr(outputs, "_stage", full_disk)
    result = run_batch(str(PLAN), str(f), out, jobs=1, chunk=16)
    failed = [r for r in result.rows if r["status"] != STATUS_OK]
    assert [r["id"] for r in failed] == ["u07"]
    assert "磁盘已满" in failed[0]["message"] and "u07-" in failed[0]["message"]
    assert failed[0]["file"] == "" and failed[0]["sha256"] == ""
    written = sorted(p.name for p in out.glob("*.docx"))
    assert len(written) == 39 and not any(n.startswith("u07-") for n in written)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]   # no temporary file left
    for r in result.rows:
        if r["status"] == STATUS_OK:
            assert hashlib.sha256((out / r["file"]).read_bytes()).hexdigest() == r["sha256"]


def _soffice_naming(folder: Path) -> list[str]:
    """Command lines of live LibreOffice processes that name ``folder`` (read from /proc:
    ``ps`` cuts long lines to the terminal's width)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if "soffice" in args and str(folder) in args:
            found.append(args)
    return found


@pytest.mark.libreoffice
def test_pdf_for_branches(tmp_path, monkeypatch):
    from gendoc.pdf import have_soffice
    if not have_soffice():
        pytest.skip("LibreOffice 未安装")
    import tempfile
    import pdfplumber
    private = tmp_path / "tmp"     # where the workers' LibreOffice folders go
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    lines = ["id,name"] + [f"u{i},中共第{i}镇卫生院支部委员会" for i in range(6)]
    f = write(tmp_path / "b.csv", "\n".join(lines) + "\n")
    out = tmp_path / "out"
    r = run_cli(PLAN, "--branches", f, "-o", out, "-j", "2", "--pdf")
    assert r.exit_code == 0, r.output
    rows = rows_of(out)
    assert sorted(p.name for p in out.glob("*.pdf")) == sorted(row["pdf"] for row in rows)
    for row in rows:
        assert row["pdf"] == row["file"][:-len(".docx")] + ".pdf"
        assert (out / row["pdf"]).read_bytes().startswith(b"%PDF")
        assert row["pdf_pages"] == row["pages"]
    assert _soffice_naming(private) == [] and list(private.iterdir()) == []
    # each PDF is its own branch's, in the configured stand-in fonts, and passes verify
    first = out / rows[0]["pdf"]
    with pdfplumber.open(first) as doc:
        text = "".join(page.extract_text() or "" for page in doc.pages)
        fonts = {c["fontname"].split("+")[-1] for page in doc.pages for c in page.chars}
    assert rows[0]["name"] in text and rows[1]["name"] not in text
    assert any(f.startswith("FandolFang") for f in fonts), fonts
    assert any(f.startswith("NotoSerifCJK") for f in fonts), fonts
    verified = CliRunner().invoke(main, ["verify", str(first)], catch_exceptions=False)
    assert verified.exit_code == 0, verified.output
    assert "0 条不通过" in verified.output


@pytest.mark.libreoffice
def test_ctrl_c_during_pdf_conversion_leaves_complete_files_and_no_libreoffice(tmp_path):
    from gendoc.pdf import have_soffice
    if not have_soffice():
        pytest.skip("LibreOffice 未安装")
    lines = ["id,name"] + [f"u{i},中共第{i}镇卫生院支部委员会" for i in range(6)]
    f = write(tmp_path / "b.csv", "\n".join(lines) + "\n")
    out = tmp_path / "out"
    private = tmp_path / "tmp"
    private.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "gendoc.cli", "batch", str(PLAN), "--branches", str(f),
                             "-o", str(out), "-j", "2", "--pdf"], cwd=ROOT, start_new_session=True,
                            env=dict(os.environ, TMPDIR=str(private)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and not _soffice_naming(private):
        time.sleep(0.05)
    assert _soffice_naming(private), "LibreOffice never started"
    os.killpg(proc.pid, signal.SIGINT)        # what a terminal sends: every process of the group
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, err.decode()
    rows = rows_of(out)
    listed = {row[k] for row in rows if row["status"] == STATUS_OK for k in ("file", "pdf") if row[k]}
    assert {p.name for p in out.iterdir()} == listed | {"manifest.csv", "manifest.json"}
    for row in rows:
        if row["status"] == STATUS_OK:
            assert hashlib.sha256((out / row["file"]).read_bytes()).hexdigest() == row["sha256"]
            assert (out / row["pdf"]).read_bytes().startswith(b"%PDF")
    assert _soffice_naming(private) == [] and list(private.iterdir()) == []
    assert "已中断" in err.decode()


def test_branches_file_naming_another_parent_is_refused(tmp_path):
    f = write(tmp_path / "b.yaml", f"parent: {PLANS / 'party-building-work-points-2003.yaml'}\n"
                                   "branches:\n  - {id: a, name: 中共甲镇卫生院支部委员会}\n")
    r = run_cli(PLAN, "--branches", f, "-o", tmp_path / "out")
    assert r.exit_code == 1 and "父计划" in r.output


def test_shards_divide_the_branches_and_check_all_names(tmp_path):
    lines = ["id,name,closing"] + [f"u{i},中共第{i}镇卫生院支部委员会," for i in range(6)]
    lines.append("x,中共十镇卫生院支部委员会,请中共第1镇卫生院支部委员会认真落实。")   # stale name of another shard
    f = write(tmp_path / "b.csv", "\n".join(lines) + "\n")
    out = tmp_path / "out"
    codes = [run_cli(PLAN, "--branches", f, "-o", out, "-j", "1", "--shard", f"{k}/3").exit_code for k in (1, 2, 3)]
    assert codes == [3, 0, 0]   # x is the 7th branch: shard 1
    seen = []
    for k in (1, 2, 3):
        seen += [row["id"] for row in json.loads((out / f"manifest-{k}-of-3.json").read_text("utf-8"))["rows"]]
    assert sorted(seen) == sorted([f"u{i}" for i in range(6)] + ["x"])
    assert len(list(out.glob("*.docx"))) == 6
    assert run_cli(PLAN, "--branches", f, "-o", out, "--shard", "4/3").exit_code == 2


def test_term_finder_finds_what_one_alternation_of_all_terms_finds():
    """The stale-term scan (a pattern of the terms' openings, then a set) finds the same
    occurrences, leftmost and longest first, as one regular expression of every term; on
    texts made of whole terms, cut terms and filler (fixed seed: reproducible)."""
    import random
    import re as re_
    from gendoc.batch import TermFinder
    rnd = random.Random(20261201)
    letters = "中共东西山水镇乡卫生院支部委员会我局县党的。、"
    for trial in range(200):
        terms = {"".join(rnd.choice(letters) for _ in range(rnd.randint(1, 12))) for _ in range(rnd.randint(1, 40))}
        terms |= {t[:rnd.randint(1, len(t))] for t in list(terms)[:5]}
        pool = sorted(terms)
        text = "".join(rnd.choice(pool) if rnd.random() < 0.4 else rnd.choice(letters) * rnd.randint(0, 3)
                       for _ in range(60))
        one = re_.compile("|".join(re_.escape(t) for t in sorted(terms, key=len, reverse=True)))
        expected = [(m.start(), m.end(), m.group()) for m in one.finditer(text)]
        assert list(TermFinder(terms).finditer(text)) == expected, trial
        assert list(TermFinder(terms).compact().finditer(text)) == expected, trial   # hashes only
    assert not TermFinder([]) and list(TermFinder([""]).finditer("任何文字")) == []


def test_workers_get_the_checker_from_a_private_file_that_is_then_removed(tmp_path, monkeypatch):
    """With workers, the stale-term checker (made after they were forked) reaches them
    through a file in TMPDIR; the run removes it, and a planted stale term is still found
    (so the workers did read it)."""
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setenv("TMPDIR", str(private))
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)
    rows = ["id,name,closing"] + [f"b{i:03d},中共东{i}镇卫生院支部委员会," for i in range(40)]
    rows[5] = "b004,中共东4镇卫生院支部委员会,请中共东7镇卫生院支部委员会按时上报。"
    f = write(tmp_path / "b.csv", "\n".join(rows) + "\n")
    out = tmp_path / "out"
    out.mkdir()
    result = run_batch(str(PLAN), str(f), out, jobs=2, chunk=4)
    assert list(private.iterdir()) == []
    stale = [r for r in result.rows if r["status"] == STATUS_STALE]
    assert [r["id"] for r in stale] == ["b004"]
    assert any("分支 b007 的“中共东7镇卫生院支部委员会”" in w for w in stale[0]["warnings"])
    assert sum(r["status"] == STATUS_OK for r in result.rows) == 39


def test_csv_branches_are_made_from_their_records_again_the_same(tmp_path):
    """A CSV branches file is read record by record when the run needs a branch (the run
    keeps the text and the records' lines, not the branches): quoted fields over several
    lines, blank rows, CRLF and a BOM give the same branches, lines and problems each time."""
    text = ("\ufeff编号,名称,简称,closing\r\n"
            "a1,中共东山镇卫生院支部委员会,院党支部,\r\n"
            "\r\n"
            'a2,"中共西山镇卫生院支部委员会",,"第一行\r\n第二行"\r\n'
            "a3,中共南山镇卫生院支部委员会,,,多余\r\n"
            "a1,中共北山镇卫生院支部委员会,,\r\n")
    f = tmp_path / "b.csv"
    f.write_bytes(text.encode("utf-8"))
    bs = read_branches(f)
    assert len(bs.branches) == 4
    for _ in range(2):
        a1, a2, a3, dup = bs.branches
        assert (a1.id, a1.name, a1.line, a1.terms.get("short")) == ("a1", "中共东山镇卫生院支部委员会", 2, "院党支部")
        assert (a2.line, a2.overrides) == (4, {"closing": "第一行\n第二行"})
        assert a3.line == 6 and "这一行有 5 列" in a3.problem.message
        assert dup.line == 7 and "与" in dup.problem.message and a1.problem is not None
        assert a2.problem is None
    assert [b.id for b in bs.branches[1:3]] == ["a2", "a3"]


def test_pdf_alone_converts_each_document_by_itself(tmp_path, monkeypatch):
    from gendoc.pdf import have_soffice
    if not have_soffice():
        pytest.skip("LibreOffice (soffice) not installed")
    from gendoc import pdfjoin
    monkeypatch.setattr(pdfjoin, "_join", lambda docs: pytest.fail("joined"))
    f = write(tmp_path / "b.csv", "id,name\na,中共东山镇卫生院支部委员会\nb,中共西山镇卫生院支部委员会\n")
    out = tmp_path / "out"
    r = run_cli(PLAN, "--branches", f, "-o", out, "-j", "1", "--pdf-alone")
    assert r.exit_code == 0, r.output
    assert len(list(out.glob("*.pdf"))) == 2
