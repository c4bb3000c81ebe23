r"""SCH004 pattern-unsupported

## What it does
Reports, once at the pattern in the CRD, a `pattern` of a CustomResourceDefinition that cannot be
checked here, and skips that one pattern (the rest of the schema is still checked). CRD patterns
are Go regular expressions (RE2); gitops-gen rewrites what its engine reads differently (POSIX
classes such as `[[:alnum:]]`, `\s`, `.`, `\Q...\E`, literal braces) so that they match what the
API server matches. What is left, such as `\C` or a pattern Go itself refuses, is this finding.

## Why it matters
One unusual pattern must not stop the whole run or turn every object of the kind into a false
schema error, but a check that silently does not run is a false all-clear: the finding says
which values go unchecked.

## Example
    pattern: '^\C+$'      # one byte: RE2 only

## Use instead
    pattern: '^[\x00-\x7F]+$'
"""

from gitops_gen.lint.model import Severity
from gitops_gen.lint.registry import input_rule

input_rule(__name__, code="SCH004", name="pattern-unsupported", severity=Severity.WARNING,
           remediation="Write the pattern in the RE2 syntax both Go and ECMA-262 read, or accept "
                       "that it is not checked.")
