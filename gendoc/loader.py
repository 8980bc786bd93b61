"""Reading a plan file: bytes -> text -> YAML data with the line of every value.

Careless and hostile input ends here in a :class:`GendocError` naming the file and line:
unknown encodings, tabs in indentation, duplicate keys, alias bombs, oversized files.
Only PyYAML's safe composer is used (no Python object tags); the node graph is walked by
hand so that every value keeps its line, duplicate keys are caught, and the number of
values an alias can expand to is bounded.
"""

from __future__ import annotations

import codecs
import contextlib
import gc
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from .errors import GendocError

MAX_BYTES = 20 * 1024 * 1024          # a plan of 10,000 items is about 3 MB
MAX_VALUES = 500_000                  # values after alias expansion
MAX_DEPTH = 60                        # nesting of YAML collections
MAX_ALIAS_CHARS = 1_000_000           # characters an alias may repeat, all aliases together

Path_ = tuple  # a path into the data: ("meta", "date") or ("phases", 0, "when")


class LineMap(dict):
    """path tuple -> 1-based line; ``line_of`` falls back to the nearest known parent."""

    def line_of(self, path) -> int | None:
        path = tuple(path)
        while path:
            if path in self:
                return self[path]
            path = path[:-1]
        return self.get((), None)


_NUL_MESSAGE = ("文件含有空字符（NUL），不是文本文件，或编码是无字节顺序标记的 UTF-16；"
                "请以 UTF-8 编码另存")


