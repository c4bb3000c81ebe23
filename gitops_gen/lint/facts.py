"""The facts of one object that cross-resource rules read, and the paths in it their findings
may point at (its anchors), by kind: all the cross-resource index keeps of an object."""

from __future__ import annotations

from typing import Any, Iterator

from gitops_gen.lint.k8s import (POD_SPEC_PATHS, WORKLOAD_KINDS, get, label_selector_matches,
                                 mapping, sequence)
from gitops_gen.lint.model import Path

KUSTOMIZE_GROUP = "kustomize.config.k8s.io/"
KUSTOMIZE_KINDS = frozenset({"Kustomization", "Component"})
BINDING_KINDS = frozenset({"RoleBinding", "ClusterRoleBinding"})
Anchor = tuple[Path, bool]
"""A path cross-resource rules may point at, and whether at its key."""


def extract_facts(obj: dict, kind: str | None = None) -> dict[str, Any]:
    """The facts of one object that cross-resource rules read, by kind (default: its own;
    a kustomization file may leave it out)."""
    kind = kind or obj.get("kind")
    spec = mapping(obj.get("spec"))
    if kind in WORKLOAD_KINDS:
        template_path = _TEMPLATE_PATHS[kind]
        if template_path:  # the pod's labels are the template's
            template = mapping(get(obj, template_path))
            written_spec = template.get("spec")
            labels = labels_of(mapping(template.get("metadata")).get("labels"))
        else:  # a Pod's own
            written_spec = obj.get("spec")
            labels = labels_of(mapping(obj.get("metadata")).get("labels"))
        pod_spec = mapping(written_spec)
        anti_affinity = mapping(pod_spec.get("affinity")).get("podAntiAffinity")
        return {
            "template_labels": labels,
            "replicas": spec.get("replicas"),
            "spread": bool(sequence(pod_spec.get("topologySpreadConstraints"))),
            "anti_affinity": (list(_own_anti_affinity_scopes(anti_affinity, labels))
                              if anti_affinity else []),
            "host_network": pod_spec.get("hostNetwork") is True,
            "token": _token(written_spec),
        }
    if kind == "ServiceAccount":
        return {"automount": obj.get("automountServiceAccountToken")}
    if kind in BINDING_KINDS:
        namespace = mapping(obj.get("metadata")).get("namespace")
        return {"subjects": list(_bound_subjects(obj, namespace))}
    if kind == "Service":
        return {"selector": labels_of(spec.get("selector")), "type": spec.get("type"),
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


_TEMPLATE_PATHS: dict[str, Path] = {kind: path[:-1] for kind, path in POD_SPEC_PATHS.items()}
"""The path of each pod-bearing kind's pod template (empty for a Pod, which has none)."""

_ANCHORS: dict[str, tuple[Anchor, ...]] = {
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


_KIND_ANCHORS: dict[str, tuple[Anchor, ...]] = {}


def anchors(kind: str, facts: dict[str, Any]) -> tuple[Anchor, ...]:
    """The anchors of an object of `kind` with `facts`: the same tuple for every object of a
    kind, except for Ingresses, whose backends vary, and secretGenerator entries."""
    if kind == "Ingress" or facts.get("secret_sources"):
        return tuple(_each_anchor(kind, facts))
    found = _KIND_ANCHORS.get(kind)
    if found is None:
        found = _KIND_ANCHORS[kind] = tuple(_each_anchor(kind, facts))
    return found


def _each_anchor(kind: str, facts: dict[str, Any]) -> Iterator[Anchor]:
    for path, _, _ in facts.get("secret_sources", ()):
        yield path, False
    if kind in WORKLOAD_KINDS:
        yield ("metadata", "name"), False
        yield ("spec", "replicas"), False
        yield ("spec", "replicas"), True
        yield POD_SPEC_PATHS[kind], False
    elif kind == "Ingress":
        for _, path in facts["backends"]:
            yield path, False
        for _, _, path in facts["backend_ports"]:
            yield path, False
    yield from _ANCHORS.get(kind, ())


_ALL_ACCOUNTS = "system:serviceaccounts"


def _token(spec: Any) -> tuple[str, Any] | None:
    """(service account, automountServiceAccountToken) of a pod spec; None without one."""
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


def labels_of(value: Any) -> dict[str, str]:
    """A labels (or selector) map as strings; anything but a mapping: empty."""
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


def _own_anti_affinity_scopes(anti_affinity: Any, labels: dict[str, str]) -> Iterator[Any]:
    """The namespace scope of each term of a pod spec's `podAntiAffinity` that selects the
    pod's own labels.

    A scope is None when the term covers the pod's own namespace whatever it is (no
    `namespaces`, or a `namespaceSelector`, which may select it), else the listed namespaces.
    A term without `labelSelector` selects no pod.
    """
    anti = mapping(anti_affinity)
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
