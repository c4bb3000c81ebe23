"""The composite GitHub Action (action.yml): its inputs, and its steps' scripts run for real with
bash, the way the runner runs them (inputs reach the scripts through `env`)."""

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest
import yaml

from gitops_gen import __version__

REPO = pathlib.Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((REPO / "action.yml").read_text())
STEPS = {step.get("name", step.get("uses")): step for step in ACTION["runs"]["steps"]}
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
BIN = pathlib.Path(sys.executable).parent

UNPINNED = """\
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec:
  containers:
    - name: app
      image: nginx:latest
"""


def _inputs(**given: str) -> dict[str, str]:
    values = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
    values.update({name.replace("_", "-"): value for name, value in given.items()})
    return values


def _step_env(step: dict, inputs: dict[str, str]) -> dict[str, str]:
    """The step's `env`, with `${{ inputs.x }}` and `${{ github.action_path }}` evaluated."""
    known = {**{f"inputs.{k}": v for k, v in inputs.items()}, "github.action_path": str(REPO)}

    def value(match: re.Match) -> str:
        assert match.group(1) in known, f"unexpected expression {match.group(0)}"
        return known[match.group(1)]

    return {name: EXPRESSION.sub(value, str(text)) for name, text in step.get("env", {}).items()}


def _run_step(name: str, cwd: pathlib.Path, path_dirs=(BIN,), **given: str):
    step = STEPS[name]
    assert step["shell"] == "bash"
    env = dict(os.environ, **_step_env(step, _inputs(**given)))
    env["PATH"] = os.pathsep.join([*map(str, path_dirs), env["PATH"]])
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_pinned_version_is_this_release():
    assert ACTION["inputs"]["version"]["default"] == __version__


def test_every_input_is_used_and_every_use_is_declared():
    text = (REPO / "action.yml").read_text()
    used = set(re.findall(r"inputs\.([a-z-]+)", text))
    assert used == set(ACTION["inputs"])


def test_scripts_read_inputs_from_env_only():
    """An input pasted into a script could inject shell code; the runner passes them as env."""
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("name")


def test_lint_step_annotates_writes_sarif_and_fails_on_findings(tmp_path):
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "pod.yaml").write_text(UNPINNED)
    run = _run_step("gitops-gen lint", tmp_path, paths="manifests", args="--select K8S209")
    assert run.returncode == 1, run.stderr
    assert run.stdout.startswith("::error file=manifests/pod.yaml,line=7,col=14,")
    sarif = json.loads((tmp_path / "gitops-gen.sarif").read_text())
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["K8S209"]


def test_lint_step_honours_fail_on_config_and_sarif_switch(tmp_path):
    (tmp_path / "pod.yaml").write_text(UNPINNED)
    (tmp_path / "lint.yaml").write_text("rules:\n  image-unpinned:\n    severity: warning\n")
    run = _run_step("gitops-gen lint", tmp_path, paths="pod.yaml", config="lint.yaml",
                    args="--select K8S209", upload_sarif="false")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("::warning file=pod.yaml,line=7,col=14,")
    assert not (tmp_path / "gitops-gen.sarif").exists()
    run = _run_step("gitops-gen lint", tmp_path, paths="pod.yaml", config="lint.yaml",
                    args="--select K8S209", fail_on="warning", upload_sarif="false")
    assert run.returncode == 1


def test_lint_step_rejects_a_bad_fail_on_as_a_usage_error(tmp_path):
    (tmp_path / "pod.yaml").write_text(UNPINNED)
    run = _run_step("gitops-gen lint", tmp_path, paths="pod.yaml", fail_on="sometimes")
    assert run.returncode == 2 and "sometimes" in run.stderr


@pytest.mark.parametrize("version, expected", [
    (__version__, f"gitops-gen @ git+https://github.com/gitops-gen/gitops-gen@v{__version__}"),
    ("local", str(REPO)),
])
def test_install_step_pins_the_version_or_installs_the_action_itself(tmp_path, version,
                                                                     expected):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "pip").write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$PIP_ARGS"\n')
    (fake / "pip").chmod(0o755)
    step = STEPS["Install gitops-gen"]
    env = dict(os.environ, **_step_env(step, _inputs(version=version)),
               PIP_ARGS=str(tmp_path / "args"), PATH=f"{fake}{os.pathsep}{os.environ['PATH']}")
    subprocess.run(["bash", "-eo", "pipefail", "-c", step["run"]], env=env, check=True)
    assert (tmp_path / "args").read_text().splitlines() == ["install", expected]


def test_charts_step_pulls_for_the_linted_paths(tmp_path):
    (tmp_path / "pod.yaml").write_text(UNPINNED)
    run = _run_step("Pull charts", tmp_path, paths="pod.yaml")
    assert run.returncode == 0, run.stderr
    assert "no remote Helm charts in pod.yaml" in run.stdout
    assert STEPS["Pull charts"]["if"] == "inputs.pull-charts == 'true'"


def test_sarif_upload_runs_after_a_failed_lint_and_cannot_fail_the_job():
    upload = next(s for s in ACTION["runs"]["steps"]
                  if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["continue-on-error"] is True
    assert "!cancelled()" in upload["if"] and "inputs.upload-sarif == 'true'" in upload["if"]
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"
    names = [s.get("name") for s in ACTION["runs"]["steps"]]
    assert names.index(upload["name"]) > names.index("gitops-gen lint")


def test_readme_uses_the_action_with_inputs_it_has():
    readme = (REPO / "README.md").read_text()
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", readme, re.S)
              if "uses: gitops-gen/gitops-gen@" in b]
    [steps] = [job["steps"] for block in blocks for job in block["jobs"].values()]
    [step] = [s for s in steps if s.get("uses", "").startswith("gitops-gen/gitops-gen@")]
    assert step["uses"] == f"gitops-gen/gitops-gen@v{__version__}"
    assert set(step["with"]) <= set(ACTION["inputs"])
