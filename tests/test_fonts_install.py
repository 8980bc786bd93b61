"""`gendoc fonts --install`: the clerk's own LibreOffice and WPS, outside gendoc.

Every test runs with HOME and XDG_CONFIG_HOME pointing into a fresh tmp folder, so the real
user's configuration is never read or changed. The user-level fontconfig file must make a
plain `soffice --convert-to pdf` (no FONTCONFIG_FILE) render 仿宋_GB2312 as FandolFang, and
the PDF must pass `gendoc verify`. Tests that need a stand-in font skip when it is missing,
except under CI=true (then install-deps.sh is broken and they fail), as in test_fonts_pdf.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from gendoc import fonts
from gendoc.errors import GendocError
from gendoc.fonts import (STANDARD_FONTS, font_element_xml, font_table_entries,
                          install_libreoffice_settings, install_user_aliases, install_user_setup,
                          libreoffice_settings_state, user_aliases_line, user_aliases_path,
                          user_aliases_state, user_fontconfig_xml, user_setup_lines)
from gendoc.outputs import current_umask
from gendoc.pdf import have_soffice, soffice_path

from test_fonts_pdf import pdf_fonts, require_fonts

ROOT = Path(__file__).resolve().parent.parent
needs_fc = pytest.mark.skipif(shutil.which("fc-match") is None, reason="fontconfig (fc-match) not installed")
needs_soffice = pytest.mark.skipif(not have_soffice(), reason="LibreOffice (soffice) not installed")


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh user home: HOME and XDG_CONFIG_HOME in tmp, no FONTCONFIG_FILE."""
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("HOME", str(h))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(h / ".config"))
    for var in ("FONTCONFIG_FILE", "FONTCONFIG_PATH", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        monkeypatch.delenv(var, raising=False)
    return h


def _plain_env(h: Path) -> dict[str, str]:
    """What a clerk's shell has: their HOME, no gendoc FONTCONFIG_FILE."""
    env = {k: v for k, v in os.environ.items() if k not in ("FONTCONFIG_FILE", "FONTCONFIG_PATH")}
    env.update(HOME=str(h), XDG_CONFIG_HOME=str(h / ".config"))
    return env


# --- the user-level file -----------------------------------------------------------------

def test_user_file_is_a_conf_d_snippet_with_the_same_rules():
    xml = user_fontconfig_xml()
    root = ET.fromstring(xml.encode("utf-8"))
    assert root.tag == "fontconfig"
    # rules only: it is read from inside the system's fonts.conf, so it includes nothing
    assert {child.tag for child in root} <= {"alias", "match", "description"}
    assert root.find("include") is None and "<include" not in xml
    # exactly the rules gendoc's own conversions use
    ours = ET.fromstring(fonts.fontconfig_xml().encode("utf-8"))
    rules = [ET.tostring(c) for c in ours if c.tag in ("alias", "match")]
    assert [ET.tostring(c) for c in root if c.tag in ("alias", "match")] == rules
    assert "--install" in root.findtext("description")


def test_path_follows_xdg_config_home(home, monkeypatch):
    assert user_aliases_path() == home / ".config/fontconfig/conf.d/60-gendoc-standard-fonts.conf"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "elsewhere"))
    assert user_aliases_path() == home / "elsewhere/fontconfig/conf.d" / fonts.USER_CONF_NAME
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert user_aliases_path() == home / ".config/fontconfig/conf.d" / fonts.USER_CONF_NAME
    other = home / "other"
    assert user_aliases_path(other) == other / ".config/fontconfig/conf.d" / fonts.USER_CONF_NAME


def test_missing_installed_outdated_and_idempotent(home):
    path = user_aliases_path()
    assert user_aliases_state() == "missing"
    assert "未设置：运行 gendoc fonts --install" in user_aliases_line()

    assert install_user_aliases() == path
    assert user_aliases_state() == "installed"
    assert path.read_text(encoding="utf-8") == user_fontconfig_xml()
    assert path.stat().st_mode & 0o777 == 0o666 & ~current_umask()
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temporary files

    # a second install changes nothing, not even the file's time
    before = path.stat()
    assert install_user_aliases() == path
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    # edited (or written by another gendoc version): outdated, and install puts it right
    path.write_text(user_fontconfig_xml().replace("FandolFang", "SomethingElse"), encoding="utf-8")
    assert user_aliases_state() == "outdated"
    assert "已过时" in user_aliases_line() and "gendoc fonts --install" in user_aliases_line()
    install_user_aliases()
    assert user_aliases_state() == "installed"
    assert path.read_text(encoding="utf-8") == user_fontconfig_xml()

    # an earlier file under another number is outdated too, and replaced
    path.unlink()
    old = path.parent / "50-gendoc-standard-fonts.conf"
    old.write_text("<fontconfig/>", encoding="utf-8")
    assert user_aliases_state() == "outdated"
    install_user_aliases()
    assert not old.exists() and user_aliases_state() == "installed"


