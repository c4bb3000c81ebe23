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
from gitops_gen.lint.k8s import WORKLOAD_KINDS, containers, mapping


@rule(code="K8S104", name="cpu-request-missing", severity=Severity.WARNING, kinds=WORKLOAD_KINDS,
      remediation="Set resources.requests.cpu to what the container uses under normal load.")
def check(obj, opts):
    for container in containers(obj):
        resources = mapping(container.data.get("resources"))
        if _set(resources, "requests", "cpu") or _set(resources, "limits", "cpu"):
            continue
        yield Finding(f"{container.label} has no CPU request",
                      _deepest(container, "resources", "requests"))


def _set(resources, group, name):
    return mapping(resources.get(group)).get(name) not in (None, "")


def _deepest(container, *keys):
    """The path of the deepest mapping along `keys` that exists, from the container down."""
    path, data = container.path, container.data
    for key in keys:
        data = data.get(key)
        if not isinstance(data, dict):
            break
        path += (key,)
    return path
