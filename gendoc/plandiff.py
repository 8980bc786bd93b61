"""What changed between two plans, in plan terms (``gendoc diff``).

Two validated plans are compared field by field along the schema, not line by line: a list
of phases, sections, items, meetings or targets is aligned by what names each element
(heading, name, title, text …), so an inserted section shows as one added section rather
than every later section changed, and a moved one as moved. Every change is named the way
a clerk names it (阶段二“学习动员、听取意见”的时间, 第三部分（二）, 目标3 指标“综合满意率”),
dates are printed as clerks write them (3月8日—3月31日), and a reworded paragraph shows
the changed words marked 〔删：…〕〔增：…〕.

:func:`describe` (a plan path in Chinese) is shared with ``gendoc roll``'s report.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from pydantic import BaseModel

from .dates import When, cn_number, format_full_date
from .loader import dotted
from .plan import BLOCK_KINDS, Block, Plan

# ----------------------------------------------------------------- plan paths in Chinese

_TOP = {
    "schema_version": "格式版本", "template": "模板", "meta": "", "context": "年度专名",
    "preamble": "开头", "guiding_ideology": "指导思想", "principles": "基本原则", "goals": "工作目标",
    "scope": "范围", "targets": "目标", "phases": "阶段", "meetings": "会议", "calendar": "日程",
    "leading_group": "领导小组", "sections": "正文各部分", "sections_lead": "重点工作引导语",
    "responsibilities": "任务分工", "rectifications": "整改措施", "requirements": "工作要求",
    "closing": "结束语", "notice_text": "印发通知正文", "attachments": "附件",
}
_PATHS = {
    ("meta", "date"): "成文日期", ("meta", "printing", "date"): "印发日期",
    ("meta", "printing", "by"): "印发机关", ("meta", "printing"): "印发机关和印发日期",
    ("meta", "doc_number"): "发文字号", ("meta", "doc_number", "year"): "发文字号的年份",
    ("meta", "doc_number", "seq"): "发文字号的顺序号", ("meta", "doc_number", "code"): "发文字号的机关代字",
    ("meta", "year"): "计划年度", ("meta", "title"): "标题", ("meta", "genre"): "文种",
}
_FIELD = {
    "when": "时间", "deadline": "完成时限", "date": "日期", "text": "正文", "heading": "标题",
    "title": "标题", "name": "名称", "focus": "重点", "lead": "引导语", "paras": "段落",
    "items": "条目", "value": "数值", "indicator": "指标", "unit": "单位", "op": "比较",
    "scope": "范围", "metrics": "指标", "year": "年份", "seq": "顺序号", "code": "机关代字",
    "post": "职务", "presider": "主持人", "speakers": "讲话人", "attendees": "参会人员",
    "place": "地点", "task": "任务", "problem": "问题", "measures": "措施", "what": "事项",
    "owner": "负责单位", "label": "写法", "every": "周期", "points": "要点", "sections": "下级标题",
    "table": "表格", "header": "表头", "rows": "表格行", "run_in": "标题与正文同段",
    "points_style": "要点写法", "closing_paras": "结尾段落", "documents": "所附文件",
    "content": "附件内容", "slogans": "口号", "status": "进展", "frequency": "频次",
    "output": "成果", "period": "周期", "area": "方面", "count": "次数", "bullet": "条目符号",
    "render": "是否排出", "office": "办公室", "duties": "职责", "location": "办公室设在",
    "director": "主任", "deputies": "副组长", "members": "成员", "leader": "组长", "basis": "依据文件",
    "issuer": "发文机关", "short": "简称", "self_ref": "自称", "mark": "发文机关标志",
    "facts": "事实", "rollover": "换年时要做的事", "consequence": "未达到时",
    "basis_text": "依据", "purpose": "目的", "lead_in": "引出语", "guiding_ideology": "指导思想",
}
_ELEMENT = {  # list field -> how one element is named: (prefix, numbered?, name attributes)
    "phases": ("阶段", "cn", ("name",)),
    "items": ("第{n}项", "", ("title", "text")),
    "meetings": ("会议", "", ("name",)),
    "metrics": ("指标", "", ("indicator",)),
    "responsibilities": ("分工{n}", "", ("task",)),
    "rectifications": ("整改{n}", "", ("problem",)),
    "calendar": ("日程{n}", "", ("what",)),
    "requirements": ("工作要求{n}", "", ("title", "text")),
    "principles": ("原则{n}", "", ("name",)),
    "attachments": ("附件{n}", "", ("title",)),
    "documents": ("第{n}篇", "", ("title",)),
    "basis": ("依据文件{n}", "", ("title",)),
    "points": ("第{n}点", "", ("lead", "text")),
    "paras": ("第{n}段", "", ()),
    "closing_paras": ("结尾第{n}段", "", ()),
    "notice_text": ("第{n}段", "", ()),
    "slogans": ("口号{n}", "", ()),
    "rows": ("第{n}行", "", ()),
    "leader": ("组长{n}", "", ("name",)),
    "deputies": ("副组长{n}", "", ("name",)),
    "members": ("成员{n}", "", ("name",)),
    "measures": ("措施{n}", "", ()),
}


_BODY_KIND = {  # a body entry: how it is named (its place in the body, its name)
    "para": ("第{n}项（段落）", ("text",)), "item": ("第{n}项（条目）", ("title", "text")),
    "meeting": ("第{n}项（会议）", ("name",)), "points": ("第{n}项（要点）", ()),
    "table": ("第{n}项（表格）", ()),
}


def _short(s: Any, n: int = 14) -> str:
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[:n] + "…"


_OWN_WORDS = {"lead", "support", "responsible", "date", "unit", "leader"}  # meaning differs by block


def _field_label(owner: Any, name: str, top: bool) -> str:
    return _label_for(type(owner), name, top)


@functools.lru_cache(maxsize=1024)
def _label_for(cls: type, name: str, top: bool) -> str:
    if top:
        return _TOP.get(name, name)
    if name in _OWN_WORDS:
        return _described(cls, name) or _FIELD.get(name, name)
    return _FIELD.get(name) or _described(cls, name) or name


def _described(cls: type, name: str) -> str:
    """A field's own description, up to its first comma or bracket (the schema is in Chinese)."""
    fields = getattr(cls, "model_fields", None) or {}
    f = fields.get(name)
    desc = (f.description or "") if f else ""
    for stop in "，,（(；：: ":
        desc = desc.split(stop)[0]
    return desc.strip()


