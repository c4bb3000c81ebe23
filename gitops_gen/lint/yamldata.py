"""What reading YAML gives, shared by both readers without importing either: the parsed
stream (`ParsedYaml`) and its problems. PyYAML is imported only when the composed path runs, so
a run whose files all take the fast path never pays for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gitops_gen.lazyre import lazy
from gitops_gen.lint.model import Path

if TYPE_CHECKING:
    from yaml.nodes import Node

    from gitops_gen.lint.yamlnorm import LineMap
    from gitops_gen.lint.yamltext import TextSource

ALIAS_EXPANSION_LIMIT = 10_000
"""Nodes that aliases may add to a document beyond its own; more is an alias bomb."""

_NOT_PRINTABLE = ("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD"
                  "\U00010000-\U0010FFFF]")
"""Characters YAML does not allow in a stream (libyaml refuses the whole stream for one)."""
_NOT_PRINTABLE_ASCII = lazy("[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]")
"""The same among ASCII characters (a pattern much cheaper to compile: start-up time)."""
_PRINTABLE_ASCII = b"\t\n\r" + bytes(range(0x20, 0x7F))


def not_printable(text: str) -> re.Match | None:
    """The first character of `text` that YAML does not allow in a stream, or None."""
    if text.isascii():
        if not text.encode("ascii").translate(None, _PRINTABLE_ASCII):
            return None  # (deleting the allowed bytes is much faster than a regex search)
        return _NOT_PRINTABLE_ASCII.search(text)
    return re.compile(_NOT_PRINTABLE).search(text)  # compiled once, on the first non-ASCII text


@dataclass(slots=True)
class YamlProblem:
    """A problem found while reading YAML: `kind` is parse-error, duplicate-key or alias-bomb."""

    kind: str
    message: str
    line: int
    column: int


@dataclass(slots=True, eq=False, repr=False)
class ParsedYaml:
    """The documents of a YAML stream, the problems met reading it, and positions on demand.

    `nodes` holds the composed node of each document (the composed path); on the fast path it
    is empty and `_source` finds positions in the text instead.
    """

    documents: list[Any] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    problems: list[YamlProblem] = field(default_factory=list)
    _source: TextSource | None = None
    _lines: LineMap | None = None
    """Set when libyaml counts lines differently from editors (see yamlnorm.LineMap)."""

    def locate(self, document: int, path: Path, key: bool = False) -> tuple[int, int]:
        """1-based line and column of `path` in a document, or of its deepest existing parent."""
        if self._source is not None:
            return self._source.locate(document, path, key)
        from gitops_gen.lint.yamlcompose import locate

        position = locate(self.nodes[document], path, key)[0]
        return position if self._lines is None else self._lines.position(*position)

    def scalar_text(self, document: int, path: Path) -> str | None:
        """The scalar at `path` as written (before YAML typed it), or None."""
        if self._source is not None:
            return self._source.scalar_text(document, path)
        from gitops_gen.lint.yamlcompose import locate, written

        return written(locate(self.nodes[document], path)[1])
