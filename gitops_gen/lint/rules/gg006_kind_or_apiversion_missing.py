"""GG006 kind-or-apiversion-missing

## What it does
Reports a document (or an item of a List) whose `apiVersion` or `kind` is not a string
(`apiVersion: 1`, `kind: [Pod]`), at that value, and one that has a `kind` but no `apiVersion`,
or an `apiVersion` and `metadata` but no `kind`, at the document's position. Documents with neither
(values files, `Chart.yaml`) are not Kubernetes objects and are skipped; a kustomization file
needs neither. Items of a typed list (`DeploymentList`) that give neither take the list's.
Only files are checked, not what Argo CD Applications render.

## Why it matters
kubectl refuses such an object ("apiVersion not set", "kind not set") and Argo CD fails the
whole sync on it; skipped silently, the object would pass lint and break the deployment.

## Example
    kind: ConfigMap
    metadata: {name: settings}
    data: {mode: fast}

## Use instead
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: settings}
    data: {mode: fast}
"""

from gitops_gen.lint.model import Severity
from gitops_gen.lint.registry import input_rule

input_rule(__name__, code="GG006", name="kind-or-apiversion-missing", severity=Severity.ERROR,
           remediation="Give the object both apiVersion and kind "
                       "(e.g. apiVersion: apps/v1 with kind: Deployment).")
