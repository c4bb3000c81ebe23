"""GG005 alias-bomb

## What it does
Reports a document whose YAML aliases would expand it far beyond its written size (a "billion laughs" document). It is refused, not expanded.

## Why it matters
Expanding it would exhaust memory in the linter, in Argo CD and in the API server.

## Example
    a: &a [x, x, x, x, x, x, x, x, x]
    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]

## Use instead
    Plain values, or a Kustomize component or Helm template to share them.
"""

from gitops_gen.lint.model import Severity
from gitops_gen.lint.registry import input_rule

input_rule(__name__, code="GG005", name="alias-bomb", severity=Severity.ERROR,
           remediation="Write the values out instead of nesting aliases of aliases.")
