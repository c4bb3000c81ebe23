"""ARGO006 default-project

## What it does
Flags Argo CD Applications and ApplicationSet templates (`spec.template.spec`) in the
`default` project: `spec.project` is `default`, empty or missing. Argo CD puts an Application
with an empty project into `default` (the CRD: "The empty string means that application belongs to the
'default' project"). A templated project in an ApplicationSet is left to ARGO011, and so is a
template without a project whose `templatePatch` sets one.

## Why it matters
The `default` project is created with the most permissive specification: any source
repository, any destination cluster and namespace, and every cluster-scoped kind
(`sourceRepos: ['*']`, `destinations: [{server: '*', namespace: '*'}]`,
`clusterResourceWhitelist: [{group: '*', kind: '*'}]` in the Argo CD "Projects" docs). An
Application in it is limited by nothing but Argo CD's own RBAC, and can manage Argo CD itself.

## Example
    apiVersion: argoproj.io/v1alpha1
    kind: Application
    metadata: {name: orders, namespace: argocd}
    spec:
      project: default
      source: {repoURL: https://github.com/acme/gitops.git, path: apps/orders, targetRevision: main}
      destination: {server: https://kubernetes.default.svc, namespace: orders}

## Use instead
    spec:
      project: apps          # an AppProject listing exactly this repo and namespace
"""

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.argo import (APPLICATION_KINDS, application_spec, is_templated,
                                  template_patch_sets_project)

DEFAULT_PROJECT = "default"


@rule(code="ARGO006", name="default-project", severity=Severity.WARNING, kinds=APPLICATION_KINDS,
      remediation="Set spec.project to an AppProject scoped to the repositories, destinations and kinds the application needs.")
def check(obj, opts):
    spec = application_spec(obj)
    if spec is None:
        return
    if "project" not in spec.data:
        if not (spec.in_template and template_patch_sets_project(obj)):
            yield Finding(f"{spec.label} sets no project, so it belongs to the unrestricted "
                          f"'{DEFAULT_PROJECT}' project", spec.path, key=True)
        return
    project = spec.data["project"]
    if spec.in_template and is_templated(project):
        return
    if project in (None, "", DEFAULT_PROJECT):
        shown = "uses" if project == DEFAULT_PROJECT else "has an empty project, so it uses"
        yield Finding(f"{spec.label} {shown} the unrestricted '{DEFAULT_PROJECT}' project",
                      spec.path + ("project",))
