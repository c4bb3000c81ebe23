"""ARGO004 project-wildcard

## What it does
Flags Argo CD AppProjects that grant everything through a `*` wildcard, one finding per entry.
Flagged: a `spec.sourceRepos` entry containing `*` (`*` itself, or a glob such as
`https://github.com/*`; deny entries starting with `!` pass), a `spec.destinations[]` entry
whose `server`, `name` or `namespace` is `*`, a `spec.clusterResourceWhitelist[]` entry whose
`group` or `kind` is `*`, a `spec.namespaceResourceWhitelist[]` entry whose `group` and `kind`
are both `*`, and a `spec.sourceNamespaces` entry `*`.

## Why it matters
The AppProject is what limits an Application: which repositories it may deploy from, to which
clusters and namespaces, and which kinds it may create. A wildcard hands that limit to whoever
can write to any matching repository or create an Application: cluster-scoped `*` lets an
Application create ClusterRoleBindings, webhooks and CRDs, a destination `*` reaches every
cluster Argo CD knows (including its own namespace and RBAC ConfigMap), and
`sourceNamespaces: ["*"]` lets Applications from any namespace join the project. A repository
glob that looks narrow, such as `https://github.com/acme/*`, still trusts every repository
created under it later. All wildcards together are the specification Argo CD gives the
`default` project when it creates it ("the most permissive", in the Projects docs).

## Example
    apiVersion: argoproj.io/v1alpha1
    kind: AppProject
    metadata: {name: team-a, namespace: argocd}
    spec:
      sourceRepos: ["*"]
      destinations:
        - {server: "*", namespace: "*"}
      clusterResourceWhitelist:
        - {group: "*", kind: "*"}

## Use instead
    spec:
      sourceRepos:
        - https://github.com/acme/team-a-gitops.git
      destinations:
        - {server: https://kubernetes.default.svc, namespace: team-a}
      clusterResourceWhitelist:
        - {group: "", kind: Namespace}
"""

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.argo import is_argo
from gitops_gen.lint.k8s import mapping, sequence

WILDCARD = "*"


@rule(code="ARGO004", name="project-wildcard", severity=Severity.ERROR, kinds=("AppProject",),
      remediation="List the repositories, destinations and kinds the project needs instead of '*'.")
def check(obj, opts):
    if not is_argo(obj):
        return
    spec = mapping(obj.get("spec"))
    for index, repo in enumerate(sequence(spec.get("sourceRepos"))):
        if isinstance(repo, str) and WILDCARD in repo and not repo.startswith("!"):
            yield Finding(f"AppProject sourceRepos[{index}] {repo!r} is a wildcard: Applications "
                          "may deploy from any repository it matches", ("spec", "sourceRepos", index))
    yield from _entries(spec, "destinations", _DESTINATION, any)
    yield from _entries(spec, "clusterResourceWhitelist", _RESOURCE, any)
    yield from _entries(spec, "namespaceResourceWhitelist", _RESOURCE, all)
    for index, namespace in enumerate(sequence(spec.get("sourceNamespaces"))):
        if namespace == WILDCARD:
            yield Finding("AppProject accepts Applications from every namespace "
                          "(sourceNamespaces '*')", ("spec", "sourceNamespaces", index))


_DESTINATION = {"server": "cluster", "name": "cluster", "namespace": "namespace"}
_RESOURCE = {"group": "API group", "kind": "kind"}


def _entries(spec: dict, field: str, nouns: dict[str, str], combine):
    """A finding per `field[]` entry where `combine` (any/all) of the `nouns` keys are `*`."""
    for index, entry in enumerate(sequence(spec.get(field))):
        entry = mapping(entry)
        if not combine(entry.get(key) == WILDCARD for key in nouns):
            continue
        wild = [key for key in nouns if entry.get(key) == WILDCARD]
        allowed = " and ".join(dict.fromkeys(nouns[key] for key in wild))
        settings = ", ".join(f"{key} '*'" for key in wild)
        yield Finding(f"AppProject {field}[{index}] allows every {allowed} ({settings})",
                      ("spec", field, index))
