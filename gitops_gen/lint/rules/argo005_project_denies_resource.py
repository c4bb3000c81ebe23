"""ARGO005 project-denies-resource

## What it does
Flags an Application whose AppProject does not allow what the Application deploys. The project
must be written or rendered in this repository (others are not judged), and the matching is
Argo CD's own: each source `repoURL` against `sourceRepos` (globs, `!` deny entries), the
destination cluster and namespace, and the namespace of every namespaced object it deploys,
against `destinations` (globs, `!` deny entries; Argo CD looks up the `name` of a cluster given
by `server` in its cluster Secrets, and the reverse, so such a destination is judged only when
no project destination uses the missing field; `in-cluster` is
`https://kubernetes.default.svc`), each cluster-scoped object against
`clusterResourceWhitelist` (with its `name` globs) and `clusterResourceBlacklist` (the
destination's Namespace too, with `CreateNamespace=true`: Argo CD checks the Namespace it
creates like any other object; `default` and `kube-*` exist already), and each namespaced
object against `namespaceResourceWhitelist` and `namespaceResourceBlacklist`. An empty or
absent `clusterResourceWhitelist` allows no cluster-scoped kind; an absent
`namespaceResourceWhitelist` allows every namespaced kind, an empty one none. One finding per
refused repository, namespace and group/kind, naming an object.

## Why it matters
Argo CD refuses the Application (`InvalidSpecError`, for a repository or destination) or fails
its sync (`resource ... is not permitted in project`) on the cluster, after the merge; with an
app-of-apps the failure shows up on a child nobody is watching. Checking the project against
what the charts and overlays really render finds the ClusterRole a chart upgrade added or the
namespace an overlay moved to, on the pull request.

## Example
    kind: AppProject
    metadata: {name: apps}
    spec:
      sourceRepos: [https://github.com/acme/gitops.git]
      destinations: [{server: https://kubernetes.default.svc, namespace: web}]
    ---
    kind: Application
    spec:
      project: apps                   # the chart also renders a ClusterRole: refused
      destination: {server: https://kubernetes.default.svc, namespace: web}

## Use instead
    kind: AppProject
    spec:
      clusterResourceWhitelist:
        - {group: rbac.authorization.k8s.io, kind: ClusterRole}
"""

from gitops_gen.argo.apps import IN_CLUSTER
from gitops_gen.argo.matching import (IN_CLUSTER_NAME, ObjectKey, destination_permitted,
                                      resource_denial, source_permitted)
from gitops_gen.lint import APP, Finding, Severity, rule
from gitops_gen.lint.k8s import mapping, sequence

PROJECT = ("spec", "project")
CREATE_NAMESPACE = "CreateNamespace=true"
CLUSTER_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
"""Namespaces every cluster has: CreateNamespace=true finds them and creates nothing."""


@rule(code="ARGO005", name="project-denies-resource", severity=Severity.ERROR, scope=APP,
      kinds=("Application",),
      remediation="Allow the repository, namespace or kind in the AppProject, or deploy it "
                  "from an Application whose project allows it.")
def check(view, opts):
    project = view.project()
    if project is None:
        return
    app, name = view.app, view.app.project
    for repo in dict.fromkeys(s.repo_url for s in app.sources() if s.repo_url):
        if not source_permitted(project, repo):
            yield Finding(f"AppProject {name} does not allow the repository {repo} "
                          "(sourceRepos)", PROJECT)
    keys = [key for key, _ in view.keyed()]
    yield from _namespaces(app, project, keys)
    yield from _kinds(app, project, keys, view.cluster_scoped_kinds())


def _namespaces(app, project: dict, keys: list[ObjectKey]):
    """A finding per namespace (the destination's, then the objects') the project refuses."""
    destination = app.destination
    server = str(destination["server"]) if destination.get("server") else None
    cluster = str(destination["name"]) if destination.get("name") else None
    if server == IN_CLUSTER and not cluster:
        cluster = IN_CLUSTER_NAME
    elif cluster == IN_CLUSTER_NAME and not server:
        server = IN_CLUSTER
    unknown = "server" if not server else "name" if not cluster else None
    if unknown and (not (server or cluster) or any(
            mapping(entry).get(unknown) for entry in sequence(
                mapping(project.get("spec")).get("destinations")))):
        return  # Argo CD resolves the other half from its cluster Secrets: not known here
    own = app.destination_namespace or ""
    found: dict[str, list[ObjectKey]] = {own: []}
    for key in keys:
        if key.namespace is not None:
            found.setdefault(key.namespace, []).append(key)
    for namespace, objects in found.items():
        if destination_permitted(project, server, cluster, namespace):
            continue
        what = (f"its destination namespace {namespace!r}" if namespace == own
                else f"namespace {namespace!r} ({objects[0]}{_more(objects)})")
        yield Finding(f"AppProject {app.project} does not allow {what} on cluster "
                      f"{server or cluster} (destinations)", PROJECT)


def _kinds(app, project: dict, keys: list[ObjectKey], cluster_kinds: frozenset[str]):
    """A finding per group/kind the project's resource lists refuse."""
    checked = [(key, str(key)) for key in keys]
    created = _created_namespace(app, keys)
    if created is not None:
        checked.append((created, f"{created}, from {CREATE_NAMESPACE}"))
    denied: dict[tuple[str, str, str], list[str]] = {}
    for key, label in checked:
        namespaced = key.kind not in cluster_kinds
        field = resource_denial(project, key.group, key.kind, key.name, namespaced)
        if field is not None:
            denied.setdefault((key.group, key.kind, field), []).append(label)
    for (group, kind, field), labels in denied.items():
        scope = "namespaced" if field.startswith("namespace") else "cluster-scoped"
        where = "is in its" if field.endswith("Blacklist") else "is not in its"
        yield Finding(f"AppProject {app.project} does not allow the {scope} kind "
                      f"{group or 'core'}/{kind}: it {where} {field} "
                      f"({labels[0]}{_more(labels)})", PROJECT)


def _created_namespace(app, deployed: list[ObjectKey]) -> ObjectKey | None:
    """The Namespace `CreateNamespace=true` makes Argo CD create, as gitops-engine's
    `autoCreateNamespace` does: not when the Application deploys it, nor for the namespaces
    every cluster has (unless `managedNamespaceMetadata` changes them)."""
    namespace = app.destination_namespace
    created = ObjectKey("", "Namespace", None, namespace or "")
    policy = mapping(app.spec.get("syncPolicy"))
    if (CREATE_NAMESPACE not in app.sync_options or not namespace or created in deployed
            or (namespace in CLUSTER_NAMESPACES and not policy.get("managedNamespaceMetadata"))):
        return None
    return created


def _more(items: list) -> str:
    return f" and {len(items) - 1} more" if len(items) > 1 else ""
