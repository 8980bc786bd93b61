"""Convert .docx to .pdf with LibreOffice headless, under control (docs/rendering.md §5).

Every call starts its own ``soffice`` with its own throw-away user profile
(``-env:UserInstallation=…``): with a shared profile a second soffice hands its work to the
first one and parallel runs collide. The process gets ``FONTCONFIG_FILE`` pointing at the
fontconfig rules of :func:`gendoc.fonts.fontconfig_xml`, so the standard 公文 font names render
with the free stand-ins (FandolFang, Noto Serif CJK SC Bold, …) instead of one sans-serif face.
PDFs are written into a temporary folder first and then renamed into place, so a reader never
sees a half-written PDF. Start-up costs about 1.2 s per soffice call, so
:func:`docx_to_pdf_many` converts several files in one call.

Nothing outlives a call. Each soffice call works in one private folder
(``$TMPDIR/gendoc-soffice-*``) that holds the staged input, the profile, the fontconfig file,
LibreOffice's own temporary files (its ``TMPDIR``) and the output. soffice runs in a session
of its own; ``finally`` kills that session's process group and every process that names the
folder, then removes the folder: on a normal end, on an error, on Ctrl-C, and on SIGTERM once
:func:`terminate_on_sigterm` is installed. For the one case no ``finally`` sees, gendoc killed
outright, a watchdog process (:func:`_watchdog_main`) holds the read end of a pipe that only
gendoc writes to: when gendoc dies the pipe closes and the watchdog does the same clean-up.

No request leaves the machine and nothing external is loaded, three times over: the input is
staged with its external references neutralised (:func:`_stage`: external relationships other
than hyperlinks, INCLUDEPICTURE/INCLUDETEXT/LINK/DDE… fields, ODF ``xlink:href`` to outside
the package); the profile never updates links, blocks untrusted referer links and disables
macros (:data:`PROFILE_SETTINGS`); and where ``unshare`` works, soffice runs in a new network
namespace that has no network at all (:func:`network_sandbox`).

Time limits scale with the document (:func:`default_timeout`): measured here, LibreOffice
needs 2.7 s for 92 pages, 35 s for 1,600 and 121 s for 3,200 (it grows faster than the page
count), and the default allows about twelve times that.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterable, Iterator

from .errors import GendocError

SOFFICE_NAMES = ("soffice", "libreoffice")
# places LibreOffice lives when it is not on PATH
SOFFICE_PATHS = (
    "/usr/lib/libreoffice/program/soffice",
    "/opt/libreoffice/program/soffice",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
)
INSTALL_HINT = ("请用 `apt-get install --no-install-recommends libreoffice-writer-nogui` 安装"
                "（Debian/Ubuntu），或以 root 身份运行 scripts/install-deps.sh（它也安装所需字体）")

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


# ---------------------------------------------------------------- time limits

# Seconds for one soffice call: BASE_SECONDS, plus for each document an allowance that grows
# with its estimated pages p as SECONDS_PER_PAGE * p + SECONDS_PER_PAGE_SQUARED * p**2.
# Measured (2 shared cores, LibreOffice 7.4): 92 pages 2.7 s, 366 pages 6.1 s, 1,600 pages
# 35 s, 3,200 pages 121 s, which is about 0.011 p + 8.5e-6 p**2; the allowance is about
# twelve times that (1,600 pages: 476 s, 3,200 pages: 1,404 s).
BASE_SECONDS = 60.0
SECONDS_PER_PAGE = 0.1
SECONDS_PER_PAGE_SQUARED = 1e-4
# page estimate from the package: one page per PARAGRAPHS_PER_PAGE paragraphs or
# TEXT_BYTES_PER_PAGE bytes of text outside tags and white space (22 lines of 28 hanzi are
# 1,848 UTF-8 bytes), whichever
# is more, plus one per MEDIA_BYTES_PER_PAGE of images and other binary parts
PARAGRAPHS_PER_PAGE = 10
TEXT_BYTES_PER_PAGE = 1500
MEDIA_BYTES_PER_PAGE = 200_000
TIMEOUT_HINT = "文档很长或机器很忙时，可用 --timeout 秒数 放宽时限"


def default_timeout(pages: Iterable[int]) -> float:
    """The time limit of one soffice call converting documents of ``pages`` estimated pages."""
    return BASE_SECONDS + sum(SECONDS_PER_PAGE * p + SECONDS_PER_PAGE_SQUARED * p * p
                              for p in pages)


# ---------------------------------------------------------------- staging the input
#
# The input is copied into the private folder with every reference that makes LibreOffice
# load something from outside the file neutralised. Hyperlinks stay: converting does not
# follow them and the PDF keeps them clickable.

_PARSE_LIMIT = 64 * 2**20     # larger XML parts are not parsed (about 10x this in memory)
_PART_LIMIT = 1024 * 2**20    # larger XML parts are refused
_CHUNK = 2**20
_TAG = re.compile(rb"<[^>]*>")
_PARAGRAPH = re.compile(rb"<(?:w:p|text:p|text:h)[\s>/]")
# field instructions that load a file or a URL, or talk to another program
DANGEROUS_FIELDS = frozenset({"INCLUDEPICTURE", "INCLUDETEXT", "INCLUDE", "IMPORT", "LINK",
                              "DDE", "DDEAUTO", "DATABASE", "RD"})
XLINK = "http://www.w3.org/1999/xlink"
_LINK_ELEMENTS = frozenset({"a"})  # text:a, draw:a: hyperlinks
# OOXML elements whose r:id is a hyperlink (anything else that names one loads it)
_HYPERLINK_USES = frozenset({"hyperlink", "hlinkClick", "hlinkHover", "hlinkMouseOver"})
# ODF elements that pull data from other programs or files
_ODF_DROP = frozenset({"dde-source", "dde-connection-decls", "dde-connection-decl",
                       "dde-link", "dde-links", "table-source", "section-source"})
_INTERNAL_HREF = re.compile(r"^(?![A-Za-z][A-Za-z0-9+.-]*:|/|\\|\.\.)")


class _Counts:
    """What a scan of the package found: size for the time limit, markers for neutralising."""

    def __init__(self) -> None:
        self.paragraphs = 0
        self.text_bytes = 0
        self.media_bytes = 0

    @property
    def pages(self) -> int:
        return max(1, self.paragraphs // PARAGRAPHS_PER_PAGE,
                   self.text_bytes // TEXT_BYTES_PER_PAGE) + self.media_bytes // MEDIA_BYTES_PER_PAGE


def _scan(stream, counts: _Counts, src: Path, part: str) -> set[str]:
    """Count paragraphs and text bytes of one XML part; return the markers it holds."""
    found: set[str] = set()
    carry = b""
    total = 0
    while True:
        chunk = stream.read(_CHUNK)
        total += len(chunk)
        if total > _PART_LIMIT:
            raise GendocError(f"文档中的 {part} 解压后超过 {_PART_LIMIT >> 20} MiB，不转换",
                              file=str(src))
        data = carry + chunk
        if not chunk:
            body, carry = data, b""
        else:
            # cut before an unfinished tag, so every tag is whole in ``body``
            cut = data.rfind(b"<")
            if cut == -1 or data.find(b">", cut) != -1 or len(data) - cut > _CHUNK:
                cut = len(data)
            body, carry = data[:cut], data[cut:]
        counts.paragraphs += len(_PARAGRAPH.findall(body))
        counts.text_bytes += len(_TAG.sub(b"", body).translate(None, b" \t\r\n"))
        if b"instrText" in body or b"instr=" in body:
            found.add("fields")
        if b"href" in body or b"dde-" in body or b"-source" in body:
            found.add("links")
        if not chunk:
            return found


def _localname(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _attribute(el, name: str) -> str | None:
    """The value of the attribute whose local name is ``name``, in any namespace."""
    for key, value in el.attrib.items():
        if _localname(key) == name:
            return value
    return None


def _dangerous(instruction: str) -> bool:
    words = instruction.split()
    return bool(words) and words[0].upper() in DANGEROUS_FIELDS


def _neutralise_fields(root) -> bool:
    """Empty the instructions of fields that load something; True if anything changed.

    Namespaces are matched by local name, so transitional and strict OOXML are both covered.
    A complex field keeps its last result (the text between ``separate`` and ``end``); a
    simple field (``w:fldSimple``) is replaced by its result runs.
    """
    changed = False
    stack: list[list] = []   # open complex fields: their instruction elements so far
    closed: list[bool] = []  # has the field reached its ``separate``?
    simple = []

    def settle(instr: list) -> None:
        nonlocal changed
        if _dangerous("".join(e.text or "" for e in instr)):
            for e in instr:
                e.text = ""
            changed = True

    for el in root.iter():
        name = _localname(el.tag)
        if name == "fldChar":
            kind = _attribute(el, "fldCharType")
            if kind == "begin":
                stack.append([])
                closed.append(False)
            elif stack and kind == "separate" and not closed[-1]:
                settle(stack[-1])
                closed[-1] = True
            elif stack and kind == "end":
                if not closed[-1]:
                    settle(stack[-1])
                stack.pop()
                closed.pop()
        elif name in ("instrText", "delInstrText") and stack and not closed[-1]:
            stack[-1].append(el)
        elif name == "fldSimple" and _dangerous(_attribute(el, "instr") or ""):
            simple.append(el)
    for instr, separated in zip(stack, closed):  # fields never ended
        if not separated:
            settle(instr)
    for el in simple:
        parent = el.getparent()
        at = parent.index(el)
        for child in reversed(list(el)):
            parent.insert(at, child)
        parent.remove(el)
        changed = True
    return changed


def _neutralise_links(root) -> bool:
    """ODF: drop ``xlink:href`` that leaves the package (except hyperlinks) and DDE/linked
    sources; True if anything changed."""
    changed = False
    drop = []
    for el in root.iter():
        name = _localname(el.tag)
        if name in _ODF_DROP:
            drop.append(el)
            continue
        href = el.get(f"{{{XLINK}}}href")
        if href is not None and name not in _LINK_ELEMENTS and not _INTERNAL_HREF.match(href):
            del el.attrib[f"{{{XLINK}}}href"]
            changed = True
    for el in drop:
        if el.getparent() is not None:
            el.getparent().remove(el)
            changed = True
    return changed


def _neutralise_relationships(root, misused: set[str]) -> bool:
    """OOXML: remove external relationships other than hyperlinks (images, OLE objects,
    attached templates, subdocuments, frames, audio, video …) and hyperlinks in ``misused``;
    True if anything changed."""
    changed = False
    for el in list(root):
        if (_localname(el.tag) == "Relationship"
                and (el.get("TargetMode") or "").lower() == "external"
                and (not (el.get("Type") or "").endswith("/hyperlink")
                     or el.get("Id") in misused)):
            root.remove(el)
            changed = True
    return changed


def _misused_hyperlinks(zin, rels_name: str, ids: set[str], src: Path) -> set[str]:
    """Of the external hyperlink relationships ``ids``, those that the part the relationships
    belong to uses as anything but a hyperlink: LibreOffice loads an image's ``r:link`` or an
    object's ``r:id`` whatever the relationship's type says."""
    folder, _, base = rels_name.rpartition("_rels/")
    part = folder + base[: -len(".rels")]
    try:
        info = zin.getinfo(part)
    except KeyError:
        return set()
    if info.file_size > _PARSE_LIMIT:
        return set(ids)
    misused = set()
    for el in _parse(zin.read(info), src, part).iter():
        hyperlink = _localname(el.tag) in _HYPERLINK_USES
        for attr, value in el.attrib.items():
            if value in ids and not (hyperlink and _localname(attr) == "id"):
                misused.add(value)
    return misused


def _parse(data: bytes, src: Path, part: str):
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise GendocError(f"文档中的 {part} 不是合法的 XML（{exc}），文件可能已损坏，"
                          "请用 Word 或 WPS 打开后另存一份再试", file=str(src)) from exc


def _serialise(root) -> bytes:
    from lxml import etree

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


_INSTR_TEXT = re.compile(rb"(<(?:[\w.-]+:)?(?:del)?instrText\b[^>]*(?<!/)>)[^<]*")
_INSTR_ATTR = re.compile(rb"(\binstr\s*=\s*)(\"[^\"]*\"|'[^']*')")


def _neutralise_rels(zin, name: str, data: bytes, src: Path) -> bytes | None:
    """The new content of one relationships part, or None when it stays as it is."""
    if len(data) > _PARSE_LIMIT:
        raise GendocError(f"文档中的 {name} 超过 {_PARSE_LIMIT >> 20} MiB，不转换", file=str(src))
    root = _parse(data, src, name)
    hyperlinks = {el.get("Id") for el in root
                  if (el.get("TargetMode") or "").lower() == "external"
                  and (el.get("Type") or "").endswith("/hyperlink")}
    misused = _misused_hyperlinks(zin, name, hyperlinks, src) if hyperlinks else set()
    return _serialise(root) if _neutralise_relationships(root, misused) else None


def _neutralise_part(name: str, data: bytes, markers: set[str], src: Path) -> bytes | None:
    """The new content of one XML part (not relationships), or None when it stays as it is."""
    if len(data) > _PARSE_LIMIT:
        # too big to parse safely: empty every field instruction and drop every link
        if "fields" in markers:
            data = _INSTR_ATTR.sub(rb'\1""', _INSTR_TEXT.sub(rb"\1", data))
        if "links" in markers:
            data = re.sub(rb"\s(?:[\w.-]+:)?href\s*=\s*(\"[^\"]*\"|'[^']*')", b"", data)
        return data
    root = _parse(data, src, name)
    changed = "fields" in markers and _neutralise_fields(root)
    changed = ("links" in markers and _neutralise_links(root)) or changed
    return _serialise(root) if changed else None


def _stage(src: Path, dest: Path) -> int:
    """Copy ``src`` to ``dest`` with external references neutralised; return its page estimate.

    A file that is not a zip package (or that zipfile cannot read) is copied unchanged: it is
    not .docx/.odt, LibreOffice reports what it is, and the profile and the network namespace
    still hold.
    """
    import zipfile

    counts = _Counts()
    try:
        with zipfile.ZipFile(src) as zin:
            changes: dict[str, bytes] = {}
            for info in zin.infolist():
                name = info.filename
                if info.is_dir():
                    continue
                if not name.lower().endswith((".xml", ".rels")):
                    counts.media_bytes += info.file_size
                    continue
                with zin.open(info) as stream:
                    markers = _scan(stream, counts, src, name)
                if name.lower().endswith(".rels"):
                    data = zin.read(info)
                    if b"external" not in data.lower():
                        continue
                    new = _neutralise_rels(zin, name, data, src)
                elif markers:
                    new = _neutralise_part(name, zin.read(info), markers, src)
                else:
                    continue
                if new is not None:
                    changes[name] = new
            if changes:
                with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
                    for info in zin.infolist():
                        data = changes.get(info.filename)
                        zout.writestr(info, zin.read(info) if data is None else data)
                return counts.pages
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError,
            RuntimeError, ValueError):
        counts = _Counts()
        counts.text_bytes = src.stat().st_size
    shutil.copyfile(src, dest)
    return counts.pages


# ---------------------------------------------------------------- the throw-away profile

# (configuration path, property, value) written into the fresh profile's
# registrymodifications.xcu before soffice starts
PROFILE_SETTINGS = (
    # never update links when loading (sw/inc/linkenum.hxx: NEVER = 0)
    ("/org.openoffice.Office.Writer/Content/Update", "Link", "0"),
    ("/org.openoffice.Office.Calc/Content/Update", "Link", "0"),
    # no image or other link loaded for a document that does not come from a trusted place
    ("/org.openoffice.Office.Common/Security/Scripting", "BlockUntrustedRefererLinks", "true"),
    # no macros at all
    ("/org.openoffice.Office.Common/Security/Scripting", "DisableMacrosExecution", "true"),
    ("/org.openoffice.Office.Common/Security/Scripting", "MacroSecurityLevel", "3"),
    ("/org.openoffice.Office.Java/VirtualMachine", "Enable", "false"),
    ("/org.openoffice.Office.Common/Misc", "FirstRun", "false"),
)


@functools.lru_cache(maxsize=4)
def _build_id(soffice: str) -> str | None:
    """LibreOffice's build id (``versionrc`` beside the real soffice), or None."""
    program = Path(os.path.realpath(soffice)).parent
    for rc in (program / "versionrc", program.parent / "Resources" / "versionrc"):
        try:
            text = rc.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        found = re.search(r"^buildid=(.+)$", text, re.M)
        if found:
            return found.group(1).strip()
    return None


