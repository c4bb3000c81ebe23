"""K8S103 probe-port-not-exposed

## What it does
Flags a liveness, readiness or startup probe (`httpGet` or `tcpSocket`) whose port is a name
that is not a `ports[].name` of its container. The kubelet resolves a named probe port against
the probed container's own `ports[]` only. A numeric port is never flagged, declared or not:
the kubelet probes any port, `ports[]` is informational, and separate health ports (a metrics
or admin port left out of `ports[]`) are common. Init containers are checked too: sidecars
(`restartPolicy: Always`) may have probes.

## Why it matters
A named port that does not resolve fails the probe for ever: the container is restarted in a
loop (liveness) or never becomes ready (readiness, startup).

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
from gitops_gen.lint.k8s import WORKLOAD_KINDS, containers, sequence

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
HANDLERS = ("httpGet", "tcpSocket")


@rule(code="K8S103", name="probe-port-not-exposed", severity=Severity.ERROR, kinds=WORKLOAD_KINDS,
      remediation="Probe a port the container declares in ports[], by its name or containerPort.")
def check(obj, opts):
    for container in containers(obj):
        data = container.data
        names = None
        for probe in PROBES:
            actions = data.get(probe)
            if not isinstance(actions, dict):
                continue
            for handler in HANDLERS:
                action = actions.get(handler)
                port = action.get("port") if isinstance(action, dict) else None
                if not isinstance(port, str):
                    continue
                if names is None:
                    names = port_names(data)
                if port not in names:
                    yield Finding(f"{container.label} {probe} port {port!r} is not a named "
                                  "port of the container", container.at(probe, handler, "port"))


def port_names(container: dict) -> set[str]:
    """The names of the ports a container declares."""
    return {port["name"] for port in sequence(container.get("ports"))
            if isinstance(port, dict) and isinstance(port.get("name"), str)}
