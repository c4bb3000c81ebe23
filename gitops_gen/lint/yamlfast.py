"""The fast path's reading: yaml-rs (Rust) loads the data of plain block YAML.

A pre-scan (a few regexes) first rules out everything that yaml-rs's YAML 1.2 reading may read
differently from libyaml's YAML 1.1, or accept where libyaml refuses (1.1 booleans, octal and
sexagesimal numbers, `1e3`, anchors, tags, merge keys, tabs, directives, odd flow collections,
block scalars at the end of the stream, ...). Anything unusual returns None: the composed path
reads it. Positions are found later, in the text (yamltext).
"""

from __future__ import annotations

import os
import re
from typing import Any

from gitops_gen.lazyre import lazy
from gitops_gen.lint.yamldata import ALIAS_EXPANSION_LIMIT, ParsedYaml
from gitops_gen.lint.yamlkeys import pattern
from gitops_gen.lint.yamlnorm import MAX_DEPTH, nesting_depth, string_keys
from gitops_gen.lint.yamltext import TextSource

FAST_PATH = os.environ.get("GITOPS_GEN_YAML_FAST", "1") != "0"
"""Whether `parse` may use yaml-rs (GITOPS_GEN_YAML_FAST=0 turns it off, e.g. to compare)."""

try:  # a declared dependency; without it, or with an API this module does not know, every file
    # takes the composed path
    import yaml_rs

    _RS_OPTIONS: dict[str, Any] = {
        "parse_datetime": False,  # timestamps stay the strings the composed path keeps
        "duplicate_key_policy": yaml_rs.DuplicateKeyPolicy.Error,
        "alias_limits": yaml_rs.AliasLimits(max_total_replayed_events=ALIAS_EXPANSION_LIMIT),
    }
    if yaml_rs.loads("a: [1, b]\n---\n", **_RS_OPTIONS) != [{"a": [1, "b"]}, None]:
        raise ImportError("yaml-rs reads YAML differently than this module expects")
except Exception:  # pragma: no cover - depends on the installation
    yaml_rs = None

# A plain scalar ends at the end of its line, at a comment, at a flow indicator or at a mapping
# value indicator (": "). Risky scalars never contain those characters, so matching a whole
# scalar needs no knowledge of the context.
_END = r"(?=[ ]*(?:\r?$|#|[,\]}]|:(?:[ \r\n,\[\]{}]|$)))"
_SAFE_NUMBER = r"[-+]?+(?:0(?:\.[0-9]++)?|[1-9](?:[0-9]*+\.[0-9]++|[0-9]{0,17}+))"
"""Numbers both readers type alike: fixed-point floats and decimal ints, no `_`, no exponent,
ints short enough for Python's int() (which refuses over 4,300 digits; yaml-rs does not).
Possessive where giving back a digit cannot help: what follows never starts with one."""
_NUMBER_LIKE = (r"[-+]?(?=[0-9_.])(?:0(?:[xX][0-9a-fA-F_]*+|[oO][0-7_]*+|[bB][01_]*+)"
                r"|[0-9_]*+(?::[0-9_]*+)*(?:\.[0-9_]*+)?+(?:[eE][-+]?[0-9_]*+)?+"
                r"|\.(?:[iI][nN][fF]|[nN][aA][nN]))")
"""A superset of what either reader types as a number (YAML 1.1 ints, floats, sexagesimals,
0o/0x/0b, `_` separators, exponents, .inf/.nan). Only the `:` groups may be given back (a
scalar ends at `: `); nothing else that follows them starts as they do."""
_BOOL_11 = r"(?:[Yy]es|YES|[Nn]o|NO|[Oo]n|ON|[Oo]ff|OFF)"
"""Booleans in YAML 1.1 (PyYAML's resolver), strings in YAML 1.2 (`y`, `n`: strings in both)."""
_RISKY = r"(?!" + _SAFE_NUMBER + _END + r")(?:" + _NUMBER_LIKE + "|" + _BOOL_11 + r")" + _END
"""A whole plain scalar the two readers may type differently."""

_UNSAFE_NODE = (
    r"(?=[+0-9_.&*!?:%|>]|-[-0-9_.]|[YyNnOo][eEoOnNfF])(?:[&*!]|[?:](?=[ \r\n]|$)"
    r"|%(?<=\n%)|\.\.\.(?<=\n\.\.\.)(?=[ \r\n]|$)|---(?<=\n---)[ ]+[^#\s]"
    r"|[|>](?<!:.)(?<!: .)(?<!:  .)(?<!:   .)(?<!:    .)|" + _RISKY + ")")
