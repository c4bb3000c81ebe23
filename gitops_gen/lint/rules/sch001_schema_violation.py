"""SCH001 schema-violation

## What it does
Validates every object against the JSON schema of its kind for the Kubernetes version given
with `--k8s-version` (default: the newest version EKS offers): wrong types, missing required
fields, values outside an enum or a pattern. Custom resources are checked against their CRD;
a null in one of their fields is not an error, since the API server prunes it before
validating (as built-in kinds accept it).
Each error sits at the offending node, with its JSON path.

## Why it matters
The API server rejects the object at sync time: Argo CD shows a failed sync long after the pull
request was merged. An unquoted `on`, `yes` or `no` is a boolean to Kubernetes (YAML 1.1), so
in a string field it is an error there too.

## Example
    spec:
      replicas: "3"
      template:
        spec:
          containers:
            - name: web
              env:
                - {name: FEATURE, value: on}

## Use instead
    spec:
      replicas: 3
      template:
        spec:
          containers:
            - name: web
              env:
                - {name: FEATURE, value: "on"}
"""

from gitops_gen.lint.model import Severity
from gitops_gen.lint.registry import input_rule

input_rule(__name__, code="SCH001", name="schema-violation", severity=Severity.ERROR,
           remediation="Fix the value to match the schema of the kind (see the message).")
