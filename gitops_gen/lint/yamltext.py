"""Positions in the text of a stream the fast path read: walked by indentation, checked at
every step against the loaded data; whenever the walk meets something it does not handle (a flow
collection on the way, a key that is not a string, escapes) it composes that one document with
libyaml and walks its nodes (PyYAML and the composed path are imported then, not before).
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any

from gitops_gen.lazyre import lazy
from gitops_gen.lint.model import Path
from gitops_gen.lint.yamlkeys import AFTER, find_key, pattern

if TYPE_CHECKING:
    from yaml.nodes import Node

TEXT_LOCATOR = True
"""Whether positions are found in the text (False: compose each document with libyaml when
first asked, for benchmarks)."""
_FIRST_CONTENT = re.compile(r"^[ ]*(?=[^ \r\n#])", re.M)
_PLAIN_TOKEN = lazy(r"[^ \r\n]*")

_BLOCK_MAP, _BLOCK_SEQ, _FLOW, _SCALAR, _EMPTY = "block map", "block seq", "flow", "scalar", "empty"
_GIVE_UP = ("give up",)
_UNSET = ("unset",)


_Node = list
"""A node the walk reached, a list (made much faster than an object) indexed by:"""
KIND, OFFSET, COLUMN, VALUE, KEY_OFFSET, INDENTED, CHILDREN, AT, KEY_AT, END = range(10)
"""its kind, the offset of its mark, its column (-1 where never read: scalars, flow
collections, empty values), its loaded value, the offset of its key (-1 for an item or a root),
whether only its indentation comes before it on its line; the nodes found below it by step,
its (line, column) and its key's, once asked (else None); and the end of its document."""


