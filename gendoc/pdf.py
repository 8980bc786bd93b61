"""Convert .docx to .pdf with LibreOffice headless (docs/rendering.md §5).

Every call starts its own ``soffice`` with its own throw-away user profile
(``-env:UserInstallation=…``): with a shared profile a second soffice hands its work to the
first one and parallel runs collide. The process gets ``FONTCONFIG_FILE`` pointing at
:func:`gendoc.fonts.fontconfig_file`, so the standard 公文 font names render with the free
stand-ins (FandolFang, Noto Serif CJK SC Bold, …) instead of one sans-serif face.

PDFs are written into a temporary directory first and then renamed into place, so a
reader never sees a half-written PDF. Start-up costs about 1.2 s per soffice call, so
:func:`docx_to_pdf_many` converts several files in one call.
"""

from __future__ import annotations

import atexit
import errno
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Iterable

from . import fonts
from .errors import GendocError

SOFFICE_NAMES = ("soffice", "libreoffice")
# places LibreOffice lives when it is not on PATH
SOFFICE_PATHS = (
    "/usr/lib/libreoffice/program/soffice",
    "/opt/libreoffice/program/soffice",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
)
INSTALL_HINT = ("install it with `apt-get install --no-install-recommends "
                "libreoffice-writer-nogui` (Debian/Ubuntu), or run scripts/install-deps.sh "
                "as root, which also installs the fonts")

_STDERR_TAIL = 1500


# keep the blank page a section that starts on an even page inserts before the 版记:
# LibreOffice's PDF export drops such pages unless told otherwise (GB/T 9704 7.4, 7.5)
PDF_FILTER = 'pdf:writer_pdf_Export:{"IsSkipEmptyPages":{"type":"boolean","value":"false"}}'


def soffice_path() -> str | None:
    """The LibreOffice executable, or None when LibreOffice is not installed."""
    for name in SOFFICE_NAMES:
        found = shutil.which(name)
        if found:
            return found
    for candidate in SOFFICE_PATHS:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def have_soffice() -> bool:
    """True when LibreOffice can be run (tests skip on False)."""
    return soffice_path() is not None


# A profile that soffice has already initialised once: copying it saves about 0.2 s per
# call over letting every soffice build a fresh one. One per process, removed at exit.
_profile_lock = threading.Lock()
_profile_template: Path | None = None


def _remove_template() -> None:
    if _profile_template is not None:
        shutil.rmtree(_profile_template.parent, ignore_errors=True)


def _seed_profile(profile: Path) -> None:
    with _profile_lock:
        template = _profile_template
    if template is not None and template.is_dir():
        try:
            shutil.copytree(template, profile, ignore=shutil.ignore_patterns(".lock"))
        except OSError:
            shutil.rmtree(profile, ignore_errors=True)


def _keep_profile(profile: Path) -> None:
    global _profile_template
    with _profile_lock:
        if _profile_template is not None or not profile.is_dir():
            return
        holder = Path(tempfile.mkdtemp(prefix="gendoc-soffice-profile-"))
        try:
            shutil.move(str(profile), str(holder / "profile"))
        except OSError:
            shutil.rmtree(holder, ignore_errors=True)
            return
        atexit.register(_remove_template)
        _profile_template = holder / "profile"


def _tail(text: str) -> str:
    text = "\n".join(line for line in text.strip().splitlines()
                     if "javaldx" not in line)  # harmless warning on every run
    if len(text) > _STDERR_TAIL:
        text = "…" + text[-_STDERR_TAIL:]
    return text or "(soffice printed nothing)"


def _move_into_place(tmp_pdf: Path, dest: Path) -> None:
    """Atomically put ``tmp_pdf`` at ``dest`` (copy to dest's directory first if needed)."""
    try:
        os.replace(tmp_pdf, dest)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    fd, staging = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=".pdf.tmp",
                                   dir=dest.parent)
    os.close(fd)
    try:
        shutil.copyfile(tmp_pdf, staging)
        os.replace(staging, dest)
    except BaseException:
        try:
            os.unlink(staging)
        except OSError:
            pass
        raise


