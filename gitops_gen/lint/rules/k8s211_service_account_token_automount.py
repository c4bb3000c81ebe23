"""K8S211 service-account-token-automount

## What it does
Flags pod specs that leave `automountServiceAccountToken` unset while their service account
(`serviceAccountName`, else `default`) is bound to no role: no RoleBinding or
ClusterRoleBinding of the linted set names it (directly, or through the groups
`system:serviceaccounts[:<namespace>]`), and its ServiceAccount in the set does not set
`automountServiceAccountToken: false`. An explicit `true` on the pod is a choice, not an
oversight, and a bound service account means the pod talks to the API: neither is flagged.

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

from gitops_gen.lint import SET, Finding, Severity, rule
from gitops_gen.lint.k8s import POD_SPEC_PATHS, WORKLOAD_KINDS


@rule(code="K8S211", name="service-account-token-automount", severity=Severity.WARNING,
      scope=SET, kinds=WORKLOAD_KINDS,
      remediation="Set automountServiceAccountToken: false in the pod spec unless the pod calls the Kubernetes API.")
def check(index, opts):
    unbound: dict[tuple, bool] = {}
    """{(namespace, service account): whether its token is flagged}, asked once each."""
    for workload in index.workloads():
        token = workload.facts["token"]
        if token is None or token[1] is not None:
            continue
        account = token[0]
        key = (workload.namespace, account)
        flagged = unbound.get(key)
        if flagged is None:
            flagged = unbound[key] = _unbound(index, *key)
        if not flagged:
            continue
        yield Finding(f"pod mounts a token of service account {account!r}, which no binding in "
                      "the linted files grants a role (automountServiceAccountToken not set)",
                      POD_SPEC_PATHS[workload.kind], resource=workload)


def _unbound(index, namespace, account) -> bool:
    """Whether the service account neither sets automountServiceAccountToken: false nor is
    bound to a role."""
    own = index.get("ServiceAccount", namespace, account)
    if own is not None and own.facts["automount"] is False:
        return False
    return not index.is_bound(namespace, account)