@functools.lru_cache(maxsize=4)
def _product_version(soffice: str) -> str | None:
    """LibreOffice's product version (``7.4``: ``ooSetupVersion`` in the installation's
    ``main.xcd``), or None."""
    program = Path(os.path.realpath(soffice)).parent
    for xcd in (program.parent / "share" / "registry" / "main.xcd",
                program.parent / "Resources" / "registry" / "main.xcd"):
        try:
            data = xcd.read_bytes()
        except OSError:
            continue
        found = re.search(rb'oor:name="ooSetupVersion">\s*<value>\s*(\d+\.\d+)\s*</value>', data)
        if found:
            return found.group(1).decode("ascii")
    return None


def _write_profile(profile: Path, soffice: str) -> None:
    """A fresh profile holding :data:`PROFILE_SETTINGS` and, when known, the build id and
    the product version.

    With ``user/extensions/buildid`` matching the installation, a fresh profile's first
    start does not clear the extension cache and restart soffice.bin: that restart cost
    0.25-0.35 s a call here (what the profile template kept between calls used to save).
    With ``ooSetupLastVersion`` set to the installed version, soffice does not take the
    profile for one just upgraded and skips its graphics self-test (``GraphicsRenderTests``,
    drawing on 4096-pixel bitmaps): that cost 1.2-1.3 s of every call here (LibreOffice 7.4).
    """
    from xml.sax.saxutils import quoteattr

    settings = list(PROFILE_SETTINGS)
    version = _product_version(soffice)
    if version:
        settings.append(("/org.openoffice.Setup/Product", "ooSetupLastVersion", version))
    items = "".join(
        f'<item oor:path={quoteattr(path)}><prop oor:name={quoteattr(prop)} oor:op="fuse">'
        f'<value>{value}</value></prop></item>\n'
        for path, prop, value in settings)
    user = profile / "user"
    user.mkdir(parents=True)
    (user / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        f"{items}</oor:items>\n", encoding="utf-8")
    build_id = _build_id(soffice)
    if build_id:
        (user / "extensions").mkdir()
        (user / "extensions" / "buildid").write_text(build_id, encoding="utf-8")


