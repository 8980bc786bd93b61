"""The genres (文种 and the documents clerks write in them), one registry entry each.

An entry says what the genre is called, its 文种 (《党政机关公文处理工作条例》第八条), what it
is for, which template prints it, which plan fields that template prints, its starter plan
(``templates/starters/<名称>.yaml``, written by ``gendoc new``) and its layout form
(GB/T 9704-2012: 文件格式, or the special forms of clause 10: 信函格式, 纪要格式).

A plan chooses its template with ``template:``: a genre's name (``template: 会议通知``) is
looked up here; any other name is a template file, built in or in a clerk's ``-t`` folder.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from .errors import GendocError
from .resources import templates_dir

FORM_FILE, FORM_LETTER, FORM_MINUTES = "文件格式", "信函格式", "纪要格式"


@dataclass(frozen=True)
class Genre:
    name: str                  # 会议通知
    wenzhong: str              # its 文种: 通知
    purpose: str               # one line: what it is for
    template: str              # templates/<template>.j2
    fields: tuple[str, ...]    # the plan fields the template prints
    form: str = FORM_FILE      # GB/T 9704 layout form

    @property
    def starter(self) -> str:
        """The starter plan's file name, inside templates/starters/."""
        return f"{self.name}.yaml"


_PLAN = ("preamble", "guiding_ideology", "principles", "goals", "targets", "scope", "leading_group",
         "phases", "meetings", "sections", "responsibilities", "requirements", "closing", "attachments")

GENRES: dict[str, Genre] = {g.name: g for g in (
    Genre("通知", "通知", "布置工作、告知事项：开头、各项事项、会议安排、有关要求", "notice",
          ("preamble", "sections", "meetings", "requirements", "closing", "attachments")),
    Genre("印发通知", "通知", "印发一份方案：短短的通知正文，方案全文作为附件", "issuing_notice",
          ("notice_text", *_PLAN)),
    Genre("会议通知", "通知", "通知召开会议：时间、地点、参会人员、议程、有关要求、联系人", "meeting_notice",
          ("preamble", "meetings", "agenda", "requirements", "closing", "attachments")),
    Genre("实施方案", "实施方案", "部署一项工作：指导思想、目标、组织领导、分阶段步骤、任务分工、工作要求",
          "implementation_plan", _PLAN),
    Genre("工作方案", "工作方案", "分阶段推进的工作：各阶段作为一级标题，带起止日期、会议和活动",
          "work_plan", _PLAN),
    Genre("工作要点", "工作要点", "一年的工作要点：指导思想、主要目标、从（一）起排的重点工作", "work_points",
          ("preamble", "guiding_ideology", "targets", "sections", "requirements", "closing", "attachments")),
    Genre("整改措施", "整改措施", "查摆问题的整改：每个问题的措施、责任领导、责任单位、时限，附整改台账",
          "rectification",
          ("preamble", "leading_group", "sections", "rectifications", "requirements", "closing", "attachments")),
    Genre("总结", "总结", "工作总结：主要做法、成效、存在问题、下步打算", "summary",
          ("preamble", "sections", "closing", "attachments")),
    Genre("请示", "请示", "向上级请求指示或批准（上行文，一文一事，一个主送机关，签发人）", "request",
          ("preamble", "sections", "closing", "attachments")),
    Genre("报告", "报告", "向上级汇报工作、反映情况、答复询问（上行文，签发人，不夹带请示事项）", "report",
          ("preamble", "sections", "closing", "attachments")),
    Genre("纪要", "纪要", "记载会议主要情况和议定事项：纪要标志，出席、请假、列席，不署名不盖章", "minutes",
          ("preamble", "sections", "closing", "minutes", "attachments"), FORM_MINUTES),
    Genre("函", "函", "不相隶属机关之间商洽工作、询问和答复问题、请求批准（信函格式）", "letter",
          ("preamble", "sections", "closing", "attachments"), FORM_LETTER),
)}

# templates written by others that may not exist yet: the entry points at what prints it today
_FALLBACK_TEMPLATES = {"work_plan": "implementation_plan"}


