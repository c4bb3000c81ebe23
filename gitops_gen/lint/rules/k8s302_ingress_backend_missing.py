"""K8S302 ingress-backend-missing

## What it does
Flags Ingress backends (default backend and every rule path) that name a Service not in the
linted set in the Ingress's namespace. An AWS load balancer controller action backend (port
name `use-annotation`, with an `alb.ingress.kubernetes.io/actions.<backend name>` annotation
on the Ingress: a redirect, a fixed response, a weighted forward) is not a Service and is not
flagged; a `use-annotation` backend without its annotation is. Backends whose port
(`port.number` or `port.name`, `servicePort` in the old API) is not a port of that Service
(`ports[].port` or `ports[].name`) are flagged too; Services that list no ports (ExternalName)
are not checked for ports.

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

ALB_ACTION_PORT = "use-annotation"
"""The port name the AWS Load Balancer Controller reads as "take the action from annotations"."""


@rule(code="K8S302", name="ingress-backend-missing", severity=Severity.ERROR, scope=SET,
      kinds=("Ingress",),
      remediation="Point the backend at an existing Service in the Ingress's namespace.")
def check(index, opts):
    for ingress in index.of_kind("Ingress"):
        for service, path in ingress.facts["backends"]:
            if index.get("Service", ingress.namespace, service) is None:
                yield Finding(f"backend Service {service!r} is not in the linted files",
                              path, resource=ingress)
        yield from _ports_not_exposed(index, ingress)


def _ports_not_exposed(index, ingress):
    """Backends whose port the Service they name does not expose."""
    for service_name, port, path in ingress.facts["backend_ports"]:
        service = index.get("Service", ingress.namespace, service_name)
        ports = service.facts.get("ports") if service is not None else None
        if not ports or port == ALB_ACTION_PORT:
            continue
        field = 1 if isinstance(port, str) and not port.isdigit() else 0
        if any(str(exposed[field]) == str(port) for exposed in ports):
            continue
        exposed = ", ".join(str(p[field]) for p in ports if p[field] is not None) or "none"
        yield Finding(f"backend port {port!r} is not a port {'name' if field else 'number'} of "
                      f"Service {service_name!r} (it has: {exposed})", path, resource=ingress)
