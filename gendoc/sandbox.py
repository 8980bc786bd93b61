"""The Jinja2 sandbox every template runs in: built-in ones, a clerk's ``-t`` folder, and the
template fields inside plans (lead-ins).

Jinja2's :class:`~jinja2.sandbox.SandboxedEnvironment` already keeps templates away from
Python internals. This module adds what a shared server and a batch of workers need:

* **Time** is bounded without signals, so the limit holds in any thread or worker process:
  every call, attribute or item look-up, operator, filter and ``range()`` step checks a
  deadline (:func:`budget`). On the main thread SIGALRM is armed as well, as a second line.
* **Memory** is bounded for every operation that can build a large string or list: the
  operators ``* ** + %``, calls (``str.center``, ``str.replace``, ``str.join``, ``str.format``
  and any other: arguments and results are measured), every filter (``format``, ``center``,
  ``indent``, ``join``, ``replace``, ``batch`` …), ``namespace()`` attributes and the
  template's whole output. A violation is a :class:`jinja2.exceptions.SecurityError`, which
  the renderer reports with the template's file and line. On POSIX the address space of
  the process is capped around each render as a last line (:func:`memory_cap`).
* **Loading** stays inside the given folders: a template that is a link pointing outside
  them is refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import signal
import threading
import time
from contextvars import ContextVar
from pathlib import Path

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import Namespace

from .errors import GendocError

MAX_VALUE_CHARS = 1_000_000      # no string or list a template builds may grow beyond this
MAX_OUTPUT_CHARS = 50_000_000    # a whole template's output (a 10,000-item plan: ~1.5 M)
MAX_SPENT_CHARS = 100_000_000    # characters all operations of one render may build together
MAX_RANGE = 100_000              # one range(); Jinja2's own sandbox bound
MAX_WIDTH = 10_000               # a width or precision in a format (%-format, str.format)
MEMORY_HEADROOM = 1 << 30        # address space a render may add (POSIX backstop)

SecurityError = jinja2.exceptions.SecurityError


# ---------------------------------------------------------------- the budget of one render

class _Budget:
    __slots__ = ("deadline", "seconds", "what", "spent")

    def __init__(self, seconds: float, what: str):
        self.seconds, self.what = seconds, what
        self.deadline = time.monotonic() + seconds
        self.spent = 0      # characters all calls, filters and operators have built so far

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise TimeLimit(self)


class TimeLimit(GendocError):
    def __init__(self, budget: _Budget):
        super().__init__(f"{budget.what}：运行超过 {budget.seconds:g} 秒，已停止"
                         "（模板里是否有死循环或过大的循环？）")


_current: ContextVar[_Budget | None] = ContextVar("gendoc_template_budget", default=None)


def tick() -> None:
    b = _current.get()
    if b is not None:
        b.tick()


@contextlib.contextmanager
def budget(seconds: float, what: str):
    """Bound the templates rendered inside: a deadline checked on every step (any thread),
    SIGALRM on the main thread, and the address-space backstop."""
    b = _Budget(seconds, what)
    token = _current.set(b)
    try:
        with _alarm(b), memory_cap():
            yield b
    finally:
        _current.reset(token)


@contextlib.contextmanager
def _alarm(b: _Budget):
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def _raise(signum, frame):
        raise TimeLimit(b)

    old = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, b.seconds + 0.5)   # the deadline normally fires first
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


_cap_lock = threading.Lock()
_cap_depth = 0


@contextlib.contextmanager
def memory_cap(headroom: int = MEMORY_HEADROOM):
    """Cap the process's address space at its current size plus ``headroom`` (POSIX, main
    thread only: the limit is per process). One huge allocation then fails with MemoryError
    instead of swapping the machine; the renderer reports it as the template's error."""
    global _cap_depth
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    size = _address_space()
    with _cap_lock:
        _cap_depth += 1
        outer = _cap_depth > 1
    if outer or size is None:
        try:
            yield
        finally:
            with _cap_lock:
                _cap_depth -= 1
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = size + headroom
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    if soft != resource.RLIM_INFINITY and soft <= cap:
        cap = None   # already tighter
    try:
        if cap is not None:
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
        yield
    finally:
        if cap is not None:
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        with _cap_lock:
            _cap_depth -= 1


def _address_space() -> int | None:
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    return None


# ---------------------------------------------------------------- size checks

