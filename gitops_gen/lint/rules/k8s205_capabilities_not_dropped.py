"""K8S205 capabilities-not-dropped

## What it does
Flags containers and init containers whose `securityContext.capabilities.drop` does not contain
`ALL` (in any case). Windows pods (`spec.os.name: windows`) are not checked: they have no
Linux capabilities.

## Why it matters
The container runtime's default set keeps capabilities few applications need, such as
`NET_RAW` (packet spoofing) and `CHOWN`, `SETUID`, `SETGID`. Dropping all of them and adding
back only what is needed leaves an attacker nothing to work with.

## Example
    securityContext:
      capabilities:
        drop: [NET_RAW]

## Use instead
    securityContext:
      capabilities:
        drop: [ALL]
        add: [NET_BIND_SERVICE]   # only if the container binds a port below 1024
"""

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.k8s import WORKLOAD_KINDS, linux_containers, mapping, sequence


@rule(code="K8S205", name="capabilities-not-dropped", severity=Severity.WARNING,
      kinds=WORKLOAD_KINDS,
      remediation="Add securityContext.capabilities.drop: [ALL] and add back only the capabilities needed.")
def check(obj, opts):
    for container in linux_containers(obj):
        capabilities = mapping(mapping(container.data.get("securityContext")).get("capabilities"))
        drop = capabilities.get("drop")
        if any(isinstance(c, str) and c.upper() == "ALL" for c in sequence(drop)):
            continue
        if drop is None:
            yield Finding(f"{container.label} does not drop all capabilities", container.path)
        else:
            yield Finding(f"{container.label} does not drop all capabilities",
                          container.at("securityContext", "capabilities", "drop"), key=True)
