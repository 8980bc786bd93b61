"""Messages a clerk understands (issue 7, point 7): the command line's own errors and help in
Chinese, YAML mistakes on the line that holds them, suggestions for misspelt keys."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from gendoc import cli_zh
from gendoc.cli import main

CLI = [sys.executable, "-m", "gendoc.cli"]


def gendoc(*args) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=120)


def click_messages() -> set[str]:
    """Every message the installed click marks for translation."""
    found = set()
    root = Path(click.__file__).parent
    for name in cli_zh._MODULES:
        path = root / f"{name}.py"
        if not path.exists():
            continue
        src = path.read_text(encoding="utf-8")
        for m in re.finditer(r'(?<![\w.])_\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\)', src):
            found.add(eval(f"({m.group(1)})"))                        # noqa: S307 - click's literals
        for m in re.finditer(r'ngettext\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+),\s*((?:"(?:[^"\\]|\\.)*"\s*)+),', src):
            found.update((eval(f"({m.group(1)})"), eval(f"({m.group(2)})")))  # noqa: S307
    return found


def test_every_click_message_has_a_chinese_translation():
    messages = click_messages()
    assert len(messages) > 40
    missing = sorted(m for m in messages if m not in cli_zh.CATALOG)
    assert not missing, missing


@pytest.mark.parametrize("args, words", [
    (("render",), "错误：缺少参数 PLAN。"),
    (("render", "x.yaml", "--bogus"), "错误：没有选项 --bogus。"),
    (("rendr",), "错误：没有命令 rendr。 是不是 render？"),
    (("verify", "--timeout", "0", "x.docx"), "--timeout 的取值不对"),
    (("check",), "错误：缺少参数 PLANS"),
])
def test_usage_errors_are_chinese(args, words):
    proc = gendoc(*args)
    assert proc.returncode == 2
    assert words in proc.stderr, proc.stderr
    assert "Error" not in proc.stderr and "Usage" not in proc.stderr and "Try " not in proc.stderr
    assert "用法：" in proc.stderr


@pytest.mark.parametrize("command", ["", "render", "check", "verify", "schema", "fonts", "roll", "diff", "batch"])
def test_help_is_chinese(command):
    proc = gendoc(*([command] if command else []), "--help")
    assert proc.returncode == 0
    assert "用法：" in proc.stdout and "显示此帮助并退出。" in proc.stdout
    for english in ("Usage:", "Options:", "Show this message", "Commands:", "[required]"):
        assert english not in proc.stdout


def test_bare_gendoc_shows_its_help():
    proc = gendoc()
    assert proc.returncode == 0 and proc.stdout.startswith("用法：") and "错误" not in proc.stdout + proc.stderr


def test_unclosed_quote_is_reported_where_it_opens(tmp_path):
    errors = check(tmp_path, BASE.replace("  title: 关于测试的通知", '  title: "关于测试的通知'))
    assert errors and errors[0].startswith("错误：p.yaml:5: YAML 语法错误"), errors


def test_template_name_typo_suggests_the_nearest(tmp_path):
    errors = check(tmp_path, BASE.replace("template: notice", "template: notce"))
    assert errors == ["错误：p.yaml:2: template: 没有名为“notce”的模板；是不是 notice？"]


def test_numbers_out_of_range_in_chinese(tmp_path):
    errors = check(tmp_path, BASE.replace("  date: 2014-02-28", "  date: 2014-02-28\n  doc_number: {code: 卫发, year: 2014, seq: 0}"))
    assert any("至少是 1" in e for e in errors), errors
    assert not any("Input should" in e for e in errors)


# ---------------------------------------------------------------- plan mistakes

BASE = """schema_version: 1
template: notice
meta:
  genre: 通知
  title: 关于测试的通知
  issuer:
    name: 测试局
  date: 2014-02-28
sections:
  - heading: 第一部分
    text: 正文。
"""


def check(tmp_path, text: str) -> list[str]:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    proc = gendoc("check", path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    return [ln.replace(f"{path}", "p.yaml") for ln in proc.stderr.splitlines() if ln.startswith("错误：")]


@pytest.mark.parametrize("line_no, old, new, key", [
    (3, "meta:", "meta：", "meta"),
    (4, "  genre: 通知", "  genre： 通知", "genre"),
    (10, "  - heading: 第一部分", "  - heading：第一部分", "heading"),
])
def test_full_width_colon_is_reported_on_its_own_line(tmp_path, line_no, old, new, key):
    errors = check(tmp_path, BASE.replace(old, new, 1))
    assert errors == [f"错误：p.yaml:{line_no}: YAML 语法错误：键“{key}”后面用了全角冒号“：”；"
                      "应改为半角冒号加空格“: ”"]


@pytest.mark.parametrize("old, new, field, suggestion", [
    ("  title:", "  titel:", "meta.titel", "title"),
    ("  date:", "  recipents: [各支部]\n  date:", "meta.recipents", "recipients"),
    ("    text:", "    txt:", "sections[0].txt", "text"),
    ("sections:", "section:", "section", "sections"),
])
def test_unknown_key_suggests_the_nearest(tmp_path, old, new, field, suggestion):
    errors = check(tmp_path, BASE.replace(old, new, 1))
    assert any(f"{field}: 不认识的字段；是不是 {suggestion}？" in e for e in errors), errors


def test_missing_schema_version_says_what_to_write(tmp_path):
    errors = check(tmp_path, BASE.replace("schema_version: 1\n", ""))
    assert errors[0] == "错误：p.yaml:1: schema_version: 缺少计划格式版本：在文件开头写一行 schema_version: 1"


def test_yaml_problems_are_in_chinese(tmp_path):
    errors = check(tmp_path, BASE.replace("    text: 正文。", "    text: [正文。"))
    assert errors and "方括号" in errors[0]
