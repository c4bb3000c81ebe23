"""The matchers of tracing: the claims each kind of tree makes to have set a rendered value.

A claim is (rank, affinity, context, stage, suffix, path in the tree, point at the key):
`trace` keeps the claims that order highest.
"""

from __future__ import annotations

import os
import re
from typing import Any, Iterator

from gitops_gen.argo.trace_compare import (Image, Target, explains_collection, key_affinity,
                                           same_context, same_text, scalar_text, shared_suffix)
from gitops_gen.argo.trace_trees import Tree, get
from gitops_gen.lint.k8s import sequence
from gitops_gen.lint.model import Path

Claim = tuple[int, int, int, int, int, Path, bool]

_MISSING = object()


def _values_claims(tree: Tree, target: Target) -> Iterator[Claim]:
    """Helm values: leaves equal to the rendered scalar, or to a part of the rendered image;
    mappings equal to the rendered one, or a subset under a related key."""
    rendered = target.value
    leaves, collections = tree.nodes()
    if target.image is not None:
        for at, _, value in leaves:
            yield from _image_leaf(at, value, target)
    elif isinstance(rendered, (dict, list)):
        for at, key, value in collections:
            affinity = key_affinity(key, target.key)
            if explains_collection(value, rendered, affinity):
                context = same_context(at, target)
                yield 0, affinity, context, 0, shared_suffix(at, target.path), at, True
    else:
        wanted = scalar_text(rendered)
        for at, key, value in leaves if wanted is not None else ():
            if scalar_text(value) == wanted:
                affinity = key_affinity(key, target.key)
                if affinity or (isinstance(value, str) and len(value) >= 8):
                    context = same_context(at, target)
                    yield 0, affinity, context, 0, shared_suffix(at, target.path), at, False


def _image_leaf(at: Path, value: Any, target: Target) -> Iterator[Claim]:
    image, text = target.image, scalar_text(value)
    assert image is not None
    if not text:
        return
    if text == image.text:
        yield 0, 2, 0, 0, shared_suffix(at, target.path), at, False
        return
    part = _image_part(at)
    if part and image.explains(part, text):
        yield image.rank(part), 2, 0, 0, shared_suffix(at[:-1], target.path), at, False


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


def _kustomization_claims(tree: Tree, target: Target) -> Iterator[Claim]:
    """An overlay's (or an Application's `kustomize:`) `images` and `replicas` entries; they
    apply after its patches."""
    data = tree.data if isinstance(tree.data, dict) else {}
    image = target.image
    for i, entry in enumerate(sequence(data.get("images")) if image else ()):
        if isinstance(entry, str):  # Argo CD's `kustomize.images`: [old=]new[:tag][@digest]
            for rank in _explain_ranks(entry.rpartition("=")[2], target):
                yield rank, 2, 0, 1, len(target.path), ("images", i), False
        if not isinstance(entry, dict):
            continue
        if (scalar_text(entry.get("newName")) or scalar_text(entry.get("name"))) != image.repository:
            continue
        for field, part in (("newTag", "tag"), ("digest", "digest"), ("newName", "repository")):
            if field in entry and image.explains(part, scalar_text(entry[field]) or ""):
                yield image.rank(part), 2, 0, 1, len(target.path), ("images", i, field), False
    if target.path == ("spec", "replicas"):
        for i, entry in enumerate(sequence(data.get("replicas"))):
            if (isinstance(entry, dict) and same_text(entry.get("count"), target.value)
                    and _names(entry.get("name"), target)):
                yield 0, 2, 0, 1, len(target.path), ("replicas", i, "count"), False
    if target.path == ("metadata", "namespace") and same_text(data.get("namespace"), target.value):
        yield 0, 2, 0, 1, len(target.path), ("namespace",), False


def _patch_claims(tree: Tree, target: Target) -> Iterator[Claim]:
    """A strategic-merge patch, or JSON6902 operations, that set the rendered value."""
    selector = tree.selector or target.across.patch_targets.get(os.path.normpath(tree.file))
    if selector is not None and not _selects(selector, target.rendered):
        return
    if isinstance(tree.data, list):
        yield from _operation_claims(tree.data, target)
    elif isinstance(tree.data, dict) and (selector is not None or _same_object(tree.data, target)):
        yield from _same_path_claims(tree.data, target)


