"""K8S104 cpu-request-missing

## What it does
Flags containers and init containers of workloads that set no CPU request. Kubernetes defaults a
missing request to the limit, so a container with `limits.cpu` but no `requests.cpu` does have a
CPU request and is not flagged. Defaults from a namespace LimitRange are not seen: set the
request in the manifest.

## Why it matters
The scheduler places pods by their requests: a container without a CPU request is scheduled as if
it needed nothing, lands on busy nodes, gets the smallest CPU share under contention and puts the
pod in the BestEffort or Burstable QoS class.

## Example
    resources:
      limits: {memory: 256Mi}

## Use instead
    resources:
      requests: {cpu: 100m, memory: 256Mi}
      limits: {memory: 256Mi}
"""

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.k8s import WORKLOAD_KINDS, containers


@rule(code="K8S104", name="cpu-request-missing", severity=Severity.WARNING, kinds=WORKLOAD_KINDS,
      remediation="Set resources.requests.cpu to what the container uses under normal load.")
def check(obj, opts):
    for container in containers(obj):
        if (container.resource("requests", "cpu") is not None
                or container.resource("limits", "cpu") is not None):
            continue
        yield Finding(f"{container.label} has no CPU request",
                      container.at("resources", "requests", "cpu"))

