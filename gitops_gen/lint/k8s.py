"""Helpers for rules: where the pod spec lives in each workload kind, containers with their paths."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from gitops_gen.lint.model import Path

POD_SPEC_PATHS: dict[str, Path] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
"""Every pod-bearing kind and the path of its pod spec."""

WORKLOAD_KINDS = frozenset(POD_SPEC_PATHS)
SCALABLE_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"})
"""Kinds with `spec.replicas` that an HPA can target."""
LONG_RUNNING_KINDS = frozenset(WORKLOAD_KINDS - {"Job", "CronJob"})
"""Kinds whose containers serve and so need liveness and readiness probes."""

CONTROLLER_LABELS = frozenset({
    "statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index",
    "controller-revision-hash", "pod-template-hash", "batch.kubernetes.io/job-name",
    "batch.kubernetes.io/controller-uid", "job-name", "controller-uid"})
"""Pod labels that controllers add at run time: no pod template in a manifest carries them."""

PODLESS_CUSTOM_KINDS = frozenset({
    "ServiceMonitor", "PodMonitor", "Probe", "PrometheusRule", "ScrapeConfig",
    "AlertmanagerConfig", "Certificate", "CertificateRequest", "Issuer", "ExternalSecret",
    "SecretStore", "PushSecret", "SealedSecret", "Application", "ApplicationSet", "AppProject",
    "TargetGroupBinding", "VerticalPodAutoscaler", "ScaledObject"})
"""Common add-on custom resources that never make pods of their own."""


def is_custom_resource(api_version: str) -> bool:
    """Whether an apiVersion belongs to a custom resource, not a built-in API.

    Built-in groups are dot-less (`apps`, `batch`) or end in `.k8s.io`; CRD groups have a dot.
    """
    group = api_version.rpartition("/")[0]
    return "." in group and not group.endswith(".k8s.io")


def yaml_value(value: Any) -> str:
    """A scalar as YAML writes it (`true`, `null`, `"text"`), for messages."""
    if isinstance(value, (bool, int, float, str, type(None))):
        return json.dumps(value)
    return repr(value)


def runs_to_completion(obj: dict) -> bool:
    """A bare Pod with `restartPolicy: Never` or `OnFailure`: it runs a task, then exits."""
    return (obj.get("kind") == "Pod"
            and get(obj, ("spec", "restartPolicy")) in ("Never", "OnFailure"))


def get(obj: Any, path: Path, default: Any = None) -> Any:
    """The value at `path`, or `default` when any step is missing or of the wrong type."""
    for part in path:
        if isinstance(part, int):
            if not isinstance(obj, list) or not -len(obj) <= part < len(obj):
                return default
            obj = obj[part]
        elif isinstance(obj, dict):
            obj = obj.get(part, _MISSING)
            if obj is _MISSING:
                return default
        else:
            return default
    return obj


_MISSING = object()
"""What `get` reads for a key that is not there (None may be a value)."""


def document_objects(document: Any) -> Iterable[tuple[Path, Any]]:
    """The objects of one YAML document, each with its path: the document itself, or each item
    of a list.

    A list is a `kind: List` or a typed list (`DeploymentList`, any `<Kind>List`) with `items`.
    An item of a typed list that gives neither apiVersion nor kind has the list's apiVersion
    and the kind it names, as the API server returns typed lists and kubectl reads them.
    """
    kind = document.get("kind") if isinstance(document, dict) else None
    if not (isinstance(kind, str) and kind.endswith("List")
            and isinstance(document.get("items"), list)):
        return (((), document),)  # most documents: no generator
    return _list_items(document, kind)


def _list_items(document: dict, kind: str) -> Iterator[tuple[Path, Any]]:
    item_kind = kind[:-len("List")]
    for index, item in enumerate(document["items"]):
        if (item_kind and isinstance(item, dict) and item.get("apiVersion") is None
                and item.get("kind") is None):
            item = {"apiVersion": document.get("apiVersion"), "kind": item_kind, **item}
        yield ("items", index), item


def mapping(value: Any) -> dict:
    """`value` if it is a mapping, else an empty one: rules never trip over malformed input."""
    return value if isinstance(value, dict) else {}


def sequence(value: Any) -> list:
    """`value` if it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def pod_spec(obj: dict) -> tuple[Path, dict] | None:
    """The pod spec of a pod-bearing object and its path, or None for other kinds."""
    if obj is _reading[0]:  # most workload rules ask: found once per object
        memo = _reading[1]
        if "pod spec" not in memo:
            memo["pod spec"] = _pod_spec(obj)
        return memo["pod spec"]
    return _pod_spec(obj)


