"""LibreOffice under control (issue 7, part 5): nothing outlives a conversion, nothing is
fetched from outside the document, and time limits scale with the document.

Each test that runs soffice gives it a private TMPDIR, so "nothing left" is checkable: after
the run that folder is empty and no process names it on its command line. Processes are
found by reading /proc here, independently of gendoc's own code. Network tests serve HTTP on
127.0.0.1 at a random port and count every TCP connection that reaches it.
"""

from __future__ import annotations

import errno
import http.server
import io
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import pytest

from gendoc import pdf
from gendoc.errors import GendocError
from gendoc.pdf import docx_to_pdf, have_soffice

ROOT = Path(__file__).resolve().parent.parent

needs_soffice = pytest.mark.skipif(not have_soffice(), reason="LibreOffice (soffice) not installed")
needs_proc = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc")

# a child that converts like the command line: SIGTERM unwinds, interruptions exit 130/143
CHILD = """
import sys
from gendoc.pdf import Terminated, docx_to_pdf, terminate_on_sigterm
if sys.argv[3:] != ["plain"]:
    terminate_on_sigterm()
try:
    print(docx_to_pdf(sys.argv[1], sys.argv[2]), flush=True)
except KeyboardInterrupt as exc:
    sys.exit(143 if isinstance(exc, Terminated) else 130)
"""


# --- helpers ---------------------------------------------------------------------------

def wait_until(predicate, timeout: float, what: str):
    """Poll ``predicate`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)


def proc_files(name: str):
    """(pid, content of /proc/<pid>/<name>) for every process but this one."""
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                yield int(entry), Path(f"/proc/{entry}/{name}").read_bytes()
            except OSError:
                pass


def stat_fields(stat: bytes) -> list[bytes]:
    """The fields of /proc/<pid>/stat after the command name: state, ppid, …"""
    return stat[stat.rfind(b")") + 2:].split()


def processes_naming(text: str | os.PathLike) -> list[tuple[int, str]]:
    """Live processes whose command line contains ``text`` (zombies have none)."""
    needle = os.fsencode(text)
    return [(pid, cmdline.replace(b"\0", b" ").decode("utf-8", "replace"))
            for pid, cmdline in proc_files("cmdline") if needle in cmdline]


def soffice_bin_in(tmpdir: Path) -> list[tuple[int, str]]:
    return [p for p in processes_naming(tmpdir) if "soffice.bin" in p[1]]


def children_of_this_process() -> list[int]:
    return [pid for pid, stat in proc_files("stat")
            if int(stat_fields(stat)[1]) == os.getpid() and stat_fields(stat)[0] != b"Z"]


def nothing_left(tmpdir: Path) -> bool:
    return not list(tmpdir.iterdir()) and not processes_naming(tmpdir)


def assert_nothing_left(tmpdir: Path) -> None:
    assert list(tmpdir.iterdir()) == []
    assert processes_naming(tmpdir) == []


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """A private TMPDIR for this process's conversions (tempfile reads it lazily)."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
    return tmpdir