# ---------------------------------------------------------------- no network

_sandbox_lock = threading.Lock()
_sandbox: list[str] | None = None


def network_sandbox() -> list[str]:
    """The command prefix that runs a program in a new, empty network namespace.

    ``unshare -n`` as root, ``unshare -rn`` (a user namespace) otherwise; tried once per
    process on ``true``. ``[]`` where neither works (no util-linux, not Linux, user
    namespaces disabled): soffice then runs with the network, and the staging and the
    profile settings are what keep it from loading anything.
    """
    global _sandbox
    with _sandbox_lock:
        if _sandbox is None:
            _sandbox = []
            unshare, true = shutil.which("unshare"), shutil.which("true")
            if unshare and true and sys.platform.startswith("linux"):
                flags = (["-n"] if os.geteuid() == 0 else []) + ["-rn"]
                for flag in flags:
                    try:
                        ok = subprocess.run([unshare, flag, "--", true], stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                            timeout=10).returncode == 0
                    except (OSError, subprocess.SubprocessError):
                        ok = False
                    if ok:
                        _sandbox = [unshare, flag, "--"]
                        break
        return list(_sandbox)


# ---------------------------------------------------------------- nothing outlives the run

class Terminated(KeyboardInterrupt):
    """SIGTERM (or SIGHUP) arrived: raised on the main thread by :func:`terminate_on_sigterm`,
    so that it unwinds like Ctrl-C and every ``finally`` cleans up."""


