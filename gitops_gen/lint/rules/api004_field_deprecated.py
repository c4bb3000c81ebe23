"""API004 field-deprecated

## What it does
Flags fields, annotations and habits that Kubernetes or EKS deprecated, or that stop having an
effect, at the target Kubernetes version (`target-version`, by default the newest version EKS
offers), although the object itself still applies: Service `externalIPs` (1.36), RBAC rules that
grant v1 `endpoints` (1.33) or the `use` of PodSecurityPolicies (1.25), the seccomp (1.27) and
AppArmor (1.30) annotations, the ServiceAccount annotation
`kubernetes.io/enforce-mountable-secrets` (1.32), PersistentVolumeClaims without a
`storageClassName` (EKS 1.30 clusters have no default StorageClass), a kube-proxy ConfigMap in
`ipvs` mode (1.35) and ingress-nginx controller images (retired in March 2026). Each message ends
with the change's id in gitops-gen's bundled table. Opt-in for lint (enable it in the config or
with `--select API004`); `gitops-gen upgrade-check` always reports it, hop by hop.

## Why it matters
Nothing fails on the day of the upgrade, which is why these are missed: the API server warns on
every sync, the seccomp or AppArmor profile silently stops applying, a new cluster leaves claims
pending without a default StorageClass, and a retired controller gets no security fixes.

## Example
    kind: Deployment
    spec:
      template:
        metadata:
          annotations:
            seccomp.security.alpha.kubernetes.io/pod: runtime/default

## Use instead
    kind: Deployment
    spec:
      template:
        spec:
          securityContext:
            seccompProfile: {type: RuntimeDefault}
"""

from functools import lru_cache

from gitops_gen.lint import Finding, Option, Severity, rule
from gitops_gen.lint.field_changes import KINDS, in_effect, minor, uses
from gitops_gen.lint.rules.api003_field_removed import is_breaking
from gitops_gen.versions import (TARGET_VERSION_HELP, default_k8s_version, field_changes,
                                 parse_minor)


@rule(code="API004", name="field-deprecated", severity=Severity.WARNING, kinds=KINDS,
      options={"target-version": Option(str, None, TARGET_VERSION_HELP, parse=parse_minor)},
      remediation="Move to what the message names; it keeps working on later versions.",
      default_enabled=False)
def check(obj, opts):
    changes = warned_at(opts["target-version"])
    if not changes:
        return
    for use in uses(obj, changes):
        if use.change in changes:
            yield Finding(use.message, use.path, key=use.key)


@lru_cache(maxsize=None)
def warned_at(target_version: str | None) -> frozenset[str]:
    """The changes in effect at `target_version` (default: the newest EKS offers) that API004
    warns about (all but the breaking ones)."""
    target = minor(target_version or default_k8s_version())
    return frozenset(change for change in field_changes()
                     if not is_breaking(change) and in_effect(change, target))