def _run_soffice(soffice: str, srcs: list[Path], outdir: Path, profile: Path,
                 timeout: float) -> subprocess.CompletedProcess:
    cmd = [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
        "--convert-to", PDF_FILTER,
        "--outdir", str(outdir),
        *(str(s) for s in srcs),
    ]
    env = dict(os.environ)
    env["FONTCONFIG_FILE"] = str(fonts.fontconfig_file())
    try:
        # own session: on timeout kill the whole group (the soffice script, oosplash and
        # soffice.bin), not only the launcher
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, errors="replace", start_new_session=True)
    except OSError as exc:
        raise GendocError(f"cannot run LibreOffice ({soffice}): {exc}; {INSTALL_HINT}") from exc
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            proc.kill()
        proc.communicate()
        names = ", ".join(s.name for s in srcs)
        raise GendocError(f"LibreOffice did not finish converting {names} to PDF within "
                          f"{timeout:g} seconds (raise the timeout for long documents)")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _batches(srcs: list[Path]) -> list[list[int]]:
    """Split indexes into groups with distinct stems (soffice names outputs by stem)."""
    batches: list[tuple[set[str], list[int]]] = []
    for i, src in enumerate(srcs):
        for stems, members in batches:
            if src.stem not in stems:
                stems.add(src.stem)
                members.append(i)
                break
        else:
            batches.append(({src.stem}, [i]))
    return [members for _, members in batches]


def docx_to_pdf_many(srcs: Iterable[str | os.PathLike], out_dir: str | os.PathLike | None = None,
                     timeout: float = 180) -> list[Path]:
    """Convert several .docx files with one soffice start-up; returns the PDFs in order.

    Each PDF is named ``<stem>.pdf`` and goes into ``out_dir`` (default: beside its source).
    ``timeout`` (seconds) applies to each soffice call; sources sharing a stem need one call
    each. Raises :class:`GendocError` when LibreOffice is missing, times out, or produces no
    PDF for a source (the message carries the end of soffice's error output).
    """
    sources = [Path(s) for s in srcs]
    if not sources:
        return []
    for src in sources:
        if not src.is_file():
            raise GendocError("no such file to convert to PDF", file=str(src))
    sources = [s.resolve() for s in sources]
    dests = []
    for src in sources:
        directory = Path(out_dir) if out_dir is not None else src.parent
        dests.append(directory.resolve() / f"{src.stem}.pdf")
    seen: dict[Path, Path] = {}
    for src, dest in zip(sources, dests):
        if dest in seen and seen[dest] != src:
            raise GendocError(f"{seen[dest]} and {src} would both be converted to {dest}")
        seen[dest] = src

    soffice = soffice_path()
    if soffice is None:
        raise GendocError(f"LibreOffice (soffice) not found, needed for PDF output: {INSTALL_HINT}")

    for dest in dests:
        dest.parent.mkdir(parents=True, exist_ok=True)

    results: list[Path | None] = [None] * len(sources)
    for batch in _batches(sources):
        # one call per distinct source (the same file twice converts once)
        unique = list(dict.fromkeys(sources[i] for i in batch))
        work = Path(tempfile.mkdtemp(prefix="gendoc-soffice-"))
        try:
            profile, outdir = work / "profile", work / "out"
            outdir.mkdir()
            _seed_profile(profile)
            proc = _run_soffice(soffice, unique, outdir, profile, timeout)
            for i in batch:
                produced = outdir / f"{sources[i].stem}.pdf"
                if not produced.is_file() or produced.stat().st_size == 0:
                    raise GendocError(
                        f"LibreOffice produced no PDF (exit code {proc.returncode}): "
                        f"{_tail(proc.stderr or proc.stdout)}", file=str(sources[i]))
            for i in batch:
                produced = outdir / f"{sources[i].stem}.pdf"
                if produced.exists():
                    _move_into_place(produced, dests[i])
                results[i] = dests[i]
            _keep_profile(profile)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return [r for r in results if r is not None]


def docx_to_pdf(src: str | os.PathLike, out_dir: str | os.PathLike | None = None,
                timeout: float = 180) -> Path:
    """Convert one .docx to ``<out_dir or src's directory>/<stem>.pdf`` and return its path.

    See :func:`docx_to_pdf_many` for the errors raised.
    """
    return docx_to_pdf_many([src], out_dir, timeout)[0]
