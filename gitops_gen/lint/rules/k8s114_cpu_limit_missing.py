"""K8S114 cpu-limit-missing

## What it does
Flags containers and init containers of workloads that set no CPU limit. Off by default: turn
it on with `rules: {cpu-limit-missing: true}` in `.gitops-gen.yaml` (or `--select K8S114`)
when your policy wants CPU limits. A CPU request does not imply a limit, and defaults from a
namespace LimitRange are not seen.

It is off by default because a CPU limit is often worse than none: the kernel's CFS quota
throttles a container that reaches its limit in any 100 ms period, even on an idle node, which
shows up as latency spikes; a CPU request alone already guarantees the container its share.

## Why it matters
Some teams need a ceiling all the same: to keep a noisy neighbour from starving others on
shared nodes, to get the Guaranteed QoS class (requests equal to limits), or because a quota
in the namespace requires `limits.cpu`.

## Example
    resources:
      requests: {cpu: 250m, memory: 256Mi}
      limits: {memory: 256Mi}

## Use instead
    resources:
      requests: {cpu: 250m, memory: 256Mi}
      limits: {cpu: "1", memory: 256Mi}
"""

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.k8s import WORKLOAD_KINDS, containers


@rule(code="K8S114", name="cpu-limit-missing", severity=Severity.WARNING, kinds=WORKLOAD_KINDS,
      default_enabled=False,
      remediation="Set resources.limits.cpu, with room above the CPU request for bursts.")
def check(obj, opts):
    for container in containers(obj):
        if container.resource("limits", "cpu") is not None:
            continue
        yield Finding(f"{container.label} has no CPU limit",
                      container.at("resources", "limits", "cpu"))
