"""GG002 duplicate-key

## What it does
Reports a mapping that sets the same key twice.

## Why it matters
Parsers disagree on which value wins (kubectl rejects the file, others keep the last value), so what you review is not what runs.

## Example
    metadata:
      name: web
      name: api

## Use instead
    metadata:
      name: api
"""

from gitops_gen.lint.model import Severity
from gitops_gen.lint.registry import input_rule

input_rule(__name__, code="GG002", name="duplicate-key", severity=Severity.ERROR,
           remediation="Remove one of the duplicate keys.")
