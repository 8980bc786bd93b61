"""Hostile and careless input: every bad plan ends in a clear error, nothing corrupted, nothing lost.

* the corpus ``tests/bad_plans/`` (one plan per failure mode, ``expected.yaml`` gives the exact
  message and line) is run through the real CLI in a subprocess;
* hypothesis generates random plans, random strings (all Unicode planes, control characters,
  surrogates, very long lines) and random bytes, and calls the library in-process: every run
  ends in a .docx python-docx opens, or in a :class:`GendocError` whose problems are one line each;
* output files: atomic writes (crash, Ctrl-C), bad output paths, concurrent runs;
* YAML bombs, sandboxed template fields, LibreOffice opening a hostile-text document.
"""

from __future__ import annotations

import codecs
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
import warnings
from pathlib import Path

import docx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gendoc import render as render_mod
from gendoc.errors import GendocError
from gendoc.loader import MAX_BYTES, load_file
from gendoc.plan import load_plan
from gendoc.render import build_document, render_field, render_file
from gendoc.typeset import Typesetter

HERE = Path(__file__).resolve().parent
BAD = HERE / "bad_plans"
EXPECTED = yaml.safe_load((BAD / "expected.yaml").read_text(encoding="utf-8"))
CLI = [sys.executable, "-m", "gendoc.cli"]
XML_BAD = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

BASE = {
    "schema_version": 1,
    "template": "notice",
    "meta": {"genre": "通知", "title": "关于测试的通知", "issuer": {"name": "测试局"},
             "date": "2014-02-28"},
    "sections": [{"heading": "第一部分", "paras": ["正文。"]}],
}


def dump(plan: dict, path: Path) -> Path:
    path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def plan_with(**changes) -> dict:
    plan = yaml.safe_load(yaml.safe_dump(BASE))
    for dotted, value in changes.items():
        node = plan
        *parents, last = dotted.split("__")
        for p in parents:
            node = node[int(p)] if p.isdigit() else node[p]
        node[last] = value
    return plan


def cli(*args, cwd=None, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


def docx_text(path: Path) -> str:
    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def previous_document(target: Path) -> bytes:
    """A good earlier output of gendoc at ``target`` (a different plan's): its bytes."""
    other = dump({**BASE, "closing": "上一次生成的文档。"}, target.with_name("previous-plan.yaml"))
    render_file(other, target)
    other.unlink()
    return target.read_bytes()


def assert_clean_failure(proc: subprocess.CompletedProcess) -> list[str]:
    """Exit 1, no traceback, every stderr line a one-line message or warning."""
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("错误：")]
    assert errors, proc.stderr
    for ln in proc.stderr.splitlines():
        assert ln.startswith(("错误：", "警告：", "共 ")), f"stray stderr line: {ln!r}"
    return errors


# ============================================================== 1. the corpus, through the CLI

def _corpus_params():
    for name, exp in EXPECTED.items():
        marks = [pytest.mark.xfail(strict=True, reason=exp["xfail"])] if exp.get("xfail") else []
        yield pytest.param(name, exp, marks=marks, id=name)


def test_corpus_complete():
    files = {p.name for p in BAD.glob("*.yaml")} - {"expected.yaml"}
    assert files == set(EXPECTED), files ^ set(EXPECTED)


