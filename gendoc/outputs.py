"""Writing output files so that nothing a clerk has is ever lost or left unreadable.

* Every file is written to a temporary file in its own folder and renamed into place
  (:func:`write_atomic`, :func:`write_all`): a reader never sees half a file, and a failure
  leaves the previous file byte-identical. Several files of one run (the .docx and its .pdf)
  are staged first and renamed together, so a failure leaves neither new file behind.
* Finished files get the mode any tool gives them (0666 less the umask: 0644 under umask
  022); only the temporary files are private while they are being written.
* :func:`check_destination` refuses a destination that is an input of the run, a plan, a
  folder, or an existing file of another type (a PDF where a .docx is wanted, a plan renamed
  to .docx), and protects a .docx that was edited after gendoc wrote it: gendoc records a
  fingerprint of its own output in the package (:func:`gendoc.typeset.package_fingerprint`),
  and an existing .docx whose content no longer matches it (edited in Word or WPS, or not
  gendoc's at all) is replaced only with ``--force``, and then kept as a named backup.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import os
import re
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .errors import GendocError

# errno -> what a clerk is told (the OS's own words are English)
_OS_WORDS = {
    errno.ENOSPC: "磁盘已满",
    errno.EDQUOT: "磁盘配额已用完",
    errno.EFBIG: "文件超过了允许的大小",
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.EROFS: "磁盘是只读的",
    errno.ENOENT: "文件夹不存在",
    errno.EISDIR: "这是一个文件夹",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.ENAMETOOLONG: "文件名太长",
    errno.EIO: "磁盘读写出错",
}


def os_words(exc: OSError) -> str:
    """An OS error in Chinese (the errno's meaning; the OS's text only when unknown)."""
    return _OS_WORDS.get(exc.errno, exc.strerror or type(exc).__name__)


def current_umask() -> int:
    """The process umask, read without changing it where the system allows."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_error(path: Path, exc: OSError, kept: bool = True) -> GendocError:
    """A file that could not be written (``kept``: its previous content is untouched)."""
    return GendocError(f"无法写入：{os_words(exc)}" + ("；原有文件没有改动" if kept else ""), file=str(path))


def _stage(path: Path, data: bytes | Iterable[bytes], mode: int, sync: bool = True) -> str:
    """Write ``data`` (bytes, or pieces of bytes written as they come) to a private temporary
    file beside ``path``, fsynced unless ``sync`` is false; returns its name."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, (bytes, bytearray, memoryview)):
                fh.write(data)
            else:
                fh.writelines(data)
            fh.flush()
            if sync:
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        return tmp
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_all(files: Iterable[tuple[Path, bytes | Iterable[bytes]]]) -> None:
    """Write several files as one step: all are staged beside their targets, then renamed.
    A file's data may be an iterable of pieces (a manifest made line by line).

    A failure while staging (disk full, no permission, Ctrl-C) removes every temporary file
    and leaves every previous file as it was; the error names the real file.
    """
    files = [(Path(p), d) for p, d in files]
    mode = 0o666 & ~current_umask()
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in files:
            try:
                staged.append((_stage(path, data, mode), path))
            except OSError as exc:
                raise _write_error(path, exc) from None
        for tmp, path in staged:
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise _write_error(path, exc, kept=False) from None
        staged = []
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


#: syncfs(2) reports a write-back error of the filesystem since Linux 5.8; before, it returns 0
#: whatever happened, so only an fsync of each file can be trusted there
_SYNCFS_REPORTS_ERRORS = (5, 8)
_SYNCFS = None   # None: not looked up yet; False: none to be trusted here; else libc's syncfs


def _syncfs():
    """libc's syncfs(2), where it reports write-back errors (Linux 5.8 and later), or None."""
    global _SYNCFS
    if _SYNCFS is None:
        _SYNCFS = False
        release = re.match(r"(\d+)\.(\d+)", os.uname().release) if hasattr(os, "uname") else None
        if (sys.platform.startswith("linux") and release
                and tuple(map(int, release.groups())) >= _SYNCFS_REPORTS_ERRORS):
            import ctypes
            with contextlib.suppress(OSError, AttributeError):
                _SYNCFS = ctypes.CDLL(None, use_errno=True).syncfs
                _SYNCFS.argtypes, _SYNCFS.restype = [ctypes.c_int], ctypes.c_int
    return _SYNCFS or None


def _open_folders(paths: Iterable[Path]) -> list[int]:
    """Descriptors of the folders ``paths`` are in, one a filesystem, opened before anything is
    written there: syncfs on them then reports every write-back error since (a descriptor
    opened later would miss one another process's syncfs reported first)."""
    fds: dict[int, int] = {}
    for folder in {p.parent for p in paths}:
        try:
            fd = os.open(folder, os.O_RDONLY)
        except OSError:
            continue   # the files there cannot be staged either: each fails on its own
        dev = os.fstat(fd).st_dev
        if dev in fds:
            os.close(fd)
        else:
            fds[dev] = fd
    return list(fds.values())