def test_explicit_home(tmp_path, home):
    other = tmp_path / "other-home"
    path = install_user_aliases(other)
    assert path == other / ".config/fontconfig/conf.d" / fonts.USER_CONF_NAME
    assert user_aliases_state(other) == "installed"
    assert user_aliases_state() == "missing"  # the current user's home untouched


def test_install_without_fc_cache(home, monkeypatch):
    real_which = shutil.which
    monkeypatch.setattr(fonts.shutil, "which",
                        lambda name, *a, **k: None if name == "fc-cache" else real_which(name, *a, **k))
    install_user_aliases()
    assert user_aliases_state() == "installed"


def test_unwritable_config_is_one_chinese_error(home):
    if os.geteuid() == 0:
        pytest.skip("root writes everywhere")
    (home / ".config").mkdir()
    (home / ".config").chmod(0o500)
    try:
        with pytest.raises(GendocError, match="无法建立文件夹"):
            install_user_aliases()
    finally:
        (home / ".config").chmod(0o700)


@needs_fc
@pytest.mark.parametrize("name, family, bold", [
    ("仿宋_GB2312", "FandolFang", False),
    ("FangSong", "FandolFang", False),
    ("楷体_GB2312", "FandolKai", False),
    ("黑体", "Noto Sans CJK SC", False),
    ("宋体", "Noto Serif CJK SC", False),
    ("方正小标宋简体", "Noto Serif CJK SC", True),
    ("Times New Roman", "Liberation Serif", False),
])
def test_fc_match_under_the_fresh_home(home, name, family, bold):
    require_fonts(family)
    env = _plain_env(home)

    def match(query: str) -> tuple[str, str, str]:
        proc = subprocess.run(["fc-match", "-f", "%{family[0]}|%{style[0]}", query], env=env,
                              capture_output=True, text=True, check=True)
        return (*proc.stdout.split("|", 1), proc.stderr)

    if STANDARD_FONTS.get(name, {}).get("cjk"):
        # guards the test: the mapping comes from the installed file, not the system
        assert match(name)[0] != family or bold and match(name)[1] != "Bold"
    install_user_aliases()
    for query in (name, f"{name}:lang=zh-cn"):
        got, style, stderr = match(query)
        assert got == family, (query, got)
        assert "Fontconfig error" not in stderr, stderr
        if bold:
            assert style == "Bold", (query, style)


@needs_fc
def test_line_says_installed_and_effective(home):
    require_fonts("FandolFang")
    assert fonts.user_aliases_effective() is False
    install_user_aliases()
    line = user_aliases_line()
    assert line == ("本用户的 LibreOffice/WPS 字体替代：已设置"
                    "（~/.config/fontconfig/conf.d/60-gendoc-standard-fonts.conf）"), line
    assert fonts.user_aliases_effective() is True


@needs_fc
def test_line_says_when_fontconfig_does_not_read_it(home, monkeypatch):
    install_user_aliases()
    # an empty XDG_CONFIG_HOME: fontconfig then reads no user configuration at all
    monkeypatch.setattr(fonts, "_fc_env", lambda h: dict(os.environ, XDG_CONFIG_HOME=""))
    assert "但 fc-match 仿宋_GB2312 没有得到 FandolFang" in user_aliases_line()


# --- the user's LibreOffice profile: keep the blank page before the 版记 --------------------

def test_libreoffice_setting_new_profile(home):
    assert libreoffice_settings_state() == "missing"
    path = install_libreoffice_settings()
    assert path == home / ".config/libreoffice/4/user/registrymodifications.xcu"
    assert libreoffice_settings_state() == "installed"
    root = ET.fromstring(path.read_bytes())
    items = root.findall("item")
    assert len(items) == 1
    assert items[0].get("{http://openoffice.org/2001/registry}path") == \
        "/org.openoffice.Office.Common/Filter/PDF/Export"
    assert items[0].findtext("prop/value") == "false"
    mtime = path.stat().st_mtime_ns
    install_libreoffice_settings()
    assert path.stat().st_mtime_ns == mtime


