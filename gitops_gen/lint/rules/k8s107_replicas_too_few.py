"""K8S107 replicas-too-few

## What it does
Flags Deployments and StatefulSets that run fewer than `min-replicas` (default 2) replicas.
A missing `replicas` means 1. Workloads scaled by a HorizontalPodAutoscaler are left to
K8S110 (hpa-min-replicas-too-low).

## Why it matters
A single replica goes down with its node: every node drain, upgrade or spot interruption is
an outage.

## Example
    kind: Deployment
    spec:
      replicas: 1

## Use instead
    kind: Deployment
    spec:
      replicas: 3
"""

from gitops_gen.lint import SET, Finding, Option, Severity, rule


@rule(code="K8S107", name="replicas-too-few", severity=Severity.WARNING, scope=SET,
      kinds=("Deployment", "StatefulSet"),
      options={"min-replicas": Option(int, 2, "Fewest replicas accepted.", minimum=1)},
      remediation="Run at least two replicas, or scale the workload with an HPA.")
def check(index, opts):
    wanted = opts["min-replicas"]
    for workload in index.of_kind("Deployment", "StatefulSet"):
        if index.hpas_for(workload):
            continue
        replicas = workload.facts["replicas"]
        count = 1 if replicas is None else replicas
        if isinstance(count, bool) or not isinstance(count, int) or count >= wanted:
            continue
        how = "sets no replicas (defaults to 1)" if replicas is None else f"runs {count} replica(s)"
        yield Finding(f"{workload.kind} {workload.name!r} {how}; at least {wanted} expected",
                      ("spec", "replicas"), resource=workload)
