"""Property tests: whatever the input, a lint run finishes, reports no internal error (GG000),
and places every problem at a real position (line and column from 1, within the text).

Inputs: random bytes in a file, random text (on stdin and in a file), YAML-flavoured token soup,
and random YAML documents whose apiVersion/kind are real, so that every rule runs on objects of
the right kind but of the wrong shape.
"""

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitops_gen.api import LintOptions, lint
from gitops_gen.lint.k8s import WORKLOAD_KINDS

SETTINGS = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

KINDS = sorted(WORKLOAD_KINDS) + ["HorizontalPodAutoscaler", "PodDisruptionBudget", "Service",
                                  "Ingress", "NetworkPolicy", "ConfigMap", "Secret", "List"]
API_VERSIONS = ["v1", "apps/v1", "batch/v1", "batch/v1beta1", "autoscaling/v2",
                "autoscaling/v1", "policy/v1", "networking.k8s.io/v1", "example.com/v1"]
KEYS = ["apiVersion", "kind", "metadata", "name", "namespace", "labels", "annotations", "spec",
        "template", "jobTemplate", "containers", "initContainers", "image", "ports", "name",
        "containerPort", "livenessProbe", "readinessProbe", "startupProbe", "httpGet",
        "tcpSocket", "grpc", "port", "resources", "requests", "limits", "cpu", "memory",
        "replicas", "minReplicas", "maxReplicas", "scaleTargetRef", "selector", "matchLabels",
        "matchExpressions", "key", "operator", "values", "securityContext", "privileged",
        "runAsUser", "runAsNonRoot", "capabilities", "add", "drop", "volumes", "hostPath",
        "hostNetwork", "hostPID", "items", "rules", "http", "paths", "backend", "service",
        "serviceName", "defaultBackend", "podSelector", "affinity", "podAntiAffinity",
        "topologySpreadConstraints", "minAvailable", "maxUnavailable", "restartPolicy", "env",
        "value", "valueFrom", "data", "stringData", "type", "seccompProfile",
        "automountServiceAccountToken", "readOnlyRootFilesystem", "allowPrivilegeEscalation",
        "ignore.gitops-gen.io/K8S101", "ignore.gitops-gen.io/not-a-rule", "app"]
SCALARS = (st.none() | st.booleans() | st.integers(-3, 70000) | st.floats()
           | st.sampled_from(KEYS + KINDS + API_VERSIONS + ["", "http", "8080", "0", "100%",
                                                            "latest", "nginx:latest", "In"])
           | st.text(max_size=8))
MAP_KEYS = st.sampled_from(KEYS) | st.text(max_size=6) | st.integers(-2, 3) | st.booleans()
TREES = st.recursive(SCALARS, lambda children: st.lists(children, max_size=4)
                     | st.dictionaries(MAP_KEYS, children, max_size=5), max_leaves=25)


@st.composite
def objects(draw, depth=0):
    """An object with a real apiVersion and kind, and a random or a pod-shaped random body."""
    kind = draw(st.sampled_from(KINDS))
    obj = {"apiVersion": draw(st.sampled_from(API_VERSIONS)), "kind": kind}
    obj.update(draw(st.dictionaries(MAP_KEYS, TREES, max_size=3)))
    shape = draw(st.sampled_from(["pod", "spec", "as is"]))
    if shape == "pod":
        container = draw(st.dictionaries(st.sampled_from(KEYS), TREES, max_size=6))
        pod = {draw(st.sampled_from(["containers", "initContainers"])): [container, draw(TREES)]}
        pod.update(draw(st.dictionaries(st.sampled_from(KEYS), TREES, max_size=2)))
        if kind == "Pod":
            obj["spec"] = pod
        elif kind == "CronJob":
            obj["spec"] = {"jobTemplate": {"spec": {"template": {"spec": pod}}}}
        else:
            obj["spec"] = {"template": {"metadata": draw(TREES), "spec": pod},
                           "replicas": draw(SCALARS)}
    elif shape == "spec":
        obj["spec"] = draw(st.dictionaries(st.sampled_from(KEYS), TREES, max_size=6))
    if kind == "List" and depth < 2:
        obj["items"] = draw(st.lists(TREES | objects(depth + 1), max_size=3))
    return obj


