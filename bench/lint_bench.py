#!/usr/bin/env python3
"""Lint benchmarks, as whole processes: what a pre-commit hook pays, and the 50k corpus.

Usage:
    python bench/lint_bench.py [--resources 50000] [--runs 5] [--shared ../shared]

Prints:
  * start-up: `gitops-gen lint ONE_FILE` (median wall time; the target is under 0.25 s),
    beside `python -c pass`, the floor any Python tool pays;
  * the corpus made by shared/bench/make_corpus.py, linted in full (schemas of Kubernetes 1.30
    as the peers used, deprecated APIs, every rule) on one core and on all: resources per
    second, peak memory, findings per rule and the injected defects found, beside the floors
    (shared/bench/parse_only.py: libyaml compose and load) and the peers measured on this
    machine kind (shared/bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
PEERS_50K = {  # shared/bench/README.md, same machine kind, schema only
    "kubeconform -n 2 (Go, schema only)": 8.7,
    "kubeconform -n 1": 12.0,
    "validate_min.py rs (PyYAML + jsonschema-rs)": 12.9,
}


REMOVED_BEFORE_1_30 = ("batch/v1beta1", "autoscaling/v2beta2", "extensions/v1beta1",
                      "policy/v1beta1")


def _defect(truth: pathlib.Path, name: str) -> int:
    for line in truth.read_text().splitlines():
        if line.strip().startswith(f"defect {name}:"):
            return int(line.rsplit(":", 1)[1])
    return -1


def timed(cmd: list[str], **kwargs) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall seconds and peak RSS in MiB of one child process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, **kwargs)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        code = os.waitstatus_to_exitcode(status)
        done = subprocess.CompletedProcess(cmd, code, out.read(), err.read())
    return wall, usage.ru_maxrss / 1024, done


def median_of(runs: int, cmd: list[str]) -> tuple[float, float]:
    timed(cmd)  # warm-up
    samples = [timed(cmd) for _ in range(runs)]
    return statistics.median(s[0] for s in samples), max(s[1] for s in samples)


def gitops_gen() -> list[str]:
    found = shutil.which("gitops-gen", path=os.path.dirname(sys.executable)) or shutil.which(
        "gitops-gen")
    return [found] if found else [sys.executable, "-m", "gitops_gen"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resources", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--shared", default=str(REPO.parent / "shared"))
    args = parser.parse_args()
    shared = pathlib.Path(args.shared)
    tool = gitops_gen()

    print("== start-up: one small file, as a pre-commit hook runs it ==")
    small = REPO / "examples" / "manifests" / "checkout.yaml"
    floor, _ = median_of(args.runs, [sys.executable, "-c", "pass"])
    wall, rss = median_of(args.runs, tool + ["lint", str(small)])
    print(f"python -c pass            {floor:6.3f} s")
    print(f"gitops-gen lint 1 file    {wall:6.3f} s  peak {rss:5.1f} MiB  "
          f"(target < 0.250 s: {'met' if wall < 0.25 else 'MISSED'}; {wall / floor:.1f}x the floor)")

    corpus = HERE / "out" / f"corpus-{args.resources}"
    truth = corpus.with_suffix(".summary.txt")
    if not corpus.is_dir() or not truth.is_file():
        corpus.parent.mkdir(parents=True, exist_ok=True)
        tmp = pathlib.Path(tempfile.mkdtemp(dir=corpus.parent))
        made = subprocess.run([sys.executable, str(shared / "bench" / "make_corpus.py"), str(tmp),
                               str(args.resources)], check=True, capture_output=True, text=True)
        shutil.rmtree(corpus, ignore_errors=True)
        tmp.rename(corpus)
        truth.write_text(made.stdout)
    print(f"\n== corpus: {args.resources} resources in {corpus} ==")
    runs = max(1, min(args.runs, 3))
    floors = {}
    for mode in ("pyyaml-compose", "pyyaml-load"):
        floors[mode], _ = median_of(runs, [sys.executable, str(shared / "bench" / "parse_only.py"),
                                           mode, str(corpus)])
    lint = tool + ["lint", str(corpus), "--k8s-version", "1.30", "--format", "json",
                   "--fail-on", "never"]
    for label, extra in (("-j 1", ["--jobs", "1"]), ("all cores", [])):
        samples = [timed(lint + extra) for _ in range(runs)]
        wall = statistics.median(s[0] for s in samples)
        rss = max(s[1] for s in samples)
        report = json.loads(samples[-1][2].stdout)
        print(f"gitops-gen lint, all rules, {label:<9}  {wall:6.2f} s  peak {rss:6.1f} MiB  "
              f"{report['summary']['resources'] / wall:8.0f} resources/s  "
              f"{len(report['findings'])} findings")
    for mode, seconds in floors.items():
        print(f"floor {mode:<22} {seconds:6.2f} s  (gitops-gen = {wall / seconds:.2f}x)")
    if args.resources == 50_000:
        for peer, seconds in PEERS_50K.items():
            print(f"peer  {peer:<44} {seconds:6.2f} s  (gitops-gen = {wall / seconds:.2f}x)")
    per_rule: dict[str, int] = {}
    for finding in report["findings"]:
        per_rule[finding["code"]] = per_rule.get(finding["code"], 0) + 1
    print("findings per rule: " + ", ".join(f"{k} {v}" for k, v in sorted(per_rule.items())))
    print("injected defects (make_corpus.py) vs found:")
    removed = sum(int(line.split()[0]) for line in truth.read_text().splitlines()
                  if any(api in line for api in REMOVED_BEFORE_1_30))
    for label, expected, code in (
            ("replicas as a string", _defect(truth, "deployment-replicas-string"), "SCH001"),
            ("unknown field targetport", _defect(truth, "service-unknown-field"), "SCH002"),
            ("removed APIs not also unknown kinds", 0, "SCH003"),
            ("APIs removed before 1.30", removed, "API001")):
        got = per_rule.get(code, 0)
        print(f"  {label:<38} {expected:6d} injected  {got:6d} {code}  "
              f"{'ok' if got == expected else 'MISMATCH'}")


if __name__ == "__main__":
    main()
