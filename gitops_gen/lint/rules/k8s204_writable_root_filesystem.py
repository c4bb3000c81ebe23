"""K8S204 writable-root-filesystem

## What it does
Flags containers and init containers whose `securityContext.readOnlyRootFilesystem` is not
`true`. Windows pods (`spec.os.name: windows`) are not checked: the field does not exist there.

## Why it matters
A writable root filesystem lets an attacker drop tools and binaries, or change the application
in place; a read-only one keeps the running container identical to the reviewed image.

## Example
    containers:
      - name: web
        image: registry.example.com/web:1.4.2

## Use instead
    containers:
      - name: web
        image: registry.example.com/web:1.4.2
        securityContext:
          readOnlyRootFilesystem: true
        volumeMounts:
          - {name: tmp, mountPath: /tmp}   # an emptyDir where the app must write
"""

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.k8s import WORKLOAD_KINDS, linux_containers, mapping


@rule(code="K8S204", name="writable-root-filesystem", severity=Severity.WARNING,
      kinds=WORKLOAD_KINDS,
      remediation="Set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where the app writes.")
def check(obj, opts):
    for container in linux_containers(obj):
        context = mapping(container.data.get("securityContext"))
        value = context.get("readOnlyRootFilesystem")
        if value is True:
            continue
        if value is None:
            yield Finding(f"{container.label} has a writable root filesystem", container.path)
        else:
            yield Finding(f"{container.label} has a writable root filesystem",
                          container.at("securityContext", "readOnlyRootFilesystem"))
