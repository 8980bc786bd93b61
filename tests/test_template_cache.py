"""Compiled templates are kept between runs (gendoc.sandbox.bytecode_cache): the same
documents come out, an edited template is compiled anew, and the cache is used only in a
folder that is the user's own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gendoc.sandbox import bytecode_cache

from conftest import PLANS
from test_sandbox import own_template, plan_file

CLI = [sys.executable, "-m", "gendoc.cli"]


def render(tmp_path: Path, cache: Path, plan: Path, out: str, *extra, **env) -> bytes:
    proc = subprocess.run([*CLI, "render", str(plan), "-o", str(tmp_path / out), *map(str, extra)],
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, XDG_CACHE_HOME=str(cache), **env))
    assert proc.returncode == 0, proc.stderr
    return (tmp_path / out).read_bytes()


def test_compiled_templates_give_the_same_document(tmp_path):
    cache = tmp_path / "cache"
    plan = PLANS / "mass-line-implementation-plan-2014.yaml"
    cold = render(tmp_path, cache, plan, "a.docx")
    compiled = sorted((cache / "gendoc" / "templates").glob("*.cache"))
    assert len(compiled) >= 2   # the document template and the macros it imports
    warm = render(tmp_path, cache, plan, "b.docx")
    none = render(tmp_path, cache, plan, "c.docx", GENDOC_NO_CACHE="1")
    assert cold == warm == none
    assert oct((cache / "gendoc" / "templates").stat().st_mode & 0o777) == "0o700"


def test_an_edited_template_is_compiled_anew(tmp_path):
    cache = tmp_path / "cache"
    from docx import Document
    tdir = own_template(tmp_path, "# 第一版\n\n正文甲。\n")
    plan = plan_file(tmp_path)
    render(tmp_path, cache, plan, "a.docx", "-t", tdir)
    (tdir / "mine.j2").write_text("# 第二版\n\n正文乙。\n", encoding="utf-8")
    render(tmp_path, cache, plan, "b.docx", "-t", tdir)
    texts = ["\n".join(p.text for p in Document(str(tmp_path / n)).paragraphs) for n in ("a.docx", "b.docx")]
    assert "正文甲" in texts[0] and "正文乙" in texts[1] and "正文甲" not in texts[1]


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX owners and modes")
def test_no_cache_in_a_folder_others_may_write(tmp_path, monkeypatch):
    monkeypatch.delenv("GENDOC_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert bytecode_cache("s") is not None
    folder = tmp_path / "gendoc" / "templates"
    folder.chmod(0o777)
    assert bytecode_cache("s") is None
    folder.chmod(0o700)
    monkeypatch.setenv("GENDOC_NO_CACHE", "1")
    assert bytecode_cache("s") is None


def test_no_cache_where_the_folder_cannot_be_made(tmp_path, monkeypatch):
    monkeypatch.delenv("GENDOC_NO_CACHE", raising=False)
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert bytecode_cache("s") is None


def test_the_cache_key_follows_the_settings(tmp_path, monkeypatch):
    monkeypatch.delenv("GENDOC_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert bytecode_cache("a").pattern != bytecode_cache("b").pattern


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX owners and modes")
def test_no_cache_below_a_folder_others_may_write(tmp_path, monkeypatch):
    monkeypatch.delenv("GENDOC_NO_CACHE", raising=False)
    base = tmp_path / "cache"
    base.mkdir()
    monkeypatch.setenv("XDG_CACHE_HOME", str(base))
    assert bytecode_cache("s") is not None
    (base / "gendoc").chmod(0o777)   # someone else could swap templates/ for their own
    assert bytecode_cache("s") is None
    (base / "gendoc").chmod(0o700)
    base.chmod(0o777)
    assert bytecode_cache("s") is None
