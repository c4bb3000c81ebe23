"""The linted set, indexed once by kind, namespace, name and labels, for cross-resource rules.

Only a few facts per resource are kept (labels, selectors, replicas, targets), not whole objects,
so memory stays small however large the set.
"""

from __future__ import annotations

import dataclasses
import os
from collections import defaultdict
from typing import Any, Callable, Iterator

from gitops_gen.lint.k8s import (CLUSTER_SCOPED_KINDS, PODLESS_CUSTOM_KINDS, POD_SPEC_PATHS,
                                 WORKLOAD_KINDS, get, is_custom_resource, label_selector_matches,
                                 map_selector_matches, mapping, pod_template_metadata, sequence)
from gitops_gen.lint.model import Path, Resource, ResourceId
from gitops_gen.lint.packed import Positions, name_only, pack


class ResourceIndex:
    def __init__(self) -> None:
        self.resources: list[Resource] = []
        self._by_kind: dict[str, list[Resource]] = defaultdict(list)
        self._by_name: dict[tuple[str, str | None, str | None], Resource] = {}
        self._hpa_targets: dict[tuple[str | None, str, str], list[Resource]] = defaultdict(list)
        self._workloads_by_namespace: dict[str | None, list[Resource]] = defaultdict(list)
        self._workloads_by_label: dict[tuple[str | None, str, str], list[Resource]] = (
            defaultdict(list))
        self._bound_accounts: set[tuple[str | None, str | None]] = set()
        """(namespace, service account) pairs some binding grants a role; None is any."""
        self._bound_names: set[str | None] = set()
        self._operator_namespaces: set[str | None] = set()
        """Namespaces with a custom resource whose operator may create pods."""
        self._kustomizations: dict[str, dict] = {}
        """The facts of each linted kustomization file (not rendered), by its folder."""
        self._names: dict[tuple[str, str | None, str | None], str] = {}
        """{(kind, namespace, name): apiVersion} of the built-in objects no rule reads a fact
        of (ConfigMaps, Secrets, ...): `get` still finds them, nothing else is kept."""
        self._settled = True

    def add(self, resource: Resource, locate: Callable[[Path, bool], tuple[int, int]]) -> None:
        """Record `resource` with the facts cross-resource rules need, then drop its body.

        The positions of the paths cross-resource rules point at are looked up now, while the
        file's nodes are at hand, so their findings need no second read of the file.
        """
        resource.facts = extract_facts(resource.body, resource.kind)
        anchors = _anchors(resource)
        resource.positions = Positions(anchors, tuple(
            number for path, key in anchors for number in locate(resource.base + path, key)))
        if resource.placement is None or resource.kind == "CustomResourceDefinition":
            resource.body = {}  # a rendered object keeps it: its findings are traced in it
        self.insert(resource)

    def insert(self, resource: Resource) -> None:
        """Record a resource whose facts and positions are known (e.g. from a worker process)."""
        if name_only(resource):
            self._names.setdefault((resource.kind, resource.namespace, resource.name),
                                   resource.id.api_version)
            return
        if (resource.kind in KUSTOMIZE_KINDS and resource.placement is None
                and resource.id.api_version.startswith(KUSTOMIZE_GROUP)):
            self._kustomizations[os.path.dirname(os.path.abspath(resource.file))] = resource.facts
        if self._kustomizations:
            self._settled = False
        self.resources.append(resource)
        self._add_to_maps(resource)

    def packed(self) -> list[tuple]:
        """Every resource recorded, as `pack` gives it (to send to another process)."""
        return ([pack(r) for r in self.resources]
                + [(api_version, *key) for key, api_version in self._names.items()])

    def _add_to_maps(self, resource: Resource) -> None:
        self._by_kind[resource.kind].append(resource)
        self._by_name.setdefault((resource.kind, resource.namespace, resource.name), resource)
        if resource.kind in WORKLOAD_KINDS:
            self._workloads_by_namespace[resource.namespace].append(resource)
            for label in resource.facts["template_labels"].items():
                self._workloads_by_label[(resource.namespace,) + label].append(resource)
        elif resource.kind in BINDING_KINDS:
            self._bound_accounts.update(resource.facts["subjects"])
            self._bound_names.update(name for _, name in resource.facts["subjects"])
        elif (resource.kind not in PODLESS_CUSTOM_KINDS
              and is_custom_resource(resource.id.api_version)):
            self._operator_namespaces.add(resource.namespace)
        target = resource.facts.get("target")
        if resource.kind == "HorizontalPodAutoscaler" and target:
            self._hpa_targets[(resource.namespace, target["kind"], target["name"])].append(resource)

    def of_kind(self, *kinds: str) -> Iterator[Resource]:
        self._settle()
        for kind in kinds:
            yield from self._by_kind.get(kind, ())

    def get(self, kind: str, namespace: str | None, name: str | None) -> Resource | None:
        self._settle()
        found = self._by_name.get((kind, namespace, name))
        if found is None and (kind, namespace, name) in self._names:
            found = Resource(ResourceId(self._names[kind, namespace, name], kind, namespace, name),
                             "", 0, (), {})
        return found

    def hpas_for(self, workload: Resource) -> list[Resource]:
        """The HorizontalPodAutoscalers whose scaleTargetRef names `workload`."""
        self._settle()
        return self._hpa_targets.get((workload.namespace, workload.kind, workload.name), [])

    def has_workloads(self, namespace: str | None) -> bool:
        return bool(self._workloads_by_namespace.get(namespace))

    def has_operator_resource(self, namespace: str | None) -> bool:
        """Whether `namespace` holds a custom resource (not a known pod-less one): its
        operator may create pods the linted set does not show."""
        return namespace in self._operator_namespaces

    def is_bound(self, namespace: str | None, account: str) -> bool:
        """Whether a RoleBinding or ClusterRoleBinding of the set names this service account.

        An unknown namespace (unset in the manifest, given at apply time) matches any.
        """
        bound = self._bound_accounts
        if (None, None) in bound or (namespace, None) in bound or (None, account) in bound:
            return True
        if namespace is None:
            return account in self._bound_names
        return (namespace, account) in bound

    def workloads(self) -> Iterator[Resource]:
        self._settle()
        return self.of_kind(*POD_SPEC_PATHS)

    def selected_by_map(self, namespace: str | None, selector: dict) -> list[Resource]:
        """Workloads in `namespace` whose pod labels a Service-style map selector selects."""
        self._settle()
        if not selector:
            return []
        first = next(iter(selector.items()))
        candidates = self._workloads_by_label.get((namespace,) + first, [])
        return [w for w in candidates if map_selector_matches(selector, w.facts["template_labels"])]

    def selected_by_label_selector(self, namespace: str | None, selector: Any) -> list[Resource]:
        """Workloads in `namespace` whose pod labels a LabelSelector (PDB-style) selects."""
        self._settle()
        match_labels = _labels(mapping(selector).get("matchLabels"))
        if match_labels:
            first = next(iter(match_labels.items()))
            candidates = self._workloads_by_label.get((namespace,) + first, [])
        else:
            candidates = self._workloads_by_namespace.get(namespace, [])
        return [w for w in candidates
                if label_selector_matches(selector, w.facts["template_labels"])]

    def _settle(self) -> None:
        """Place the objects that kustomizations include as `kustomize build` would, before
        cross-resource rules read the index: in the `namespace:` of the outermost kustomization
        that sets one, with the `replicas:` counts it sets (an outer one wins over its bases').

        A file included by overlays of several namespaces is in each of them (one copy per
        namespace; where the overlays set different replica counts, the smallest). Objects
        that only an unused Component includes are left out: no build deploys them.
        `resources` keeps the objects as written.
        """
        if self._settled:
            return
        self._settled = True
        placed, unbuilt = _kustomized_contexts(self._kustomizations)
        for table in (self._by_kind, self._by_name, self._hpa_targets,
                      self._workloads_by_namespace, self._workloads_by_label):
            table.clear()
        for resource in self.resources:
            file = os.path.abspath(resource.file)
            contexts = placed.get(file) if resource.placement is None else None
            if contexts is None:
                if resource.placement is not None or file not in unbuilt:
                    self._add_to_maps(resource)
                continue
            for namespace, replicas in _by_namespace(contexts, resource.name).items():
                self._add_to_maps(_placed(resource, namespace, replicas))


