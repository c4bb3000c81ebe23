"""The parent's side of a parallel lint: the spool's merge, the reporters' row formatting
(checked against the plain-data reports and ElementTree), the cross-resource rules' helper
process, and the default number of workers."""

from __future__ import annotations

import io
import json
import os
import random
import signal
import xml.etree.ElementTree as ET

import pytest

from gitops_gen.api import LintRun
from gitops_gen.errors import UserError
from gitops_gen.lint import parallel
from gitops_gen.lint.model import LintResult, Problem, ResourceId, Severity, problem_row
from gitops_gen.lint.registry import load_rules
from gitops_gen.lint import spool as spool_module
from gitops_gen.lint.spool import Spool, encode_rows, merge_blocks, sort_key
from gitops_gen.report import REPORTERS, json_report, sarif

RULES = load_rules()


def _row(file: str, line: int, code: str = "K8S101", message: str = "m", tag: int = 0) -> tuple:
    """A row whose last item tells rows with the same key apart."""
    return (file, line, 1, code, message, "warning", "v1", "Pod", None, "p", "", None, tag)


def _blocks(rows: list[tuple], size: int) -> list[list[tuple]]:
    return [rows[i:i + size] for i in range(0, len(rows), size)]


@pytest.mark.parametrize("seed", range(40))
def test_merged_blocks_are_the_stable_sort_of_the_runs_in_order(seed):
    rng = random.Random(seed)
    runs = []
    for number in range(rng.randint(1, 6)):
        rows = sorted((_row(f"f{rng.randint(0, 4)}", rng.randint(1, 3), tag=(number, i))
                       for i in range(rng.randint(0, 60))), key=sort_key)
        runs.append(_blocks(rows, rng.randint(1, 9)) + ([[]] if rng.random() < 0.2 else []))
    merged = [row for block in merge_blocks([iter(r) for r in runs]) for row in block]
    expected = sorted((row for run in runs for block in run for row in block), key=sort_key)
    assert merged == expected  # equal keys: earlier runs first, each run in its own order


@pytest.mark.parametrize("in_memory", [1 << 20, 1000])
def test_the_spool_merges_chunks_late_runs_and_a_helpers_runs_and_reads_again(
        tmp_path, monkeypatch, in_memory):
    monkeypatch.setattr(spool_module, "IN_MEMORY_BYTES", in_memory)  # 1000: most runs on disk
    spool = Spool()
    chunk_rows = [_row(f"a{n // 7:03}", n % 7, tag=n) for n in range(300)]
    for start in range(0, 300, 40):  # chunks in file order, as the workers send them
        blocks, first, last = encode_rows(chunk_rows[start:start + 40])
        spool.add(parallel.ChunkResult(blocks, first, last, None, (0, 0, 0, 0), [], []))
    late = [_row(f"a{n:03}", 3, "K8S108", tag=f"late{n}") for n in range(0, 43, 2)]
    spool.add_late(list(late))
    helper = Spool(open(tmp_path / "helper", "w+b"))  # what a helper process spools
    helped = [_row(f"a{n:03}", 0, "K8S211", tag=f"helped{n}") for n in range(43)]
    helper.add_late(list(helped))
    spool.adopt_late(helper.late_runs(), helper._file)
    expected = sorted(chunk_rows + late + helped, key=sort_key)
    assert list(spool.rows()) == expected
    assert list(spool.rows()) == expected  # each read starts again
    on_disk = [f for f in spool._files if not isinstance(f, io.BytesIO)]
    assert len(on_disk) == (1 if in_memory == 1 << 20 else 2)  # the helper's; and the spool's
    spool.close()


def test_a_forked_helpers_late_runs_reach_the_parent_whole(tmp_path):
    """The cross-resource rules' helper spools to a file it shares with the parent, then
    exits at once (os._exit): what it buffered must be on the file by then."""
    import pickle
    import tempfile

    shared = tempfile.TemporaryFile()
    helped = [_row(f"a{n:03}", 0, "K8S211", tag=f"helped{n}") for n in range(3)]  # one small block
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:
        helper = Spool(shared)
        helper.add_late(list(helped))
        with os.fdopen(writable, "wb") as pipe:
            pipe.write(pickle.dumps(helper.late_runs()))
        os._exit(0)
    os.close(writable)
    with os.fdopen(readable, "rb") as pipe:
        runs = pickle.loads(pipe.read())
    os.waitpid(pid, 0)
    spool = Spool()
    spool.adopt_late(runs, shared)
    assert list(spool.rows()) == helped
    spool.close()


# -- the reporters' row formatting against the plain-data reports

ODD = ResourceId("apps/v1", "Deployment", None, "w\u00e9b \"q\"")


def _problems() -> list[Problem]:
    messages = ["plain", "\u00fcnicode \u2603 \U0001F600", "quotes \" and \\ back",
                "ctrl \x00\x1b\t end", "line\r\nnext\nlast", "<tag> & 100% a:b,c"]
    problems = []
    for number, message in enumerate(messages):
        for code in ("K8S101", "K8S209", "GG001"):
            rule = RULES[code]
            problems.append(Problem(
                code, rule.name, Severity.ERROR if number % 2 else rule.severity, message,
                rule.remediation, ["b/x.yaml", "a&b,c:d%.yaml", "<stdin>"][number % 3],
                number + 1, 2 * number, ODD if number % 3 else None, "spec.x" if number else "",
                "prod-web, stage-web" if number == 4 else None,
                "chart web (templates/a.yaml)" if number == 4 else None))
    return sorted(problems, key=lambda p: p.sort_key)


