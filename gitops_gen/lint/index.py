"""The linted set, indexed once by kind, namespace, name and labels, for cross-resource rules.

Only a few facts per resource are kept (labels, selectors, replicas, targets), not whole objects,
so memory stays small however large the set.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable, Iterator

from gitops_gen.lint.k8s import (PODLESS_CUSTOM_KINDS, POD_SPEC_PATHS, WORKLOAD_KINDS, get,
                                 is_custom_resource, label_selector_matches, map_selector_matches,
                                 mapping, pod_template_metadata, sequence)
from gitops_gen.lint.model import Path, Resource


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

    def add(self, resource: Resource, locate: Callable[[Path, bool], tuple[int, int]]) -> None:
        """Record `resource` with the facts cross-resource rules need, then drop its body.

        The positions of the paths cross-resource rules point at are looked up now, while the
        file's nodes are at hand, so their findings need no second read of the file.
        """
        resource.facts = extract_facts(resource.body)
        resource.positions = {(path, key): locate(resource.base + path, key)
                              for path, key in _anchors(resource)}
        if resource.placement is None or resource.kind == "CustomResourceDefinition":
            resource.body = {}  # a rendered object keeps it: its findings are traced in it
        self.insert(resource)

    def insert(self, resource: Resource) -> None:
        """Record a resource whose facts and positions are known (e.g. from a worker process)."""
        self.resources.append(resource)
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
        for kind in kinds:
            yield from self._by_kind.get(kind, ())

    def get(self, kind: str, namespace: str | None, name: str | None) -> Resource | None:
        return self._by_name.get((kind, namespace, name))

    def hpas_for(self, workload: Resource) -> list[Resource]:
        """The HorizontalPodAutoscalers whose scaleTargetRef names `workload`."""
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
        return self.of_kind(*POD_SPEC_PATHS)

    def selected_by_map(self, namespace: str | None, selector: dict) -> list[Resource]:
        """Workloads in `namespace` whose pod labels a Service-style map selector selects."""
        if not selector:
            return []
        first = next(iter(selector.items()))
        candidates = self._workloads_by_label.get((namespace,) + first, [])
        return [w for w in candidates if map_selector_matches(selector, w.facts["template_labels"])]

    def selected_by_label_selector(self, namespace: str | None, selector: Any) -> list[Resource]:
        """Workloads in `namespace` whose pod labels a LabelSelector (PDB-style) selects."""
        match_labels = _labels(mapping(selector).get("matchLabels"))
        if match_labels:
            first = next(iter(match_labels.items()))
            candidates = self._workloads_by_label.get((namespace,) + first, [])
        else:
            candidates = self._workloads_by_namespace.get(namespace, [])
        return [w for w in candidates
                if label_selector_matches(selector, w.facts["template_labels"])]


def extract_facts(obj: dict) -> dict[str, Any]:
    """The facts of one object that cross-resource rules read, by kind."""
    kind = obj.get("kind")
    spec = mapping(obj.get("spec"))
    if kind in WORKLOAD_KINDS:
        meta = pod_template_metadata(obj)
        pod_spec = mapping(get(obj, POD_SPEC_PATHS[kind]))
        affinity = mapping(pod_spec.get("affinity"))
        return {
            "template_labels": _labels(meta[1].get("labels")) if meta else
            _labels(mapping(obj.get("metadata")).get("labels")),
            "replicas": spec.get("replicas") if "replicas" in spec else None,
            "spread": bool(affinity.get("podAntiAffinity")
                           or sequence(pod_spec.get("topologySpreadConstraints"))),
            "token": _token(obj, kind),
        }
    if kind == "ServiceAccount":
        return {"automount": obj.get("automountServiceAccountToken")}
    if kind in BINDING_KINDS:
        namespace = mapping(obj.get("metadata")).get("namespace")
        return {"subjects": list(_bound_subjects(obj, namespace))}
    if kind == "Service":
        return {"selector": _labels(spec.get("selector")), "type": spec.get("type")}
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
        return {"backends": list(_ingress_backends(spec, actions))}
    return {}


_ANCHORS: dict[str, tuple[tuple[Path, bool], ...]] = {
    "Service": ((("spec", "selector"), False),),
    "HorizontalPodAutoscaler": ((("spec",), False), (("spec", "scaleTargetRef", "name"), False)),
    "PodDisruptionBudget": ((("spec", "minAvailable"), False),
                            (("spec", "maxUnavailable"), False)),
}


def _anchors(resource: Resource) -> Iterator[tuple[Path, bool]]:
    """The paths in `resource` that cross-resource rules may point at."""
    kind = resource.kind
    if kind in WORKLOAD_KINDS:
        yield ("metadata", "name"), False
        yield ("spec", "replicas"), False
        yield ("spec", "replicas"), True
        yield POD_SPEC_PATHS[kind], False
    elif kind == "Ingress":
        for _, path in resource.facts["backends"]:
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
