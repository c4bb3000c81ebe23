"""K8S107 replicas-too-few

## What it does
Flags Deployments and StatefulSets that run fewer than `min-replicas` (default 2) replicas.
Unset `replicas` is flagged only when no HorizontalPodAutoscaler sets the count either: the
API server then starts one pod. Workloads scaled by an HPA are left to K8S110
(hpa-min-replicas-too-low). `replicas: 0` is a workload switched off on purpose, not too few.

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
        if isinstance(count, bool) or not isinstance(count, int) or not 0 < count < wanted:
            continue
        how = ("sets no replicas and no HPA scales it (the API server starts 1)"
               if replicas is None else f"runs {count} replica(s)")
        yield Finding(f"{workload.kind} {workload.name!r} {how}; at least {wanted} expected",
                      ("spec", "replicas"), resource=workload)
