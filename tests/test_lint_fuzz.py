"""Fuzzing lint with mutated real manifests: whatever the damage, a run finishes, reports no
internal error (GG000), exits 0 or 1, and places every finding inside the file.

Seeds are the rule fixtures (every kind of object the rules know, Argo CD Applications and
ApplicationSets, CRDs, kustomizations, Lists, multi-document streams), files of the committed
render (output-example/), a JSON manifest and Helm-ish template text. Mutations delete, duplicate and swap text, and insert what readers trip
on: YAML 1.1 line breaks, tabs, anchors and aliases, merge keys, deep nesting, odd scalars and
keys, tags, byte order marks, control characters. Derandomized, so CI sees the same examples;
GITOPS_GEN_FUZZ_EXAMPLES raises the count for a longer local hunt.
"""

import os
import pathlib
import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitops_gen.api import LintOptions, lint

FIXTURES = pathlib.Path(__file__).parent / "rules" / "fixtures"
EXAMPLES = int(os.environ.get("GITOPS_GEN_FUZZ_EXAMPLES", "400"))
REPO = pathlib.Path(__file__).resolve().parent.parent
RENDERED = ["environments/prod/app-of-apps.yaml", "environments/prod/bootstrap/appprojects.yaml",
            "apps/orders/overlays/prod/kustomization.yaml", "apps/checkout/values.yaml",
            "platform/karpenter/manifests/prod/nodepool.yaml",
            "platform/kube-prometheus-stack/manifests/staging/alertmanager-config.yaml"]


def _seeds() -> list[tuple[str, str]]:
    """(file name, text) of every single-file fixture manifest, and a few other formats."""
    seeds = []
    for path in sorted(FIXTURES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text())["cases"]:
            if "manifest" in case:
                name = "kustomization.yaml" if "kind: Kustomization" in case["manifest"] \
                    else f"{path.stem.lower()}.yaml"
                seeds.append((name, case["manifest"]))
    for relative in RENDERED:  # the committed render: Applications, projects, overlays, values
        path = REPO / "output-example" / relative
        seeds.append((path.name, path.read_text()))
    seeds.append(("pod.json.yaml", '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"},'
                  ' "spec": {"containers": [{"name": "a", "image": "nginx:1.27"}]}}\n'))
    seeds.append(("deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
                  "  name: {{ .Release.Name }}\n  labels: {{- include \"labels\" . | nindent 4 }}\n"
                  "spec:\n  replicas: {{ .Values.replicas }}\n"))
    return seeds


SEEDS = _seeds()
INSERTS = [
    "\u2028", "\x85", "\u2029", "\t", "\r", "\r\n", "\ufeff", "\x07", "&a ", "*a", "<<: *a\n",
    "&a [1, *a]", "? ", "!!binary ", "!!str ", "!custom ", "%YAML 1.1\n", "---\n", "...\n", "- ",
    ": ", "{", "}", "[", "]", "#", "'", '"', "|", ">-\n", "\\", "0o17", "1e3", ".inf", "~", "yes",
    "0x1F", "1_000", "12:30:00", "2001-12-14", "1: a\ntrue: b\n", "null: x\n", "é", "😀",
    "{a: " * 120 + "1" + "}" * 120, "[" * 300 + "]" * 300,
    "".join(" " * i + f"k{i}:\n" for i in range(110)), "apiVersion: 1\n", "kind: [Pod]\n",
    "kind: List\nitems:\n- ", "pattern: '^[[:alnum:]]+$'\n", "pattern: '\\C'\n",
    "maxLength: abc\n", "minimum: [1]\n", "type: 5\n", "required: x\n", "enum: 3\n",
]


@st.composite
def mutated(draw) -> tuple[str, str]:
    name, text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        lines = text.splitlines(keepends=True) or [""]
        where = draw(st.integers(0, len(text)))
        mutation = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "insert"]))
        if mutation == "delete":
            text = text[:where] + text[where + draw(st.integers(1, 20)):]
        elif mutation == "duplicate":
            text = text[:where] + text[where:where + draw(st.integers(1, 40))] + text[where:]
        elif mutation == "swap" and len(lines) > 1:
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
        else:
            text = text[:where] + draw(st.sampled_from(INSERTS)) + text[where:]
    return name, text


def _lines(text: str) -> list[str]:
    """The lines as an editor shows them (breaks: \\r\\n, \\r, \\n)."""
    return re.split(r"\r\n|\r|\n", text)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz")
    (path / ".gitops-gen.yaml").write_text("")
    (path / "in").mkdir()
    return path


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(case=mutated())
def test_lint_survives_mutated_manifests(folder, case):
    name, text = case
    for old in (folder / "in").iterdir():
        old.unlink()
    path = folder / "in" / name
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    run = lint(LintOptions(paths=(str(path),), config=str(folder / ".gitops-gen.yaml"),
                           render=False))
    assert run.exit_code in (0, 1)
    lines = _lines(text.removeprefix("\ufeff"))
    for problem in run.result.problems:
        assert problem.code != "GG000", problem
        assert 1 <= problem.line <= len(lines), problem
        assert 1 <= problem.column <= len(lines[problem.line - 1]) + 1, (
            problem, lines[problem.line - 1])
