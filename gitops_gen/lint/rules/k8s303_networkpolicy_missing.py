"""K8S303 networkpolicy-missing

## What it does
Flags workloads whose pods no NetworkPolicy in the linted set selects (its `podSelector`
matches their labels, in their namespace; an empty `podSelector` selects every pod). A
namespace with workloads but no NetworkPolicy at all gets one finding, on its first workload;
in a namespace with policies, each workload they leave out gets its own. Objects without a
namespace are grouped together. Pods on the host network (`hostNetwork: true`, such as node
exporters) are left out: NetworkPolicies do not apply to them. So are Jobs and CronJobs in a
namespace that has policies: their pods run to completion and take no traffic (chart hooks
that create certificates, migrations).

## Why it matters
Without a policy every pod accepts traffic from every other pod in the cluster: one
compromised pod can reach databases and internal APIs in any namespace.

## Example
    kind: Deployment
    metadata: {name: web, namespace: shop}
    # and no NetworkPolicy in namespace shop

## Use instead
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: default-deny, namespace: shop}
    spec:
      podSelector: {}
      policyTypes: [Ingress, Egress]
"""

from gitops_gen.lint import SET, Finding, Severity, rule
from gitops_gen.lint.k8s import LONG_RUNNING_KINDS, label_selector_matches, mapping, sequence


@rule(code="K8S303", name="networkpolicy-missing", severity=Severity.WARNING, scope=SET,
      kinds=("NetworkPolicy",),
      remediation="Add a default-deny NetworkPolicy to the namespace, then allow what is needed.")
def check(index, opts):
    policies: dict[str | None, list] = {}
    for policy in index.of_kind("NetworkPolicy"):
        policies.setdefault(policy.namespace, []).append(policy.facts["pod_selector"])
    open_namespaces = {namespace for namespace, selectors in policies.items()
                       if any(map(_selects_every_pod, selectors))}
    uncovered: dict[str | None, list] = {}
    """{namespace without a policy: [how many workloads it has, the first written]}"""
    for workload in index.workloads():
        if workload.facts["host_network"]:
            continue
        selectors = policies.get(workload.namespace)
        if selectors is None:
            seen = uncovered.setdefault(workload.namespace, [0, workload])
            seen[0] += 1
            if _written_at(workload) < _written_at(seen[1]):
                seen[1] = workload
        elif (workload.kind in LONG_RUNNING_KINDS and workload.namespace not in open_namespaces
              and not any(label_selector_matches(s, workload.facts["template_labels"])
                          for s in selectors)):
            yield Finding(f"no NetworkPolicy in {_where(workload.namespace)} selects the pods of "
                          f"{workload.kind} {workload.name!r}", ("metadata", "name"),
                          resource=workload)
    for namespace, (count, first) in uncovered.items():
        yield Finding(f"{count} workload(s) but no NetworkPolicy in {_where(namespace)}",
                      ("metadata", "name"), resource=first)


def _selects_every_pod(selector) -> bool:
    """Whether a podSelector selects every pod: no matchLabels, no matchExpressions."""
    selector = mapping(selector)
    return not mapping(selector.get("matchLabels")) and not sequence(
        selector.get("matchExpressions"))


def _written_at(workload) -> tuple:
    return workload.file, workload.document, workload.base


def _where(namespace: str | None) -> str:
    return f"namespace {namespace!r}" if namespace else "the objects without a namespace"
