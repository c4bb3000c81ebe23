"""K8S112 replicas-with-hpa

## What it does
Flags Deployments and StatefulSets that set `spec.replicas` while a HorizontalPodAutoscaler
scales them.

## Why it matters
Git and the HPA fight: every Argo CD sync resets the replica count to the value in Git, then
the HPA scales it back, so pods are killed and started on every sync and during load peaks.

## Example
    kind: Deployment
    spec:
      replicas: 3      # and an HPA targets this Deployment

## Use instead
    kind: Deployment
    spec:
      # no replicas: the HPA owns the count
"""

from gitops_gen.lint import SET, Finding, Severity, rule


@rule(code="K8S112", name="replicas-with-hpa", severity=Severity.WARNING, scope=SET,
      kinds=("Deployment", "StatefulSet"),
      remediation="Remove spec.replicas from workloads an HPA scales.")
def check(index, opts):
    for workload in index.of_kind("Deployment", "StatefulSet"):
        hpas = index.hpas_for(workload)
        if hpas and workload.facts["replicas"] is not None:
            yield Finding(f"replicas is set although HorizontalPodAutoscaler {hpas[0].name!r} "
                          "scales this workload", ("spec", "replicas"), key=True,
                          resource=workload)
