"""The linted set, indexed by kind, namespace, name and labels, for cross-resource rules.

Nothing of an object is kept but one compact record (packed.Store): the facts cross-resource
rules read (facts.py) and the positions of the paths their findings point at. The tables that
find records by kind, name, label or HPA target are arrays of record numbers, filled as records
are added (by the worker that lints them; the parent merges them with the records) and sorted on
the first question after the last insertion (with kustomizations, built again then, placed);
rules get each resource as a `Resource` read back from its record, one at a time. A lint keeps
about 200 bytes a resource in all (tests/test_index_memory.py).
"""

from __future__ import annotations

import os
from array import array
from collections import defaultdict
from operator import itemgetter
from types import MappingProxyType
from typing import Any, Callable, Iterable, Iterator

from gitops_gen.lint.facts import (BINDING_KINDS, KUSTOMIZE_GROUP, KUSTOMIZE_KINDS, anchors,
                                   extract_facts, labels_of)
from gitops_gen.lint.k8s import (CLUSTER_SCOPED_KINDS, PODLESS_CUSTOM_KINDS, POD_SPEC_PATHS,
                                 WORKLOAD_KINDS, is_custom_resource, label_selector_matches,
                                 map_selector_matches, mapping)
from gitops_gen.lint.model import Path, Resource, ResourceId
from gitops_gen.lint.packed import (ANCHORS, API_VERSION, BASE, BODY, DOCUMENT, FACT_NAMES,
                                    FACT_VALUES, FILE, IGNORES, KIND, NAME, NAME_ONLY_REST,
                                    NAMESPACE, PLACEMENT, PLACES, Facts, Lookup, Positions, Record,
                                    Store, name_only)

_EMPTY: Any = MappingProxyType({})
"""The body, labels or ignores an indexed resource does not keep: one shared, read-only."""


class IndexedResource(tuple):
    """A resource read back from the index: its record and its number, with the attributes of
    a `Resource` (no labels, and a body only when rendered). Reading it again gives an equal
    object; the copies of an object that kustomizations put in several namespaces differ in
    their number."""

    __slots__ = ()

    api_version = property(itemgetter(API_VERSION))
    kind = property(itemgetter(KIND))
    namespace = property(itemgetter(NAMESPACE))
    file = property(itemgetter(FILE))
    name = property(itemgetter(NAME))
    document = property(itemgetter(DOCUMENT))
    base = property(itemgetter(BASE))
    placement = property(itemgetter(PLACEMENT))
    number = property(itemgetter(BODY + 1))

    @property
    def id(self) -> ResourceId:
        return ResourceId(self[API_VERSION], self[KIND], self[NAMESPACE], self[NAME])

    @property
    def facts(self) -> Facts:
        return Facts(self[FACT_NAMES], self[FACT_VALUES])

    @property
    def positions(self) -> Positions:
        return Positions((self[ANCHORS], self[PLACES]))

    @property
    def ignores(self) -> dict[str, str]:
        return self[IGNORES] or _EMPTY

    @property
    def body(self) -> dict[str, Any]:
        return self[BODY] or _EMPTY

    labels = _EMPTY