def _size(value) -> int | None:
    return len(value) if isinstance(value, (str, bytes, list, tuple, dict, set)) else None


def _check_result(value, what: str):
    n = _size(value)
    if n is None:
        return value
    if n > MAX_VALUE_CHARS:
        raise SecurityError(f"{what}的结果超过 {MAX_VALUE_CHARS:,} 个字符或元素")
    b = _current.get()
    if b is not None and isinstance(value, (str, list, tuple)):
        # many values each under the bound (a list of long strings) are bounded together
        b.spent += n if isinstance(value, str) else n + sum(len(v) for v in value if isinstance(v, str))
        if b.spent > MAX_SPENT_CHARS:
            raise SecurityError(f"模板生成的文字累计超过 {MAX_SPENT_CHARS:,} 个字符")
    return value


def _check_args(args, kwargs, what: str) -> None:
    for v in (*args, *kwargs.values()):
        if isinstance(v, bool):
            continue
        if isinstance(v, int) and abs(v) > MAX_VALUE_CHARS:
            raise SecurityError(f"{what}的参数 {v} 太大")
        n = _size(v)
        if n is not None and n > MAX_VALUE_CHARS:
            raise SecurityError(f"{what}的参数超过 {MAX_VALUE_CHARS:,} 个字符或元素")


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]")
_FORMAT_SPEC = re.compile(r"\{[^{}]*?:([^{}]*)\}")
_DIGITS = re.compile(r"\d+")


def _check_percent(fmt: str, args) -> None:
    star_args = list(args) if isinstance(args, (tuple, list)) else [args]
    for m in _PERCENT_SPEC.finditer(fmt):
        for part in m.groups():
            if part == "*":
                if any(isinstance(a, int) and abs(a) > MAX_WIDTH for a in star_args):
                    raise SecurityError(f"格式里的宽度太大（上限 {MAX_WIDTH:,}）")
            elif part and int(part) > MAX_WIDTH:
                raise SecurityError(f"格式里的宽度 {part} 太大（上限 {MAX_WIDTH:,}）")


_NESTED_SPEC = re.compile(r"\{[^{}]*:[^{}]*\{")


def _check_format_spec(fmt: str) -> None:
    if _NESTED_SPEC.search(fmt):
        raise SecurityError("格式里的宽度不能由变量给出（如 {0:>{1}}），请写成数字")
    for spec in _FORMAT_SPEC.findall(fmt):
        for num in _DIGITS.findall(spec):
            if int(num) > MAX_WIDTH:
                raise SecurityError(f"格式里的宽度 {num} 太大（上限 {MAX_WIDTH:,}）")


def _join_size(sep, items) -> int:
    items = list(items)
    return sum(len(str(i)) for i in items) + len(str(sep)) * max(len(items) - 1, 0)


def _replace_size(s: str, old, new, count=-1) -> int:
    old, new = str(old), str(new)
    n = s.count(old) if old else len(s) + 1
    if isinstance(count, int) and count >= 0:
        n = min(n, count)
    return len(s) + n * (len(new) - len(old))


def _precheck_call(obj, args, kwargs) -> None:
    """Calls whose result can be far larger than their arguments: estimate first."""
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    if isinstance(owner, str):
        if name in ("center", "ljust", "rjust", "zfill") and args:
            if isinstance(args[0], int) and args[0] > MAX_VALUE_CHARS:
                raise SecurityError(f"{name}() 的宽度 {args[0]} 太大")
        elif name == "expandtabs":
            size = args[0] if args else kwargs.get("tabsize", 8)
            if isinstance(size, int) and size * max(owner.count("\t"), 1) + len(owner) > MAX_VALUE_CHARS:
                raise SecurityError("expandtabs() 的结果太大")
        elif name == "replace" and len(args) >= 2:
            if _replace_size(owner, *args[:3]) > MAX_VALUE_CHARS:
                raise SecurityError(f"replace() 的结果超过 {MAX_VALUE_CHARS:,} 个字符")
        elif name == "join" and args:
            if _join_size(owner, args[0]) > MAX_VALUE_CHARS:
                raise SecurityError(f"join() 的结果超过 {MAX_VALUE_CHARS:,} 个字符")
        elif name in ("format", "format_map"):
            _check_format_spec(owner)
    elif isinstance(owner, list) and name in ("extend", "append", "insert", "__iadd__"):
        extra = sum(_size(a) or 1 for a in args)
        if len(owner) + extra > MAX_VALUE_CHARS:
            raise SecurityError(f"列表超过 {MAX_VALUE_CHARS:,} 个元素")


