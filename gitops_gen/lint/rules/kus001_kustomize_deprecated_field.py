"""KUS001 kustomize-deprecated-field

## What it does
Flags fields of a Kustomization or Component that kustomize deprecates, and names the field to use
instead: `bases` (use `resources`), `patchesStrategicMerge` and `patchesJson6902` (use `patches`),
`commonLabels` (use `labels` with `includeSelectors: true`), `vars` (use `replacements`),
`imageTags` (use `images`), `helmChartInflationGenerator` (use `helmCharts` and `helmGlobals`)
and the singular `env` of a ConfigMap or Secret generator (use `envs`).

## Why it matters
kustomize 5 prints a warning for each of them on every build, and they will not be part of the
`kustomize.config.k8s.io/v1` Kustomization API. Replacing `commonLabels` by hand with plain
`labels` silently drops the labels from selectors, and selectors of existing Deployments are
immutable: keep `includeSelectors: true` where the labels were in selectors before.

## Example
    apiVersion: kustomize.config.k8s.io/v1beta1
    kind: Kustomization
    bases: [../base]
    commonLabels: {app: web}
    patchesStrategicMerge: [replicas.yaml]

## Use instead
    apiVersion: kustomize.config.k8s.io/v1beta1
    kind: Kustomization
    resources: [../base]
    labels:
      - pairs: {app: web}
        includeSelectors: true
    patches:
      - path: replicas.yaml
"""

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.k8s import mapping, sequence

KUSTOMIZE_GROUP = "kustomize.config.k8s.io/"

DEPRECATED_FIELDS = {
    "bases": "list the bases under 'resources'",
    "patchesStrategicMerge": "use 'patches' (one entry per patch: 'path:' or inline 'patch:')",
    "patchesJson6902": "use 'patches' with the same 'target' and 'path'",
    "commonLabels": "use 'labels' with 'includeSelectors: true' (commonLabels also set selectors)",
    "vars": "use 'replacements'",
    "imageTags": "use 'images'",
    "helmChartInflationGenerator": "use 'helmCharts' (and 'helmGlobals' for chartHome)",
}
"""Top-level fields, from kustomize's api/types/kustomization.go (`Deprecated:` comments and the
warnings of CheckDeprecatedFields) and the commonLabels warning added by kustomize PR #5464."""

GENERATORS = ("configMapGenerator", "secretGenerator")
"""Generators whose singular `env` (kustomize's EnvSource, "Deprecated. Use EnvSources") is
folded into `envs` by `kustomize edit fix`."""


@rule(code="KUS001", name="kustomize-deprecated-field", severity=Severity.WARNING,
      kinds=("Kustomization", "Component"),
      remediation="Run `kustomize edit fix`, or move each deprecated field to the one named.")
def check(obj, opts):
    api_version = obj.get("apiVersion")
    # A kustomization.yaml may omit apiVersion and kind; other groups (Flux's Kustomization) differ.
    if api_version is not None and not str(api_version).startswith(KUSTOMIZE_GROUP):
        return
    for field, instead in DEPRECATED_FIELDS.items():
        if field in obj:
            yield Finding(f"'{field}' is deprecated; {instead}", (field,), key=True)
    for generator in GENERATORS:
        for index, args in enumerate(sequence(obj.get(generator))):
            if "env" in mapping(args):
                yield Finding(f"'env' of a {generator} entry is deprecated; use 'envs' (a list)",
                              (generator, index, "env"), key=True)
