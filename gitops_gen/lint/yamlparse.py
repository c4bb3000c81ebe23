"""YAML to Python data, with line and column positions found on demand.

Two readers give the same result:

* The composed path: libyaml (through PyYAML's C composer) builds the node graph with line and
  column marks; a small constructor turns it into plain dicts and lists the way Kubernetes reads
  YAML (YAML 1.1 scalars: `yes`/`on` are booleans), reports duplicate keys, and refuses alias bombs
  instead of expanding them. Positions are looked up by walking the nodes.
* The fast path, for the plain block YAML that manifests almost always are: yaml-rs (Rust) loads
  the data, after a pre-scan (a few regexes) has ruled out everything that yaml-rs's YAML 1.2
  reading may read differently from libyaml's YAML 1.1, or accept where libyaml refuses (1.1
  booleans, octal and sexagesimal numbers, `1e3`, anchors, tags, merge keys, tabs, directives,
  odd flow collections, block scalars at the end of the stream, ...). Positions are found
  lazily: a text locator walks the path by indentation, checked at every step against the
  loaded data; whenever it meets something it does not handle (a flow collection on the way,
  a key that is not a string, escapes) it composes that one document with libyaml and walks
  its nodes.

Anything unusual, and every error (parse errors, duplicate keys, alias bombs, deep nesting), goes
to the composed path, which alone reports problems: both paths give exactly the same `documents`,
`problems`, `locate()` and `scalar_text()`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gitops_gen.lint.model import Path

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_TYPED = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
          "tag:yaml.org,2002:null"}
_SCALARS = yaml.constructor.SafeConstructor()

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """The safe loader with a memo of plain-scalar tags: manifests repeat the same few values."""

    _tags: dict[str, str] = {}

    def resolve(self, kind, value, implicit):
        if kind is not ScalarNode:
            return _MAP if kind is MappingNode else _SEQ
        if not implicit[0]:
            return _STR
        tag = self._tags.get(value)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(self._tags) < 50_000:
                self._tags[value] = tag
        return tag

    def descend_resolver(self, current_node, current_index):
        """No path resolvers are registered: nothing to track."""

    def ascend_resolver(self):
        """No path resolvers are registered: nothing to track."""


ALIAS_EXPANSION_LIMIT = 10_000
"""Nodes that aliases may add to a document beyond its own; more is an alias bomb."""


@dataclass(frozen=True, slots=True)
class YamlProblem:
    """A problem found while reading YAML: `kind` is parse-error, duplicate-key or alias-bomb."""

    kind: str
    message: str
    line: int
    column: int


@dataclass(slots=True)
class ParsedYaml:
    """The documents of a YAML stream, the problems met reading it, and positions on demand.

    `nodes` holds the composed node of each document (the composed path); on the fast path it
    is empty and `_source` finds positions in the text instead.
    """

    documents: list[Any] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    problems: list[YamlProblem] = field(default_factory=list)
    _source: _TextSource | None = None

    def locate(self, document: int, path: Path, key: bool = False) -> tuple[int, int]:
        """1-based line and column of `path` in a document, or of its deepest existing parent."""
        if self._source is not None:
            return self._source.locate(document, path, key)
        return locate(self.nodes[document], path, key)[0]

    def scalar_text(self, document: int, path: Path) -> str | None:
        """The scalar at `path` as written (before YAML typed it), or None."""
        if self._source is not None:
            return self._source.scalar_text(document, path)
        node = locate(self.nodes[document], path)[1]
        return node.value if node.__class__ is ScalarNode else None


class _Refused(Exception):
    def __init__(self, kind: str, message: str, node: Node) -> None:
        super().__init__(message)
        self.problem = YamlProblem(kind, message, node.start_mark.line + 1,
                                   node.start_mark.column + 1)


_NOT_PRINTABLE = re.compile(
    "[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")
"""Characters YAML does not allow in a stream (libyaml refuses the whole stream for one)."""


def parse(text: str) -> ParsedYaml:
    """Parse every document of `text`; a syntax error stops the file, keeping what came before."""
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        return _parse_before_bad_character(text, bad.start())
    if FAST_PATH and _yaml_rs is not None:
        fast = _parse_fast(text)
        if fast is not None:
            return fast
    return parse_composed(text)


def parse_composed(text: str) -> ParsedYaml:
    """`parse` through libyaml's node graph only: the reference the fast path must equal."""
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        return _parse_before_bad_character(text, bad.start(), parse_composed)
    result = ParsedYaml()
    plain = "&" not in text and "<<" not in text  # no anchors, no merge keys: a plain tree
    documents = yaml.compose_all(text, Loader=_Loader)
    while True:
        try:
            node = next(documents)
        except StopIteration:
            break
        except yaml.MarkedYAMLError as error:
            result.problems.append(_syntax_problem(error))
            break
        except yaml.YAMLError as error:
            result.problems.append(YamlProblem("parse-error", str(error), 1, 1))
            break
        builder = _TreeBuilder() if plain else _Builder()
        try:
            data = builder.build(node)
        except _Refused as refused:
            result.problems.append(refused.problem)
            data = None
        except RecursionError:
            result.problems.append(YamlProblem(
                "parse-error", "document is nested too deeply to read",
                node.start_mark.line + 1, node.start_mark.column + 1))
            data = None
        result.problems.extend(builder.duplicates)
        result.documents.append(data)
        result.nodes.append(node)
    return result


