"""K8S110 hpa-min-replicas-too-low

## What it does
Flags HorizontalPodAutoscalers (any `apiVersion`) whose `minReplicas` is below `min-replicas`
(default 2). A missing `minReplicas` means 1, as in Kubernetes; a `minReplicas` that is not a
number is a schema problem and is left alone.

## Why it matters
At night or on a quiet weekend the HPA scales the workload down to its minimum: with a single
replica every node drain, upgrade or spot interruption is then an outage, however many replicas
run at peak.

## Example
    kind: HorizontalPodAutoscaler
    spec:
      minReplicas: 1
      maxReplicas: 10

## Use instead
    kind: HorizontalPodAutoscaler
    spec:
      minReplicas: 2
      maxReplicas: 10
"""

from gitops_gen.lint import Finding, Option, Severity, rule
from gitops_gen.lint.k8s import mapping


@rule(code="K8S110", name="hpa-min-replicas-too-low", severity=Severity.WARNING,
      kinds=("HorizontalPodAutoscaler",),
      options={"min-replicas": Option(int, 2, "Fewest replicas the HPA may scale down to.",
                                      minimum=1)},
      remediation="Set minReplicas to at least two.")
def check(obj, opts):
    wanted = opts["min-replicas"]
    spec = obj.get("spec")
    low = mapping(spec).get("minReplicas")
    if low is None:
        if wanted > 1:
            yield Finding(f"no minReplicas (defaults to 1); at least {wanted} expected",
                          ("spec",) if isinstance(spec, dict) else ())
    elif isinstance(low, int) and not isinstance(low, bool) and low < wanted:
        yield Finding(f"minReplicas is {low}; at least {wanted} expected", ("spec", "minReplicas"))