def _name_of(obj: Any, attrs: tuple) -> str:
    for a in attrs:
        v = getattr(obj, a, None)
        if v:
            return _short(v)
    return ""


def _section_mark(level: int, n: int) -> str:
    return [f"第{cn_number(n)}部分", f"（{cn_number(n)}）", f"{n}.", f"（{n}）"][min(level, 4) - 1]


def describe(plan: Plan, path) -> str:
    """A plan path in the clerk's words: ``("phases", 1, "when")`` -> 阶段二“学习动员、听取意见”的时间,
    ``("sections", 2, "sections", 1)`` -> 第三部分（二）“……”."""
    return Labels(plan)(path)


class Labels:
    """:func:`describe` for many paths of one plan: what each prefix of a path says is kept,
    so naming 10,000 items costs one walk per item, not one per level."""

    def __init__(self, plan: Plan):
        self.plan = plan
        # prefix -> (parts ((text, name, kind), …), the object there, section level, pending)
        # where pending is the label of a field not yet known to be printed: (label, droppable)
        self._memo: dict[tuple, tuple] = {(): ((), plan, 0, None)}

    def __call__(self, path) -> str:
        path = tuple(path)
        if path in _PATHS:
            return _PATHS[path]
        i = len(path)
        while path[:i] not in self._memo:
            i -= 1
        state = self._memo[path[:i]]
        for j in range(i, len(path)):
            state = self._step(state, path, j)
            self._memo[path[:j + 1]] = state
        parts, _, _, pending = state
        text = "".join(t + (f"“{nm}”" if nm else "") for t, nm, _ in parts)
        if pending:
            return f"{text}的{pending[0]}" if text else pending[0]
        return text or dotted(path)

    def _step(self, state: tuple, path: tuple, i: int) -> tuple:
        parts, obj, level, pending = state
        key = path[i]
        if isinstance(key, int):
            field_name = path[i - 1] if i else ""
            seq = obj if isinstance(obj, list) else []
            elem = seq[key] if 0 <= key < len(seq) else None
            n = key + 1
            # a list field whose elements are named says nothing itself
            if pending and field_name not in _ELEMENT and field_name not in ("sections", "body"):
                parts += ((pending[0], "", ""),)
            if field_name == "body" and isinstance(elem, Block):
                # an entry of a body list is named by what it is: 第2段, 会议“…”, （一）“…”
                kind, inner = elem.kind, getattr(elem, elem.kind)
                if kind == "section":
                    level += 1
                    if parts and parts[-1][2] == "section":
                        parts = parts[:-1] + ((parts[-1][0], "", "section"),)
                    nth = sum(1 for b in seq[:key + 1] if b.section is not None)   # its own number
                    part = (_section_mark(level, nth), _name_of(inner, ("heading",)), "section")
                else:
                    word, attrs = _BODY_KIND[kind]
                    part = (word.format(n=n), _name_of(inner, attrs) if attrs else "", "")
                return parts + (part,), elem, level, None
            if field_name == "sections":
                level += 1
                if parts and parts[-1][2] == "section":  # only the innermost heading is named
                    parts = parts[:-1] + ((parts[-1][0], "", "section"),)
                part = (_section_mark(level, n), _name_of(elem, ("heading",)), "section")
            elif field_name == "items" and path[:i] == ("targets", "items"):
                part = (f"目标{n}", _name_of(elem, ("text",)), "")
            elif field_name == "items" and parts and parts[-1][2] == "item":
                part = (f"（{n}）", _name_of(elem, ("title", "text")), "item")
            elif field_name in _ELEMENT:
                prefix, style, attrs = _ELEMENT[field_name]
                text = prefix + cn_number(n) if style == "cn" else prefix.format(n=n)
                part = (text, _name_of(elem, attrs) if attrs else "", "item" if field_name == "items" else "")
            else:
                part = (f"第{n}个", "", "")
            return parts + (part,), elem, level, None
        if isinstance(obj, Block) and key in BLOCK_KINDS:   # the entry's kind says nothing more
            return parts, getattr(obj, key), level, pending
        if pending and not pending[1]:
            parts += ((pending[0], "", ""),)
        if isinstance(obj, dict):  # context, facts
            return parts + ((f"“{key}”", "", ""),), obj.get(key), level, None
        top = obj is self.plan
        label = _field_label(obj, key, top)
        if path[:i + 1] in _PATHS:
            parts, label = ((_PATHS[path[:i + 1]], "", ""),), ""
        nxt = getattr(obj, key, None) if isinstance(obj, BaseModel) else None
        if key in ("sections", "body") and type(obj).__name__ == "Phase":
            level = 1
        elif key == "sections" and (top or type(obj).__name__ in ("Attachment", "SubDocument")):
            level = 0
        return parts, nxt, level, ((label, top and key == "targets") if label else None)


