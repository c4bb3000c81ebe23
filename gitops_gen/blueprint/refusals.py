"""What cannot work on EKS, found in a schema-valid blueprint: errors stop the render, warnings
do not.

- a Kubernetes version past the end of EKS extended support on `today` (error), or in extended
  support (warning: it costs more per cluster hour), from the bundled EKS calendar;
- an add-on chart version whose release does not support the environment's Kubernetes version,
  from the bundled add-on compatibility table (error; a warning where the project only lists
  what it tests, or the row is unverified; a chart version the table cannot place is skipped);
- a region that is not an AWS region (error, with the closest region);
- Karpenter's AMI alias on @latest in an environment marked production (error: pin it).
"""

from __future__ import annotations

import difflib
from datetime import date
from typing import Iterator, NamedTuple

from gitops_gen import versions
from gitops_gen.blueprint.addons import AddOn
from gitops_gen.blueprint.layers import Path
from gitops_gen.blueprint.model import Blueprint, Environment
from gitops_gen.blueprint.regions import aws_regions

PINNED_AMI_EXAMPLE = "al2023@v20260714"
"""An amazon-eks-ami release with AMIs for Kubernetes 1.30 to 1.36 (its CHANGELOG, 2026-07-14)."""


class Refusal(NamedTuple):
    warning: bool
    path: Path
    key: bool
    message: str
    hint: str


def refusals(blueprint: Blueprint, today: date) -> list[Refusal]:
    """Every refusal of the blueprint on `today`; one per cause, naming its environments."""
    by_cause: dict[tuple, tuple[str, list[str]]] = {}
    for environment in blueprint.environments:
        for refusal in _of_environment(environment, today):
            cause = refusal[:4]
            hint, names = by_cause.setdefault(cause, (refusal.hint, []))
            names.append(environment.name)
    found = [Refusal(warning, path, key, message.replace("{envs}", _environments(names)), hint)
             for (warning, path, key, message), (hint, names) in by_cause.items()]
    store = ((blueprint.data.get("addons") or {}).get("external-secrets") or {}).get(
        "clusterSecretStore") or {}
    if "region" in store:
        found.extend(_region(store["region"], ("addons", "external-secrets",
                                               "clusterSecretStore", "region")))
    return found


def _environments(names: list[str]) -> str:
    return ("environment " if len(names) == 1 else "environments ") + ", ".join(names)


def _of_environment(environment: Environment, today: date) -> Iterator[Refusal]:
    """The refusals of one environment; `{envs}` in a message names the environments."""
    cluster_path = environment.path + ("cluster",)
    yield from _region(environment.cluster.region, cluster_path + ("region",))
    yield from _calendar(environment.cluster.kubernetes_version,
                         cluster_path + ("kubernetesVersion",), today)
    for addon in environment.addons():
        yield from _compatibility(addon, environment.cluster.kubernetes_version)
    karpenter = environment.addon("karpenter")
    if environment.production and karpenter and karpenter.ami_alias.endswith("@latest"):
        written = "amiAlias" in karpenter.origin
        path = karpenter.origin["amiAlias"] if written else karpenter.path
        what = "" if written else " (the default)"
        yield Refusal(
            False, path, not written,
            f"karpenter's AMI alias {karpenter.ami_alias}{what} replaces every node with each "
            f"new AMI, unreviewed, in production {{envs}}",
            f"pin a release, e.g. amiAlias: {PINNED_AMI_EXAMPLE} under addons.karpenter (or "
            f"its environments.{environment.name}), and roll new AMIs out by pull request; or "
            "set production: false on the environment")


def _region(region: str, path: Path) -> Iterator[Refusal]:
    known = aws_regions()
    if region in known:
        return
    close = difflib.get_close_matches(region, list(known), n=1, cutoff=0.6)
    hint = (f"did you mean {close[0]!r}?" if close else
            "AWS regions look like eu-west-1, us-east-2, us-gov-west-1 or cn-north-1")
    yield Refusal(False, path, False, f"{region!r} is not an AWS region", hint)


def _calendar(version: str, path: Path, today: date) -> Iterator[Refusal]:
    support = versions.eks_support(version, today)
    if support is None or support[0] == versions.STANDARD:
        return
    status, row = support
    statuses = [(r["version"], versions.eks_support(r["version"], today))
                for r in versions.eks_versions() if r["offered"]]
    supported = [v for v, s in statuses if s is None or s[0] != versions.ENDED]
    standard = [v for v, s in statuses if s is None or s[0] == versions.STANDARD]
    unverified = " (calendar dates not confirmed by AWS)" if row["unverified"] else ""
    upgrade = f"upgrade to {standard[0]} or later" if standard else "upgrade"
    if status == versions.ENDED:
        offered = ""
        if supported:
            span = supported[0] if len(supported) == 1 else f"{supported[0]} to {supported[-1]}"
            offered = f"; EKS supports {span}"
        yield Refusal(
            False, path, False,
            f"Kubernetes {version} is past the end of EKS extended support on "
            f"{row['end_of_extended_support']}",
            f"EKS upgrades the control plane of such clusters on its own; "
            f"{upgrade}{offered}{unverified}")
    else:
        yield Refusal(
            True, path, False,
            f"Kubernetes {version} is in EKS extended support, which costs more per cluster "
            f"hour: standard support ended on {row['end_of_standard_support']}, extended "
            f"support ends on {row['end_of_extended_support']}",
            f"{upgrade} for standard support{unverified}")


def _compatibility(addon: AddOn, kubernetes: str) -> Iterator[Refusal]:
    placed = versions.addon_release(addon.name, addon.chart.version)
    if placed is None:
        return
    app_version, row, semantics = placed
    target = versions.parse_minor(kubernetes)
    low = versions.parse_minor(row["k8s_min"]) if row["k8s_min"] else None
    high = versions.parse_minor(row["k8s_max"]) if row["k8s_max"] else None
    if (low is None or target >= low) and (high is None or target <= high):
        return
    span = (f"{row['k8s_min']} to {row['k8s_max']}" if low and high else
            f"{row['k8s_min']} or later" if low else f"up to {row['k8s_max']}")
    if row["k8s_min"] == row["k8s_max"]:
        span = row["k8s_min"]
    release = addon.chart.version
    if app_version.lstrip("v") != release.lstrip("v"):
        release += f" (app {app_version})"
    path = addon.origin.get("version", addon.path + ("version",))
    if semantics == "tested":
        yield Refusal(True, path, False,
                      f"{addon.name} {release} is tested on Kubernetes {span} only, not "
                      f"{kubernetes}, in {{envs}}",
                      f"{addon.name} tests only these versions; check its release notes for "
                      f"{kubernetes}, or pin a release tested on it")
        return
    verb = "may not support" if row["unverified"] else "does not support"
    source = " (an unverified source)" if row["unverified"] else ""
    yield Refusal(row["unverified"], path, False,
                  f"{addon.name} {release} {verb} Kubernetes {kubernetes}, in {{envs}}",
                  f"{addon.name} {row['app_version']} supports Kubernetes {span}{source}: pin "
                  f"a release that supports {kubernetes}, or change the cluster's "
                  "kubernetesVersion")
