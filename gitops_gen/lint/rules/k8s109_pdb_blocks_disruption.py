"""K8S109 pdb-blocks-disruption

## What it does
Flags PodDisruptionBudgets that can never allow a voluntary disruption: `maxUnavailable: 0`
or `0%`, `minAvailable: 100%`, or a `minAvailable` count at or above the replicas of the
workload it selects (its HPA minimum when an HPA scales it).

## Why it matters
Such a budget blocks every node drain: cluster upgrades hang, Karpenter cannot consolidate or
replace nodes, and an EKS managed node group upgrade fails after its timeout.

## Example
    kind: PodDisruptionBudget
    spec:
      minAvailable: 3     # the Deployment runs 3 replicas
      selector:
        matchLabels: {app: web}

## Use instead
    kind: PodDisruptionBudget
    spec:
      maxUnavailable: 1
      selector:
        matchLabels: {app: web}
"""

from gitops_gen.lint import SET, Finding, Severity, rule
from gitops_gen.lint.k8s import replica_range

_BUDGETED_KINDS = ("Deployment", "StatefulSet", "ReplicaSet")


@rule(code="K8S109", name="pdb-blocks-disruption", severity=Severity.ERROR, scope=SET,
      kinds=("PodDisruptionBudget",),
      remediation="Use maxUnavailable: 1 (or a minAvailable below the replica count).")
def check(index, opts):
    for budget in index.of_kind("PodDisruptionBudget"):
        facts = budget.facts
        max_unavailable, min_available = facts["maxUnavailable"], facts["minAvailable"]
        if max_unavailable in (0, "0%"):
            yield Finding(f"maxUnavailable {max_unavailable!r} never allows a pod to be evicted",
                          ("spec", "maxUnavailable"), resource=budget)
        elif min_available == "100%":
            yield Finding("minAvailable '100%' never allows a pod to be evicted",
                          ("spec", "minAvailable"), resource=budget)
        elif isinstance(min_available, int) and not isinstance(min_available, bool):
            for workload in index.selected_by_label_selector(budget.namespace, facts["selector"]):
                if workload.kind not in _BUDGETED_KINDS:
                    continue
                replicas = replica_range(workload, index)
                if replicas is not None and min_available >= replicas[0]:
                    yield Finding(f"minAvailable {min_available} leaves no pod of "
                                  f"{workload.kind} {workload.name!r} ({replicas[0]} replicas) "
                                  "evictable", ("spec", "minAvailable"), resource=budget)
                    break
