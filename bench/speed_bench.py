#!/usr/bin/env python3
"""Single-process speed of the full lint, and start-up, beside floors measured in the same run.

Usage:
    python bench/speed_bench.py [--corpus DIR] [--resources 50000] [--runs 3]
                                [--startup-runs 10] [--shared ../shared] [--skip-corpus]

Prints, as whole processes (wall seconds, median; CPU seconds of the child beside them):

  * the corpus of shared/bench/make_corpus.py (made once in bench/out unless --corpus is
    given): `gitops-gen lint --jobs 1` in full (schemas, deprecations, every rule) and
    schema-only (`--select` SCH001, SCH002, SCH003, API001 and API002), `--jobs 2` in full,
    the floors `parse_only.py pyyaml-compose` and `validate_min.py rs`, and kubeconform `-n 2`
    estimated from its figure in shared/bench/README.md (8.7 s where `validate_min.py rs`
    took 12.9 s), scaled by the `validate_min.py rs` time of this run; then every ratio;
  * start-up: `python -c pass`, `python -c "import gitops_gen.cli"` and `gitops-gen lint`
    on one small manifest, run in turns (median of --startup-runs), and the ratio to the floor.

Runs are interleaved (one of each command per round), so a change of machine load hits them
all alike: compare the ratios, not seconds from different runs.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
KUBECONFORM_N2, VALIDATE_MIN_RS = 8.7, 12.9
"""shared/bench/README.md: the same machine kind, the 50k corpus, Kubernetes 1.30 schemas."""
SCHEMA_ONLY = ("SCH001", "SCH002", "SCH003", "API001", "API002")
ONE_FILE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.4.2
          ports:
            - containerPort: 8080
"""


def run_once(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one child process; its output is discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=_environment())
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited with {code}: {proc.stderr.read().decode()}")
    proc.stderr.close()
    return wall, usage.ru_utime + usage.ru_stime


def _environment() -> dict[str, str]:
    """Bytecode is cached as an installed package has it (a developer's shell may turn it off)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def interleaved(commands: dict[str, list[str]], rounds: int,
                warm_up: bool = True) -> dict[str, tuple[float, float]]:
    """Median wall and CPU seconds of each command, one run of each per round (after a
    warm-up round)."""
    for cmd in commands.values() if warm_up else ():
        run_once(cmd)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, cmd in commands.items():
            samples[name].append(run_once(cmd))
    return {name: (statistics.median(s[0] for s in got), statistics.median(s[1] for s in got))
            for name, got in samples.items()}


def gitops_gen(args: argparse.Namespace) -> list[str]:
    if args.tool:
        return shlex.split(args.tool)
    found = shutil.which("gitops-gen", path=os.path.dirname(sys.executable))
    return [found] if found else [sys.executable, "-m", "gitops_gen"]


def corpus_dir(args: argparse.Namespace) -> pathlib.Path:
    if args.corpus:
        return pathlib.Path(args.corpus)
    corpus = HERE / "out" / f"corpus-{args.resources}"
    if not corpus.is_dir():
        corpus.parent.mkdir(parents=True, exist_ok=True)
        tmp = pathlib.Path(tempfile.mkdtemp(dir=corpus.parent))
        subprocess.run([sys.executable, str(pathlib.Path(args.shared) / "bench" / "make_corpus.py"),
                        str(tmp), str(args.resources)], check=True, capture_output=True)
        tmp.rename(corpus)
    return corpus


def bench_corpus(args: argparse.Namespace) -> None:
    corpus = corpus_dir(args)
    shared_bench = pathlib.Path(args.shared) / "bench"
    lint = gitops_gen(args) + ["lint", str(corpus), "--k8s-version", "1.30", "-f", "json",
                           "-o", os.devnull, "--fail-on", "never"]
    commands = {
        "gitops-gen lint --jobs 1 (full)": lint + ["--jobs", "1"],
        "gitops-gen lint --jobs 1 (schema-only)": lint + ["--jobs", "1"] + [
            arg for code in SCHEMA_ONLY for arg in ("--select", code)],
        "gitops-gen lint --jobs 2 (full)": lint + ["--jobs", "2"],
        "floor parse_only.py pyyaml-compose": [sys.executable, str(shared_bench / "parse_only.py"),
                                               "pyyaml-compose", str(corpus)],
        "floor validate_min.py rs": [sys.executable, str(shared_bench / "validate_min.py"), "rs",
                                     str(corpus), "--k8s=1.30.0"],
    }
    print(f"== corpus {corpus} ({args.runs} rounds) ==")
    times = interleaved(commands, args.runs, warm_up=False)
    for name, (wall, cpu) in times.items():
        print(f"{name:<42} {wall:7.2f} s wall  {cpu:7.2f} s CPU")
    rs_wall, rs_cpu = times["floor validate_min.py rs"]
    kubeconform = KUBECONFORM_N2 / VALIDATE_MIN_RS * rs_wall
    print(f"{'kubeconform -n 2 (estimated)':<42} {kubeconform:7.2f} s wall  "
          f"(= {KUBECONFORM_N2}/{VALIDATE_MIN_RS} x validate_min.py rs)")
    compose_wall, _ = times["floor parse_only.py pyyaml-compose"]
    for name in [n for n in times if n.startswith("gitops-gen")]:
        wall, cpu = times[name]
        print(f"{name:<42} {wall / kubeconform:5.2f}x kubeconform -n 2   "
              f"{wall / rs_wall:5.2f}x validate_min rs ({cpu / rs_cpu:4.2f}x in CPU)   "
              f"{wall / compose_wall:5.2f}x pyyaml-compose")
    print("target: full lint <= 0.5x kubeconform -n 2")


def bench_startup(args: argparse.Namespace) -> None:
    folder = pathlib.Path(tempfile.mkdtemp())
    try:
        one = folder / "web.yaml"
        one.write_text(ONE_FILE)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -c 'import gitops_gen.cli'": [sys.executable, "-c", "import gitops_gen.cli"],
            "gitops-gen lint one-file.yaml": gitops_gen(args) + ["lint", str(one), "-f", "text"],
        }
        print(f"== start-up ({args.startup_runs} rounds) ==")
        times = interleaved(commands, args.startup_runs)
    finally:
        shutil.rmtree(folder)
    floor_wall, floor_cpu = times["python -c pass"]
    for name, (wall, cpu) in times.items():
        print(f"{name:<36} {wall:6.3f} s wall ({wall / floor_wall:4.1f}x)  "
              f"{cpu:6.3f} s CPU ({cpu / floor_cpu:4.1f}x)")
    print("target: gitops-gen lint one-file.yaml <= 5x python -c pass")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", help="a corpus folder (default: made in bench/out)")
    parser.add_argument("--resources", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--startup-runs", type=int, default=10)
    parser.add_argument("--shared", default=str(REPO.parent / "shared"))
    parser.add_argument("--tool", help="the command to run instead of this venv's gitops-gen "
                        "(e.g. to compare with another checkout)")
    parser.add_argument("--skip-corpus", action="store_true", help="start-up only")
    parser.add_argument("--skip-startup", action="store_true", help="the corpus only")
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.skip_startup:
        bench_startup(args)
    if not args.skip_corpus:
        bench_corpus(args)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
