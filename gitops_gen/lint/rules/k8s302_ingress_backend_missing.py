"""K8S302 ingress-backend-missing

## What it does
Flags Ingress backends (default backend and every rule path) that name a Service not in the
linted set in the Ingress's namespace. An AWS load balancer controller action backend (port
name `use-annotation`, with an `alb.ingress.kubernetes.io/actions.<backend name>` annotation
on the Ingress: a redirect, a fixed response, a weighted forward) is not a Service and is not
flagged; a `use-annotation` backend without its annotation is.

## Why it matters
The load balancer answers 503 for that path; with the AWS Load Balancer Controller the
whole Ingress group may fail to reconcile.

## Example
    backend:
      service:
        name: web-svc      # the Service is called web

## Use instead
    backend:
      service:
        name: web
        port: {name: http}
"""

from gitops_gen.lint import SET, Finding, Severity, rule


@rule(code="K8S302", name="ingress-backend-missing", severity=Severity.ERROR, scope=SET,
      kinds=("Ingress",),
      remediation="Point the backend at an existing Service in the Ingress's namespace.")
def check(index, opts):
    for ingress in index.of_kind("Ingress"):
        for service, path in ingress.facts["backends"]:
            if index.get("Service", ingress.namespace, service) is None:
                yield Finding(f"backend Service {service!r} is not in the linted files",
                              path, resource=ingress)