# ---------------------------------------------------------------- filters and globals

def _bounded_filter(name: str, func):
    what = f"过滤器 {name} "

    def check(args, kwargs):
        tick()
        values = args[1:] if getattr(func, "jinja_pass_arg", None) else args
        # the filtered value itself may be large (a plan's list); its options may not
        _check_args(values[1:], kwargs, what)
        if name == "format" and values and isinstance(values[0], str):
            _check_percent(values[0], values[1:] or kwargs)
        elif name in ("center", "indent") and len(values) > 1 and isinstance(values[1], int):
            lines = str(values[0]).count("\n") + 1
            if values[1] * lines > MAX_VALUE_CHARS:
                raise SecurityError(f"{what}的宽度太大")
        elif name == "replace" and len(values) >= 3 and isinstance(values[0], str):
            if _replace_size(values[0], *values[1:4]) > MAX_VALUE_CHARS:
                raise SecurityError(f"{what}的结果超过 {MAX_VALUE_CHARS:,} 个字符")
        elif name == "join" and values:
            sep = values[1] if len(values) > 1 else kwargs.get("d", "")
            with contextlib.suppress(TypeError):
                if _join_size(sep, values[0]) > MAX_VALUE_CHARS:
                    raise SecurityError(f"{what}的结果超过 {MAX_VALUE_CHARS:,} 个字符")

    def wrapper(*args, **kwargs):
        check(args, kwargs)
        return _check_result(func(*args, **kwargs), what)

    for attr in ("jinja_pass_arg",):
        if hasattr(func, attr):
            setattr(wrapper, attr, getattr(func, attr))
    wrapper.__name__ = getattr(func, "__name__", name)
    return wrapper


def bounded_range(*args):
    """range() for templates: at most MAX_RANGE steps, each step checks the deadline."""
    _check_args(args, {}, "range()")
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise SecurityError(f"range() 最多 {MAX_RANGE:,} 步，这里是 {len(r):,} 步")
    for i in r:
        tick()
        yield i


class BoundedNamespace(Namespace):
    """namespace() whose attributes are bounded like every other value."""

    def __setitem__(self, name, value):
        tick()
        _check_result(value, f"namespace 的属性 {name} ")
        super().__setitem__(name, value)


# ---------------------------------------------------------------- loading

class ConfinedLoader(jinja2.FileSystemLoader):
    """A FileSystemLoader that refuses a template whose real path (links resolved) lies
    outside the folder it was found in."""

    def get_source(self, environment, template):
        source, filename, uptodate = super().get_source(environment, template)
        real = Path(filename).resolve()
        for root in self.searchpath:
            root_real = Path(root).resolve()
            if Path(filename).absolute().is_relative_to(Path(root).absolute()):
                if not real.is_relative_to(root_real):
                    raise GendocError(f"模板 {template} 是指向模板文件夹以外的链接（{real}），已拒绝；"
                                      "请把模板文件本身放进模板文件夹", file=filename)
                break
        return source, filename, uptodate


# ---------------------------------------------------------------- loops

_TICK_FILTER = "_gendoc_tick"


def _ticking(iterable):
    for item in iterable:
        tick()
        yield item


def _tick_loops(tree):
    """Every ``{% for %}`` loop checks the deadline on each step: nested loops over short
    strings make no call and no look-up, yet can run for hours."""
    for node in tree.find_all(nodes.For):
        node.iter = nodes.Filter(node.iter, _TICK_FILTER, [], [], None, None, lineno=node.lineno)
    return tree


# ---------------------------------------------------------------- the environment

