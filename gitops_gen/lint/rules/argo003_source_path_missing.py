"""ARGO003 source-path-missing

## What it does
Flags an Application source whose `path`, `valueFiles` entry or `$ref/...` value file does not
exist in this repository (or names a `ref:` no source has). `ignoreMissingValueFiles: true`
makes a missing value file allowed, as in Argo CD.

## Why it matters
Argo CD's repo-server fails to generate the manifests: the Application shows `ComparisonError`
and nothing syncs until someone fixes the path. A renamed folder or a typo in a values file
name is found here, on the pull request, instead of after the merge.

## Example
    spec:
      sources:
        - repoURL: https://charts.example.com
          chart: web
          targetRevision: 1.4.2
          helm:
            valueFiles: [$values/apps/web/values-prod.yml]   # the file is values-prod.yaml
        - repoURL: https://github.com/acme/gitops.git
          targetRevision: main
          ref: values

## Use instead
    helm:
      valueFiles: [$values/apps/web/values-prod.yaml]
"""

from gitops_gen.argo.apps import PATH_MISSING
from gitops_gen.lint import APP, Finding, Severity, rule


@rule(code="ARGO003", name="source-path-missing", severity=Severity.ERROR, scope=APP,
      kinds=("Application",),
      remediation="Fix the path or value file name, or add the file to the repository.")
def check(view, opts):
    for problem in view.problems(PATH_MISSING):
        yield Finding(problem.message, problem.path)
