"""``gendoc render PLAN.yaml --all -o DIR/``: every document a plan defines, from the same data.

A campaign's documents share their facts: the main document (the 印发通知 with its 方案 as 附件1,
or whatever the plan's template prints), a 会议通知 before each meeting, the 工作进度安排表 and
the 任务分工表. Typed separately they disagree; here each is built from the one validated plan,
so a date, a unit's name or a count changed in the plan changes in every document.

* **会议通知**: one for each meeting that has what a 会议通知 needs (a day, a place, 参会人员),
  wherever the plan keeps it (``meetings``, ``phases[].meetings``, any ``body`` at any depth:
  found by the generic walk of :mod:`gendoc.lint`). It is rendered with the 会议通知 template
  (``meeting_notice``, or the clerk's own in ``-t DIR``) for that meeting; the meeting's
  ``notice:`` gives the 会议通知's own 标题, 文号, 成文日期, 主送, 联系人 and 议程, the rest comes
  from the plan (issuer, recipients, contact). A meeting without a day, place or 参会人员 gets a
  located warning instead of a document.
* **进度表** (工作进度安排表, ``templates/schedule.j2``): a row for each phase: its name, its
  dates, the items and meetings inside it (any depth) with their own dates, and the lead units
  of the tasks (``responsibilities``) that belong to it (``area`` names the phase, or the
  deadline lies within it).
* **任务分工表** (``templates/task_table.j2``): the ``responsibilities`` table on its own.

Which of these are written besides the main document is the plan's ``outputs:`` list (default:
会议通知 and 进度表). All files and the manifest (CSV and JSON: file, 文种, title, sha256, page
estimate, PDF) are staged and renamed together (:func:`gendoc.outputs.write_all`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .batch import safe_file_name
from .errors import GendocError
from .genres import genre_of
from .lint import walk
from .model import Document
from .outputs import check_destination, keep_backup, write_all
from .plan import BasisDoc, Item, Meeting, Para, Phase, Plan, Printing, load_plan, warn
from .render import _pdf_bytes, _template_files, build_document
from .typeset import Typesetter

DEFAULT_OUTPUTS = ("会议通知", "进度表")
MANIFEST = ("manifest.csv", "manifest.json")
MANIFEST_COLUMNS = [("file", "文件"), ("genre", "文种"), ("title", "标题"), ("sha256", "SHA-256"),
                    ("pages", "页数（估计）"), ("pdf", "PDF 文件")]


@dataclass
class Member:
    """One document of the family, built but not yet written."""

    genre: str          # 印发通知, 会议通知, 进度表, 任务分工表 …
    title: str
    label: str          # the file name after its number: 会议通知-动员大会
    document: Document


@dataclass
class FamilyResult:
    folder: Path
    rows: list[dict] = field(default_factory=list)
    manifest: list[Path] = field(default_factory=list)


# ----------------------------------------------------------------------------- the plan's facts

def meetings(plan: Plan) -> list[tuple[tuple, Meeting]]:
    """Every meeting of the plan with its plan path, in document order, wherever it is kept."""
    return [(n.path, n.value) for n in walk(plan) if isinstance(n.value, Meeting)]


def notice_gaps(m: Meeting) -> list[str]:
    """What a meeting lacks for a 会议通知 of its own (empty: it has enough)."""
    gaps = []
    if m.when is None or not m.when.start.day:
        gaps.append("具体日期（when 写到日，如 2014-03-07）")
    if not m.place:
        gaps.append("地点（place）")
    if not m.attendees:
        gaps.append("参会人员（attendees）")
    return gaps


def plan_title(plan: Plan) -> str:
    """The 方案's own title: the attachment that carries the plan, else the document's title
    without 关于印发《》的通知."""
    att = next((a for a in plan.attachments if a.content == "plan"), None)
    if att is not None:
        return att.title
    m = re.fullmatch(r"关于印发《(.+)》的通知", plan.meta.title)
    return m.group(1) if m else plan.meta.title


def _campaign(plan: Plan) -> str:
    """The work the plan is about: its title without 实施方案, 工作方案 …"""
    return re.sub(r"的?(实施方案|工作方案|工作计划|方案|工作要点)$", "", plan_title(plan))


def _derived(plan: Plan, template: str, meta: dict, **fields) -> Plan:
    """A plan for one member of the family: the parent's meta with ``meta`` changed, only
    ``fields`` as content; warnings name the parent's file."""
    derived = Plan(schema_version=1, template=template,
                   meta=plan.meta.model_copy(update={"year": plan.meta.plan_year, **meta}), **fields)
    derived._file = getattr(plan, "_file", None)
    return derived


