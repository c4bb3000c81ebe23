#!/usr/bin/env python3
"""Scale benchmark: `gitops-gen lint` as a whole process on 5k, 50k and 100k resources, for
--jobs 1, 2 and the default, for each output format: wall time, CPU time (user + system,
workers included), speed-up over --jobs 1, and peak memory (the largest process, and the sum
over the process tree), beside the floors measured in the same run (shared/bench/parse_only.py,
validate_min.py) and kubeconform's figure from shared/bench/README.md scaled by the floor ratio.

Usage:
    python bench/scale_bench.py [--sizes 5000,50000,100000] [--jobs 1,2,0]
        [--formats text,json,sarif,github,junit] [--big-formats text,sarif] [--runs 1]
        [--shared ../shared] [--cache DIR]

The corpora are made by shared/bench/make_corpus.py (tests/shared/bench/ without ../shared)
and cached in DIR (default: $TMPDIR/gitops-gen-scale-bench). The largest size runs only
--big-formats. Machines are noisy: compare ratios from the same run, and read the load
averages printed before and after.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
FORMATS = ("text", "json", "sarif", "github", "junit")
KUBECONFORM_50K = 8.7
"""kubeconform -strict -summary -n 2 on the 50k corpus, seconds (shared/bench/README.md) ..."""
COMPOSE_FLOOR_50K = 6.7
"""... on a machine where `parse_only.py pyyaml-compose` took this long on the same corpus."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="5000,50000,100000")
    parser.add_argument("--jobs", default="1,2,0", help="0: the default (one per core)")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--big-formats", default="text,sarif",
                        help="formats run at the largest size")
    parser.add_argument("--runs", type=int, default=1, help="median of this many runs")
    parser.add_argument("--shared", default=str(REPO.parent / "shared"))
    parser.add_argument("--cache", default=os.path.join(tempfile.gettempdir(),
                                                        "gitops-gen-scale-bench"))
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    shared = pathlib.Path(args.shared)
    tool = _gitops_gen()
    print(f"load before: {_uptime()}   cores: {os.cpu_count()}")
    rows: list[dict] = []
    for size in sizes:
        corpus = _corpus(size, shared, pathlib.Path(args.cache))
        floors = _floors(shared, corpus, args.runs)
        for name, seconds in floors.items():
            print(f"{size:>7}  floor {name:<32} {_seconds(seconds)}")
        if "parse_only.py pyyaml-compose" in floors:
            scaled = (KUBECONFORM_50K * floors["parse_only.py pyyaml-compose"]
                      / COMPOSE_FLOOR_50K)
            print(f"{size:>7}  kubeconform -n 2 (not installed here): about {scaled:.1f} s "
                  f"(its {KUBECONFORM_50K} s beside a {COMPOSE_FLOOR_50K} s compose floor at 50k,"
                  " scaled by this run's floor)")
        formats = (args.big_formats if size == max(sizes) and len(sizes) > 1
                   else args.formats).split(",")
        for output_format in formats:
            for jobs in (int(j) for j in args.jobs.split(",")):
                wall, peak, tree, cpu = _median(args.runs, tool + [
                    "lint", str(corpus), "--k8s-version", "1.30", "--fail-on", "never",
                    "--format", output_format, "--jobs", str(jobs), "--output", os.devnull])
                rows.append({"size": size, "format": output_format, "jobs": jobs, "wall": wall,
                             "cpu": cpu, "peak": peak, "tree": tree,
                             "compose": floors.get("parse_only.py pyyaml-compose")})
                print(f"{size:>7}  {output_format:<6} -j {jobs}  {_seconds(wall)}  "
                      f"CPU {_seconds(cpu)}  "
                      f"peak {peak:6.1f} MiB  tree {tree:6.1f} MiB", flush=True)
    print(f"load after: {_uptime()}\n")
    _table(rows)


