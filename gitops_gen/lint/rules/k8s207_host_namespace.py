"""K8S207 host-namespace

## What it does
Flags pods that share a namespace of the node: `hostNetwork`, `hostPID` or `hostIPC` set to
`true` in the pod spec, one finding per flag.

## Why it matters
hostNetwork lets the pod sniff and bind the node's interfaces and reach services bound to
localhost, bypassing NetworkPolicies; hostPID shows, signals and ptraces every process of the
node; hostIPC reads other processes' shared memory.

## Example
    spec:
      hostNetwork: true
      hostPID: true

## Use instead
    spec:
      containers:
        - name: web
          ports:
            - containerPort: 8080   # expose through a Service instead
"""

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.k8s import WORKLOAD_KINDS, pod_spec

FLAGS = {"hostNetwork": "the node's network", "hostPID": "the node's process namespace",
         "hostIPC": "the node's IPC namespace"}


@rule(code="K8S207", name="host-namespace", severity=Severity.ERROR, kinds=WORKLOAD_KINDS,
      remediation="Remove hostNetwork, hostPID and hostIPC; expose ports through a Service.")
def check(obj, opts):
    found = pod_spec(obj)
    if found is None:
        return
    spec_path, spec = found
    for flag, what in FLAGS.items():
        if spec.get(flag) is True:
            yield Finding(f"pod shares {what} ({flag}: true)", spec_path + (flag,), key=True)
