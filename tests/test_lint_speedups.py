"""The lint's shortcuts change no finding: a generated corpus (deterministic, written here) is
linted as usual and with every shortcut turned off (the composed YAML path, positions found on
libyaml's nodes with no cache, each rule finding containers for itself), and the two runs must
report exactly the same findings, suppressions and counts."""

import random

import pytest

from gitops_gen import api
from gitops_gen.lint import engine, k8s, yamlfast
from gitops_gen.lint.model import ProblemStats, format_path, problem_row
from gitops_gen.lint.registry import load_rules

NAMES = ("web", "api", "worker", "cache", "gateway", "billing")
IGNORE = "ignore.gitops-gen.io"


def _container(rng: random.Random, name: str) -> str:
    image = rng.choice(("nginx", "nginx:latest", "registry.example.com/app:1.4.2",
                        "registry.example.com/app@sha256:" + "a" * 64))
    lines = [f"        - name: {name}", f"          image: {image}"]
    if rng.random() < 0.6:
        lines += ["          ports:", "            - name: http", "              containerPort: 8080"]
    for probe in ("livenessProbe", "readinessProbe"):
        if rng.random() < 0.5:
            port = rng.choice(("http", "metrics", 8080))
            lines += [f"          {probe}:", "            httpGet:", "              path: /healthz",
                      f"              port: {port}"]
    if rng.random() < 0.6:
        lines += ["          resources:", "            requests:", "              cpu: 100m"]
        if rng.random() < 0.5:
            lines += ["              memory: 128Mi", "            limits:", "              memory: 256Mi"]
    if rng.random() < 0.5:
        lines += ["          securityContext:",
                  f"            runAsNonRoot: {rng.choice(('true', 'false'))}",
                  "            allowPrivilegeEscalation: false",
                  f"            privileged: {rng.choice(('true', 'false'))}",
                  "            capabilities:",
                  f"              drop: [{rng.choice(('ALL', 'NET_RAW'))}]",
                  f"              add: [{rng.choice(('NET_BIND_SERVICE', 'SYS_ADMIN'))}]"]
    if rng.random() < 0.4:
        lines += ["          env:", "            - name: DB_PASSWORD",
                  f"              value: {rng.choice(('hunter2', 'changeme', '$(PASS)'))}",
                  "            - name: MODE", "              value: \"on\""]
    return "\n".join(lines)


def _annotations(rng: random.Random) -> list[str]:
    """Inline ignores as written by hand: plain keys, quoted keys, escaped keys, bad ones."""
    choice = rng.random()
    if choice < 0.15:
        return ["  annotations:", f"    {IGNORE}/run-as-root: \"runs as root by design\""]
    if choice < 0.25:
        return ["  annotations:", f"    \"{IGNORE}\\u002Fimage-unpinned\": \"pinned upstream\""]
    if choice < 0.3:
        return ["  annotations:", f"    {IGNORE}/no-such-rule: \"why\""]
    return []


def _workload(rng: random.Random, index: int, workloads: list[str]) -> str:
    kind = rng.choice(("Deployment", "Deployment", "StatefulSet", "CronJob", "DaemonSet"))
    name = f"{rng.choice(NAMES)}-{index}"
    if kind == "Deployment":
        workloads.append(name)
    replicas = rng.choice(("1", "3", '"2"', None))
    api_version = {"CronJob": rng.choice(("batch/v1", "batch/v1beta1"))}.get(kind, "apps/v1")
    head = [f"apiVersion: {api_version}", f"kind: {kind}", "metadata:", f"  name: {name}",
            "  namespace: shop", *_annotations(rng), "spec:"]
    pod = ["      containers:", *(_container(rng, f"c{n}") for n in range(rng.randint(1, 2)))]
    if rng.random() < 0.2:
        pod += ["      initContainers:", _container(rng, "init")]
    if rng.random() < 0.15:
        pod += ["      hostNetwork: true"]
    template = ["    metadata:", "      labels:", f"        app: {name}", "    spec:", *pod]
    if kind == "CronJob":
        body = ["  schedule: \"*/5 * * * *\"", "  jobTemplate:", "    spec:", "      template:",
                *("    " + line for line in template)]
    else:
        body = [f"  replicas: {replicas}" if replicas and kind != "DaemonSet" else "",
                "  selector:", "    matchLabels:", f"      app: {name}", "  template:", *template]
        if rng.random() < 0.1:
            body.append("  unknownField: 1")
    return "\n".join(line for line in head + body if line)