def _pod_spec(obj: dict) -> tuple[Path, dict] | None:
    path = POD_SPEC_PATHS.get(obj.get("kind"))  # type: ignore[arg-type]
    if path is None:
        return None
    return path, mapping(get(obj, path))


def pod_template_metadata(obj: dict) -> tuple[Path, dict] | None:
    """The pod template's metadata (where the pod spec has a template) and its path."""
    path = POD_SPEC_PATHS.get(obj.get("kind"))  # type: ignore[arg-type]
    if path is None or len(path) < 2:
        return None
    meta_path = path[:-1] + ("metadata",)
    return meta_path, mapping(get(obj, meta_path))


@dataclass(slots=True, eq=False, repr=False)
class Container:
    """A container or init container of a workload, with its path in the object.

    Not frozen (a frozen dataclass is made several times slower, see model.py): never mutate one.
    """

    path: Path
    data: dict
    init: bool
    label: str
    """How messages name it: `container 'web'` or `init container 'migrate'` (made once with
    the container: most findings about a container name it)."""

    def at(self, *parts: str | int) -> Path:
        return self.path + parts

    def resource(self, group: str, name: str) -> Any:
        """`resources.<group>.<name>` (e.g. requests.cpu), None when unset or empty."""
        resources = self.data.get("resources")
        values = resources.get(group) if isinstance(resources, dict) else None
        value = values.get(name) if isinstance(values, dict) else None
        return None if value == "" else value


def containers(obj: dict, *, init: bool = True) -> Iterator[Container]:
    """Containers (then init containers, unless `init=False`) of a pod-bearing object."""
    if obj is _reading[0]:  # most object rules ask: found once per object
        found = _reading[1].get(init)
        if found is None:
            found = _reading[1][init] = (tuple(_containers(obj, True)) if init else
                                         tuple(c for c in containers(obj) if not c.init))
        return iter(found)
    return _containers(obj, init)


_reading: list = [None, {}]
"""The object the engine's rules are reading now, and what helpers found in it: its containers
by `init` (True, False), "linux" (`linux_containers`) and "pod spec"."""


def reading(obj: dict | None) -> None:
    """Tell the helpers which object the rules read next (None: none): until the next call,
    `containers(obj)` is found once. The engine calls it around each object's rules, which
    never change the object they read."""
    _reading[0] = obj
    _reading[1] = {}


def _containers(obj: dict, init: bool) -> Iterator[Container]:
    found = pod_spec(obj)
    if found is None:
        return
    path, spec = found
    for group, label in _GROUPS if init else _GROUPS[:1]:
        for index, data in enumerate(sequence(spec.get(group))):
            if isinstance(data, dict):
                yield Container(path + (group, index), data, group == "initContainers",
                                f"{label} {str(data.get('name', '<unnamed>'))!r}")


_GROUPS = (("containers", "container"), ("initContainers", "init container"))
"""Where a pod spec lists its containers, and how messages name one of each group."""


def is_windows(spec: dict) -> bool:
    """A pod spec for Windows nodes, where the Linux security fields do not exist."""
    return get(spec, ("os", "name")) == "windows"


def linux_containers(obj: dict) -> Iterator[Container]:
    """`containers(obj)`, or nothing for a Windows pod (Linux security checks do not apply)."""
    if obj is _reading[0]:  # five rules ask: found once per object
        memo = _reading[1]
        found = memo.get("linux")
        if found is None:
            found = memo["linux"] = tuple(_linux_containers(obj))
        return iter(found)
    return _linux_containers(obj)


