"""Templates are sandboxed for real (issue 7, point 4): a clerk's own template folder and the
template fields inside plans see data only, load only from their folders, and are bounded
in memory and time on any thread."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from gendoc import render as render_mod
from gendoc.errors import GendocError
from gendoc.plan import load_plan
from gendoc.render import build_document

from conftest import FIXTURE_PLANS

CLI = [sys.executable, "-m", "gendoc.cli"]
MINIMAL = yaml.safe_load((FIXTURE_PLANS / "minimal.yaml").read_text(encoding="utf-8"))


def plan_file(tmp_path: Path, template: str = "mine", **extra) -> Path:
    data = {**MINIMAL, "template": template, **extra}
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def own_template(tmp_path: Path, body: str, name: str = "mine") -> Path:
    tdir = tmp_path / "tpl"
    tdir.mkdir(exist_ok=True)
    (tdir / f"{name}.j2").write_text(body, encoding="utf-8")
    return tdir


# Runs the command given after the file name and writes its peak memory (KiB) into that file.
# A child's ru_maxrss starts at what its parent had resident when it forked (Linux keeps it
# across exec), so gendoc is started from this small process, not from pytest's, which holds
# hundreds of MiB after the tests before.
_PEAK_OF = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_cli(*args, timeout=120) -> tuple[subprocess.CompletedProcess, int]:
    """Run gendoc; returns the result and gendoc's own peak memory (bytes)."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        peak_file = os.path.join(d, "peak")
        proc = subprocess.run([sys.executable, "-c", _PEAK_OF, peak_file, *CLI, *map(str, args)],
                              capture_output=True, text=True, timeout=timeout)
        with open(peak_file) as fh:
            peak = int(fh.read()) * 1024
    return proc, peak


def assert_template_error(proc, tdir: Path, line: int, words: str) -> None:
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"错误：{tdir / 'mine.j2'}:{line}: "), lines[0]
    assert words in lines[0], lines[0]


# ---------------------------------------------------------------- data only

@pytest.mark.parametrize("expr", [
    "plan.model_dump()",
    "plan.model_dump_json()",
    "meta.model_validate_json('{}')",
    "plan.parse_file('/etc/passwd')",
    "plan.parse_raw('x')",
    "plan.copy()",
    "plan.model_fields",
    "plan.__class__",
    "plan._obj",
    "meta.date.strftime('%Y')",
    "meta.date.replace(year=1)",
    "meta.doc_number.__str__()",
    "plan.sections[0].heading.__class__.__mro__",
    "cycler.__init__.__globals__",
    "lipsum()",
])
def test_template_sees_no_behaviour(tmp_path, expr):
    tdir = own_template(tmp_path, f"# 标题\n{{{{ {expr} }}}}\n")
    proc, _ = run_cli("render", plan_file(tmp_path), "-t", tdir, "-o", tmp_path / "o.docx")
    assert_template_error(proc, tdir, 2, "模板")
    assert not (tmp_path / "o.docx").exists()


def test_plan_text_stays_escaped_through_any_filter(tmp_path):
    """Filters that could undo escaping or add lines still cannot create structure."""
    body = ("{% for s in plan.sections %}# {{ s.heading }}\n"
            "{{ s.text | replace('\\\\', '') }}\n{{ s.text | wordwrap(4) }}\n"
            "{{ s.text | string | trim | center(40) }}\n{% endfor %}")
    tdir = own_template(tmp_path, body)
    hostile = "正文\n# 假标题\n+ 假条目\n@attachment 假附件\n@pagebreak"
    plan = plan_file(tmp_path, sections=[{"heading": "工作内容", "text": hostile}])
    doc = build_document(load_plan(plan), (str(tdir),))
    from gendoc.model import Heading, Item, PageBreak
    assert [b.text for b in doc.body if isinstance(b, Heading)] == ["工作内容"]
    assert not [b for b in doc.body if isinstance(b, (Item, PageBreak))]
    assert doc.attachments == []


def test_template_that_links_outside_its_folder_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("机密内容", encoding="utf-8")
    tdir = tmp_path / "tpl"
    tdir.mkdir()
    (tdir / "mine.j2").symlink_to(secret)
    proc, _ = run_cli("render", plan_file(tmp_path), "-t", tdir, "-o", tmp_path / "o.docx")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "指向模板文件夹以外的链接" in proc.stderr
    assert "机密内容" not in proc.stderr + proc.stdout


def test_include_through_a_link_outside_is_refused(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "x.j2").write_text("外部", encoding="utf-8")
    tdir = own_template(tmp_path, "# 标题\n{% include 'part.j2' %}\n")
    (tdir / "part.j2").symlink_to(outside / "x.j2")
    proc, _ = run_cli("render", plan_file(tmp_path), "-t", tdir, "-o", tmp_path / "o.docx")
    assert proc.returncode == 1 and "指向模板文件夹以外的链接" in proc.stderr