class ResourceIndex:
    """The resources of one cluster (or of the plain files), for cross-resource rules: `add`
    them (or `extend` with another index's `packed()`), then ask."""

    def __init__(self) -> None:
        self._store = Store()
        self._kustomizations: list[int] = []
        """The records of the linted kustomization files (not rendered)."""
        self._settled = False
        self._start_tables()

    # -- filling

    def add(self, resource: Resource, locate: Callable[[Path, bool], tuple[int, int]]) -> None:
        """Record `resource` with the facts cross-resource rules read, and the positions of the
        paths their findings point at, looked up now while the file's nodes are at hand (its
        findings need no second read of the file)."""
        rid, placement = resource.id, resource.placement
        kind = rid.kind
        facts = extract_facts(resource.body, kind)
        if not facts and name_only(facts, placement, rid.api_version):
            record: Record = (rid.api_version, kind, rid.namespace, None, None, None, rid.name,
                              *NAME_ONLY_REST)
        else:
            kept = anchors(kind, facts)
            places = array("I", [number for path, key in kept
                                 for number in locate(resource.base + path, key)]).tobytes()
            body = (resource.body if placement is not None
                    and kind != "CustomResourceDefinition"
                    else None)  # a rendered object keeps it: its findings are traced in it
            record = (rid.api_version, kind, rid.namespace, tuple(facts), kept,
                      resource.file, rid.name, resource.document, resource.base,
                      tuple(facts.values()), places, resource.ignores or None, placement,
                      body or None)
        number = self._store.add(record)
        self._add_to_tables(number, record)
        if (rid.kind in KUSTOMIZE_KINDS and placement is None and record[FACT_NAMES] is not None
                and rid.api_version.startswith(KUSTOMIZE_GROUP)):
            self._kustomizations.append(number)
        self._settled = False

    def packed(self) -> tuple:
        """Every record, and the tables (unless kustomizations place the records), as plain
        data to send to another process (`extend` takes it). The tables hold the keys' hashes:
        only a process with the same string hash seed (related by fork) may take them."""
        tables = None if self._kustomizations else (
            self._by_kind, [lookup.packed() for lookup in self._lookups()],
            self._bound_accounts, self._bound_names, self._operator_namespaces)
        return self._store.packed(), self._kustomizations, tables

    def extend(self, packed: tuple) -> None:
        """Add the records of another index's `packed()`, and their tables."""
        store, kustomizations, tables = packed
        first = self._store.extend(store)
        self._kustomizations.extend(first + number for number in kustomizations)
        self._settled = False
        if tables is None or self._kustomizations:  # tabled as placed when settled
            return
        by_kind, lookups, bound_accounts, bound_names, operator_namespaces = tables
        for kind, numbers in by_kind.items():
            self._by_kind.setdefault(kind, array("I")).extend(map(first.__add__, numbers))
        for lookup, entries in zip(self._lookups(), lookups):
            lookup.extend(entries, first)
        self._bound_accounts |= bound_accounts
        self._bound_names |= bound_names
        self._operator_namespaces |= operator_namespaces

    # -- questions

    def of_kind(self, *kinds: str) -> Iterator[Resource]:
        if not self._settled:
            self.settle()
        for kind in kinds:
            yield from self._read_all(self._by_kind.get(kind, ()))

    def count(self, kinds: Iterable[str] | None) -> int:
        """How many resources of `kinds` (None: any kind) the index holds, tabled ones."""
        if not self._settled:
            self.settle()
        if kinds is None:
            return sum(map(len, self._by_kind.values()))
        return sum(len(self._by_kind.get(kind, ())) for kind in kinds)

    def workloads(self) -> Iterator[Resource]:
        return self.of_kind(*POD_SPEC_PATHS)

    def get(self, kind: str, namespace: str | None, name: str | None) -> Resource | None:
        if not self._settled:
            self.settle()
        key = (kind, namespace, name)
        for lookup in (self._names, self._bare_names):
            for number in lookup.get(key):
                found = self._read(number)
                if (found.kind, found.namespace, found.name) == key:
                    return found
        return None

    def hpas_for(self, workload: Resource) -> list[Resource]:
        """The HorizontalPodAutoscalers whose scaleTargetRef names `workload`."""
        if not self._settled:
            self.settle()
        key = (workload.namespace, workload.kind, workload.name)
        if hash(key) not in self._hpa_target_hashes:  # most workloads
            return []
        return [hpa for hpa in self._read_all(self._hpa_targets.get(key))
                if (hpa.namespace, hpa.facts["target"]["kind"], hpa.facts["target"]["name"])
                == key]

    def has_workloads(self, namespace: str | None) -> bool:
        if not self._settled:
            self.settle()
        return any(self._namespace(number) == namespace
                   for number in self._workloads_by_namespace.get(namespace))

    def has_operator_resource(self, namespace: str | None) -> bool:
        """Whether `namespace` holds a custom resource (not a known pod-less one): its
        operator may create pods the linted set does not show."""
        if not self._settled:
            self.settle()
        return namespace in self._operator_namespaces

    def is_bound(self, namespace: str | None, account: str) -> bool:
        """Whether a RoleBinding or ClusterRoleBinding of the set names this service account.

        An unknown namespace (unset in the manifest, given at apply time) matches any.
        """
        if not self._settled:
            self.settle()
        bound = self._bound_accounts
        if (None, None) in bound or (namespace, None) in bound or (None, account) in bound:
            return True
        if namespace is None:
            return account in self._bound_names
        return (namespace, account) in bound

    def selected_by_map(self, namespace: str | None, selector: dict) -> list[Resource]:
        """Workloads in `namespace` whose pod labels a Service-style map selector selects."""
        if not self._settled:
            self.settle()
        if not selector:
            return []
        return [w for w in self._labelled(namespace, next(iter(selector.items())))
                if map_selector_matches(selector, w.facts["template_labels"])]

    def selected_by_label_selector(self, namespace: str | None, selector: Any) -> list[Resource]:
        """Workloads in `namespace` whose pod labels a LabelSelector (PDB-style) selects."""
        if not self._settled:
            self.settle()
        match_labels = labels_of(mapping(selector).get("matchLabels"))
        if match_labels:
            candidates = self._labelled(namespace, next(iter(match_labels.items())))
        else:
            candidates = [w for w in self._read_all(self._workloads_by_namespace.get(namespace))
                          if w.namespace == namespace]
        return [w for w in candidates
                if label_selector_matches(selector, w.facts["template_labels"])]

    # -- reading records

    def _record(self, number: int) -> Record:
        try:
            return self._store[number]
        except IndexError:  # a copy a kustomization places (see _table_placed)
            return self._copies[number - len(self._store)]

    def _namespace(self, number: int) -> str | None:
        return self._record(number)[NAMESPACE]

    def _read(self, number: int) -> Resource:
        record = self._record(number)
        if record[FACT_NAMES] is None:  # name only: `get` finds it, no rule reads more
            return Resource(ResourceId(record[API_VERSION], record[KIND], record[NAMESPACE],
                                       record[NAME]), "", 0, (), {})
        return IndexedResource(record + (number,))

    def _read_all(self, numbers: Iterable[int]) -> Iterator[Resource]:
        """The resources numbered `numbers` (tabled, so not name only), read in turn."""
        if len(self._copies):  # placed by kustomizations: the copies are numbered past the store
            return map(self._read, numbers)
        return map(IndexedResource, self._store.records(numbers))

    def _labelled(self, namespace: str | None, label: tuple[str, str]) -> list[Resource]:
        """The workloads in `namespace` with the pod label (key, value) `label`."""
        key, value = label
        return [w for w in self._read_all(self._workloads_by_label.get((namespace, key, value)))
                if w.namespace == namespace and w.facts["template_labels"].get(key) == value]

    # -- the tables

    def settle(self) -> None:
        """Complete the tables before a question: sort the lookups, or with kustomizations
        table all the records again, placed as `kustomize build` would (see `_table_placed`).
        Without kustomizations, each record is tabled as it comes (`add`, `extend`)."""
        if self._settled:
            return
        self._settled = True
        if self._kustomizations:
            self._start_tables()
            self._table_placed()
        for lookup in self._lookups():
            lookup.sort()
        self._hpa_target_hashes = self._hpa_targets.hashes()

    def _lookups(self) -> tuple[Lookup, ...]:
        return (self._names, self._bare_names, self._hpa_targets, self._workloads_by_namespace,
                self._workloads_by_label)

    def _table_placed(self) -> None:
        """Table every record, the objects that kustomizations include in the `namespace:` of
        the outermost kustomization that sets one, with the `replicas:` counts it sets (an
        outer one wins over its bases').

        A file included by overlays of several namespaces is in each of them (one copy per
        namespace; where the overlays set different replica counts, the smallest). Objects
        that only an unused Component includes are left out: no build deploys them.
        """
        kustomizations = {}
        for number in self._kustomizations:
            record = self._store[number]
            kustomizations[os.path.dirname(os.path.abspath(record[FILE]))] = dict(
                zip(record[FACT_NAMES], record[FACT_VALUES]))
        placed, unbuilt = _kustomized_contexts(kustomizations)
        store = self._store
        for number in range(len(store)):
            record = store[number]
            if record[FACT_NAMES] is None:
                self._add_to_tables(number, record)
                continue
            contexts = None
            if record[PLACEMENT] is None:
                file = os.path.abspath(record[FILE])
                contexts = placed.get(file)
                if contexts is None and file in unbuilt:
                    continue
            if contexts is None:
                self._add_to_tables(number, record)
                continue
            for namespace, replicas in _by_namespace(contexts, record[NAME]).items():
                copy = _placed(record, namespace, replicas)
                if copy is record:
                    self._add_to_tables(number, record)
                else:
                    self._add_to_tables(len(store) + self._copies.add(copy), copy)

    def _start_tables(self) -> None:
        self._copies = Store()
        """The objects that kustomizations place in another namespace or scale, as placed:
        numbered after the records of `_store`."""
        self._by_kind: dict[str, array] = {}
        self._names, self._bare_names, self._hpa_targets = Lookup(), Lookup(), Lookup()
        """(kind, namespace, name) of the records with facts, of the others (`get` finds those
        after), and (namespace, kind, name) of the HorizontalPodAutoscalers' targets."""
        self._hpa_target_hashes: frozenset[int] = frozenset()
        """The hashes of those targets, to tell at once the workloads no HPA scales."""
        self._workloads_by_namespace, self._workloads_by_label = Lookup(), Lookup()
        """Workloads by namespace, and by (namespace, pod label, value)."""
        self._bound_accounts: set[tuple[str | None, str | None]] = set()
        """(namespace, service account) pairs some binding grants a role; None is any."""
        self._bound_names: set[str | None] = set()
        self._operator_namespaces: set[str | None] = set()
        """Namespaces with a custom resource whose operator may create pods."""

    def _add_to_tables(self, number: int, record: Record) -> None:
        kind, namespace, name = record[KIND], record[NAMESPACE], record[NAME]
        if record[FACT_NAMES] is None:  # name only: found by `get` after the others
            self._bare_names.add((kind, namespace, name), number)
            return
        numbers = self._by_kind.get(kind)
        if numbers is None:
            numbers = self._by_kind[kind] = array("I")
        numbers.append(number)
        self._names.add((kind, namespace, name), number)
        if kind in WORKLOAD_KINDS:
            self._workloads_by_namespace.add(namespace, number)
            labels = _fact(record, "template_labels")
            if labels:
                self._workloads_by_label.add_all([(namespace, *label) for label in labels.items()],
                                                 number)
        elif kind in BINDING_KINDS:
            subjects = _fact(record, "subjects")
            self._bound_accounts.update(subjects)
            self._bound_names.update(account for _, account in subjects)
        elif kind not in PODLESS_CUSTOM_KINDS and is_custom_resource(record[API_VERSION]):
            self._operator_namespaces.add(namespace)
        if kind == "HorizontalPodAutoscaler":
            target = _fact(record, "target")
            if target:
                self._hpa_targets.add((namespace, target["kind"], target["name"]), number)


