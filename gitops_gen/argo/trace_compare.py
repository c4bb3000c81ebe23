"""What tracing compares: the rendered value (`Target`), the values of all sources at once
(`Across`), and how well a written value explains the rendered one."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any, NamedTuple

from gitops_gen.argo.helm import merge_values
from gitops_gen.argo.trace_trees import Tree, ValueSource, get, source_trees
from gitops_gen.lint.k8s import sequence
from gitops_gen.lint.model import Path


class Image(NamedTuple):
    """A container image `repository:tag@digest`, split."""

    text: str
    repository: str
    tag: str
    digest: str

    @classmethod
    def split(cls, text: str) -> Image:
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


class Target(NamedTuple):
    """The rendered value a finding is on, and what every matcher compares with it."""

    rendered: dict
    path: Path  # the deepest existing part of the finding's path
    value: Any
    key: str | None  # the last mapping key on `path`
    image: Image | None
    across: Across


def find_target(rendered: dict, path: Path, across: Across) -> Target:
    """The value at `path` of `rendered`, or at its deepest existing parent."""
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
    image = (Image.split(node) if existing and existing[-1] == "image" and isinstance(node, str)
             else None)
    return Target(rendered, existing, node, key, image, across)


class Across(NamedTuple):
    """What tracing needs from all sources at once."""

    values: list[tuple[int, Tree]]  # the values trees, with their precedence
    merged: Any  # the values as Helm merges them
    patch_targets: dict[str, dict]  # the target of each patch file a kustomization lists
    manifest_names: frozenset[tuple[Any, Any]]  # the kind and name of each manifest's object


@lru_cache(maxsize=128)
def across_sources(sources: tuple[ValueSource, ...]) -> Across:
    values = [(index, tree) for index, source in enumerate(sources)
              for role, tree in source_trees(source) if role == "values"]
    merged: Any = {}
    for _, tree in values:
        if isinstance(tree.data, dict):
            merged = merge_values(merged, tree.data)
    patch_targets = {}
    for source in sources:
        for role, tree in source_trees(source):
            if role != "kustomization" or not isinstance(tree.data, dict):
                continue
            for field in ("patches", "patchesJson6902"):
                for entry in sequence(tree.data.get(field)):
                    if (isinstance(entry, dict) and isinstance(entry.get("path"), str)
                            and isinstance(entry.get("target"), dict)):
                        where = os.path.join(os.path.dirname(source.file), entry["path"])
                        patch_targets[os.path.normpath(where)] = entry["target"]
    names = frozenset((tree.data.get("kind"), get(tree.data, ("metadata", "name")))
                      for source in sources for role, tree in source_trees(source)
                      if role == "manifest" and isinstance(tree.data, dict))
    return Across(values, merged, patch_targets, names)


def same_context(at: Path, target: Target) -> int:
    """1 when the nearest enclosing values mapping with two keys or more, as the values merge
    it, is part of the rendered mapping as many levels up (`podSecurityContext` for a pod's
    securityContext, not the container's `securityContext`); else 0."""
    for up in range(1, min(len(at), len(target.path))):
        around = get(target.across.merged, at[:-up])
        if isinstance(around, dict) and len(around) >= 2:
            rendered = get(target.rendered, target.path[:-up])
            return int(isinstance(rendered, dict) and subset(around, rendered))
    return 0


def overridden(tree: Tree, at: Path, index: int, values: list[tuple[int, Tree]]) -> bool:
    """Whether values of higher precedence replace `at` of `tree` (Helm merges maps key by key;
    lists and scalars replace)."""
    merges = isinstance(get(tree.data, at), dict)
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


def key_affinity(key: str | None, rendered_key: str | None) -> int:
    """2: the key names the rendered field; 1: a related name (`healthPath` ~ `path`); 0: not."""
    if not key or not rendered_key:
        return 0
    a, b = key.lower(), rendered_key.lower()
    if a == b or a in _ALIASES.get(b, ()):
        return 2
    short, long = sorted((a, b), key=len)
    return 1 if len(short) >= 4 and short in long else 0


def explains_collection(value: Any, rendered: Any, affinity: int) -> bool:
    """Equal (with two leaves or more when the key says nothing), or a non-empty part of it
    under a related key."""
    if subset(value, rendered) and subset(rendered, value):
        return affinity > 0 or _leaf_count(value) >= 2
    return affinity > 0 and bool(value) and subset(value, rendered)


def subset(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and all(
            k not in b if v is None else k in b and subset(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return isinstance(b, list) and all(any(subset(x, y) for y in b) for x in a)
    return same_text(a, b)


def _leaf_count(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_leaf_count(v) for v in value.values())
    if isinstance(value, list):
        return sum(_leaf_count(v) for v in value)
    return 1


def same_text(a: Any, b: Any) -> bool:
    """Equal as a template writes them (`3` and `"3"`, `true` and `"true"`)."""
    text = scalar_text(a)
    return text is not None and text == scalar_text(b)


def scalar_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, (str, int, float)) else None


def shared_suffix(at: Path, rendered: Path) -> int:
    """How many keys the two paths share at their ends."""
    a = [p for p in at if isinstance(p, str)]
    b = [p for p in rendered if isinstance(p, str)]
    shared = 0
    while shared < min(len(a), len(b)) and a[-1 - shared] == b[-1 - shared]:
        shared += 1
    return shared


def _last_key(path: Path) -> str | None:
    return next((p for p in reversed(path) if isinstance(p, str)), None)

