"""ARGO015 render-failed

## What it does
Reports an Application (or ApplicationSet) that Argo CD could not render: `helm template` or
`kustomize build` fails, its values are not valid YAML, a Helm parameter cannot be parsed, or an
ApplicationSet's template or generator fails. The message carries the tool's own error.

## Why it matters
Argo CD shows the same error as `ComparisonError` and syncs nothing for that Application. A
required chart value left out, a kustomization pointing at a deleted file or a template typo is
caught before the merge.

## Example
    spec:
      source:
        chart: aws-load-balancer-controller
        helm:
          valuesObject: {}      # the chart requires clusterName

## Use instead
    helm:
      valuesObject:
        clusterName: prod-eks
"""

from gitops_gen.argo.apps import RENDER_FAILED
from gitops_gen.lint import APP, Finding, Severity, rule


@rule(code="ARGO015", name="render-failed", severity=Severity.ERROR, scope=APP,
      kinds=("Application", "ApplicationSet"),
      remediation="Fix the error the renderer reports; run helm template or kustomize build "
      "to reproduce it.")
def check(view, opts):
    for problem in view.problems(RENDER_FAILED):
        yield Finding(problem.message, problem.path)