# ----------------------------------------------------------------- the diff

@dataclass
class Change:
    op: str                       # changed | added | removed | moved
    path: tuple                   # in the new plan (the old one for removed)
    old_path: tuple | None
    label: str
    old: Any = None
    new: Any = None
    old_text: str | None = None
    new_text: str | None = None
    marked: str | None = None
    line_old: int | None = None
    line_new: int | None = None
    kind: str = "value"           # date | text | value | block

    def as_json(self) -> dict:
        return {"op": self.op, "kind": self.kind, "path": dotted(self.path),
                "old_path": dotted(self.old_path) if self.old_path is not None else None,
                "label": self.label, "old": _jsonable(self.old), "new": _jsonable(self.new),
                "old_text": self.old_text, "new_text": self.new_text, "marked": self.marked,
                "line_old": self.line_old, "line_new": self.line_new}


_KEYS = ("heading", "name", "title", "task", "problem", "indicator", "what", "text", "lead")
# values the schema derives when the clerk did not type them (meta.year from the date):
# compared only where one of the files has them
_DERIVED = {("meta", "year")}


def _key(x: Any) -> str:
    if isinstance(x, BaseModel):
        for k in _KEYS:
            v = getattr(x, k, None)
            if isinstance(v, str) and v:
                return v
        return x.model_dump_json()
    return str(x)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, When) and isinstance(b, When):
        return (a.start, a.end) == (b.start, b.end)
    return a == b


def _jsonable(v: Any) -> Any:
    if isinstance(v, When):
        return str(v)
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, BaseModel):
        return json.loads(v.model_dump_json())
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return v


def _lines(plan: Plan):
    return getattr(plan, "_lines", None)


def _line(plan: Plan, path) -> int | None:
    lines = _lines(plan)
    return lines.line_of(path) if lines else None


