"""K8S113 spread-missing

## What it does
Flags Deployments and StatefulSets that run two or more replicas (or may, through an HPA) but
have neither pod anti-affinity nor `topologySpreadConstraints`. An anti-affinity term counts
only when its `labelSelector` selects the workload's own pods and its namespaces include the
workload's (no `namespaces` means its own; a `namespaceSelector` may select it): a term on
other labels keeps the replicas away from other pods, not from each other.
Unset `replicas` means: with an HPA targeting the workload, the HPA's `minReplicas` to
`maxReplicas`; with no HPA, one pod to start with but possibly scaled (by hand, KEDA or an
HPA outside the linted set), so the rule applies, as in kube-score and polaris.

## Why it matters
The scheduler may put every replica on the same node or in the same availability zone; one
node or zone failure then takes all of them down.

## Example
    spec:
      replicas: 3
      template:
        spec:
          containers: [...]

## Use instead
    spec:
      replicas: 3
      template:
        spec:
          topologySpreadConstraints:
            - maxSkew: 1
              topologyKey: topology.kubernetes.io/zone
              whenUnsatisfiable: ScheduleAnyway
              labelSelector:
                matchLabels: {app: web}
"""

from gitops_gen.lint import SET, Finding, Severity, rule
from gitops_gen.lint.k8s import POD_SPEC_PATHS, describe_replicas, replica_range


@rule(code="K8S113", name="spread-missing", severity=Severity.WARNING, scope=SET,
      kinds=("Deployment", "StatefulSet"),
      remediation="Add topologySpreadConstraints across zones and nodes, or pod anti-affinity.")
def check(index, opts):
    for workload in index.of_kind("Deployment", "StatefulSet"):
        replicas = replica_range(workload, index)
        if (replicas is None or (replicas[1] is not None and replicas[1] < 2)
                or _spread(workload)):
            continue
        yield Finding(f"{workload.kind} {workload.name!r} {describe_replicas(replicas)} with "
                      "no topology spread or pod anti-affinity", POD_SPEC_PATHS[workload.kind],
                      resource=workload)


def _spread(workload) -> bool:
    """Topology spread, or an anti-affinity term on the workload's own pods and namespace."""
    return workload.facts["spread"] or any(
        scope is None or workload.namespace is None or workload.namespace in scope
        for scope in workload.facts["anti_affinity"])