_NO_HEAD = dict(title_lines=None, doc_number=None, recipients=[], cc=[], date=None, signature=None,
                printing=None, notes=[], contact=None, copy_number=None, urgency=None, signers=[],
                red_head=False)


def meeting_notice(plan: Plan, m: Meeting, template_dirs: tuple[str, ...]) -> Member:
    n = m.notice
    title = (n.title if n and n.title else None) or f"关于{m.verb}{m.name}的通知"
    date = n.date if n else None
    p = plan.meta.printing
    meta = dict(genre="通知", title=title, title_lines=None, signers=[], copy_number=None,
                doc_number=n.doc_number if n else None,
                recipients=(n.recipients if n and n.recipients else plan.meta.recipients),
                cc=[], notes=[], date=date, signature=None,
                printing=Printing(by=p.by, date=date) if (p and date) else None,
                contact=(n.contact if n and n.contact else plan.meta.contact))
    derived = _derived(plan, "meeting_notice", meta, agenda=list(n.agenda) if n else [])
    basis = BasisDoc(title=plan_title(plan), doc_number=plan.meta.doc_number)
    doc = build_document(derived, template_dirs, {"meeting": m, "basis": basis})
    return Member("会议通知", title, f"会议通知-{m.name}", doc)


def _belongs(task, phase: Phase) -> bool:
    if task.area:
        return task.area == phase.name
    return task.deadline is not None and task.deadline.within(phase.when)


def _top_entries(value, path: tuple = ()) -> list:
    """Items, meetings and dated paragraphs at any depth below ``value``, not those inside
    another item (an undated paragraph is prose, not a step of the schedule)."""
    return [n.value for n in walk(value, path)
            if (isinstance(n.value, (Item, Meeting)) or (isinstance(n.value, Para) and n.value.when))
            and n.value is not value
            and not any(isinstance(o, (Item, Meeting, Para)) for _, o in n.owners)]


def schedule_rows(plan: Plan) -> list[dict]:
    """A row for each phase: the phase, its items and meetings (any depth; dated ones kept
    elsewhere in the plan join the phase their date lies in), and the lead units of its tasks."""
    phases = [n.value for n in walk(plan) if isinstance(n.value, Phase)]
    rows = [{"phase": ph, "entries": [], "units": []} for ph in phases]
    inside = set()
    for row in rows:
        for e in _top_entries(row["phase"]):
            inside.add(id(e))
            row["entries"].append(e)
    for e in _top_entries(plan):
        if id(e) in inside or e.when is None:
            continue
        row = next((r for r in rows if e.when.within(r["phase"].when)), None)
        if row is not None:
            row["entries"].append(e)
    for row in rows:
        for t in plan.responsibilities:
            if _belongs(t, row["phase"]):
                row["units"] += [u for u in (*t.lead, *t.responsible) if u not in row["units"]]
    return [{"phase": r["phase"], "units": r["units"],
             "entries": [{"meeting": e if isinstance(e, Meeting) else None,
                          "item": e if isinstance(e, Item) else None,
                          "para": e if isinstance(e, Para) else None} for e in r["entries"]]}
            for r in rows]


def schedule(plan: Plan, template_dirs: tuple[str, ...]) -> Member:
    title = f"{_campaign(plan)}工作进度安排表"
    derived = _derived(plan, "schedule", dict(_NO_HEAD, title=title))
    doc = build_document(derived, template_dirs, {"rows": schedule_rows(plan)})
    return Member("进度表", title, "工作进度安排表", doc)


def task_table(plan: Plan, template_dirs: tuple[str, ...]) -> Member:
    att = next((a for a in plan.attachments if a.content == "responsibilities"), None)
    title = att.title if att else f"{_campaign(plan)}任务分工表"
    derived = _derived(plan, "task_table", dict(_NO_HEAD, title=title),
                       responsibilities=list(plan.responsibilities))
    return Member("任务分工表", title, "任务分工表", build_document(derived, template_dirs))