_UNSAFE_LINE_START = lazy(r"\n[ ]*+" + _UNSAFE_NODE, re.M)
_UNSAFE_AFTER_COLON = re.compile(r":[ ]*+" + _UNSAFE_NODE, re.M)
_UNSAFE_IN_FLOW = lazy(r"[\[{,][ ]*+" + _UNSAFE_NODE, re.M)
"""Where a node may start (at the start of a line, checked on "\n" + text, after `:`, and in
a flow collection after `[`, `{` or `,`): an anchor, an alias, a tag, a complex key (`? `), an
empty key (`: `) or a risky scalar; at column 0: a directive, a document end marker or content
on a `---` line; a block scalar header that does not follow a key on its line (yaml-rs reads a
document's root block scalar past its end). A literal first character where a whole text is
searched: the regex engine skips to one several times faster than to one of a set. Lookbehinds
follow the character they guard: the engine passes over an alternative whose first character
does not match without entering it."""
_TYPED = (r"(?:[-+]?\.?[0-9]|~|[Tt]rue|TRUE|[Ff]alse|FALSE|[Nn]ull|NULL)[^:\n]*+:"
          r"(?:[ \r\n]|$)")
_TYPED_FLOW_KEY = lazy(r"[\[{,][ ]*+" + _TYPED)
"""Where a plain key YAML types (a number, a boolean, null) may be: yaml-rs keeps it typed,
the composed path makes it a string (key_text). Searched inside flow collections only (a set
of characters first is slow to search a whole text for: ten times one literal character)."""
_LINE_START = re.compile(
    r"\n[ ]*+(?=[-+0-9_.YyNnOo&*!?:%|>~TtFf])(?:(?P<unsafe>" + _UNSAFE_NODE + r")|(?P<typed>"
    r"(?:-[ ]++)*+(?=[-+.0-9~]|[Tt][rR]|[Ff][aA]|[Nn][uU])" + _TYPED + "))", re.M)
"""At the start of a line (checked on "\n" + text): an unsafe node (_UNSAFE_LINE_START) or a
typed block key; one pattern for both, as one pass over the lines costs about half as much as
two. The lookaheads (the first characters each branch may match) spare the branches most
lines: a sequence entry's `- ` starts no unsafe node, a key rarely a typed one."""
_UNSAFE_ENTRY = re.compile(r"-[ ]+(?:[&*!]|[-?:](?=[ \r\n]|$)|"
                           r"(?=[-+0-9_.]|[YyNnOo][eEoOnNfF])" + _RISKY + ")", re.M)
"""The same after a sequence entry's `- `, and a compact nested sequence (`- - x`)."""
_FLOW_KEY = lazy(r"[ ]*:(?=[ \r\n,\[\]{}]|$)", re.M)
_MERGE_KEY = lazy(r"<<[ ]*:")
_SURROGATE_ESCAPE = lazy(r"\\(?:u[dD][89a-fA-F]|U0000[dD][89a-fA-F])")
"""yaml-rs joins escaped UTF-16 surrogate pairs; libyaml refuses them."""
_LONE_CR = lazy(r"\r(?!\n)")
_DEEP = "\n" + " " * 128
_UNSAFE_CHARACTERS = ("\x85", "\u2028", "\u2029", "\ufeff")
"""YAML 1.1 line breaks and byte order marks (all non-ASCII)."""


def _prescan(text: str) -> bool | None:
    """None when `text` may hold something the two readers read differently (or only one
    reads); otherwise whether it may hold a typed block key. Flow collections are checked
    apart (_flow_collections, _UNSAFE_IN_FLOW, _typed_flow_key).

    Deep nesting: with compact nested sequences (`- - x`) excluded, a block node nests at most
    about twice as deep as its line is indented, and flow collections are counted apart
    (_flow_collections); the composed path reads a few hundred levels.
    """
    if "\t" in text or ("\r" in text and _LONE_CR.search(text)):
        return None
    if not text.isascii():
        for char in _UNSAFE_CHARACTERS:
            if char in text:
                return None
    if "<" in text and "<<" in text and _MERGE_KEY.search(text):
        return None
    if "\\" in text and _SURROGATE_ESCAPE.search(text):
        return None
    for bracket in "]}":  # a flow collection as a key
        at = text.find(bracket)
        while at >= 0:
            if _FLOW_KEY.match(text, at + 1):
                return None
            at = text.find(bracket, at + 1)
    lines = "\n" + text  # every line starts after a line break
    if _DEEP in lines or _UNSAFE_ENTRY.search(lines) is not None:
        return None
    if ":" in text and _UNSAFE_AFTER_COLON.search(text):
        return None
    line = _LINE_START.search(lines)
    if line is None:
        return False
    if line.lastgroup == "unsafe" or _UNSAFE_LINE_START.search(lines, line.start()):
        return None
    return True  # a typed key, and nothing unsafe on its line or after


