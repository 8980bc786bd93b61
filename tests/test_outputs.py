"""Output files: modes, destinations that would lose something, edited documents, failures
part-way through a run (issue 7, point 2)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gendoc.errors import GendocError
from gendoc import outputs
from gendoc.outputs import check_destination, docx_state, write_all, write_each
from gendoc.render import render_file

from conftest import FIXTURE_PLANS

MINIMAL = FIXTURE_PLANS / "minimal.yaml"
CLI = [sys.executable, "-m", "gendoc.cli"]


def gendoc(*args, umask: int | None = None, cwd=None) -> subprocess.CompletedProcess:
    def pre():
        if umask is not None:
            os.umask(umask)
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True,
                          preexec_fn=pre, cwd=cwd, timeout=300)


def edit_docx(path: Path, old: str, new: str) -> None:
    """What a clerk does in Word: change a sentence, save (the package is rewritten)."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts["word/document.xml"].decode("utf-8")
    assert old in xml
    parts["word/document.xml"] = xml.replace(old, new, 1).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def first_body_text(path: Path) -> str:
    import docx
    return next(p.text for p in docx.Document(str(path)).paragraphs if len(p.text) > 8)


# ---------------------------------------------------------------- modes

@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_output_mode_follows_umask(tmp_path, umask, mode):
    out = tmp_path / "a.docx"
    proc = gendoc("render", MINIMAL, "-o", out, umask=umask)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(out.stat().st_mode) == mode


def test_schema_output_mode_follows_umask(tmp_path):
    out = tmp_path / "s.json"
    assert gendoc("schema", "-o", out, umask=0o022).returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_write_all_leaves_no_temporary_file_and_keeps_mode(tmp_path):
    old = os.umask(0o022)
    try:
        write_all([(tmp_path / "a.bin", b"a"), (tmp_path / "b.bin", b"b")])
    finally:
        os.umask(old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin", "b.bin"]
    assert {stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()} == {0o644}


def test_write_all_failure_keeps_every_previous_file(tmp_path, monkeypatch):
    a, b = tmp_path / "a.docx", tmp_path / "a.pdf"
    a.write_bytes(b"old docx")
    b.write_bytes(b"old pdf")
    real_stage = __import__("gendoc.outputs", fromlist=["_stage"])._stage
    calls = []

    def stage(path, data, mode):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_stage(path, data, mode)
    monkeypatch.setattr("gendoc.outputs._stage", stage)
    with pytest.raises(GendocError) as info:
        write_all([(a, b"new docx"), (b, b"new pdf")])
    assert info.value.located() == f"{b}: 无法写入：磁盘已满；原有文件没有改动"
    assert a.read_bytes() == b"old docx" and b.read_bytes() == b"old pdf"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.docx", "a.pdf"]


def test_write_each_writes_every_file_with_one_sync_and_no_temporary_file(tmp_path, monkeypatch):
    """batch's many files: staged unsynced, one syncfs for them all (Linux), then renamed;
    modes follow the umask; an existing file is replaced."""
    if outputs._syncfs() is None:
        pytest.skip("no syncfs(2) here")
    (tmp_path / "f3.docx").write_bytes(b"old")
    synced, fsynced = [], []
    real = outputs._syncfs()
    monkeypatch.setattr(outputs, "_syncfs", lambda: lambda fd: synced.append(fd) or real(fd))
    monkeypatch.setattr(os, "fsync", lambda fd: fsynced.append(fd))
    old = os.umask(0o027)
    try:
        errors = write_each([(tmp_path / f"f{i}.docx", f"第{i}份".encode()) for i in range(6)])
    finally:
        os.umask(old)
    assert errors == [None] * 6
    assert len(synced) == 1 and fsynced == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"f{i}.docx" for i in range(6)]
    assert (tmp_path / "f3.docx").read_bytes() == "第3份".encode()
    assert {stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()} == {0o640}


def test_write_each_without_syncfs_fsyncs_every_file(tmp_path, monkeypatch):
    fsynced = []
    real = os.fsync
    monkeypatch.setattr(outputs, "_syncfs", lambda: None)
    monkeypatch.setattr(os, "fsync", lambda fd: fsynced.append(fd) or real(fd))
    assert write_each([(tmp_path / f"f{i}.docx", b"x") for i in range(3)]) == [None] * 3
    assert len(fsynced) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f0.docx", "f1.docx", "f2.docx"]


def test_write_each_a_file_that_fails_fails_alone(tmp_path, monkeypatch):
    """One file's disk-full while staging, another's name taken by a folder when renamed: those
    two get their errors, the others are written, no temporary file is left."""
    real_stage = outputs._stage

    def stage(path, data, mode, sync=True):
        if path.name == "f1.docx":
            raise OSError(28, "No space left on device")
        return real_stage(path, data, mode, sync)
    monkeypatch.setattr(outputs, "_stage", stage)
    (tmp_path / "f2.docx").mkdir()
    errors = write_each([(tmp_path / f"f{i}.docx", b"x") for i in range(4)])
    assert errors[0] is None and errors[3] is None
    assert errors[1].located() == f"{tmp_path / 'f1.docx'}: 无法写入：磁盘已满；原有文件没有改动"
    assert str(tmp_path / "f2.docx") in errors[2].located() and "无法写入" in errors[2].located()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f0.docx", "f2.docx", "f3.docx"]
    assert (tmp_path / "f2.docx").is_dir() and (tmp_path / "f3.docx").read_bytes() == b"x"


