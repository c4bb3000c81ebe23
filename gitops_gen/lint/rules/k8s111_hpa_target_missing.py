"""K8S111 hpa-target-missing

## What it does
Flags HorizontalPodAutoscalers whose `scaleTargetRef` names a Deployment, StatefulSet or
ReplicaSet that is not in the linted set (same namespace, kind and name). Lint the whole
repository or overlay, not single files, for this rule to see every target.

## Why it matters
The HPA does nothing: a renamed Deployment or a typo in the target leaves the workload at its
static replica count, and the HPA only reports `FailedGetScale` events nobody reads.

## Example
    kind: HorizontalPodAutoscaler
    spec:
      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web-api}   # it is `web`

## Use instead
    kind: HorizontalPodAutoscaler
    spec:
      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
"""

from gitops_gen.lint import SET, Finding, Severity, rule


@rule(code="K8S111", name="hpa-target-missing", severity=Severity.ERROR, scope=SET,
      kinds=("HorizontalPodAutoscaler",),
      remediation="Point scaleTargetRef at an existing workload, or remove the HPA.")
def check(index, opts):
    for hpa in index.of_kind("HorizontalPodAutoscaler"):
        target = hpa.facts["target"]
        if target is None:
            yield Finding("HorizontalPodAutoscaler has no scaleTargetRef", ("spec",), resource=hpa)
        elif index.get(target["kind"], hpa.namespace, target["name"]) is None:
            yield Finding(f"scaleTargetRef names {target['kind']} {target['name']!r}, which is "
                          "not in the linted files", ("spec", "scaleTargetRef", "name"),
                          resource=hpa)
