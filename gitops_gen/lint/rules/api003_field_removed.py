"""API003 field-removed

## What it does
Flags fields and settings that stop working at the target Kubernetes version (`target-version`,
by default the newest version EKS offers) although their apiVersion is still served: `gitRepo`
volumes (the kubelet refuses them from 1.36), IPs with leading zeros, IPv4-mapped IPv6 addresses
and CIDRs with bits set past the prefix in built-in kinds (strict validation from 1.36), and
host mounts of the Docker socket (EKS AMIs have no Docker from 1.24). Each message ends with
the change's id in gitops-gen's bundled table (`gitops-gen upgrade-check` lists them per hop).
Changes whose source is unverified are left to API004, which warns.

## Why it matters
The API server accepts the apiVersion, so API001 stays quiet, but the object fails after the
upgrade: a new or changed Service or NetworkPolicy with `192.168.0.5/24` is rejected (stored
objects are kept, so a rebuilt or blue/green cluster is where it fails), a pod with a gitRepo
volume never starts, and a tool that talks to `/var/run/docker.sock` finds no socket.

## Example
    kind: Service
    spec:
      type: LoadBalancer
      loadBalancerSourceRanges: ["10.0.0.5/8", "010.1.0.0/16"]

## Use instead
    kind: Service
    spec:
      type: LoadBalancer
      loadBalancerSourceRanges: ["10.0.0.0/8", "10.1.0.0/16"]
"""

from functools import lru_cache

from gitops_gen.lint import Finding, Option, Severity, rule
from gitops_gen.lint.field_changes import BREAKING, KINDS, in_effect, minor, uses
from gitops_gen.versions import TARGET_VERSION_HELP, default_k8s_version, field_changes, parse_minor


@rule(code="API003", name="field-removed", severity=Severity.ERROR, kinds=KINDS,
      options={"target-version": Option(str, None, TARGET_VERSION_HELP, parse=parse_minor)},
      remediation="Change the field to what the message names before upgrading the cluster.")
def check(obj, opts):
    changes = breaking_at(opts["target-version"])
    if not changes:
        return
    for use in uses(obj, changes):
        if use.change in changes:
            yield Finding(use.message, use.path, key=use.key)


def is_breaking(change: str) -> bool:
    """A verified change after which the object fails (the others only warn)."""
    return change in BREAKING and not field_changes()[change]["unverified"]


@lru_cache(maxsize=None)
def breaking_at(target_version: str | None) -> frozenset[str]:
    """The breaking changes in effect at `target_version` (default: the newest EKS offers):
    those API003 reports."""
    target = minor(target_version or default_k8s_version())
    return frozenset(change for change in field_changes()
                     if is_breaking(change) and in_effect(change, target))
