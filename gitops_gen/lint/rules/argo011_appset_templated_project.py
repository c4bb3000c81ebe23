"""ARGO011 appset-templated-project

## What it does
Flags ApplicationSets whose template takes the project from generator parameters. Flagged: a
`spec.template.spec.project` holding a template expression (`{{ ... }}`), or a
`spec.templatePatch` that sets `spec.project` (the patch is a template by design).

## Why it matters
The project is the security boundary of the Applications the set creates. Argo CD's
"ApplicationSet Security" page warns about the templated `project` field: anyone who can write
to a generator's source of truth (for example, push to the Git generator's repository) can
then create Applications in a more privileged project, and an Application in an unrestricted project such as `default` can
take over Argo CD itself, for example by editing its RBAC ConfigMap. When the project is not
hard-coded, admins must control every source of truth of every generator.

## Example
    apiVersion: argoproj.io/v1alpha1
    kind: ApplicationSet
    metadata: {name: teams, namespace: argocd}
    spec:
      goTemplate: true
      generators:
        - git:
            repoURL: https://github.com/acme/teams.git
            revision: main
            files: [{path: "teams/*.json"}]
      template:
        metadata: {name: "{{ .team }}-app"}
        spec:
          project: "{{ .project }}"     # written by whoever can push to acme/teams
          source: {repoURL: https://github.com/acme/gitops.git, path: "apps/{{ .team }}", targetRevision: main}
          destination: {server: https://kubernetes.default.svc, namespace: "{{ .team }}"}

## Use instead
    template:
      spec:
        project: teams                # one AppProject, written by the platform team
    # or one ApplicationSet per project, each with its project hard-coded
"""

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.argo import is_argo, is_templated, template_patch_sets_project
from gitops_gen.lint.k8s import get

PROJECT = ("spec", "template", "spec", "project")


@rule(code="ARGO011", name="appset-templated-project", severity=Severity.ERROR,
      kinds=("ApplicationSet",),
      remediation="Hard-code spec.template.spec.project, with one ApplicationSet per project if needed.")
def check(obj, opts):
    if not is_argo(obj):
        return
    project = get(obj, PROJECT)
    if is_templated(project):
        yield Finding(f"ApplicationSet takes its project from generator parameters ({project!r}): "
                      "whoever controls the generator's input chooses the project", PROJECT)
    if template_patch_sets_project(obj):
        yield Finding("ApplicationSet templatePatch sets the project: whoever controls the "
                      "generator's input can choose it", ("spec", "templatePatch"))