def _parse_before_bad_character(text: str, offset: int, reader=None) -> ParsedYaml:
    """Lint the documents that end before a character YAML forbids, then report it."""
    line_start = text.rfind("\n", 0, offset) + 1
    boundary = max(text.rfind("\n---", 0, offset) + 1, 0)
    result = (reader or parse)(text[:boundary]) if boundary else ParsedYaml()
    result.problems.append(YamlProblem(
        "parse-error", f"invalid YAML: character #x{ord(text[offset]):02X} is not allowed in YAML",
        text.count("\n", 0, offset) + 1, offset - line_start + 1))
    return result


def _syntax_problem(error: yaml.MarkedYAMLError) -> YamlProblem:
    mark = error.problem_mark or error.context_mark
    parts = [p for p in (error.context, error.problem) if p]
    message = " ".join("; ".join(parts).split()) if parts else "invalid YAML"
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return YamlProblem("parse-error", f"invalid YAML: {message}", line, column)


class _TreeBuilder:
    """Builds plain Python data from a document without anchors: the fast path."""

    __slots__ = ("duplicates",)

    def __init__(self) -> None:
        self.duplicates: list[YamlProblem] = []

    def build(self, node: Node) -> Any:
        cls = node.__class__
        if cls is ScalarNode:
            return node.value if node.tag == _STR else _scalar(node)
        if cls is SequenceNode:
            return [child.value if child.__class__ is ScalarNode and child.tag == _STR
                    else self.build(child) for child in node.value]
        data: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.__class__ is ScalarNode and key_node.tag == _STR:
                key = key_node.value
            else:
                key = self.build(key_node)
                if not isinstance(key, (str, int, float, bool)) and key is not None:
                    key = str(key)
            if key in data:
                self.duplicates.append(_duplicate(key, key_node))
            if value_node.__class__ is ScalarNode and value_node.tag == _STR:
                data[key] = value_node.value
            else:
                data[key] = self.build(value_node)
        return data


def _duplicate(key: Any, key_node: Node) -> YamlProblem:
    return YamlProblem("duplicate-key", f"duplicate key {key!r}; the last value wins",
                       key_node.start_mark.line + 1, key_node.start_mark.column + 1)


class _Builder:
    """Builds plain Python data from one document's nodes; aliases share the built object."""

    __slots__ = ("built", "building", "expanded", "physical", "duplicates")

    def __init__(self) -> None:
        self.built: dict[int, tuple[Any, int]] = {}
        self.building: set[int] = set()
        self.expanded = 0
        self.physical = 0
        self.duplicates: list[YamlProblem] = []

    def build(self, node: Node) -> Any:
        return self._node(node)[0]

    def _node(self, node: Node) -> tuple[Any, int]:
        """Return the value and the number of nodes it spans once expanded."""
        if node.__class__ is ScalarNode:
            self.physical += 1
            return _scalar(node), 1
        ident = id(node)
        seen = self.built.get(ident)
        if seen is not None:
            self.expanded += seen[1]
            if self.expanded > max(ALIAS_EXPANSION_LIMIT, 10 * self.physical):
                raise _Refused("alias-bomb", "aliases expand this document beyond "
                               f"{ALIAS_EXPANSION_LIMIT} nodes; refusing to expand it", node)
            return seen
        if ident in self.building:
            raise _Refused("parse-error", "invalid YAML: an alias refers to a node that "
                           "contains it (recursive alias)", node)
        self.building.add(ident)
        self.physical += 1
        if node.__class__ is MappingNode:
            result = self._mapping(node)
        else:
            items = [self._node(child) for child in node.value]
            result = ([value for value, _ in items], 1 + sum(size for _, size in items))
        self.building.discard(ident)
        self.built[ident] = result
        return result

    def _mapping(self, node: MappingNode) -> tuple[dict, int]:
        data: dict[Any, Any] = {}
        size = 1
        merged: list[dict] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                value, span = self._node(value_node)
                size += span
                merged.extend(v for v in (value if isinstance(value, list) else [value])
                              if isinstance(v, dict))
                continue
            key, key_span = self._node(key_node)
            value, span = self._node(value_node)
            size += key_span + span
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                key = str(key)
            if key in data:
                self.duplicates.append(_duplicate(key, key_node))
            data[key] = value
        for extra in merged:
            for key, value in extra.items():
                data.setdefault(key, value)
        return data, size


