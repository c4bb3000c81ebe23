"""The composed path: YAML to plain Python data through libyaml's node graph.

libyaml (through PyYAML's C composer) builds the node graph with line and column marks; a small
constructor turns it into plain dicts and lists the way Kubernetes reads YAML (YAML 1.1 scalars:
`yes`/`on` are booleans), reports duplicate keys, and refuses alias bombs instead of expanding
them. Positions are looked up by walking the nodes. This path alone reports problems; the fast
path (yamlfast, yamltext) must give exactly the same answers.
"""


from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gitops_gen.lint.model import Path
from gitops_gen.lint.yamldata import (ALIAS_EXPANSION_LIMIT, ParsedYaml, YamlProblem,
                                      not_printable)
from gitops_gen.lint.yamlnorm import EDITOR_BREAK, MAX_DEPTH, LineMap, key_text, within

__all__ = ["ALIAS_EXPANSION_LIMIT", "Loader", "ParsedYaml", "Refused",
           "YamlProblem", "locate", "not_printable", "parse_composed", "scalar", "written"]

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_TYPED = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
          "tag:yaml.org,2002:null"}
_SCALARS = yaml.constructor.SafeConstructor()

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available


class Loader(_BaseLoader):  # type: ignore[misc, valid-type]
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


def written(node: Node | None) -> str | None:
    """The text of a scalar node as written; None for a collection or no node."""
    return node.value if node.__class__ is ScalarNode else None


class Refused(Exception):
    def __init__(self, kind: str, message: str, node: Node) -> None:
        super().__init__(message)
        self.problem = YamlProblem(kind, message, node.start_mark.line + 1,
                                   node.start_mark.column + 1)


def parse_composed(text: str) -> ParsedYaml:
    """`parse` through libyaml's node graph only: the reference the fast path must equal."""
    bad = not_printable(text)
    if bad:
        return parse_before_bad_character(text, bad.start(), parse_composed)
    result = ParsedYaml()
    plain = "&" not in text and "<<" not in text  # no anchors, no merge keys: a plain tree
    documents = yaml.compose_all(text, Loader=Loader)
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
        except Refused as refused:
            result.problems.append(refused.problem)
            data = None
        result.problems.extend(builder.duplicates)
        result.documents.append(data)
        result.nodes.append(node)
    if not text.isascii() and LineMap.ODD_BREAKS.search(text):
        result._lines = LineMap(text)
        result.problems = [result._lines.problem(problem) for problem in result.problems]
    if result.problems:
        result.problems = [within(text, problem) for problem in result.problems]
    return result


def parse_before_bad_character(text: str, offset: int, reader) -> ParsedYaml:
    """Lint the documents that end before a character YAML forbids, then report it."""
    boundary = max(text.rfind("\n---", 0, offset) + 1, 0)
    result = reader(text[:boundary]) if boundary else ParsedYaml()
    lines = EDITOR_BREAK.split(text[:offset])
    result.problems.append(YamlProblem(
        "parse-error", f"invalid YAML: character #x{ord(text[offset]):02X} is not allowed in YAML",
        len(lines), len(lines[-1]) + 1))
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

    def build(self, node: Node, depth: int = 1) -> Any:
        cls = node.__class__
        if cls is ScalarNode:
            return node.value if node.tag == _STR else scalar(node)
        if depth > MAX_DEPTH:
            raise too_deep(node)
        depth += 1
        if cls is SequenceNode:
            return [child.value if child.__class__ is ScalarNode and child.tag == _STR
                    else self.build(child, depth) for child in node.value]
        data: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.__class__ is ScalarNode and key_node.tag == _STR:
                key = key_node.value
            else:
                key = key_text(self.build(key_node, depth))
            if key in data:
                self.duplicates.append(_duplicate(key, key_node))
            if value_node.__class__ is ScalarNode and value_node.tag == _STR:
                data[key] = value_node.value
            else:
                data[key] = self.build(value_node, depth)
        return data


def too_deep(node: Node) -> Refused:
    return Refused("parse-error", f"collections nested deeper than {MAX_DEPTH} levels; the "
                   "document is not read", node)


def _duplicate(key: Any, key_node: Node) -> YamlProblem:
    return YamlProblem("duplicate-key", f"duplicate key {key!r}; the last value wins",
                       key_node.start_mark.line + 1, key_node.start_mark.column + 1)


class _Builder:
    """Builds plain Python data from one document's nodes; aliases share the built object."""

    __slots__ = ("built", "building", "expanded", "physical", "duplicates")

    def __init__(self) -> None:
        self.built: dict[int, tuple[Any, int, int]] = {}
        self.building: set[int] = set()
        self.expanded = 0
        self.physical = 0
        self.duplicates: list[YamlProblem] = []

    def build(self, node: Node) -> Any:
        return self._node(node, 1)[0]

    def _node(self, node: Node, depth: int) -> tuple[Any, int, int]:
        """Return the value, the number of nodes it spans once expanded, and how deep its
        collections nest (0 for a scalar); `depth` is the level the node is met at."""
        if node.__class__ is ScalarNode:
            self.physical += 1
            return scalar(node), 1, 0
        ident = id(node)
        seen = self.built.get(ident)
        if seen is not None:
            self.expanded += seen[1]
            if self.expanded > max(ALIAS_EXPANSION_LIMIT, 10 * self.physical):
                raise Refused("alias-bomb", "aliases expand this document beyond "
                               f"{ALIAS_EXPANSION_LIMIT} nodes; refusing to expand it", node)
            if depth + seen[2] - 1 > MAX_DEPTH:  # an alias deeper than its anchor
                raise too_deep(node)
            return seen
        if ident in self.building:
            raise Refused("parse-error", "invalid YAML: an alias refers to a node that "
                           "contains it (recursive alias)", node)
        if depth > MAX_DEPTH:
            raise too_deep(node)
        self.building.add(ident)
        self.physical += 1
        if node.__class__ is MappingNode:
            result = self._mapping(node, depth + 1)
        else:
            items = [self._node(child, depth + 1) for child in node.value]
            result = ([value for value, _, _ in items], 1 + sum(item[1] for item in items),
                      1 + max((item[2] for item in items), default=0))
        self.building.discard(ident)
        self.built[ident] = result
        return result

    def _mapping(self, node: MappingNode, depth: int) -> tuple[dict, int, int]:
        data: dict[Any, Any] = {}
        size = 1
        height = 0
        merged: list[dict] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                value, span, below = self._node(value_node, depth)
                size += span
                height = max(height, below - 1 - (value.__class__ is list))  # its items' keys
                merged.extend(v for v in (value if isinstance(value, list) else [value])
                              if isinstance(v, dict))
                continue
            key, key_span, key_height = self._node(key_node, depth)
            value, span, below = self._node(value_node, depth)
            size += key_span + span
            height = max(height, key_height, below)
            key = key_text(key)
            if key in data:
                self.duplicates.append(_duplicate(key, key_node))
            data[key] = value
        for extra in merged:
            for key, value in extra.items():
                data.setdefault(key, value)
        return data, size, 1 + height


def scalar(node: ScalarNode) -> Any:
    tag = node.tag
    if tag == _STR or tag not in _TYPED:
        return node.value
    try:
        return _SCALARS.yaml_constructors[tag](_SCALARS, node)
    except (ValueError, IndexError, KeyError):
        raise Refused("parse-error", f"invalid YAML: {node.value!r} is not a valid "
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
    """Whether a key node reads as `part` (mapping keys are strings: see key_text)."""
    return isinstance(part, str) and (key_node.value == part or (
        key_node.tag in _TYPED and key_text(scalar(key_node)) == part))

