"""The plan file as a tree that can be written back: get, set and line by plan path.

``gendoc roll`` must hand the clerk's own file back with only the moved values changed:
comments, key order, indentation, quoting, flow or block style, blank lines, line endings
and everything gendoc does not understand stay byte for byte as they were.

A round-trip dumper (ruamel.yaml's ``typ='rt'``) does not give that: it re-indents
sequences (``  - x`` becomes ``- x``), writes ``null`` as nothing and moves end-of-line
comments. So this layer does not dump at all. It composes the same decoded text with the
YAML composer gendoc's loader already uses (PyYAML, libyaml when available), whose nodes
carry their exact character span and scalar style, and edits the text in place: a changed
scalar is replaced inside its span, in its own quoting, and nothing else is touched. No
value is ever re-read by a second YAML implementation, so YAML 1.1/1.2 number rules cannot
differ between loading and writing.

The defences are the loader's: :func:`open_plan` reads and validates the file through
``gendoc.loader`` and ``gendoc.plan`` (encodings, size, tabs, duplicate keys, alias bombs,
depth, schema with lines) and only then composes the text for editing.
"""

from __future__ import annotations

import codecs
import warnings
from pathlib import Path
from typing import Any

import yaml

from .errors import GendocWarning
from .loader import LineMap, load_file
from .plan import Plan, validate

_MERGE = "tag:yaml.org,2002:merge"
_TAGS = {yaml.SequenceNode: "tag:yaml.org,2002:seq", yaml.MappingNode: "tag:yaml.org,2002:map"}