_TOKENS = re.compile(r"\d+(?:[.,]\d+)*|[A-Za-z]+|\s+|.", re.S)


def mark_words(old: str, new: str, context: int = 12) -> str:
    """``old`` with the changed words marked: 满意率达〔删：80〕〔增：85〕%. Characters are
    compared one by one, numbers and Latin words whole; long unchanged stretches are
    shortened to ``context`` characters either side."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    ops = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    # an unchanged single character between two changes reads better inside the change
    merged: list[list] = []
    for k, (tag, i1, i2, j1, j2) in enumerate(ops):
        short_gap = tag == "equal" and i2 - i1 == 1 and 0 < k < len(ops) - 1
        if merged and merged[-1][0] != "equal" and (tag != "equal" or short_gap):
            merged[-1] = ["replace", merged[-1][1], i2, merged[-1][3], j2]
        else:
            merged.append([tag, i1, i2, j1, j2])
    out = []
    for k, (tag, i1, i2, j1, j2) in enumerate(merged):
        if tag == "equal":
            s = "".join(a[i1:i2])
            first, final = k == 0, k == len(merged) - 1
            if first and len(s) > context:
                s = "……" + s[-context:]
            elif final and len(s) > context:
                s = s[:context] + "……"
            elif not first and not final and len(s) > 2 * context:
                s = s[:context] + "……" + s[-context:]
            out.append(s)
            continue
        if i2 > i1:
            out.append(f"〔删：{''.join(a[i1:i2])}〕")
        if j2 > j1:
            out.append(f"〔增：{''.join(b[j1:j2])}〕")
    return "".join(out)


class _Differ:
    def __init__(self, old: Plan, new: Plan):
        self.old, self.new = old, new
        self.old_year = getattr(old.meta, "plan_year", old.meta.year)
        self.new_year = getattr(new.meta, "plan_year", new.meta.year)
        self.old_labels, self.new_labels = Labels(old), Labels(new)
        self.out: list[Change] = []

    def run(self) -> list[Change]:
        self.model(self.old, self.new, (), ())
        return self.out

    def emit(self, op, opath, npath, old=None, new=None, kind="value", **kw):
        label = self.old_labels(opath) if op == "removed" else self.new_labels(npath)
        self.out.append(Change(op, npath if op != "removed" else opath, opath, label, old, new,
                               line_old=_line(self.old, opath) if opath is not None else None,
                               line_new=_line(self.new, npath) if op != "removed" else None,
                               kind=kind, **kw))

    def model(self, o: BaseModel, n: BaseModel, op: tuple, np: tuple) -> None:
        for name in type(n).model_fields:
            if np + (name,) in _DERIVED and not self._typed(op + (name,), np + (name,)):
                continue
            self.value(getattr(o, name, None), getattr(n, name, None), op + (name,), np + (name,))

    def _typed(self, op, np) -> bool:
        lo, ln = _lines(self.old), _lines(self.new)
        return bool((lo and op in lo) or (ln and np in ln))

    def value(self, o, n, op, np) -> None:
        if isinstance(o, BaseModel) and isinstance(n, BaseModel) and type(o) is type(n):
            return self.model(o, n, op, np)
        if isinstance(o, list) and isinstance(n, list):
            return self.list(o, n, op, np)
        if isinstance(o, dict) and isinstance(n, dict):
            return self.dict(o, n, op, np)
        if _same(o, n):
            return None
        if isinstance(o, BaseModel) or isinstance(n, BaseModel):
            if o is None:
                return self.emit("added", None, np, new=n, kind="block", new_text=_short(_key(n), 40))
            if n is None:
                return self.emit("removed", op, None, old=o, kind="block", old_text=_short(_key(o), 40))
        return self.leaf(o, n, op, np)

    def leaf(self, o, n, op, np) -> None:
        if isinstance(o, (When, _dt.date)) or isinstance(n, (When, _dt.date)):
            ot, nt = self.show_date(o, self.old_year), self.show_date(n, self.new_year)
            if ot == nt:
                ot, nt = self.show_date(o, None), self.show_date(n, None)
            return self.emit("changed", op, np, o, n, "date", old_text=ot, new_text=nt)
        if isinstance(o, str) and isinstance(n, str):
            return self.emit("changed", op, np, o, n, "text", old_text=o, new_text=n,
                             marked=mark_words(o, n))
        return self.emit("changed", op, np, o, n, "value", old_text=_show(o), new_text=_show(n))

    @staticmethod
    def show_date(v, year) -> str:
        if v is None:
            return "（无）"
        if isinstance(v, When):
            return v.format(year)
        if isinstance(v, _dt.date):
            return format_full_date(v)
        return _show(v)

    def dict(self, o: dict, n: dict, op, np) -> None:
        for k in o:
            if k not in n:
                self.emit("removed", op + (k,), None, old=o[k], old_text=_show(o[k]))
        for k in n:
            if k not in o:
                self.emit("added", None, np + (k,), new=n[k], new_text=_show(n[k]))
            else:
                self.value(o[k], n[k], op + (k,), np + (k,))

    def list(self, o: list, n: list, op, np) -> None:
        ko, kn = [_key(x) for x in o], [_key(x) for x in n]
        removed: list[int] = []
        added: list[int] = []
        pairs: list[tuple[int, int]] = []
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, ko, kn, autojunk=False).get_opcodes():
            if tag == "equal":
                pairs += [(i1 + k, j1 + k) for k in range(i2 - i1)]
                continue
            left, right = list(range(i1, i2)), list(range(j1, j2))
            # pair the most similar elements of a replaced stretch (a reworded heading)
            while left and right:
                score, a, b = max(((SequenceMatcher(None, ko[a], kn[b], autojunk=False).ratio(), a, b)
                                   for a in left for b in right), key=lambda t: t[0])
                if score < 0.4:
                    break
                pairs.append((a, b))
                left.remove(a)
                right.remove(b)
            removed += left
            added += right
        # an element taken out here and put in there is a move
        for a in list(removed):
            b = next((b for b in added if kn[b] == ko[a]), None)
            if b is not None:
                removed.remove(a)
                added.remove(b)
                self.emit("moved", op + (a,), np + (b,), kind="block",
                          old_text=self.old_labels(op + (a,)), new_text=self.new_labels(np + (b,)))
                pairs.append((a, b))
        for a, b in sorted(pairs, key=lambda p: p[1]):
            self.value(o[a], n[b], op + (a,), np + (b,))
        for a in removed:
            self.emit("removed", op + (a,), None, old=o[a], kind="block", old_text=_short(_key(o[a]), 40))
        for b in added:
            self.emit("added", None, np + (b,), new=n[b], kind="block", new_text=_short(_key(n[b]), 40))


def _show(v: Any) -> str:
    if v is None:
        return "（无）"
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (list, tuple)):
        return "、".join(_show(x) for x in v) or "（空）"
    if isinstance(v, BaseModel):
        return _short(_key(v), 40)
    if isinstance(v, dict):
        return json.dumps(_jsonable(v), ensure_ascii=False)
    return str(v)


def diff_plans(old: Plan, new: Plan) -> list[Change]:
    """Every difference between two validated plans, in the order of the new plan."""
    changes = _Differ(old, new).run()
    changes.sort(key=lambda c: (c.line_new if c.line_new is not None else c.line_old or 0))
    return changes


_OPS = {"changed": "改", "added": "增", "removed": "删", "moved": "移"}


def format_text(changes: list[Change], old_name: str, new_name: str) -> str:
    if not changes:
        return f"{old_name} 和 {new_name} 的计划内容没有差别。\n"
    out = [f"{old_name} → {new_name}：{len(changes)} 处差别"]
    for c in changes:
        where = f"第 {c.line_new} 行" if c.line_new else (f"原第 {c.line_old} 行" if c.line_old else "")
        head = f"{_OPS[c.op]}  {where}  {c.label}"
        if c.op == "added":
            out.append(f"{head}" + (f"：{c.new_text}" if c.kind != "block" else "") + "（新增）")
        elif c.op == "removed":
            out.append(f"{head}" + (f"：{c.old_text}" if c.kind != "block" else "") + "（删除）")
        elif c.op == "moved":
            out.append(f"{head}：由原来的 {c.old_text}（原第 {c.line_old} 行）移到这里")
        elif c.kind == "text":
            out.append(f"{head}：{c.marked}")
        else:
            out.append(f"{head}：{c.old_text} → {c.new_text}")
    return "\n".join(out) + "\n"


def format_json(changes: list[Change], old_name: str, new_name: str) -> str:
    return json.dumps({"old": old_name, "new": new_name, "count": len(changes),
                       "changes": [c.as_json() for c in changes]}, ensure_ascii=False, indent=2) + "\n"