KUSTOMIZE_GROUP = "kustomize.config.k8s.io/"
KUSTOMIZE_KINDS = frozenset({"Kustomization", "Component"})

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


def _placed(resource: Resource, namespace: str | None, replicas: Any) -> Resource:
    """`resource` in `namespace` (None: its own) with `replicas` (None: its own)."""
    if resource.kind in CLUSTER_SCOPED_KINDS:
        namespace = None
    moved = namespace is not None and namespace != resource.namespace
    scaled = replicas is not None and resource.kind in WORKLOAD_KINDS
    if not (moved or scaled):
        return resource
    return dataclasses.replace(
        resource,
        id=dataclasses.replace(resource.id, namespace=namespace) if moved else resource.id,
        facts={**resource.facts, "replicas": replicas} if scaled else resource.facts)


def extract_facts(obj: dict, kind: str | None = None) -> dict[str, Any]:
    """The facts of one object that cross-resource rules read, by kind (default: its own;
    a kustomization file may leave it out)."""
    kind = kind or obj.get("kind")
    spec = mapping(obj.get("spec"))
    if kind in WORKLOAD_KINDS:
        meta = pod_template_metadata(obj)
        pod_spec = mapping(get(obj, POD_SPEC_PATHS[kind]))
        affinity = mapping(pod_spec.get("affinity"))
        labels = (_labels(meta[1].get("labels")) if meta else
                  _labels(mapping(obj.get("metadata")).get("labels")))
        return {
            "template_labels": labels,
            "replicas": spec.get("replicas") if "replicas" in spec else None,
            "spread": bool(sequence(pod_spec.get("topologySpreadConstraints"))),
            "anti_affinity": list(_own_anti_affinity_scopes(affinity, labels)),
            "host_network": pod_spec.get("hostNetwork") is True,
            "token": _token(obj, kind),
        }
    if kind == "ServiceAccount":
        return {"automount": obj.get("automountServiceAccountToken")}
    if kind in BINDING_KINDS:
        namespace = mapping(obj.get("metadata")).get("namespace")
        return {"subjects": list(_bound_subjects(obj, namespace))}
    if kind == "Service":
        return {"selector": _labels(spec.get("selector")), "type": spec.get("type"),
                "ports": _service_ports(spec)}
    if kind == "HorizontalPodAutoscaler":
        ref = mapping(spec.get("scaleTargetRef"))
        return {
            "target": {"kind": str(ref.get("kind", "")), "name": str(ref.get("name", "")),
                       "apiVersion": str(ref.get("apiVersion", ""))} if ref else None,
            "min": spec.get("minReplicas", 1),
            "max": spec.get("maxReplicas"),
        }
    if kind == "PodDisruptionBudget":
        return {"selector": spec.get("selector"),
                "minAvailable": spec.get("minAvailable"),
                "maxUnavailable": spec.get("maxUnavailable")}
    if kind == "Ingress":
        annotations = mapping(mapping(obj.get("metadata")).get("annotations"))
        actions = {str(key)[len(ALB_ACTIONS):] for key in annotations
                   if str(key).startswith(ALB_ACTIONS)}
        return {"backends": list(_ingress_backends(spec, actions)),
                "backend_ports": list(_ingress_backend_ports(spec, actions))}
    if kind in KUSTOMIZE_KINDS:
        namespace = obj.get("namespace")
        return {"kind": kind,
                "namespace": str(namespace) if isinstance(namespace, str) and namespace else None,
                "replicas": {str(mapping(r).get("name")): mapping(r)["count"]
                             for r in sequence(obj.get("replicas"))
                             if isinstance(mapping(r).get("count"), int)},
                "includes": [entry for key in ("resources", "bases", "components")
                             for entry in sequence(obj.get(key))
                             if isinstance(entry, str) and "://" not in entry
                             and not entry.startswith(("github.com/", "git@"))],
                "secret_sources": list(_secret_generator_sources(obj))}
    if kind == "NetworkPolicy":
        selector = spec.get("podSelector")
        return {"pod_selector": {} if selector is None else selector}
    return {}


