"""K8S101 liveness-probe-missing

## What it does
Flags containers of long-running workloads (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet)
that have no `livenessProbe`. Init containers, Jobs, CronJobs and bare Pods with
`restartPolicy: Never` or `OnFailure` are not checked: they run a task and exit.

## Why it matters
Without a liveness probe the kubelet only restarts a container when its process dies; a process
that deadlocks or hangs keeps its pod Running and keeps receiving traffic.

## Example
    containers:
      - name: web
        image: registry.example.com/web:1.4.2

## Use instead
    containers:
      - name: web
        image: registry.example.com/web:1.4.2
        livenessProbe:
          httpGet: {path: /healthz, port: http}
"""

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.k8s import LONG_RUNNING_KINDS, containers, runs_to_completion


@rule(code="K8S101", name="liveness-probe-missing", severity=Severity.WARNING,
      kinds=LONG_RUNNING_KINDS,
      remediation="Add a livenessProbe that fails when the process can no longer make progress.")
def check(obj, opts):
    if runs_to_completion(obj):
        return
    for container in containers(obj, init=False):
        if not container.data.get("livenessProbe"):
            yield Finding(f"{container.label} has no liveness probe", container.path)
