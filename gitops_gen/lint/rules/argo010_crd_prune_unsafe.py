"""ARGO010 crd-prune-unsafe

## What it does
Flags an Application that would prune a CRD whose custom resources other Applications of the
same cluster deploy. It prunes when `syncPolicy.automated.prune` is true and nothing stops Argo
CD from pruning the CRD: neither its `argocd.argoproj.io/sync-options` annotation nor, when
that sets no `Prune`, the Application's `syncOptions` has `Prune=false` (or `Prune=confirm`).
One finding per CRD, naming a custom resource and the Application that deploys it.

`Delete=false` and `helm.sh/resource-policy: keep` do not count: Argo CD reads them only when
an Application is deleted (`shouldBeDeleted` in argo-cd's controller/appcontroller.go), never
when it prunes (gitops-engine's `isPruningDisabled` reads only `Prune`; argo-cd issue #17819,
"Resources with `helm.sh/resource-policy: keep` are pruned"). Deleting the Application, even
with the resources finalizer, is not flagged either: that cascade never deletes CRDs (the same
`shouldBeDeleted`; argo-cd issue #6078).

## Why it matters
Deleting a CRD deletes every custom resource of its kinds, in every namespace. A values
change that stops a chart rendering its CRDs (`crds.enabled: false`, `installCRDs: false`),
a chart upgrade that moves them, or a renamed source makes the next automated sync prune the
CRD, and with it the Certificates, ExternalSecrets or NodePools the other Applications own,
which those Applications then cannot recreate until the CRD is back.

## Example
    # cert-manager's Application: automated prune; its CRDs carry only
    # helm.sh/resource-policy: keep, and the issuers Application deploys ClusterIssuers
    spec:
      syncPolicy:
        automated: {prune: true, selfHeal: true}

## Use instead
    # in the chart values, or with a Kustomize patch on the CRDs
    metadata:
      annotations:
        argocd.argoproj.io/sync-options: Prune=false
"""

from gitops_gen.argo.matching import CRD_KIND, ObjectKey, option_value, sync_options
from gitops_gen.lint import APP, Finding, Severity, rule
from gitops_gen.lint.k8s import mapping

PRUNE = ("spec", "syncPolicy", "automated", "prune")
PRUNE_PROTECTED = ("false", "confirm")


@rule(code="ARGO010", name="crd-prune-unsafe", severity=Severity.ERROR, scope=APP,
      kinds=("Application",),
      remediation="Annotate the CRD with argocd.argoproj.io/sync-options: Prune=false, or turn "
                  "off automated prune for the Application.")
def check(view, opts):
    app = view.app
    automated = mapping(app.spec.get("syncPolicy")).get("automated")
    if (not isinstance(automated, dict) or automated.get("enabled") is False
            or automated.get("prune") is not True):
        return
    default_prune = option_value(app.sync_options, "Prune")
    crds: dict[tuple[str, str], str] = {}
    """Prunable CRDs by the (group, kind) of their custom resources."""
    for deployed in view.objects:
        crd = deployed.obj
        if crd.get("kind") != CRD_KIND:
            continue
        spec = mapping(crd.get("spec"))
        kind = mapping(spec.get("names")).get("kind")
        prune = option_value(sync_options(crd), "Prune") or default_prune
        if kind and prune not in PRUNE_PROTECTED:
            name = str(mapping(crd.get("metadata")).get("name"))
            crds[(str(spec.get("group") or ""), str(kind))] = name
    if not crds:
        return
    kinds = {kind for _, kind in crds}
    used: dict[tuple[str, str], tuple[str, ObjectKey]] = {}
    for render in view.cluster_renders():
        if render is view.render:
            continue
        candidates = [d for d in render.objects if d.obj.get("kind") in kinds]
        for key, _ in view.keyed(render, candidates):
            if (key.group, key.kind) in crds:
                used.setdefault((key.group, key.kind), (render.app.name, key))
    for group_kind, (other, example) in used.items():
        yield Finding(f"Application {app.name} prunes the CRD {crds[group_kind]} while "
                      f"Application {other} deploys {example}: pruning the CRD deletes every "
                      f"{group_kind[1]}", PRUNE)
