"""SCH002 unknown-field

## What it does
Reports fields the schema of the kind does not define (strict validation, as
`kubectl apply --validate=strict` does), with the closest valid name when there is one.
`--no-strict` turns it off.

## Why it matters
A misspelt field is silently dropped by the API server: `targetport` instead of `targetPort`
leaves the Service pointing at the wrong port, and nothing in Git shows it.

## Example
    ports:
      - port: 80
        targetport: 8080

## Use instead
    ports:
      - port: 80
        targetPort: 8080
"""

from gitops_gen.lint.model import Severity
from gitops_gen.lint.registry import input_rule

input_rule(__name__, code="SCH002", name="unknown-field", severity=Severity.ERROR,
           remediation="Remove the field or fix its name (see the suggestion).")