_ANCHORS: dict[str, tuple[tuple[Path, bool], ...]] = {
    "Service": ((("spec", "selector"), False),),
    "HorizontalPodAutoscaler": ((("spec",), False), (("spec", "scaleTargetRef", "name"), False)),
    "PodDisruptionBudget": ((("spec", "minAvailable"), False),
                            (("spec", "maxUnavailable"), False)),
}


def _secret_generator_sources(obj: dict) -> Iterator[tuple[Path, str, str]]:
    """(path, field, text) of each `literals`, `envs`, `env` and `files` entry of a
    kustomization's secretGenerator."""
    for index, generator in enumerate(sequence(obj.get("secretGenerator"))):
        generator = mapping(generator)
        for field in ("literals", "envs", "files"):
            for position, entry in enumerate(sequence(generator.get(field))):
                if isinstance(entry, str):
                    yield ("secretGenerator", index, field, position), field, entry
        if isinstance(generator.get("env"), str):
            yield ("secretGenerator", index, "env"), "env", generator["env"]


_KIND_ANCHORS: dict[str, tuple[tuple[Path, bool], ...]] = {}


def _anchors(resource: Resource) -> tuple[tuple[Path, bool], ...]:
    """The paths in `resource` that cross-resource rules may point at (one tuple per kind,
    except for Ingresses, whose backends vary, and secretGenerator entries)."""
    kind = resource.kind
    if kind == "Ingress" or resource.facts.get("secret_sources"):
        return tuple(_each_anchor(resource))
    if kind not in _KIND_ANCHORS:
        _KIND_ANCHORS[kind] = tuple(_each_anchor(resource))
    return _KIND_ANCHORS[kind]