DOCUMENTS = st.lists(objects() | TREES, min_size=1, max_size=4).map(
    lambda documents: yaml.safe_dump_all(documents, sort_keys=False,
                                         default_flow_style=None))
TOKENS = st.lists(st.sampled_from(
    list("-:{}[],&*!|>'\"%@`?# \n\t\rabxy01_.=~<\\") + [
        "apiVersion: v1\n", "kind: Pod\n", "kind: Deployment\n", "kind: List\n", "items:\n",
        "---\n", "...\n", "spec:\n", "containers:\n", "  ", "- ", "&a ", "*a", "<<: ", "!!str ",
        "? ", "\ufeff", "\r\n", "\x85", "\u2028", "\x07", "\x00", "é", "#x\n"]),
    max_size=50).map("".join)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("property")
    (path / "config.yaml").write_text("")       # no config found elsewhere can change the run
    return path


def _lint_text(folder, text):
    """Lint `text` from stdin; return the result and the text positions refer to."""
    options = LintOptions(paths=("-",), stdin_text=text, config=str(folder / "config.yaml"))
    return lint(options).result, text


def _lint_bytes(folder, data):
    """Lint `data` written to a file; return the result and the text positions refer to."""
    path = folder / "input.yaml"
    path.write_bytes(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = ""
    options = LintOptions(paths=(str(path),), config=str(folder / "config.yaml"))
    return lint(options).result, text


def _check(result, text):
    # libyaml breaks lines at fewer characters than str.splitlines(), and may point one line
    # past the last break (the end of the stream)
    last_line = len(text.splitlines()) + 1
    for problem in result.problems:
        assert problem.code != "GG000", problem
        assert 1 <= problem.line <= last_line, problem
        assert problem.column >= 1, problem


@settings(SETTINGS, max_examples=400)
@given(data=st.binary(max_size=400))
def test_random_bytes_in_a_file(folder, data):
    result, text = _lint_bytes(folder, data)
    _check(result, text)
    assert result.files == 1


@SETTINGS
@given(text=st.text(max_size=300))
def test_random_text_on_stdin(folder, text):
    result, text = _lint_text(folder, text)
    _check(result, text)


@settings(SETTINGS, max_examples=500)
@given(text=TOKENS)
def test_yaml_flavoured_text_in_a_file(folder, text):
    result, text = _lint_bytes(folder, text.encode())
    _check(result, text)


@settings(SETTINGS, max_examples=300)
@given(text=DOCUMENTS)
def test_random_objects_of_real_kinds(folder, text):
    result, text = _lint_text(folder, text)
    _check(result, text)
    assert not any(p.code in ("GG001", "GG003", "GG005") for p in result.problems), \
        result.problems                          # what yaml.safe_dump writes reads back


@settings(SETTINGS, max_examples=60)
@given(documents=st.lists(objects(), min_size=1, max_size=3), reason=st.text(max_size=5),
       where=st.sampled_from(["metadata", "template"]), rule=st.sampled_from(
           ["K8S101", "k8s102", "liveness-probe-missing", "no-such-rule", ""]))
def test_random_objects_with_inline_ignores(folder, documents, reason, where, rule):
    for obj in documents:
        annotations = {f"ignore.gitops-gen.io/{rule}": reason}
        if where == "template" and isinstance(obj.get("spec"), dict) \
                and isinstance(obj["spec"].get("template"), dict):
            obj["spec"]["template"]["metadata"] = {"annotations": annotations}
        else:
            obj["metadata"] = {"name": "x", "annotations": annotations}
    text = yaml.safe_dump_all(documents)
    result, text = _lint_text(folder, text)
    _check(result, text)


@pytest.mark.parametrize("operator", ["In", "NotIn", "Exists", "DoesNotExist"])
def test_pdb_with_a_list_as_match_expression_key(folder, operator):
    """Once a TypeError in label_selector_matches, so K8S108/K8S109 failed with GG000."""
    text = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: web}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 1
  selector:
    matchExpressions:
      - {key: [app], operator: %s, values: [web]}
""" % operator
    result, text = _lint_text(folder, text)
    _check(result, text)
