"""Linting in worker processes: every --jobs gives byte-identical reports in every format, the
findings stream in order, and a worker that dies is an error (exit 2), not a hang."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from click.testing import CliRunner

from gitops_gen.api import LintOptions, lint, lint_streamed
from gitops_gen.cli import main
from gitops_gen.lint import parallel, spool
from gitops_gen.lint.engine import Engine
from gitops_gen.report import REPORTERS


@pytest.fixture(scope="module")
def corpus(shared, tmp_path_factory) -> str:
    """400 resources in 40 files from the benchmark's generator, plus files whose names sort
    before their folder's (`a.yaml` beside `a/`), so chunks' key ranges overlap."""
    folder = tmp_path_factory.mktemp("corpus")
    subprocess.run([sys.executable, str(shared / "bench" / "make_corpus.py"), str(folder / "m"),
                    "400"], check=True, capture_output=True)
    (folder / "m" / "a").mkdir()
    (folder / "m" / "a" / "z.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: lost, namespace: a}\n"
        "spec: {selector: {app: nothing}, ports: [{port: 80}]}\n")
    (folder / "m" / "a.yaml").write_text("kind: [unclosed\n")
    return str(folder / "m")


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 8 files, and workers however small the input: the 40 files make 6 chunks; and
    a parallel run's report is formatted in two halves (by two processes) however small."""
    monkeypatch.setattr(parallel, "CHUNK_FILES", 8)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(spool, "SPLIT_MIN_BLOCKS", 0)


def _lint_cli(*args: str):
    return CliRunner().invoke(main, ["lint", "--k8s-version", "1.30", *args])


@pytest.mark.parametrize("output_format", list(REPORTERS))
def test_every_jobs_count_writes_the_same_report(corpus, small_chunks, output_format, tmp_path):
    outputs = []
    for jobs in (1, 2, 3):
        out = tmp_path / f"report-{jobs}"
        result = _lint_cli(corpus, "-j", str(jobs), "-f", output_format, "-o", str(out))
        assert result.exit_code == 1, result.output
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
    # and the streamed report is what the listed run's reporter writes
    run = lint(LintOptions(paths=(corpus,), k8s_version="1.30", jobs=2))
    assert REPORTERS[output_format](run).encode() == outputs[0]


def test_workers_lint_the_chunks_and_the_stream_is_sorted(corpus, small_chunks, monkeypatch,
                                                          tmp_path):
    pids = tmp_path / "pids"
    chunk = Engine._lint_chunk

    def recording(self, start, end):
        with open(pids, "a") as handle:
            handle.write(f"{os.getpid()}\n")
        return chunk(self, start, end)

    monkeypatch.setattr(Engine, "_lint_chunk", recording)
    progress = []
    options = LintOptions(paths=(corpus,), k8s_version="1.30", jobs=3)
    with lint_streamed(options, on_chunk=lambda done, total: progress.append((done, total))) \
            as streamed:
        counts = streamed.run.result.summary().counts
        problems = list(streamed.problems())
    linters = pids.read_text().split()
    assert len(linters) == 6 and str(os.getpid()) not in linters
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    assert progress[-1] == (42, 42) and len(progress) == 6
    assert problems == sorted(problems, key=lambda p: p.sort_key)
    assert {p.code for p in problems} >= {"GG001", "K8S301", "K8S108", "SCH001", "API001"}
    assert sum(counts.values()) == len(problems)
    assert streamed.run.result.problems == []  # streamed: nothing held
    listed = lint(LintOptions(paths=(corpus,), k8s_version="1.30", jobs=1))
    assert listed.result.problems == problems
    assert listed.result.files == streamed.run.result.files == 42


def test_a_killed_worker_is_an_error_not_a_hang(corpus, small_chunks, monkeypatch):
    parent = os.getpid()
    chunk = Engine._lint_chunk

    def dying(self, start, end):
        if os.getpid() != parent and start > 0:
            os.kill(os.getpid(), signal.SIGKILL)
        return chunk(self, start, end)

    monkeypatch.setattr(Engine, "_lint_chunk", dying)
    result = _lint_cli(corpus, "-j", "2", "-f", "json")
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "gitops-gen: error: a lint worker process died (killed, or out of memory) "
        "(lint again with fewer --jobs, or with more memory)"]
