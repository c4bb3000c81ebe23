"""GG001 parse-error

## What it does
Reports a file that is not valid YAML, at the line and column where reading stopped. Documents before the error are still linted.
A document whose collections nest deeper than 100 levels is reported at the first collection past
the limit and not read (manifests and CRDs nest less than 40 levels).

## Why it matters
Argo CD and kubectl refuse the whole file, so nothing in it gets applied.

## Example
    spec:
      replicas: 3
     selector: {}      # bad indentation

## Use instead
    spec:
      replicas: 3
      selector: {}
"""

from gitops_gen.lint.model import Severity
from gitops_gen.lint.registry import input_rule

input_rule(__name__, code="GG001", name="parse-error", severity=Severity.ERROR,
           remediation="Fix the YAML syntax at the position given.")
