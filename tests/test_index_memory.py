"""Memory of the cross-resource index: what a lint keeps grows by a few hundred bytes a resource.

Issue 12 asks that the peak memory of a lint of 100,000 resources be at most 1.5 times that of
5,000 (about 60 MiB): what grows with the set may take about 30 MiB over 95,000 resources, some
330 bytes a resource in all. The index kept about 1,500 (Resource objects with their facts,
positions and strings, in dicts); its compact records keep under 200.
"""

import gc
import tracemalloc

from gitops_gen.lint import spool
from gitops_gen.lint.config import Config
from gitops_gen.lint.engine import Engine, activate
from gitops_gen.lint.registry import SET, load_rules
from gitops_gen.lint.sources import discover

BYTES_PER_RESOURCE = 330
"""The most a lint may keep per resource linted, all told (see the module docstring)."""

_NAMESPACES = ("shop", "pay", "search", "data")


def _file(first: int) -> str:
    """Ten objects, like the benchmark corpus's: 5 Deployments (one scaled by an HPA, one
    under a PodDisruptionBudget), 2 Services (one selecting no pod), an HPA, a PDB and a
    ConfigMap."""
    namespace = _NAMESPACES[first // 10 % len(_NAMESPACES)]
    documents = []
    for n in range(first, first + 5):
        documents.append(f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-{n:06d}
  namespace: {namespace}
  labels: {{app: web-{n:06d}, team: t{n % 7}}}
spec:
  replicas: {2 + n % 3}
  selector:
    matchLabels: {{app: web-{n:06d}}}
  template:
    metadata:
      labels: {{app: web-{n:06d}, version: v{n % 4}}}
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.{n % 9}.0
          ports: [{{name: http, containerPort: 8080}}]
""")
    for n, app in ((first, f"web-{first + 1:06d}"), (first + 1, f"api-{first:06d}")):
        documents.append(f"""apiVersion: v1
kind: Service
metadata: {{name: web-{n:06d}, namespace: {namespace}}}
spec:
  selector: {{app: {app}}}
  ports: [{{name: http, port: 80, targetPort: http}}]
""")
    documents.append(f"""apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: web-{first:06d}, namespace: {namespace}}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web-{first:06d}}}
  minReplicas: 2
  maxReplicas: 6
""")
    documents.append(f"""apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: web-{first + 1:06d}, namespace: {namespace}}}
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {{app: web-{first + 1:06d}}}
""")
    documents.append(f"""apiVersion: v1
kind: ConfigMap
metadata: {{name: web-{first:06d}-config, namespace: {namespace}}}
data: {{LOG_LEVEL: info}}
""")
    return "---\n".join(documents)


def _retained(folder, resources: int) -> tuple[int, dict[str, int]]:
    """(bytes still held once the cross-resource rules have run, findings by rule) of a lint
    of `resources` objects with only the cross-resource rules on."""
    folder.mkdir()
    for first in range(0, resources, 10):
        (folder / f"apps-{first:06d}.yaml").write_text(_file(first))
    rules = load_rules()
    active = activate(rules, Config(), select=[c for c, r in rules.items() if r.scope == SET])
    sources, skipped = discover([str(folder)])
    gc.collect()
    tracemalloc.start()
    try:
        engine = Engine(rules, active, Config())
        with engine.stream(sources, skipped) as stream:
            gc.collect()
            retained = tracemalloc.get_traced_memory()[0]
            findings: dict[str, int] = {}
            for problem in stream.problems():
                findings[problem.code] = findings.get(problem.code, 0) + 1
    finally:
        tracemalloc.stop()
    return retained, findings


def test_a_lint_keeps_a_few_hundred_bytes_per_resource(tmp_path, monkeypatch):
    # the spool keeps its first IN_MEMORY_BYTES of findings in memory: a constant, not growth
    monkeypatch.setattr(spool, "IN_MEMORY_BYTES", 0)
    _retained(tmp_path / "warm-up", 50)  # caches a first lint fills, whatever its size
    small, small_findings = _retained(tmp_path / "small", 500)
    large, large_findings = _retained(tmp_path / "large", 2000)
    per_namespace = {"K8S303": len(_NAMESPACES)}  # one finding per namespace without a policy
    assert large_findings == {code: per_namespace.get(code, 4 * count)
                              for code, count in small_findings.items()}
    assert {"K8S108", "K8S112", "K8S113", "K8S301"} <= set(large_findings)
    per_resource = (large - small) / 1500
    assert per_resource < BYTES_PER_RESOURCE, f"{per_resource:.0f} bytes kept per resource"