def template_file(genre: Genre) -> str:
    """The template the genre prints with (a missing planned template falls back)."""
    name = genre.template
    if not (templates_dir() / f"{name}.j2").is_file() and name in _FALLBACK_TEMPLATES:
        return _FALLBACK_TEMPLATES[name]
    return name


def template_for(plan) -> str:
    """The template a plan is rendered with: its genre's (``template: 会议通知``), else the
    template it names (built in, or in a clerk's ``-t`` folder)."""
    genre = GENRES.get(plan.template)
    return template_file(genre) if genre else plan.template


def genre_of(plan) -> Genre | None:
    """The plan's genre: named by ``template:``, else the first genre printed by its template."""
    if plan.template in GENRES:
        return GENRES[plan.template]
    return next((g for g in GENRES.values() if plan.template in (g.template, template_file(g))), None)


def form_of(plan) -> str:
    """The GB/T 9704 layout form a plan is set in."""
    genre = genre_of(plan)
    if genre is not None:
        return genre.form
    return {"函": FORM_LETTER, "纪要": FORM_MINUTES}.get(plan.meta.genre, FORM_FILE)


def find(name: str) -> Genre:
    """The genre called ``name``; an unknown name is an error suggesting the nearest."""
    genre = GENRES.get(name.strip())
    if genre is not None:
        return genre
    names = list(GENRES)
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.3)
    close = close or [n for n in names if n in name or name in n][:1]
    hint = f"是不是“{close[0]}”？" if close else ""
    raise GendocError(f"没有名为“{name}”的文种；{hint}可用：{'、'.join(names)}（gendoc templates 列出全部）")


def starters_dir() -> Path:
    return templates_dir() / "starters"


def starter_text(genre: Genre) -> str:
    """The genre's starter plan, as shipped (commented YAML)."""
    path = starters_dir() / genre.starter
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        raise GendocError(f"gendoc 安装不完整：找不到文种“{genre.name}”的样例计划 {path.name}"
                          "（请重新安装 gendoc）") from None


def listing() -> list[str]:
    """One line a genre: name, 文种, what it is for."""
    width = max(len(g.name) for g in GENRES.values())
    wz = max(len(g.wenzhong) for g in GENRES.values())
    return [f"{g.name}{'　' * (width - len(g.name))}　{g.wenzhong}{'　' * (wz - len(g.wenzhong))}　{g.purpose}"
            for g in GENRES.values()]


def special_head(plan, head):
    """The 版头 of the plan's layout form: 信函格式 and 纪要格式 (GB/T 9704 clause 10) get
    their own (the typesetter lays them out); 文件格式 keeps ``head``."""
    from .typeset import LetterHead, MinutesHead
    check_genre(plan)
    form = form_of(plan)
    m = plan.meta
    if form == FORM_LETTER:
        return LetterHead(mark=m.issuer.mark or m.issuer.name,
                          doc_number=str(m.doc_number) if m.doc_number else None,
                          copy_number=m.copy_number, secrecy=str(m.secrecy) if m.secrecy else None,
                          urgency=m.urgency)
    if form == FORM_MINUTES:
        base = dict(vars(head)) if head is not None else {}
        base["mark"] = m.issuer.mark or f"{m.issuer.name}纪要"   # 纪要标志, never “…文件”
        rows = []
        if plan.minutes:
            for label, names in (("出席", plan.minutes.present), ("请假", plan.minutes.absent),
                                 ("列席", plan.minutes.observers)):
                if names:
                    rows.append((label, "、".join(names)))
        return MinutesHead(**base, attendance=rows)
    return head


_UPWARD = ("请示", "报告")   # 上行文 (条例第十五条, 第十六条)


def check_genre(plan) -> None:
    """What the genre asks of the plan (warnings, located): a 上行文 names its 签发人; a 请示
    has one 主送机关 (一文一事)."""
    from .plan import warn
    genre = genre_of(plan)
    name = genre.name if genre else plan.meta.genre
    if name in _UPWARD and not plan.meta.signers:
        warn(plan, ("meta",), f"{name}是上行文，应写签发人（meta.signers）")
    if name == "请示" and len(plan.meta.recipients) > 1:
        warn(plan, ("meta", "recipients"), "请示只写一个主送机关；其他机关写在抄送（meta.cc）")
