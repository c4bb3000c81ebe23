"""K8S201 run-as-root

## What it does
Flags containers and init containers that may run as root: the effective `runAsNonRoot` is not
`true`, or the effective `runAsUser` is `0`. The container's `securityContext` wins over the
pod's, as in the kubelet. `runAsUser: 0` is flagged even with `runAsNonRoot: true` (the kubelet
would then refuse to start the container). A non-zero `runAsUser` is not flagged: the kubelet
starts the process as that user, whatever the image says, so it does not run as root (the
restricted Pod Security Standard still wants `runAsNonRoot: true` as well).

## Why it matters
Root in a container is root on the node's kernel: one container escape, or a writable host
mount, and the attacker owns the node and every secret mounted on it.

## Example
    securityContext:
      runAsUser: 0

## Use instead
    securityContext:
      runAsNonRoot: true
      runAsUser: 10001
"""

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.k8s import (WORKLOAD_KINDS, containers, pod_spec, security_setting,
                                 yaml_value)



@rule(code="K8S201", name="run-as-root", severity=Severity.ERROR, kinds=WORKLOAD_KINDS,
      remediation="Set securityContext.runAsNonRoot: true and a non-zero runAsUser, in the pod or the container.")
def check(obj, opts):
    found = pod_spec(obj)
    if found is None:
        return
    spec_path, spec = found
    for container in containers(obj):
        user, user_at = security_setting(spec_path, spec, container, "runAsUser")
        if user == 0 and not isinstance(user, bool):
            yield Finding(f"{container.label} runs as root (runAsUser: 0)", user_at)
            continue
        if isinstance(user, int) and not isinstance(user, bool) and user > 0:
            continue
        non_root, non_root_at = security_setting(spec_path, spec, container, "runAsNonRoot")
        if non_root is True:
            continue
        if non_root_at is None:
            yield Finding(f"{container.label} may run as root: runAsNonRoot is not set",
                          container.path)
        else:
            yield Finding(f"{container.label} may run as root: runAsNonRoot is "
                          f"{yaml_value(non_root)}",
                          non_root_at)