def _run(problems: list[Problem]) -> LintRun:
    result = LintResult(problems=problems, files=4, resources=9,
                        linted_files=["a&b,c:d%.yaml", "clean.yaml"],
                        skipped_files=[("t/", "templates")])
    return LintRun(result, RULES, None, "error", 1)


def test_json_findings_are_what_json_dumps_writes():
    run = _run(_problems())
    expected = json_report.dumps_with_compact_list(json_report.document(run), "findings")
    assert REPORTERS["json"](run) == expected


def test_sarif_results_are_what_json_dumps_writes():
    run = _run(_problems())
    assert REPORTERS["sarif"](run) == json.dumps(sarif.document(run)) + "\n"


def test_junit_is_what_element_tree_writes():
    problems = [p for p in _problems() if "\r" not in p.message]  # XML reads CR LF as LF
    out = REPORTERS["junit"](_run(problems))
    root = ET.fromstring(out)
    ET.indent(root)
    assert out == ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
    failures = root.findall(".//failure")
    assert len(failures) == len(problems)
    assert failures[0].get("message").startswith(f"{problems[0].code} {problems[0].name}: ")


def test_text_and_github_name_the_subject_and_indent_multiline_messages():
    problems = _problems()
    text = REPORTERS["text"](_run(problems))
    assert "line\n" in text and "\n" + " " * 8 + "next" in text
    assert "(Deployment w\u00e9b \"q\", Application prod-web, stage-web " \
           "(chart web (templates/a.yaml)))" in text
    lines = REPORTERS["github"](_run(problems)).splitlines()
    assert len([line for line in lines if line.startswith("::")]) == len(problems)
    assert any("file=a&b%2Cc%3Ad%25.yaml" in line and "line%0D%0Anext%0A" in line
               for line in lines)


def test_streamed_rows_and_listed_problems_give_the_same_report(tmp_path):
    problems = _problems()
    spool = Spool()
    spool.add_late([problem_row(p) for p in problems])
    streamed = parallel.LintStream(LintResult(), spool, RULES, merge_applications=False)
    run = _run(problems)
    for name, reporter in REPORTERS.items():
        listed = reporter(run)
        run.result.problems = streamed.problems()
        assert reporter(run) == listed, name
        run.result.problems = problems
    spool.close()


# -- the cross-resource rules' helper process


def test_shared_tasks_run_once_each_across_both_processes(tmp_path):
    log = tmp_path / "log"

    def run(numbers):
        for number in numbers:
            with open(log, "a") as handle:
                handle.write(f"{os.getpid()} {number}\n")

    answer = parallel.share_tasks(20, 2, run, lambda run, numbers: (run(numbers), "done")[1])
    entries = [line.split() for line in log.read_text().splitlines()]
    assert answer == "done"
    assert sorted(int(number) for _, number in entries) == list(range(20))
    assert parallel.share_tasks(3, 1, run, lambda *_: "never") is None  # no fork with one job


def test_a_helper_that_dies_is_an_error_not_a_hang():
    def die(run, numbers):
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(UserError, match="worker process died"):
        parallel.share_tasks(4, 2, lambda numbers: list(numbers), die)


# -- the default number of workers


@pytest.mark.parametrize(("busy", "own", "idle"), [(0.0, 0.0, 2), (0.4, 0.0, 2), (0.6, 0.0, 1),
                                                 (1.0, 0.0, 1), (2.0, 0.0, 1), (1.0, 1.0, 2),
                                                 (2.0, 1.0, 1)])
def test_the_default_counts_the_cores_other_work_leaves_idle(monkeypatch, busy, own, idle):
    """Over 1 s of 2 cores (200 ticks), `busy` cores were used, `own` of them by this process."""
    import resource

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "sysconf", lambda name: 100)
    ticks = iter([(1000, 5000), (1000 + int(busy * 100), 5200)])
    monkeypatch.setattr(parallel, "_cpu_times", lambda: next(ticks))
    times = iter([3.0, 3.0 + own])
    monkeypatch.setattr(resource, "getrusage",
                        lambda who: type("Usage", (), {"ru_utime": next(times), "ru_stime": 0})())
    monkeypatch.setattr(parallel.time, "sleep", lambda seconds: None)
    assert parallel.idle_cores() == idle


def test_without_proc_stat_the_load_average_counts(monkeypatch):
    def missing():
        raise OSError("no /proc")

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.setattr(parallel, "_cpu_times", missing)
    monkeypatch.setattr(os, "getloadavg", lambda: (2.6, 1.0, 1.0))
    assert parallel.idle_cores() == 1


def test_the_probe_watches_while_the_run_reads_its_files(monkeypatch):
    slept = []
    monkeypatch.setattr(parallel.time, "sleep", slept.append)
    probe = parallel.LoadProbe()
    sum(range(10**6))  # this process's own work is not another's
    assert 0 <= probe.busy_cores() <= os.cpu_count()
    assert slept and slept[0] <= parallel.IDLE_SAMPLE_SECONDS  # at least the shortest watch


def test_workers_for_a_run(monkeypatch):
    monkeypatch.setattr(parallel, "idle_cores", lambda probe=None: 3)
    large = [parallel.PARALLEL_MIN_BYTES]
    assert parallel.workers_for(large, 0) == 3
    assert parallel.workers_for(large, 2) == 2
    assert parallel.workers_for(large, 1) == 1
    small = [1] * 100
    assert parallel.workers_for(small, 0) == 1 and parallel.workers_for(small, 4) == 1