def _syncfs_fails(monkeypatch, fsync_fails_for=()):
    """syncfs returning -1 (a write-back error somewhere on the filesystem); the fsyncs that
    follow fail for the files whose temporary names start with ``fsync_fails_for``."""
    monkeypatch.setattr(outputs, "_syncfs", lambda: lambda fd: -1)
    real = os.fsync

    def fsync(fd):
        name = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
        if name.startswith(tuple(f".{n}." for n in fsync_fails_for)):
            raise OSError(5, "Input/output error")
        real(fd)
    monkeypatch.setattr(os, "fsync", fsync)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_write_each_a_failed_syncfs_falls_back_and_fails_only_the_files_at_fault(tmp_path, monkeypatch):
    (tmp_path / "f1.docx").write_bytes(b"old")
    _syncfs_fails(monkeypatch, fsync_fails_for=["f1.docx"])
    errors = write_each([(tmp_path / f"f{i}.docx", b"new") for i in range(3)])
    assert errors[0] is None and errors[2] is None
    assert errors[1].located() == f"{tmp_path / 'f1.docx'}: 无法写入：磁盘读写出错；原有文件没有改动"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f0.docx", "f1.docx", "f2.docx"]
    assert (tmp_path / "f1.docx").read_bytes() == b"old" and (tmp_path / "f2.docx").read_bytes() == b"new"


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_write_each_when_no_file_reaches_the_disk_renames_nothing(tmp_path, monkeypatch):
    (tmp_path / "f0.docx").write_bytes(b"old")
    _syncfs_fails(monkeypatch, fsync_fails_for=[f"f{i}.docx" for i in range(3)])
    errors = write_each([(tmp_path / f"f{i}.docx", b"new") for i in range(3)])
    assert all(e is not None and "磁盘读写出错" in e.located() for e in errors)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f0.docx"]
    assert (tmp_path / "f0.docx").read_bytes() == b"old"


