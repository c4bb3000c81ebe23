"""K8S103 probe-port-not-exposed

## What it does
Flags a liveness, readiness or startup probe (`httpGet`, `tcpSocket` or `grpc`) whose port is
a name that is not a `ports[].name` of its container, or a number that is not a
`ports[].containerPort`. A container that declares no port numbers at all may probe any number
(declared ports are informational), but a named port still cannot resolve. Init containers are
checked too: sidecars (`restartPolicy: Always`) may have probes.

## Why it matters
A named port that does not resolve makes the API server reject the pod, or the kubelet fail the
probe for ever; a number that is not the port the container declares usually means the probe
checks the wrong port after a port change, and the pod is restarted or never becomes ready.

## Example
    ports:
      - {name: http, containerPort: 8080}
    livenessProbe:
      httpGet: {path: /healthz, port: web}

## Use instead
    ports:
      - {name: http, containerPort: 8080}
    livenessProbe:
      httpGet: {path: /healthz, port: http}
"""

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.k8s import WORKLOAD_KINDS, containers, mapping, sequence

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
HANDLERS = ("httpGet", "tcpSocket", "grpc")


@rule(code="K8S103", name="probe-port-not-exposed", severity=Severity.ERROR, kinds=WORKLOAD_KINDS,
      remediation="Probe a port the container declares in ports[], by its name or containerPort.")
def check(obj, opts):
    for container in containers(obj):
        declared = [p for p in sequence(container.data.get("ports")) if isinstance(p, dict)]
        names = {p.get("name") for p in declared if isinstance(p.get("name"), str)}
        numbers = {p.get("containerPort") for p in declared
                   if _is_number(p.get("containerPort"))}
        for probe in PROBES:
            for handler in HANDLERS:
                port = mapping(mapping(container.data.get(probe)).get(handler)).get("port")
                where = container.at(probe, handler, "port")
                if isinstance(port, str):
                    if port not in names:
                        yield Finding(f"{container.label} {probe} port {port!r} is not a named "
                                      "port of the container", where)
                elif _is_number(port) and numbers and port not in numbers:
                    yield Finding(f"{container.label} {probe} port {port} is not a "
                                  "containerPort of the container", where)


def _is_number(value):
    return isinstance(value, int) and not isinstance(value, bool)