def _scalar(node: ScalarNode) -> Any:
    tag = node.tag
    if tag == _STR or tag not in _TYPED:
        return node.value
    try:
        return _SCALARS.yaml_constructors[tag](_SCALARS, node)
    except (ValueError, IndexError, KeyError):
        raise _Refused("parse-error", f"invalid YAML: {node.value!r} is not a valid "
                       f"{tag.rsplit(':', 1)[-1]}", node) from None


def locate(node: Node, path: Path, key: bool = False) -> tuple[tuple[int, int], Node | None]:
    """Walk `path` down from `node`: the 1-based position of the deepest node reached, and the
    node at `path` itself (None when the path does not exist)."""
    mark = node.start_mark
    last = len(path) - 1
    for depth, part in enumerate(path):
        if node.__class__ is MappingNode:
            match = None
            for key_node, value_node in node.value:
                if key_node.__class__ is ScalarNode and _same_key(key_node, part):
                    match = (key_node, value_node)
            if match is None:
                return (mark.line + 1, mark.column + 1), None
            mark = match[0].start_mark if key and depth == last else match[1].start_mark
            node = match[1]
        elif node.__class__ is SequenceNode and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            mark = node.start_mark
        else:
            return (mark.line + 1, mark.column + 1), None
    return (mark.line + 1, mark.column + 1), node


def _same_key(key_node: ScalarNode, part: str | int) -> bool:
    return key_node.value == part if isinstance(part, str) else _scalar(key_node) == part


# -- the fast path: yaml-rs for the data, the text for positions ----------------------------------

FAST_PATH = os.environ.get("GITOPS_GEN_YAML_FAST", "1") != "0"
"""Whether `parse` may use yaml-rs (GITOPS_GEN_YAML_FAST=0 turns it off, e.g. to compare)."""
TEXT_LOCATOR = True
"""Whether positions on the fast path are found in the text (False: compose each document with
libyaml when first asked, for benchmarks)."""

try:  # a declared dependency; without it, or with an API this module does not know, every file
    # takes the composed path
    import yaml_rs as _yaml_rs

    _RS_OPTIONS: dict[str, Any] = {
        "parse_datetime": False,  # timestamps stay the strings the composed path keeps
        "duplicate_key_policy": _yaml_rs.DuplicateKeyPolicy.Error,
        "alias_limits": _yaml_rs.AliasLimits(max_total_replayed_events=ALIAS_EXPANSION_LIMIT),
    }
    if _yaml_rs.loads("a: [1, b]\n---\n", **_RS_OPTIONS) != [{"a": [1, "b"]}, None]:
        raise ImportError("yaml-rs reads YAML differently than this module expects")
except Exception:  # pragma: no cover - depends on the installation
    _yaml_rs = None

# A plain scalar ends at the end of its line, at a comment, at a flow indicator or at a mapping
# value indicator (": "). Risky scalars never contain those characters, so matching a whole
# scalar needs no knowledge of the context.
_END = r"(?=[ ]*(?:\r?$|#|[,\]}]|:(?:[ \r\n,\[\]{}]|$)))"
_SAFE_NUMBER = r"[-+]?(?:(?:0|[1-9][0-9]*)\.[0-9]+|0|[1-9][0-9]{0,17})"
"""Numbers both readers type alike: fixed-point floats and decimal ints, no `_`, no exponent,
ints short enough for Python's int() (which refuses over 4,300 digits; yaml-rs does not)."""
_NUMBER_LIKE = (r"[-+]?(?=[0-9_.])(?:0(?:[xX][0-9a-fA-F_]*|[oO][0-7_]*|[bB][01_]*)"
                r"|[0-9_]*(?::[0-9_]*)*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9_]*)?"
                r"|\.(?:[iI][nN][fF]|[nN][aA][nN]))")
"""A superset of what either reader types as a number (YAML 1.1 ints, floats, sexagesimals,
0o/0x/0b, `_` separators, exponents, .inf/.nan)."""
_BOOL_11 = r"(?:[Yy]es|YES|[Nn]o|NO|[Oo]n|ON|[Oo]ff|OFF)"
"""Booleans in YAML 1.1 (PyYAML's resolver), strings in YAML 1.2 (`y`, `n`: strings in both)."""
_RISKY = r"(?!" + _SAFE_NUMBER + _END + r")(?:" + _NUMBER_LIKE + "|" + _BOOL_11 + r")" + _END
"""A whole plain scalar the two readers may type differently."""

