"""K8S301 service-selector-no-match

## What it does
Flags Services whose `selector` matches the pod template of no workload in the same namespace
of the linted set. Services without a selector (manual Endpoints, ExternalName) are skipped.

It reports only what it is sure of, so a finding is an error and doubtful cases stay quiet:
- labels that controllers add to pods at run time (`statefulset.kubernetes.io/pod-name`,
  `apps.kubernetes.io/pod-index`, `controller-revision-hash`, `pod-template-hash`,
  `batch.kubernetes.io/job-name`, ...) are left out of the match: the rest of the selector must
  match a pod template (or, when nothing else is left, the namespace must have a workload);
- a namespace holding a custom resource (any kind outside the built-in API groups, except
  well-known pod-less ones such as ServiceMonitor, Certificate or ExternalSecret) may get its
  pods from that resource's operator (Prometheus, Alertmanager, a Ceph or Postgres cluster),
  which the linter cannot expand: its Services are not judged.

## Why it matters
The Service has no endpoints: clients get connection refused and Ingresses return 503,
while every manifest looks fine on its own.

## Example
    kind: Service
    spec:
      selector: {app: web-api}     # the pods are labelled app: web

## Use instead
    kind: Service
    spec:
      selector: {app: web}
"""

from gitops_gen.lint import SET, Finding, Severity, rule
from gitops_gen.lint.k8s import CONTROLLER_LABELS


@rule(code="K8S301", name="service-selector-no-match", severity=Severity.ERROR, scope=SET,
      kinds=("Service",),
      remediation="Make the selector match the pod template labels of the workload it serves.")
def check(index, opts):
    for service in index.of_kind("Service"):
        selector = service.facts["selector"]
        if not selector or service.facts["type"] == "ExternalName":
            continue
        if (index.selected_by_map(service.namespace, selector)
                or _may_have_pods(index, service.namespace, selector)):
            continue
        shown = ", ".join(f"{k}={v}" for k, v in selector.items())
        yield Finding(f"selector {shown} matches no pod template in the linted files",
                      ("spec", "selector"), resource=service)


def _may_have_pods(index, namespace, selector) -> bool:
    """Whether pods the linter cannot see may match: controller-added labels, or an operator."""
    if index.has_operator_resource(namespace):
        return True
    static = {k: v for k, v in selector.items() if k not in CONTROLLER_LABELS}
    if len(static) == len(selector):
        return False
    if not static:
        return index.has_workloads(namespace)
    return bool(index.selected_by_map(namespace, static))