class TextSource:
    """Positions in the text of a stream read on the fast path.

    A path is walked by indentation, one step at a time, each step checked against the loaded
    data (which keys exist, how many items a sequence has): the text locator only has to find
    where a node starts. Each document keeps the nodes walked so far as a tree (paths share
    their prefixes, and a position is counted once per node); a document the locator gives up
    on is composed with libyaml once, and its nodes answer from then on.
    """

    __slots__ = ("text", "spans", "documents", "roots", "composed", "items", "cursor", "cursors")

    def __init__(self, text: str, spans: list[tuple[int, int]], documents: list[Any]) -> None:
        self.text = text
        self.spans = spans
        self.documents = documents
        self.roots: dict[int, _Node | None] = {}
        self.composed: dict[int, tuple[Node, int]] = {}
        self.items: dict[int, list[int] | None] = {}
        self.cursor = (0, 1)
        """The last position counted, (offset, line): a document's first is counted from there."""
        self.cursors: dict[int, tuple[int, int]] = {}
        """The last position counted in each document: its next is counted from there (a run
        asks for positions document by document, then again from the first: counting from
        the last position anywhere would count the whole stream once more, backwards)."""

    # -- the public answers

    def locate(self, document: int, path: Path, key: bool) -> tuple[int, int]:
        node = self.roots.get(document, _UNSET)
        if node is _UNSET:
            node = self._root(document)
        if node is not None:  # the walk of `_reach`, written out: most calls of a run go here
            for part in path:
                children = node[CHILDREN]
                child = children.get(part) if children is not None else None
                if child is None:
                    child = self._step(node, part)
                    if child is None:  # the deepest existing parent: its own position
                        key = False
                        break
                    if child is _GIVE_UP:
                        node = None
                        break
                node = child
            if node is not None:
                if key and node[KEY_OFFSET] >= 0:
                    at = node[KEY_AT]
                    if at is None:
                        at = node[KEY_AT] = self._position(document, node[KEY_OFFSET])
                    return at
                at = node[AT]
                if at is None:
                    at = node[AT] = self._position(document, node[OFFSET])
                return at
        from gitops_gen.lint.yamlcompose import locate

        node, offset = self.composed.get(document) or self._compose(document)
        (line, column), _ = locate(node, path, key)
        return line + offset, column

    def scalar_text(self, document: int, path: Path) -> str | None:
        reached = self._reach(document, path)
        if reached is not None:
            node, found = reached
            if not found:
                return None
            value = node[VALUE]
            cls = value.__class__
            if cls is str:
                return value
            if cls is dict or cls is list:
                return None
            raw = ("" if node[KIND] is _EMPTY
                   else _PLAIN_TOKEN.match(self.text, node[OFFSET]).group())
            if _same_value(raw, value):
                return raw
        from gitops_gen.lint.yamlcompose import locate, written

        node = (self.composed.get(document) or self._compose(document))[0]
        return written(locate(node, path)[1])

    # -- positions

    def _position(self, document: int, offset: int) -> tuple[int, int]:
        """The (line, column) of `offset` in `document`, counted from the nearest cursor."""
        text = self.text
        last, line = self.cursors.get(document) or self.cursor
        if offset >= last:
            line += text.count("\n", last, offset)
        else:
            line -= text.count("\n", offset, last)
        self.cursors[document] = self.cursor = offset, line
        return line, offset - text.rfind("\n", 0, offset)

    def _compose(self, document: int) -> tuple[Node, int]:
        """The document's node graph, composed from its own text: (node, lines before it)."""
        import yaml

        from gitops_gen.lint.yamlcompose import Loader

        start, end = self.spans[document]
        try:
            node = yaml.compose(self.text[start:end], Loader=Loader)
            composed = (node, self._position(document, start)[0] - 1) if node is not None else None
        except yaml.YAMLError:  # pragma: no cover - the stream as a whole composed
            composed = None
        if composed is None:  # e.g. an empty document: compose the stream as a whole
            composed = (list(yaml.compose_all(self.text, Loader=Loader))[document], 0)
        self.composed[document] = composed
        self.roots[document] = None  # the nodes answer from now on
        return composed

    # -- the walk

    def _reach(self, document: int, path: Path) -> tuple[_Node, bool] | None:
        """(the node at `path`, True), or (its deepest existing parent, False); None to give up
        on the text. Steps already taken are not taken again."""
        node = self.roots.get(document, _UNSET)
        if node is _UNSET:
            node = self._root(document)
        if node is None:
            return None
        for part in path:
            children = node[CHILDREN]
            child = children.get(part) if children is not None else None
            if child is None:
                child = self._step(node, part)
                if child is None:
                    return node, False
                if child is _GIVE_UP:
                    return None
            node = child
        return node, True

    def _step(self, node: _Node, part: Any) -> Any:
        """The node one step down `part` (kept in `node[CHILDREN]`), None when there is none,
        or _GIVE_UP."""
        value = node[VALUE]
        cls = value.__class__
        children = node[CHILDREN]
        if children is None:
            if cls is dict:
                for k in value:
                    if k.__class__ is not str:
                        return _GIVE_UP  # keys compare as written: typed keys need the nodes
            children = node[CHILDREN] = {}
        text = self.text
        limit = node[END]
        if cls is dict:
            if part.__class__ is not str or part not in value:
                return None
            if node[KIND] is not _BLOCK_MAP:
                return _GIVE_UP
            found = find_key(text, node[OFFSET], node[COLUMN], node[INDENTED], part, limit)
            if found is None:
                return _GIVE_UP
            key_offset, after, at, indent = found
            value = value[part]
            if at == after:  # nothing after the `:`
                kind = None
            elif indent < 0:  # on the same line
                column = -1
                cls = value.__class__
                if cls is dict:
                    kind = _FLOW if text[at] == "{" else None
                elif cls is list:
                    kind = _FLOW if text[at] == "[" else None
                else:
                    kind = _SCALAR
            else:
                column = at - indent
                kind = None
                if at < limit and (column > node[COLUMN] or (
                        column == node[COLUMN] and value.__class__ is list and text[at] == "-"
                        and _indicator(text, at))):
                    kind = _kind(text, at, value)
        elif cls is list:
            if not (isinstance(part, int) and 0 <= part < len(value)):
                return None
            if node[KIND] is not _BLOCK_SEQ:
                return _GIVE_UP
            if part:
                items = self._items(node[OFFSET], node[COLUMN], len(value), limit)
                if items is None:
                    return _GIVE_UP
                after = items[part] + 1
            else:  # the first item's `-` is the sequence's mark
                after = node[OFFSET] + 1
            key_offset = -1
            found = AFTER.match(text, after)
            if found is None:
                at, indent = after, -1
            else:
                at, indent = found.end(), found.start(1)
            value = value[part]
            if at == after:
                kind = None
            elif indent < 0:
                column = -1
                cls = value.__class__
                if cls is dict or cls is list:
                    if text[at] == ("{" if cls is dict else "["):
                        kind = _FLOW
                    else:  # a compact mapping or sequence (`- a: 1`, `- - x`)
                        column = at - text.rfind("\n", 0, at) - 1
                        kind = _kind(text, at, value)
                else:
                    kind = _SCALAR
            else:
                column = at - indent
                kind = _kind(text, at, value) if at < limit and column > node[COLUMN] else None
        else:
            return None
        if kind is None:
            if value is not None:
                return _GIVE_UP
            kind, at, column = _EMPTY, after, -1  # an empty value: marked right after the indicator
        child = children[part] = [kind, at, column, value, key_offset, indent >= 0, None, None,
                                  None, limit]
        return child

    def _root(self, document: int) -> _Node | None:
        """The document's root node (kept in `roots`), or None to give up on the text."""
        root = None
        text = self.text
        start, end = self.spans[document]
        if start < end and text[start] not in " \r\n#":  # content first: at column 0
            line_start = at = start
        else:
            found = _FIRST_CONTENT.search(text, start, end)
            line_start, at = found.span() if found is not None else (-1, -1)
        if at >= 0 and TEXT_LOCATOR:
            value = self.documents[document]
            kind = _kind(text, at, value)
            if kind is not None:
                root = [kind, at, at - line_start, value, -1, line_start > 0, None, None, None,
                        end]
        self.roots[document] = root
        return root

    def _items(self, offset: int, column: int, count: int, limit: int) -> list[int] | None:
        """Offsets of the `-` of each item of the block sequence starting at `offset`; None when
        the text does not show `count` items. The sequence ends at the first line indented less,
        or as much but not an item."""
        items = self.items.get(offset, False)
        if items is False:
            text = self.text
            found = pattern("seq-end", column).search(text, offset, limit)
            end = found.start() if found else limit
            items = [offset]
            items.extend(item.end() - 1
                         for item in pattern("item", column).finditer(text, offset, end))
            if len(items) != count:
                items = None
            self.items[offset] = items
        return items


