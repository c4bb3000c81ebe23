"""Where in the repository a value of a rendered object was set.

`trace` follows a finding on a rendered object (Helm's or Kustomize's output) back to the line
that set the value: a values-file leaf or mapping, an overlay's `images:` or `replicas:` entry, a
patch (a file, or a string inline in a kustomization) or the base manifest. Every candidate is
ranked; when the best ones disagree the answer is None, since no line beats a wrong line.
`template_line` finds a rendered path in a Helm template: the fallback when nothing is traced.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterator, NamedTuple, Sequence

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


def trace(rendered: dict, path: Path, sources: Sequence[ValueSource]) -> Origin | None:
    """The place that set `path` of `rendered` (or its deepest existing parent), or None.

    `sources` come in increasing precedence: the chart's values.yaml, the value files in order,
    `values`, `valuesObject`; for Kustomize the base's files, then each overlay's patch files
    and its kustomization (whose `images` and `replicas` apply after its patches). Candidates
    rank by the part of an image they explain (digest, else tag, else repository), then how
    well their key names the rendered field, whether their mapping is part of the rendered one,
    their source's precedence, and the keys their path shares with the rendered path. A value
    that higher-precedence values replace never counts. Parsed sources are cached by content.
    """
    sources = tuple(sources)
    across = _across(sources)
    target = _target(rendered, path, across)
    claims = []
    for index, source in enumerate(sources):
        for role, tree in _trees(source):
            for rank, affinity, context, stage, suffix, at, key in _MATCHERS[role](tree, target):
                if role == "values" and _overridden(tree, at, index, across.values):
                    continue
                order = (-rank, affinity, context, index, stage, suffix)
                claims.append((order, tree.origin(at, key)))
    if not claims:
        return None
    best = max(order for order, _ in claims)
    origins = {origin for order, origin in claims if order == best}
    return origins.pop() if len(origins) == 1 else None


# -- what is traced


class _Image(NamedTuple):
    """A container image `repository:tag@digest`, split."""

    text: str
    repository: str
    tag: str
    digest: str

    @classmethod
    def split(cls, text: str) -> _Image:
        rest, _, digest = text.partition("@")
        colon = rest.rfind(":")
        if colon > rest.rfind("/"):
            return cls(text, rest[:colon], rest[colon + 1:], digest)
        return cls(text, rest, "", digest)

    def rank(self, part: str) -> int:
        """How much `part` decides which image runs: the digest, else the tag, else the name."""
        order = [p for p in ("digest", "tag") if getattr(self, p)] + ["repository", "registry"]
        return order.index(part)

    def explains(self, part: str, text: str) -> bool:
        if part == "repository":
            return self.repository == text or self.repository.endswith("/" + text)
        if part == "registry":
            return self.repository.startswith(text.rstrip("/") + "/")
        return getattr(self, part) == text != ""


class _Target(NamedTuple):
    rendered: dict
    path: Path  # the deepest existing part of the finding's path
    value: Any
    key: str | None  # the last mapping key on `path`
    image: _Image | None
    across: _Across


def _target(rendered: dict, path: Path, across: _Across) -> _Target:
    node: Any = rendered
    depth = 0
    for part in path:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            break
        depth += 1
    existing = path[:depth]
    key = _last_key(existing)
    image = (_Image.split(node) if existing and existing[-1] == "image" and isinstance(node, str)
             else None)
    return _Target(rendered, existing, node, key, image, across)


# -- sources as trees of data with positions


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


class _Tree:
    """Data inside a file with positions: a document from `base`, or a YAML string embedded in
    one (`block` maps its positions into the file). `shown` prefixes the key paths reported."""

    def __init__(self, file: str, parsed: ParsedYaml, document: int, base: Path, shown: Path,
                 block: _Block | None = None, selector: dict | None = None) -> None:
        self.file, self.parsed, self.document, self.base = file, parsed, document, base
        self.shown, self.block, self.selector = shown, block, selector
        self.data = _get(parsed.documents[document], base)
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


class _Parameters(_Tree):
    """Argo CD's `helm.parameters` (`--set name=value`) as the values they set; a value points
    at the `value` of the last parameter that set it. Names with list indexes are left out."""

    def __init__(self, file: str, parsed: ParsedYaml, document: int, base: Path) -> None:
        super().__init__(file, parsed, document, base, base)
        self.names: list[tuple[Path, int]] = []
        values: dict = {}
        for i, entry in enumerate(_list(self.data)):
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
def _trees(source: ValueSource) -> tuple[tuple[str, _Tree], ...]:
    """The trees of a source with their roles: values, kustomization, patch or manifest."""
    if source.kind not in SOURCE_KINDS:
        raise ValueError(f"unknown source kind {source.kind!r}; expected one of {SOURCE_KINDS}")
    parsed = _parsed(source.text)
    if source.kind in ("kustomize-patch", "manifest"):  # every document: each names its object
        role = "patch" if source.kind == "kustomize-patch" else "manifest"
        return tuple((role, _Tree(source.file, parsed, i, (), ()))
                     for i, data in enumerate(parsed.documents) if data is not None)
    if source.document >= len(parsed.documents):
        return ()
    tree = _Tree(source.file, parsed, source.document, source.base, source.base)
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
        for i, entry in enumerate(_list(kustomization.get(field))):
            if isinstance(entry, dict) and isinstance(entry.get("patch"), str):
                target = entry.get("target")
                yield (field, i, "patch"), target if isinstance(target, dict) else None
    for i, entry in enumerate(_list(kustomization.get("patchesStrategicMerge"))):
        if isinstance(entry, str) and "\n" in entry:  # else the path of a patch file
            yield ("patchesStrategicMerge", i), None


def _embedded(source: ValueSource, parsed: ParsedYaml, at: Path,
              selector: dict | None) -> list[_Tree]:
    """The documents of the YAML string at `at`, positioned in the file."""
    inner = _parsed(_get(parsed.documents[source.document], at))
    if inner.problems:
        return []
    line, column = parsed.locate(source.document, at)
    block = _block_lines(source.text, line, column, _get(parsed.documents[source.document], at))
    return [_Tree(source.file, inner, i, (), at, block, selector)
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


# -- matchers: (rank, affinity, context, stage, suffix, path in the tree, point at the key)

Claim = tuple[int, int, int, int, int, Path, bool]


def _values_claims(tree: _Tree, target: _Target) -> Iterator[Claim]:
    """Helm values: leaves equal to the rendered scalar, or to a part of the rendered image;
    mappings equal to the rendered one, or a subset under a related key."""
    rendered = target.value
    leaves, collections = tree.nodes()
    if target.image is not None:
        for at, _, value in leaves:
            yield from _image_leaf(at, value, target)
    elif isinstance(rendered, (dict, list)):
        for at, key, value in collections:
            affinity = _affinity(key, target.key)
            if _explains_collection(value, rendered, affinity):
                context = _same_context(at, target)
                yield 0, affinity, context, 0, _suffix(at, target.path), at, True
    else:
        wanted = _text(rendered)
        for at, key, value in leaves if wanted is not None else ():
            if _text(value) == wanted:
                affinity = _affinity(key, target.key)
                if affinity or (isinstance(value, str) and len(value) >= 8):
                    context = _same_context(at, target)
                    yield 0, affinity, context, 0, _suffix(at, target.path), at, False


def _image_leaf(at: Path, value: Any, target: _Target) -> Iterator[Claim]:
    image, text = target.image, _text(value)
    assert image is not None
    if not text:
        return
    if text == image.text:
        yield 0, 2, 0, 0, _suffix(at, target.path), at, False
        return
    part = _image_part(at)
    if part and image.explains(part, text):
        yield image.rank(part), 2, 0, 0, _suffix(at[:-1], target.path), at, False


def _image_part(at: Path) -> str | None:
    """Which part of an image a values key sets (`image.tag`, `image.repository`, ...)."""
    key = at[-1].lower() if isinstance(at[-1], str) else ""
    under_image = any(isinstance(p, str) and "image" in p.lower() for p in at[:-1])
    if key.endswith("digest"):
        return "digest"
    if key.endswith("tag") or (under_image and key == "version"):
        return "tag"
    if key.endswith(("repository", "repo")) or key in ("image", "imagename") or (
            under_image and key == "name"):
        return "repository"
    return "registry" if key.endswith("registry") else None


def _kustomization_claims(tree: _Tree, target: _Target) -> Iterator[Claim]:
    """An overlay's (or an Application's `kustomize:`) `images` and `replicas` entries; they
    apply after its patches."""
    data = tree.data if isinstance(tree.data, dict) else {}
    image = target.image
    for i, entry in enumerate(_list(data.get("images")) if image else ()):
        if isinstance(entry, str):  # Argo CD's `kustomize.images`: [old=]new[:tag][@digest]
            for rank in _explain_ranks(entry.rpartition("=")[2], target):
                yield rank, 2, 0, 1, len(target.path), ("images", i), False
        if not isinstance(entry, dict):
            continue
        if (_text(entry.get("newName")) or _text(entry.get("name"))) != image.repository:
            continue
        for field, part in (("newTag", "tag"), ("digest", "digest"), ("newName", "repository")):
            if field in entry and image.explains(part, _text(entry[field]) or ""):
                yield image.rank(part), 2, 0, 1, len(target.path), ("images", i, field), False
    if target.path == ("spec", "replicas"):
        for i, entry in enumerate(_list(data.get("replicas"))):
            if (isinstance(entry, dict) and _same(entry.get("count"), target.value)
                    and _names(entry.get("name"), target)):
                yield 0, 2, 0, 1, len(target.path), ("replicas", i, "count"), False
    if target.path == ("metadata", "namespace") and _same(data.get("namespace"), target.value):
        yield 0, 2, 0, 1, len(target.path), ("namespace",), False


def _patch_claims(tree: _Tree, target: _Target) -> Iterator[Claim]:
    """A strategic-merge patch, or JSON6902 operations, that set the rendered value."""
    selector = tree.selector or target.across.patch_targets.get(os.path.normpath(tree.file))
    if selector is not None and not _selects(selector, target.rendered):
        return
    if isinstance(tree.data, list):
        yield from _operation_claims(tree.data, target)
    elif isinstance(tree.data, dict) and (selector is not None or _same_object(tree.data, target)):
        yield from _same_path_claims(tree.data, target)


def _manifest_claims(tree: _Tree, target: _Target) -> Iterator[Claim]:
    """The base manifest the object was built from. Where it defines the rendered container
    or spec, that is where a field missing from them belongs, whatever else changed them."""
    document = tree.data
    if not (isinstance(document, dict) and document.get("kind") == target.rendered.get("kind")
            and _names(_get(document, ("metadata", "name")), target)):
        return
    claims = list(_same_path_claims(document, target))
    at = _corresponding(document, target) if not claims and _structural(target) else None
    if at is not None:
        claims.append((0, 0, 0, 0, len(target.path), at, True))
    yield from claims


_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def _structural(target: _Target) -> bool:
    """Whether the rendered value is a container or a spec: what patches and images change
    in parts, so that only the manifest defines it."""
    path = target.path
    return isinstance(target.value, dict) and bool(path) and (path[-1] == "spec" or (
        isinstance(path[-1], int) and len(path) >= 2 and path[-2] in _CONTAINER_LISTS))


def _same_path_claims(document: dict, target: _Target) -> Iterator[Claim]:
    at = _corresponding(document, target)
    if at is not None:
        value = _get(document, at)
        for rank in _explain_ranks(value, target):
            yield rank, 2, 0, 0, len(target.path), at, isinstance(value, (dict, list))


def _operation_claims(operations: list, target: _Target) -> Iterator[Claim]:
    """JSON6902 `add`/`replace` operations whose path is the rendered path or a parent of it."""
    for i, operation in enumerate(operations):
        if not (isinstance(operation, dict) and operation.get("op") in ("add", "replace")
                and "value" in operation and isinstance(operation.get("path"), str)):
            continue
        pointer = _pointer(operation["path"], target.rendered)
        if pointer is None or pointer != target.path[:len(pointer)]:
            continue
        below = target.path[len(pointer):]
        value = _get(operation["value"], below, _MISSING)
        if value is not _MISSING:
            for rank in _explain_ranks(value, target):
                yield (rank, 2, 0, 0, len(target.path), (i, "value") + below,
                       isinstance(value, (dict, list)))


def _explain_ranks(value: Any, target: _Target) -> list[int]:
    """The rank with which a value written at the rendered path explains it (none: [])."""
    rendered = target.value
    if target.image is not None:
        if not isinstance(value, str):
            return []
        written = _Image.split(value)
        ranks = [target.image.rank(part) for part in ("digest", "tag", "repository")
                 if getattr(written, part) and target.image.explains(part, getattr(written, part))]
        return [0] if value == target.image.text else [min(ranks)] if ranks else []
    if isinstance(value, (dict, list)):  # a part of a container or spec: no evidence
        return [0] if _explains_collection(value, rendered, 0 if _structural(target) else 2) else []
    return [0] if _same(value, rendered) else []


def _corresponding(document: dict, target: _Target) -> Path | None:
    """The path in a manifest or strategic-merge patch that lands on the rendered path: list
    items are matched by their merge key (`name`, ...) as a strategic merge does."""
    node: Any = document
    rendered: Any = target.rendered
    at: list[str | int] = []
    for part in target.path:
        if isinstance(part, str):
            if not isinstance(node, dict) or part not in node:
                return None
            node, rendered = node[part], rendered[part]
            at.append(part)
            continue
        if not isinstance(node, list):
            return None
        index = _matching_item(node, rendered, part)
        if index is None:
            return None
        node, rendered = node[index], rendered[part]
        at.append(index)
    return tuple(at)


def _matching_item(items: list, rendered: list, index: int) -> int | None:
    item = rendered[index]
    for merge_key in ("name", "containerPort", "mountPath"):
        if isinstance(item, dict) and merge_key in item:
            found = [i for i, candidate in enumerate(items) if isinstance(candidate, dict)
                     and _same(candidate.get(merge_key), item[merge_key])]
            return found[0] if len(found) == 1 else None
    return index if len(items) == len(rendered) else None


def _selects(selector: dict, rendered: dict) -> bool:
    """Whether a kustomize patch target (kind, and a name that is an anchored regex) selects."""
    if "kind" in selector and selector["kind"] != rendered.get("kind"):
        return False
    name = selector.get("name")
    if name is None:
        return True
    actual = str(_get(rendered, ("metadata", "name")) or "")
    try:
        return re.fullmatch(str(name), actual) is not None
    except re.error:
        return str(name) == actual


def _same_object(document: dict, target: _Target) -> bool:
    """Whether a strategic-merge patch names the rendered object."""
    kind, name = document.get("kind"), _get(document, ("metadata", "name"))
    return (kind in (None, target.rendered.get("kind"))
            and (name is None or _names(name, target)))


def _names(name: Any, target: _Target) -> bool:
    """Whether `name` in a manifest or kustomization names the rendered object: the same, or
    with a `prefix-` or `-suffix` that kustomize added (unless a manifest has its very name)."""
    kind, actual = target.rendered.get("kind"), _get(target.rendered, ("metadata", "name"))
    if not isinstance(name, str) or not isinstance(actual, str):
        return False
    if actual == name or (kind, actual) in target.across.manifest_names:
        return actual == name
    return name != "" and f"-{name}-" in f"-{actual}-"


def _pointer(text: str, rendered: dict) -> Path | None:
    """A JSON pointer as a path in `rendered` (`-` is the last item), or None when it is not."""
    node: Any = rendered
    path: list[str | int] = []
    for raw in text.split("/")[1:] if text.startswith("/") else ():
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            if not (part.isdigit() or part == "-") or not node:
                return None
            index = len(node) - 1 if part == "-" else int(part)
            if index >= len(node):
                return None
            path.append(index)
            node = node[index]
        elif isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        else:
            return None
    return tuple(path)


_MATCHERS = {"values": _values_claims, "kustomization": _kustomization_claims,
             "patch": _patch_claims, "manifest": _manifest_claims}


# -- comparing


class _Across(NamedTuple):
    """What tracing needs from all sources at once."""

    values: list[tuple[int, _Tree]]  # the values trees, with their precedence
    merged: Any  # the values as Helm merges them
    patch_targets: dict[str, dict]  # the target of each patch file a kustomization lists
    manifest_names: frozenset[tuple[Any, Any]]  # the kind and name of each manifest's object


@lru_cache(maxsize=128)
def _across(sources: tuple[ValueSource, ...]) -> _Across:
    values = [(index, tree) for index, source in enumerate(sources)
              for role, tree in _trees(source) if role == "values"]
    merged: Any = {}
    for _, tree in values:
        if isinstance(tree.data, dict):
            merged = _merge(merged, tree.data)
    patch_targets = {}
    for source in sources:
        for role, tree in _trees(source):
            if role != "kustomization" or not isinstance(tree.data, dict):
                continue
            for field in ("patches", "patchesJson6902"):
                for entry in _list(tree.data.get(field)):
                    if (isinstance(entry, dict) and isinstance(entry.get("path"), str)
                            and isinstance(entry.get("target"), dict)):
                        where = os.path.join(os.path.dirname(source.file), entry["path"])
                        patch_targets[os.path.normpath(where)] = entry["target"]
    names = frozenset((tree.data.get("kind"), _get(tree.data, ("metadata", "name")))
                      for source in sources for role, tree in _trees(source)
                      if role == "manifest" and isinstance(tree.data, dict))
    return _Across(values, merged, patch_targets, names)


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(merged[key], value) if key in merged else value
        return merged
    return override


def _same_context(at: Path, target: _Target) -> int:
    """1 when the nearest enclosing values mapping with two keys or more, as the values merge
    it, is part of the rendered mapping as many levels up (`podSecurityContext` for a pod's
    securityContext, not the container's `securityContext`); else 0."""
    for up in range(1, min(len(at), len(target.path))):
        around = _get(target.across.merged, at[:-up])
        if isinstance(around, dict) and len(around) >= 2:
            rendered = _get(target.rendered, target.path[:-up])
            return int(isinstance(rendered, dict) and _subset(around, rendered))
    return 0


def _overridden(tree: _Tree, at: Path, index: int, values: list[tuple[int, _Tree]]) -> bool:
    """Whether values of higher precedence replace `at` of `tree` (Helm merges maps key by key;
    lists and scalars replace)."""
    merges = isinstance(_get(tree.data, at), dict)
    for other, higher in values:
        if other <= index or not isinstance(higher.data, dict):
            continue
        node: Any = higher.data
        for part in at:
            if not isinstance(node, dict):
                return True
            if part not in node:
                break
            node = node[part]
        else:
            if not (merges and isinstance(node, dict)):
                return True
    return False


_ALIASES = {"replicas": ("replicacount", "count")}


def _affinity(key: str | None, rendered_key: str | None) -> int:
    """2: the key names the rendered field; 1: a related name (`healthPath` ~ `path`); 0: not."""
    if not key or not rendered_key:
        return 0
    a, b = key.lower(), rendered_key.lower()
    if a == b or a in _ALIASES.get(b, ()):
        return 2
    short, long = sorted((a, b), key=len)
    return 1 if len(short) >= 4 and short in long else 0


def _explains_collection(value: Any, rendered: Any, affinity: int) -> bool:
    """Equal (with two leaves or more when the key says nothing), or a non-empty part of it
    under a related key."""
    if _subset(value, rendered) and _subset(rendered, value):
        return affinity > 0 or _leaf_count(value) >= 2
    return affinity > 0 and bool(value) and _subset(value, rendered)


def _subset(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and all(
            k not in b if v is None else k in b and _subset(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return isinstance(b, list) and all(any(_subset(x, y) for y in b) for x in a)
    return _same(a, b)


def _leaf_count(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_leaf_count(v) for v in value.values())
    if isinstance(value, list):
        return sum(_leaf_count(v) for v in value)
    return 1


def _same(a: Any, b: Any) -> bool:
    """Equal as a template writes them (`3` and `"3"`, `true` and `"true"`)."""
    text = _text(a)
    return text is not None and text == _text(b)


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, (str, int, float)) else None


def _suffix(at: Path, rendered: Path) -> int:
    """How many keys the two paths share at their ends."""
    a = [p for p in at if isinstance(p, str)]
    b = [p for p in rendered if isinstance(p, str)]
    shared = 0
    while shared < min(len(a), len(b)) and a[-1 - shared] == b[-1 - shared]:
        shared += 1
    return shared


_MISSING = object()


def _get(node: Any, path: Path, default: Any = None) -> Any:
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return default
    return node


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _last_key(path: Path) -> str | None:
    return next((p for p in reversed(path) if isinstance(p, str)), None)


# -- Helm templates

_TEMPLATE_COMMENT = re.compile(r"\{\{-?\s*/\*.*?\*/\s*-?\}\}", re.S)
_KEY_LINE = re.compile(r"( *)((?:- +)*)([\"']?)([^\"':#{}\[\]]+)\3 *:(?: |$)")


def template_line(template_text: str, path: Path) -> tuple[int, int] | None:
    """The line and column (1-based) of the deepest key of `path` found in a Helm template,
    searched by indentation; keys the template does not write (an `include`, a `toYaml`) are
    skipped. None when no key is found."""
    text = _TEMPLATE_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), template_text)
    lines = text.split("\n")
    start, end, found = 0, len(lines), None
    for part in path:
        if isinstance(part, int):
            items = _template_items(lines, start, end)
            if not (part < len(items) or len(items) == 1):  # one item: written in a `range`
                return found  # which item is not known: the deepest key found
            start, end = items[min(part, len(items) - 1)]
            continue
        hit = _template_key(lines, start, end, part)
        if hit is not None:
            line, column = hit
            found = (line + 1, column + 1)
            start, end = line + 1, _block_end(lines, line + 1, end, column)
    return found


def _content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(("#", "{{"))


def _template_key(lines: list[str], start: int, end: int, key: str) -> tuple[int, int] | None:
    """(line, column) of the least indented `key:` in the lines, 0-based."""
    best = None
    for i in range(start, end):
        match = _KEY_LINE.match(lines[i])
        if match and match.group(4).strip() == key:
            column = match.start(3)
            if best is None or column < best[1]:
                best = (i, column)
    return best


def _block_end(lines: list[str], start: int, end: int, column: int) -> int:
    """Where the block of a key at `column` ends: content indented as much or less (a `-` at
    the key's own column still belongs to it: a compact sequence)."""
    for i in range(start, end):
        if _content(lines[i]):
            lead = len(lines[i]) - len(lines[i].lstrip(" "))
            if lead < column or (lead == column and not lines[i].lstrip(" ").startswith("-")):
                return i
    return end


def _template_items(lines: list[str], start: int, end: int) -> list[tuple[int, int]]:
    """The (start, end) lines of each item of the least indented sequence in the lines."""
    dashes = [(i, len(lines[i]) - len(lines[i].lstrip(" "))) for i in range(start, end)
              if _content(lines[i]) and re.match(r" *-(?: |$)", lines[i])]
    if not dashes:
        return []
    indent = min(lead for _, lead in dashes)
    starts = [i for i, lead in dashes if lead == indent]
    return list(zip(starts, starts[1:] + [end]))