def _linux_containers(obj: dict) -> Iterator[Container]:
    found = pod_spec(obj)
    if found is not None and not is_windows(found[1]):
        yield from containers(obj)


def security_setting(spec_path: Path, spec: dict, container: Container,
                     key: str) -> tuple[Any, Path | None]:
    """A securityContext setting as the kubelet sees it: the container's wins over the pod's.

    An explicit null counts as unset, as the API server reads it (Helm often renders one).
    Returns the value and the path in the object where it was set, or (None, None).
    """
    own = container.data.get("securityContext")
    if isinstance(own, dict) and own.get(key) is not None:
        return own[key], container.path + ("securityContext", key)
    pod = spec.get("securityContext")
    if isinstance(pod, dict) and pod.get(key) is not None:
        return pod[key], spec_path + ("securityContext", key)
    return None, None


def label_selector_matches(selector: Any, labels: dict) -> bool:
    """Whether a LabelSelector (matchLabels and matchExpressions) selects `labels`.

    An empty selector selects everything, as in Kubernetes for PDBs and NetworkPolicies.
    """
    selector = mapping(selector)
    for key, value in mapping(selector.get("matchLabels")).items():
        if labels.get(key) != value:
            return False
    for expression in sequence(selector.get("matchExpressions")):
        expression = mapping(expression)
        key, operator = expression.get("key"), expression.get("operator")
        if not isinstance(key, str):
            return False
        values = sequence(expression.get("values"))
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def map_selector_matches(selector: Any, labels: dict) -> bool:
    """Whether a plain map selector (a Service's) selects `labels`; an empty one selects nothing."""
    selector = mapping(selector)
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def replica_range(workload, index) -> tuple[int, int | None] | None:
    """(fewest, most) replicas a scalable workload runs: its HPA's minReplicas and maxReplicas
    when an HPA targets it, else its `replicas`.

    Unset `replicas` with no HPA gives (1, None): the API server starts one pod, and the
    workload is "possibly scaled" (by hand, KEDA or an HPA outside the linted set), so there
    is no known most. None when the count is not a number (a schema problem, not a
    best-practice one).
    """
    hpas = index.hpas_for(workload)
    if hpas:
        facts = hpas[0].facts
        low, high = facts.get("min", 1), facts.get("max")
        if isinstance(low, int) and isinstance(high, int):
            return low, high
        return None
    replicas = workload.facts.get("replicas")
    if replicas is None:
        return 1, None
    if isinstance(replicas, bool) or not isinstance(replicas, int):
        return None
    return replicas, replicas


def describe_replicas(replicas: tuple[int, int | None]) -> str:
    """How messages state a replica range: `up to 3 replicas`, or that the count is unset."""
    if replicas[1] is None:
        return "may be scaled (replicas not set)"
    return f"runs up to {replicas[1]} replicas"


CLUSTER_SCOPED_KINDS = frozenset({
    "APIService", "CSIDriver", "CSINode", "CertificateSigningRequest", "ClusterRole",
    "ClusterRoleBinding", "ClusterTrustBundle", "ComponentStatus", "CustomResourceDefinition",
    "DeviceClass", "FlowSchema", "IngressClass", "IPAddress", "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding", "MutatingWebhookConfiguration", "Namespace", "Node",
    "PersistentVolume", "PodSecurityPolicy", "PriorityClass", "PriorityLevelConfiguration",
    "ResourceSlice", "RuntimeClass", "SelfSubjectAccessReview", "SelfSubjectReview",
    "ServiceCIDR", "StorageClass", "StorageVersionMigration", "TokenReview",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration", "VolumeAttachment", "VolumeAttributesClass",
    # custom resources every EKS GitOps repo meets
    "ClusterIssuer", "ClusterSecretStore", "ClusterExternalSecret", "ClusterGenerator",
    "NodePool", "EC2NodeClass", "NodeClaim", "IngressClassParams"})
"""Kinds that live outside namespaces (built-in, and the common add-ons' cluster-scoped kinds)."""
