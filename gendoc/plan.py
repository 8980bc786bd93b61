"""The plan schema (``schema_version: 1``): what a clerk writes, validated on load.

pydantic models with ``extra="forbid"``: a misspelt key is an error, not a silently empty
block. Dates live in date fields (:class:`~gendoc.dates.When` expressions), never in prose,
so they can be checked, shifted across years and formatted in one place.
"""

from __future__ import annotations

import datetime as _dt
import re
import warnings
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import (BaseModel, PrivateAttr, BeforeValidator, ConfigDict, Discriminator, Field,
                      PlainSerializer, PlainValidator, Tag, ValidationError, WithJsonSchema,
                      field_validator, model_validator)

from .dates import YEAR_MAX, YEAR_MIN, DateError, When, parse_iso_date
from .errors import GendocError, GendocWarning
from .loader import LineMap, dotted, load_file
from .model import MAX_LEVEL

SCHEMA_VERSION = 1
MAX_SECTION_DEPTH = MAX_LEVEL   # sections nest as deep as headings are numbered


def _when(value: Any) -> When:
    try:
        return When.parse(value)
    except DateError as exc:
        raise ValueError(str(exc)) from None


def _date(value: Any) -> _dt.date:
    try:
        return parse_iso_date(value)
    except DateError as exc:
        raise ValueError(str(exc)) from None


WhenField = Annotated[
    When, PlainValidator(_when), PlainSerializer(str),
    WithJsonSchema({"type": "string", "description":
                    "日期表达式：2014-02-28、2014-02-28..2014-03-07、2014-04 上旬、2014-03 底前、2003 上半年 等"}),
]
DateField = Annotated[
    _dt.date, PlainValidator(_date), PlainSerializer(lambda d: d.isoformat()),
    WithJsonSchema({"type": "string", "format": "date", "description": "YYYY-MM-DD，如 2014-02-28"}),
]


def _str_list(value: Any) -> Any:
    """Accept a single string where a list of names is expected."""
    if isinstance(value, str):
        return [value]
    return value


Text = Annotated[str, Field(min_length=1)]
Names = Annotated[list[Text], BeforeValidator(_str_list)]


_NOT_IN_FIXED_FORMS = re.compile(r"[\s#+@|\\{}<>&\"'`]")


def fixed_form(value: str, what: str) -> str:
    """Fields with a fixed form (机关代字, names of templates, ids) hold no spaces, line
    breaks or markup characters."""
    bad = _NOT_IN_FIXED_FORMS.search(value)
    if bad:
        ch = {"\n": "换行", "\r": "换行", "\t": "制表符", " ": "空格", "\u3000": "全角空格"}.get(
            bad.group(), f"“{bad.group()}”")
        raise ValueError(f"{what}里不能有{ch}")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, str_strip_whitespace=True)


class Shorthand(Strict):
    """A block that may also be written as a bare string, which fills ``_shorthand``."""

    _shorthand: ClassVar[str] = "text"

    @model_validator(mode="before")
    @classmethod
    def _from_str(cls, v: Any) -> Any:
        return {cls._shorthand: v} if isinstance(v, str) else v


# --------------------------------------------------------------------------- metadata

class Issuer(Strict):
    name: Text = Field(description="发文机关全称，如 中共沙湾县卫生局委员会")
    short: str | None = Field(None, description="规范化简称，如 局党委")
    self_ref: str | None = Field(None, description="正文中的自称，如 我局")
    mark: str | None = Field(None, description="发文机关标志文字，如 中共××县卫生局委员会文件；默认为全称加“文件”")


class DocNumber(Strict):
    code: Text = Field(description="机关代字，如 卫党发")
    year: int = Field(ge=YEAR_MIN, le=YEAR_MAX, description="年份，四位")
    seq: int | None = Field(None, ge=1, le=99999,
                            description="发文顺序号，不加“第”、不编虚位；印发前取号填写（gendoc roll 滚动到新一年时清空）")

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        if re.search(r"[〔〕\[\]【】()（）\d]", v):
            raise ValueError("机关代字里不要写年份、括号或序号：写 code: 卫党发, year: 2014, seq: 3")
        return fixed_form(v, "机关代字")

    def __str__(self) -> str:
        return f"{self.code}〔{self.year}〕{self.seq if self.seq is not None else '　　'}号"


class Secrecy(Strict):
    level: Literal["绝密", "机密", "秘密"]
    period: str | None = Field(None, description="保密期限，如 1年")

    def __str__(self) -> str:
        return self.level + (f"★{self.period}" if self.period else "")


class Printing(Strict):
    by: Text = Field(description="印发机关，如 中共××县卫生局委员会办公室")
    date: DateField


class Contact(Strict):
    name: Text
    phone: str | None = None


