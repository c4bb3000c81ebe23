"""ARGO009 crd-needs-server-side-apply

## What it does
Flags an Application that applies a CustomResourceDefinition too large for client-side apply.
Too large: its JSON (compact, as kubectl writes it into the
`kubectl.kubernetes.io/last-applied-configuration` annotation) exceeds 262144 bytes, the limit
on an object's annotations. Client-side: neither the Application's `syncPolicy.syncOptions` nor
the CRD's `argocd.argoproj.io/sync-options` annotation has `ServerSideApply=true` (or
`Replace=true`, which Argo CD turns into an update for CRDs), or the CRD's annotation says
`ServerSideApply=false`, which wins over the Application's option. One finding per source,
naming its oversized CRDs.

## Why it matters
A client-side apply stores the whole object in the annotation: the API server refuses it with
`metadata.annotations: Too long: must have at most 262144 bytes`, and the sync fails on every
attempt. The big CRDs (prometheus-operator's `prometheuses` and `alertmanagers`, Karpenter's,
Gateway API) are exactly the ones a platform installs first, so everything in later waves
waits on them.

## Example
    spec:
      source:
        chart: kube-prometheus-stack
      syncPolicy:
        syncOptions: [CreateNamespace=true]

## Use instead
    spec:
      syncPolicy:
        syncOptions: [CreateNamespace=true, ServerSideApply=true]
"""

import json

from gitops_gen.argo.matching import CRD_KIND, option_value, sync_options
from gitops_gen.lint import APP, Finding, Severity, rule
from gitops_gen.lint.k8s import mapping

ANNOTATION_LIMIT = 262144
"""Bytes all of an object's annotations may hold (apimachinery's TotalAnnotationSizeLimitB)."""


@rule(code="ARGO009", name="crd-needs-server-side-apply", severity=Severity.ERROR, scope=APP,
      kinds=("Application",),
      remediation="Add ServerSideApply=true to the Application's syncPolicy.syncOptions (or to "
                  "the CRD's argocd.argoproj.io/sync-options annotation).")
def check(view, opts):
    app_options = view.app.sync_options
    oversized: dict[tuple, list[str]] = {}
    for deployed in view.objects:
        crd = deployed.obj
        if crd.get("kind") != CRD_KIND or _applied_server_side(app_options, sync_options(crd)):
            continue
        size = len(json.dumps(crd, separators=(",", ":"), ensure_ascii=False,
                              default=str).encode())
        if size > ANNOTATION_LIMIT:
            name = mapping(crd.get("metadata")).get("name")
            oversized.setdefault(deployed.doc.source.yaml_path, []).append(
                f"{name} ({size} bytes)")
    for path, crds in oversized.items():
        yield Finding(f"Application {view.app.name} applies {len(crds)} CRD(s) larger than "
                      f"the {ANNOTATION_LIMIT}-byte annotation limit client-side: "
                      f"{', '.join(crds)}; the sync will fail", path)


def _applied_server_side(app_options: list[str], crd_options: list[str]) -> bool:
    """Whether Argo CD applies the CRD without a last-applied annotation (gitops-engine's
    `shouldUseServerSideApply`, and `Replace=true`, which updates a CRD in place)."""
    if "Replace=true" in app_options or "Replace=true" in crd_options:
        return True
    if option_value(crd_options, "ServerSideApply") == "false":
        return False
    return "ServerSideApply=true" in app_options or "ServerSideApply=true" in crd_options
