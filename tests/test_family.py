"""`gendoc render PLAN --all -o DIR/` (gendoc/family.py): every document a plan defines, from
the same data; and the README's tutorial for a clerk's own templates (`-t DIR`).

The documents are opened and read back (paragraph and table text from the .docx XML); the
manifest is read with csv and json and its hashes recomputed."""

from __future__ import annotations

import re

import csv
import hashlib
import json
import shutil
import subprocess
import sys
import zipfile

import pytest
from click.testing import CliRunner

from gendoc.cli import main
from gendoc.render import render_file
from gendoc.resources import templates_dir

from conftest import PLANS, ROOT, Docx

MASS_LINE = PLANS / "mass-line-implementation-plan-2014.yaml"
HAVE_SOFFICE = shutil.which("soffice") is not None
NOTICE = "02-会议通知-局党的群众路线教育实践活动动员大会.docx"


def run(*args):
    return CliRunner().invoke(main, ["render", *map(str, args)])


def cli(*args, cwd=None):
    """The real command line (exit code, stderr, no traceback)."""
    return subprocess.run([sys.executable, "-m", "gendoc.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd)


def family_plan(tmp_path, *, when="2014-03-07", outputs="[会议通知, 进度表, 任务分工表]", notice=True):
    """The example 实施方案 plan with what a 会议通知 needs: the 动员大会's place (and, with
    ``notice``, its own 文号, date and agenda), a contact, and the outputs list."""
    text = MASS_LINE.read_text(encoding="utf-8")
    text = re.sub(r"\n        notice: \{date: 2014-03-03\}[^\n]*", "", text)   # the example's own notice
    meeting = "        when: 2014-03-07\n        place: "
    assert text.count(meeting) == 1
    extra = ""
    if notice:
        extra += ("        notice:\n          doc_number: {code: 卫党发, year: 2014, seq: 4}\n"
                  "          date: 2014-03-03\n          agenda: [传达上级部署, 局党委书记作动员讲话]\n")
    text = text.replace(meeting, extra + meeting.replace("2014-03-07", when))
    text = text.replace("  notes: [此件发至各基层党支部]\n",
                        "  notes: [此件发至各基层党支部]\n  contact: {name: 李明, phone: 0993-1234567}\n")
    if outputs is not None:
        text = text.replace("template: issuing_notice\n", f"template: issuing_notice\noutputs: {outputs}\n")
    plan = tmp_path / "plan.yaml"
    plan.write_text(text, encoding="utf-8")
    return plan


def line_of(plan, text: str) -> int:
    """The line of the plan on which ``text`` stands."""
    lines = plan.read_text(encoding="utf-8").splitlines()
    return next(i for i, x in enumerate(lines, 1) if text in x)


def texts(path) -> list[str]:
    d = Docx(path)
    return [d.text(p) for p in d.all_paragraphs]


def cells(path) -> list[list[str]]:
    d = Docx(path)
    return [["".join(d.text(p) for p in d.xpath(".//w:p", tc)) for tc in d.xpath("./w:tc", tr)]
            for tr in d.xpath("//w:tr")]


def parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def render_all(plan, out, *extra):
    r = run(plan, "--all", "-o", out, *extra)
    assert r.exit_code == 0, r.output
    return r


# ----------------------------------------------------------------------------- the family

def test_all_writes_the_main_document_a_notice_per_meeting_with_data_and_the_tables(tmp_path):
    out, plan = tmp_path / "out", family_plan(tmp_path)
    r = render_all(plan, out)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["01-印发通知-县卫生局党的群众路线教育实践活动实施方案.docx", NOTICE,
                     "03-工作进度安排表.docx", "04-任务分工表.docx", "manifest.csv", "manifest.json"]
    # the 民主生活会 (6月上旬, no place) has no 会议通知, and the clerk is told why, with the line
    line = line_of(plan, "- name: 局领导班子专题民主生活会")
    assert f"plan.yaml:{line}: phases[2].meetings[0]: 会议“局领导班子专题民主生活会”缺少具体日期" in r.output
    assert "地点（place）" in r.output

    main_doc = texts(out / names[0])
    assert "卫党发〔2014〕3号" in main_doc and "附件1" in "".join(main_doc)


def test_the_meeting_notice_prints_its_meeting_and_its_own_number_date_and_contact(tmp_path):
    out = tmp_path / "out"
    render_all(family_plan(tmp_path), out)
    t = texts(out / NOTICE)
    body = "".join(t)
    assert "卫党发〔2014〕4号" in t                              # its own 文号, not the plan's 3号
    assert "卫党发〔2014〕3号" not in t
    assert "".join(x for x in t if "通知" in x and "关于" in x).replace("\n", "") == \
        "关于召开局党的群众路线教育实践活动动员大会的通知"
    assert "局属各医疗卫生单位党组织、局机关各科室：" in t          # 主送 from the plan
    assert ("按照《县卫生局党的群众路线教育实践活动实施方案》（卫党发〔2014〕3号）安排，经研究，"
            "决定召开局党的群众路线教育实践活动动员大会。现将有关事项通知如下：") in t
    i = t.index("一、会议时间")
    assert t[i + 1] == "3月7日，会期半天。"
    assert t[t.index("二、会议地点") + 1] == "局机关四楼会议室。"
    assert t[t.index("三、参会人员") + 1].startswith("局领导班子成员、局机关全体干部、局属各单位领导班子成员。")
    assert "邀请县委督导组到会指导。" in t[t.index("三、参会人员") + 1]
    assert "1.传达上级部署。" in t and "2.局党委书记作动员讲话。" in t
    assert "会前，各单位要认真组织，确保参会人员全部到会。" in t      # the meeting's own requirements
    assert "加强组织领导" not in body                               # not the campaign's 工作要求
    assert "2014年3月3日" in t                                      # its own 成文日期
    assert "（联系人：李明，电话：0993-1234567）" in t
    assert any("2014年3月3日印发" in x for x in t)


def test_the_schedule_has_a_row_per_phase_with_its_items_meetings_and_units(tmp_path):
    out = tmp_path / "out"
    render_all(family_plan(tmp_path), out)
    d = texts(out / "03-工作进度安排表.docx")
    assert "".join(d).startswith("县卫生局党的群众路线教育实践\n活动工作进度安排表") or \
        "县卫生局党的群众路线教育实践活动工作进度安排表" in "".join(d).replace("\n", "")
    rows = cells(out / "03-工作进度安排表.docx")
    assert rows[0] == ["阶段", "时间", "工作内容", "责任单位"]
    assert [r[0] for r in rows[1:]] == ["扎实进行动员准备", "学习动员、听取意见", "查摆问题、开展批评",
                                        "整改落实、建章立制", "认真总结"]
    assert rows[1][1] == "2月28日—3月7日"
    assert rows[1][2] == ("1.深入调查研究（2月28日—3月5日）；2.研究制定方案；"
                          "3.召开局党的群众路线教育实践活动动员大会（3月7日）")
    assert rows[1][3] == "局办公室"                    # the task due 3月7日 lies in this phase
    assert rows[2][3] == "局人事科、局办公室"
    assert "召开局领导班子专题民主生活会（6月上旬）" in rows[3][2]
    assert rows[5][1] == "9月下旬"
    # the 任务分工表 is the plan's responsibilities, as in the main document's 附件2
    tasks = cells(out / "04-任务分工表.docx")
    assert tasks[0] == ["序号", "工作任务", "牵头单位", "配合单位", "完成时限"]
    assert tasks[1] == ["1", "制定活动实施方案并组织动员", "局办公室", "局人事科", "3月7日"]
    assert len(tasks) == 7
    assert "教育实践活动重点工作任务分工表" in "".join(texts(out / "04-任务分工表.docx")).replace("\n", "")


def test_changing_one_meeting_date_changes_every_document_that_mentions_it(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    (a / "p").mkdir(parents=True)
    (b / "p").mkdir(parents=True)
    render_all(family_plan(a), a / "out")
    render_all(family_plan(b, when="2014-03-06"), b / "out")
    main_name = "01-印发通知-县卫生局党的群众路线教育实践活动实施方案.docx"
    for name, before, after in (
            (main_name, "动员大会（3月7日）", "动员大会（3月6日）"),
            (NOTICE, "3月7日，会期半天。", "3月6日，会期半天。"),
            ("03-工作进度安排表.docx", "动员大会（3月7日）", "动员大会（3月6日）")):
        old, new = "".join(texts(a / "out" / name)), "".join(texts(b / "out" / name))
        assert before in old and before not in new, name
        assert after in new and after not in old, name
    # the document that does not mention the meeting is the same, part for part (the zip's
    # own time stamps differ between runs)
    assert parts(a / "out" / "04-任务分工表.docx") == parts(b / "out" / "04-任务分工表.docx")


def test_the_example_plan_as_it_is(tmp_path):
    """The example plan has no outputs list: the main document, a 会议通知 for the 动员大会
    (it has a day, a place and attendees) and the 进度表; the 民主生活会 (6月上旬, no place)
    gets a located warning instead of a notice."""
    out = tmp_path / "out"
    r = render_all(MASS_LINE, out)
    assert sorted(p.name for p in out.glob("*.docx")) == [
        "01-印发通知-县卫生局党的群众路线教育实践活动实施方案.docx", NOTICE, "03-工作进度安排表.docx"]
    line = line_of(MASS_LINE, "- name: 局领导班子专题民主生活会")
    assert (f"mass-line-implementation-plan-2014.yaml:{line}: phases[2].meetings[0]: "
            "会议“局领导班子专题民主生活会”缺少") in r.output
    assert r.output.count("没有单独写出会议通知") == 1


def test_meetings_anywhere_in_the_plan_get_their_notice(tmp_path):
    """A meeting in plan.meetings and one inside a phase's body, in a sub-section, found by
    the generic walk; a notice's own title and recipients; no date: no 落款."""
    plan = tmp_path / "p.yaml"
    plan.write_text("""schema_version: 1
template: work_plan
outputs: [会议通知]
meta:
  genre: 工作方案
  title: 2026年卫生健康工作方案
  issuer: {name: 县卫生健康局}
  recipients: [各乡镇卫生院]
phases:
  - name: 部署
    when: 2026-03-01..2026-03-31
    body:
      - section:
          heading: 会议安排
          body:
            - meeting:
                name: 全县推进会
                when: 2026-03-12
                place: 县卫健局会议室
                attendees: [各院院长]
meetings:
  - name: 年中调度会
    when: 2026-07-08 上午
    place: 三楼会议室
    attendees: [局机关各股室负责人]
    notice: {title: 关于召开年中调度会的通知, recipients: [局机关各股室]}
""", encoding="utf-8")
    out = tmp_path / "out"
    render_all(plan, out)
    names = sorted(p.name for p in out.glob("*.docx"))
    assert names == ["01-工作方案-2026年卫生健康工作方案.docx", "02-会议通知-全县推进会.docx",
                     "03-会议通知-年中调度会.docx"]
    first = texts(out / names[1])
    assert first[first.index("一、会议时间") + 1] == "2026年3月12日。" and "各乡镇卫生院：" in first
    assert "县卫生健康局" not in first[-3:]                       # no 落款: no notice.date
    second = texts(out / names[2])
    assert "局机关各股室：" in second and "各乡镇卫生院：" not in second
    assert second[second.index("一、会议时间") + 1] == "2026年7月8日上午。"


# ----------------------------------------------------------------------------- outputs: and the manifest

def test_manifest_lists_every_document_with_its_hash_and_pages(tmp_path):
    out = tmp_path / "out"
    render_all(family_plan(tmp_path), out)
    with open(out / "manifest.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [r["文件"] for r in rows] == [r["file"] for r in data["rows"]] == \
        sorted(p.name for p in out.glob("*.docx"))
    assert [r["genre"] for r in data["rows"]] == ["印发通知", "会议通知", "进度表", "任务分工表"]
    assert data["rows"][1]["title"] == "关于召开局党的群众路线教育实践活动动员大会的通知"
    assert data["plan"].endswith("plan.yaml")
    for csv_row, row in zip(rows, data["rows"]):
        digest = hashlib.sha256((out / row["file"]).read_bytes()).hexdigest()
        assert row["sha256"] == csv_row["SHA-256"] == digest
        assert isinstance(row["pages"], int) and row["pages"] >= 1 and row["pdf"] is None
        with zipfile.ZipFile(out / row["file"]) as z:
            assert "word/document.xml" in z.namelist()
    # the main document is what `render` writes: the same parts, the same page estimate
    single = render_file(tmp_path / "plan.yaml", tmp_path / "single.docx")
    assert data["rows"][0]["pages"] == single.layout.pages
    assert parts(out / data["rows"][0]["file"]) == parts(single.docx)


@pytest.mark.parametrize("outputs, files", [
    ("[]", ["01-印发通知-县卫生局党的群众路线教育实践活动实施方案.docx"]),
    ("[任务分工表]", ["01-印发通知-县卫生局党的群众路线教育实践活动实施方案.docx", "02-任务分工表.docx"]),
    ("[进度表, 会议通知]", ["01-印发通知-县卫生局党的群众路线教育实践活动实施方案.docx", NOTICE,
                           "03-工作进度安排表.docx"]),
])
def test_the_plan_chooses_what_is_written(tmp_path, outputs, files):
    out = tmp_path / "out"
    render_all(family_plan(tmp_path, outputs=outputs), out)
    assert sorted(p.name for p in out.glob("*.docx")) == files


def test_a_wrong_outputs_entry_is_an_error_with_its_line(tmp_path):
    r = cli("render", family_plan(tmp_path, outputs="[进度, 会议通知]"), "--all", "-o", tmp_path / "o")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "plan.yaml:9: outputs[0]: 取值不对：可用 '会议通知'" in r.stderr
    assert not (tmp_path / "o").exists()


def test_a_table_the_plan_cannot_fill_is_a_located_warning(tmp_path):
    plan = tmp_path / "p.yaml"
    plan.write_text("schema_version: 1\ntemplate: notice\noutputs: [进度表, 任务分工表]\nmeta:\n  genre: 通知\n"
                    "  title: 关于做好春节值班工作的通知\n  issuer: {name: 县卫生健康局}\n"
                    "sections: [{heading: 值班安排, text: 各单位安排好值班。}]\n", encoding="utf-8")
    r = run(plan, "--all", "-o", tmp_path / "out")
    assert r.exit_code == 0, r.output
    assert "p.yaml:3: outputs: 计划没有阶段（phases），排不出工作进度安排表" in r.output
    assert "p.yaml:3: outputs: 计划没有任务分工（responsibilities），排不出任务分工表" in r.output
    assert [p.name for p in (tmp_path / "out").glob("*.docx")] == ["01-通知-关于做好春节值班工作的通知.docx"]


# ----------------------------------------------------------------------------- destinations

def test_an_output_that_is_a_file_is_refused(tmp_path):
    plan = family_plan(tmp_path)
    for target, message in ((tmp_path / "x.docx", "使用 --all 时 -o 应是一个文件夹（一次写出好几个文档），不是 .docx 文件名"),
                            (tmp_path / "notes.txt", "使用 --all 时 -o 应是一个文件夹（一次写出好几个文档），这里却是一个文件"),
                            (tmp_path / "no" / "out", "输出文件夹所在的文件夹不存在")):
        if target.suffix == ".txt":
            target.write_text("别覆盖我\n", encoding="utf-8")
        r = cli("render", plan, "--all", "-o", target)
        assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
        assert f"错误：{target}: {message}" in r.stderr
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "别覆盖我\n"
    assert not (tmp_path / "x.docx").exists() and not (tmp_path / "no").exists()


def test_default_folder_is_named_after_the_plan_and_a_rerun_replaces_the_files(tmp_path):
    plan = family_plan(tmp_path)
    r = CliRunner().invoke(main, ["render", str(plan), "--all"])
    assert r.exit_code == 0, r.output
    folder = tmp_path / "plan"
    first = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert len(first) == 6
    r = CliRunner().invoke(main, ["render", str(plan), "--all"])   # gendoc's own files: replaced
    assert r.exit_code == 0, r.output
    assert {p.name: p.read_bytes() for p in folder.iterdir()}.keys() == first.keys()


def test_an_edited_document_stops_the_whole_run_unless_forced(tmp_path):
    plan, out = family_plan(tmp_path), tmp_path / "out"
    render_all(plan, out)
    edited = out / NOTICE
    with zipfile.ZipFile(edited, "a") as z:          # a clerk's change in Word: another part
        z.writestr("customXml/item9.xml", "<x/>")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    plan.write_text(plan.read_text(encoding="utf-8").replace("when: 2014-03-07\n        place:",
                                                             "when: 2014-03-06\n        place:"), encoding="utf-8")
    r = cli("render", plan, "--all", "-o", out)
    assert r.returncode == 1 and "已有的这个文档生成后被修改过" in r.stderr and NOTICE in r.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before     # nothing at all replaced
    r = cli("render", plan, "--all", "-o", out, "--force")
    assert r.returncode == 0, r.stderr
    kept = list(out.glob("02-会议通知-*.修改稿-*.docx"))
    assert len(kept) == 1 and kept[0].read_bytes() == before[NOTICE]
    assert "3月6日，会期半天。" in texts(out / NOTICE)


@pytest.mark.skipif(not HAVE_SOFFICE, reason="需要 LibreOffice（scripts/install-deps.sh）")
def test_pdf_with_all_converts_every_document(tmp_path):
    out = tmp_path / "out"
    render_all(family_plan(tmp_path, outputs="[会议通知]"), out, "--pdf")
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [r["pdf"] for r in data["rows"]] == [r["file"].replace(".docx", ".pdf") for r in data["rows"]]
    for r in data["rows"]:
        assert (out / r["pdf"]).read_bytes().startswith(b"%PDF")


# ----------------------------------------------------------------------------- the tutorial (README)

def _tutorial(tmp_path):
    """README 自己的模板, steps 1–3: a starter plan, the built-in template copied, a wording changed."""
    r = cli("new", "会议通知", "-o", "会议通知.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    mine = tmp_path / "我的模板"
    mine.mkdir()
    shutil.copy(templates_dir() / "meeting_notice.j2", mine)
    tpl = mine / "meeting_notice.j2"
    text = tpl.read_text(encoding="utf-8")
    assert text.count("# 会议时间\n") == 1 and text.count("{{ m.place | period }}") == 1
    tpl.write_text(text.replace("# 会议时间\n", "# 开会时间\n"), encoding="utf-8")
    return tpl


def test_tutorial_a_copied_template_with_changed_wording_is_used(tmp_path):
    tpl = _tutorial(tmp_path)
    r = cli("render", "会议通知.yaml", "-t", "我的模板", "-o", "会议通知.docx", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    t = texts(tmp_path / "会议通知.docx")
    assert "一、开会时间" in t and "一、会议时间" not in t
    assert t[t.index("一、开会时间") + 1] == "2月27日，会期半天。"
    assert tpl.parent.name == "我的模板"
    # the built-in template is untouched
    assert "# 会议时间\n" in (templates_dir() / "meeting_notice.j2").read_text(encoding="utf-8")


@pytest.mark.parametrize("wrong, message", [
    ("{{ m.plac | period }}", "模板引用了不存在的字段：计划数据里没有字段 plac"),
    ("{{ m.place | period }", "模板语法错误：这里不该出现“}”"),
    ("{{ m.place | periodd }}", "模板出错：没有名为 periodd 的过滤器"),
])
def test_tutorial_a_wrong_template_is_reported_with_its_file_and_line(tmp_path, wrong, message):
    tpl = _tutorial(tmp_path)
    text = tpl.read_text(encoding="utf-8")
    line = text[:text.index("{{ m.place | period }}")].count("\n") + 1
    tpl.write_text(text.replace("{{ m.place | period }}", wrong), encoding="utf-8")
    r = cli("render", "会议通知.yaml", "-t", "我的模板", "-o", "会议通知.docx", cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip() == f"错误：我的模板/meeting_notice.j2:{line}: {message}"
    assert not (tmp_path / "会议通知.docx").exists()


def test_tutorial_own_templates_apply_to_every_document_of_all(tmp_path):
    """-t DIR with --all: the clerk's meeting_notice.j2 prints every 会议通知."""
    plan = family_plan(tmp_path, outputs="[会议通知]")
    mine = tmp_path / "我的模板"
    mine.mkdir()
    shutil.copy(templates_dir() / "meeting_notice.j2", mine)
    tpl = mine / "meeting_notice.j2"
    tpl.write_text(tpl.read_text(encoding="utf-8").replace("# 会议地点\n", "# 开会地点\n"), encoding="utf-8")
    render_all(plan, tmp_path / "out", "-t", mine)
    t = texts(tmp_path / "out" / NOTICE)
    assert "二、开会地点" in t and t[t.index("二、开会地点") + 1] == "局机关四楼会议室。"


def test_readme_tutorial_names_the_steps_this_test_takes():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    part = readme[readme.index("## 自己的模板"):]
    for step in ("gendoc new 会议通知 -o 会议通知.yaml", "meeting_notice.j2 我的模板/",
                 "gendoc render 会议通知.yaml -t 我的模板", "我的模板/meeting_notice.j2:16:"):
        assert step in part, step


def test_dated_paragraphs_are_steps_of_the_schedule(tmp_path):
    from gendoc.family import schedule_rows
    from gendoc.plan import load_plan
    plan = tmp_path / "p.yaml"
    plan.write_text("""schema_version: 1
template: work_plan
meta: {genre: 工作方案, title: 关于测试的工作方案, issuer: {name: 测试局}, year: 2026}
phases:
  - name: 动员部署
    when: 2026-03-01..2026-03-15
    body:
      - para: 各支部研究制定本支部活动安排。
        when: 2026-03-05 前
      - 没有日期的一段话不是进度。
""", encoding="utf-8")
    rows = schedule_rows(load_plan(plan))
    assert [e["para"].text for e in rows[0]["entries"]] == ["各支部研究制定本支部活动安排。"]