class _Composer(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """The loader's composer without implicit typing: this layer reads each scalar's text and
    style, never its YAML type (the loader has typed the values), so the resolver only marks
    ``<<`` merge keys."""

    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode:
            return _MERGE if value == "<<" and implicit[0] else "tag:yaml.org,2002:str"
        return _TAGS[kind]


class Source:
    """Decoded plan text plus its composed node graph; edits are recorded and applied by
    :meth:`text_out`. Paths are plan paths: ``("phases", 1, "when")``."""

    def __init__(self, text: str, file: str, *, bom: bool = False, crlf: bool = False,
                 encoding: str = "utf-8", root=None):
        self.text = text
        self.file = file
        self.bom, self.crlf, self.encoding = bom, crlf, encoding
        # the loader's own graph when given (same text, same marks; this layer reads only
        # scalars' text and the merge tag, which both resolvers set alike)
        self.root = root if root is not None else yaml.compose(text, Loader=_Composer)
        self._edits: dict[int, tuple[int, int, str]] = {}  # id(node) -> (start, end, new raw)
        self._data_edits: dict[tuple, Any] = {}            # path as written -> value as loaded
        self.data: Any = None          # the plain data and line map gendoc's loader read
        self.lines: LineMap | None = None
        self._found: dict[tuple, tuple] = {(): (self.root, ())}  # plan path -> (node, as written)

    # ------------------------------------------------------------------ lookup

    def resolve(self, path) -> tuple[Any, tuple] | None:
        """(node, path as written in the file) for a plan path, or None when absent.

        The plan path is the model's; it differs from the file where a validator moved a
        value: a target's metric written inline (``{text, indicator, deadline}``) is
        ``metrics[-1]`` in the model. Such a ``key, index`` step that the file does not have
        is skipped and the rest of the path is looked up in the same mapping; so is a key
        whose value is a shorthand scalar with the element's other fields beside it (a body
        entry ``para: 一段话`` with its ``when:``)."""
        parts = tuple(path)
        if parts in self._found:
            return self._found[parts]
        i = len(parts) - 1
        while parts[:i] not in self._found:  # siblings share their parents' walk
            i -= 1
        node, written = self._found[parts[:i]]
        written = list(written)
        while i < len(parts):
            part = parts[i]
            if isinstance(node, yaml.MappingNode):
                child = _mapping_get(node, part)
                nxt = parts[i + 1] if i + 1 < len(parts) else None
                if isinstance(nxt, int) and (child is None or not isinstance(child, yaml.SequenceNode)
                                             or nxt >= len(child.value)):
                    i += 2  # written inline: the element's keys sit in this mapping
                    continue
                if child is None:
                    return None
                if isinstance(child, yaml.ScalarNode) and isinstance(nxt, str):
                    # written as a shorthand with its fields beside it (``para: 一段话`` and
                    # ``when:`` on the same level): the rest is in this mapping
                    i += 1
                    continue
                node = child
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if not 0 <= part < len(node.value):
                    return None
                node = node.value[part]
            else:
                return None
            written.append(part)
            i += 1
            self._found[parts[:i]] = node, tuple(written)
        found = self._found[parts] = node, tuple(written)
        return found

    def node(self, path):
        found = self.resolve(path)
        return found[0] if found else None

    def get(self, path) -> str | None:
        """The scalar's value as typed (text, before any YAML typing)."""
        node = self.node(path)
        return node.value if isinstance(node, yaml.ScalarNode) else None

    def line(self, path, needle: str | None = None) -> int | None:
        """1-based line of the value at ``path``; with ``needle``, the line inside a
        multi-line scalar where that text is typed (else the value's first line)."""
        node = self.node(path)
        return None if node is None else self.node_line(node, needle)

    def node_line(self, node, needle: str | None = None) -> int:
        line = node.start_mark.line + 1
        if needle:
            raw = self.text[node.start_mark.index:node.end_mark.index]
            at = raw.find(needle)
            if at >= 0:
                line += raw.count("\n", 0, at)
        return line

    # ------------------------------------------------------------------ editing

    def set(self, path, value: str) -> None:
        """Replace the scalar at ``path`` by ``value`` (its text), keeping its quoting."""
        found = self.resolve(path)
        if found is None or not isinstance(found[0], yaml.ScalarNode):
            raise KeyError(path)
        self.set_node(found[0], found[1], value)

    def set_node(self, node, written: tuple, value: str) -> None:
        """:meth:`set` for a node already found: ``written`` is its path in the file."""
        self._edits[id(node)] = _replacement(self.text, node, value)
        if self.data is not None:
            self._data_edits[written] = _loaded_like(self._data_at(written), value)

    def _data_at(self, path):
        cur = self.data
        for key in path:
            cur = cur[key]
        return cur

    def edited_data(self) -> Any:
        """The loaded data with the edits applied, sharing everything the edits left alone
        (containers on an edited path are copied once)."""
        made: set[int] = set()

        def own(obj):
            if id(obj) in made:
                return obj
            copy = obj.copy()
            made.add(id(copy))
            return copy

        root = own(self.data)
        for path, value in self._data_edits.items():
            cur = root
            for key in path[:-1]:
                cur[key] = own(cur[key])
                cur = cur[key]
            cur[path[-1]] = value
        return root

    def validate_edited(self, file: str) -> tuple[Plan, list[str]]:
        """Validate the edited plan (the schema, dates and their warnings) without reading
        the text again: the edits only put new digits into scalars of the same kind, so the
        edited text loads as :meth:`edited_data`. Returns the plan and its warnings."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", GendocWarning)
            plan = validate(self.edited_data(), self.lines, file)
        return plan, [str(w.message) for w in caught if issubclass(w.category, GendocWarning)]

    @property
    def edited(self) -> bool:
        return bool(self._edits)

    def text_out(self) -> str:
        """The text with every edit applied (the input's newlines are ``\\n`` here)."""
        out, pos = [], 0
        for start, end, raw in sorted(self._edits.values()):
            out.append(self.text[pos:start])
            out.append(raw)
            pos = end
        out.append(self.text[pos:])
        return "".join(out)

    def bytes_out(self, text: str | None = None) -> bytes:
        """Encoded as UTF-8, with the input's BOM and CRLF line ends if it had them."""
        text = self.text_out() if text is None else text
        if self.crlf:
            text = text.replace("\n", "\r\n")
        return (codecs.BOM_UTF8 if self.bom else b"") + text.encode("utf-8")


def _loaded_like(old: Any, text: str) -> Any:
    """What gendoc's loader makes of ``text`` written where ``old`` was: dates stay text,
    a year stays a number, null is None."""
    if text == "null":
        return None
    if isinstance(old, int) and not isinstance(old, bool) and text.lstrip("-").isdigit():
        return int(text)
    return text


def _mapping_get(node, key):
    """A mapping's value node for ``key``: keys written here win over ``<<`` merges, and
    earlier merges over later ones (as the loader reads them)."""
    want = str(key)
    merges = []
    for k, v in node.value:
        if k.tag == _MERGE:
            merges.extend(v.value if isinstance(v, yaml.SequenceNode) else [v])
        elif isinstance(k, yaml.ScalarNode) and k.value == want:
            return v
    for m in merges:
        if isinstance(m, yaml.MappingNode):
            found = _mapping_get(m, key)
            if found is not None:
                return found
    return None


def _replacement(text: str, node, value: str) -> tuple[int, int, str]:
    """(start, end, raw) that writes ``value`` in place of the scalar, in the same style."""
    start, end = node.start_mark.index, node.end_mark.index
    raw = text[start:end]
    old = node.value
    style = node.style or ""
    if style == "" and "\n" not in old and raw.endswith(old) and old:
        return end - len(old), end, value
    if style == "'" and "\n" not in raw:
        body = old.replace("'", "''")
        if raw.endswith(f"'{body}'"):
            return end - len(body) - 1, end - 1, value.replace("'", "''")
    if style == '"' and "\n" not in raw and "\\" not in raw and '"' not in old:
        if raw.endswith(f'"{old}"') and '"' not in value and "\\" not in value:
            return end - len(old) - 1, end - 1, value
    # block scalar, escapes or a multi-line form: write the value double-quoted in its place,
    # after any anchor or tag, keeping the newlines a block scalar ended with
    lead = 0
    while raw[lead:lead + 1] in ("&", "!"):
        gap = raw.find(" ", lead)
        if gap < 0:
            break
        lead = gap + 1
        while raw[lead:lead + 1] == " ":
            lead += 1
    trail = raw[len(raw.rstrip("\n")):]
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return start + lead, end, quoted + trail


def open_plan(path) -> tuple[Source, Plan]:
    """Read, decode, load and validate a plan exactly as ``gendoc check`` does (an invalid
    plan raises its usual errors), then compose the same text for editing."""
    kept: dict = {}
    data, lines, name = load_file(path, kept)
    raw, text = kept["raw"], kept["text"]
    plan = validate(data, lines, name)
    crlf = b"\r\n" in raw or b"\r\x00\n\x00" in raw
    src = Source(text, name, bom=raw.startswith(codecs.BOM_UTF8), crlf=crlf, encoding=_encoding(raw),
                 root=kept["node"])
    src.data, src.lines = data, lines
    return src, plan


def _encoding(raw: bytes) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"
