"""GG003 unreadable-file

## What it does
Reports a file that cannot be read: permissions, binary content or text that is not UTF-8
(standard input too), and what is not a regular file behind a `.yaml` name (a named pipe, a
device, a socket) or is larger than 10 MiB: those are never opened, so a run cannot hang or
exhaust memory on them. A folder that cannot be listed is reported the same way.

## Why it matters
A file (or folder) the linter cannot read is one nobody checked; passing it silently would be a
false all-clear.

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
