"""K8S109 pdb-blocks-disruption

## What it does
Flags PodDisruptionBudgets that can never allow a voluntary disruption: `maxUnavailable: 0`
or `0%`, `minAvailable: 100%`, or a `minAvailable` count at or above the pods of all the
workloads it selects together (a stable and a canary Deployment count both). A workload's pods
are its `replicas`, or its HPA's `minReplicas` when an HPA scales it. Unset `replicas` with no
HPA means the workload may be scaled by something the linter cannot see, so the count is not
known and the budget is not judged (K8S107 reports the unset count).

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
from gitops_gen.lint.k8s import replica_range, yaml_value

_BUDGETED_KINDS = ("Deployment", "StatefulSet", "ReplicaSet")


@rule(code="K8S109", name="pdb-blocks-disruption", severity=Severity.ERROR, scope=SET,
      kinds=("PodDisruptionBudget",),
      remediation="Use maxUnavailable: 1 (or a minAvailable below the replica count).")
def check(index, opts):
    for budget in index.of_kind("PodDisruptionBudget"):
        facts = budget.facts
        max_unavailable, min_available = facts["maxUnavailable"], facts["minAvailable"]
        if max_unavailable in (0, "0%"):
            yield Finding(f"maxUnavailable {yaml_value(max_unavailable)} never allows a pod to be "
                          "evicted", ("spec", "maxUnavailable"), resource=budget)
        elif min_available == "100%":
            yield Finding('minAvailable "100%" never allows a pod to be evicted',
                          ("spec", "minAvailable"), resource=budget)
        elif isinstance(min_available, int) and not isinstance(min_available, bool):
            selected = [w for w in index.selected_by_label_selector(budget.namespace,
                                                                    facts["selector"])
                        if w.kind in _BUDGETED_KINDS]
            counts = [replica_range(w, index) for w in selected]
            if not selected or any(c is None or c[1] is None for c in counts):
                continue
            pods = sum(low for low, _ in counts)
            if 0 < pods <= min_available:
                names = ", ".join(f"{w.kind} {w.name!r}" for w in selected)
                yield Finding(f"minAvailable {min_available} leaves none of the {pods} pod(s) of "
                              f"{names} evictable", ("spec", "minAvailable"), resource=budget)
