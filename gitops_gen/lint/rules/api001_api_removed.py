"""API001 api-removed

## What it does
Flags objects whose apiVersion and kind are no longer served at the target Kubernetes version
(`target-version`, by default the newest version EKS offers), and names the API to use instead.
The pair is matched, not the apiVersion alone, and `<Kind>List` follows its item kind. Add-on
API versions that the add-on's own release stopped serving are flagged at any target, with
that release and the replacement: legacy cert-manager versions (`certmanager.k8s.io`,
`cert-manager.io/v1alpha2` to `v1beta1`), `snapshot.storage.k8s.io/v1beta1`
(external-snapshotter 6.0), External Secrets' `v1alpha1` and `v1beta1` (0.16, 0.17), and
Karpenter's `v1alpha5`/`v1alpha1` (0.33) and `v1beta1` (1.1).
Removals whose date is unverified (one source only, or sources that disagree) are left to
API002, which warns about them.

## Why it matters
The API server rejects the object: `kubectl apply`, Helm and Argo CD fail with "no matches for
kind" once the cluster is upgraded, and an upgrade with such objects in Git leaves the
application half synced. Find them before the control plane upgrade, not after.

## Example
    apiVersion: autoscaling/v2beta2      # removed in 1.26
    kind: HorizontalPodAutoscaler

## Use instead
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    # and move fields that changed between versions (e.g. targetAverageUtilization ->
    # target.averageUtilization); `kubectl convert` can help.
"""

from gitops_gen.lint import Finding, Option, Severity, rule
from gitops_gen.versions import (REMOVED, TARGET_VERSION_HELP, advice, lifecycle_at, parse_minor,
                                 when)


@rule(code="API001", name="api-removed", severity=Severity.ERROR, kinds=None,
      options={"target-version": Option(str, None, TARGET_VERSION_HELP, parse=parse_minor)},
      remediation="Move the object to the replacement apiVersion before upgrading the cluster.")
def check(obj, opts):
    found = lifecycle_at(obj, opts["target-version"])
    if found is None:
        return
    row, target, status = found
    if status == REMOVED and not row["unverified"]:
        yield Finding(f"{obj['apiVersion']} {obj['kind']} was removed in "
                      f"{when(row, 'removed_in')}; {advice(row, target)}", ("apiVersion",))