def test_include_with_dotdot_is_not_found(tmp_path):
    tdir = own_template(tmp_path, "# 标题\n{% include '../plan.yaml' %}\n")
    proc, _ = run_cli("render", plan_file(tmp_path), "-t", tdir, "-o", tmp_path / "o.docx")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "schema_version" not in proc.stderr


# ---------------------------------------------------------------- memory

LIMIT = 1 << 30


@pytest.mark.parametrize("expr", [
    "'x' | center(10**8)",
    "'%0100000000d' | format(1)",
    "'%*d' | format(10**8, 1)",
    "'%0100000000d' % 1",
    "'{:>100000000}'.format(1)",
    "'{0:>{1}}'.format(1, 10**8)",
    "'x'.ljust(10**8)",
    "'x'.zfill(10**8)",
    "('x' * 999999).replace('x', 'yyyy')",
    "('x' * 999999) | replace('x', 'yyyy')",
    "(['x' * 999999] * 3) | join",
    "','.join(['x' * 999999] * 3)",
    "('x\\n' * 400000) | indent(1000)",
    "range(10**7) | list",
    "('a\tb' * 100000).expandtabs(1000)",
])
def test_large_allocations_are_refused(tmp_path, expr):
    tdir = own_template(tmp_path, f"# 标题\n{{{{ {expr} }}}}\n")
    proc, peak = run_cli("render", plan_file(tmp_path), "-t", tdir, "-o", tmp_path / "o.docx")
    assert_template_error(proc, tdir, 2, "")
    assert peak < LIMIT


@pytest.mark.parametrize("body, line", [
    ("# 标题\n{% set ns = namespace(s='x' * 999999) %}\n"
     "{% for i in range(30) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}\n", 3),
    ("# 标题\n{% macro grow(s, n) %}{{ grow(s ~ s, n - 1) if n else s }}{% endmacro %}\n"
     "{{ grow('x' * 100000, 40) }}\n", 2),
    ("# 标题\n{% set l = [] %}\n{% for i in range(100000) %}{% for j in range(100) %}"
     "{% set _ = l.append('x' * 100) %}{% endfor %}{% endfor %}\n", 3),
    ("# 标题\n{% for i in range(100000) %}{% for j in range(100000) %}"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "{% endfor %}{% endfor %}\n", 2),
])
def test_growth_in_loops_is_bounded(tmp_path, body, line):
    tdir = own_template(tmp_path, body)
    proc, peak = run_cli("render", plan_file(tmp_path), "-t", tdir, "-o", tmp_path / "o.docx")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"错误：{tdir / 'mine.j2'}:"), proc.stderr
    assert peak < LIMIT


# ---------------------------------------------------------------- time, on any thread

def test_time_limit_holds_off_the_main_thread(tmp_path, monkeypatch):
    tdir = own_template(tmp_path, "# 标题\n{% for i in range(100000) %}{% for j in range(100000) %}"
                                  "{% endfor %}{% endfor %}\n")
    plan = load_plan(plan_file(tmp_path))
    monkeypatch.setattr(render_mod, "TEMPLATE_SECONDS", 1)
    outcome = {}

    def work():
        try:
            build_document(plan, (str(tdir),))
        except GendocError as exc:
            outcome["error"] = exc
    t = threading.Thread(target=work)
    t.start()
    t.join(20)
    assert not t.is_alive(), "the template ran on past its time limit in a thread"
    assert "运行超过 1 秒" in outcome["error"].message
    assert outcome["error"].file == str(tdir / "mine.j2")


def test_template_field_time_limit_off_the_main_thread(tmp_path, monkeypatch):
    plan = load_plan(plan_file(tmp_path, template="notice", guiding_ideology={
        # loops over short strings: no call, no look-up, 10**9 steps
        "lead": "{% for a in 'abcdefghij' %}" * 9 + "{% endfor %}" * 9,
        "text": "指导思想。"}))
    monkeypatch.setattr(render_mod, "FIELD_SECONDS", 0.5)
    outcome = {}

    def work():
        try:
            build_document(plan)
        except GendocError as exc:
            outcome["error"] = exc
    t = threading.Thread(target=work)
    t.start()
    t.join(20)
    assert not t.is_alive()
    assert "运行超过 0.5 秒" in outcome["error"].message
    assert outcome["error"].field == "guiding_ideology.lead"


@pytest.mark.parametrize("lead", [
    '{{ "{:>999999999}".format("x") }}',
    '{{ "{:>3999999999}".format("x") }}',
    '{{ "{0:>{1}}".format("x", 999999) }}',
    '{{ (("x" * 999) | map("center", 999999) | list | length) }}',
])
def test_template_field_allocations_are_bounded(tmp_path, lead):
    """str.format as Jinja2 3.1.5+ wraps it, and many values each under the bound."""
    plan = plan_file(tmp_path, template="notice", guiding_ideology={"lead": lead, "text": "指导思想。"})
    proc, peak = run_cli("check", plan)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "guiding_ideology.lead" in proc.stderr and "模板做了不允许的操作" in proc.stderr
    assert peak < 512 << 20
