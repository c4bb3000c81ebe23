#!/usr/bin/env python3
"""upgrade-check against one lint of the same corpus, side by side, as whole processes.

Usage:
    python bench/upgrade_bench.py [--resources 50000] [--runs 3] [--corpus DIR] [--shared ../shared]

Runs `gitops-gen upgrade-check CORPUS --from 1.29 --to <newest EKS version>` (every hop from one
parse) and `gitops-gen lint CORPUS` (every rule, schemas, all cores: what a user runs), in turns,
on the corpus of shared/bench/make_corpus.py (made in bench/out/ unless --corpus names one);
prints the median wall time and peak memory of each, the ratio (the target is under 1.5x) and
the machine's load average, which the figures depend on.
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

from lint_bench import gitops_gen, timed

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
FROM_VERSION = "1.29"
TARGET = 1.5


def corpus_of(resources: int, shared: pathlib.Path) -> pathlib.Path:
    corpus = HERE / "out" / f"corpus-{resources}"
    if not corpus.is_dir():
        corpus.parent.mkdir(parents=True, exist_ok=True)
        tmp = pathlib.Path(tempfile.mkdtemp(dir=corpus.parent))
        subprocess.run([sys.executable, str(shared / "bench" / "make_corpus.py"), str(tmp),
                        str(resources)], check=True, capture_output=True)
        shutil.rmtree(corpus, ignore_errors=True)
        tmp.rename(corpus)
    return corpus


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resources", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--corpus", type=pathlib.Path, help="an existing corpus folder")
    parser.add_argument("--shared", default=str(REPO.parent / "shared"))
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from gitops_gen.versions import default_k8s_version

    corpus = args.corpus or corpus_of(args.resources, pathlib.Path(args.shared))
    newest = default_k8s_version()
    tool = gitops_gen()
    commands = {
        "lint": tool + ["lint", str(corpus), "--format", "json", "--fail-on", "never"],
        f"upgrade-check {FROM_VERSION} -> {newest}": tool + [
            "upgrade-check", str(corpus), "--from", FROM_VERSION, "--to", newest,
            "--format", "json"],
    }
    print(f"corpus {corpus}; before: {load()}")
    samples: dict[str, list] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            samples[name].append(timed(command))
    walls = {}
    for name, runs in samples.items():
        walls[name] = statistics.median(s[0] for s in runs)
        rss = max(s[1] for s in runs)
        report = json.loads(runs[-1][2].stdout)
        if "hops" in report:
            found = sum(len(hop["findings"]) for hop in report["hops"])
            what = f"{found} findings in {len(report['hops'])} hops"
        else:
            what = f"{len(report['findings'])} findings"
        print(f"{name:<28} {walls[name]:7.2f} s  peak {rss:7.1f} MiB  {what}  "
              f"(runs: {', '.join(f'{s[0]:.2f}' for s in runs)})")
    lint, upgrade = walls.values()
    ratio = upgrade / lint
    print(f"upgrade-check / lint = {ratio:.2f}x (target < {TARGET}x: "
          f"{'met' if ratio < TARGET else 'MISSED'}); after: {load()}")


if __name__ == "__main__":
    main()