def _manifest_claims(tree: Tree, target: Target) -> Iterator[Claim]:
    """The base manifest the object was built from. Where it defines the rendered container
    or spec, that is where a field missing from them belongs, whatever else changed them."""
    document = tree.data
    if not (isinstance(document, dict) and document.get("kind") == target.rendered.get("kind")
            and _names(get(document, ("metadata", "name")), target)):
        return
    claims = list(_same_path_claims(document, target))
    at = _corresponding(document, target) if not claims and _structural(target) else None
    if at is not None:
        claims.append((0, 0, 0, 0, len(target.path), at, True))
    yield from claims


_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def _structural(target: Target) -> bool:
    """Whether the rendered value is a container or a spec: what patches and images change
    in parts, so that only the manifest defines it."""
    path = target.path
    return isinstance(target.value, dict) and bool(path) and (path[-1] == "spec" or (
        isinstance(path[-1], int) and len(path) >= 2 and path[-2] in _CONTAINER_LISTS))


def _same_path_claims(document: dict, target: Target) -> Iterator[Claim]:
    at = _corresponding(document, target)
    if at is not None:
        value = get(document, at)
        for rank in _explain_ranks(value, target):
            yield rank, 2, 0, 0, len(target.path), at, isinstance(value, (dict, list))


def _operation_claims(operations: list, target: Target) -> Iterator[Claim]:
    """JSON6902 `add`/`replace` operations whose path is the rendered path or a parent of it."""
    for i, operation in enumerate(operations):
        if not (isinstance(operation, dict) and operation.get("op") in ("add", "replace")
                and "value" in operation and isinstance(operation.get("path"), str)):
            continue
        pointer = _pointer(operation["path"], target.rendered)
        if pointer is None or pointer != target.path[:len(pointer)]:
            continue
        below = target.path[len(pointer):]
        value = get(operation["value"], below, _MISSING)
        if value is not _MISSING:
            for rank in _explain_ranks(value, target):
                yield (rank, 2, 0, 0, len(target.path), (i, "value") + below,
                       isinstance(value, (dict, list)))


def _explain_ranks(value: Any, target: Target) -> list[int]:
    """The rank with which a value written at the rendered path explains it (none: [])."""
    rendered = target.value
    if target.image is not None:
        if not isinstance(value, str):
            return []
        written = Image.split(value)
        ranks = [target.image.rank(part) for part in ("digest", "tag", "repository")
                 if getattr(written, part) and target.image.explains(part, getattr(written, part))]
        return [0] if value == target.image.text else [min(ranks)] if ranks else []
    if isinstance(value, (dict, list)):  # a part of a container or spec: no evidence
        return [0] if explains_collection(value, rendered, 0 if _structural(target) else 2) else []
    return [0] if same_text(value, rendered) else []


def _corresponding(document: dict, target: Target) -> Path | None:
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
                     and same_text(candidate.get(merge_key), item[merge_key])]
            return found[0] if len(found) == 1 else None
    return index if len(items) == len(rendered) else None


def _selects(selector: dict, rendered: dict) -> bool:
    """Whether a kustomize patch target (kind, and a name that is an anchored regex) selects."""
    if "kind" in selector and selector["kind"] != rendered.get("kind"):
        return False
    name = selector.get("name")
    if name is None:
        return True
    actual = str(get(rendered, ("metadata", "name")) or "")
    try:
        return re.fullmatch(str(name), actual) is not None
    except re.error:
        return str(name) == actual


def _same_object(document: dict, target: Target) -> bool:
    """Whether a strategic-merge patch names the rendered object."""
    kind, name = document.get("kind"), get(document, ("metadata", "name"))
    return (kind in (None, target.rendered.get("kind"))
            and (name is None or _names(name, target)))


def _names(name: Any, target: Target) -> bool:
    """Whether `name` in a manifest or kustomization names the rendered object: the same, or
    with a `prefix-` or `-suffix` that kustomize added (unless a manifest has its very name)."""
    kind, actual = target.rendered.get("kind"), get(target.rendered, ("metadata", "name"))
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


MATCHERS = {"values": _values_claims, "kustomization": _kustomization_claims,
            "patch": _patch_claims, "manifest": _manifest_claims}
"""The matcher of each role of tree (`trace_trees.source_trees`)."""
