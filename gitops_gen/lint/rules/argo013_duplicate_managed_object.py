"""ARGO013 duplicate-managed-object

## What it does
Flags two Applications of one cluster that deploy the same object. One cluster: the same root
Application and destination cluster; the same object: the same API group, kind, namespace (for
a namespaced object without one, each Application's destination namespace) and name. Each of
the two Applications gets a finding naming the other, with an object they share and how many.
Objects with only a `generateName` are new objects each time and are not compared.

## Why it matters
Argo CD tracks which Application owns an object by a label or annotation that each sync
rewrites. Two Applications that manage the same object take it from each other on every sync:
both report `SharedResourceWarning`, each shows the other's version as a diff (OutOfSync
forever with self-heal on, flapping between the two), and pruning one deletes the object the
other still needs. It is usually a resource copied into two overlays, or two charts that each
install the same CRD or ClusterRole.

## Example
    # apps/web/overlays/prod and platform/ingress both render:
    apiVersion: networking.k8s.io/v1
    kind: IngressClass
    metadata:
      name: alb

## Use instead
    # keep the IngressClass in one Application (platform/ingress) and drop it from the other
"""

from gitops_gen.lint import APP, Finding, Severity, rule
from gitops_gen.lint.k8s import mapping


@rule(code="ARGO013", name="duplicate-managed-object", severity=Severity.ERROR, scope=APP,
      kinds=("Application",),
      remediation="Let exactly one Application deploy the object: remove it from the others.")
def check(view, opts):
    own = {key for key, _ in view.keyed() if key.name}  # generateName: a new object each time
    names = {key.name for key in own}
    for render in view.cluster_renders():
        if render is view.render:
            continue
        candidates = [d for d in render.objects if _name(d.obj) in names]
        shared = list(dict.fromkeys(
            key for key, _ in view.keyed(render, candidates) if key in own))
        if shared:
            more = f" and {len(shared) - 1} more" if len(shared) > 1 else ""
            yield Finding(f"Application {view.app.name} and Application {render.app.name} "
                          f"both deploy {shared[0]}{more}: Argo CD will flip the object "
                          "between them", ("spec",))


def _name(obj: dict) -> str:
    return str(mapping(obj.get("metadata")).get("name") or "")