class BoundedSandbox(SandboxedEnvironment):
    """Jinja2's sandbox with time and memory bounds on every operation (module docstring)."""

    intercepted_binops = frozenset(["*", "**", "+", "%", "//", "/", "-"])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters = {name: _bounded_filter(name, f) for name, f in self.filters.items()}
        self.filters[_TICK_FILTER] = _ticking
        self.globals.pop("lipsum", None)
        self.globals.update(range=bounded_range, namespace=BoundedNamespace)

    def _parse(self, source, name, filename):
        return _tick_loops(super()._parse(source, name, filename))

    def add_filters(self, **filters) -> None:
        self.filters.update({n: _bounded_filter(n, f) for n, f in filters.items()})

    def call_binop(self, context, operator, left, right):
        tick()
        if operator == "**" and isinstance(left, (int, float)) and isinstance(right, (int, float)):
            if abs(right) > 64 and abs(left) > 1:
                raise SecurityError(f"乘方太大：{left} ** {right}")
        elif operator == "*":
            for seq, k in ((left, right), (right, left)):
                if _size(seq) is not None and isinstance(k, int) and _size(seq) * k > MAX_VALUE_CHARS:
                    raise SecurityError(f"重复后超过 {MAX_VALUE_CHARS:,} 个字符")
        elif operator == "+" and _size(left) is not None and _size(right) is not None:
            if _size(left) + _size(right) > MAX_VALUE_CHARS:
                raise SecurityError(f"拼接后超过 {MAX_VALUE_CHARS:,} 个字符")
        elif operator == "%" and isinstance(left, str):
            _check_percent(left, right)
        return _check_result(super().call_binop(context, operator, left, right), "运算")

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja2's signature
        tick()
        if not isinstance(__obj, jinja2.Undefined):   # an undefined name is reported as such
            _check_args(args, {k: v for k, v in kwargs.items() if k != "caller"}, "调用")
            _precheck_call(__obj, args, kwargs)
        return _check_result(super().call(__context, __obj, *args, **kwargs), "调用")

    def wrap_str_format(self, value):
        """``'…'.format`` (Jinja2 3.1.5 and later wrap it when it is looked up): widths in
        the format are bounded, and none may come from a value ({0:>{1}})."""
        owner = getattr(value, "__self__", None)
        if isinstance(owner, str) and getattr(value, "__name__", "") in ("format", "format_map"):
            _check_format_spec(owner)
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None

        def bounded(*args, **kwargs):
            tick()
            return _check_result(wrapped(*args, **kwargs), "format()")
        return bounded

    def format_string(self, s, args, kwargs, format_func=None):  # Jinja2 before 3.1.5
        _check_format_spec(s)
        return _check_result(super().format_string(s, args, kwargs, format_func), "format()")

    def getattr(self, obj, attribute):
        tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj, argument):
        tick()
        return super().getitem(obj, argument)


# ---------------------------------------------------------------- compiled templates

def bytecode_cache(settings: str) -> jinja2.BytecodeCache | None:
    """Templates compiled once and kept between runs: compiling the built-in templates costs
    every command about 0.25 s, loading them compiled 0.01 s.

    Jinja2 keeps one file per template, checked against the template's source, so an edited
    template is compiled anew. The compiled code also depends on this module (the loops
    :func:`_tick_loops` rewrites) and on the environment's ``settings``: both are part of
    the files' names. The folder is ``$XDG_CACHE_HOME/gendoc/templates`` (``~/.cache/…``);
    it must be the user's own, and it and the folders above it up to the cache folder
    writable by nobody else, since Python loads code from it.
    ``GENDOC_NO_CACHE=1``, or a folder that cannot be made so, compiles every time."""
    if os.environ.get("GENDOC_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(base) / "gendoc" / "templates"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if hasattr(os, "getuid"):
            # the folder and every folder above it up to the cache's own: the user's (or
            # root's), and no one else may write to them, so no one can put a file there later
            for d in (folder, folder.parent, Path(base)):
                st = d.stat()
                if st.st_uid not in (os.getuid(), 0) or st.st_mode & 0o022:
                    return None
            if folder.stat().st_uid != os.getuid():
                return None
    except OSError:
        return None
    key = hashlib.sha256(Path(__file__).read_bytes() + settings.encode("utf-8")
                         + jinja2.__version__.encode("ascii")).hexdigest()[:16]
    return jinja2.FileSystemBytecodeCache(str(folder), f"%s-{key}.cache")


def render_bounded(template: jinja2.Template, context: dict) -> str:
    """Render with the output itself bounded (streamed and counted as it is produced)."""
    out: list[str] = []
    total = 0
    for chunk in template.generate(**context):
        total += len(chunk)
        if total > MAX_OUTPUT_CHARS:
            raise SecurityError(f"模板输出超过 {MAX_OUTPUT_CHARS:,} 个字符")
        out.append(chunk)
    return "".join(out)
