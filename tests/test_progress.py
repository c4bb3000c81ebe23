"""Progress: the lint run reports how far it is (Applications rendered, sources linted), and the
CLI draws a bar from it on a terminal's stderr only."""

import json
import pathlib

import pytest
from click.testing import CliRunner

from gitops_gen import api, cli, progress
from gitops_gen.cli import main

APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: {name}, namespace: argocd}}
spec:
  project: default
  source: {{repoURL: https://example.com/platform.git, targetRevision: main, path: {path}}}
  destination: {{server: https://kubernetes.default.svc, namespace: {name}}}
"""
CONFIG_MAP = """\
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings-{number}, namespace: web}}
data: {{LOG_LEVEL: info}}
"""


@pytest.fixture
def repo(tmp_path) -> pathlib.Path:
    """Two Applications (one deploys the other) and 20 manifests the second one deploys."""
    (tmp_path / "apps").mkdir()
    (tmp_path / "manifests").mkdir()
    (tmp_path / "root.yaml").write_text(APPLICATION.format(name="root", path="apps"))
    (tmp_path / "apps" / "web.yaml").write_text(APPLICATION.format(name="web", path="manifests"))
    for number in range(20):
        (tmp_path / "manifests" / f"cm{number:02d}.yaml").write_text(
            CONFIG_MAP.format(number=number))
    return tmp_path


def record(repo: pathlib.Path, jobs: int) -> tuple[list[tuple[str, int, int]], api.LintRun]:
    calls: list[tuple[str, int, int]] = []
    run = api.lint(api.LintOptions(paths=(str(repo),), jobs=jobs, charts_dir=str(repo / "c"),
                                   progress=lambda *call: calls.append(call)))
    return calls, run


def assert_counts_up_to_total(calls: list[tuple[int, int]]) -> None:
    done = [d for d, _ in calls]
    assert done == list(range(1, len(calls) + 1))
    assert all(d <= t for d, t in calls) and calls[-1][0] == calls[-1][1]


@pytest.mark.parametrize("jobs", [1, 2])
def test_stages_report_monotonic_counts_up_to_their_total(repo, jobs):
    calls, run = record(repo, jobs)
    stages = [stage for stage, _, _ in calls]
    assert stages == sorted(stages, key=[api.RENDER, api.LINT].index)  # render, then lint
    rendered = [(d, t) for stage, d, t in calls if stage == api.RENDER]
    assert_counts_up_to_total(rendered)
    assert rendered[-1] == (2, 2) == (run.result.applications,) * 2
    linted = [(d, t) for stage, d, t in calls if stage == api.LINT]
    assert linted[-1][0] == linted[-1][1] == run.result.files
    # a call per chunk of files, in order, whether linted here or by workers
    assert [d for d, _ in linted] == sorted(set(d for d, _ in linted))


def test_the_bar_waits_for_its_delay_then_draws_and_erases_itself():
    class Stream:
        text = ""

        def write(self, text):
            self.text += text

        def flush(self):
            pass

    now = [0.0]
    stream = Stream()
    bar = progress.ProgressBar(stream, delay=1.0, clock=lambda: now[0])
    bar("lint", 1, 4)
    assert stream.text == ""  # a short run never shows a bar
    now[0] = 1.5
    bar("lint", 2, 4)
    assert stream.text.endswith("linting [" + "#" * 15 + "-" * 15 + "] 2/4")
    now[0] = 1.52
    bar("lint", 3, 4)  # too soon after the last redraw
    assert stream.text.endswith("] 2/4")
    bar("lint", 4, 4)  # the last step is always drawn
    assert stream.text.endswith("linting [" + "#" * 30 + "] 4/4")
    bar.close()
    assert stream.text.endswith("\r\x1b[K")


def run_cli(repo, *args):
    return CliRunner().invoke(main, ["lint", str(repo), "--format", "json",
                                     "--charts-dir", str(repo / "c"), *args])


def test_no_bar_when_stderr_is_not_a_terminal(repo, monkeypatch):
    monkeypatch.setattr(progress, "DELAY", 0.0)
    result = run_cli(repo)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    json.loads(result.stdout)


def test_bar_on_a_terminal_stays_off_stdout_and_no_progress_turns_it_off(repo, monkeypatch):
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setattr(cli, "_stderr_is_terminal", lambda: True)
    result = run_cli(repo)
    assert result.exit_code == 0, result.output
    assert "rendering Applications [" in result.stderr and "] 2/2" in result.stderr
    assert "linting [" in result.stderr and result.stderr.endswith("\r\x1b[K")
    quiet = run_cli(repo, "--no-progress")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    assert json.loads(result.stdout)["findings"] == json.loads(quiet.stdout)["findings"]
