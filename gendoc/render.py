"""The pipeline: plan YAML -> validated plan -> Jinja2 template -> document model -> .docx.

One configured Jinja2 environment (style.md): a sandbox (user templates are untrusted),
``StrictUndefined`` (a misspelt field is an error, not an empty string), every printed value
escaped into inert markup (``finalize``), and the project's filters registered in one place.
"""

from __future__ import annotations

import contextlib
import difflib
import re
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import jinja2
from pydantic import BaseModel
from jinja2.sandbox import SandboxedEnvironment

from .dates import When, cn_number, format_full_date
from .errors import GendocError
from .model import (Banji, Document, Head, Signature, end_sentence, escape_markup, parse_markup, plain_text,
                    strip_end)
from .plan import Plan, load_plan, warn
from .outputs import check_destination, keep_backup, write_all, write_atomic  # noqa: F401
from .resources import templates_dir
from .sandbox import BoundedSandbox, ConfinedLoader, budget, bytecode_cache, render_bounded
from .loader import LineMap, dotted
from .typeset import Layout, Typesetter, break_title
from .genres import special_head, template_for

TEMPLATE_SECONDS = 60      # a whole document template
FIELD_SECONDS = 2          # a template-typed plan field (lead-ins)
MAX_FIELD_OUTPUT = 2000


# ---------------------------------------------------------------- filters

def _join(values: Iterable, sep: str = "、") -> str:
    return sep.join(str(v) for v in values if v)


def _ordinal(n: int, word: str = "是") -> str:
    """1 -> 一是, 2 -> 二是 (inline points)."""
    return f"{cn_number(int(n))}{word}"


class _Filters:
    """Filters that need the plan (its year)."""

    def __init__(self, plan: Plan):
        self.year = plan.meta.plan_year

    def when(self, value, numerals: str = "arabic") -> str:
        value = unwrap(value)
        if value is None:
            return ""
        if isinstance(value, str):
            value = plain_text(value)
        return escape_markup(When.parse(value).format(self.year, numerals))


def _finalize(value):
    return "" if value is None else value


class View:
    """A read-only view of plan data for templates: data only, never behaviour.

    * every string it hands out is escaped markup (:func:`gendoc.model.escape_markup`), so no
      plan value can create headings, items or attachments, whatever filters a template
      applies to it;
    * of a model it shows the schema's fields and nothing else: no methods (``model_dump``,
      ``parse_file``, ``model_validate_json`` …), no attribute that reaches the loader, the
      file system or a class; values that are not plain data (dates, date expressions) are
      views too, printed escaped, and reach their formatting only through filters.
    """

    __slots__ = ("_obj", "_seen")

    def __init__(self, obj, seen: set | None = None):
        self._obj = obj
        self._seen = seen  # the root view records which plan fields the template read

    def __getattr__(self, name):
        if name not in _fields(type(self._obj)):
            raise AttributeError(name)
        if self._seen is not None:
            self._seen.add(name)
        return wrap(getattr(self._obj, name))

    def __bool__(self):
        return bool(self._obj)

    def __str__(self):
        return escape_markup(str(self._obj))

    def __eq__(self, other):
        return self._obj == (other._obj if isinstance(other, View) else other)

    __hash__ = None


@lru_cache(maxsize=None)
def _fields(cls: type) -> frozenset:
    """The names a view shows: a model's schema fields; nothing of any other object."""
    return frozenset(cls.model_fields) if issubclass(cls, BaseModel) else frozenset()


