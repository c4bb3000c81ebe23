"""ARGO012 namespace-mismatch

## What it does
Flags an Application that deploys namespaced objects into another namespace than its
`spec.destination.namespace` (their `metadata.namespace` says so). Cluster-scoped kinds (the
built-in ones, the common add-ons' and those of the cluster-scoped CRDs the repository deploys)
and objects without a namespace (they land in the destination namespace) pass, and so does
every object of an Application without a destination namespace. One finding per namespace,
naming an object.

## Why it matters
The destination namespace is what the Application, its AppProject and the people reading it
say it manages; an object written for another namespace lands there anyway (Argo CD applies
the namespace in the manifest), outside what the project's destinations and the
`CreateNamespace=true` option were written for. It is usually a copy-paste from another
environment or a chart value (`namespaceOverride`) that no longer matches: the object ends up
beside another team's, or the sync fails because that namespace does not exist.

## Example
    # Application: destination.namespace: payments
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: payments-config
      namespace: payment             # a typo: not the destination

## Use instead
    metadata:
      name: payments-config          # no namespace: the destination namespace applies
"""

from gitops_gen.argo.matching import written_namespace
from gitops_gen.lint import APP, Finding, Severity, rule


@rule(code="ARGO012", name="namespace-mismatch", severity=Severity.WARNING, scope=APP,
      kinds=("Application",),
      remediation="Drop metadata.namespace from the object (the destination namespace applies), "
                  "or deploy it from an Application with that destination.")
def check(view, opts):
    destination = view.app.destination_namespace
    if destination is None:
        return
    cluster_kinds = view.cluster_scoped_kinds()
    elsewhere: dict[str, list] = {}
    for key, deployed in view.keyed():
        written = written_namespace(deployed.obj)
        if key.kind not in cluster_kinds and written and written != destination:
            elsewhere.setdefault(written, []).append(key)
    for namespace, keys in elsewhere.items():
        more = f" and {len(keys) - 1} more" if len(keys) > 1 else ""
        yield Finding(f"Application {view.app.name} deploys {keys[0]}{more} into namespace "
                      f"{namespace!r}, not its destination namespace {destination!r}",
                      ("spec", "destination", "namespace"))
