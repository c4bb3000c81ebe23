"""API002 api-deprecated

## What it does
Warns about objects whose apiVersion and kind are deprecated at the target Kubernetes version
(`target-version`, by default the newest version EKS offers) but still served, and says when they
go away and what to use instead. It also warns, without failing a default run, about removals
whose date is unverified (one source only, sources that disagree, or a release not yet out).

## Why it matters
A deprecated API works today and breaks at a known upgrade. The API server already sends
deprecation warnings that nobody reads in a GitOps pipeline; moving now, while both versions are
served, is a plain edit instead of an outage during the next EKS upgrade.

## Example
    apiVersion: policy/v1beta1           # deprecated in 1.21, removed in 1.25
    kind: PodDisruptionBudget

## Use instead
    apiVersion: policy/v1
    kind: PodDisruptionBudget
    # in policy/v1 an empty selector matches every pod of the namespace
"""

from gitops_gen.lint import Finding, Option, Severity, rule
from gitops_gen.versions import (DEPRECATED, REMOVED, TARGET_VERSION_HELP, advice, lifecycle_at,
                                 parse_minor, when)


@rule(code="API002", name="api-deprecated", severity=Severity.WARNING, kinds=None,
      options={"target-version": Option(str, None, TARGET_VERSION_HELP, parse=parse_minor)},
      remediation="Move the object to the replacement apiVersion while both are served.")
def check(obj, opts):
    found = lifecycle_at(obj, opts["target-version"])
    if found is None:
        return
    row, target, status = found
    what = f"{obj['apiVersion']} {obj['kind']}"
    if status == REMOVED and row["unverified"]:
        message = f"{what} was removed in {when(row, 'removed_in')} (the date is unverified)"
    elif status == DEPRECATED:
        message = f"{what} is deprecated since {when(row, 'deprecated_in')}"
        if row["removed_in"]:
            removal = "planned for removal" if row["planned"] else "removed"
            message += f" and {removal} in {when(row, 'removed_in')}"
        else:
            message += " (no removal scheduled)"
        if row["unverified"]:
            message += " (the dates are unverified)"
    else:
        return
    yield Finding(f"{message}; {advice(row, target)}", ("apiVersion",))
