"""K8S301 service-selector-no-match

## What it does
Flags Services whose `selector` matches the pod template of no workload in the same namespace
of the linted set. Services without a selector (manual Endpoints, ExternalName) are skipped.

## Why it matters
The Service has no endpoints: clients get connection refused and Ingresses return 503,
while every manifest looks fine on its own.

## Example
    kind: Service
    spec:
      selector: {app: web-api}     # the pods are labelled app: web

## Use instead
    kind: Service
    spec:
      selector: {app: web}
"""

from gitops_gen.lint import SET, Finding, Severity, rule


@rule(code="K8S301", name="service-selector-no-match", severity=Severity.ERROR, scope=SET,
      kinds=("Service",),
      remediation="Make the selector match the pod template labels of the workload it serves.")
def check(index, opts):
    for service in index.of_kind("Service"):
        selector = service.facts["selector"]
        if not selector or service.facts["type"] == "ExternalName":
            continue
        if not index.selected_by_map(service.namespace, selector):
            shown = ", ".join(f"{k}={v}" for k, v in selector.items())
            yield Finding(f"selector {shown} matches no pod template in the linted files",
                          ("spec", "selector"), resource=service)