def big_plan(path: Path, items: int) -> Path:
    """A notice with ``items`` numbered items, 100 to a section (about 11 items a page)."""
    lines = ["schema_version: 1", "template: notice", "meta:", "  genre: 通知",
             "  title: 关于规模测试的通知", "  issuer:", "    name: 中共测试县卫生局委员会",
             "  recipients: [局属各单位]", "  date: 2014-02-28", "sections:"]
    for s in range((items + 99) // 100):
        lines += [f"  - heading: 第{s + 1}部分工作", "    items:"]
        for i in range(min(100, items - s * 100)):
            lines += [f"      - title: 第{i + 1}项",
                      f"        text: 第{s + 1}部分第{i + 1}项工作，各单位要认真落实各项措施，"
                      "明确责任人和完成时限，确保取得实效。"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def long_docx(tmp_path_factory) -> Path:
    """About 180 pages: LibreOffice needs a few seconds, time enough to interrupt it."""
    from gendoc.render import render_file
    folder = tmp_path_factory.mktemp("long")
    return render_file(big_plan(folder / "长文.yaml", 2000), folder / "长文.docx").docx


def copy_of(src: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / src.name
    dest.write_bytes(src.read_bytes())
    return dest


def start_child(args: list[str], tmpdir: Path, **kw) -> subprocess.Popen:
    env = dict(os.environ, TMPDIR=str(tmpdir))
    return subprocess.Popen([sys.executable, *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def interrupt_during_conversion(child: subprocess.Popen, tmpdir: Path, sig: int) -> None:
    """Send ``sig`` to ``child`` as soon as its soffice.bin runs."""
    wait_until(lambda: soffice_bin_in(tmpdir) or child.poll() is not None, 120, "soffice.bin")
    assert child.poll() is None, child.communicate()
    assert soffice_bin_in(tmpdir)
    os.kill(child.pid, sig)


# --- nothing outlives a run ------------------------------------------------------------

@needs_proc
@pytest.mark.libreoffice
@needs_soffice
@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupted_conversion_cleans_up_before_exiting(tmp_path, long_docx, sig, code):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    src = copy_of(long_docx, tmp_path / "out")
    child = start_child(["-c", CHILD, str(src), str(src.parent)], tmpdir)
    interrupt_during_conversion(child, tmpdir, sig)
    out, err = child.communicate(timeout=60)
    assert child.returncode == code, err
    # at once, not eventually: the conversion's finally did it before the process ended
    assert_nothing_left(tmpdir)
    assert sorted(p.name for p in src.parent.iterdir()) == [src.name]


@needs_proc
@pytest.mark.libreoffice
@needs_soffice
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_gendoc_leaves_no_soffice_and_no_folder(tmp_path, long_docx, sig):
    """kill -9 (no finally runs) and a SIGTERM nobody handles: the watchdog kills soffice
    and removes the folder once gendoc is gone."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    src = copy_of(long_docx, tmp_path / "out")
    child = start_child(["-c", CHILD, str(src), str(src.parent), "plain"], tmpdir)
    interrupt_during_conversion(child, tmpdir, sig)
    child.communicate(timeout=60)
    assert child.returncode == -sig
    wait_until(lambda: nothing_left(tmpdir), 30, "soffice and its folder to go")
    assert_nothing_left(tmpdir)
    assert sorted(p.name for p in src.parent.iterdir()) == [src.name]


@needs_proc
@pytest.mark.libreoffice
@needs_soffice
def test_killed_render_pdf_leaves_no_temporary_folder(tmp_path):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    plan = big_plan(tmp_path / "plan.yaml", 2000)
    out = tmp_path / "out"
    out.mkdir()
    child = start_child(["-m", "gendoc.cli", "render", str(plan), "-o", str(out / "通知.docx"),
                         "--pdf"], tmpdir)
    interrupt_during_conversion(child, tmpdir, signal.SIGKILL)
    child.communicate(timeout=60)
    wait_until(lambda: not processes_naming(tmpdir), 30, "soffice to go")
    wait_until(lambda: nothing_left(tmpdir), 5, "the temporary folders to go")
    assert not list(out.glob("*.pdf*")), list(out.iterdir())


@needs_proc
@pytest.mark.libreoffice
@needs_soffice
def test_normal_conversion_leaves_nothing_and_no_child(tmp_path, private_tmp):
    src = make_docx(tmp_path / "通知.docx")
    out = docx_to_pdf(src)
    assert out == tmp_path / "通知.pdf" and out.read_bytes().startswith(b"%PDF")
    assert_nothing_left(private_tmp)
    assert children_of_this_process() == []  # the watchdog is gone too


@pytest.mark.libreoffice
@needs_soffice
@pytest.mark.parametrize("other_filesystem", [False, True])
def test_pdf_mode_follows_the_umask(tmp_path, private_tmp, monkeypatch, other_filesystem):
    if other_filesystem:  # the PDF is copied beside its destination, then renamed
        real_replace = os.replace

        def replace(src, dst):
            if str(private_tmp) in str(src):
                raise OSError(errno.EXDEV, "Invalid cross-device link")
            return real_replace(src, dst)
        monkeypatch.setattr(os, "replace", replace)
    old = os.umask(0o022)
    try:
        out = docx_to_pdf(make_docx(tmp_path / "a.docx"), tmp_path / "out")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert sorted(p.name for p in out.parent.iterdir()) == ["a.pdf"]
    assert_nothing_left(private_tmp)


@needs_proc
@pytest.mark.libreoffice
@needs_soffice
def test_soffice_killed_from_outside_is_an_error_naming_the_real_file(tmp_path, private_tmp,
                                                                       long_docx):
    src = copy_of(long_docx, tmp_path / "docs")
    killed: list[int] = []

    def killer():
        found = wait_until(lambda: soffice_bin_in(private_tmp), 120, "soffice.bin")
        for pid, _ in found:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    with pytest.raises(GendocError) as info:
        docx_to_pdf(src)
    thread.join(10)
    assert killed
    message = info.value.located()
    assert message.startswith(f"{src}: LibreOffice 没有生成 PDF"), message
    assert "gendoc-soffice" not in message and str(private_tmp) not in message
    assert not (src.parent / "长文.pdf").exists()
    assert_nothing_left(private_tmp)


@needs_proc
@pytest.mark.libreoffice
@needs_soffice
def test_explicit_timeout_kills_soffice_and_says_how_to_raise_it(tmp_path, private_tmp,
                                                                  long_docx):
    src = copy_of(long_docx, tmp_path / "docs")
    previous = b"%PDF- an earlier good PDF"
    (src.parent / "长文.pdf").write_bytes(previous)
    with pytest.raises(GendocError) as info:
        docx_to_pdf(src, timeout=1.5)
    message = info.value.located()
    assert message.startswith(f"{src}: LibreOffice 没能在 1.5 秒内"), message
    assert "--timeout 秒数" in message
    assert (src.parent / "长文.pdf").read_bytes() == previous
    assert sorted(p.name for p in src.parent.iterdir()) == ["长文.docx", "长文.pdf"]
    assert_nothing_left(private_tmp)


# --- the watchdog on its own -----------------------------------------------------------

def _sleeper(folder: Path, new_session: bool) -> subprocess.Popen:
    """A process that names ``folder`` on its command line, as soffice does its profile."""
    return subprocess.Popen(["sh", "-c", 'sleep 300; : "$0"', f"{folder}/profile"],
                            start_new_session=new_session)


@needs_proc
def test_watchdog_cleans_up_when_gendoc_dies(tmp_path):
    folder = tmp_path / "gendoc-soffice-x"
    (folder / "profile").mkdir(parents=True)
    stray = tmp_path / ".x.pdf.tmp"
    stray.write_bytes(b"")
    group = _sleeper(tmp_path / "elsewhere", new_session=True)   # found by its group
    named = _sleeper(folder, new_session=True)                    # found by its command line
    watchdog = pdf._Watchdog()
    try:
        watchdog.send("path", str(folder))
        watchdog.send("path", str(stray))
        watchdog.send("group", group.pid)
        # what the kernel does when gendoc dies: the write end closes without "done"
        os.close(watchdog._fd)
        watchdog._fd = None
        assert group.wait(timeout=30) == -signal.SIGKILL
        assert named.wait(timeout=30) == -signal.SIGKILL
        watchdog.proc.wait(timeout=30)
        assert not folder.exists() and not stray.exists()
    finally:
        for p in (group, named):
            if p.poll() is None:
                p.kill()
                p.wait()


@needs_proc
def test_watchdog_leaves_everything_alone_after_done_and_ignores_ctrl_c(tmp_path):
    folder = tmp_path / "kept"
    folder.mkdir()
    sleeper = _sleeper(folder, new_session=True)
    watchdog = pdf._Watchdog()
    try:
        watchdog.send("path", str(folder))
        watchdog.send("group", sleeper.pid)
        watchdog.send("forget", sleeper.pid)
        wait_until(lambda: _read_everything(watchdog), 30, "the watchdog to read its orders")
        os.kill(watchdog.proc.pid, signal.SIGINT)   # Ctrl-C is meant for gendoc
        watchdog.send("path", str(tmp_path / "later"))
        assert watchdog.proc.poll() is None
        watchdog.close()
        assert watchdog.proc.returncode == 0
        assert folder.is_dir() and sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()


def _read_everything(watchdog) -> bool:
    """True once the watchdog has read all that was sent and waits for more."""
    import fcntl
    import termios

    unread = fcntl.ioctl(watchdog._fd, termios.FIONREAD, b"\0\0\0\0")
    if int.from_bytes(unread, sys.byteorder) != 0:
        return False
    return stat_fields(Path(f"/proc/{watchdog.proc.pid}/stat").read_bytes())[0] == b"S"


@needs_proc
def test_watchdog_cleans_up_on_sigterm(tmp_path):
    """SIGTERM to everything (a service being stopped) reaches the watchdog too."""
    folder = tmp_path / "gendoc-soffice-y"
    folder.mkdir()
    sleeper = _sleeper(tmp_path / "elsewhere", new_session=True)
    watchdog = pdf._Watchdog()
    try:
        watchdog.send("path", str(folder))
        watchdog.send("group", sleeper.pid)
        wait_until(lambda: _read_everything(watchdog), 30, "the watchdog to read its orders")
        os.kill(watchdog.proc.pid, signal.SIGTERM)
        assert watchdog.proc.wait(timeout=30) == 0
        assert sleeper.wait(timeout=30) == -signal.SIGKILL
        assert not folder.exists()
    finally:
        watchdog.close()
        if sleeper.poll() is None:
            sleeper.kill()
            sleeper.wait()


def test_terminate_on_sigterm_raises_terminated_and_respects_ignored_signals(monkeypatch):
    installed = {}
    monkeypatch.setattr(pdf.signal, "signal", lambda sig, handler: installed.__setitem__(sig, handler))
    ignored = {signal.SIGHUP}
    monkeypatch.setattr(pdf.signal, "getsignal",
                        lambda sig: signal.SIG_IGN if sig in ignored else signal.SIG_DFL)
    pdf.terminate_on_sigterm()
    assert set(installed) == {signal.SIGTERM}
    with pytest.raises(KeyboardInterrupt) as info:
        installed[signal.SIGTERM](signal.SIGTERM, None)
    assert isinstance(info.value, pdf.Terminated)


def test_cleanup_finishes_every_step_through_a_second_interruption():
    class Stop(BaseException):  # the command line's own SIGTERM exception, say
        pass

    done, tries = [], []

    def interrupted_once():
        tries.append(1)
        if len(tries) == 1:
            raise Stop()
        done.append("kill soffice")

    def failing():
        raise OSError("disk gone")

    with pytest.raises(Stop):
        pdf._uninterrupted(interrupted_once, failing, lambda: done.append("remove folder"))
    assert done == ["kill soffice", "remove folder"]
    with pytest.raises(OSError):
        pdf._uninterrupted(failing, lambda: done.append("again"))
    assert done[-1] == "again"


# --- time limits ---------------------------------------------------------------------------

def test_default_timeout_scales_with_a_1600_page_plan(tmp_path):
    from gendoc.render import render_file
    small = render_file(ROOT / "tests" / "plans" / "minimal.yaml", tmp_path / "small.docx")
    big = render_file(big_plan(tmp_path / "big.yaml", 17500), tmp_path / "big.docx")
    assert 1500 <= big.layout.pages <= 1700
    small_pages = pdf._stage(small.docx, tmp_path / "s.docx")
    big_pages = pdf._stage(big.docx, tmp_path / "b.docx")
    assert 1 <= small_pages <= 3
    # the estimate may be high, never much lower than the real page count
    assert 0.9 * big.layout.pages <= big_pages <= 1.5 * big.layout.pages
    assert pdf.default_timeout([small_pages]) < 61
    # LibreOffice took 35 s for these 1,600 pages here; a fixed 180 s is not enough margin
    assert pdf.default_timeout([big_pages]) >= 400
    assert pdf.default_timeout([big_pages, small_pages]) > pdf.default_timeout([big_pages])


def test_explicit_timeout_is_used_and_default_scales(tmp_path, monkeypatch):
    """The limit handed to soffice's communicate(): the option when given, else the scale."""
    src = make_docx(tmp_path / "a.docx")
    seen = []

    class FakePopen:
        def __init__(self, cmd, **kw):
            self.pid, self.returncode = os.getpid(), 0
            self.outdir = Path(cmd[cmd.index("--outdir") + 1])

        def communicate(self, timeout=None):
            seen.append(timeout)
            (self.outdir / "a.pdf").write_bytes(b"%PDF-1.4 fake")
            return "", ""

        def poll(self):
            return 0

    monkeypatch.setattr(pdf, "soffice_path", lambda: "/bin/true")
    monkeypatch.setattr(pdf.subprocess, "Popen", FakePopen)
    monkeypatch.setattr(pdf, "_Watchdog", _NoWatchdog)
    docx_to_pdf(src, tmp_path / "x", timeout=7)
    docx_to_pdf(src, tmp_path / "y")
    assert seen == [7, pdf.default_timeout([1])]


class _NoWatchdog:
    proc = None

    def send(self, *message):
        pass

    def close(self):
        pass


# --- no network, nothing external ----------------------------------------------------------

R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def make_docx(path: Path, body: str = "", rels: str = "", settings_rels: str = "") -> Path:
    """A python-docx document with one paragraph of text, ``body`` XML before the section
    properties and extra relationships."""
    from docx import Document

    buf = io.BytesIO()
    doc = Document()
    doc.add_paragraph("外部链接测试正文")
    doc.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    document = parts["word/document.xml"].decode("utf-8")
    parts["word/document.xml"] = document.replace("<w:sectPr", body + "<w:sectPr", 1).encode()
    relationships = parts["word/_rels/document.xml.rels"].decode("utf-8")
    parts["word/_rels/document.xml.rels"] = relationships.replace(
        "</Relationships>", rels + "</Relationships>").encode()
    if settings_rels:
        settings = parts["word/settings.xml"].decode("utf-8")
        settings = re.sub(r"(<w:settings\b[^>]*>)", r'\1<w:attachedTemplate r:id="rIdT1"/>',
                          settings, count=1)
        if "xmlns:r=" not in settings:
            settings = settings.replace("<w:settings ", f'<w:settings xmlns:r="{R}" ', 1)
        parts["word/settings.xml"] = settings.encode()
        parts["word/_rels/settings.xml.rels"] = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{settings_rels}</Relationships>").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def _rel(rid: str, kind: str, target: str) -> str:
    return (f'<Relationship Id="{rid}" Type="{R}/{kind}" Target="{target}" '
            'TargetMode="External"/>')


def _field(instruction_parts: list[str], result: str) -> str:
    instr = "".join(f'<w:r><w:instrText xml:space="preserve">{p}</w:instrText></w:r>'
                    for p in instruction_parts)
    return (f'<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>{instr}'
            f'<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>{result}</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')


def _linked_picture(rid: str) -> str:
    """A DrawingML picture whose image is the relationship ``rid`` (``r:link``)."""
    return (
        '<w:p><w:r><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0">'
        '<wp:extent cx="952500" cy="952500"/><wp:docPr id="1" name="p"/>'
        '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:nvPicPr><pic:cNvPr id="1" name="p"/><pic:cNvPicPr/></pic:nvPicPr>'
        f'<pic:blipFill><a:blip r:link="{rid}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
        '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="952500" cy="952500"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic>'
        '</a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>')


def hostile_docx(path: Path, url: str) -> Path:
    """External image (DrawingML, VML, and one behind a relationship that calls itself a
    hyperlink), linked OLE object, subdocument, altChunk, attached template, INCLUDEPICTURE
    (whole, split across runs, simple), INCLUDETEXT, LINK, and a hyperlink and a PAGE field
    that must survive."""
    drawing = _linked_picture("rIdX1") + _linked_picture("rIdE")
    vml = ('<w:p><w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml" id="s1" '
           'style="width:50pt;height:50pt"><v:imagedata r:id="rIdX2"/></v:shape></w:pict></w:r></w:p>')
    ole = ('<w:p><w:r><w:object w:dxaOrig="1000" w:dyaOrig="1000">'
           '<v:shape xmlns:v="urn:schemas-microsoft-com:vml" id="o1" style="width:50pt;height:50pt"/>'
           '<o:OLEObject xmlns:o="urn:schemas-microsoft-com:office:office" Type="Link" '
           'ProgID="Excel.Sheet.12" ShapeID="o1" DrawAspect="Content" r:id="rIdX3" '
           'UpdateMode="Always"/></w:object></w:r></w:p>')
    body = (drawing + vml + ole
            + _field([f' INCLUDEPICTURE "{url}/includepicture.png" \\d '], "图一")
            + _field([" INCLU", f'DEPICTURE "{url}/split.png" '], "图二")
            + f'<w:p><w:fldSimple w:instr=" INCLUDEPICTURE &quot;{url}/simple.png&quot; ">'
              '<w:r><w:t>图三</w:t></w:r></w:fldSimple></w:p>'
            + _field([f' INCLUDETEXT "{url}/text.docx" '], "引文")
            + _field([f' LINK Excel.Sheet.12 "{url}/link.xlsx" "Sheet1!R1C1" \\a '], "链接")
            + _field([" PAGE "], "1")
            + '<w:p><w:subDoc r:id="rIdX4"/></w:p><w:altChunk r:id="rIdX5"/>'
            + '<w:p><w:hyperlink r:id="rIdH"><w:r><w:t>超链接</w:t></w:r></w:hyperlink></w:p>')
    rels = (_rel("rIdX1", "image", f"{url}/drawing.png")
            + _rel("rIdX2", "image", f"{url}/vml.png")
            + _rel("rIdX3", "oleObject", f"{url}/ole.xlsx")
            + _rel("rIdX4", "subDocument", f"{url}/sub.docx")
            + _rel("rIdX5", "aFChunk", f"{url}/chunk.html")
            + _rel("rIdE", "hyperlink", f"{url}/evasion.png")
            + _rel("rIdH", "hyperlink", f"{url}/clicked-only"))
    return make_docx(path, body, rels, _rel("rIdT1", "attachedTemplate", f"{url}/t.dotx"))


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        self.connections: list[tuple] = []
        self.paths: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def handle_one_request(handler):
                super().handle_one_request()
                if getattr(handler, "path", None):
                    self.paths.append(handler.path)

            def do_GET(handler):
                handler.send_response(404)
                handler.end_headers()

            do_HEAD = do_OPTIONS = do_PROPFIND = do_POST = do_GET

            def log_message(handler, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    def verify_request(self, request, client_address):
        self.connections.append(client_address)  # any connection counts, HTTP or not
        return True


@pytest.fixture
def server():
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def _url(srv) -> str:
    return f"http://127.0.0.1:{srv.server_address[1]}"


def hostile_documents(tmp_path: Path, server) -> list[Path]:
    """A .docx and an .odt that reach for ``server``, converted in one soffice call."""
    return [hostile_docx(tmp_path / "外来.docx", _url(server)),
            hostile_odt(tmp_path / "外来文稿.odt", _url(server))]


def _pdf_text(path: Path) -> str:
    import pdfplumber

    with pdfplumber.open(path) as doc:
        return "".join(page.extract_text() or "" for page in doc.pages)


def _unprotected(monkeypatch, keep: str | None = None) -> None:
    """Switch off every protection but ``keep`` ("staging", "profile" or "netns")."""
    if keep != "staging":
        def plain_copy(src, dest):
            dest.write_bytes(Path(src).read_bytes())
            return 1
        monkeypatch.setattr(pdf, "_stage", plain_copy)
    if keep != "profile":
        monkeypatch.setattr(pdf, "PROFILE_SETTINGS", ())
    if keep != "netns":
        monkeypatch.setattr(pdf, "network_sandbox", lambda: [])


@pytest.mark.libreoffice
@needs_soffice
def test_verify_of_a_document_with_external_links_makes_no_request(tmp_path, server):
    outs = pdf.docx_to_pdf_many(hostile_documents(tmp_path, server), tmp_path / "out")
    for out in outs:
        text = _pdf_text(out)
        assert "外部链接测试正文" in text and "超链接" in text
    assert server.connections == [] and server.paths == []


@pytest.mark.libreoffice
@needs_soffice
def test_without_protection_libreoffice_does_fetch(tmp_path, server, monkeypatch):
    """Guards the tests around it: the server sees LibreOffice when nothing stops it."""
    _unprotected(monkeypatch)
    pdf.docx_to_pdf_many(hostile_documents(tmp_path, server), tmp_path / "out")
    assert server.connections, "LibreOffice fetched nothing even unprotected"
    for path in ("/drawing.png", "/evasion.png", "/odt.png"):
        assert path in server.paths


@pytest.mark.libreoffice
@needs_soffice
@pytest.mark.parametrize("layer", ["staging", "profile", "netns"])
def test_each_protection_alone_stops_the_request(tmp_path, server, monkeypatch, layer):
    if layer == "netns" and not pdf.network_sandbox():
        pytest.skip("unshare cannot make a network namespace here")
    _unprotected(monkeypatch, keep=layer)
    for out in pdf.docx_to_pdf_many(hostile_documents(tmp_path, server), tmp_path / "out"):
        assert "外部链接测试正文" in _pdf_text(out)
    assert server.connections == []


def _staged(src: Path, tmp_path: Path) -> dict[str, bytes]:
    dest = tmp_path / "staged" / src.name
    dest.parent.mkdir()
    pdf._stage(src, dest)
    with zipfile.ZipFile(dest) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_staging_removes_external_references_and_keeps_the_rest(tmp_path):
    from lxml import etree

    url = "http://127.0.0.1:9"
    parts = _staged(hostile_docx(tmp_path / "外来.docx", url), tmp_path)
    rels = etree.fromstring(parts["word/_rels/document.xml.rels"])
    external = [(r.get("Id"), r.get("Type").rsplit("/", 1)[-1]) for r in rels
                if r.get("TargetMode") == "External"]
    assert external == [("rIdH", "hyperlink")]
    assert b"External" not in parts["word/_rels/settings.xml.rels"]
    document = etree.fromstring(parts["word/document.xml"])
    instructions = "".join(e.text or "" for e in document.iter(f"{{{W_NS}}}instrText"))
    assert instructions.strip() == "PAGE"
    assert not list(document.iter(f"{{{W_NS}}}fldSimple"))
    text = "".join(e.text or "" for e in document.iter(f"{{{W_NS}}}t"))
    for kept in ("外部链接测试正文", "图一", "图二", "图三", "引文", "链接", "超链接"):
        assert kept in text
    assert url.encode() not in parts["word/document.xml"]


def test_staging_copies_a_clean_document_byte_for_byte(tmp_path):
    src = make_docx(tmp_path / "干净.docx", _field([" PAGE "], "1"))
    dest = tmp_path / "copy.docx"
    pdf._stage(src, dest)
    assert dest.read_bytes() == src.read_bytes()


def hostile_odt(path: Path, url: str) -> Path:
    """An .odt with a remote image, a linked section, an image outside the package, and a
    hyperlink and an image inside the package that must survive."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
        'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" office:version="1.2"><office:body><office:text>'
        '<text:p>外部链接测试正文<text:a xlink:href="http://example.org/read">超链接</text:a></text:p>'
        '<text:p><draw:frame svg:width="2cm" svg:height="2cm" text:anchor-type="as-char">'
        f'<draw:image xlink:href="{url}/odt.png" xlink:type="simple" xlink:show="embed"/></draw:frame>'
        '<draw:frame><draw:image xlink:href="Pictures/inside.png"/></draw:frame>'
        '<draw:frame><draw:image xlink:href="../outside.png"/></draw:frame></text:p>'
        f'<text:section text:name="s"><text:section-source xlink:href="{url}/section.odt"/>'
        '<text:p>节</text:p></text:section>'
        '</office:text></office:body></office:document-content>')
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.text"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        '</manifest:manifest>')
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("META-INF/manifest.xml", manifest)
        z.writestr("content.xml", content)
    return path


def test_staging_neutralises_odf_links(tmp_path):
    url = "http://127.0.0.1:9"
    parts = _staged(hostile_odt(tmp_path / "外来.odt", url), tmp_path)
    assert list(parts) == ["mimetype", "META-INF/manifest.xml", "content.xml"]
    staged = parts["content.xml"].decode("utf-8")
    assert "http://example.org/read" in staged and "Pictures/inside.png" in staged
    for gone in (url, "outside.png", "section-source"):
        assert gone not in staged
    assert "节" in staged


def test_profile_forbids_links_and_macros(tmp_path):
    pdf._write_profile(tmp_path / "profile", pdf.soffice_path() or "/nonexistent/soffice")
    got = _profile_values(tmp_path / "profile")
    scripting = "/org.openoffice.Office.Common/Security/Scripting"
    assert got[("/org.openoffice.Office.Writer/Content/Update", "Link")] == "0"
    assert got[(scripting, "BlockUntrustedRefererLinks")] == "true"
    assert got[(scripting, "DisableMacrosExecution")] == "true"
    assert got[(scripting, "MacroSecurityLevel")] == "3"


@needs_soffice
def test_profile_carries_the_build_id_so_soffice_does_not_restart(tmp_path):
    versionrc = Path(os.path.realpath(pdf.soffice_path())).parent / "versionrc"
    if not versionrc.is_file():
        pytest.skip("no versionrc beside soffice")
    expected = re.search(r"^buildid=(.+)$", versionrc.read_text(), re.M).group(1).strip()
    pdf._write_profile(tmp_path / "profile", pdf.soffice_path())
    assert (tmp_path / "profile/user/extensions/buildid").read_text() == expected


def _profile_values(profile: Path) -> dict:
    from lxml import etree

    root = etree.parse(str(profile / "user" / "registrymodifications.xcu")).getroot()
    oor = "{http://openoffice.org/2001/registry}"
    return {(item.get(f"{oor}path"), prop.get(f"{oor}name")): prop.findtext("value")
            for item in root for prop in item}


def test_profile_names_the_installed_version_read_from_main_xcd(tmp_path):
    program = tmp_path / "lo" / "program"
    program.mkdir(parents=True)
    (program / "soffice").write_text("")
    registry = tmp_path / "lo" / "share" / "registry"
    registry.mkdir(parents=True)
    (registry / "main.xcd").write_text(
        '<oor:data><prop oor:name="ooSetupVersion">\n  <value>24.8</value>\n</prop>'
        '<prop oor:name="ooSetupVersionAboutBox"><value>24.8.2.1</value></prop></oor:data>')
    pdf._write_profile(tmp_path / "profile", str(program / "soffice"))
    got = _profile_values(tmp_path / "profile")
    assert got[("/org.openoffice.Setup/Product", "ooSetupLastVersion")] == "24.8"
    # no installation found: the profile goes without it, and soffice still starts
    pdf._write_profile(tmp_path / "profile2", str(tmp_path / "nowhere" / "soffice"))
    assert ("/org.openoffice.Setup/Product", "ooSetupLastVersion") not in _profile_values(
        tmp_path / "profile2")


@pytest.mark.libreoffice
@needs_soffice
def test_conversion_skips_libreoffice_s_graphics_self_test(tmp_path, private_tmp, monkeypatch):
    """A profile that looks freshly upgraded makes soffice draw its graphics self-test
    (1.2-1.3 s a call here); it leaves GraphicsRenderTests.log in the profile."""
    src = make_docx(tmp_path / "文.docx", "<w:p><w:r><w:t>正文</w:t></w:r></w:p>")
    seen = []
    remove_all = pdf._remove_all

    def look_first(paths, groups=()):
        for p in paths:
            user = Path(p) / "profile" / "user"
            if user.is_dir():
                seen.append((user / "registrymodifications.xcu").is_file()
                            and not (user / "GraphicsRenderTests.log").exists())
        remove_all(paths, groups)

    monkeypatch.setattr(pdf, "_remove_all", look_first)
    version = pdf._product_version(pdf.soffice_path())
    assert version and re.fullmatch(r"\d+\.\d+", version)
    docx_to_pdf(src, tmp_path / "out")
    assert seen == [True]
    assert (tmp_path / "out" / "文.pdf").read_bytes().startswith(b"%PDF")
    assert_nothing_left(private_tmp)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="network namespaces are Linux")
def test_network_sandbox_has_no_network_when_available():
    prefix = pdf.network_sandbox()
    if not prefix:
        pytest.skip("unshare cannot make a network namespace here")
    probe = ("import socket, sys\n"
             "s = socket.socket()\n"
             "s.settimeout(5)\n"
             "try:\n    s.connect(('127.0.0.1', 9))\nexcept OSError as e:\n"
             "    sys.exit(0 if e.errno == 101 else 1)\n"  # ENETUNREACH: not even loopback
             "sys.exit(1)\n")
    assert subprocess.run([*prefix, sys.executable, "-c", probe], timeout=30).returncode == 0


# --- messages in Chinese, naming the real file ---------------------------------------------

def test_messages_in_chinese(tmp_path, monkeypatch):
    with pytest.raises(GendocError, match="找不到要转换成 PDF 的文件"):
        docx_to_pdf(tmp_path / "没有.docx")
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    for d in ("x", "y"):
        (tmp_path / d / "doc.docx").write_bytes(b"")
    with pytest.raises(GendocError, match="都会转换成"):
        pdf.docx_to_pdf_many([tmp_path / "x" / "doc.docx", tmp_path / "y" / "doc.docx"],
                             tmp_path / "out")
    monkeypatch.setattr(pdf, "soffice_path", lambda: None)
    with pytest.raises(GendocError) as info:
        docx_to_pdf(tmp_path / "x" / "doc.docx")
    message = str(info.value)
    assert message.startswith("找不到 LibreOffice（soffice）")
    assert "libreoffice-writer-nogui" in message and "install-deps.sh" in message


@pytest.mark.libreoffice
@needs_soffice
def test_damaged_docx_error_names_the_real_file_not_a_temporary_one(tmp_path, private_tmp):
    src = tmp_path / "坏文件.docx"
    src.write_bytes(b"PK\x03\x04 this is not a zip archive")
    with pytest.raises(GendocError) as info:
        docx_to_pdf(src)
    message = info.value.located()
    assert message.startswith(f"{src}: LibreOffice 没有生成 PDF（退出码"), message
    assert "could not be loaded" in message  # soffice's own line
    assert "gendoc-soffice" not in message and str(private_tmp) not in message
    assert not (tmp_path / "坏文件.pdf").exists()
    assert_nothing_left(private_tmp)


# --- converted(): a PDF to use inside a with block, nothing of it after ----------------------

@needs_proc
@pytest.mark.libreoffice
@needs_soffice
def test_converted_pdf_lives_only_inside_the_block(tmp_path, private_tmp):
    src = make_docx(tmp_path / "通知.docx")
    with pdf.converted(src) as out:
        assert out.name == "通知.pdf" and out.read_bytes().startswith(b"%PDF")
        assert "外部链接测试正文" in _pdf_text(out)
        assert processes_naming(private_tmp) == []  # soffice is done; only the PDF waits
    assert not out.exists()
    assert_nothing_left(private_tmp)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp", "通知.docx"]


@needs_proc
@pytest.mark.libreoffice
@needs_soffice
def test_converted_from_bytes_names_the_file_it_will_be(tmp_path, private_tmp):
    target = tmp_path / "要写的.docx"
    good = make_docx(tmp_path / "good.docx").read_bytes()
    with pdf.converted(target, data=good) as out:
        assert out.name == "要写的.pdf" and out.read_bytes().startswith(b"%PDF")
    with pytest.raises(GendocError) as info:
        with pdf.converted(target, data=b"PK\x03\x04 broken"):
            pytest.fail("no PDF expected")
    message = info.value.located()
    assert message.startswith(f"{target}: LibreOffice 没有生成 PDF"), message
    assert "gendoc-soffice" not in message and str(private_tmp) not in message
    assert not target.exists()
    assert_nothing_left(private_tmp)
