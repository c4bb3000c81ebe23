"""GG004 invalid-ignore

## What it does
Reports an inline ignore annotation (`ignore.gitops-gen.io/<rule>`) that names no known rule or gives no reason.

## Why it matters
A misspelt ignore silently ignores nothing, and an ignore without a reason cannot be reviewed.

## Example
    metadata:
      annotations:
        ignore.gitops-gen.io/liveness-probe: ""

## Use instead
    metadata:
      annotations:
        ignore.gitops-gen.io/liveness-probe-missing: "batch worker, no HTTP endpoint"
"""

from gitops_gen.lint.model import Severity
from gitops_gen.lint.registry import input_rule

input_rule(__name__, code="GG004", name="invalid-ignore", severity=Severity.ERROR,
           remediation="Name an existing rule (see gitops-gen rules) and give the reason as the annotation value.")
