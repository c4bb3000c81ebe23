"""K8S211 service-account-token-automount

## What it does
Flags pod specs that do not set `automountServiceAccountToken: false`. Only the pod spec is
read: a ServiceAccount with `automountServiceAccountToken: false` is not taken into account, so
set it on the pod as well (the pod's setting wins anyway).

## Why it matters
By default every container gets an API token of its service account mounted. Most applications
never talk to the Kubernetes API; for them the token only helps an attacker move from a
compromised container to the cluster.

## Example
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.4.2

## Use instead
    spec:
      automountServiceAccountToken: false
      containers:
        - name: web
          image: registry.example.com/web:1.4.2
"""

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.k8s import WORKLOAD_KINDS, get, pod_spec


@rule(code="K8S211", name="service-account-token-automount", severity=Severity.WARNING,
      kinds=WORKLOAD_KINDS,
      remediation="Set automountServiceAccountToken: false in the pod spec unless the pod calls the Kubernetes API.")
def check(obj, opts):
    found = pod_spec(obj)
    if found is None or not isinstance(get(obj, found[0]), dict):
        return
    spec_path, spec = found
    value = spec.get("automountServiceAccountToken")
    if value is False:
        return
    if value is None:
        yield Finding("pod mounts a service account token (automountServiceAccountToken not false)",
                      spec_path)
    else:
        yield Finding("pod mounts a service account token (automountServiceAccountToken: "
                      f"{value!r})", spec_path + ("automountServiceAccountToken",))
