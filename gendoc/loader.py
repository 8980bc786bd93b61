"""Reading a plan file: bytes -> text -> YAML data with the line of every value.

Careless and hostile input ends here in a :class:`GendocError` naming the file and line:
unknown encodings, tabs in indentation, duplicate keys, alias bombs, oversized files.
Only PyYAML's safe composer is used (no Python object tags); the node graph is walked by
hand so that every value keeps its line, duplicate keys are caught, and the number of
values an alias can expand to is bounded.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from .errors import GendocError

MAX_BYTES = 20 * 1024 * 1024          # a plan of 10,000 items is about 3 MB
MAX_VALUES = 500_000                  # values after alias expansion
MAX_DEPTH = 60                        # nesting of YAML collections

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
            raise GendocError(f"文件以 {enc.upper()} 字节顺序标记开头，但内容不是有效的 {enc.upper()}："
                              f"第 {exc.start} 字节处损坏", file=file) from None
        line = raw[:exc.start].count(b"\n") + 1
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise GendocError(
                f"第 {line} 行不是有效的 UTF-8，也不是 GBK/GB18030 编码；"
                "请在编辑器中以“UTF-8”编码另存此文件", file=file, line=line) from None
        # GBK text is read, but say so: a file that mixes encodings would be silently wrong.
        import warnings
        from .errors import GendocWarning
        warnings.warn(GendocWarning(f"{file}: 文件不是 UTF-8，已按 GBK/GB18030 编码读取；"
                                    "建议以 UTF-8 编码另存"), stacklevel=2)
    if "\x00" in text:
        raise GendocError("文件含有空字符（NUL），不是文本文件，或编码是无字节顺序标记的 UTF-16；"
                          "请以 UTF-8 编码另存", file=file)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _check_tabs(text: str, file: str) -> None:
    for no, line in enumerate(text.split("\n"), 1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent and line.strip() and not line.lstrip(" \t").startswith("#"):
            raise GendocError("缩进里有制表符（Tab）；YAML 只能用空格缩进，请把 Tab 换成空格",
                              file=file, line=no)


def _mark_line(mark) -> int | None:
    return mark.line + 1 if mark is not None else None


class _Walker:
    """Builds plain Python data from a composed YAML node graph, recording lines."""

    def __init__(self, file: str):
        self.file = file
        self.lines = LineMap()
        self.count = 0
        self.constructor = SafeConstructor()

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
            out: dict = {}
            seen: dict = {}
            for key_node, value_node in self._pairs(node):
                key = self.walk_key(key_node)
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
            return [self.walk(v, path + (i,), depth + 1) for i, v in enumerate(node.value)]
        return self.scalar(node)

    def _pairs(self, node):
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for src in sources:
                    if not isinstance(src, yaml.MappingNode):
                        raise GendocError("“<<” 合并只能合并映射", file=self.file,
                                          line=_mark_line(key_node.start_mark))
                    yield from self._pairs(src)
            else:
                yield key_node, value_node

    def walk_key(self, node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise GendocError("键必须是简单的文字", file=self.file, line=_mark_line(node.start_mark))
        key = self.scalar(node)
        if key is None or isinstance(key, bool):
            return str(node.value)
        return key

    def scalar(self, node) -> Any:
        if node.tag == "tag:yaml.org,2002:timestamp":
            return node.value  # keep as text: the schema checks dates with clear messages
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


def load_text(text: str, file: str) -> tuple[Any, LineMap]:
    _check_tabs(text, file)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or str(exc)
        hint = ""
        if "could not find expected ':'" in problem or "mapping values are not allowed" in problem:
            hint = "（检查缩进和冒号：键后面要有“: ”，冒号是半角的）"
        elif "found undefined alias" in problem:
            hint = "（用到了没有定义的锚点 *别名）"
        raise GendocError(f"YAML 语法错误：{problem}{hint}", file=file,
                          line=_mark_line(mark)) from None
    except yaml.YAMLError as exc:
        raise GendocError(f"YAML 语法错误：{exc}", file=file) from None
    if node is None:
        raise GendocError("文件是空的，没有计划内容", file=file, line=1)
    walker = _Walker(file)
    data = walker.walk(node, ())
    return data, walker.lines


def load_file(path: str | Path) -> tuple[Any, LineMap, str]:
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
    data, lines = load_text(text, name)
    return data, lines, name