@pytest.mark.parametrize("name,exp", _corpus_params())
def test_bad_plan_corpus(name, exp, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    previous = out / "keep.docx"
    good = previous_document(previous)
    plan = BAD / name
    proc = cli("render", plan, "-o", previous)
    errors = assert_clean_failure(proc)
    first = errors[0]
    where = f"{plan}:{exp['line']}: " if exp.get("line") else f"{plan}: "
    assert first.startswith("错误：" + where), (first, where)
    if exp.get("field"):
        assert f": {exp['field']}: " in first, first
    assert exp["message"] in first, first
    # nothing written, nothing destroyed, no temporary left behind
    assert sorted(p.name for p in out.iterdir()) == ["keep.docx"]
    assert previous.read_bytes() == good


@pytest.mark.parametrize("name", [n for n, e in EXPECTED.items() if not e.get("xfail")][:6])
def test_bad_plan_check_command(name):
    """`gendoc check` reports the same first message, exit 1."""
    proc = cli("check", BAD / name)
    errors = assert_clean_failure(proc)
    assert EXPECTED[name]["message"] in errors[0]


def test_bad_plan_leaves_no_output(tmp_path):
    target = tmp_path / "new.docx"
    assert_clean_failure(cli("render", BAD / "duplicate_key.yaml", "-o", target))
    assert list(tmp_path.iterdir()) == []


def test_oversized_plan_refused_with_limit(tmp_path):
    big = tmp_path / "big.yaml"
    with big.open("w", encoding="utf-8") as fh:
        fh.write(yaml.safe_dump(BASE, allow_unicode=True))
        fh.write(("# " + "x" * 1022 + "\n") * (MAX_BYTES // 1024 + 10))
    t = time.perf_counter()
    proc = cli("render", big, "-o", tmp_path / "o.docx")
    assert time.perf_counter() - t < 10
    errors = assert_clean_failure(proc)
    assert f"超过计划文件上限 {MAX_BYTES:,} 字节（20 MiB）" in errors[0]
    assert f"{big}: " in errors[0]
    assert not (tmp_path / "o.docx").exists()


def test_alias_text_bomb_refused(tmp_path):
    """A small file whose aliases repeat a long string thousands of times."""
    text = ("schema_version: 1\ntemplate: notice\nclosing: &big \"" + "x" * 100_000 + "\"\n"
            "meta: {genre: 通知, title: 关于测试的通知, issuer: {name: 测试局}}\n"
            "sections:\n  - heading: 一\n    paras: [" + ", ".join(["*big"] * 2000) + "]\n")
    p = tmp_path / "textbomb.yaml"
    p.write_text(text, encoding="utf-8")
    t = time.perf_counter()
    proc = cli("render", p, "-o", tmp_path / "o.docx")
    assert time.perf_counter() - t < 10
    errors = assert_clean_failure(proc)
    assert f"{p}:3: 别名（*名字）重复的文字超过 1,000,000 个字符（可能是 YAML 别名炸弹），已拒绝" in errors[0]


# ============================================================== 2. encodings that must work

def _base_text() -> str:
    return yaml.safe_dump(plan_with(sections__0__paras=["编码测试：中文正文。"]), allow_unicode=True)


@pytest.mark.parametrize("encoding,prefix,newline,warning", [
    ("utf-8", b"", "\n", None),
    ("utf-8", codecs.BOM_UTF8, "\n", None),
    ("utf-8", b"", "\r\n", None),
    ("utf-16-le", codecs.BOM_UTF16_LE, "\r\n", None),
    ("utf-16-be", codecs.BOM_UTF16_BE, "\n", None),
    ("gbk", b"", "\r\n", "已按 GBK/GB18030 编码读取"),
    ("gb18030", b"", "\n", "已按 GBK/GB18030 编码读取"),
], ids=["utf8", "utf8-bom", "utf8-crlf", "utf16le-bom-crlf", "utf16be-bom", "gbk-crlf", "gb18030"])
def test_encodings_read_correctly(tmp_path, encoding, prefix, newline, warning):
    src = tmp_path / "enc.yaml"
    src.write_bytes(prefix + _base_text().replace("\n", newline).encode(encoding))
    out = tmp_path / "enc.docx"
    proc = cli("render", src, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    if warning:
        assert warning in proc.stderr
    text = docx_text(out)
    assert "编码测试：中文正文。" in text and "关于测试的通知" in text


# ============================================================== 3. text safety

HOSTILE = "甲\x01乙\x0b丙\uffff丁\x7f戊😀己 ]]> &amp; <b>&</b> \"q\" 'a' # + @ | \\ 庚"
TEMPLATE_LOOKING = "{{ 7*7 }} {% for x in y %}z{% endfor %} {# c #} ${x}"


def test_xml_special_and_control_characters_render(tmp_path):
    plan = plan_with(sections__0__paras=[HOSTILE, TEMPLATE_LOOKING, "# 假标题 | 尾", "@attachment 假附件"])
    plan["meta"]["title"] = "关于\x02<b>&“测试”</b>的通知"
    plan["meta"]["recipients"] = ["<局>&\x03"]
    plan["sections"][0]["items"] = ["条目 & <i>\x1f", {"title": "引领<语>", "text": "正文 ]]>"}]
    plan["sections"][0]["table"] = {"header": ["a&b", "<c>"], "rows": [["\x04d", "e\"f"]]}
    src = dump(plan, tmp_path / "hostile.yaml")
    out = tmp_path / "hostile.docx"
    proc = cli("render", src, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    # dropped where the plan holds them, each warning naming file and line
    dropped = [ln for ln in proc.stderr.splitlines() if "已删除文档里不能有的控制字符" in ln]
    assert dropped and all(re.match(rf"警告：{re.escape(str(src))}:\d+: ", ln) for ln in dropped)
    text = docx_text(out)
    assert XML_BAD.sub("", HOSTILE) in text
    assert TEMPLATE_LOOKING in text           # plan values are data, never templates
    assert "# 假标题 | 尾" in text and "@attachment 假附件" in text   # no structure from data
    assert "关于<b>&“测试”</b>的通知" in text
    assert "<局>&：" in text
    assert "条目 & <i>" in text and "正文 ]]>" in text
    assert "a&b" in text and "e\"f" in text and "d" in text
    paras = [q.text for q in docx.Document(str(out)).paragraphs]
    assert not any(q.startswith("附件") for q in paras), paras     # no attachment was created


def test_lone_surrogate_dropped_with_warning(tmp_path):
    src = tmp_path / "sur.yaml"
    src.write_text(_base_text().replace("编码测试：中文正文。", '"孤立\\ud800代理\\udfff字符"'),
                   encoding="utf-8")
    out = tmp_path / "sur.docx"
    proc = cli("render", src, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "已删除无效的代理字符" in proc.stderr
    assert "孤立代理字符" in docx_text(out)


def test_validate_lone_surrogate_message_in_chinese():
    from gendoc.loader import LineMap
    from gendoc.plan import validate
    data = plan_with(sections__0__paras=["a\ud800b"])
    with pytest.raises(GendocError) as ei:
        validate(data, LineMap(), "x.yaml")
    assert "Input should be" not in ei.value.message


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
@pytest.mark.libreoffice
def test_libreoffice_opens_hostile_document(tmp_path):
    import pdfplumber
    from gendoc.pdf import docx_to_pdf
    plan = plan_with(sections__0__paras=[HOSTILE, TEMPLATE_LOOKING])
    src = dump(plan, tmp_path / "lo.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = render_file(src, tmp_path / "lo.docx")
    pdf = docx_to_pdf(result.docx, tmp_path)
    with pdfplumber.open(str(pdf)) as doc:
        text = "".join((page.extract_text() or "") for page in doc.pages)
    flat = re.sub(r"\s+", "", text)
    for piece in ("甲乙丙", "]]>", "&amp;", "<b>&</b>", "{{7*7}}", "{%forxiny%}"):
        assert piece in flat, (piece, flat[:300])


# ============================================================== 3b. sandboxed template fields

def _ip_plan(lead: str) -> dict:
    plan = plan_with(template="implementation_plan")
    plan["meta"]["genre"] = "实施方案"
    plan["guiding_ideology"] = {"lead": lead, "text": "指导思想。"}
    return plan


@pytest.mark.parametrize("lead,message", [
    ("{{ ''.__class__.__mro__ }}", "模板做了不允许的操作"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "模板做了不允许的操作"),
    ("{{ cycler.__init__.__globals__ }}", "模板做了不允许的操作"),
    ("{{ lipsum.__globals__['os'].popen('id').read() }}", "不存在的名字"),
    ("{{ year.__class__.__base__.__subclasses__() }}", "模板做了不允许的操作"),
    ("{{ ctx.items.__self__.__class__ }}", "模板做了不允许的操作"),
    ("{{ issuer.__class__.__init__.__globals__ }}", "模板做了不允许的操作"),
    ("{% include '/etc/passwd' %}", "不能用 include、import 或 extends"),
    ("{% import 'os' as os %}", "不能用 include、import 或 extends"),
    ("{% for i in range(10**9) %}x{% endfor %}", "不存在的名字"),
    ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "模板出错"),
    ("{{ 'x' * 3000 }}", "模板字段展开后超过 2000 字"),
])
def test_template_field_sandbox_refuses(tmp_path, lead, message):
    src = dump(_ip_plan(lead), tmp_path / "tpl.yaml")
    proc = cli("render", src, "-o", tmp_path / "t.docx")
    errors = assert_clean_failure(proc)
    assert message in errors[0], errors[0]
    assert "guiding_ideology.lead" in errors[0]
    assert not (tmp_path / "t.docx").exists()


def test_template_field_endless_loop_stopped(tmp_path):
    lead = "{% for a in 'abcdefghij' %}" * 9 + "{% endfor %}" * 9
    src = dump(_ip_plan(lead), tmp_path / "loop.yaml")
    t = time.perf_counter()
    proc = cli("render", src, "-o", tmp_path / "t.docx")
    assert time.perf_counter() - t < 15
    errors = assert_clean_failure(proc)
    assert "运行超过 2 秒，已停止" in errors[0]


def test_template_field_renders_in_sandbox(tmp_path):
    src = dump(_ip_plan("{{ year }}年{{ issuer.name }}"), tmp_path / "ok.yaml")
    out = tmp_path / "ok.docx"
    proc = cli("render", src, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "2014年测试局" in docx_text(out)


def test_template_field_memory_bomb_refused():
    plan = load_plan(dump(_ip_plan("x"), Path(os.environ.get("TMPDIR", "/tmp")) / f"mb{os.getpid()}.yaml"))
    with pytest.raises(GendocError):
        render_field("{% set s = 'x' * 10**8 %}{{ s|length }}", plan, "guiding_ideology.lead")


# ============================================================== 4. files

def test_crash_in_typesetter_keeps_previous_file(tmp_path, monkeypatch):
    src = dump(BASE, tmp_path / "p.yaml")
    target = tmp_path / "p.docx"
    previous = previous_document(target)

    def boom(self, doc):
        raise KeyboardInterrupt
    monkeypatch.setattr(Typesetter, "render", boom)
    with pytest.raises(KeyboardInterrupt):
        render_file(src, target)
    assert target.read_bytes() == previous
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.docx", "p.yaml"]


@pytest.mark.parametrize("exc", [KeyboardInterrupt, OSError(28, "No space left on device")])
def test_crash_mid_write_keeps_previous_file(tmp_path, monkeypatch, exc):
    src = dump(BASE, tmp_path / "p.yaml")
    target = tmp_path / "p.docx"
    previous = previous_document(target)
    seen = []

    def fsync(fd):
        seen.append([p.name for p in tmp_path.iterdir()])   # the temp file exists, half-done
        raise exc
    monkeypatch.setattr(render_mod.os, "fsync", fsync)
    # an OS error becomes one message naming the real file (disk full: 磁盘已满)
    with pytest.raises(KeyboardInterrupt if exc is KeyboardInterrupt else GendocError) as info:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            render_file(src, target)
    if exc is not KeyboardInterrupt:
        assert info.value.located() == f"{target}: 无法写入：磁盘已满；原有文件没有改动"
    assert seen and any(n.endswith(".tmp") for n in seen[0])
    assert target.read_bytes() == previous
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.docx", "p.yaml"]


def _big_plan(n_items: int) -> dict:
    plan = plan_with()
    plan["sections"] = [{"heading": f"第{s + 1}部分",
                         "items": [f"第{s + 1}部分第{i + 1}项工作，要认真落实。" for i in range(100)]}
                        for s in range(n_items // 100)]
    return plan


def _wait_until_python_catches_sigint(proc, limit: float = 30) -> None:
    """Until the child has installed Python's SIGINT handler (SigCgt bit of SIGINT in
    /proc/PID/status); on a loaded machine start-up alone can take over a second."""
    deadline = time.monotonic() + limit
    status = Path(f"/proc/{proc.pid}/status")
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            caught = next(int(ln.split()[1], 16) for ln in status.read_text().splitlines()
                          if ln.startswith("SigCgt:"))
        except (OSError, StopIteration):
            return                       # no /proc: fall back to the fixed wait
        if caught & (1 << (signal.SIGINT - 1)):
            return
        time.sleep(0.02)


def test_ctrl_c_during_render_leaves_nothing_half_written(tmp_path):
    src = dump(_big_plan(3000), tmp_path / "big.yaml")
    target = tmp_path / "big.docx"
    previous = previous_document(target)
    proc = subprocess.Popen([*CLI, "render", str(src), "-o", str(target)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_until_python_catches_sigint(proc)   # not during the interpreter's own start-up
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    assert proc.returncode in (0, 130), (proc.returncode, err)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    if proc.returncode == 130:
        assert "已中断；没有写出不完整的文件。" in err
        assert target.read_bytes() == previous
    else:                                     # finished before the signal: a whole new file
        docx.Document(str(target))


def test_output_path_is_input_file(tmp_path):
    src = tmp_path / "plan.docx"
    dump(BASE, src)
    before = src.read_bytes()
    errors = assert_clean_failure(cli("render", src, "-o", src))
    assert "输出文件不能是输入的计划文件本身" in errors[0]
    assert src.read_bytes() == before


def test_output_path_symlink_to_input(tmp_path):
    src = dump(BASE, tmp_path / "plan.yaml")
    link = tmp_path / "link.docx"
    link.symlink_to(src)
    before = src.read_bytes()
    errors = assert_clean_failure(cli("render", src, "-o", link))
    assert "输出文件不能是输入的计划文件本身" in errors[0]
    assert src.read_bytes() == before


def test_output_path_is_directory(tmp_path):
    src = dump(BASE, tmp_path / "plan.yaml")
    out = tmp_path / "out"
    (out / "plan.docx").mkdir(parents=True)       # -o DIR names the file plan.docx: a folder
    errors = assert_clean_failure(cli("render", src, "-o", out))
    assert f"{out / 'plan.docx'}: 输出路径是一个文件夹" in errors[0]


def test_output_folder_missing(tmp_path):
    src = dump(BASE, tmp_path / "plan.yaml")
    errors = assert_clean_failure(cli("render", src, "-o", tmp_path / "nowhere" / "a.docx"))
    assert "输出文件所在的文件夹不存在" in errors[0]


def test_output_parent_is_a_file(tmp_path):
    src = dump(BASE, tmp_path / "plan.yaml")
    (tmp_path / "file").write_text("x")
    errors = assert_clean_failure(cli("render", src, "-o", tmp_path / "file" / "a.docx"))
    assert "输出文件所在的文件夹不存在" in errors[0]


def test_output_wrong_suffix(tmp_path):
    src = dump(BASE, tmp_path / "plan.yaml")
    errors = assert_clean_failure(cli("render", src, "-o", tmp_path / "a.txt"))
    assert "输出文件名应以 .docx 结尾" in errors[0]


def test_output_missing_folder_with_slash(tmp_path):
    src = dump(BASE, tmp_path / "plan.yaml")
    errors = assert_clean_failure(cli("render", src, "-o", str(tmp_path / "newdir") + "/"))
    assert "输出文件夹不存在" in errors[0]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_output_folder_unwritable(tmp_path):
    src = dump(BASE, tmp_path / "plan.yaml")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        errors = assert_clean_failure(cli("render", src, "-o", ro / "a.docx"))
        assert "没有权限写入输出文件夹" in errors[0]
    finally:
        ro.chmod(0o755)


def test_input_missing_or_directory(tmp_path):
    errors = assert_clean_failure(cli("render", tmp_path / "none.yaml"))
    assert f"{tmp_path / 'none.yaml'}: 文件不存在" in errors[0]
    errors = assert_clean_failure(cli("render", tmp_path))
    assert "这是一个文件夹，不是计划文件" in errors[0]


def test_two_concurrent_renders_into_one_directory(tmp_path):
    a = dump(_big_plan(1000), tmp_path / "a.yaml")
    b_plan = plan_with(sections__0__paras=["第二份计划的正文。"])
    b = dump(b_plan, tmp_path / "b.yaml")
    out = tmp_path / "out"
    out.mkdir()
    procs = [subprocess.Popen([*CLI, "render", str(p), "-o", str(out) + "/"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for p in (a, b, a, b)]
    results = [p.communicate(timeout=120) for p in procs]
    for p, (_, err) in zip(procs, results):
        assert p.returncode == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["a.docx", "b.docx"]
    assert "第10部分第100项工作" in docx_text(out / "a.docx")
    assert "第二份计划的正文。" in docx_text(out / "b.docx")


# ============================================================== 5. bombs, limits

def test_long_title_renders_in_time(tmp_path):
    plan = plan_with()
    plan["meta"]["title"] = "关于" + "进一步加强和改进基层党组织建设工作" * 5 + "的通知"   # 95 characters
    src = dump(plan, tmp_path / "title.yaml")
    try:
        proc = cli("render", src, "-o", tmp_path / "t.docx", timeout=8)
    except subprocess.TimeoutExpired:
        pytest.fail("a 95-character title did not render within 8 s")
    assert proc.returncode == 0, proc.stderr


def test_yaml_bomb_refused_fast_and_small():
    tracemalloc.start()
    t = time.perf_counter()
    try:
        with pytest.raises(GendocError) as ei:
            load_file(BAD / "alias_bomb.yaml")
        elapsed = time.perf_counter() - t
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "别名炸弹" in ei.value.message
    assert elapsed < 2, elapsed
    assert peak < 20 * 1024 * 1024, peak


def test_billion_laughs_refused_fast_and_small(tmp_path):
    levels = ['l0: &l0 "哈哈哈哈哈哈哈哈哈哈"']
    levels += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 12)]
    p = tmp_path / "laughs.yaml"
    p.write_text("\n".join(levels) + "\n", encoding="utf-8")
    tracemalloc.start()
    t = time.perf_counter()
    try:
        with pytest.raises(GendocError):
            load_file(p)
        elapsed = time.perf_counter() - t
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 2 and peak < 20 * 1024 * 1024, (elapsed, peak)


def test_merge_keys_may_be_overridden(tmp_path):
    p = tmp_path / "merge.yaml"
    p.write_text(textwrap.dedent("""\
        schema_version: 1
        template: notice
        context: {base: &who {name: 甲局, short: 甲}}
        meta:
          genre: 通知
          title: 关于测试的通知
          issuer:
            <<: *who
            name: 乙局
        """), encoding="utf-8")
    with pytest.raises(GendocError) as ei:   # context values must be text: fine, but not "duplicate"
        load_plan(p)
    assert "重复" not in str(ei.value)
    data, _, _ = load_file(p)
    assert data["meta"]["issuer"] == {"name": "乙局", "short": "甲"}


def test_deep_yaml_nesting_no_recursion_error(tmp_path):
    p = tmp_path / "deep.yaml"
    p.write_text("a: " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    proc = cli("check", p)
    errors = assert_clean_failure(proc)
    assert f"{p}:1: " in errors[0] and "嵌套" in errors[0]


# ============================================================== 6. property-based tests

# every Unicode plane, control characters, surrogates, line separators, markup characters
ANY_CHAR = st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF)
SPECIAL_CHARS = st.sampled_from(list("\x00\x01\x08\x0b\x0c\x1b\x7f\x85\u2028\u2029\ufeff\ufffe\uffff\ud800\udfff"
                               "&<>\"'#+@|\\{}%\t\r\n"))
SPECIAL = st.one_of(SPECIAL_CHARS, st.sampled_from(["{{", "}}", "{%", "%}", "]]>", "&amp;", "{{ 7*7 }}"]))
HOSTILE_TEXT = st.lists(st.one_of(ANY_CHAR, SPECIAL), max_size=40).map("".join)
LONG_LINE = st.builds(lambda s, n: (s or "长") * n, st.text(ANY_CHAR, min_size=1, max_size=5),
                      st.integers(1, 3000))
TEXT = st.one_of(HOSTILE_TEXT, LONG_LINE)

PROP = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _visible(s: str) -> str:
    """What a one-paragraph plan string should look like in the .docx."""
    s = re.sub(r"[\ud800-\udfff]", "", s)
    s = re.sub(r"\s*[\r\n\u2028\u2029\x85]+\s*", "", s.strip())
    return XML_BAD.sub("", s).strip()


def _render_or_error(plan_path: Path, out: Path):
    """Either a .docx python-docx opens, or GendocError with one-line problems."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = render_file(plan_path, out)
    except GendocError as exc:
        for p in exc.problems or [exc]:
            assert "\n" not in p.located(), p.located()
            assert p.message.strip()
        assert not out.exists()
        return None
    return docx_text(result.docx)


@PROP
@given(title=HOSTILE_TEXT, heading=TEXT, para=TEXT, item=TEXT, recipient=TEXT, cell=TEXT)
def test_random_strings_render_or_fail_cleanly(tmp_path_factory, title, heading, para, item,
                                                recipient, cell):
    d = tmp_path_factory.mktemp("prop")
    plan = plan_with(sections__0__heading=heading, sections__0__paras=[para])
    plan["meta"]["title"] = title
    plan["meta"]["recipients"] = [recipient]
    plan["sections"][0]["items"] = [item]
    plan["sections"][0]["table"] = {"header": ["列", cell], "rows": [[cell, "x"]]}
    text = _render_or_error(dump(plan, d / "p.yaml"), d / "p.docx")
    if text is not None:
        flat = text.replace("\n", "")
        assert _visible(para) in flat


@PROP
@given(para=TEXT)
def test_random_paragraph_text_is_visible(tmp_path_factory, para):
    """A body paragraph is printed literally: markup, template syntax and all."""
    d = tmp_path_factory.mktemp("vis")
    plan = plan_with(sections__0__paras=["前" + para + "后"])
    src = dump(plan, d / "p.yaml")
    text = _render_or_error(src, d / "p.docx")
    assert text is not None                       # any text is a valid paragraph
    # what gendoc's loader reads back from the file (YAML folds NEL, LS and PS line breaks
    # into spaces; characters a .docx cannot hold are dropped with a warning), printed as
    # one paragraph
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        read_back = load_plan(src).sections[0].paras[0]
    assert _visible(read_back) in text.replace("\n", "")


# random structure: the plan's keys get random values of random YAML types
YAML_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
              HOSTILE_TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(["text", "heading", "items", "sections",
                                                             "title", "when", "paras", "x"]),
                                            inner, max_size=4)),
    max_leaves=12)
PATHS = st.sampled_from(["template", "schema_version", "meta", "meta__title", "meta__date",
                         "meta__issuer", "meta__doc_number", "meta__recipients", "sections",
                         "sections__0", "sections__0__paras", "sections__0__heading",
                         "sections__0__sections", "sections__0__items", "sections__0__table",
                         "meta__secrecy", "meta__copy_number", "context"])


@PROP
@given(changes=st.dictionaries(PATHS, YAML_VALUE, min_size=1, max_size=3))
def test_random_plan_structures(tmp_path_factory, changes):
    d = tmp_path_factory.mktemp("struct")
    plan = plan_with()
    for path, value in sorted(changes.items(), key=lambda kv: kv[0].count("__")):
        try:
            node = plan
            *parents, last = path.split("__")
            for p in parents:
                node = node[int(p)] if p.isdigit() else node[p]
            node[last] = value
        except (KeyError, IndexError, TypeError):
            pass
    # _render_or_error fails the test on any exception other than a clean GendocError
    # (one-line problems, no output file), and on a .docx python-docx cannot open
    src = dump(plan, d / "p.yaml")
    text = _render_or_error(src, d / "p.docx")
    if text is not None:
        # every heading, paragraph and item the plan ended up with is in the document
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            valid = load_plan(src)
        flat = text.replace("\n", "")
        assert _visible(valid.meta.title).replace(" ", "")[:8] in flat.replace(" ", "")
        for sec in valid.sections:
            assert _visible(sec.heading) in flat
            for para in sec.paras:
                assert _visible(para) in flat
            for item in sec.items:
                assert _visible(item.text) in flat


@PROP
@given(raw=st.one_of(st.binary(max_size=400),
                     st.builds(lambda b, t: b + t.encode("utf-8", "surrogatepass"),
                               st.sampled_from([b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE,
                                                codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE]),
                               st.lists(st.one_of(ANY_CHAR, SPECIAL, st.sampled_from(
                                   list(":-[]{}&*!|>'\"%@`, ?\n\t") + ["<<: ", "!!python/name:os.system"])),
                                   max_size=120).map("".join))))
def test_random_bytes_never_crash_loader(tmp_path_factory, raw):
    d = tmp_path_factory.mktemp("raw")
    p = d / "p.yaml"
    p.write_bytes(raw)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plan = load_plan(p)
            build_document(plan)
    except GendocError as exc:
        for prob in exc.problems or [exc]:
            assert "\n" not in prob.located(), prob.located()


@pytest.mark.parametrize("source", ["{{ 2 ** 100000000 }}", "{% set n = 10 %}{{ n ** 99999999 }}", "{{ ('x' * 1000) + ('y' * 1000000) }}",
                                    "{% set s = [1] * 10**7 %}{{ s|length }}"])
def test_template_field_allocation_bombs_refused(source):
    plan = load_plan(dump(_ip_plan("x"), Path(os.environ.get("TMPDIR", "/tmp")) / f"ab{os.getpid()}.yaml"))
    with pytest.raises(GendocError) as ei:
        render_field(source, plan, "guiding_ideology.lead")
    assert "模板做了不允许的操作" in ei.value.message