def _kind(text: str, offset: int, value: Any) -> str | None:
    """The kind of a node whose first character is at `offset`, given its loaded value; None
    when the text does not show it as the walk expects."""
    char = text[offset]
    cls = value.__class__
    if cls is dict:
        if char == "{":
            return _FLOW
        if char in "[]},#&*!|>%@`" or (char in "-?:" and _indicator(text, offset)):
            return None
        return _BLOCK_MAP
    if cls is list:
        if char == "[":
            return _FLOW
        if char == "-" and _indicator(text, offset):
            return _BLOCK_SEQ
        return None
    return _SCALAR


def _indicator(text: str, offset: int) -> bool:
    """Whether the `-`, `?` or `:` at `offset` is an indicator (followed by a space or a break)."""
    following = text[offset + 1:offset + 2]
    return not following or following in " \r\n"


def _same_value(raw: str, value: Any) -> bool:
    """Whether the plain scalar `raw` reads as `value` on the composed path."""
    from yaml.nodes import ScalarNode

    from gitops_gen.lint.yamlcompose import Refused, scalar

    node = ScalarNode(_resolver().resolve(ScalarNode, raw, (True, False)), raw)
    try:
        read = scalar(node)
    except Refused:
        return False
    return read.__class__ is value.__class__ and read == value


@functools.cache
def _resolver() -> Any:
    """PyYAML's resolver, made when a written scalar is first compared."""
    import yaml

    return yaml.resolver.Resolver()
