"""SCH003 unknown-kind

## What it does
Reports objects whose apiVersion and kind have no schema for the Kubernetes version checked:
a typo, an API the version no longer serves, or a custom resource whose CRD is not known.
Never a silent pass; `--ignore-missing-schemas` turns it off explicitly.

## Why it matters
An object nothing can validate is an object nothing checked: the API server will refuse an
unknown kind at sync time, and a missing CRD means the sync fails until it is installed.

## Example
    apiVersion: policy/v1beta1
    kind: PodDisruptionBudget

## Use instead
    apiVersion: policy/v1
    kind: PodDisruptionBudget
"""

from gitops_gen.lint.model import Severity
from gitops_gen.lint.registry import input_rule

input_rule(__name__, code="SCH003", name="unknown-kind", severity=Severity.ERROR,
           remediation="Fix the apiVersion/kind, migrate the removed API, or give the CRD with --crd.")
