"""Object migrations from a removed apiVersion to its replacement, on ruamel.yaml round-trip
data: keys keep their place, comments and quoting; new mappings follow the flow style of the
ones they replace."""

from __future__ import annotations

from dataclasses import dataclass

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from gitops_gen import versions

MANUAL = {
    "PodSecurityPolicy": "there is no replacement API: label the namespaces for Pod Security "
                         "Admission (pod-security.kubernetes.io/enforce) or use a policy engine",
    "FlowSchema": "API Priority and Fairness changed semantics between versions: migrate it by "
                  "hand (see the Kubernetes deprecation guide)",
    "PriorityLevelConfiguration": "nominalConcurrencyShares defaults changed in v1: migrate "
                                  "it by hand (see the Kubernetes deprecation guide)",
    "MutatingWebhookConfiguration": "v1 changes defaults (failurePolicy Fail, matchPolicy "
                                    "Equivalent) and requires sideEffects and "
                                    "admissionReviewVersions: migrate it by hand",
    "ValidatingWebhookConfiguration": "v1 changes defaults (failurePolicy Fail, matchPolicy "
                                      "Equivalent) and requires sideEffects and "
                                      "admissionReviewVersions: migrate it by hand",
    "CustomResourceDefinition": "v1 requires a structural schema per version: migrate it by "
                                "hand",
}
"""Kinds whose move cannot be automated, with what to do instead."""


@dataclass(frozen=True)
class Migration:
    """What happened to one object: `change` when it was rewritten, else `manual` guidance."""

    line: int
    subject: str
    change: str = ""
    manual: str = ""


def migrate(obj: CommentedMap, target: tuple[int, int]) -> Migration | None:
    """Move one object off an apiVersion removed at `target`, in place; None when its API is
    served there (or unknown)."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not (isinstance(api_version, str) and isinstance(kind, str)):
        return None
    row = versions.lifecycle_of(api_version, kind)
    if row is None or versions.status_at(row, target) != versions.REMOVED:
        return None
    line = obj.lc.line + 1
    name = obj.get("metadata", {}).get("name") if isinstance(obj.get("metadata"), dict) else None
    subject = f"{kind} {name or '<unnamed>'}"
    replacement = versions.replacement_at(row, target)
    if kind in MANUAL or replacement is None or replacement[1] != kind:
        guidance = MANUAL.get(kind) or versions.advice(row, target)
        return Migration(line, subject, manual=f"left on {api_version}: {guidance}")
    empty_selector = _empty_selector(obj)
    if kind == "PodDisruptionBudget" and empty_selector:
        return Migration(line, subject, manual=(
            f"left on {api_version}: its empty selector matches no pod, but in "
            f"{replacement[0]} it matches every pod of the namespace: set a selector first"))
    if kind == "HorizontalPodAutoscaler" and api_version == "autoscaling/v2beta1":
        _hpa_metrics(obj)
    if kind == "Ingress":
        _ingress(obj)
    obj["apiVersion"] = _same_quotes(obj["apiVersion"], replacement[0])
    return Migration(line, subject, change=f"{api_version} -> {replacement[0]}")


def _empty_selector(obj: dict) -> bool:
    spec = obj.get("spec")
    selector = spec.get("selector") if isinstance(spec, dict) else None
    return not selector or not any(selector.get(k) for k in ("matchLabels", "matchExpressions"))


def _same_quotes(old, new: str):
    for style in (DoubleQuotedScalarString, SingleQuotedScalarString):
        if isinstance(old, style):
            return style(new)
    return new


def replace_key(mapping: CommentedMap, old: str, new: str, value) -> None:
    """Put `new: value` where `old` was, with the comments of `old`: a comment after a scalar
    that becomes a block mapping moves to the mapping's last line."""
    position = list(mapping.keys()).index(old)
    old_value = mapping.pop(old)
    mapping.insert(position, new, value)
    comment = mapping.ca.items.pop(old, None)
    if comment is None:
        return
    holder, key = mapping, new
    if not isinstance(old_value, (CommentedMap, CommentedSeq)):
        while (isinstance(holder[key], CommentedMap) and holder[key]
               and not holder[key].fa.flow_style()):
            holder, key = holder[key], list(holder[key])[-1]
    holder.ca.items[key] = comment


def _like(template: CommentedMap, items: dict) -> CommentedMap:
    """A new mapping in the flow style of `template`."""
    made = CommentedMap(items)
    if template.fa.flow_style():
        made.fa.set_flow_style()
    return made


# -- HorizontalPodAutoscaler autoscaling/v2beta1 -> v2: metric targets


def _hpa_metrics(obj: CommentedMap) -> None:
    spec = obj.get("spec")
    for metric in (spec.get("metrics") or []) if isinstance(spec, dict) else []:
        if not isinstance(metric, CommentedMap):
            continue
        for source_key in ("resource", "containerResource", "pods", "object", "external"):
            source = metric.get(source_key)
            if isinstance(source, CommentedMap):
                _hpa_source(source)


_TARGETS = (("targetAverageUtilization", "Utilization", "averageUtilization"),
            ("targetAverageValue", "AverageValue", "averageValue"),
            ("targetValue", "Value", "value"))


def _hpa_source(source: CommentedMap) -> None:
    if "target" in source and "metricName" in source:  # object: the target is the object
        replace_key(source, "target", "describedObject", source["target"])
    if "metricName" in source:
        metric = _like(source, {"name": source["metricName"]})
        selector_key = "metricSelector" if "metricSelector" in source else "selector"
        if selector_key in source:
            metric["selector"] = source.pop(selector_key)
        replace_key(source, "metricName", "metric", metric)
    if "averageValue" in source and "targetValue" not in source:  # object with averageValue
        replace_key(source, "averageValue", "target",
                    _like(source, {"type": "AverageValue", "averageValue": source["averageValue"]}))
        return
    for old, kind, new in _TARGETS:
        if old in source:
            replace_key(source, old, "target", _like(source, {"type": kind, new: source[old]}))
            return


# -- Ingress extensions/v1beta1 and networking.k8s.io/v1beta1 -> networking.k8s.io/v1


def _ingress(obj: CommentedMap) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, CommentedMap):
        return
    if isinstance(spec.get("backend"), CommentedMap):
        _ingress_backend(spec["backend"])
        replace_key(spec, "backend", "defaultBackend", spec["backend"])
    for rule in spec.get("rules") or []:
        http = rule.get("http") if isinstance(rule, CommentedMap) else None
        paths = http.get("paths") if isinstance(http, CommentedMap) else None
        for path in paths if isinstance(paths, CommentedSeq) else []:
            if not isinstance(path, CommentedMap):
                continue
            if isinstance(path.get("backend"), CommentedMap):
                _ingress_backend(path["backend"])
            if "pathType" not in path:
                path.insert(_after(path, "path"), "pathType", "ImplementationSpecific")


def _after(mapping: CommentedMap, key: str) -> int:
    keys = list(mapping.keys())
    return keys.index(key) + 1 if key in keys else len(keys)


def _ingress_backend(backend: CommentedMap) -> None:
    if "serviceName" not in backend:
        return
    port = backend.get("servicePort")
    port_key = "number" if isinstance(port, int) else "name"
    service = _like(backend, {"name": backend["serviceName"]})
    if "servicePort" in backend:
        service["port"] = _like(backend, {port_key: port})
        backend.pop("servicePort")
    replace_key(backend, "serviceName", "service", service)