def family(plan: Plan, template_dirs: tuple[str, ...] = ()) -> list[Member]:
    """The main document and every other document the plan asks for, built (not written)."""
    genre = genre_of(plan)
    name = genre.name if genre else plan.meta.genre
    main = Member(name, plan.meta.title, f"{name}-{plan_title(plan)}", build_document(plan, template_dirs))
    members = [main]
    outputs = DEFAULT_OUTPUTS if plan.outputs is None else tuple(plan.outputs)
    asked = plan.outputs is not None
    if "会议通知" in outputs:
        for path, m in meetings(plan):
            gaps = notice_gaps(m)
            if gaps:
                warn(plan, path, f"会议“{m.name}”缺少{'、'.join(gaps)}，没有单独写出会议通知："
                                 "补上后 gendoc render --all 会为它写一份")
            else:
                members.append(meeting_notice(plan, m, template_dirs))
    if "进度表" in outputs:
        if any(isinstance(n.value, Phase) for n in walk(plan)):
            members.append(schedule(plan, template_dirs))
        elif asked:
            warn(plan, ("outputs",), "计划没有阶段（phases），排不出工作进度安排表")
    if "任务分工表" in outputs:
        if plan.responsibilities:
            members.append(task_table(plan, template_dirs))
        else:
            warn(plan, ("outputs",), "计划没有任务分工（responsibilities），排不出任务分工表")
    return members


# ----------------------------------------------------------------------------- writing

def output_folder(plan_path: Path, out) -> Path:
    """-o DIR (an existing folder, or a new one in an existing folder); default: a folder
    named after the plan, beside it. A file is refused."""
    folder = Path(out) if out is not None else plan_path.with_suffix("")
    name = str(out if out is not None else folder)
    if folder.is_dir():
        return folder
    if folder.exists():
        raise GendocError("使用 --all 时 -o 应是一个文件夹（一次写出好几个文档），这里却是一个文件",
                          file=name)
    if folder.suffix.lower() in (".docx", ".pdf"):
        raise GendocError("使用 --all 时 -o 应是一个文件夹（一次写出好几个文档），不是 "
                          f"{folder.suffix} 文件名；例如 -o 文档/", file=name)
    if not folder.parent.is_dir():
        raise GendocError("输出文件夹所在的文件夹不存在", file=name)
    return folder


def _manifest(rows: list[dict], plan: Path) -> tuple[bytes, bytes]:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([zh for _, zh in MANIFEST_COLUMNS])
    w.writerows([[r[k] if r[k] is not None else "" for k, _ in MANIFEST_COLUMNS] for r in rows])
    text = json.dumps({"plan": str(plan), "columns": dict(MANIFEST_COLUMNS), "rows": rows},
                      ensure_ascii=False, indent=1)
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"), (text + "\n").encode("utf-8")


def render_family(plan_path, out=None, *, template_dirs: tuple[str, ...] = (), pdf: bool = False,
                  force: bool = False, timeout: float | None = None) -> FamilyResult:
    """Build every document of the plan, then write them and the manifest as one step."""
    plan_path = Path(plan_path)
    plan = load_plan(plan_path)
    folder = output_folder(plan_path, out)
    members = family(plan, tuple(template_dirs))   # the plan's own errors come first
    inputs = _template_files(template_dirs)
    result = FamilyResult(folder)
    files, dests = [], []
    for i, member in enumerate(members, 1):
        name = safe_file_name(f"{i:02d}", member.label)
        target = folder / name
        data, layout = Typesetter().render(member.document)
        row = {"file": name, "genre": member.genre, "title": member.title,
               "sha256": hashlib.sha256(data).hexdigest(), "pages": layout.pages, "pdf": None}
        if folder.is_dir():
            dests.append(check_destination(target, plan=plan_path, inputs=inputs, force=force))
        files.append((target, data))
        if pdf:
            pdf_target = target.with_suffix(".pdf")
            if folder.is_dir():
                check_destination(pdf_target, plan=plan_path, inputs=inputs, option="--pdf")
            files.append((pdf_target, _pdf_bytes(data, target, timeout)))
            row["pdf"] = pdf_target.name
        result.rows.append(row)
    result.manifest = [folder / m for m in MANIFEST]
    if folder.is_dir():
        for m in result.manifest:
            check_destination(m, plan=plan_path, inputs=inputs)
    csv_bytes, json_bytes = _manifest(result.rows, plan_path)
    files += [(result.manifest[0], csv_bytes), (result.manifest[1], json_bytes)]
    if not folder.is_dir():
        try:
            folder.mkdir()
        except OSError as exc:
            from .outputs import os_words
            raise GendocError(f"无法创建输出文件夹：{os_words(exc)}", file=str(folder)) from None
    for d in dests:
        keep_backup(d)
    write_all(files)
    return result
