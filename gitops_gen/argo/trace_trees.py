"""Sources of rendered values read as trees of data with their positions in the file.

A `ValueSource` is a values file, an Application's inline values or parameters, a kustomization,
a patch or a manifest; `source_trees` reads it (once per content) as the `Tree`s tracing matches
against: values, kustomization, patch or manifest, with YAML strings embedded in a file (Argo
CD's `helm.values`, a kustomization's inline patches) positioned in that file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterator, NamedTuple

from gitops_gen.lint.k8s import sequence
from gitops_gen.lint.model import Path, format_path
from gitops_gen.lint.yamlparse import ParsedYaml, parse

SOURCE_KINDS = ("helm-values", "helm-parameters", "kustomization", "kustomize-patch", "manifest")


@dataclass(frozen=True)
class ValueSource:
    """A file that may have set rendered values. `base` is where the values start in document
    `document` (e.g. an Application's `("spec", "source", "helm", "valuesObject")`); a string
    there (Argo CD's `helm.values`) is read as the YAML it holds; `helm-parameters` has `base` at
    Argo CD's `helm.parameters`. Manifests and patch files are read whole: each of their
    documents names the object it is for."""

    file: str
    text: str
    base: Path = ()
    document: int = 0
    kind: str = "helm-values"  # one of SOURCE_KINDS


@dataclass(frozen=True)
class Origin:
    """A place in the repository: 1-based line and column, and the key path inside the file."""

    file: str
    line: int
    column: int
    path: str


@lru_cache(maxsize=512)
def _parsed(text: str) -> ParsedYaml:
    return parse(text)


class _Block(NamedTuple):
    """Where an embedded string sits in its file: line by line when it is a block scalar
    written as is (`|-`), else only the scalar's own position (`indent` < 0)."""

    line: int
    column: int
    indent: int

    def position(self, line: int, column: int) -> tuple[int, int]:
        if self.indent < 0:
            return self.line, self.column
        return self.line + line - 1, self.indent + column


_Node = tuple[Path, "str | None", Any]
"""A node of a tree: its path, the last mapping key on the path, its value."""


class Tree:
    """Data inside a file with positions: a document from `base`, or a YAML string embedded in
    one (`block` maps its positions into the file). `shown` prefixes the key paths reported."""

    def __init__(self, file: str, parsed: ParsedYaml, document: int, base: Path, shown: Path,
                 block: _Block | None = None, selector: dict | None = None) -> None:
        self.file, self.parsed, self.document, self.base = file, parsed, document, base
        self.shown, self.block, self.selector = shown, block, selector
        self.data = get(parsed.documents[document], base)
        self._nodes: tuple[list[_Node], list[_Node]] | None = None

    def origin(self, path: Path, key: bool) -> Origin:
        line, column = self.parsed.locate(self.document, self.base + path, key and bool(path))
        if self.block is not None:
            line, column = self.block.position(line, column)
        return Origin(self.file, line, column, format_path(self.shown + path))

    def nodes(self) -> tuple[list[_Node], list[_Node]]:
        """Every leaf and every collection below the root, with its path and last key; listed
        once."""
        if self._nodes is None:
            leaves: list[_Node] = []
            collections: list[_Node] = []
            stack: list[_Node] = [((), None, self.data)]
            while stack:
                at, key, node = stack.pop()
                if isinstance(node, dict):
                    stack.extend((at + (k,), k if isinstance(k, str) else key, v)
                                 for k, v in node.items())
                elif isinstance(node, list):
                    stack.extend((at + (i,), key, v) for i, v in enumerate(node))
                if at:
                    (collections if isinstance(node, (dict, list)) else leaves).append(
                        (at, key, node))
            self._nodes = (leaves, collections)
        return self._nodes


class _Parameters(Tree):
    """Argo CD's `helm.parameters` (`--set name=value`) as the values they set; a value points
    at the `value` of the last parameter that set it. Names with list indexes are left out."""

    def __init__(self, file: str, parsed: ParsedYaml, document: int, base: Path) -> None:
        super().__init__(file, parsed, document, base, base)
        self.names: list[tuple[Path, int]] = []
        values: dict = {}
        for i, entry in enumerate(sequence(self.data)):
            name = entry.get("name") if isinstance(entry, dict) else None
            if isinstance(name, str) and "value" in entry and "[" not in name:
                path = tuple(part.replace("\\.", ".") for part in re.split(r"(?<!\\)\.", name))
                node = values
                for part in path[:-1]:
                    if not isinstance(node.get(part), dict):
                        node[part] = {}
                    node = node[part]
                node[path[-1]] = entry["value"]
                self.names.append((path, i))
        self.data = values

    def origin(self, path: Path, key: bool) -> Origin:
        index = next(i for name, i in reversed(self.names) if name[:len(path)] == path)
        return super().origin((index, "value"), False)


@lru_cache(maxsize=512)
def source_trees(source: ValueSource) -> tuple[tuple[str, Tree], ...]:
    """The trees of a source with their roles: values, kustomization, patch or manifest."""
    if source.kind not in SOURCE_KINDS:
        raise ValueError(f"unknown source kind {source.kind!r}; expected one of {SOURCE_KINDS}")
    parsed = _parsed(source.text)
    if source.kind in ("kustomize-patch", "manifest"):  # every document: each names its object
        role = "patch" if source.kind == "kustomize-patch" else "manifest"
        return tuple((role, Tree(source.file, parsed, i, (), ()))
                     for i, data in enumerate(parsed.documents) if data is not None)
    if source.document >= len(parsed.documents):
        return ()
    tree = Tree(source.file, parsed, source.document, source.base, source.base)
    if source.kind == "helm-parameters":
        return (("values", _Parameters(source.file, parsed, source.document, source.base)),)
    if source.kind == "helm-values":
        if isinstance(tree.data, str):
            return tuple(("values", t) for t in _embedded(source, parsed, source.base, None))
        return (("values", tree),)
    patches = [t for at, selector in _inline_patches(tree.data)
               for t in _embedded(source, parsed, source.base + at, selector)]
    return (("kustomization", tree),) + tuple(("patch", t) for t in patches)


def _inline_patches(kustomization: Any) -> Iterator[tuple[Path, dict | None]]:
    """Paths of the patches written inline in a kustomization, with their targets."""
    if not isinstance(kustomization, dict):
        return
    for field in ("patches", "patchesJson6902"):
        for i, entry in enumerate(sequence(kustomization.get(field))):
            if isinstance(entry, dict) and isinstance(entry.get("patch"), str):
                target = entry.get("target")
                yield (field, i, "patch"), target if isinstance(target, dict) else None
    for i, entry in enumerate(sequence(kustomization.get("patchesStrategicMerge"))):
        if isinstance(entry, str) and "\n" in entry:  # else the path of a patch file
            yield ("patchesStrategicMerge", i), None


def _embedded(source: ValueSource, parsed: ParsedYaml, at: Path,
              selector: dict | None) -> list[Tree]:
    """The documents of the YAML string at `at`, positioned in the file."""
    inner = _parsed(get(parsed.documents[source.document], at))
    if inner.problems:
        return []
    line, column = parsed.locate(source.document, at)
    block = _block_lines(source.text, line, column, get(parsed.documents[source.document], at))
    return [Tree(source.file, inner, i, (), at, block, selector)
            for i, data in enumerate(inner.documents) if data is not None]


def _block_lines(text: str, line: int, column: int, string: str) -> _Block:
    """Map a string's lines to the file when they are written below its indicator, each as is
    at one indentation (a literal block, or a folded one that folds nothing)."""
    lines = text.splitlines()
    fallback = _Block(line, column, -1)
    body = string.split("\n")
    first = next((written for written in lines[line:line + len(body)] if written.strip()), "")
    indent = len(first) - len(first.lstrip(" "))
    for k, part in enumerate(body):
        if part and (line + k >= len(lines) or lines[line + k] != " " * indent + part):
            return fallback
    return _Block(line + 1, column, indent)


def get(node: Any, path: Path, default: Any = None) -> Any:
    """The value at `path` in parsed data, or `default` when a step is missing."""
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return default
    return node