def test_libreoffice_setting_changes_one_item_only(home):
    path = home / ".config/libreoffice/4/user/registrymodifications.xcu"
    path.parent.mkdir(parents=True)
    head = ('<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
            'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
            '<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>\n')
    skip = ('<item oor:path="/org.openoffice.Office.Common/Filter/PDF/Export"><prop oor:name="IsSkipEmptyPages" '
            'oor:op="fuse"><value>true</value></prop></item>\n')
    tail = ('<item oor:path="/org.openoffice.Office.Common/Filter/PDF/Export"><prop oor:name="Quality" '
            'oor:op="fuse"><value>90</value></prop></item>\n</oor:items>\n')
    path.write_text(head + skip + tail, encoding="utf-8")
    assert libreoffice_settings_state() == "missing"
    install_libreoffice_settings()
    assert path.read_text(encoding="utf-8") == head + skip.replace("true", "false") + tail
    assert libreoffice_settings_state() == "installed"


def test_libreoffice_running_is_a_warning_not_a_failure(home):
    profile = fonts.libreoffice_profile()
    profile.mkdir(parents=True)
    (profile / ".lock").write_text("", encoding="utf-8")
    with pytest.raises(GendocError, match="LibreOffice 正在运行"):
        install_libreoffice_settings()
    lines = install_user_setup()
    assert user_aliases_state() == "installed"
    assert any(line.startswith("警告：") and "LibreOffice 正在运行" in line for line in lines)
    assert libreoffice_settings_state() == "missing"


def test_not_a_libreoffice_file_is_left_alone(home):
    path = home / ".config/libreoffice/4/user/registrymodifications.xcu"
    path.parent.mkdir(parents=True)
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(GendocError, match="没有改动"):
        install_libreoffice_settings()
    assert path.read_text(encoding="utf-8") == "hello"


def test_setup_lines_before_and_after(home):
    assert user_setup_lines() == [
        "本用户的 LibreOffice/WPS 字体替代：未设置：运行 gendoc fonts --install",
        "本用户的 LibreOffice 导出 PDF 保留自动插入的空白页：未设置：运行 gendoc fonts --install",
    ]
    lines = install_user_setup()
    assert lines[0].startswith("已写入 ~/.config/fontconfig/conf.d/60-gendoc-standard-fonts.conf")
    assert lines[1].startswith("已设置 ~/.config/libreoffice/4/user/registrymodifications.xcu")
    after = user_setup_lines()
    assert after[0].startswith("本用户的 LibreOffice/WPS 字体替代：已设置（")
    assert after[1] == "本用户的 LibreOffice 导出 PDF 保留自动插入的空白页：已设置"


# --- the .docx font table ----------------------------------------------------------------

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# CT_Font's children, in the schema's order (ECMA-376 Part 1, 17.8.3)
FONT_CHILDREN = ["altName", "panose1", "charset", "family", "notTrueType", "pitch", "sig"]


def test_font_table_entries():
    entries = {e["name"]: e for e in font_table_entries()}
    assert list(entries) == list(STANDARD_FONTS)
    for name, e in entries.items():
        assert len(e["panose1"]) == 20 and int(e["panose1"], 16) >= 0
        assert e["charset"] == ("86" if STANDARD_FONTS[name]["cjk"] else "00")
        assert set(e["sig"]) == {"usb0", "usb1", "usb2", "usb3", "csb0", "csb1"}
        if STANDARD_FONTS[name]["cjk"]:
            assert int(e["sig"]["csb0"], 16) & 0x00040000  # code page 936 (GB2312)
    # the Windows face first: Word tries altName's names in order (17.8.3.1)
    first = {n: e["altName"].split(",")[0] for n, e in entries.items() if e["altName"]}
    assert first == {"仿宋_GB2312": "仿宋", "楷体_GB2312": "楷体", "黑体": "SimHei",
                     "宋体": "SimSun", "方正小标宋简体": "宋体"}
    assert "STFangsong" in entries["仿宋_GB2312"]["altName"].split(",")
    assert entries["宋体"]["panose1"] == "02010600030101010101"  # SimSun
    assert entries["黑体"]["panose1"] == "02010609060101010101"  # SimHei


