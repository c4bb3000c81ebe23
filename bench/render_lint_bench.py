#!/usr/bin/env python3
"""Rendering lint benchmark: `gitops-gen lint output-example/` as a whole process, with every Argo
CD Application rendered from the real charts (tests/charts as the chart cache), split between
rendering (finding and rendering the Applications) and linting (what they deploy), beside the
file-only lint of the same tree (`--no-render`) and `python -c pass`.

Usage:
    python bench/render_lint_bench.py [--runs 5] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from lint_bench import gitops_gen, median_of  # noqa: E402

REPO = HERE.parent
EXAMPLE = REPO / "output-example"
CHARTS = REPO / "tests" / "charts"


def render_only(jobs: int) -> tuple[float, int, int]:
    """In-process: seconds to find and render every Application; Applications, objects."""
    from gitops_gen.argo.apps import repo_identity
    from gitops_gen.argo.deploy import DeploySettings, build
    from gitops_gen.argo.scan import scan
    from gitops_gen.lint.sources import discover

    sources, _ = discover([str(EXAMPLE)])
    settings = DeploySettings(repo=repo_identity(str(EXAMPLE)), charts_dir=CHARTS,
                              kube_version="1.35", jobs=jobs)
    start = time.perf_counter()
    deployment = build(scan(sources), settings)
    elapsed = time.perf_counter() - start
    return elapsed, len(deployment.renders), sum(len(r.objects) for r in deployment.renders)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    tool = gitops_gen()
    lint = tool + ["lint", str(EXAMPLE), "--charts-dir", str(CHARTS), "-j", str(args.jobs)]
    print(f"== render + lint of output-example/ ({os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.1f}) ==")
    floor, _ = median_of(args.runs, [sys.executable, "-c", "pass"])
    full, full_rss = median_of(args.runs, lint)
    files_only, files_rss = median_of(args.runs, lint + ["--no-render"])
    renders = [render_only(args.jobs) for _ in range(args.runs)]
    render = statistics.median(r[0] for r in renders)
    _, applications, objects = renders[0]
    print(f"python -c pass                 {floor:6.2f} s")
    print(f"lint --no-render (files only)  {files_only:6.2f} s  peak {files_rss:5.0f} MiB")
    print(f"lint (render + lint)           {full:6.2f} s  peak {full_rss:5.0f} MiB"
          f"  = {full / files_only:.1f}x the file-only lint")
    print(f"  rendering (in-process)       {render:6.2f} s  {applications} Applications, "
          f"{objects} objects")
    print(f"  linting and start-up         {full - render:6.2f} s")
    print(f"target: render + lint at most 5 s on an idle 2-core machine: "
          f"{'met' if full <= 5 else 'NOT met'} at this load")


if __name__ == "__main__":
    main()