def _raise_terminated(signum, frame):
    raise Terminated(signum)


def terminate_on_sigterm() -> None:
    """Turn SIGTERM and SIGHUP into :class:`Terminated` (a KeyboardInterrupt).

    By default those signals end Python at once, skipping ``finally`` blocks; with this
    handler a conversion kills its soffice and removes its folder first. Call it from the
    main thread (the command line does, before any work); a signal that is ignored (``nohup``)
    stays ignored. Elsewhere it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None and signal.getsignal(sig) is not signal.SIG_IGN:
            signal.signal(sig, _raise_terminated)


def _markers(folder: Path) -> list[bytes]:
    """How a process that works in ``folder`` names it on its command line."""
    return [os.fsencode(folder) + b"/", folder.as_uri().encode("ascii") + b"/"]


def _processes_naming(markers: list[bytes]) -> list[int]:
    """Live processes (not zombies, whose command line is empty) whose command line holds
    one of ``markers``; ``[]`` where there is no /proc."""
    found = []
    me = os.getpid()
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read()
        except OSError:
            continue
        if any(m in cmdline for m in markers):
            found.append(int(entry))
    return found


def _remove_all(paths: Iterable[Path], groups: Iterable[int] = ()) -> None:
    """Kill ``groups`` and every process naming one of ``paths``, then remove the paths.

    Shared by the conversion's ``finally`` and the watchdog. Waits up to 10 s for the
    processes to go, so that no dying soffice writes into a folder being removed.
    """
    paths = [Path(p) for p in paths]
    for group in groups:
        try:
            os.killpg(group, signal.SIGKILL)
        except OSError:
            pass
    markers = [m for p in paths if p.is_dir() for m in _markers(p)]
    deadline = time.monotonic() + 10
    while markers:
        pids = _processes_naming(markers)
        if not pids or time.monotonic() > deadline:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.02)
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass


def _watchdog_main() -> None:
    """The watchdog process: read JSON lines from stdin until it closes, then clean up.

    Lines: ``["path", P]`` (a folder or file to remove), ``["group", N]`` (a process group to
    kill), ``["forget", P or N]``, ``["done"]`` (gendoc cleaned up itself: exit, touch
    nothing). End of input without ``done`` means gendoc died: kill and remove what is
    registered. Ctrl-C and SIGHUP are ignored (they are meant for gendoc); SIGTERM cleans up
    at once.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    paths: list[str] = []
    groups: list[int] = []
    try:
        for line in sys.stdin.buffer:
            try:
                kind, *value = json.loads(line)
            except ValueError:
                continue
            if kind == "done":
                return
            if kind == "path":
                paths.append(value[0])
            elif kind == "group":
                groups.append(value[0])
            elif kind == "forget":
                for registry in (paths, groups):
                    if value[0] in registry:
                        registry.remove(value[0])
    except (SystemExit, OSError):
        pass
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _remove_all([Path(p) for p in paths], groups)


