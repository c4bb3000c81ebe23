#!/usr/bin/env python3
"""Lint benchmarks, as whole processes: what a pre-commit hook pays, and the 50k corpus.

Usage:
    python bench/lint_bench.py [--resources 50000] [--runs 5] [--shared ../shared]

Prints:
  * start-up: `gitops-gen lint ONE_FILE` (median wall time; the target is under 0.25 s),
    beside `python -c pass`, the floor any Python tool pays;
  * the corpus made by shared/bench/make_corpus.py: resources per second, peak memory, the
    findings per rule, beside the floors (shared/bench/parse_only.py: libyaml compose and load)
    and the peers measured on this machine kind (shared/bench/README.md).
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
    if not corpus.is_dir():
        corpus.parent.mkdir(parents=True, exist_ok=True)
        tmp = pathlib.Path(tempfile.mkdtemp(dir=corpus.parent))
        subprocess.run([sys.executable, str(shared / "bench" / "make_corpus.py"), str(tmp),
                        str(args.resources)], check=True, stdout=subprocess.DEVNULL)
        tmp.rename(corpus)
    print(f"\n== corpus: {args.resources} resources in {corpus} ==")
    runs = max(1, min(args.runs, 3))
    floors = {}
    for mode in ("pyyaml-compose", "pyyaml-load"):
        floors[mode], _ = median_of(runs, [sys.executable, str(shared / "bench" / "parse_only.py"),
                                           mode, str(corpus)])
    cmd = tool + ["lint", str(corpus), "--format", "json", "--fail-on", "never"]
    samples = [timed(cmd) for _ in range(runs)]
    wall = statistics.median(s[0] for s in samples)
    rss = max(s[1] for s in samples)
    report = json.loads(samples[-1][2].stdout)
    summary = report["summary"]
    per_rule: dict[str, int] = {}
    for finding in report["findings"]:
        per_rule[finding["code"]] = per_rule.get(finding["code"], 0) + 1
    print(f"gitops-gen lint (all rules)  {wall:6.2f} s  peak {rss:6.1f} MiB  "
          f"{summary['resources'] / wall:8.0f} resources/s  {len(report['findings'])} findings")
    for mode, seconds in floors.items():
        print(f"floor {mode:<22} {seconds:6.2f} s  (gitops-gen = {wall / seconds:.2f}x)")
    if args.resources == 50_000:
        for peer, seconds in PEERS_50K.items():
            print(f"peer  {peer:<44} {seconds:6.2f} s  (gitops-gen = {wall / seconds:.2f}x)")
    print("findings per rule: " + ", ".join(f"{k} {v}" for k, v in sorted(per_rule.items())))


if __name__ == "__main__":
    main()