def _table(rows: list[dict]) -> None:
    """The markdown table: speed-up over -j 1 and memory over the smallest size."""
    smallest = min(r["size"] for r in rows)
    print("| resources | format | --jobs | wall s | CPU s | vs -j 1 | x compose floor | peak MiB "
          "| tree MiB | peak vs smallest |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        one = next((o for o in rows if (o["size"], o["format"], o["jobs"])
                    == (r["size"], r["format"], 1)), None)
        small = next((o for o in rows if (o["size"], o["format"], o["jobs"])
                      == (smallest, r["format"], r["jobs"])), None)
        speedup = f"{one['wall'] / r['wall']:.2f}x" if one else "-"
        floor = f"{r['wall'] / r['compose']:.2f}" if r["compose"] else "-"
        grown = f"{r['peak'] / small['peak']:.2f}x" if small else "-"
        jobs = r["jobs"] or "default"
        print(f"| {r['size']:,} | {r['format']} | {jobs} | {r['wall']:.2f} | {r['cpu']:.2f} "
              f"| {speedup} | {floor} "
              f"| {r['peak']:.0f} | {r['tree']:.0f} | {grown} |")


def _corpus(size: int, shared: pathlib.Path, cache: pathlib.Path) -> pathlib.Path:
    """The corpus of `size` resources, made once and kept in `cache`."""
    corpus = cache / f"corpus-{size}"
    if corpus.is_dir():
        return corpus
    generator = shared / "bench" / "make_corpus.py"
    if not generator.is_file():
        generator = REPO / "tests" / "shared" / "bench" / "make_corpus.py"
    cache.mkdir(parents=True, exist_ok=True)
    building = pathlib.Path(tempfile.mkdtemp(dir=cache))
    made = subprocess.run([sys.executable, str(generator), str(building), str(size)],
                          check=True, capture_output=True, text=True)
    (cache / f"corpus-{size}.summary.txt").write_text(made.stdout)
    building.rename(corpus)
    return corpus


def _floors(shared: pathlib.Path, corpus: pathlib.Path, runs: int) -> dict[str, float]:
    """Seconds of the floors that can run here (they need ../shared and their libraries)."""
    floors = {}
    for script, mode in (("parse_only.py", "pyyaml-compose"), ("parse_only.py", "pyyaml-load"),
                         ("validate_min.py", "rs")):
        path = shared / "bench" / script
        if not path.is_file():
            continue
        wall, *_ = _median(runs, [sys.executable, str(path), mode, str(corpus)], check=True)
        if wall == wall:  # NaN when the floor cannot run here (a library missing)
            floors[f"{script} {mode}"] = wall
    return floors


def _median(runs: int, command: list[str],
            check: bool = False) -> tuple[float, float, float, float]:
    """Median wall seconds, the highest peak RSS (largest process; process tree) in MiB, and
    the median CPU seconds (user + system of the process and the workers it waited for)."""
    samples = [_timed(command) for _ in range(max(1, runs))]
    if check and any(code not in (0, 1) for *_, code in samples):  # 1: found invalid ones
        return float("nan"), 0.0, 0.0, float("nan")
    return (statistics.median(s[0] for s in samples), max(s[1] for s in samples),
            max(s[2] for s in samples), statistics.median(s[3] for s in samples))


def _timed(command: list[str]) -> tuple[float, float, float, float, int]:
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tree = _TreeRss(process.pid)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    return (wall, usage.ru_maxrss / 1024, tree.stop() / 2**20, usage.ru_utime + usage.ru_stime,
            os.waitstatus_to_exitcode(status))


class _TreeRss(threading.Thread):
    """Samples the summed RSS of a process and its descendants every 0.2 s; keeps the peak."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self._done = pid, 0, threading.Event()
        self.start()

    def run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._done.wait(0.2):
            self.peak = max(self.peak, sum(_rss_pages(p) for p in _tree(self.pid)) * page)

    def stop(self) -> int:
        self._done.set()
        self.join()
        return self.peak


def _tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def _rss_pages(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _gitops_gen() -> list[str]:
    found = shutil.which("gitops-gen", path=os.path.dirname(sys.executable))
    return [found] if found else [sys.executable, "-m", "gitops_gen"]


def _uptime() -> str:
    with open("/proc/loadavg") as loadavg:
        return "load average " + " ".join(loadavg.read().split()[:3])


def _seconds(value: float) -> str:
    return f"{value:7.2f} s"


if __name__ == "__main__":
    main()
