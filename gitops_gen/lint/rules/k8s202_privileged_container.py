"""K8S202 privileged-container

## What it does
Flags containers and init containers with `securityContext.privileged: true`.

## Why it matters
A privileged container sees every device of the node and keeps all capabilities: it is root on
the node in all but name. Escaping it takes one command.

## Example
    securityContext:
      privileged: true

## Use instead
    securityContext:
      privileged: false
      capabilities:
        drop: [ALL]
        add: [NET_BIND_SERVICE]   # only the capability actually needed
"""

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.k8s import WORKLOAD_KINDS, containers, mapping


@rule(code="K8S202", name="privileged-container", severity=Severity.ERROR, kinds=WORKLOAD_KINDS,
      remediation="Remove privileged: true and add only the capabilities the container needs.")
def check(obj, opts):
    for container in containers(obj):
        if mapping(container.data.get("securityContext")).get("privileged") is True:
            yield Finding(f"{container.label} is privileged",
                          container.at("securityContext", "privileged"))