_UNSAFE_NODE = re.compile(
    r"[\n\[{,:][ ]*+(?=[-+0-9_.YyNnOo&*!?:%|>])(?:[&*!]|[?:](?=[ \r\n]|$)"
    r"|(?<=\n)(?:%|\.\.\.(?=[ \r\n]|$)|---[ ]+[^#\s])"
    r"|(?<!:)(?<!: )(?<!:  )(?<!:   )(?<!:    )[|>]|" + _RISKY + ")", re.M)
"""Checked on "\n" + text. Where a node may start (at the start of a line, after `:`, `[`, `{`
or `,`): an anchor, an alias, a tag, a complex key (`? `), an empty key (`: `) or a risky
scalar; at column 0: a directive, a document end marker or content on a `---` line; a block
scalar header that does not follow a key on its line (yaml-rs reads a document's root block
scalar past its end)."""
_UNSAFE_ENTRY = re.compile(r"-[ ]+(?:[&*!]|[-?:](?=[ \r\n]|$)|" + _RISKY + ")", re.M)
"""The same after a sequence entry's `- `, and a compact nested sequence (`- - x`)."""
_FLOW_KEY = re.compile(r"[ ]*:(?=[ \r\n,\[\]{}]|$)", re.M)
_MERGE_KEY = re.compile(r"<<[ ]*:")
_SURROGATE_ESCAPE = re.compile(r"\\(?:u[dD][89a-fA-F]|U0000[dD][89a-fA-F])")
"""yaml-rs joins escaped UTF-16 surrogate pairs; libyaml refuses them."""
_LONE_CR = re.compile(r"\r(?!\n)")
_DEEP = "\n" + " " * 128
_UNSAFE_CHARACTERS = ("\x85", "\u2028", "\u2029", "\ufeff")
"""YAML 1.1 line breaks and byte order marks (all non-ASCII)."""


def _unsafe(text: str) -> bool:
    """Whether `text` may hold something the two readers read differently (or only one reads).

    Deep nesting: with compact nested sequences (`- - x`) excluded, a block node nests at most
    about twice as deep as its line is indented, and flow collections are counted apart
    (_flow_unsafe); the composed path reads a few hundred levels.
    """
    if "\t" in text or ("\r" in text and _LONE_CR.search(text)):
        return True
    if not text.isascii():
        for char in _UNSAFE_CHARACTERS:
            if char in text:
                return True
    if "<" in text and "<<" in text and _MERGE_KEY.search(text):
        return True
    if "\\" in text and _SURROGATE_ESCAPE.search(text):
        return True
    for bracket in "]}":  # a flow collection as a key
        at = text.find(bracket)
        while at >= 0:
            if _FLOW_KEY.match(text, at + 1):
                return True
            at = text.find(bracket, at + 1)
    lines = "\n" + text  # every line starts after a line break
    return bool(_DEEP in lines or _UNSAFE_NODE.search(lines) or _UNSAFE_ENTRY.search(lines))


_BLOCK_HEADER = re.compile(r"[|>][-+1-9]*[ ]*(?:#[^\n]*)?\r?$", re.M)
_MARKER = re.compile(r"\n---(?=[ \r\n]|$)")
_CONTENT_LINE = re.compile(r"\n[ ]*[^ \r\n#]")
_FIRST_CONTENT = re.compile(r"^[ ]*(?=[^ \r\n#])", re.M)
_NEXT_CONTENT = re.compile(r"\n[ ]*(?=[^ \r\n#])")
_SPACES = re.compile(r"[ ]*")
_PLAIN_TOKEN = re.compile(r"[^ \r\n]*")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_/.](?:[A-Za-z0-9_./ -]*[A-Za-z0-9_./-])?")
"""Keys written plain as they read (a plain key that reads otherwise is typed: not a str)."""
_KEY_END = re.compile(r"[ ]*:(?![^ \r\n])")
_MAX_FLOW_DEPTH = 50


def load_generated(text: str) -> list | None:
    """The documents of a large generated text (a chart's CRDs) read by yaml-rs alone, without
    positions and without the YAML 1.1 checks of `parse`; None when yaml-rs cannot read it.

    For CRDs only: their schemas quote what YAML 1.1 would type differently, and reading them is
    most of the cost of rendering a platform's charts."""
    if _yaml_rs is None:
        return None
    try:
        data = _yaml_rs.loads(text, **_RS_OPTIONS)
    except Exception:  # the caller falls back to `parse`, which reports the problem
        return None
    if len(_split(text)) <= 1:
        return [] if data is None else [data]
    return data if data.__class__ is list else None


