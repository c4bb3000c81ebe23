#!/usr/bin/env python3
"""Render benchmarks, as whole processes: `gitops-gen render` of blueprints/eks-platform.yaml and
of a large blueprint (10 environments x 100 apps, half Kustomize, half Helm, grown from
eks-minimal), into a new folder without Git, then the same render again (all identical).

Usage:
    python bench/render_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import pathlib
import shutil
import statistics
import sys
import tempfile

import yaml

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from lint_bench import gitops_gen, timed  # noqa: E402

REPO = HERE.parent


def large_blueprint(path: pathlib.Path, environments: int = 10, apps: int = 100) -> pathlib.Path:
    data = yaml.safe_load((REPO / "blueprints" / "eks-minimal.yaml").read_text())
    [template] = data["environments"]
    data["environments"] = [
        {**template, "name": f"env{n}", "domain": f"env{n}.demo.example",
         "cluster": {**template["cluster"], "name": f"demo-env{n}"}}
        for n in range(environments)]
    data["apps"] = [
        {"name": f"app{i:03d}", "kind": "kustomize" if i % 2 == 0 else "helm",
         "image": {"repository": f"111111111111.dkr.ecr.eu-west-1.amazonaws.com/app{i:03d}",
                   "tag": f"1.0.{i}"},
         "port": 8080, **({"hpa": {"minReplicas": 2, "maxReplicas": 6}} if i % 3 == 0
                          else {"replicas": 3}),
         **({"ingress": {"subdomain": f"app{i:03d}"}} if i % 4 == 0 else {})}
        for i in range(apps)]
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    tool = gitops_gen()
    work = pathlib.Path(tempfile.mkdtemp())
    try:
        cases = {"eks-platform.yaml": REPO / "blueprints" / "eks-platform.yaml",
                 "10 envs x 100 apps": large_blueprint(work / "large.yaml")}
        for label, blueprint in cases.items():
            first, again, files = [], [], 0
            for run in range(args.runs):
                out = work / f"out-{run}"
                wall, _, done = timed(tool + ["render", str(blueprint), "-o", str(out),
                                              "--no-git"])
                assert done.returncode == 0, done.stderr
                first.append(wall)
                again.append(timed(tool + ["render", str(blueprint), "-o", str(out),
                                           "--no-git"])[0])
                files = sum(1 for p in out.rglob("*") if p.is_file()
                            and ".gitops-gen" not in p.parts)
                shutil.rmtree(out)
            print(f"render {label:<20} {statistics.median(first):6.2f} s new, "
                  f"{statistics.median(again):6.2f} s re-render (identical), {files} files")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
