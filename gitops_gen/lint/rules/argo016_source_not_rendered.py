"""ARGO016 source-not-rendered

## What it does
Flags an Application source that lint cannot render offline, so what it deploys is not linted:
a Git source in another repository, a config management plugin, a value file given by URL or
kept in another repository, or an ApplicationSet generator that needs a live service (SCM
provider, pull requests, cluster decision resources, plugins).

## Why it matters
A gate that passes because it did not look is worse than no gate. This warning says exactly
which part of the deployment was not checked, so the team can lint that repository in its own
pipeline or accept the gap knowingly (disable this rule for it in `.gitops-gen.yaml`).

## Example
    spec:
      source:
        repoURL: https://github.com/acme/other-team.git    # not this repository
        path: deploy/prod

## Use instead
    # lint github.com/acme/other-team in its own CI, and list this repository's URLs in
    # .gitops-gen.yaml (repo-urls) if it is known by several
"""

from gitops_gen.argo.apps import NOT_RENDERED
from gitops_gen.lint import APP, Finding, Severity, rule


@rule(code="ARGO016", name="source-not-rendered", severity=Severity.WARNING, scope=APP,
      kinds=("Application", "ApplicationSet"),
      remediation="Lint that source where it lives, or list this repository's URLs in repo-urls.")
def check(view, opts):
    for problem in view.problems(NOT_RENDERED):
        yield Finding(problem.message, problem.path)