def _make_durable(staged: dict[int, str], folders: list[int]) -> dict[int, OSError]:
    """Put the staged files' data on disk: one syncfs of their filesystem (one journal commit
    for them all, where fsyncs one by one are a commit each), or, where that is not to be had
    or fails (it fails for a write-back error of any file there), an fsync of each. Returns
    the files whose fsync failed, with their errors."""
    syncfs = _syncfs()
    # the reason a syncfs failed (ctypes.get_errno()) is not needed: the fsyncs then find,
    # file by file, whether it was one of these
    if syncfs is not None and folders and all(syncfs(fd) == 0 for fd in folders):
        return {}
    failed: dict[int, OSError] = {}
    for n, tmp in staged.items():
        try:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            failed[n] = exc
    return failed


def write_each(files: Iterable[tuple[Path, bytes]]) -> list[GendocError | None]:
    """Write many files, each atomically and on its own: one that fails (disk full, no
    permission, a name taken by a folder) does not stop the others. Returns, for each file,
    None or its error.

    Where syncfs(2) can be trusted (Linux 5.8 and later), every file is staged unsynced, their
    data goes to disk together (:func:`_make_durable`: one journal commit rather than one a
    file), and only then is each renamed into place; elsewhere each is fsynced as it is
    staged (:func:`write_all`'s way). Either way a crash never leaves a file under its real
    name without its content. syncfs flushes everything waiting for the filesystem, other
    programs' data too; on FUSE file systems before Linux 5.15 it does not reach the server
    (an fsync does), so there a crash can lose what the server had not yet stored."""
    files = [(Path(p), d) for p, d in files]
    mode = 0o666 & ~current_umask()
    errors: list[GendocError | None] = [None] * len(files)
    staged: dict[int, str] = {}   # file -> its temporary name, until renamed
    together = _syncfs() is not None
    folders = _open_folders(p for p, _ in files) if together else []
    try:
        for n, (path, data) in enumerate(files):
            try:
                staged[n] = _stage(path, data, mode, sync=not together)
            except OSError as exc:
                errors[n] = _write_error(path, exc)
        if together:
            for n, exc in _make_durable(staged, folders).items():
                errors[n] = _write_error(files[n][0], exc)
                with contextlib.suppress(OSError):
                    os.unlink(staged.pop(n))
        for n, tmp in list(staged.items()):
            try:
                os.replace(tmp, files[n][0])
            except OSError as exc:
                errors[n] = _write_error(files[n][0], exc, kept=False)
            else:
                del staged[n]
        return errors
    finally:
        for tmp in staged.values():
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        for fd in folders:
            os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write one file atomically (see :func:`write_all`)."""
    write_all([(Path(path), data)])


# ---------------------------------------------------------------- destinations

#: what an existing file must look like to be replaced by a file of this kind
_MAGIC = {".pdf": b"%PDF", ".docx": b"PK\x03\x04", ".zip": b"PK\x03\x04"}
_SNIFF_BYTES = 20 * 1024 * 1024          # as much of an existing file as a plan may hold
_GENDOC_MARKDOWN = ("# 年度滚动报告".encode("utf-8"),)   # reports gendoc writes as Markdown
_TEXT_KINDS = {".json", ".yaml", ".yml", ".md", ".csv", ".ics", ".txt"}
_KIND_WORDS = {".pdf": "PDF", ".docx": ".docx 文档", ".zip": "压缩包", ".json": "JSON 文件",
               ".yaml": "YAML 计划", ".yml": "YAML 计划", ".md": "Markdown 文件", ".csv": "CSV 文件"}


@dataclass
class Destination:
    path: Path
    backup: Path | None = None  # an edited .docx to keep before replacing it (--force)


def _same_file(a: Path, b: Path) -> bool:
    with contextlib.suppress(OSError):
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    return False


_PLAN_KEYS = re.compile(r"(?m)^\ufeff?(?:schema_version|meta|template)\s*:")


def _looks_like_plan(head: bytes) -> bool:
    """A YAML plan: a top-level schema_version:, meta: or template: key."""
    return bool(_PLAN_KEYS.search(head.decode("utf-8", errors="ignore")))


def docx_state(path: Path) -> str:
    """``unmodified`` (gendoc's own output, as written), ``edited`` (gendoc's, changed since),
    ``foreign`` (a .docx gendoc did not write) or ``damaged`` (not a readable .docx)."""
    from .typeset import FINGERPRINT_PART, package_fingerprint, read_fingerprint
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            if FINGERPRINT_PART not in names:
                return "foreign" if "word/document.xml" in names else "damaged"
            recorded = read_fingerprint(z.read(FINGERPRINT_PART))
            if recorded is None:
                return "foreign"
            parts = [(n, z.read(n)) for n in names if n != FINGERPRINT_PART]
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, EOFError):
        return "damaged"
    return "unmodified" if package_fingerprint(parts) == recorded else "edited"


def backup_name(path: Path, now: _dt.datetime | None = None) -> Path:
    """通知.docx -> 通知.修改稿-20261201-093015.docx (beside it, never an existing name)."""
    stamp = (now or _dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.stem}.修改稿-{stamp}{path.suffix}")
    n = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}.修改稿-{stamp}-{n}{path.suffix}")
        n += 1
    return candidate


def check_destination(target: Path, *, plan: Path | None = None, inputs: Iterable[Path] = (),
                      force: bool = False, option: str = "-o", can_force: bool = True) -> Destination:
    """Refuse a destination that would lose something; say what to do instead."""
    target = Path(target)
    name = str(target)
    suffix = target.suffix.lower()
    if target.is_dir():
        raise GendocError("输出路径是一个文件夹", file=name)
    if not target.parent.is_dir():
        raise GendocError("输出文件所在的文件夹不存在", file=name)
    if plan is not None and _same_file(target, Path(plan)):
        raise GendocError("输出文件不能是输入的计划文件本身", file=name)
    for src in inputs:
        if _same_file(target, Path(src)):
            raise GendocError(f"{option} 指向了本次的输入文件，会把它覆盖；请换一个文件名", file=name)
    if not os.access(target.parent, os.W_OK):
        raise GendocError("没有权限写入输出文件夹", file=str(target.parent))
    if not target.exists():
        return Destination(target)
    if not target.is_file():
        raise GendocError("输出路径不是普通文件", file=name)
    magic = _MAGIC.get(suffix)
    try:
        with open(target, "rb") as fh:
            head = fh.read(4096)
            if magic is None or not head.startswith(magic):   # text, or the wrong kind:
                head += fh.read(_SNIFF_BYTES - len(head))      # look for a plan in all of it
    except OSError as exc:
        raise GendocError(f"无法读取已有的文件：{os_words(exc)}", file=name) from None
    kind = _KIND_WORDS.get(suffix, suffix)
    if head and magic is not None and not head.startswith(magic):
        what = "一个计划文件" if _looks_like_plan(head) else "别的类型的文件"
        raise GendocError(f"已有的这个文件是{what}，不是{kind}；为免覆盖它，请换一个输出文件名",
                          file=name)
    if suffix in _TEXT_KINDS and b"\x00" in head:
        raise GendocError(f"已有的这个文件不是{kind}；为免覆盖它，请换一个输出文件名", file=name)
    if suffix in _TEXT_KINDS and _looks_like_plan(head):
        raise GendocError("已有的这个文件是一个计划文件；为免覆盖它，请换一个输出文件名", file=name)
    if suffix in (".yaml", ".yml") and head:
        # plans and branches files are the clerk's sources: gendoc never replaces one
        raise GendocError("已有这个 YAML 文件；gendoc 不覆盖已有的计划或分支文件，"
                          "请换一个文件名，或先把它移走", file=name)
    if suffix == ".md" and head and not head.lstrip(b"\xef\xbb\xbf").startswith(_GENDOC_MARKDOWN):
        raise GendocError("已有的这个 Markdown 文件不是 gendoc 写的报告；为免覆盖它，请换一个文件名",
                          file=name)
    if suffix != ".docx" or not head:
        return Destination(target)
    state = docx_state(target)
    if state == "unmodified":
        return Destination(target)
    if state == "damaged":
        raise GendocError("已有的这个文件不是有效的 .docx；为免覆盖它，请换一个输出文件名",
                          file=name)
    why = ("生成后被修改过（例如在 Word 或 WPS 里改过、盖过章）" if state == "edited"
           else "不是 gendoc 生成的")
    if not force:
        remedy = ("请换一个输出文件名，或加 --force（原文件会先另存为“文件名.修改稿-日期时间.docx”）"
                  if can_force else "请换一个输出文件夹，或先把它移走")
        raise GendocError(f"已有的这个文档{why}，没有覆盖。要重新生成，{remedy}", file=name)
    return Destination(target, backup=backup_name(target))


def keep_backup(dest: Destination) -> None:
    """Before replacing an edited .docx (``--force``): keep it under its backup name."""
    if dest.backup is not None:
        try:
            os.link(dest.path, dest.backup)
        except OSError:
            write_atomic(dest.backup, dest.path.read_bytes())