class Meta(Strict):
    genre: Literal["通知", "实施方案", "工作方案", "工作计划", "工作要点", "整改措施", "总结", "意见",
                   "请示", "报告", "纪要", "函"]
    title: Text = Field(description="标题，如 关于……的通知")
    title_lines: list[Text] | None = Field(None, description="手工回行：各行连起来必须等于标题")
    issuer: Issuer
    doc_number: DocNumber | None = None
    signers: Names = Field(default_factory=list, description="签发人（上行文必填）")
    copy_number: str | None = Field(None, description="份号，1—6 位数字，排为 6 位")
    secrecy: Secrecy | None = None
    urgency: Literal["特急", "加急"] | None = None
    recipients: Names = Field(default_factory=list, description="主送机关")
    cc: Names = Field(default_factory=list, description="抄送机关（版记）")
    date: DateField | None = Field(None, description="成文日期")
    signature: str | None = Field(None, description="发文机关署名，默认为发文机关全称")
    seal: bool = Field(True, description="是否加盖印章（决定署名和日期的位置）")
    printing: Printing | None = Field(None, description="印发机关和印发日期（版记）")
    notes: Names = Field(default_factory=list, description="附注，不带括号")
    contact: Contact | None = None
    year: int | None = Field(None, ge=YEAR_MIN, le=YEAR_MAX, description="计划年度；正文日期与之同年时不写年份")
    red_head: bool | None = Field(None, description="是否排版头（发文机关标志、发文字号、红色分隔线）；默认有发文字号时排")

    @field_validator("copy_number", mode="before")
    @classmethod
    def _copy_number_digits(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("copy_number")
    @classmethod
    def _copy_number(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not re.fullmatch(r"\d{1,6}", str(v)):
            raise ValueError("份号是 1—6 位阿拉伯数字，如 000017")
        return str(v).zfill(6)

    @field_validator("title_lines")
    @classmethod
    def _title_lines(cls, v: list[str] | None, info) -> list[str] | None:
        title = info.data.get("title")
        if v and title is not None and "".join(v) != title:
            raise ValueError("title_lines 连起来必须与 title 完全相同")
        return v

    @property
    def plan_year(self) -> int | None:
        """The plan's year: ``year`` as typed, else the 成文日期's, else the 文号's. Derived,
        never stored: ``year`` stays what the clerk wrote (None when not written)."""
        if self.year is not None:
            return self.year
        return self.date.year if self.date else self.doc_number.year if self.doc_number else None


# --------------------------------------------------------------------------- body blocks

class Dated(Strict):
    """What any dated paragraph carries: its date, a note on it, and where it prints."""

    when: WhenField | None = None
    when_note: str | None = Field(None, description="日期的附注，排在括号里，如 1天时间、具体时间另行通知")
    when_style: Literal["lead", "paren", "none"] | None = Field(
        None, description="日期排在哪里：lead 段首（3月底前，……），paren 标题后括号里（（4月上旬）），"
                          "none 不排；不写时按模板：有引领语排括号，没有排段首")
    when_join: str | None = Field(None, description="段首日期后的标点，默认“，”；写 \"\" 连排（3月17日上午组织……）")
    attendees: Names = Field(default_factory=list, description="参会人员（不是会议的条目也可以写）")
    guidance: Names = Field(default_factory=list, description="邀请……到会指导")
    observers: Names = Field(default_factory=list, description="邀请……列席")


class Item(Dated, Shorthand):
    """A numbered item (1.) with an optional run-in title, date and sub-items （1）."""

    title: str | None = Field(None, description="引领语，如 深入查摆问题")
    text: str = ""
    items: list["Item"] = Field(default_factory=list, description="下一层条目（（1））")

    @model_validator(mode="after")
    def _depth(self) -> "Item":
        for sub in self.items:
            if sub.items:
                raise ValueError("条目最多两层（1. 和（1））")
        return self


class Para(Dated, Shorthand):
    """A paragraph without a number, which may carry its own date: 3月底前，各支部……;
    inline points run inside it after its text (为此，一是……二是……)."""

    text: Text
    points: list["Point"] = Field(default_factory=list, description="段内的要点，接在 text 后面（一是……二是……）")
    points_style: Literal["yi_shi", "yi_yao", "plain"] = "yi_shi"


class Point(Shorthand):
    """An inline point (一是……/一要……) rendered inside the paragraph."""

    lead: str | None = None
    text: str = ""


class Table(Strict):
    header: list[str]
    rows: list[list[str]]

    @model_validator(mode="after")
    def _shape(self) -> "Table":
        for i, row in enumerate(self.rows):
            if len(row) != len(self.header):
                raise ValueError(f"第 {i + 1} 行有 {len(row)} 格，表头有 {len(self.header)} 格")
        return self


class Section(Strict):
    heading: Text
    when: WhenField | None = None
    when_note: str | None = Field(None, description="日期的附注，排在括号里")
    when_style: Literal["lead", "paren", "none"] | None = Field(
        None, description="日期排在哪里：paren 标题后括号里（默认），lead 正文开头（（一）标题。4月上旬，……）")
    when_join: str | None = Field(None, description="段首日期后的标点，默认“，”")
    run_in: bool = Field(False, description="标题与正文同段（（一）标题。正文……）")
    text: str | None = None
    paras: list[str] = Field(default_factory=list)
    points: list[Point] = Field(default_factory=list)
    points_style: Literal["yi_shi", "yi_yao", "plain"] = "yi_shi"
    items: list[Item] = Field(default_factory=list)
    table: Table | None = None
    sections: list["Section"] = Field(default_factory=list)
    body: list["Block"] = Field(default_factory=list,
                                description="按书写顺序排列的段落、条目、会议、小节（排在 items 之后、sections 之前）")
    closing_paras: list[str] = Field(default_factory=list)

    @field_validator("paras", "closing_paras", mode="before")
    @classmethod
    def _paras(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [p.get("text", "") if isinstance(p, dict) and set(p) <= {"text"} else p for p in v]
        return v


MEETING_PARTS = ("place", "presider", "duration", "text", "speakers", "attendees", "guidance", "observers",
                 "requirements", "follow_up")


class MeetingNotice(Strict):
    """The 会议通知 of one meeting (``gendoc render --all``): what differs from the plan.
    The issuer, recipients and contact default to the plan's."""

    title: str | None = Field(None, description="标题（默认“关于召开……的通知”）")
    doc_number: DocNumber | None = Field(None, description="发文字号（会议通知自己的）")
    date: DateField | None = Field(None, description="成文日期（不写则不排落款）")
    recipients: Names = Field(default_factory=list, description="主送机关（默认为计划的主送机关）")
    contact: Contact | None = Field(None, description="联系人（默认为计划的 meta.contact）")
    agenda: list[Text] = Field(default_factory=list, description="会议议程（每项一句）")


class Meeting(Dated):
    """A meeting or event: who, when, what, and what follows. Each part prints as its own
    sentence (or paragraph, ``layout: paragraphs``) in the order of ``order``; a part
    with no data prints nothing, not an empty label."""

    name: Text = Field(description="会议或活动名称，如 局党组专题民主生活会")
    verb: str = Field("召开", description="名称前的动词：召开、举办、开展……；写 \"\" 不加")
    numbered: bool = Field(True, description="是否作为编号条目（1.）排；false 时排成不编号的段落")
    place: str | None = None
    duration: str | None = Field(None, description="会期，如 半天")
    presider: str | None = None
    speakers: Names = Field(default_factory=list)
    text: str | None = Field(None, description="主要内容")
    requirements: str | None = None
    follow_up: str | None = Field(None, description="会后……")
    order: list[Literal[MEETING_PARTS]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: list(MEETING_PARTS),
        description="各部分的先后：place 地点, presider 主持, duration 会期, text 内容, speakers 讲话, "
                    "attendees 参会人员, guidance 到会指导, observers 列席, requirements 有关要求, "
                    "follow_up 会后；没列出的部分按这个顺序排在后面")
    layout: Literal["inline", "paragraphs"] = Field(
        "inline", description="inline 各部分连成一段；paragraphs 参会人员、有关要求、会后各成一段")
    notice: MeetingNotice | None = Field(
        None, description="会议通知（gendoc render --all 为这次会议单独写出）：文号、成文日期、联系人、议程")

    @field_validator("order")
    @classmethod
    def _order(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("order 里有重复的部分")
        return v + [p for p in MEETING_PARTS if p not in v]


class Block(Strict):
    """One entry of a ``body``: exactly one of para, item, meeting, section, points, table;
    a plain string is a paragraph. A body keeps the clerk's order."""

    para: Para | None = None
    item: Item | None = None
    meeting: Meeting | None = None
    section: "Section | None" = None
    points: list[Point] | None = None
    points_style: Literal["yi_shi", "yi_yao", "plain"] = "yi_shi"
    table: Table | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        """``- 一段话`` is a paragraph; ``- para: 一段话`` may carry its date beside it
        (``when:``, ``when_note:`` … on the same level)."""
        if isinstance(v, str):
            return {"para": {"text": v}}
        if isinstance(v, dict) and isinstance(v.get("para"), str):
            own = {k: x for k, x in v.items() if k in Para.model_fields and k != "text"}
            if own:
                rest = {k: x for k, x in v.items() if k not in own}
                return {**rest, "para": {"text": v["para"], **own}}
        return v

    @model_validator(mode="after")
    def _one(self) -> "Block":
        kinds = [k for k in BLOCK_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("body 的每一项要写且只写 para、item、meeting、section、points、table 之一"
                             + (f"（这里写了 {'、'.join(kinds)}）" if kinds else "（或者直接写一段文字）"))
        return self

    @property
    def kind(self) -> str:
        return next(k for k in BLOCK_KINDS if getattr(self, k) is not None)


BLOCK_KINDS = ("para", "item", "meeting", "section", "points", "table")


class Phase(Strict):
    name: Text
    when: WhenField
    when_note: str | None = Field(None, description="日期的附注，排在括号里")
    focus: str | None = Field(None, description="与标题同段的一句话（标题。重点……）")
    text: str | None = Field(None, description="标题下另起一段的说明")
    paras: list[str] = Field(default_factory=list, description="标题下不编号的段落")
    items: list[Item] = Field(default_factory=list)
    meetings: list[Meeting] = Field(default_factory=list)
    sections: list["Section"] = Field(default_factory=list)
    body: list[Block] = Field(default_factory=list,
                              description="按书写顺序排列的段落、条目、会议、小节（排在上面各项之后）")


class BasisDoc(Strict):
    issuer: str | None = None
    title: Text
    doc_number: DocNumber | None = None


class Preamble(Strict):
    basis: list[BasisDoc] = Field(default_factory=list, description="依据文件")
    basis_text: str | None = Field(None, description="没有单一依据文件时：根据……的有关部署")
    purpose: str | None = Field(None, description="为……")
    context: str | None = Field(None, description="结合……实际")
    lead_in: str | None = Field(None, description="现就……提出如下方案（模板补冒号；模板字段：正文部分数写 {{ count }}，"
                                                   "如 现提出以下{{ count }}条整改措施）")
    text: str | None = Field(None, description="整段自由书写的开头（给出时 basis、purpose、context 不用；"
                                                "lead_in 接在它后面，如 现提出以下{{ count }}条整改措施）")


class Principle(Strict):
    name: Text
    text: str = ""


class Metric(Strict):
    scope: str | None = None
    indicator: Text
    op: Literal[">=", ">", "<=", "<", "=", "达到"] | None = None
    value: float | int | str
    unit: str | None = None
    deadline: WhenField | None = None
    period: str | None = None
    consequence: str | None = Field(None, description="未达到时的后果，如 整改")


class Target(Strict):
    """A target as printed (text) plus its measurable parts (metrics, data for checks)."""

    text: Text
    metrics: list[Metric] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _from_str(cls, v: Any) -> Any:
        if isinstance(v, str):
            return {"text": v}
        if isinstance(v, dict) and "indicator" in v:  # one metric written inline
            v = dict(v)
            metric = {k: v.pop(k) for k in list(v) if k not in ("text", "metrics")}
            v["metrics"] = [*v.get("metrics", []), metric]
        return v


class CalendarEntry(Strict):
    """A dated or recurring event extracted from the prose: data for calendars and rollover."""

    when: WhenField | None = None
    every: str | None = Field(None, description="周期：每月、每年、定期……（与 when 二选一）")
    label: str | None = Field(None, description="正文里的写法，如 今年“七一”")
    what: Text
    owner: str | None = None
    count: str | None = None
    rollover: str | None = Field(None, description="换年时要做的事，如 期数加一")

    @model_validator(mode="after")
    def _one(self) -> "CalendarEntry":
        if (self.when is None) == (self.every is None):
            raise ValueError("when 和 every 要写且只写一个")
        return self


class Targets(Strict):
    lead: str | None = Field(None, description="引导语（模板字段，可写 {{ year }}；目标条数写 {{ count }}）")
    bullet: str = "——"
    render: bool = True
    items: list[Target] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, v: Any) -> Any:
        return {"items": v} if isinstance(v, list) else v


class Ideology(Shorthand):
    lead: str | None = Field(None, description="引导语（模板字段，可写 {{ year }}）")
    text: Text


class Goals(Shorthand):
    text: str | None = None
    slogans: list[str] = Field(default_factory=list)


class Person(Shorthand):
    _shorthand: ClassVar[str] = "name"
    name: Text
    post: str | None = None


class Office(Strict):
    name: str = "领导小组办公室"
    location: str | None = Field(None, description="办公室设在……")
    director: Person | None = None
    deputies: list[Person] = Field(default_factory=list)
    duties: str | None = None


class LeadingGroup(Strict):
    name: Text
    leader: list[Person] = Field(default_factory=list, description="组长")
    deputies: list[Person] = Field(default_factory=list, description="副组长")
    members: list[Person] = Field(default_factory=list, description="成员")
    duties: str | None = None
    office: Office | None = None

    @field_validator("leader", "deputies", "members", mode="before")
    @classmethod
    def _one(cls, v: Any) -> Any:
        return [v] if isinstance(v, (str, dict)) else v


class Task(Strict):
    area: str | None = None
    task: Text
    lead: Names = Field(default_factory=list, description="牵头单位")
    support: Names = Field(default_factory=list, description="配合单位")
    responsible: Names = Field(default_factory=list, description="具体负责单位")
    deadline: WhenField | None = None
    frequency: str | None = None
    output: str | None = None


class Rectification(Strict):
    problem: Text
    measures: list[Text] = Field(min_length=1)
    leader: str | None = Field(None, description="责任领导")
    unit: Names = Field(default_factory=list, description="责任单位")
    deadline: WhenField | None = None
    status: str | None = None


class Requirement(Shorthand):
    title: str | None = None
    text: Text


class SubDocument(Strict):
    title: Text
    facts: dict[str, Any] | None = Field(None, description="不渲染的结构化事实（会议制度的召集人、频次等）")
    text: str | None = None
    items: list[Item] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)


class Minutes(Strict):
    """纪要格式 (GB/T 9704 10.3): who attended, who was excused, who sat in, as written."""

    present: Names = Field(default_factory=list, description="出席（单位或姓名，照写）")
    absent: Names = Field(default_factory=list, description="请假")
    observers: Names = Field(default_factory=list, description="列席")


class Attachment(Strict):
    title: Text
    content: Literal["sections", "responsibilities", "leading_group", "rectifications", "plan"] = Field(
        "sections", description="附件内容：自己写的 sections；或由计划数据生成的任务分工表、领导小组名单、整改台账；或整篇方案（印发通知）")
    text: str | None = None
    paras: list[str] = Field(default_factory=list)
    items: list[Item] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    documents: list[SubDocument] = Field(default_factory=list)
    table: Table | None = None


class Plan(Strict):
    """One plan: metadata, the blocks the templates arrange, and attachments."""

    schema_version: Literal[1] = Field(description="计划格式版本，目前为 1")
    template: str = Field(description="模板名（templates/ 下的文件名，不含 .j2），如 implementation_plan")
    meta: Meta
    context: dict[str, Union[str, list[str]]] = Field(default_factory=dict, description="年度专名，供模板引用")
    preamble: Preamble | None = None
    guiding_ideology: Ideology | None = None
    principles: list[Principle] = Field(default_factory=list)
    goals: Goals | None = None
    scope: str | None = None
    targets: Targets | None = None
    phases: list[Phase] = Field(default_factory=list)
    meetings: list[Meeting] = Field(default_factory=list)
    calendar: list[CalendarEntry] = Field(default_factory=list, description="日程数据，不渲染")
    leading_group: LeadingGroup | None = None
    sections: list[Section] = Field(default_factory=list)
    sections_lead: str | None = Field(None, description="重点工作前的引导语（模板字段）：项数写 {{ count }}，"
                                                         "由程序数出，如 今年重点做好以下{{ count }}方面工作：")
    responsibilities: list[Task] = Field(default_factory=list)
    rectifications: list[Rectification] = Field(default_factory=list)
    requirements: list[Requirement] = Field(default_factory=list)
    closing: str | None = None
    notice_text: Names = Field(default_factory=list,
                               description="印发通知的正文（一段或几段）；默认“现将《……》印发给你们，请……”")
    attachments: list[Attachment] = Field(default_factory=list)
    summary: "SummarySpec | None" = Field(None, description="总结的内容：开展的活动、统计数、成效、问题、下步打算（模板 summary）")
    minutes: Minutes | None = Field(None, description="纪要：出席、请假、列席（排在正文之后）")
    agenda: list[Text] = Field(default_factory=list, description="会议议程（会议通知），每项一句")
    outputs: list[Literal["会议通知", "进度表", "任务分工表"]] | None = Field(
        None, description="gendoc render --all 另外单独写出的文档：会议通知（每个资料齐全的会议一份）、"
                          "进度表（工作进度安排表）、任务分工表；不写时为 会议通知 和 进度表")

    _file: str | None = PrivateAttr(None)
    _lines: LineMap | None = PrivateAttr(None)

    @field_validator("template")
    @classmethod
    def _template_name(cls, v: str) -> str:
        fixed_form(v, "模板名")
        if "/" in v or v.startswith("."):
            raise ValueError("模板名只写文件名（不含 .j2 和文件夹），如 implementation_plan")
        return v



# --------------------------------------------------------------------------- 总结 (summary)
# A 总结 is written from data: the events held (date, what, who, how many), statistics as
# numbers printed by code (11306人次, 66275元, 88%以上), achievements, problems, next steps.
# Prose that carries a number is a list of parts: text, a statistic, or a reference to the
# event's own data ({ref: when}); nothing inside a string is ever interpreted.

def _stat_number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"统计数应为数字（不带单位、不带千分位逗号），而这里是 {value!r}"[:200])
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("统计数应为有限的数字")
    if value < 0:
        raise ValueError(f"统计数不能为负数（{value}）：减少、下降写在文字里，如 降低15%")
    return value


StatNumber = Annotated[Union[int, float], PlainValidator(_stat_number),
                       WithJsonSchema({"type": "number", "minimum": 0})]


class Statistic(Strict):
    """统计数：数值、单位、修饰语，由程序排印，如 11306人次、66275元、88%以上、80余人、15%—20%。"""

    value: StatNumber | list[StatNumber] = Field(
        description="数值，不带单位和千分位逗号，如 11306；范围写两个数 [15, 20]，印作 15%—20%")
    unit: str | None = Field(None, description="单位，如 人、人次、元、个、%")
    what: str | None = Field(None, description="统计的是什么（数据说明，不印出），如 农村麻疹疫苗接种人数")
    qualifier: Literal["约", "近", "超过", "不到", "余", "多", "以上", "以下", "左右"] | None = Field(
        None, description="修饰：约、近、超过、不到印在数字前；余、多印在数字和单位之间（80余人）；"
                          "以上、以下、左右印在单位后（88%以上）")

    @field_validator("value")
    @classmethod
    def _range(cls, v: Any) -> Any:
        if isinstance(v, list) and (len(v) != 2 or v[0] >= v[1]):
            raise ValueError("范围写两个由小到大的数，如 [15, 20]")
        return v

    def __str__(self) -> str:
        from .summary import format_statistic
        return format_statistic(self)


class Ref(Strict):
    """引用：活动正文里引用这项活动自己的数据（日期、名称、人数……），或引导语所列的项数。"""

    ref: Literal["when", "what", "organiser", "participants", "place", "attendance", "count"] = Field(
        description="引用本项自己的数据：when 日期、what 活动名称、organiser 组织者、participants 参加者、"
                    "place 地点、attendance 参加人数；count 是引导语后面列出的项数（印作 三、两）")


def _prose(value: Any) -> Any:
    return [value] if isinstance(value, (str, dict)) else value


def _no_bare_number(value: Any) -> Any:
    raise ValueError(f"文字里的数字要写成统计数，由程序排印：{{value: {value}, unit: 单位}}")


def _part_kind(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "number[]"
    if isinstance(value, (dict, Statistic, Ref)):
        return "ref[]" if isinstance(value, Ref) or (isinstance(value, dict) and "ref" in value) else "statistic[]"
    return "str"   # the tag names are dropped from error locations like pydantic's own


Part = Annotated[Union[Annotated[str, Tag("str")], Annotated[Statistic, Tag("statistic[]")],
                       Annotated[Ref, Tag("ref[]")],
                       Annotated[str, PlainValidator(_no_bare_number), Tag("number[]"),
                                 WithJsonSchema({"type": "string"})]], Discriminator(_part_kind)]
Prose = Annotated[list[Part], BeforeValidator(_prose), Field(
    description="一段文字；含数字时写成列表，文字和统计数交替：[农村接种, {value: 11306, unit: 人}, 。]")]


class Outcome(Strict):
    """总结里的一条（做法、成效、打算）：可有引领语，正文可含统计数。"""

    title: str | None = Field(None, description="引领语，如 与本职工作相结合，切实提高卫生综合保障能力")
    text: Prose = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _from_str(cls, v: Any) -> Any:
        return {"text": v} if isinstance(v, (str, list)) else v

    _refs_allowed: ClassVar[frozenset] = frozenset()

    @model_validator(mode="after")
    def _refs(self) -> "Outcome":
        _check_refs(self.text, self._refs_allowed)
        return self


def _check_refs(text: list, allowed: set) -> None:
    for part in text:
        if isinstance(part, Ref) and part.ref not in allowed:
            if allowed:
                raise ValueError(f"这里不能引用 {part.ref}（可引用：{'、'.join(sorted(allowed))}）")
            raise ValueError(f"这里不能引用 {part.ref}：引用只用在活动（events，引用它自己的日期、名称等）"
                             "和引导语（count，所列的项数）里")


class Event(Outcome):
    """开展的活动或召开的会议：日期、名称、组织者、参加者、地点、参加人数。"""

    when: WhenField | None = Field(None, description="举办日期，如 2010-06-12；6月、9月写作 2010-06,09")
    what: Text = Field(description="活动或会议名称，如 卫生系统创先争优活动动员大会")
    organiser: str | None = Field(None, description="组织者、主办者，如 卫生局党委")
    participants: Names = Field(default_factory=list, description="参加者，如 各医疗卫生单位党员")
    place: str | None = Field(None, description="地点")
    attendance: Statistic | None = Field(None, description="参加人数，如 {value: 80, qualifier: 余, unit: 人}")
    when_sep: str = Field("，", description="日期在段首时与正文之间的标点；不要标点写 \"\"")

    @model_validator(mode="after")
    def _refs(self) -> "Event":
        _check_refs(self.text, {"when", "what", "organiser", "participants", "place", "attendance"})
        for part in self.text:
            if isinstance(part, Ref) and getattr(self, part.ref) in (None, []):
                raise ValueError(f"正文引用了 {part.ref}，但这一项没有填 {part.ref}")
        return self


class Practice(Strict):
    """主要做法的一项：标题，段落，开展的活动，其余条目。"""

    heading: Text = Field(description="标题，如 积极动员，全面部署。")
    paras: list[Prose] = Field(default_factory=list, description="段落（在活动和条目之前）")
    events: list[Event] = Field(default_factory=list, description="开展的活动（含召开的会议）")
    items: list[Outcome] = Field(default_factory=list, description="其余条目（在活动之后）")
    numbered: bool = Field(True, description="活动和条目是否编号（1. 2.）；false 时各成一段")


class SummaryPart(Outcome):
    """基本情况、取得成效、存在问题、下一步打算：标题、引导语，条目分条排或写在同一段（一是……二是……）。"""

    _refs_allowed: ClassVar[frozenset] = frozenset({"count"})

    heading: str | None = Field(None, description="标题；不写时用模板的默认标题")
    items: list[Outcome] = Field(default_factory=list)
    inline: bool = Field(False, description="条目写在引导语同一段，印作 一是……；二是……。")


class SummarySpec(Strict):
    """总结的内容，按总结的写法排列：开头、基本情况、主要做法、取得成效、存在问题、下一步打算。"""

    opening: Prose = Field(default_factory=list, description="开头：自开展……以来……现将……总结如下：")
    overview: SummaryPart | None = Field(None, description="基本情况")
    practices_heading: str | None = Field(
        None, description="主要做法的总标题（如 主要做法）；不写时各项做法直接作一级标题")
    practices_lead: Prose = Field(default_factory=list, description=(
        "主要做法前的引导语；项数用 {ref: count} 由程序数出：[主要开展了以下, {ref: count}, 方面工作：]"))
    practices: list[Practice] = Field(min_length=1, description="主要做法，每项一个标题")
    achievements: SummaryPart | None = Field(None, description="取得成效")
    problems: SummaryPart | None = Field(None, description="存在问题")
    next_steps: SummaryPart | None = Field(None, description="下一步打算")
    next_steps_with_problems: bool = Field(
        False, description="下一步打算并在存在问题一节里（标题如 存在问题，下步打算），引导语接在问题之后")

    @model_validator(mode="after")
    def _refs(self) -> "SummarySpec":
        _check_refs(self.opening, frozenset())
        _check_refs(self.practices_lead, frozenset({"count"}))
        return self

    def statistics(self) -> list[Statistic]:
        """Every statistic the 总结 prints, in document order (data for checks and tables)."""
        def walk(node):
            if isinstance(node, Statistic):
                yield node
            elif isinstance(node, BaseModel):
                for name in type(node).model_fields:
                    yield from walk(getattr(node, name))
            elif isinstance(node, list):
                for v in node:
                    yield from walk(v)
        return list(walk(self))


Para.model_rebuild()
Section.model_rebuild()
Plan.model_rebuild()
# --------------------------------------------------------------------------- end of 总结


def warn(plan: "Plan", path: tuple, message: str) -> None:
    """A warning about the plan, located like an error: file:line: field: message."""
    lines = getattr(plan, "_lines", None)
    located = GendocError(message, file=getattr(plan, "_file", None),
                          line=lines.line_of(path) if lines else None, field=dotted(path) or None)
    warnings.warn(GendocWarning(located.located()), stacklevel=2)


def check_dates(plan: "Plan") -> None:
    """Dates that parse but look wrong: an item or meeting outside its phase, phases out of order."""
    for i, ph in enumerate(plan.phases):
        for kind in ("items", "meetings"):
            for j, node in enumerate(getattr(ph, kind)):
                if node.when and not node.when.within(ph.when):
                    warn(plan, ("phases", i, kind, j, "when"),
                         f"{node.when} 不在阶段“{ph.name}”（{ph.when}）之内")
    for i, (a, b) in enumerate(zip(plan.phases, plan.phases[1:]), 1):
        if b.when.first < a.when.first:
            warn(plan, ("phases", i, "when"), f"阶段“{b.name}”开始早于前一阶段“{a.name}”")


def check_doc_number(plan: "Plan") -> None:
    """A 文号 without its sequence number: a draft, or a plan just rolled to a new year."""
    dn = plan.meta.doc_number
    if dn is not None and dn.seq is None:
        warn(plan, ("meta", "doc_number"), "发文字号还没有顺序号（seq）：印发前请向文书部门取号后填写")


def _section_depth_errors(data: Any, path: tuple) -> list[tuple[tuple, str]]:
    """Sections nested deeper than four levels, found before pydantic recurses."""
    out = []

    def walk(secs, p, depth):
        if not isinstance(secs, list):
            return
        for i, s in enumerate(secs):
            if not isinstance(s, dict):
                continue
            if depth > MAX_SECTION_DEPTH:
                out.append((p + (i,), f"标题层次超过四层（一、（一）1.（1））：这一节是第 {depth} 层"))
                continue
            walk(s.get("sections"), p + (i, "sections"), depth + 1)

    if isinstance(data, dict):
        walk(data.get("sections"), ("sections",), 1)
        for i, ph in enumerate(data.get("phases") or []):
            if isinstance(ph, dict):
                walk(ph.get("sections"), ("phases", i, "sections"), 2)
        for i, at in enumerate(data.get("attachments") or []):
            if isinstance(at, dict):
                walk(at.get("sections"), ("attachments", i, "sections"), 1)
    return out


_PYDANTIC_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不认识的字段（拼写错误？）",
    "string_type": "应为文字",
    "string_unicode": "文字里有无效的字符（孤立的代理码位），请删除后重新保存",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表（每项以“- ”开头）",
    "dict_type": "应为映射（键: 值）",
    "model_type": "应为映射（键: 值）",
    "model_attributes_type": "应为映射（键: 值）",
    "string_too_short": "不能为空",
    "too_short": "不能为空",
    "literal_error": "取值不对",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "int_from_float": "应为整数（不能有小数）",
    "too_long": "太长",
    "string_too_long": "太长",
    "union_tag_invalid": "取值不对",
}


def _message(err: dict) -> str:
    kind = err.get("type", "")
    if kind in ("value_error", "assertion_error"):
        msg = str(err.get("ctx", {}).get("error", err.get("msg", "")))
        return msg.removeprefix("Value error, ")
    base = _PYDANTIC_MESSAGES.get(kind, "取值不对")   # pydantic's own words are English
    ctx = err.get("ctx", {})
    if kind == "literal_error":
        return f"{base}：可用 {str(ctx.get('expected', '')).replace(' or ', '、').replace(', ', '、')}"
    if kind == "greater_than_equal":
        return f"{base}：至少是 {ctx.get('ge')}，而这里是 {err.get('input')!r}"
    if kind == "less_than_equal":
        return f"{base}：至多是 {ctx.get('le')}，而这里是 {err.get('input')!r}"
    if kind in ("string_type", "int_type", "list_type", "dict_type", "model_type", "bool_type",
                "float_type", "int_parsing", "bool_parsing", "int_from_float", "float_parsing"):
        return f"{base}，而这里是 {err.get('input')!r}"[:200]
    return base


def _model_at(loc: tuple):
    """The model class that holds the field at ``loc`` (for suggestions), or None."""
    model = Plan
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if model else None
        if field is None:
            return None
        model = _inner_model(field.annotation)
    return model


def _inner_model(annotation):
    import typing
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _located_message(err: dict, loc: tuple) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden" and loc and isinstance(loc[-1], str):
        import difflib
        holder = _model_at(loc[:-1])
        names = list(holder.model_fields) if holder else []
        close = difflib.get_close_matches(loc[-1], names, n=1, cutoff=0.6)
        if close:
            return f"不认识的字段；是不是 {close[0]}？"
        if names:
            return f"不认识的字段（拼写错误？这里可用：{'、'.join(names[:12])}{' 等' if len(names) > 12 else ''}）"
    if kind == "missing" and loc == ("schema_version",):
        return "缺少计划格式版本：在文件开头写一行 schema_version: 1"
    return _message(err)


def _clean_loc(loc: tuple) -> tuple:
    """Drop pydantic's union/validator tags from a location."""
    out = []
    for part in loc:
        if isinstance(part, str) and ("[" in part or part.startswith("function-")
                                      or part in ("str", "list[str]", "int", "float")):
            continue
        out.append(part)
    return tuple(out)


def validate(data: Any, lines: LineMap, file: str) -> Plan:
    """Validate loaded YAML data; every problem is reported with its line and field."""
    if not isinstance(data, dict):
        raise GendocError("计划文件的顶层应为映射（schema_version:、meta: …）", file=file, line=1)
    problems: list[GendocError] = []
    for path, msg in _section_depth_errors(data, ()):
        problems.append(GendocError(msg, file=file, line=lines.line_of(path), field=dotted(path)))
    if problems:
        raise GendocError(problems[0].message, file=file, line=problems[0].line,
                          field=problems[0].field, problems=problems)
    try:
        plan = Plan.model_validate(data)
        plan._file, plan._lines = file, lines
        check_dates(plan)
        check_doc_number(plan)
        return plan
    except ValidationError as exc:
        seen = set()
        for err in exc.errors(include_url=False):
            loc = _clean_loc(err["loc"])
            key = (loc, err["type"])
            if key in seen:
                continue
            seen.add(key)
            problems.append(GendocError(_located_message(err, loc), file=file,
                                        line=lines.line_of(loc), field=dotted(loc) or None))
        problems.sort(key=lambda p: (p.line or 0))
        first = problems[0]
        raise GendocError(first.message, file=file, line=first.line, field=first.field,
                          problems=problems) from None


def load_plan(path) -> Plan:
    data, lines, name = load_file(path)
    return validate(data, lines, name)


def json_schema() -> dict:
    schema = Plan.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "gendoc plan (schema_version 1)"
    return schema