def _other(rng: random.Random, index: int, workloads: list[str]) -> str:
    """Another object; half of them name a workload written before (HPA targets, selectors)."""
    name = rng.choice(workloads) if workloads and rng.random() < 0.5 else (
        f"{rng.choice(NAMES)}-{index}")
    kind = rng.choice(("Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress",
                       "ConfigMap", "Secret", "NetworkPolicy", "List"))
    if kind == "Service":
        port = rng.choice(("targetPort", "targetport"))
        return (f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: shop}}\n"
                f"spec:\n  selector:\n    app: {name}\n  ports:\n    - port: 80\n      {port}: 8080")
    if kind == "HorizontalPodAutoscaler":
        version = rng.choice(("autoscaling/v2", "autoscaling/v2beta2"))
        return (f"apiVersion: {version}\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: {name}\n"
                f"  namespace: shop\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n"
                f"    kind: Deployment\n    name: {name}\n  minReplicas: {rng.choice((1, 2))}\n"
                f"  maxReplicas: 5")
    if kind == "PodDisruptionBudget":
        version = rng.choice(("policy/v1", "policy/v1beta1"))
        return (f"apiVersion: {version}\nkind: PodDisruptionBudget\nmetadata:\n  name: {name}\n"
                f"  namespace: shop\nspec:\n  maxUnavailable: {rng.choice((0, 1))}\n  selector:\n"
                f"    matchLabels:\n      app: {name}")
    if kind == "Ingress":
        version = rng.choice(("networking.k8s.io/v1", "extensions/v1beta1"))
        return (f"apiVersion: {version}\nkind: Ingress\nmetadata:\n  name: {name}\n"
                f"  namespace: shop\nspec:\n  rules:\n    - http:\n        paths:\n"
                f"          - path: /\n            pathType: Prefix\n            backend:\n"
                f"              service:\n                name: {name}\n"
                f"                port:\n                  number: 80")
    if kind == "Secret":
        return (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: shop\n"
                f"stringData:\n  password: hunter2")
    if kind == "NetworkPolicy":
        return (f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
                f"  name: {name}\n  namespace: shop\nspec:\n  podSelector:\n    matchLabels:\n"
                f"      app: {name}\n  policyTypes: [Ingress]")
    if kind == "List":
        return (f"apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n"
                f"    metadata: {{name: {name}, namespace: shop}}\n    data: {{a: \"1\"}}")
    mode = rng.choice(("fast", "on", '"on"', "1.10"))
    return (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: shop\n"
            f"data:\n  mode: {mode}")


def make_corpus(folder, files: int = 40, seed: int = 12) -> None:
    rng = random.Random(seed)
    index = 0
    workloads: list[str] = []
    for number in range(files):
        documents = []
        for _ in range(rng.randint(1, 6)):
            index += 1
            documents.append(_workload(rng, index, workloads) if rng.random() < 0.5
                             else _other(rng, index, workloads))
        (folder / f"manifests-{number:03d}.yaml").write_text("\n---\n".join(documents) + "\n")


def _lint(folder) -> tuple[list[tuple], tuple]:
    run = api.lint(api.LintOptions(paths=(str(folder),), jobs=1, k8s_version="1.30"))
    result = run.result
    findings = [(p.file, p.line, p.column, p.code, p.severity, p.message, p.path,
                 str(p.resource)) for p in result.problems]
    return findings, (result.files, result.resources, result.skipped_documents, result.suppressed)


@pytest.mark.parametrize("seed", [12, 31])
def test_shortcuts_change_no_finding(tmp_path, monkeypatch, seed):
    make_corpus(tmp_path, seed=seed)
    fast, fast_counts = _lint(tmp_path)

    monkeypatch.setattr(yamlfast, "FAST_PATH", False)  # libyaml's nodes, no text locator
    monkeypatch.setattr(engine, "reading", lambda obj: None)  # no shared containers()
    slow, slow_counts = _lint(tmp_path)

    assert fast == slow
    assert fast_counts == slow_counts
    codes = {finding[3] for finding in fast}
    assert {"K8S101", "K8S108", "K8S112", "K8S201", "K8S209", "SCH001", "SCH002",
            "API001"} <= codes
    assert fast_counts[3] > 0  # inline ignores suppressed findings, escaped keys included