def test_font_element_xml_is_valid_and_ordered():
    xml = ('<w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
           + "".join(font_element_xml(e) for e in font_table_entries()) + "</w:fonts>")
    root = ET.fromstring(xml.encode("utf-8"))
    assert [f.get(W + "name") for f in root] == list(STANDARD_FONTS)
    for font in root:
        tags = [child.tag.removeprefix(W) for child in font]
        assert tags == [t for t in FONT_CHILDREN if t in tags], tags
    times = root[-1]
    assert times.find(W + "altName") is None


# --- a plain soffice in a fresh home -----------------------------------------------------

def _render(plan: str, out: Path) -> Path:
    from gendoc.render import render_file

    render_file(ROOT / "plans" / plan, out)
    return out


def _with_font_table(src: Path, dest: Path) -> Path:
    """``src`` with its fontTable.xml built from :func:`font_table_entries`."""
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
           + "".join(font_element_xml(e) for e in font_table_entries()) + "</w:fonts>")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zout.writestr(info, xml.encode("utf-8") if info.filename == "word/fontTable.xml" else data)
    return dest


def _plain_soffice(h: Path, docx: Path, profile: Path | None) -> Path:
    cmd = [soffice_path(), "--headless"]
    if profile is not None:
        cmd.append(f"-env:UserInstallation={profile.as_uri()}")
    cmd += ["--convert-to", "pdf", "--outdir", str(docx.parent), str(docx)]
    subprocess.run(cmd, env=_plain_env(h), stdin=subprocess.DEVNULL, capture_output=True,
                   timeout=240, check=True)
    pdf = docx.with_suffix(".pdf")
    assert pdf.is_file(), "soffice made no PDF"
    return pdf


def _body_fonts(pdf: Path) -> dict[str, int]:
    """Embedded font (subset prefix removed) -> number of 16 pt hanzi drawn in it."""
    import pdfplumber

    counts: dict[str, int] = {}
    with pdfplumber.open(pdf) as doc:
        for page in doc.pages:
            for c in page.chars:
                if abs(c["size"] - 16) < 0.5 and "\u4e00" <= c["text"] <= "\u9fff":
                    name = c["fontname"].split("+", 1)[-1]
                    counts[name] = counts.get(name, 0) + 1
    return counts


def _assert_fangsong_body_and_verify(pdf: Path) -> None:
    from gendoc.verify import verify

    counts = _body_fonts(pdf)
    fang = sum(n for f, n in counts.items() if f.startswith("FandolFang"))
    assert fang > 0.6 * sum(counts.values()), counts
    if shutil.which("pdffonts"):
        listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
        assert "FandolFang" in listing
    report = verify(pdf)
    assert report.ok, report.format()


@pytest.mark.libreoffice
@needs_soffice
@pytest.mark.parametrize("font_table", ["current", "entries"])
def test_plain_soffice_with_fresh_profile_gives_fangsong(home, tmp_path, font_table):
    """The check of issue 10 part 6, with the profile of the check: a fresh one.

    A plan without 版记: a fresh profile's PDF export drops automatically inserted blank
    pages (the next test), which no font setting changes."""
    require_fonts("FandolFang", "FandolKai", "Noto Sans CJK SC", "Noto Serif CJK SC", "Liberation Serif")
    docx = _render("cxzy-long-term-mechanism-notice.yaml", tmp_path / "notice.docx")
    if font_table == "entries":
        docx = _with_font_table(docx, tmp_path / "notice-entries.docx")
    before = _plain_soffice(home, docx, tmp_path / "profile-before")
    assert not any(f.startswith("FandolFang") for f in pdf_fonts(before)), pdf_fonts(before)
    before.unlink()
    install_user_setup()
    pdf = _plain_soffice(home, docx, tmp_path / "profile")
    _assert_fangsong_body_and_verify(pdf)


@pytest.mark.libreoffice
@needs_soffice
def test_plain_soffice_with_the_users_profile_keeps_the_blank_page(home, tmp_path):
    """The user's own profile (none given): after install, the 印发通知 with its 版记 on the
    last even page passes every rule, blank page before the 版记 included."""
    require_fonts("FandolFang", "FandolKai", "Noto Sans CJK SC", "Noto Serif CJK SC", "Liberation Serif")
    docx = _render("mass-line-implementation-plan-2014.yaml", tmp_path / "plan.docx")
    install_user_setup()
    pdf = _plain_soffice(home, docx, None)
    assert (home / ".config/libreoffice/4/user").is_dir()  # it used the home's profile
    _assert_fangsong_body_and_verify(pdf)
