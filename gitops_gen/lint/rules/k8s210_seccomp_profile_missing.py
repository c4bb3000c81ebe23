"""K8S210 seccomp-profile-missing

## What it does
Flags containers and init containers whose effective seccomp profile is not `RuntimeDefault` or
`Localhost`: neither the container's nor the pod's `securityContext.seccompProfile.type` sets
one (the container's wins), or it is `Unconfined`. The seccomp annotations, removed in
Kubernetes 1.27, are not read. Windows pods (`spec.os.name: windows`) are not checked.

## Why it matters
Kubernetes runs containers Unconfined by default: every system call of the kernel is open to
them, including the rarely needed ones most container escapes go through.

## Example
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.4.2

## Use instead
    spec:
      securityContext:
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: web
          image: registry.example.com/web:1.4.2
"""

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.k8s import (WORKLOAD_KINDS, containers, is_windows, mapping, pod_spec,
                                 security_setting)

CONFINED = ("RuntimeDefault", "Localhost")



@rule(code="K8S210", name="seccomp-profile-missing", severity=Severity.WARNING,
      kinds=WORKLOAD_KINDS,
      remediation="Set securityContext.seccompProfile.type: RuntimeDefault in the pod spec.")
def check(obj, opts):
    found = pod_spec(obj)
    if found is None:
        return
    spec_path, spec = found
    if is_windows(spec):
        return
    for container in containers(obj):
        profile, where = security_setting(spec_path, spec, container, "seccompProfile")
        if where is None:
            yield Finding(f"{container.label} has no seccomp profile", container.path)
            continue
        kind = mapping(profile).get("type")
        if kind in CONFINED:
            continue
        if kind is None:
            yield Finding(f"{container.label} has a seccomp profile without a type", where)
        else:
            yield Finding(f"{container.label} runs with seccomp profile {kind!r}",
                          where + ("type",))