def test_an_escaped_ignore_key_is_read(tmp_path):
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\n  annotations:\n"
        f"    \"{IGNORE}\\u002Fhost-namespace\": \"node agent\"\n"
        "spec:\n  hostNetwork: true\n  containers:\n    - name: a\n      image: nginx:1.27\n")
    findings, counts = _lint(tmp_path)
    assert "K8S207" not in {finding[3] for finding in findings}
    assert counts[3] == 1


def test_containers_are_found_once_per_object_while_rules_read_it():
    obj = {"kind": "Pod", "spec": {"containers": [{"name": "a"}], "initContainers": [{}]}}
    k8s.reading(obj)
    try:
        first, again = list(k8s.containers(obj)), list(k8s.containers(obj))
        assert [c.path for c in first] == [("spec", "containers", 0),
                                          ("spec", "initContainers", 0)]
        assert all(a is b for a, b in zip(first, again))
    finally:
        k8s.reading(None)
    obj["spec"]["containers"].append({"name": "b"})  # after the rules: read afresh
    assert [format_path(c.path) for c in k8s.containers(obj, init=False)] == [
        "spec.containers[0]", "spec.containers[1]"]


def test_stats_made_from_rows_are_those_of_the_problems(tmp_path):
    """Chunks count their findings from rows, never making a Problem: the counts, files and
    column widths reporters align on must be those of the problems read back."""
    make_corpus(tmp_path, seed=31)
    (tmp_path / "broken.yaml").write_text("a: [1, 2\n")  # a parse error: an input problem
    with api.lint_streamed(api.LintOptions(paths=(str(tmp_path),), jobs=1,
                                           k8s_version="1.30")) as streamed:
        streamed_stats = streamed.run.result.stats
        problems = list(streamed.problems())
    assert {"GG001", "K8S101", "SCH001"} <= {p.code for p in problems}
    expected = ProblemStats.of(problems)
    by_rows = ProblemStats.of_rows([problem_row(p) for p in problems], load_rules())
    for stats in (by_rows, streamed_stats):
        assert stats.counts == expected.counts and stats.files == expected.files
        assert (stats.position_width, stats.severity_width, stats.rule_width) == (
            expected.position_width, expected.severity_width, expected.rule_width)


def test_stats_of_problems_count_and_measure_every_problem(tmp_path):
    """ProblemStats.of and of_rows (one loop each) give what reporters would count one by one."""
    from collections import Counter

    make_corpus(tmp_path, seed=7)
    problems = api.lint(api.LintOptions(paths=(str(tmp_path),), jobs=1,
                                        k8s_version="1.30")).result.problems
    assert len({p.severity for p in problems}) > 1 and len({p.code for p in problems}) > 5
    for stats in (ProblemStats.of(problems),
                  ProblemStats.of_rows([problem_row(p) for p in problems], load_rules())):
        assert stats.counts == Counter(p.severity for p in problems)
        assert stats.files == {p.file for p in problems}
        assert stats.position_width == max(len(f"{p.line}:{p.column}") for p in problems)
        assert stats.severity_width == max(len(p.severity.value) for p in problems)
        assert stats.rule_width == max(len(f"{p.code} {p.name}") for p in problems)
    empty = ProblemStats.of([])
    assert (empty.counts, empty.files, empty.position_width, empty.rule_width) == ({}, set(), 0, 0)


def test_position_width_when_the_longest_line_and_column_are_on_different_rows():
    """of_rows takes the widest line and the widest column together only when one row has both:
    a long line with a short column and a short line with a long column are measured row by
    row."""
    rules = load_rules()

    def width(*positions):
        rows = [("f.yaml", line, column, "K8S101", "m", "warning", None, None, None, None, "",
                 None, None) for line, column in positions]
        return ProblemStats.of_rows(rows, rules).position_width

    assert width((1000, 1), (1, 100)) == len("1000:1")
    assert width((1, 100), (1000, 1)) == len("1000:1")
    assert width((9, 9), (10, 10), (1, 1)) == len("10:10")
    assert width((1000, 1), (1, 100), (2000, 300)) == len("2000:300")