def _typed_flow_key(text: str, flows: list[tuple[int, int]]) -> bool:
    """Whether one of the flow collections at `flows` (_flow_collections) may hold a typed key."""
    return any(_TYPED_FLOW_KEY.search(text, start, end) is not None for start, end in flows)


_BLOCK_HEADER = lazy(r"[|>][-+1-9]*[ ]*(?:#[^\n]*)?\r?$", re.M)
_CONTENT_LINE = re.compile(r"^[ ]*[^ \r\n#]", re.M)
_MAX_FLOW_DEPTH = 50


def load_generated(text: str) -> list | None:
    """The documents of a large generated text (a chart's CRDs) read by yaml-rs alone, without
    positions and without the YAML 1.1 checks of `parse`; None when yaml-rs cannot read it.

    For CRDs only: their schemas quote what YAML 1.1 would type differently, and reading them is
    most of the cost of rendering a platform's charts."""
    if yaml_rs is None:
        return None
    try:
        data = yaml_rs.loads(text, **_RS_OPTIONS)
    except Exception:  # the caller falls back to `parse`, which reports the problem
        return None
    if len(split_documents(text)) <= 1:
        documents = [] if data is None else [data]
    elif data.__class__ is list:
        documents = data
    else:
        return None
    return None if nesting_depth(documents) > MAX_DEPTH else documents


def parse_fast(text: str) -> ParsedYaml | None:
    """The documents of `text` read by yaml-rs (keys made strings, as the composed path makes
    them), or None when the composed path must read it."""
    typed_key = _prescan(text)
    if typed_key is None:
        return None
    if text and _irregular_tail(text) and _last_block_scalar_open(text):
        return None  # the two readers end a block scalar at the end of the stream differently
    found = _flow_collections(text) if "[" in text or "{" in text else ([], 0)
    if found is None:
        return None
    flows, flow_depth = found
    if any(_UNSAFE_IN_FLOW.search(text, start, end) for start, end in flows):
        return None
    spans = split_documents(text)
    try:
        data = yaml_rs.loads(text, **_RS_OPTIONS)
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
    if _may_nest_too_deep(text, flow_depth) and nesting_depth(documents) > MAX_DEPTH:
        return None
    if (typed_key or _typed_flow_key(text, flows)) and not string_keys(documents):
        return None  # two keys become one (`1` and `"1"`): the composed path reports it
    return ParsedYaml(documents=documents, _source=TextSource(text, spans, documents))


