"""K8S106 memory-limit-missing

## What it does
Flags containers and init containers of workloads that set no memory limit. A memory request
does not imply a limit, and defaults from a namespace LimitRange are not seen.

## Why it matters
Memory is not compressible: a container without a limit that leaks or spikes takes memory from
every other pod on its node until the kernel's OOM killer or the kubelet's eviction picks victims,
often not the culprit.

## Example
    resources:
      requests: {cpu: 100m, memory: 256Mi}

## Use instead
    resources:
      requests: {cpu: 100m, memory: 256Mi}
      limits: {memory: 256Mi}
"""

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.k8s import WORKLOAD_KINDS, containers


@rule(code="K8S106", name="memory-limit-missing", severity=Severity.WARNING, kinds=WORKLOAD_KINDS,
      remediation="Set resources.limits.memory, usually equal to the memory request.")
def check(obj, opts):
    for container in containers(obj):
        if container.resource("limits", "memory") is not None:
            continue
        yield Finding(f"{container.label} has no memory limit",
                      container.at("resources", "limits", "memory"))

