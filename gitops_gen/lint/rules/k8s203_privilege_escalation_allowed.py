"""K8S203 privilege-escalation-allowed

## What it does
Flags containers and init containers whose `securityContext.allowPrivilegeEscalation` is not
explicitly `false`; it defaults to true. Not checked: privileged containers and containers that
add `CAP_SYS_ADMIN`, for which the API server rejects `false` (K8S202 and K8S206 flag them), and
Windows pods (`spec.os.name: windows`), where the field does not exist.

## Why it matters
With escalation allowed, a setuid binary or file capability in the image lets a process gain
more privileges than its parent, e.g. turn a foothold as an app user into root.

## Example
    securityContext:
      runAsNonRoot: true

## Use instead
    securityContext:
      runAsNonRoot: true
      allowPrivilegeEscalation: false
"""

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.k8s import WORKLOAD_KINDS, linux_containers, mapping, sequence


def _adds_sys_admin(context: dict) -> bool:
    """Whether the API server would reject allowPrivilegeEscalation: false (it matches exactly)."""
    return "CAP_SYS_ADMIN" in sequence(mapping(context.get("capabilities")).get("add"))


@rule(code="K8S203", name="privilege-escalation-allowed", severity=Severity.ERROR,
      kinds=WORKLOAD_KINDS,
      remediation="Set securityContext.allowPrivilegeEscalation: false on every container.")
def check(obj, opts):
    for container in linux_containers(obj):
        context = mapping(container.data.get("securityContext"))
        if context.get("privileged") is True or _adds_sys_admin(context):
            continue
        value = context.get("allowPrivilegeEscalation")
        if value is False:
            continue
        if value is None:
            yield Finding(f"{container.label} does not set allowPrivilegeEscalation: false",
                          container.path)
        else:
            yield Finding(f"{container.label} allows privilege escalation",
                          container.at("securityContext", "allowPrivilegeEscalation"))