def _parse_fast(text: str) -> ParsedYaml | None:
    """The documents of `text` read by yaml-rs, or None when the composed path must read it."""
    if _unsafe(text):
        return None
    if text and _irregular_tail(text) and _last_block_scalar_open(text):
        return None  # the two readers end a block scalar at the end of the stream differently
    if ("[" in text or "{" in text) and _flow_unsafe(text):
        return None
    spans = _split(text)
    try:
        data = _yaml_rs.loads(text, **_RS_OPTIONS)
    except Exception:  # any error, duplicate key or alias limit: the composed path reports it
        return None
    count = len(spans)
    if count == 1:
        documents = [data]
    elif count == 0:
        if data is not None:
            return None
        documents = []
    elif data.__class__ is list and len(data) == count:
        documents = data
    else:
        return None
    return ParsedYaml(documents=documents, _source=_TextSource(text, spans, documents))


def _irregular_tail(text: str) -> bool:
    """No final line break, a blank last line, or a last line that may open a block scalar."""
    if text[-1] != "\n":
        return True
    last = text[text.rfind("\n", 0, len(text) - 1) + 1:-1]
    return not last.strip(" \r") or "|" in last or ">" in last


def _last_block_scalar_open(text: str) -> bool:
    """Whether the stream may end inside a block scalar: after some `|` or `>` header (or text
    that looks like one, inside another block scalar), no line is indented as little as the
    header's line. Headers that start their line take the composed path (see _UNSAFE_NODE)."""
    for header in _BLOCK_HEADER.finditer(text):
        line_start = text.rfind("\n", 0, header.start()) + 1
        indent = 0
        while text[line_start + indent] == " ":
            indent += 1
        if _pattern("dedent", indent + 1).search(text, header.end()) is None:
            return True
    return False