def _each_anchor(resource: Resource) -> Iterator[tuple[Path, bool]]:
    kind = resource.kind
    for path, _, _ in resource.facts.get("secret_sources", ()):
        yield path, False
    if kind in WORKLOAD_KINDS:
        yield ("metadata", "name"), False
        yield ("spec", "replicas"), False
        yield ("spec", "replicas"), True
        yield POD_SPEC_PATHS[kind], False
    elif kind == "Ingress":
        for _, path in resource.facts["backends"]:
            yield path, False
        for _, _, path in resource.facts["backend_ports"]:
            yield path, False
    yield from _ANCHORS.get(kind, ())


BINDING_KINDS = frozenset({"RoleBinding", "ClusterRoleBinding"})
_ALL_ACCOUNTS = "system:serviceaccounts"


def _token(obj: dict, kind: str) -> tuple[str, Any] | None:
    """(service account, automountServiceAccountToken) of a pod spec; None without one."""
    spec = get(obj, POD_SPEC_PATHS[kind])
    if not isinstance(spec, dict):
        return None
    account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    return str(account), spec.get("automountServiceAccountToken")


def _bound_subjects(obj: dict, namespace: Any) -> Iterator[tuple[str | None, str | None]]:
    """(namespace, name) of the service accounts a binding names; None stands for any.

    The groups `system:serviceaccounts` and `system:serviceaccounts:<namespace>` bind every
    service account (of the namespace).
    """
    for subject in sequence(obj.get("subjects")):
        subject = mapping(subject)
        kind, name = subject.get("kind"), subject.get("name")
        if not isinstance(name, str):
            continue
        where = subject.get("namespace", namespace)
        where = None if where is None else str(where)
        if kind == "ServiceAccount":
            yield where, name
        elif kind == "Group" and name == _ALL_ACCOUNTS:
            yield None, None
        elif kind == "Group" and name.startswith(_ALL_ACCOUNTS + ":"):
            yield name[len(_ALL_ACCOUNTS) + 1:], None