def _may_nest_too_deep(text: str, flow_depth: int) -> bool:
    """Whether the documents of `text` may nest deeper than MAX_DEPTH. On the fast path (no
    compact nested sequences), a block collection indented less than `indent` is at most
    2 * (indent - 1) + 2 levels deep; with flow collections at most `flow_depth` deep in it,
    still within MAX_DEPTH (24 spaces with the deepest flow collections, 49 with `[a, b]`).
    Text indented deeper is measured."""
    indent = " " * ((MAX_DEPTH - flow_depth) // 2)
    return "\n" + indent in text or text.startswith(indent)


def _irregular_tail(text: str) -> bool:
    """No final line break, a blank last line, or a last line that may open a block scalar."""
    if text[-1] != "\n":
        return True
    last = text[text.rfind("\n", 0, len(text) - 1) + 1:-1]
    return not last.strip(" \r") or "|" in last or ">" in last


def _last_block_scalar_open(text: str) -> bool:
    """Whether the stream may end inside a block scalar: after some `|` or `>` header (or text
    that looks like one, inside another block scalar), no line is indented as little as the
    header's line. Headers that start their line take the composed path (_UNSAFE_LINE_START)."""
    for header in _BLOCK_HEADER.finditer(text):
        line_start = text.rfind("\n", 0, header.start()) + 1
        indent = 0
        while text[line_start + indent] == " ":
            indent += 1
        if pattern("dedent", indent + 1).search(text, header.end()) is None:
            return True
    return False


def split_documents(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each document's content: a document starts after a `---` line,
    or at the start of the stream when content comes before the first `---`. The markers are
    found with str.find, many times faster than a regex search over the whole text."""
    spans = []
    start = -1
    length = len(text)
    at = 0 if text.startswith("---") else text.find("\n---") + 1 or -1  # a `---` at a line start
    while at >= 0:
        after = at + 3
        if after == length or text[after] in " \r\n":  # a marker, not `----` or `---x`
            if start >= 0:
                spans.append((start, at))
            elif _CONTENT_LINE.search(text, 0, at):
                spans.append((0, at))
            line_end = text.find("\n", after)
            start = length if line_end < 0 else line_end + 1
        at = text.find("\n---", after) + 1 or -1
    if start >= 0:
        spans.append((start, length))
    elif _CONTENT_LINE.search(text):
        spans.append((0, length))
    return spans


def _flow_collections(text: str) -> tuple[list[tuple[int, int]], int] | None:
    """The (start, end) offsets of the outermost flow collections (`[...]`, `{...}`) and how
    deep the deepest nests (1: `[a, b]`, 0: none); None when
    one holds something the two readers may read differently: a line break inside a key or an
    item that turns out to be a key, a scalar that spans lines, `|` or `>` where a scalar
    starts, or nesting deeper than _MAX_FLOW_DEPTH."""
    flows = []
    deepest = 0
    openers = _Openers(text)
    start = openers.next(0)
    while start >= 0:
        before = start - 1
        while before >= 0 and text[before] == " ":
            before -= 1
        if before < 0 or text[before] in "\n:-,[{?":  # a node starts here: a flow collection
            end, depth = _flow_end(text, start)
            if end < 0:
                return None
            flows.append((start, end))
            deepest = max(deepest, depth)
            start = openers.next(end)
        else:  # inside a scalar
            start = openers.next(start + 1)
    return flows, deepest


class _Openers:
    """The offsets of `[` and `{` in a text, in order (str.find is much faster than a regex
    search for a set of characters, which tests every character)."""

    __slots__ = ("text", "square", "curly")

    def __init__(self, text: str) -> None:
        self.text = text
        self.square = self.curly = -2  # not looked up yet

    def next(self, start: int) -> int:
        """The offset of the first `[` or `{` at or after `start`, or -1."""
        if -1 != self.square < start:
            self.square = self.text.find("[", start)
        if -1 != self.curly < start:
            self.curly = self.text.find("{", start)
        if self.square < 0 or self.curly < 0:
            return max(self.square, self.curly)
        return min(self.square, self.curly)


_PLAIN_RUN = lazy(r"[^\n,\[\]{}:#]*")
_FLOW_VALUE_AFTER_PLAIN = ("", " ", "\r", "\n", ",", "[", "]", "{", "}")
_CLOSER = {"[": "]", "{": "}"}


def _flow_end(text: str, offset: int) -> tuple[int, int]:
    """The offset after the flow collection opening at `offset` and how deep it nests, or -1
    when it is unsafe (see _flow_collections). Conservative: anything unusual is unsafe."""
    if text[offset + 1:offset + 2] == _CLOSER[text[offset]]:
        return offset + 2, 1
    length = len(text)
    stack: list[tuple[str, str, int, bool]] = []  # the enclosing collections' (opener, state)
    deepest = 1
    opener, phase, token, broken = text[offset], "", 0, False
    phase = "key" if opener == "{" else "item"
    i = offset + 1
    while i < length:
        char = text[i]
        if char == "\n":
            if token == 1:
                return -1, 0  # a plain scalar spanning lines
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
                    return -1, 0
                if not stack:
                    return i + 1, deepest
                opener, phase, token, broken = stack.pop()
                token, broken = 2, broken or phase == "item"  # `[[a]: b]`: a collection key
            else:
                phase, token, broken = ("key" if opener == "{" else "item"), 0, False
        elif char == ":" and (token != 1 or text[i + 1:i + 2] in _FLOW_VALUE_AFTER_PLAIN):
            if token == 0 or broken or phase == "value" or (
                    token == 1 and text[i + 1:i + 2] not in ("", " ", "\r", "\n")):
                return -1, 0  # an empty key, a key after a line break, `a:,`, or a collection key
            phase, token = "value", 0
        elif token == 1:  # inside a plain scalar: skip to what may end it
            i = _PLAIN_RUN.match(text, i + 1).end()
            continue
        elif token == 2:
            return -1, 0  # something after a complete scalar or collection
        elif char == "[" or char == "{":
            if len(stack) >= _MAX_FLOW_DEPTH or phase == "key":
                return -1, 0  # too deep, or a collection as a key
            stack.append((opener, phase, token, broken))
            deepest = max(deepest, len(stack) + 1)
            opener, token, broken = char, 0, False
            phase = "key" if opener == "{" else "item"
        elif char == '"' or char == "'":
            i = _quoted_end(text, i)
            if i < 0:
                return -1, 0
            token = 2
            continue
        elif char in "|>?":
            return -1, 0  # libyaml reads `?x` in a flow collection as a complex key
        else:
            token = 1
        i += 1
    return -1, 0


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