def _split(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each document's content: a document starts after a `---` line,
    or at the start of the stream when content comes before the first `---`."""
    spans = []
    start = -1
    lines = "\n" + text  # offsets in `lines` are one more than in `text`
    for marker in _MARKER.finditer(lines):
        at = marker.start()  # the marker's offset in `text`
        if start >= 0:
            spans.append((start, at))
        elif _CONTENT_LINE.search(lines, 0, at + 1):
            spans.append((0, at))
        line_end = text.find("\n", at + 3)
        start = len(text) if line_end < 0 else line_end + 1
    if start >= 0:
        spans.append((start, len(text)))
    elif _CONTENT_LINE.search(lines):
        spans.append((0, len(text)))
    return spans


def _flow_unsafe(text: str) -> bool:
    """Whether a flow collection (`[...]`, `{...}`) holds something the two readers may read
    differently: a line break inside a key or an item that turns out to be a key, a scalar that
    spans lines, `|` or `>` where a scalar starts, or nesting deeper than _MAX_FLOW_DEPTH."""
    at = _FLOW_OPENER.search(text)
    while at is not None:
        start = at.start()
        before = start - 1
        while before >= 0 and text[before] == " ":
            before -= 1
        if before < 0 or text[before] in "\n:-,[{?":  # a node starts here: a flow collection
            end = _flow_end(text, start)
            if end < 0:
                return True
            at = _FLOW_OPENER.search(text, end)
        else:  # inside a scalar
            at = _FLOW_OPENER.search(text, start + 1)
    return False


_FLOW_OPENER = re.compile(r"[\[{]")
_PLAIN_RUN = re.compile(r"[^\n,\[\]{}:#]*")
_FLOW_VALUE_AFTER_PLAIN = ("", " ", "\r", "\n", ",", "[", "]", "{", "}")
_CLOSER = {"[": "]", "{": "}"}


def _flow_end(text: str, offset: int) -> int:
    """The offset after the flow collection opening at `offset`, or -1 when it is unsafe (see
    _flow_unsafe). Conservative: anything unusual is unsafe."""
    if text[offset + 1:offset + 2] == _CLOSER[text[offset]]:
        return offset + 2
    length = len(text)
    stack: list[tuple[str, str, int, bool]] = []  # the enclosing collections' (opener, state)
    opener, phase, token, broken = text[offset], "", 0, False
    phase = "key" if opener == "{" else "item"
    i = offset + 1
    while i < length:
        char = text[i]
        if char == "\n":
            if token == 1:
                return -1  # a plain scalar spanning lines
            if token == 2 and phase != "value":
                broken = True  # a line break after a key (or an item that may be a key)
        elif char == " " or char == "\r":
            pass
        elif char == "#" and text[i - 1] in " \n":
            newline = text.find("\n", i)
            i = length if newline < 0 else newline
            continue
        elif char == "," or char == "]" or char == "}":
            if char != ",":
                if char != _CLOSER[opener]:
                    return -1
                if not stack:
                    return i + 1
                opener, phase, token, broken = stack.pop()
                token, broken = 2, broken or phase == "item"  # `[[a]: b]`: a collection key
            else:
                phase, token, broken = ("key" if opener == "{" else "item"), 0, False
        elif char == ":" and (token != 1 or text[i + 1:i + 2] in _FLOW_VALUE_AFTER_PLAIN):
            if token == 0 or broken or phase == "value" or (
                    token == 1 and text[i + 1:i + 2] not in ("", " ", "\r", "\n")):
                return -1  # an empty key, a key after a line break, `a:,`, or a collection key
            phase, token = "value", 0
        elif token == 1:  # inside a plain scalar: skip to what may end it
            i = _PLAIN_RUN.match(text, i + 1).end()
            continue
        elif token == 2:
            return -1  # something after a complete scalar or collection
        elif char == "[" or char == "{":
            if len(stack) >= _MAX_FLOW_DEPTH or phase == "key":
                return -1  # too deep, or a collection as a key
            stack.append((opener, phase, token, broken))
            opener, token, broken = char, 0, False
            phase = "key" if opener == "{" else "item"
        elif char == '"' or char == "'":
            i = _quoted_end(text, i)
            if i < 0:
                return -1
            token = 2
            continue
        elif char in "|>?":
            return -1  # libyaml reads `?x` in a flow collection as a complex key
        else:
            token = 1
        i += 1
    return -1


def _quoted_end(text: str, offset: int) -> int:
    """The offset after the one-line quoted scalar starting at `offset`, or -1."""
    quote = text[offset]
    i = offset + 1
    while True:
        end = text.find(quote, i)
        newline = text.find("\n", i, end if end >= 0 else len(text))
        if end < 0 or newline >= 0:
            return -1
        if quote == "'":
            if text[end + 1:end + 2] == "'":
                i = end + 2
                continue
            return end + 1
        backslashes = 0
        while text[end - 1 - backslashes] == "\\":
            backslashes += 1
        if backslashes % 2 == 0:
            return end + 1
        i = end + 1


_BLOCK_MAP, _BLOCK_SEQ, _FLOW, _SCALAR, _EMPTY = "block map", "block seq", "flow", "scalar", "empty"
_NOT_FOUND = ("not found",)
_GIVE_UP = ("give up",)
_RESOLVER = yaml.resolver.Resolver()
_PATTERNS: dict[tuple[str, int], re.Pattern] = {}
_SPELLINGS: dict[str, tuple[str, ...]] = {}


class _TextSource:
    """Positions in the text of a stream read on the fast path.

    A path is walked by indentation, one step at a time, each step checked against the loaded
    data (which keys exist, how many items a sequence has): the text locator only has to find
    where a node starts. A state is (kind, offset of the node's mark, column, value). Steps are
    cached per document by path prefix; a document the locator gives up on is composed with
    libyaml once, and its nodes answer from then on.
    """

    __slots__ = ("text", "spans", "documents", "bases", "walks", "composed", "items")

    def __init__(self, text: str, spans: list[tuple[int, int]], documents: list[Any]) -> None:
        self.text = text
        self.spans = spans
        self.documents = documents
        self.bases: list[int] | None = None
        self.walks: dict[int, dict[Path, Any]] = {}
        self.composed: dict[int, tuple[Node, int]] = {}
        self.items: dict[int, list[int] | None] = {}

    # -- the public answers

    def locate(self, document: int, path: Path, key: bool) -> tuple[int, int]:
        composed = self.composed.get(document)
        if composed is None:
            walked = self._walk(document, path, key) if TEXT_LOCATOR else None
            if walked is not None:
                return self._position(document, walked[0])
            composed = self._compose(document)
        node, offset = composed
        (line, column), _ = locate(node, path, key)
        return line + offset, column

    def scalar_text(self, document: int, path: Path) -> str | None:
        composed = self.composed.get(document)
        if composed is None:
            walked = self._walk(document, path, False) if TEXT_LOCATOR else None
            if walked is not None:
                state = walked[1]
                if state is _NOT_FOUND:
                    return None
                value = state[3]
                cls = value.__class__
                if cls is str:
                    return value
                if cls is dict or cls is list:
                    return None
                raw = "" if state[0] is _EMPTY else _PLAIN_TOKEN.match(self.text, state[1]).group()
                if _same_value(raw, value):
                    return raw
            composed = self._compose(document)
        node = locate(composed[0], path)[1]
        return node.value if node.__class__ is ScalarNode else None

    # -- positions

    def _base(self, document: int) -> int:
        """How many lines come before the document's content."""
        bases = self.bases
        if bases is None:
            bases = self.bases = []
            line = previous = 0
            for start, _ in self.spans:
                line += self.text.count("\n", previous, start)
                bases.append(line)
                previous = start
        return bases[document]

    def _position(self, document: int, offset: int) -> tuple[int, int]:
        text = self.text
        start = self.spans[document][0]
        return (self._base(document) + text.count("\n", start, offset) + 1,
                offset - text.rfind("\n", 0, offset))

    def _compose(self, document: int) -> tuple[Node, int]:
        """The document's node graph, composed from its own text: (node, lines before it)."""
        start, end = self.spans[document]
        try:
            node = yaml.compose(self.text[start:end], Loader=_Loader)
            composed = (node, self._base(document)) if node is not None else None
        except yaml.YAMLError:  # pragma: no cover - the stream as a whole composed
            composed = None
        if composed is None:  # e.g. an empty document: compose the stream as a whole
            composed = (list(yaml.compose_all(self.text, Loader=_Loader))[document], 0)
        self.composed[document] = composed
        return composed

    # -- the walk

    def _walk(self, document: int, path: Path, key: bool) -> tuple[int, Any] | None:
        """(offset of the mark `locate` gives, state at `path` or _NOT_FOUND), or None to give
        up on the text. Starts from the longest prefix of `path` already walked."""
        walks = self.walks.get(document)
        if walks is None:
            root = self._root(document)
            if root is None:
                return None
            walks = self.walks[document] = {(): (root, -1)}
        depth = len(path)
        entry = walks.get(path)
        while entry is None:
            depth -= 1
            entry = walks.get(path[:depth])
        state, key_offset = entry
        last = len(path)
        mark = key_offset if key and depth == last and key_offset >= 0 else state[1]
        if depth < last:
            limit = self.spans[document][1]
            while depth < last:
                step = self._step(state, path[depth], limit)
                if step is _GIVE_UP:
                    return None
                if step is _NOT_FOUND:
                    return mark, _NOT_FOUND
                depth += 1
                walks[path[:depth]] = step
                state, key_offset = step
                mark = state[1]
            if key and key_offset >= 0:
                mark = key_offset
        return mark, state

    def _root(self, document: int) -> tuple | None:
        start, end = self.spans[document]
        found = _FIRST_CONTENT.search(self.text, start, end)
        if found is None:
            return None
        return self._node(found.end(), found.end() - found.start(), self.documents[document])

    def _node(self, offset: int, column: int, value: Any) -> tuple | None:
        """The state of a node whose first character is at `offset`, given its loaded value."""
        text = self.text
        char = text[offset]
        cls = value.__class__
        if cls is dict:
            if char == "{":
                return _FLOW, offset, column, value
            if char in "[]},#&*!|>%@`" or (char in "-?:" and _indicator(text, offset)):
                return None
            return _BLOCK_MAP, offset, column, value
        if cls is list:
            if char == "[":
                return _FLOW, offset, column, value
            if char == "-" and _indicator(text, offset):
                return _BLOCK_SEQ, offset, column, value
            return None
        return _SCALAR, offset, column, value

    def _step(self, state: tuple, part: Any, limit: int) -> Any:
        """The state one step down `part` with the key's offset (-1 for an item), _NOT_FOUND,
        or _GIVE_UP."""
        kind, offset, column, value = state
        cls = value.__class__
        if cls is dict:
            for k in value:
                if k.__class__ is not str:
                    return _GIVE_UP  # keys compare as written: typed keys need the nodes
            if part.__class__ is not str or part not in value:
                return _NOT_FOUND
            if kind is _FLOW:
                return _GIVE_UP
            found = self._find_key(offset, column, part, limit)
            if found is None:
                return _GIVE_UP
            child = self._value(found[1], column, value[part], limit, True)
            return _GIVE_UP if child is None else (child, found[0])
        if cls is list:
            if not (isinstance(part, int) and 0 <= part < len(value)):
                return _NOT_FOUND
            if kind is _FLOW:
                return _GIVE_UP
            items = self._items(offset, column, len(value), limit)
            if items is None:
                return _GIVE_UP
            child = self._value(items[part] + 1, column, value[part], limit, False)
            return _GIVE_UP if child is None else (child, -1)
        return _NOT_FOUND

    def _value(self, after: int, parent: int, value: Any, limit: int, in_map: bool):
        """The state of the value after a mapping's `:` or a sequence's `-` (ending at `after`)
        in a collection whose entries are at column `parent`."""
        text = self.text
        at = _SPACES.match(text, after).end()
        char = text[at:at + 1]
        if char and char not in "\r\n#":  # on the same line
            column = at - text.rfind("\n", 0, at) - 1
            cls = value.__class__
            if cls is dict or cls is list:
                if char == ("{" if cls is dict else "["):
                    return _FLOW, at, column, value
                # a compact mapping or sequence in a sequence item (`- a: 1`, `- - x`)
                return None if in_map else self._node(at, column, value)
            return _SCALAR, at, column, value
        found = _NEXT_CONTENT.search(text, at, limit)
        if found is not None:
            start = found.end()
            column = start - found.start() - 1
            if column > parent or (in_map and column == parent and value.__class__ is list
                                   and text[start] == "-" and _indicator(text, start)):
                return self._node(start, column, value)
        if value is not None:
            return None
        return _EMPTY, after, -1, None  # an empty value: marked right after the indicator

    def _find_key(self, offset: int, column: int, part: str, limit: int):
        """(offset of the key, offset after its `:`) in the block mapping whose first key is at
        `offset`, or None. Any line at the mapping's column before the mapping ends (a line
        indented less) holds one of its keys, and its keys are unique as written."""
        spellings = _spellings(part)
        text = self.text
        for spelling in spellings:
            if text.startswith(spelling, offset):
                found = _KEY_END.match(text, offset + len(spelling))
                if found is not None:
                    return offset, found.end()
        indent = "\n" + " " * column
        for spelling in spellings:
            needle = indent + spelling
            at = text.find(needle, offset, limit)
            while at >= 0:
                found = _KEY_END.match(text, at + len(needle))
                if found is not None:
                    if column and _pattern("dedent", column).search(text, offset, at):
                        return None  # past the end of the mapping
                    return at + len(indent), found.end()
                at = text.find(needle, at + 1, limit)
        return None

    def _items(self, offset: int, column: int, count: int, limit: int) -> list[int] | None:
        """Offsets of the `-` of each item of the block sequence starting at `offset`; None when
        the text does not show `count` items. The sequence ends at the first line indented less,
        or as much but not an item."""
        items = self.items.get(offset, False)
        if items is False:
            text = self.text
            found = _pattern("seq-end", column).search(text, offset, limit)
            end = found.start() if found else limit
            items = [offset]
            items.extend(item.end() - 1
                         for item in _pattern("item", column).finditer(text, offset, end))
            if len(items) != count:
                items = None
            self.items[offset] = items
        return items


def _indicator(text: str, offset: int) -> bool:
    """Whether the `-`, `?` or `:` at `offset` is an indicator (followed by a space or a break)."""
    following = text[offset + 1:offset + 2]
    return not following or following in " \r\n"


def _pattern(kind: str, column: int) -> re.Pattern:
    """Compiled once per column. `dedent`: a line with content indented less than `column`;
    `item`: a sequence entry's `-` at `column`; `seq-end`: where a sequence at `column` ends
    (content indented less, or as much but not an entry). Comment lines never count."""
    pattern = _PATTERNS.get((kind, column))
    if pattern is None:
        less = f"[ ]{{0,{column - 1}}}[^ \\r\\n#]" if column else "(?!)"
        if kind == "dedent":
            source = f"\\n{less}"
        elif kind == "item":
            source = f"\\n[ ]{{{column}}}-(?![^ \\r\\n])"
        else:
            source = f"\\n(?:{less}|[ ]{{{column}}}(?!-(?![^ \\r\\n]))[^ \\r\\n#])"
        pattern = _PATTERNS[(kind, column)] = re.compile(source)
    return pattern


def _spellings(part: str) -> tuple[str, ...]:
    """How the key `part` may be written without escapes: plain, double- or single-quoted."""
    spellings = _SPELLINGS.get(part)
    if spellings is None:
        spellings = ()
        if _PLAIN_KEY.fullmatch(part):
            spellings += (part,)
        if not any(c in part for c in '"\\\r\n'):
            spellings += (f'"{part}"',)
        if not any(c in part for c in "'\r\n"):
            spellings += (f"'{part}'",)
        if len(_SPELLINGS) > 20_000:
            _SPELLINGS.clear()
        _SPELLINGS[part] = spellings
    return spellings


def _same_value(raw: str, value: Any) -> bool:
    """Whether the plain scalar `raw` reads as `value` on the composed path."""
    node = ScalarNode(_RESOLVER.resolve(ScalarNode, raw, (True, False)), raw)
    try:
        read = _scalar(node)
    except _Refused:
        return False
    return read.__class__ is value.__class__ and read == value