def _labels(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in mapping(value).items()}


ALB_ACTIONS = "alb.ingress.kubernetes.io/actions."
"""Annotation prefix of an AWS load balancer controller action, named like the backend."""


def _ingress_backends(spec: dict, actions: set[str]) -> Iterator[tuple[str, Path]]:
    """(service name, path of the backend) for the default backend and every rule path.

    Handles networking.k8s.io/v1 (`service.name`) and the removed v1beta1 (`serviceName`).
    An AWS load balancer controller action (port name `use-annotation`, with an
    `alb.ingress.kubernetes.io/actions.<name>` annotation) is not a Service: it is left out.
    """
    candidates: list[tuple[Path, Any]] = [(("spec", "defaultBackend"), spec.get("defaultBackend")),
                                          (("spec", "backend"), spec.get("backend"))]
    for r, rule in enumerate(sequence(spec.get("rules"))):
        paths = sequence(get(rule, ("http", "paths")))
        for p, entry in enumerate(paths):
            candidates.append((("spec", "rules", r, "http", "paths", p, "backend"),
                               mapping(entry).get("backend")))
    for path, backend in candidates:
        backend = mapping(backend)
        service = mapping(backend.get("service"))
        port = mapping(service.get("port")).get("name", backend.get("servicePort"))
        name = service.get("name", backend.get("serviceName"))
        if port == "use-annotation" and isinstance(name, str) and name in actions:
            continue
        if "name" in service:
            yield str(service["name"]), path + ("service", "name")
        elif "serviceName" in backend:
            yield str(backend["serviceName"]), path + ("serviceName",)


def _own_anti_affinity_scopes(affinity: dict, labels: dict[str, str]) -> Iterator[Any]:
    """The namespace scope of each pod anti-affinity term that selects the pod's own labels.

    A scope is None when the term covers the pod's own namespace whatever it is (no
    `namespaces`, or a `namespaceSelector`, which may select it), else the listed namespaces.
    A term without `labelSelector` selects no pod.
    """
    anti = mapping(affinity.get("podAntiAffinity"))
    terms = list(sequence(anti.get("requiredDuringSchedulingIgnoredDuringExecution")))
    terms += [mapping(t).get("podAffinityTerm")
              for t in sequence(anti.get("preferredDuringSchedulingIgnoredDuringExecution"))]
    for term in map(mapping, terms):
        selector = term.get("labelSelector")
        if selector is None or not label_selector_matches(selector, labels):
            continue
        namespaces = [str(n) for n in sequence(term.get("namespaces"))]
        yield None if not namespaces or term.get("namespaceSelector") is not None else namespaces


def _service_ports(spec: dict) -> list[tuple[Any, Any]] | None:
    """(port, name) of each port a Service exposes; None when it lists none (ExternalName)."""
    ports = sequence(spec.get("ports"))
    return [(mapping(p).get("port"), mapping(p).get("name")) for p in ports] if ports else None


def _ingress_backend_ports(spec: dict, actions: set[str]) -> Iterator[tuple[str, Any, Path]]:
    """(service name, port number or name, path of the port) of each backend that names one."""
    for service, path in _ingress_backends(spec, actions):
        backend_path = path[:-2] if path[-1] == "name" else path[:-1]
        backend = mapping(get({"spec": spec}, backend_path))
        if path[-1] == "name":
            port = mapping(mapping(backend.get("service")).get("port"))
            for key in ("number", "name"):
                if key in port:
                    yield service, port[key], backend_path + ("service", "port", key)
                    break
        elif "servicePort" in backend:
            yield service, backend["servicePort"], backend_path + ("servicePort",)