def test_write_each_interrupted_leaves_no_temporary_file(tmp_path, monkeypatch):
    """Ctrl-C while the staged files go to disk: none is renamed, none is left, the old file
    is as it was."""
    (tmp_path / "f0.docx").write_bytes(b"old")

    def interrupted(staged, folders):
        raise KeyboardInterrupt
    monkeypatch.setattr(outputs, "_syncfs", lambda: lambda fd: 0)
    monkeypatch.setattr(outputs, "_make_durable", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_each([(tmp_path / f"f{i}.docx", b"new") for i in range(3)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f0.docx"]
    assert (tmp_path / "f0.docx").read_bytes() == b"old"


def test_syncfs_is_trusted_only_where_it_reports_write_back_errors(monkeypatch):
    monkeypatch.setattr(outputs, "_SYNCFS", None)
    monkeypatch.setattr(os, "uname", lambda: os.uname_result(("Linux", "h", "5.4.0-150-generic", "", "x86_64")))
    monkeypatch.setattr(sys, "platform", "linux")
    assert outputs._syncfs() is None
    monkeypatch.setattr(outputs, "_SYNCFS", None)
    monkeypatch.setattr(os, "uname", lambda: os.uname_result(("Linux", "h", "5.8.0", "", "x86_64")))
    assert outputs._syncfs() is not None


# ---------------------------------------------------------------- destinations

def test_unmodified_output_is_replaced_silently(tmp_path):
    out = tmp_path / "a.docx"
    render_file(MINIMAL, out)
    assert docx_state(out) == "unmodified"
    proc = gendoc("render", MINIMAL, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.docx"]


def test_edited_output_survives_a_rerender(tmp_path):
    out = tmp_path / "a.docx"
    render_file(MINIMAL, out)
    text = first_body_text(out)
    edit_docx(out, text[:4], "（已改）")
    edited = out.read_bytes()
    assert docx_state(out) == "edited"
    proc = gendoc("render", MINIMAL, "-o", out)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"错误：{out}: 已有的这个文档生成后被修改过")
    assert "--force" in proc.stderr and "Traceback" not in proc.stderr
    assert out.read_bytes() == edited


def test_force_keeps_the_edited_document_as_a_backup(tmp_path):
    out = tmp_path / "a.docx"
    render_file(MINIMAL, out)
    edit_docx(out, first_body_text(out)[:4], "（已改）")
    edited = out.read_bytes()
    proc = gendoc("render", MINIMAL, "-o", out, "--force")
    assert proc.returncode == 0, proc.stderr
    backups = [p for p in tmp_path.iterdir() if ".修改稿-" in p.name]
    assert len(backups) == 1 and backups[0].suffix == ".docx"
    assert backups[0].read_bytes() == edited
    assert f"已另存为 {backups[0]}" in proc.stdout
    assert docx_state(out) == "unmodified"


def test_foreign_docx_is_not_replaced_without_force(tmp_path):
    import docx
    out = tmp_path / "a.docx"
    d = docx.Document()
    d.add_paragraph("别人起草的文件")
    d.save(str(out))
    before = out.read_bytes()
    proc = gendoc("render", MINIMAL, "-o", out)
    assert proc.returncode == 1 and "不是 gendoc 生成的" in proc.stderr
    assert out.read_bytes() == before


@pytest.mark.parametrize("content, words", [
    (b"%PDF-1.7\n...", "别的类型的文件"),
    (b"schema_version: 1\nmeta:\n  genre: \xe9\x80\x9a\xe7\x9f\xa5\n", "一个计划文件"),
    (b"PK\x03\x04 not really a zip", "不是有效的 .docx"),
])
def test_docx_destination_of_another_type_is_refused(tmp_path, content, words):
    out = tmp_path / "a.docx"
    out.write_bytes(content)
    proc = gendoc("render", MINIMAL, "-o", out)
    assert proc.returncode == 1, proc.stderr
    assert words in proc.stderr and str(out) in proc.stderr
    assert out.read_bytes() == content


def test_keep_pdf_refuses_the_document_it_verifies(tmp_path):
    out = tmp_path / "a.docx"
    render_file(MINIMAL, out)
    before = out.read_bytes()
    for target in (out, tmp_path / "a.docx.pdf"):
        if target.suffix == ".pdf":
            shutil.copy(out, target)           # a .docx named .pdf: a file of another type
        proc = gendoc("verify", out, "--keep-pdf", target)
        assert proc.returncode == 1
        assert "Traceback" not in proc.stderr and proc.stderr.startswith("错误：")
    assert out.read_bytes() == before


def test_keep_pdf_refuses_a_plan(tmp_path):
    plan = tmp_path / "plan.pdf"
    shutil.copy(MINIMAL, plan)
    out = tmp_path / "a.docx"
    render_file(MINIMAL, out)
    proc = gendoc("verify", out, "--keep-pdf", plan)
    assert proc.returncode == 1 and "一个计划文件" in proc.stderr
    assert plan.read_bytes() == MINIMAL.read_bytes()


def test_schema_output_must_be_json_and_not_a_plan(tmp_path):
    wrong = tmp_path / "s.yaml"
    proc = gendoc("schema", "-o", wrong)
    assert proc.returncode == 1 and ".json" in proc.stderr and not wrong.exists()
    plan = tmp_path / "p.json"
    shutil.copy(MINIMAL, plan)
    proc = gendoc("schema", "-o", plan)
    assert proc.returncode == 1 and "一个计划文件" in proc.stderr
    assert plan.read_bytes() == MINIMAL.read_bytes()


def test_destination_that_is_a_template_of_the_run_is_refused(tmp_path):
    tdir = tmp_path / "tpl"
    tdir.mkdir()
    (tdir / "mine.docx").write_bytes(b"PK\x03\x04")
    with pytest.raises(GendocError, match="输入文件"):
        check_destination(tdir / "mine.docx", inputs=[tdir / "mine.docx"])


# ---------------------------------------------------------------- failures part-way

def test_pdf_failure_leaves_neither_new_file(tmp_path, monkeypatch):
    out = tmp_path / "a.docx"
    render_file(MINIMAL, out)
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4 previous")
    docx_before, pdf_before = out.read_bytes(), (tmp_path / "a.pdf").read_bytes()
    import gendoc.pdf

    import contextlib

    @contextlib.contextmanager
    def broken(src, *, data=None, timeout=None):
        assert data is not None and not Path(src).with_suffix(".pdf").read_bytes().startswith(b"%PDF-1.4 new")
        raise GendocError("LibreOffice 没有生成 PDF", file=str(Path(src).with_suffix(".pdf")))
        yield  # pragma: no cover
    monkeypatch.setattr(gendoc.pdf, "converted", broken)
    plan = tmp_path / "p.yaml"
    plan.write_text(MINIMAL.read_text(encoding="utf-8").replace("schema_version: 1", "schema_version: 1\n# 改过"),
                    encoding="utf-8")
    with pytest.raises(GendocError) as info:
        render_file(plan, out, pdf=True)
    assert info.value.file == str(tmp_path / "a.pdf")      # the real name, not a temporary one
    assert out.read_bytes() == docx_before
    assert (tmp_path / "a.pdf").read_bytes() == pdf_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.docx", "a.pdf", "p.yaml"]


def test_edited_document_message_offers_force_only_where_there_is_one(tmp_path):
    out = tmp_path / "a.docx"
    render_file(MINIMAL, out)
    edit_docx(out, first_body_text(out)[:4], "（已改）")
    with pytest.raises(GendocError) as with_force:
        check_destination(out)
    with pytest.raises(GendocError) as without:
        check_destination(out, can_force=False)      # gendoc batch has no --force
    assert "--force" in with_force.value.message
    assert "--force" not in without.value.message and "先把它移走" in without.value.message
