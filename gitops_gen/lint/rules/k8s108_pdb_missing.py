"""K8S108 pdb-missing

## What it does
Flags Deployments and StatefulSets that run two or more replicas (or are scaled by an HPA up to
two or more) while no PodDisruptionBudget in their namespace selects their pods.
Unset `replicas` means: with an HPA targeting the workload, the HPA's `minReplicas` to
`maxReplicas`; with no HPA, one pod to start with but possibly scaled (by hand, KEDA or an
HPA outside the linted set), so the rule applies, as in kube-score and polaris; `replicas: 0`
or 1 does not.

## Why it matters
Without a PDB a node drain (cluster upgrades, Karpenter consolidation, spot interruptions) may
evict every replica at once, and the service goes down although it has replicas.

## Example
    kind: Deployment
    metadata: {name: web}
    spec:
      replicas: 3
      template:
        metadata:
          labels: {app: web}

## Use instead
    apiVersion: policy/v1
    kind: PodDisruptionBudget
    metadata: {name: web}
    spec:
      maxUnavailable: 1
      selector:
        matchLabels: {app: web}
"""

from gitops_gen.lint import SET, Finding, Severity, rule
from gitops_gen.lint.k8s import describe_replicas, replica_range


@rule(code="K8S108", name="pdb-missing", severity=Severity.WARNING, scope=SET,
      kinds=("Deployment", "StatefulSet"),
      remediation="Add a PodDisruptionBudget (policy/v1) with maxUnavailable: 1 selecting the pods.")
def check(index, opts):
    covered = {workload.number for budget in index.of_kind("PodDisruptionBudget")
               for workload in index.selected_by_label_selector(budget.namespace,
                                                                budget.facts["selector"])}
    for workload in index.of_kind("Deployment", "StatefulSet"):
        replicas = replica_range(workload, index)
        if replicas is None or (replicas[1] is not None and replicas[1] < 2):
            continue
        if workload.number not in covered:
            yield Finding(f"{workload.kind} {workload.name!r} {describe_replicas(replicas)} "
                          "but no PodDisruptionBudget selects its pods", ("metadata", "name"),
                          resource=workload)
