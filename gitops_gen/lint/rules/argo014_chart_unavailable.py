"""ARGO014 chart-unavailable

## What it does
Flags an Application whose remote Helm chart (`repoURL` + `chart` + `targetRevision`) is not in
the chart cache (`--charts-dir`, by default `~/.cache/gitops-gen/charts`), so lint cannot render
it. The message names the chart, its repository and where to put it: `gitops-gen charts pull`
fills the cache when the machine is online.

## Why it matters
Lint works offline. Without the chart, nothing the Application deploys is checked: this warning
makes sure that gap is never a silent pass.

## Example
    spec:
      source:
        repoURL: https://argoproj.github.io/argo-helm
        chart: argo-cd
        targetRevision: 10.1.1     # argo-cd-10.1.1.tgz is not in the chart cache

## Use instead
    gitops-gen charts pull .          # then lint again
"""

from gitops_gen.argo.apps import CHART_UNAVAILABLE
from gitops_gen.lint import APP, Finding, Severity, rule


@rule(code="ARGO014", name="chart-unavailable", severity=Severity.WARNING, scope=APP,
      kinds=("Application",),
      remediation="Run `gitops-gen charts pull`, or put the chart archive in the chart cache.")
def check(view, opts):
    for problem in view.problems(CHART_UNAVAILABLE):
        yield Finding(problem.message, problem.path)
