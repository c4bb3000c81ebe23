"""K8S303 networkpolicy-missing

## What it does
Flags namespaces that have workloads but no NetworkPolicy in the linted set. The finding sits
on the first workload of the namespace. Objects without a namespace are grouped together.

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


@rule(code="K8S303", name="networkpolicy-missing", severity=Severity.WARNING, scope=SET,
      kinds=("NetworkPolicy",),
      remediation="Add a default-deny NetworkPolicy to the namespace, then allow what is needed.")
def check(index, opts):
    covered = {policy.namespace for policy in index.of_kind("NetworkPolicy")}
    first: dict[str | None, list] = {}
    for workload in index.workloads():
        if workload.namespace not in covered:
            first.setdefault(workload.namespace, []).append(workload)
    for namespace, workloads in first.items():
        where = f"namespace {namespace!r}" if namespace else "the objects without a namespace"
        yield Finding(f"{len(workloads)} workload(s) but no NetworkPolicy in {where}",
                      ("metadata", "name"),
                      resource=min(workloads, key=lambda w: (w.file, w.document, w.base)))