def wrap(value):
    if isinstance(value, str):
        return escape_markup(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [wrap(v) for v in value]
    if isinstance(value, dict):
        return {escape_markup(str(k)): wrap(v) for k, v in value.items()}
    return View(value)   # models, dates, date expressions: data, shown escaped


def unwrap(value):
    return value._obj if isinstance(value, View) else value


@lru_cache(maxsize=8)
def environment(extra_dirs: tuple[str, ...] = ()) -> SandboxedEnvironment:
    dirs = [*extra_dirs, str(templates_dir())]
    settings = dict(undefined=jinja2.StrictUndefined, autoescape=False, finalize=_finalize,
                    trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env = BoundedSandbox(
        loader=ConfinedLoader(dirs, encoding="utf-8"),
        bytecode_cache=bytecode_cache(repr(sorted((k, getattr(v, "__qualname__", v)) for k, v in settings.items()))),
        **settings,
    )
    env.globals.update(h=lambda level: "#" * int(level), SEP="|", plus=lambda n=1: "+" * int(n))
    env.add_filters(cn=cn_number, join=_join, period=end_sentence, strip_period=strip_end,
                    ordinal=_ordinal, full_date=lambda d: format_full_date(unwrap(d)))
    return env


def available_templates(extra_dirs: tuple[str, ...] = ()) -> list[str]:
    names = set()
    for d in (*extra_dirs, str(templates_dir())):
        p = Path(d)
        if p.is_dir():
            names.update(f.stem for f in p.glob("*.j2") if not f.name.startswith("_"))
    return sorted(names)


def render_field(source: str, plan: Plan, field: str, count: int | None = None) -> str:
    """A plan field the schema declares a template (lead-ins): sandboxed, small, bounded.
    ``count`` is how many entries the lead-in introduces, given to it as ``count`` in Chinese
    numerals (以下{{ count }}方面工作 -> 以下五方面工作), so that no count is typed."""
    try:
        return _render_field(source, plan, field, count)
    except GendocError as exc:
        path = tuple(int(p) if p.isdigit() else p for p in field.replace("[", ".").replace("]", "").split("."))
        exc.file = exc.file or getattr(plan, "_file", None)
        exc.line = exc.line or plan_line(plan, path)
        exc.field = exc.field or field
        raise


def _render_field(source: str, plan: Plan, field: str, count: int | None = None) -> str:
    env = _field_env()
    extra = {} if count is None else {"count": cn_number(count)}
    try:
        with budget(FIELD_SECONDS, f"字段 {field} 的模板"):
            out = render_bounded(env.from_string(source),
                                 dict(year=plan.meta.plan_year, ctx=plan.context,
                                      issuer=plan.meta.issuer.model_dump(), **extra))
    except GendocError:
        raise
    except jinja2.TemplateSyntaxError as exc:
        raise GendocError(f"模板语法错误：{_plain(exc.message or '')}", field=field) from None
    except jinja2.UndefinedError as exc:
        raise GendocError(f"模板引用了不存在的名字：{_plain(exc.message or '')}（可用 year、ctx.…、issuer.…"
                          + ("、count" if count is not None else "") + "）",
                          field=field) from None
    except jinja2.exceptions.SecurityError as exc:
        raise GendocError(f"模板做了不允许的操作：{exc}", field=field) from None
    except TypeError as exc:
        if "no loader" in str(exc):
            raise GendocError("模板字段里不能用 include、import 或 extends 引入其他文件",
                              field=field) from None
        raise GendocError(f"模板出错（TypeError）：{_plain(str(exc))}", field=field) from None
    except Exception as exc:  # noqa: BLE001 - anything a user template can raise
        raise GendocError(f"模板出错（{type(exc).__name__}）：{_plain(str(exc))}", field=field) from None
    if len(out) > MAX_FIELD_OUTPUT:
        raise GendocError(f"模板字段展开后超过 {MAX_FIELD_OUTPUT} 字", field=field)
    return out


@lru_cache(maxsize=1)
def _field_env() -> SandboxedEnvironment:
    env = BoundedSandbox(undefined=jinja2.StrictUndefined, autoescape=False)
    env.globals.clear()  # no range(), no lipsum, no cycler: a lead-in needs none of them
    return env


# ---------------------------------------------------------------- plan -> document

def document_head(plan: Plan) -> Head | None:
    m = plan.meta
    red = m.red_head if m.red_head is not None else bool(m.doc_number or m.issuer.mark)
    if not (red or m.copy_number or m.secrecy or m.urgency):
        return None
    return Head(
        mark=(m.issuer.mark or f"{m.issuer.name}文件") if red else None,
        doc_number=str(m.doc_number) if m.doc_number else None,
        signers=list(m.signers), copy_number=m.copy_number,
        secrecy=str(m.secrecy) if m.secrecy else None, urgency=m.urgency)


_LEAD_FIELDS = {"sections": "sections_lead", "lead_in": "preamble.lead_in"}


def template_context(plan: Plan, seen: set | None = None) -> dict:
    f = _Filters(plan)
    leads = {"guiding_ideology": "", "targets": "", "sections": "", "lead_in": ""}
    for name, value, count in (
            ("lead_in", plan.preamble and plan.preamble.lead_in, len(plan.sections)),
            ("guiding_ideology", plan.guiding_ideology and plan.guiding_ideology.lead, None),
            ("targets", plan.targets and plan.targets.lead, len(plan.targets.items) if plan.targets else 0),
            ("sections", plan.sections_lead, len(plan.sections))):
        if value:
            leads[name] = escape_markup(
                render_field(value, plan, _LEAD_FIELDS.get(name, f"{name}.lead"), count))
    view = View(plan, seen)
    return dict(plan=view, meta=view.meta, issuer=view.meta.issuer, year=plan.meta.plan_year,
                ctx=wrap(plan.context), leads=leads, when=f.when,
                docno=lambda d: escape_markup(str(unwrap(d))) if d else "")


def render_markup(plan: Plan, template_dirs: tuple[str, ...] = (), seen: set | None = None,
                  extra: dict | None = None) -> str:
    """``extra``: more template variables (gendoc/family.py: the meeting a 会议通知 is for),
    shown as plan data like the plan itself."""
    env = environment(tuple(template_dirs))
    name = template_for(plan)   # a genre's template (gendoc/genres.py), or the one named
    file = getattr(plan, "_file", None)
    line = plan_line(plan, ("template",))
    try:
        tpl = env.get_template(f"{name}.j2")
    except jinja2.TemplateNotFound:
        names = available_templates(template_dirs)
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        hint = f"是不是 {close[0]}？" if close else f"可用：{'、'.join(names)}"
        raise GendocError(f"没有名为“{name}”的模板；{hint}",
                          file=file, line=line, field="template") from None
    except jinja2.TemplateSyntaxError as exc:
        raise GendocError(f"模板语法错误：{_plain(exc.message or '')}", file=exc.filename or name,
                          line=exc.lineno) from None
    ctx = template_context(plan, seen)
    ctx.update({k: wrap(v) for k, v in (extra or {}).items()})
    try:
        with budget(TEMPLATE_SECONDS, f"模板 {name}"):
            return render_bounded(tpl, ctx)
    except GendocError as exc:
        if exc.file is None:   # a time limit: where the template was when it stopped
            exc.file, exc.line = _template_frame(exc, tpl.filename)
        raise
    except jinja2.TemplateSyntaxError as exc:
        raise GendocError(f"模板语法错误：{_plain(exc.message or '')}", file=exc.filename or name,
                          line=exc.lineno) from None
    except jinja2.TemplateNotFound as exc:    # an include or import (no search paths shown)
        file, line = _template_frame(exc, tpl.filename)
        raise GendocError(f"没有找到模板 {exc.name}", file=file, line=line) from None
    except Exception as exc:  # noqa: BLE001 - a user template may raise anything
        file, line = _template_frame(exc, tpl.filename)
        if isinstance(exc, jinja2.UndefinedError):
            message = "模板引用了不存在的字段：" + _plain(exc.message or "")
        elif isinstance(exc, jinja2.exceptions.SecurityError):
            message = f"模板做了不允许的操作：{_plain(str(exc))}"
        elif isinstance(exc, jinja2.TemplateRuntimeError):   # a filter or test not known
            message = f"模板出错：{_plain(str(exc))}"
        elif isinstance(exc, RecursionError):
            message = "模板递归过深"
        elif isinstance(exc, MemoryError):
            message = "模板占用的内存超过上限，已停止（模板里是否在反复拼接很长的文字？）"
        else:
            message = f"模板出错（{type(exc).__name__}）：{_plain(str(exc))}"
        raise GendocError(message, file=file, line=line) from None


def _template_frame(exc: BaseException, default: str | None) -> tuple[str | None, int | None]:
    """The template file and line where a render error happened (Jinja2 rewrites traceback
    frames to point into the template source)."""
    file, line = default, None
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith(".j2"):
            file, line = name, tb.tb_lineno
        tb = tb.tb_next
    return file, line


_JINJA_WORDS = (   # Jinja2's messages in the clerk's words
    (re.compile(r"'([^']*)' is undefined"), r"名字 \1 没有定义"),
    (re.compile(r"access to attribute '([^']*)' of '([^']*)' object is unsafe\.?"), r"不允许读取属性 \1"),
    (re.compile(r"计划数据 has no attribute '([^']*)'"), r"计划数据里没有字段 \1"),
    (re.compile(r"'([^']*)' has no attribute '([^']*)'"), r"\1 里没有 \2"),
    (re.compile(r"[Nn]o filter named '([^']*)'(?: found)?\.?"), r"没有名为 \1 的过滤器"),
    (re.compile(r"[Nn]o test named '([^']*)'\.?"), r"没有名为 \1 的测试"),
    (re.compile(r"unexpected end of template.*"), "模板意外结束（有没有闭合的 {% … %} 块或 {{ … }}？）"),
    (re.compile(r"[Ee]ncountered unknown tag '([^']*)'.*"), r"不认识的标签 \1"),
    (re.compile(r"unexpected '([^']*)'"), r"这里不该出现“\1”"),
    (re.compile(r"expected token 'end of print statement', got '([^']*)'"), r"{{ … }} 里出现了“\1”（是不是少了 }}？）"),
    (re.compile(r"expected token 'end of statement block', got '([^']*)'"), r"{% … %} 里出现了“\1”（是不是少了 %}？）"),
    (re.compile(r"expected token '([^']*)', got '([^']*)'"), r"这里应是“\1”，而不是“\2”"),
)


def _plain(message: str) -> str:
    """Speak of the plan, not of gendoc's classes or Jinja2's English."""
    message = (message.replace("'gendoc.render.View object'", "计划数据")
               .replace("gendoc.render.View object", "计划数据").replace("'dict object'", "映射")
               .replace("View", "计划数据"))
    for pattern, words in _JINJA_WORDS:
        message = pattern.sub(words, message)
    return message


def plan_line(plan: Plan, path: tuple) -> int | None:
    lines: LineMap | None = getattr(plan, "_lines", None)
    return lines.line_of(path) if lines else None


# plan fields that are data for checks, tables and tools (domain.md §2.3: the prose is what
# is printed), or that reach templates through ``leads``: no warning when a template skips them
_DATA_FIELDS = {"schema_version", "template", "meta", "context", "calendar", "responsibilities",
                "rectifications", "sections_lead", "outputs"}


def build_document(plan: Plan, template_dirs: tuple[str, ...] = (), extra: dict | None = None) -> Document:
    seen: set = set()
    markup = render_markup(plan, template_dirs, seen, extra)
    body, attachments = parse_markup(markup, source=f"模板 {plan.template}.j2 的输出")
    _warn_lost_content(plan, seen, attachments)
    m = plan.meta
    notes = list(m.notes)
    if m.contact:
        notes.append(f"联系人：{m.contact.name}" + (f"，电话：{m.contact.phone}" if m.contact.phone else ""))
    return Document(
        title_lines=list(m.title_lines) if m.title_lines else break_title(m.title),
        head=special_head(plan, document_head(plan)),   # 信函格式, 纪要格式 (genres.py)
        recipients="、".join(strip_end(r) for r in m.recipients) or None,  # the ：is the typesetter's
        body=body,
        attachments=attachments,
        signature=signature(plan),
        notes=notes,
        banji=Banji(cc=list(m.cc), printer=m.printing.by if m.printing else None,
                    print_date=format_full_date(m.printing.date) if m.printing else None),
    )


def signature(plan: Plan) -> Signature | None:
    """落款: the 署名 (default: the issuer's full name) and the 成文日期. A document with
    neither a 署名 nor a 成文日期 written (a 方案 issued under a 通知, an internal 安排)
    prints no 落款 at all; a 署名 without a date prints, with a warning."""
    m = plan.meta
    if m.date is None and not m.signature:
        return None
    if m.date is None:
        warn(plan, ("meta", "signature"), "写了署名但没有成文日期（meta.date）：落款只排署名")
    return Signature(name=m.signature or m.issuer.name,
                     date=format_full_date(m.date) if m.date else None, seal=m.seal)


def _warn_lost_content(plan: Plan, seen: set, attachments) -> None:
    """What a clerk wrote but will not find in the document."""
    for name in type(plan).model_fields:
        if name == "targets" and plan.targets and not plan.targets.render:
            continue
        if name not in _DATA_FIELDS and name not in seen and getattr(plan, name):
            warn(plan, (name,), f"模板 {plan.template} 不排这一部分，它不会出现在文档里")
    titles = [a.title for a in attachments]
    for i, att in enumerate(attachments):
        if not att.blocks:
            warn(plan, ("attachments",), f"附件“{att.title}”没有内容（content 写对了吗？）")
        if titles.index(att.title) != i:
            warn(plan, ("attachments",), f"附件标题“{att.title}”重复")


# ---------------------------------------------------------------- output files

def output_path(plan_path: Path, out: "str | Path | None", suffix: str = ".docx") -> Path:
    """-o FILE, -o DIR/ (named from the plan), or beside the plan."""
    as_dir = out is not None and str(out).endswith(("/", os.sep))
    out = Path(out) if out is not None else None
    if out is None:
        target = plan_path.with_suffix(suffix)
    elif out.is_dir() or as_dir:
        if not out.is_dir():
            raise GendocError("输出文件夹不存在", file=str(out))
        target = out / (plan_path.stem + suffix)
    else:
        target = out
        if target.suffix.lower() != suffix:
            raise GendocError(f"输出文件名应以 {suffix} 结尾", file=str(out))
    return target


@dataclass
class Result:
    docx: Path
    layout: Layout
    pdf: Path | None = None
    backup: Path | None = None   # the edited document kept before it was replaced (--force)


def render_file(plan_path: Path, out: "str | Path | None" = None, *, template_dirs: tuple[str, ...] = (),
                pdf: bool = False, force: bool = False, timeout: float | None = None) -> Result:
    """Render a plan file to .docx (and .pdf): both are written only when both succeeded."""
    plan_path = Path(plan_path)
    plan = load_plan(plan_path)
    target = output_path(plan_path, out)
    document = build_document(plan, template_dirs)   # the plan's own errors come first
    inputs = _template_files(template_dirs)
    dest = check_destination(target, plan=plan_path, inputs=inputs, force=force)
    pdf_dest = (check_destination(target.with_suffix(".pdf"), plan=plan_path, inputs=inputs,
                                  option="--pdf") if pdf else None)
    data, layout = Typesetter().render(document)
    files = [(target, data)]
    if pdf_dest is not None:
        files.append((pdf_dest.path, _pdf_bytes(data, target, timeout)))
    keep_backup(dest)
    write_all(files)
    return Result(target, layout, pdf_dest.path if pdf_dest else None, dest.backup)


def _pdf_bytes(data: bytes, target: Path, timeout: float | None) -> bytes:
    """The PDF of a .docx not yet written, converted in LibreOffice's private folder (gone
    when the conversion ends, however it ends); errors name the real output file."""
    from .pdf import converted
    with converted(target, data=data, timeout=timeout) as pdf:
        return pdf.read_bytes()


def _template_files(template_dirs: tuple[str, ...]) -> list[Path]:
    out: list[Path] = []
    for d in template_dirs:
        with contextlib.suppress(OSError):
            out.extend(p for p in Path(d).iterdir() if p.is_file())
    return out
