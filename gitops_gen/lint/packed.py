"""Indexed resources as plain data, to send from a worker process to the parent, and the
compact forms the parent keeps them in (facts and positions as tuples, no body or labels).

A resource no cross-resource rule reads a fact of (a built-in object such as a ConfigMap)
travels and stays as its (apiVersion, kind, namespace, name) alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Iterator

from gitops_gen.lint.k8s import is_custom_resource
from gitops_gen.lint.model import Path, Resource, ResourceId


def name_only(resource: Resource) -> bool:
    """Whether cross-resource rules need no more of `resource` than its kind, namespace and name
    (a plain file's built-in object without facts, e.g. a ConfigMap)."""
    return (not resource.facts and resource.placement is None
            and not is_custom_resource(resource.id.api_version))


def pack(resource: Resource) -> tuple:
    """An indexed resource as plain data, cheap to send from a worker process (no body unless
    rendered, no labels: cross-resource rules read facts)."""
    rid = resource.id
    if name_only(resource):
        return (rid.api_version, rid.kind, rid.namespace, rid.name)
    positions = resource.positions
    return (rid.api_version, rid.kind, rid.namespace, rid.name, resource.file, resource.document,
            resource.base, (tuple(resource.facts), tuple(resource.facts.values())),
            (positions.anchors, positions.places),
            resource.ignores or None, resource.placement, resource.body or None)


def unpack(packed: tuple) -> Resource:
    """The Resource `pack` made `packed` from."""
    if len(packed) == 4:
        return Resource(ResourceId(*packed), "", 0, (), {})
    (api_version, kind, namespace, name, file, document, base, facts, positions, ignores,
     placement, body) = packed
    return Resource(ResourceId(api_version, kind, namespace, name), file, document, base,
                    body or _EMPTY, _EMPTY, ignores or _EMPTY,
                    Facts(_shared(facts[0]), facts[1]),
                    Positions(_shared(positions[0]), positions[1]), placement)


_SHARED: dict[tuple, tuple] = {}


def _shared(names: tuple) -> tuple:
    """One copy of a tuple of fact names or anchors, however many objects have it."""
    return _SHARED.setdefault(names, names)


_EMPTY: Any = MappingProxyType({})
"""The body, labels or ignores an indexed resource does not keep: one shared, read-only."""


class Facts(Mapping):
    """A resource's facts, read-only and compact: the names (one tuple shared by the objects
    of a kind) and the values."""

    __slots__ = ("names", "values_")

    def __init__(self, names: tuple[str, ...], values: tuple) -> None:
        self.names, self.values_ = names, values

    def __getitem__(self, name: str) -> Any:
        try:
            return self.values_[self.names.index(name)]
        except ValueError:
            raise KeyError(name) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


class Positions:
    """Where a resource's anchors (the (path, key) pairs cross-resource rules point at) are:
    `get((path, key))` gives (line, column). Compact: the anchors are shared by the objects of
    a kind, the lines and columns are one flat tuple."""

    __slots__ = ("anchors", "places")

    def __init__(self, anchors: tuple[tuple[Path, bool], ...], places: tuple[int, ...]) -> None:
        self.anchors, self.places = anchors, places

    def get(self, anchor: tuple[Path, bool], default: Any = None) -> tuple[int, int] | None:
        if anchor not in self.anchors:
            return default
        at = 2 * self.anchors.index(anchor)
        return self.places[at], self.places[at + 1]

    def __contains__(self, anchor: object) -> bool:
        return anchor in self.anchors
