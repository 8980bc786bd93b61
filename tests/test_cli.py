"""The command line: output naming, refusing to overwrite the plan, atomic output, schema,
check over the example plans, exit codes and messages."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gendoc.cli import main

from conftest import FIXTURE_PLANS, PLANS, example_plans

REAL_PLANS = example_plans()
MINIMAL = FIXTURE_PLANS / "minimal.yaml"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def plan(tmp_path) -> Path:
    p = tmp_path / "plan.yaml"
    shutil.copy(MINIMAL, p)
    return p


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or p.suffix == ".tmp")


# --------------------------------------------------------------------------- output naming

def test_output_directory_names_the_file_after_the_plan(plan, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    result = run("render", plan, "-o", f"{out}/")
    assert result.exit_code == 0, result.output
    assert (out / "plan.docx").is_file()
    assert "plan.docx" in result.stdout
    assert [p.name for p in out.iterdir()] == ["plan.docx"]


def test_existing_directory_without_trailing_slash_is_used_as_a_folder(plan, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    assert run("render", plan, "-o", out).exit_code == 0
    assert (out / "plan.docx").is_file()


def test_default_output_is_beside_the_plan(plan):
    result = run("render", plan)
    assert result.exit_code == 0, result.output
    assert plan.with_suffix(".docx").is_file()


def test_output_file_in_a_missing_folder_is_an_error(plan, tmp_path):
    result = run("render", plan, "-o", f"{tmp_path}/nowhere/out.docx")
    assert result.exit_code == 1
    assert "文件夹不存在" in result.stderr
    assert not (tmp_path / "nowhere").exists()


def test_missing_output_directory_with_trailing_slash_says_the_folder_is_missing(plan, tmp_path):
    result = run("render", plan, "-o", f"{tmp_path}/nowhere/")
    assert result.exit_code == 1
    assert "文件夹不存在" in result.stderr


def test_output_must_be_a_docx(plan, tmp_path):
    result = run("render", plan, "-o", tmp_path / "out.txt")
    assert result.exit_code == 1
    assert ".docx" in result.stderr
    assert not (tmp_path / "out.txt").exists()


def test_output_that_is_the_plan_itself_is_refused(tmp_path):
    plan = tmp_path / "plan.docx"  # a plan file that happens to carry the output's name
    shutil.copy(MINIMAL, plan)
    before = plan.read_bytes()
    for args in (("-o", plan), ()):  # explicit, and by default (beside the plan)
        result = run("render", plan, *args)
        assert result.exit_code == 1, result.output
        assert "输入的计划文件本身" in result.stderr
        assert plan.read_bytes() == before


def test_plan_given_as_output_yaml_is_refused_and_untouched(plan):
    before = plan.read_bytes()
    result = run("render", plan, "-o", plan)
    assert result.exit_code == 1
    assert plan.read_bytes() == before


def test_missing_plan_file_is_an_error(tmp_path):
    result = run("render", tmp_path / "nope.yaml", "-o", tmp_path / "x.docx")
    assert result.exit_code == 1
    assert "文件不存在" in result.stderr
    assert not (tmp_path / "x.docx").exists()


# --------------------------------------------------------------------------- atomic output

BAD_PLANS = {
    "schema": ("meta:", "meta:\n  bogus: 1"),                    # unknown field: fails on load
    "template": ("template: notice", "template: nosuch"),         # fails after the output path is chosen
    "date": ("date: 2014-02-27", "date: 2014-02-30"),
}


@pytest.mark.parametrize("kind", sorted(BAD_PLANS))
def test_failed_render_leaves_the_previous_output_untouched(plan, tmp_path, kind):
    out = tmp_path / "result.docx"
    assert run("render", plan, "-o", out).exit_code == 0
    good = out.read_bytes()
    old, new = BAD_PLANS[kind]
    text = plan.read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = run("render", bad, "-o", out)
    assert result.exit_code == 1, result.output
    assert out.read_bytes() == good
    assert _leftovers(tmp_path) == []


def test_rendering_twice_gives_the_same_document(plan, tmp_path):
    import zipfile
    a, b = tmp_path / "a.docx", tmp_path / "b.docx"
    assert run("render", plan, "-o", a).exit_code == 0
    assert run("render", plan, "-o", b).exit_code == 0
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        assert za.namelist() == zb.namelist()
        for name in za.namelist():
            assert za.read(name) == zb.read(name), name


# --------------------------------------------------------------------------- schema

def test_schema_prints_json_schema_with_meta():
    result = run("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert "$schema" in schema
    assert "meta" in schema["properties"]
    assert "template" in schema["properties"]


def test_schema_output_file(tmp_path):
    out = tmp_path / "plan.schema.json"
    result = run("schema", "-o", out)
    assert result.exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["properties"]["meta"]


# --------------------------------------------------------------------------- check

@pytest.mark.parametrize("plan_file", REAL_PLANS, ids=[p.stem for p in REAL_PLANS])
def test_check_passes_on_every_example_plan(plan_file):
    result = run("check", plan_file)
    assert result.exit_code == 0, result.output
    assert f"{plan_file}: 通过" in result.stdout


def test_check_writes_no_files(plan, tmp_path):
    before = sorted(tmp_path.iterdir())
    assert run("check", plan).exit_code == 0
    assert sorted(tmp_path.iterdir()) == before


def test_check_reports_each_plan_and_fails_if_any_fails(plan, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(plan.read_text(encoding="utf-8").replace("2014-02-27", "2014-02-30"), encoding="utf-8")
    result = run("check", plan, bad)
    assert result.exit_code == 1
    assert f"{plan}: 通过" in result.stdout
    assert f"{bad}:10: meta.date:" in result.stderr


# --------------------------------------------------------------------------- real process

def _gendoc(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "gendoc.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def test_cli_process_exits_1_with_one_located_message_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.read_text(encoding="utf-8").replace("2014-02-27", "2014-02-30"), encoding="utf-8")
    proc = _gendoc("render", bad, "-o", tmp_path / "out.docx")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("错误：") == 1
    assert f"{bad}:10: meta.date:" in proc.stderr
    assert proc.stdout == ""
    assert not (tmp_path / "out.docx").exists()


def test_cli_process_renders_and_reports_the_file(tmp_path):
    proc = _gendoc("render", MINIMAL, "-o", f"{tmp_path}/")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "minimal.docx").is_file()
    assert "minimal.docx" in proc.stdout


def test_version_option():
    result = run("--version")
    assert result.exit_code == 0 and "gendoc" in result.output