class _Watchdog:
    """gendoc's side of the watchdog: start it, tell it what to clean, say when all is done.

    When the watchdog cannot start, the conversion runs without it (its ``finally`` still
    cleans up; only a kill -9 of gendoc would leave things behind).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fd: int | None = None
        self.proc: subprocess.Popen | None = None
        package_parent = str(Path(__file__).resolve().parent.parent)
        code = (f"import sys; sys.path.insert(0, {package_parent!r}); "
                "from gendoc.pdf import _watchdog_main; _watchdog_main()")
        if not sys.executable:
            return
        read, write = os.pipe()
        try:
            self.proc = subprocess.Popen([sys.executable, "-I", "-c", code], stdin=read,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         cwd="/", start_new_session=True)
            self._fd = write
        except OSError:
            os.close(write)
        finally:
            os.close(read)

    def send(self, *message) -> None:
        with self._lock:
            if self._fd is None:
                return
            try:
                os.write(self._fd, (json.dumps(message) + "\n").encode("ascii"))
            except OSError:  # the watchdog is gone: go on without it
                os.close(self._fd)
                self._fd = None

    def close(self) -> None:
        """Tell the watchdog gendoc cleaned up, and wait for it to go."""
        self.send("done")
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        if self.proc is not None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _uninterrupted(*steps) -> None:
    """Run every clean-up step, each to its end even when Ctrl-C or SIGTERM arrives meanwhile
    (an interruption is any BaseException that is not an Exception: KeyboardInterrupt, this
    module's :class:`Terminated`, a handler's SystemExit or own class); a step that fails
    does not stop the next. Re-raise the interruption, else the first failure, afterwards."""
    interrupted: BaseException | None = None
    failed: Exception | None = None
    for step in steps:
        while True:
            try:
                step()
            except Exception as exc:
                failed = failed or exc
            except GeneratorExit:
                raise
            except BaseException as exc:
                interrupted = interrupted or exc
                continue
            break
    if interrupted is not None:
        raise interrupted
    if failed is not None:
        raise failed


# ---------------------------------------------------------------- running soffice

def _tail(text: str, names: dict[str, str]) -> str:
    """The end of soffice's output, with the private folder's paths replaced by real ones."""
    for private, real in names.items():
        text = text.replace(private, real)
    text = "\n".join(line for line in text.strip().splitlines()
                     if "javaldx" not in line)  # harmless warning on every run
    if len(text) > _STDERR_TAIL:
        text = "…" + text[-_STDERR_TAIL:]
    return text or "（soffice 没有输出任何信息）"


def _move_into_place(tmp_pdf: Path, dest: Path, watchdog: _Watchdog) -> None:
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
    watchdog.send("path", staging)
    try:
        shutil.copyfile(tmp_pdf, staging)
        shutil.copymode(tmp_pdf, staging)  # soffice made it under the umask; mkstemp is 0600
        os.replace(staging, dest)
    finally:
        _uninterrupted(lambda: _remove_all([Path(staging)]))  # gone after a good replace
        watchdog.send("forget", staging)


def _batches(srcs: list[Path]) -> list[list[int]]:
    """Split indexes into groups with distinct names (soffice names outputs by stem)."""
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


@contextlib.contextmanager
def _conversion(soffice: str, sources: list[Path], timeout: float | None,
                data: bytes | list[bytes] | None = None,
                pdf_filter: str = PDF_FILTER) -> Iterator[tuple[list[Path], _Watchdog]]:
    """One soffice call converting ``sources`` (distinct stems): yields the PDFs, in the
    private folder, and the watchdog; when the block ends soffice and the folder are gone.

    ``data``: the content of the one source (or of each source, as a list), when it is not
    a file: it is written only into the private folder, and ``sources`` are then only the
    names that messages and the PDFs take.
    """
    from . import fonts

    watchdog = _Watchdog()
    folder = Path(tempfile.mkdtemp(prefix="gendoc-soffice-"))
    watchdog.send("path", str(folder))
    proc: subprocess.Popen | None = None

    def stop_soffice() -> None:
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                proc.kill()
            proc.wait()

    try:
        indir, outdir, profile, tmp = (folder / n for n in ("in", "out", "profile", "tmp"))
        for d in (indir, outdir, tmp):
            d.mkdir()
        names: dict[str, str] = {}
        staged, pages = [], []
        contents = [data] if isinstance(data, bytes) else data
        for n, src in enumerate(sources):
            original = src
            if contents is not None:
                original = tmp / src.name
                original.write_bytes(contents[n])
            copy = indir / src.name
            pages.append(_stage(original, copy))
            staged.append(copy)
            names.update({str(copy): str(src), copy.as_uri(): src.absolute().as_uri(),
                          str(outdir / f"{src.stem}.pdf"): str(src.with_suffix(".pdf"))})
        names[str(folder)] = "…"
        _write_profile(profile, soffice)
        fontconfig = folder / "fonts.conf"
        fontconfig.write_text(fonts.fontconfig_xml(), encoding="utf-8")
        limit = timeout if timeout is not None else default_timeout(pages)
        cmd = [
            *network_sandbox(), soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
            "--convert-to", pdf_filter,
            "--outdir", str(outdir),
            *(str(s) for s in staged),
        ]
        env = dict(os.environ, FONTCONFIG_FILE=str(fontconfig),
                   TMPDIR=str(tmp), TMP=str(tmp), TEMP=str(tmp))
        try:
            # own session: soffice gets no Ctrl-C from the terminal, and the whole group
            # (the soffice script, oosplash, soffice.bin) is killed as one
            proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, errors="replace", start_new_session=True)
        except OSError as exc:
            raise GendocError(f"无法运行 LibreOffice（{soffice}）：{exc}；{INSTALL_HINT}") from exc
        watchdog.send("group", proc.pid)
        try:
            out, err = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            stop_soffice()
            if len(sources) == 1:
                raise GendocError(f"LibreOffice 没能在 {limit:g} 秒内把它转换成 PDF；{TIMEOUT_HINT}",
                                  file=str(sources[0])) from None
            raise GendocError(f"LibreOffice 没能在 {limit:g} 秒内把 "
                              f"{'、'.join(str(s) for s in sources)} 转换成 PDF；{TIMEOUT_HINT}") from None
        watchdog.send("forget", proc.pid)
        pdfs = [outdir / f"{src.stem}.pdf" for src in sources]
        for src, produced in zip(sources, pdfs):
            if not produced.is_file() or produced.stat().st_size == 0:
                how = (f"被信号 {-proc.returncode} 终止" if proc.returncode < 0
                       else f"退出码 {proc.returncode}")
                raise GendocError(f"LibreOffice 没有生成 PDF（{how}）：{_tail(err or out, names)}",
                                  file=str(src))
        yield pdfs, watchdog
    finally:
        _uninterrupted(stop_soffice, lambda: _remove_all([folder]), watchdog.close)


def _require_soffice() -> str:
    soffice = soffice_path()
    if soffice is None:
        raise GendocError(f"找不到 LibreOffice（soffice），生成 PDF 需要它：{INSTALL_HINT}")
    return soffice


@contextlib.contextmanager
def converted(src: str | os.PathLike, *, data: bytes | None = None,
              timeout: float | None = None) -> Iterator[Path]:
    """Convert one document and yield its PDF, which lives in the conversion's private
    folder: use it (measure it, copy it) inside the ``with`` block. When the block ends,
    however it ends, the PDF, the folder and soffice are gone (after kill -9, through the
    watchdog), so callers need no temporary folder of their own.

    ``data``: the document's content when it is not (yet) written to ``src``; ``src`` then
    only names it in messages (give the real output file). ``timeout`` as for
    :func:`docx_to_pdf_many`.
    """
    src = Path(src)
    if data is None and not src.is_file():
        raise GendocError("找不到要转换成 PDF 的文件", file=str(src))
    with _conversion(_require_soffice(), [src], timeout, data) as (pdfs, _watchdog):
        yield pdfs[0]


def docx_to_pdf_many(srcs: Iterable[str | os.PathLike], out_dir: str | os.PathLike | None = None,
                     timeout: float | None = None) -> list[Path]:
    """Convert several .docx files with one soffice start-up; returns the PDFs in order.

    Each PDF is named ``<stem>.pdf`` and goes into ``out_dir`` (default: beside its source).
    ``timeout`` (seconds) applies to each soffice call; None scales it with the documents
    (:func:`default_timeout`). Sources sharing a stem need one call each. Raises
    :class:`GendocError` when LibreOffice is missing, times out, or produces no PDF for a
    source (the message carries the end of soffice's error output).
    """
    sources = [Path(s) for s in srcs]
    if not sources:
        return []
    for src in sources:
        if not src.is_file():
            raise GendocError("找不到要转换成 PDF 的文件", file=str(src))
    sources = [s.resolve() for s in sources]
    dests = []
    for src in sources:
        directory = Path(out_dir) if out_dir is not None else src.parent
        dests.append(directory.resolve() / f"{src.stem}.pdf")
    seen: dict[Path, Path] = {}
    for src, dest in zip(sources, dests):
        if dest in seen and seen[dest] != src:
            raise GendocError(f"{seen[dest]} 和 {src} 都会转换成 {dest}，请分开转换")
        seen[dest] = src
    soffice = _require_soffice()

    for dest in dests:
        dest.parent.mkdir(parents=True, exist_ok=True)

    # the same file twice converts once
    pairs = list(dict(zip(sources, dests)).items())
    for batch in _batches([src for src, _ in pairs]):
        with _conversion(soffice, [pairs[i][0] for i in batch], timeout) as (pdfs, watchdog):
            for produced, i in zip(pdfs, batch):
                _move_into_place(produced, pairs[i][1], watchdog)
    return dests


def docx_to_pdf(src: str | os.PathLike, out_dir: str | os.PathLike | None = None,
                timeout: float | None = None) -> Path:
    """Convert one .docx to ``<out_dir or src's directory>/<stem>.pdf`` and return its path.

    See :func:`docx_to_pdf_many` for the time limit and the errors raised.
    """
    return docx_to_pdf_many([src], out_dir, timeout)[0]