def _fact(record: Record, name: str) -> Any:
    return record[FACT_VALUES][record[FACT_NAMES].index(name)]



_Context = tuple[str | None, frozenset]
"""Where a kustomization puts a file's objects: (namespace or None, {workload name: replicas})."""


def _kustomized_contexts(kustomizations: dict[str, dict]) -> tuple[dict[str, set[_Context]],
                                                                   set[str]]:
    """{file: its contexts in every build of a root Kustomization}, and the files that only
    unused Components include."""
    included = {os.path.normpath(os.path.join(folder, entry))
                for folder, facts in kustomizations.items() for entry in facts["includes"]}
    placed: dict[str, set[_Context]] = defaultdict(set)
    unbuilt: set[str] = set()

    def visit(folder: str, namespace: str | None, replicas: dict, seen: frozenset[str],
              built: bool) -> None:
        facts = kustomizations[folder]
        namespace = namespace or facts["namespace"]
        replicas = {**facts["replicas"], **replicas}
        for entry in facts["includes"]:
            target = os.path.normpath(os.path.join(folder, entry))
            if target in kustomizations:
                if target not in seen:
                    visit(target, namespace, replicas, seen | {target}, built)
            elif built:
                placed[target].add((namespace, frozenset(replicas.items())))
            else:
                unbuilt.add(target)

    for folder, facts in kustomizations.items():
        if folder not in included:
            visit(folder, None, {}, frozenset({folder}), facts["kind"] != "Component")
    return placed, unbuilt


def _by_namespace(contexts: set[_Context], name: str | None) -> dict[str | None, Any]:
    """{namespace: the replica count set for `name` there (the smallest), or None}."""
    counts: dict[str | None, list] = defaultdict(list)
    for namespace, replicas in contexts:
        counts[namespace].append(dict(replicas).get(name))
    return {namespace: None if None in found else min(found)
            for namespace, found in counts.items()}


def _placed(record: Record, namespace: str | None, replicas: Any) -> Record:
    """`record` in `namespace` (None: its own) with `replicas` (None: its own)."""
    kind = record[KIND]
    if kind in CLUSTER_SCOPED_KINDS:
        namespace = None
    moved = namespace is not None and namespace != record[NAMESPACE]
    scaled = replicas is not None and kind in WORKLOAD_KINDS
    if not (moved or scaled):
        return record
    values = record[FACT_VALUES]
    if scaled:
        values = tuple(replicas if fact == "replicas" else value
                       for fact, value in zip(record[FACT_NAMES], values))
    return (record[:NAMESPACE] + (namespace if moved else record[NAMESPACE],)
            + record[NAMESPACE + 1:FACT_VALUES] + (values,) + record[FACT_VALUES + 1:])