def decode(raw: bytes, file: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030/GBK; CRLF accepted."""
    if raw.startswith(codecs.BOM_UTF8):
        raw, enc = raw[len(codecs.BOM_UTF8):], "utf-8"
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        enc = "utf-16"
    elif raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        enc = "utf-32"
    else:
        enc = "utf-8"
    try:
        text = raw.decode(enc)
    except UnicodeDecodeError as exc:
        if enc != "utf-8":
            line = raw[:exc.start].decode(enc, errors="ignore").count("\n") + 1
            raise GendocError(f"文件以 {enc.upper()} 字节顺序标记开头，但内容不是有效的 {enc.upper()}："
                              f"第 {line} 行（第 {exc.start} 字节）处损坏；请以 UTF-8 编码另存",
                              file=file, line=line) from None
        line = raw[:exc.start].count(b"\n") + 1
        if b"\x00" in raw:
            raise GendocError(_NUL_MESSAGE, file=file)
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise GendocError(
                f"第 {line} 行不是有效的 UTF-8，也不是 GBK/GB18030 编码；"
                "请在编辑器中以“UTF-8”编码另存此文件", file=file, line=line) from None
        # GBK text is read, but say so: a file that mixes encodings would be silently wrong.
        import warnings
        from .errors import GendocWarning
        warnings.warn(GendocWarning(f"{file}:{line}: 文件不是 UTF-8（从这一行起），已按 GBK/GB18030 编码读取；"
                                    "建议以 UTF-8 编码另存"), stacklevel=2)
    if "\x00" in text:
        raise GendocError(_NUL_MESSAGE, file=file)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _check_tabs(text: str, file: str) -> None:
    for no, line in enumerate(text.split("\n"), 1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent and line.strip() and not line.lstrip(" \t").startswith("#"):
            raise GendocError("缩进里有制表符（Tab）；YAML 只能用空格缩进，请把 Tab 换成空格",
                              file=file, line=no)


_SURROGATE = re.compile("[\ud800-\udfff]")
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _mark_line(mark) -> int | None:
    return mark.line + 1 if mark is not None else None


_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_PLAIN_NUMBER = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?$|^[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)$")


class _Walker:
    """Builds plain Python data from a composed YAML node graph, recording lines."""

    def __init__(self, file: str):
        self.file = file
        self.lines = LineMap()
        self.count = 0
        self.constructor = SafeConstructor()
        self.seen_scalars: set[int] = set()
        self.alias_chars = 0

    def walk(self, node, path: tuple, depth: int = 0) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise GendocError(f"计划展开后超过 {MAX_VALUES:,} 个值（可能是 YAML 别名炸弹），已拒绝",
                              file=self.file, line=_mark_line(node.start_mark))
        if depth > MAX_DEPTH:
            raise GendocError(f"嵌套超过 {MAX_DEPTH} 层，已拒绝", file=self.file,
                              line=_mark_line(node.start_mark))
        self.lines.setdefault(path, _mark_line(node.start_mark))
        if isinstance(node, yaml.MappingNode):
            self._check_tag(node, "tag:yaml.org,2002:map")
            out: dict = {}
            seen: dict = {}
            # keys written in this mapping; keys merged in with "<<" may be overridden by them
            own = {self.walk_key(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
            for key_node, value_node, merged in self._pairs(node):
                key = self.walk_key(key_node)
                if merged and (key in own or key in seen):
                    continue  # YAML merge: explicit keys and earlier merges win
                if key in seen:
                    raise GendocError(
                        f"键“{key}”重复：第 {seen[key]} 行和第 {_mark_line(key_node.start_mark)} 行；"
                        "YAML 里同一层的键只能出现一次",
                        file=self.file, line=_mark_line(key_node.start_mark),
                        field=_dotted(path + (key,)))
                seen[key] = _mark_line(key_node.start_mark)
                self.lines[path + (key,)] = _mark_line(key_node.start_mark)
                out[key] = self.walk(value_node, path + (key,), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            self._check_tag(node, "tag:yaml.org,2002:seq")
            return [self.walk(v, path + (i,), depth + 1) for i, v in enumerate(node.value)]
        if id(node) in self.seen_scalars:  # reached again through an alias
            self.alias_chars += len(node.value)
            if self.alias_chars > MAX_ALIAS_CHARS:
                raise GendocError(f"别名（*名字）重复的文字超过 {MAX_ALIAS_CHARS:,} 个字符"
                                  "（可能是 YAML 别名炸弹），已拒绝",
                                  file=self.file, line=_mark_line(node.start_mark))
        else:
            self.seen_scalars.add(id(node))
        return self._clean(self.scalar(node), node)

    def _check_tag(self, node, plain: str) -> None:
        if node.tag != plain:
            raise GendocError(f"不支持的 YAML 标签 {node.tag}", file=self.file,
                              line=_mark_line(node.start_mark))

    def _clean(self, value: Any, node) -> Any:
        """Lone surrogates (from escapes such as "\\ud800") and characters XML forbids (from
        escapes such as "\\x01") cannot be written into a .docx: drop them, saying where."""
        if not isinstance(value, str):
            return value
        for pattern, words in ((_SURROGATE, "无效的代理字符（如 \\ud800）"),
                               (_XML_FORBIDDEN, "文档里不能有的控制字符")):
            if pattern.search(value):
                import warnings
                from .errors import GendocWarning
                found = sorted({f"U+{ord(c):04X}" for c in pattern.findall(value)})
                warnings.warn(GendocWarning(
                    f"{self.file}:{_mark_line(node.start_mark)}: 已删除{words} {', '.join(found[:5])}"),
                    stacklevel=2)
                value = pattern.sub("", value)
        return value

    def _pairs(self, node, merged: bool = False, depth: int = 0):
        if depth > MAX_DEPTH:
            raise GendocError(f"“<<” 合并嵌套超过 {MAX_DEPTH} 层，已拒绝", file=self.file,
                              line=_mark_line(node.start_mark))
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for src in sources:
                    if not isinstance(src, yaml.MappingNode):
                        raise GendocError("“<<” 合并只能合并映射", file=self.file,
                                          line=_mark_line(key_node.start_mark))
                    yield from self._pairs(src, True, depth + 1)
            else:
                yield key_node, value_node, merged

    def walk_key(self, node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise GendocError("键必须是简单的文字", file=self.file, line=_mark_line(node.start_mark))
        key = self.scalar(node)
        if key is None or isinstance(key, bool):
            return str(node.value)
        return key

    def scalar(self, node) -> Any:
        if node.tag == "tag:yaml.org,2002:str":
            return node.value
        if node.tag == "tag:yaml.org,2002:timestamp":
            return node.value  # keep as text: the schema checks dates with clear messages
        if node.tag in (_INT, _FLOAT) and not _PLAIN_NUMBER.match(node.value):
            # YAML 1.1 reads 010 as 8 and 9:30 as 570: keep such forms as the text the clerk
            # typed (份号 000017 stays 000017; a number field then reads 010 as 10)
            return node.value
        if node.tag.startswith("tag:yaml.org,2002:"):
            try:
                return self.constructor.construct_object(node, deep=True)
            except Exception:  # noqa: BLE001 - any constructor failure is a bad value
                raise GendocError(f"无法读取的值：{node.value!r}", file=self.file,
                                  line=_mark_line(node.start_mark)) from None
        raise GendocError(f"不支持的 YAML 标签 {node.tag}", file=self.file,
                          line=_mark_line(node.start_mark))


def _dotted(path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (("." if out else "") + str(p))
    return out


dotted = _dotted


# libyaml's safe loader when PyYAML was built with it (5x faster); same node graph and marks.
# On an error the pure-Python loader runs again for its clearer message.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _rough_flow_depth(text: str) -> int:
    """Deepest run of unclosed [ and { (ignores quotes and comments: only a trigger)."""
    depth = deepest = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif ch in "]}":
            depth = max(0, depth - 1)
    return deepest


def _deep_line(text: str) -> int | None:
    """The line where collections first nest deeper than MAX_DEPTH (events: no recursion)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    return _mark_line(event.start_mark)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except (yaml.YAMLError, RecursionError):
        pass
    return None


def _check_expansion(root, file: str) -> None:
    """Refuse alias bombs and recursive anchors on the node graph, before building anything:
    each node's expanded size is computed once (memoised), so this is linear in the file."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise GendocError("别名（*名字）引用了包含它自己的锚点（&名字），展开是无穷的，已拒绝",
                              file=file, line=_mark_line(node.start_mark))
        if depth > MAX_DEPTH:
            raise GendocError(f"嵌套超过 {MAX_DEPTH} 层，已拒绝", file=file,
                              line=_mark_line(node.start_mark))
        if isinstance(node, yaml.ScalarNode):
            return 1
        active.add(key)
        children = (node.value if isinstance(node, yaml.SequenceNode)
                    else [n for pair in node.value for n in pair])
        total = 1
        for child in children:
            total += size(child, depth + 1)
            if total > MAX_VALUES:
                raise GendocError(f"计划展开后超过 {MAX_VALUES:,} 个值（可能是 YAML 别名炸弹），已拒绝",
                                  file=file, line=_mark_line(node.start_mark))
        active.discard(key)
        sizes[key] = total
        return total

    size(root, 0)


# PyYAML's problems, in the clerk's words (the English text follows for searching)
_YAML_PROBLEMS = (
    ("could not find expected ':'", "找不到键后面的冒号（检查缩进和冒号：键后面要有“: ”，冒号是半角的）"),
    ("mapping values are not allowed here",
     "这里不能出现“键: 值”（检查缩进和冒号：键后面要有“: ”，冒号是半角的；值里有冒号时请加引号）"),
    ("found undefined alias", "用到了没有定义的锚点（*别名）"),
    ("did not find expected key", "缩进不对：这里应是一个键"),
    ("did not find expected '-' indicator", "列表缩进不对：这里的每项应以“- ”开头"),
    ("expected <block end>", "缩进不对：这一行和上面同一层的行没有对齐"),
    ("found unexpected end of stream", "文件意外结束：引号或括号没有闭合"),
    ("found unknown escape character", "双引号里有不认识的转义（\\ 后面的字符）；可改用单引号"),
    ("expected ',' or ']'", "方括号 [ ] 里的列表没有闭合，或少了逗号"),
    ("expected ',' or '}'", "花括号 { } 里的映射没有闭合，或少了逗号"),
    ("but found another document", "一个文件只能有一个计划（多了“---”或“...”）"),
    ("found character '\\t' that cannot start any token", "这里有制表符（Tab）；请换成空格"),
    ("found character", "这里有 YAML 不允许放在开头的字符（@ 或 ` 开头的文字请加引号）"),
    ("found duplicate anchor", "锚点（&名字）重复"),
    ("while scanning a quoted scalar", "引号没有闭合"),
)


def yaml_problem(problem: str) -> str:
    for english, words in _YAML_PROBLEMS:
        if english in problem:
            return words
    return "写法不对（检查这一行和上一行的缩进、冒号、引号和括号）"


_FULL_WIDTH_KEY = re.compile(r"^\s*(?:-\s+)?([^\s:：#'\"{}\[\],]+)\s*：")


def _full_width_colon(text: str, error_line: int | None):
    """A key followed by a full-width colon at or above the error line: (line, key)."""
    if error_line is None:
        return None
    lines = text.split("\n")
    for no in range(min(error_line, len(lines)), max(error_line - 3, 0), -1):
        raw = lines[no - 1]
        m = _FULL_WIDTH_KEY.match(raw)
        if m and ": " not in raw.split("：", 1)[0] and not raw.lstrip().startswith("#"):
            return no, m.group(1)
    return None


@contextlib.contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while a plan's large, acyclic heap is built.

    Leaving, everything allocated meanwhile is handed to the oldest generation without a
    scan (freeze, then unfreeze): re-enabling alone would make the next allocation scan the
    whole young generation (0.16 s for a 10,000-item plan) and promote it twice more."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def load_text(text: str, file: str, keep: dict | None = None) -> tuple[Any, LineMap]:
    """Parse plan text; the cyclic garbage collector is paused meanwhile (:func:`gc_paused`)."""
    with gc_paused():
        return _load_text(text, file, keep)


def _load_text(text: str, file: str, keep: dict | None = None) -> tuple[Any, LineMap]:
    _check_tabs(text, file)
    if _rough_flow_depth(text) > 200:
        # the composer recurses once per level (libyaml's in C): very deep flow nesting
        # ([[[[…) can crash the interpreter itself, so measure the depth on events first.
        line = _deep_line(text)
        if line is not None:
            raise GendocError(f"嵌套超过 {MAX_DEPTH} 层，已拒绝", file=file, line=line)
    try:
        try:
            node = yaml.compose(text, Loader=_LOADER)
        except yaml.YAMLError:
            # the pure-Python loader words its errors better and places them exactly
            node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark is not None and "quoted scalar" in (exc.context or ""):
            mark = exc.context_mark          # an unclosed quote: where it opens, not the file's end
        line = _mark_line(mark)
        full_width = _full_width_colon(text, line)
        if full_width is not None:
            key_line, key = full_width
            raise GendocError(f"YAML 语法错误：键“{key}”后面用了全角冒号“：”；"
                              "应改为半角冒号加空格“: ”", file=file, line=key_line) from None
        raise GendocError(f"YAML 语法错误：{yaml_problem(exc.problem or str(exc))}", file=file,
                          line=line) from None
    except yaml.reader.ReaderError as exc:
        line = text[:exc.position].count("\n") + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        raise GendocError(f"第 {line} 行有不允许的控制字符 U+{char:04X}；请删除它"
                          "（要在文字里写控制字符，请用双引号和转义，如 \"\\x01\"）",
                          file=file, line=line) from None
    except yaml.YAMLError as exc:
        one_line = " ".join(str(exc).split())
        raise GendocError(f"YAML 语法错误：{one_line}", file=file) from None
    except RecursionError:
        raise GendocError(f"嵌套层次过深（超过 {MAX_DEPTH} 层），已拒绝", file=file,
                          line=_deep_line(text)) from None
    if node is None:
        raise GendocError("文件是空的，没有计划内容", file=file, line=1)
    _check_expansion(node, file)
    walker = _Walker(file)
    data = walker.walk(node, ())
    if keep is not None:          # callers that edit the file reuse the composed graph
        keep["node"] = node
    return data, walker.lines


def load_file(path: str | Path, keep: dict | None = None) -> tuple[Any, LineMap, str]:
    """``keep``: a dict that receives the decoded ``text`` and the composed ``node`` graph
    (for gendoc.source, which edits the file on the parser's positions)."""
    """Read and parse a plan file. Returns (data, line map, display name)."""
    p = Path(path)
    name = str(path)
    if p.is_dir():
        raise GendocError("这是一个文件夹，不是计划文件", file=name)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise GendocError("文件不存在", file=name) from None
    except OSError as exc:
        raise GendocError(f"无法读取：{exc.strerror}", file=name) from None
    if size > MAX_BYTES:
        raise GendocError(f"文件有 {size:,} 字节，超过计划文件上限 {MAX_BYTES:,} 字节（20 MiB）", file=name)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise GendocError(f"无法读取：{exc.strerror}", file=name) from None
    text = decode(raw, name)
    data, lines = load_text(text, name, keep)
    if keep is not None:
        keep["text"], keep["raw"] = text, raw
    return data, lines, name
