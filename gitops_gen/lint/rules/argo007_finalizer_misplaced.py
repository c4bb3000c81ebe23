"""ARGO007 finalizer-misplaced

## What it does
Flags a child Application without the resources finalizer, and a root Application with it. The
finalizer is `resources-finalizer.argocd.argoproj.io` (or its `/foreground` or `/background`
form); a child is an Application another Application deploys or an ApplicationSet generates, a
root one that deploys other Applications and that no Application deploys. A root is not flagged
when none of its children would be deleted with it (`argocd.argoproj.io/sync-options:
Delete=false` on each child, or `Delete=false` in the root's `syncOptions`). A child that is
kept on purpose, with `argocd.argoproj.io/sync-options: Prune=false` or `Delete=false` on
itself (CRD-only releases, Argo CD's own Application: deleting them must delete nothing), needs
no finalizer. An Application that deploys no other Application and is deployed by none is not
judged.

## Why it matters
Without the finalizer, deleting a child Application (removing it from the app-of-apps, or a
rename) deletes only the Application object: everything it deployed keeps running in the
cluster, unmanaged and forgotten. With the finalizer on the root, deleting the root (a
mistaken `kubectl delete`, an `argocd app delete` on the wrong line) cascades: Argo CD deletes
every child Application, and their finalizers delete what each one deployed, which is the
whole platform of that environment.

## Example
    # environments/prod/app-of-apps.yaml, the root
    metadata:
      name: prod-app-of-apps
      finalizers: [resources-finalizer.argocd.argoproj.io]
    ---
    # environments/prod/bootstrap/web.yaml, a child
    metadata:
      name: prod-web

## Use instead
    metadata:
      name: prod-app-of-apps         # no finalizer on the root
    ---
    metadata:
      name: prod-web
      finalizers: [resources-finalizer.argocd.argoproj.io]
"""

from gitops_gen.argo.apps import RESOURCES_FINALIZER, App
from gitops_gen.argo.matching import annotation_values, option_value, sync_options
from gitops_gen.lint import APP, Finding, Severity, rule
from gitops_gen.lint.k8s import get


@rule(code="ARGO007", name="finalizer-misplaced", severity=Severity.WARNING, scope=APP,
      kinds=("Application",),
      remediation="Give every child Application the resources finalizer, and the root "
                  "Application none.")
def check(view, opts):
    app = view.app
    finalizers = app.finalizers
    found = next((i for i, f in enumerate(finalizers) if f == RESOURCES_FINALIZER
                  or f.startswith(RESOURCES_FINALIZER + "/")), None)
    if app.parent is not None or app.generated_by is not None:
        if found is None and not _kept(app):
            owner = (f"Application {app.parent.name}" if app.parent is not None
                     else f"ApplicationSet {app.generated_by}")
            written = get(app.body, ("metadata", "finalizers")) is not None
            where = ("metadata", "finalizers") if written else ("metadata",)
            yield Finding(f"child Application {app.name} (of {owner}) has no "
                          f"{RESOURCES_FINALIZER} finalizer: deleting it leaves what it "
                          "deployed running", where, key=True)
    elif found is not None:
        deleted = [child for child in app.children if _deleted_with(app, child)]
        if deleted:
            yield Finding(f"root Application {app.name} has the {finalizers[found]} finalizer: "
                          f"deleting it deletes its {len(deleted)} child Application(s) and "
                          "everything they deployed", ("metadata", "finalizers", found))


def _kept(app: App) -> bool:
    """Whether the Application says it is kept: its parent never prunes or deletes it."""
    options = sync_options(app.body)
    return "false" in (option_value(options, "Prune"), option_value(options, "Delete"))


def _deleted_with(root: App, child: App) -> bool:
    """Whether deleting `root` with its finalizer deletes `child` (Argo CD's `shouldBeDeleted`:
    not with `Delete=false` on the child, or in the root's syncOptions when the child sets no
    `Delete`, nor with `helm.sh/resource-policy: keep`)."""
    delete = option_value(sync_options(child.body), "Delete") or option_value(
        root.sync_options, "Delete")
    return delete != "false" and "keep" not in annotation_values(
        child.body, "helm.sh/resource-policy")
