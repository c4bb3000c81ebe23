"""K8S102 readiness-probe-missing

## What it does
Flags containers of long-running workloads (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
ReplicationController) that have no `readinessProbe`. Init containers, Jobs, CronJobs and bare
Pods with `restartPolicy: Never` or `OnFailure` are not checked: they run a task and exit, and
do not serve traffic.

## Why it matters
Without a readiness probe a pod counts as ready as soon as its containers start: Services send it
requests while it is still warming up, and a rolling update replaces healthy pods with ones that
cannot serve yet, or never will.

## Example
    containers:
      - name: web
        image: registry.example.com/web:1.4.2

## Use instead
    containers:
      - name: web
        image: registry.example.com/web:1.4.2
        readinessProbe:
          httpGet: {path: /ready, port: http}
"""

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.k8s import LONG_RUNNING_KINDS, containers, runs_to_completion


@rule(code="K8S102", name="readiness-probe-missing", severity=Severity.WARNING,
      kinds=LONG_RUNNING_KINDS,
      remediation="Add a readinessProbe that succeeds only once the container can serve requests.")
def check(obj, opts):
    if runs_to_completion(obj):
        return
    for container in containers(obj, init=False):
        if not container.data.get("readinessProbe"):
            yield Finding(f"{container.label} has no readiness probe", container.path)
