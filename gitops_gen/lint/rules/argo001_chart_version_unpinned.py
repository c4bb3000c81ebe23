"""ARGO001 chart-version-unpinned

## What it does
Flags Helm chart sources of Argo CD Applications and ApplicationSet templates whose
`targetRevision` is not one exact chart version. Checked: every source with `chart:` set, in
`spec.source` and each `spec.sources[]` item of an Application or of an ApplicationSet's
`spec.template.spec`. Not exact: a missing or empty `targetRevision`, `*`, `latest`, `HEAD`, a
semver range or constraint (`^1.2`, `~1.2`, `>=1.0`, `1.x`, `1.2.*`, `1.0 - 2.0`, `a || b`),
or a partial version such as `1.2`. An exact version passes, with or without a leading `v` and
with pre-release or build metadata (`v1.2.3-rc.1+build.5`), and so does the constraint
`=1.2.3`, which only that version satisfies. In an ApplicationSet, values with a
template expression (`{{ ... }}`) are generator parameters and are not judged; `templatePatch`
is not read.

## Why it matters
For a Helm chart, `targetRevision` is the chart version, and Argo CD reads anything that does
not parse as a version as a semver constraint: it resolves the constraint against the
repository's index to the newest matching chart (the "Tracking and Deployment Strategies" page
of the Argo CD docs lists `1.2.*`, `>=1.2.0 <1.3.0` and `*` for tracking patches, minors and
the latest; the repo server's `newHelmClientResolveRevision` does the resolving). A partial
version such as `1.2` passes Argo CD as a version but goes to Helm as written, and Helm's
repository index lookup reads any version that is not listed verbatim as a semver constraint,
where `1.2` means `~1.2`: the newest 1.2.x. So a chart release upstream changes what runs in
the cluster without a commit, rollbacks in Git do not roll back, and staging and prod can run
different charts from the same manifest.

## Example
    apiVersion: argoproj.io/v1alpha1
    kind: Application
    metadata: {name: cert-manager, namespace: argocd}
    spec:
      project: platform
      source:
        repoURL: https://charts.jetstack.io
        chart: cert-manager
        targetRevision: 1.x          # or ^1.16, *, latest
      destination: {server: https://kubernetes.default.svc, namespace: cert-manager}

## Use instead
    spec:
      source:
        repoURL: https://charts.jetstack.io
        chart: cert-manager
        targetRevision: 1.16.2       # and let Renovate or Dependabot propose upgrades
"""

import re

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.argo import APPLICATION_KINDS, application_spec, is_templated, sources
from gitops_gen.lint.model import format_path

_IDENTIFIERS = r"[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*"
_EXACT_VERSION = re.compile(rf"^(?:=\s*)?v?\d+\.\d+\.\d+(?:-{_IDENTIFIERS})?(?:\+{_IDENTIFIERS})?$")
_PARTIAL_VERSION = re.compile(r"^v?\d+(?:\.\d+)?$")
_RANGE = re.compile(r"[*^~<>=!|,]|\s-\s|(?:^v?|\.)[xX](?:\.|$)")
"""Operators, wildcards, `a - b` hyphen ranges and `x` segments of semver constraints."""


@rule(code="ARGO001", name="chart-version-unpinned", severity=Severity.ERROR,
      kinds=APPLICATION_KINDS,
      remediation="Set targetRevision to one exact chart version, such as 1.16.2.")
def check(obj, opts):
    spec = application_spec(obj)
    if spec is None:
        return
    for source in sources(spec):
        chart = source.data.get("chart")
        if chart is None or chart == "":
            continue
        where = f"Helm chart {chart!r} in {format_path(source.path)}"
        if "targetRevision" not in source.data:
            yield Finding(f"{where} sets no targetRevision, so no chart version is pinned",
                          source.path, key=True)
            continue
        value = source.data["targetRevision"]
        if spec.in_template and is_templated(value):
            continue
        revision = "" if value is None else str(value).strip()
        problem = _problem(revision)
        if problem:
            yield Finding(f"{where} {problem}", source.at("targetRevision"))


def _problem(revision: str) -> str | None:
    """Why a chart's targetRevision is not one exact version, or None when it is."""
    if revision == "":
        return "has an empty targetRevision, so no chart version is pinned"
    if _EXACT_VERSION.match(revision):
        return None
    if _PARTIAL_VERSION.match(revision):
        return (f"has the partial version {revision!r} as targetRevision, which Helm reads as "
                f"the range ~{revision.lstrip('v')}: the newest matching chart is deployed")
    if _RANGE.search(revision):
        return (f"has the version range {revision!r} as targetRevision: Argo CD deploys the "
                "newest matching chart")
    return f"has targetRevision {revision!r}, which is not a chart version"
