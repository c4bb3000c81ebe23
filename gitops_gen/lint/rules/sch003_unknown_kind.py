"""SCH003 unknown-kind

## What it does
Reports objects whose apiVersion and kind have no schema for the Kubernetes version checked,
and says which case it is: an API served only from a later version ("not served yet"), a kind
served under another apiVersion, a typo (with the closest kind the API serves), a type that
is not a kind (`kind: PodSpec`), or a custom resource whose CRD is not known (any group the
API server does not serve itself, Gateway API's included). An API removed at the version
checked is left to API001, which names its replacement: one finding, not two. Never a silent
pass; `--ignore-missing-schemas` turns it off explicitly.

## Why it matters
An object nothing can validate is an object nothing checked: the API server will refuse an
unknown kind at sync time, and a missing CRD means the sync fails until it is installed.

## Example
    apiVersion: apps/v1
    kind: Deploymnet

## Use instead
    apiVersion: apps/v1
    kind: Deployment
"""

from gitops_gen.lint.model import Severity
from gitops_gen.lint.registry import input_rule

input_rule(__name__, code="SCH003", name="unknown-kind", severity=Severity.ERROR,
           remediation="Fix the apiVersion/kind, migrate the removed API, or give the CRD with --crd.")
