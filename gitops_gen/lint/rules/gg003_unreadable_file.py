"""GG003 unreadable-file

## What it does
Reports a file that cannot be read: permissions, binary content or text that is not UTF-8.

## Why it matters
A file the linter cannot read is a file nobody checked; passing it silently would be a false all-clear.

## Example
    manifests/logo.yaml   # a PNG saved with a .yaml name

## Use instead
    Rename or remove the file, or exclude it:
    exclude:
      - paths: [manifests/logo.yaml]
"""

from gitops_gen.lint.model import Severity
from gitops_gen.lint.registry import input_rule

input_rule(__name__, code="GG003", name="unreadable-file", severity=Severity.ERROR,
           remediation="Make the file readable UTF-8 text, or exclude its path in .gitops-gen.yaml.")
