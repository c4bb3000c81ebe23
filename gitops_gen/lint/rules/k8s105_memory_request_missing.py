"""K8S105 memory-request-missing

## What it does
Flags containers and init containers of workloads that set no memory request. Kubernetes defaults
a missing request to the limit, so a container with `limits.memory` but no `requests.memory` does
have a memory request and is not flagged. Defaults from a namespace LimitRange are not seen: set
the request in the manifest.

## Why it matters
The scheduler places pods by their requests: a container without a memory request is scheduled as
if it needed none, so nodes get overcommitted, and under memory pressure the kubelet evicts its
pod first.

## Example
    resources:
      requests: {cpu: 100m}

## Use instead
    resources:
      requests: {cpu: 100m, memory: 256Mi}
      limits: {memory: 256Mi}
"""

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.k8s import WORKLOAD_KINDS, containers


@rule(code="K8S105", name="memory-request-missing", severity=Severity.WARNING,
      kinds=WORKLOAD_KINDS,
      remediation="Set resources.requests.memory to what the container uses under normal load.")
def check(obj, opts):
    for container in containers(obj):
        if (container.resource("requests", "memory") is not None
                or container.resource("limits", "memory") is not None):
            continue
        yield Finding(f"{container.label} has no memory request",
                      container.at("resources", "requests", "memory"))

