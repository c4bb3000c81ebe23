"""GG000 internal-error

## What it does
Reports a rule that failed on an object instead of finishing the run.

## Why it matters
A crashing check would otherwise hide every other finding, or pass the object silently.

## Example
    rule K8S101 (liveness-probe-missing) failed on this object: TypeError: ...

## Use instead
    Nothing to change in the manifest; please report it with the object.
"""

from gitops_gen.lint.model import Severity
from gitops_gen.lint.registry import input_rule

input_rule(__name__, code="GG000", name="internal-error", severity=Severity.ERROR,
           remediation="Report the object and the message as a gitops-gen bug; exclude the file meanwhile.")
