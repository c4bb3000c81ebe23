#!/usr/bin/env python3
"""Pack the reference data the tests read, so that they run on a clone with nothing beside it.

    python scripts/pack_test_charts.py [--shared ../shared] [--out tests/charts]
                                       [--snapshot tests/shared] [--check]

- `--out` (tests/charts) gets one Helm archive per chart in `SHARED/charts`, packaged by Helm
  itself (`helm package` through helm-python-sdk): one top folder `<chart>/`, the subcharts under
  `<chart>/charts/`, `.helmignore` applied, any LICENSE kept, named `<chart>-<version>.tgz` after
  Chart.yaml. That is also the layout of gitops-gen's chart cache (`--charts-dir`). Each archive
  is rewritten deterministically: regular files only, sorted, fixed mtime, owner 0:0, mode 0644,
  gzip mtime 0. `NOTICE.md` names every chart's source and licence (from sources.json), and
  `LICENSE` is the Apache-2.0 text.
- `--snapshot` (tests/shared) gets a copy of the other reference files the tests read
  (SNAPSHOT below), in the same layout, with its own NOTICE.md and LICENSE.

Files no longer generated are removed. `--check` writes nothing and exits 1, naming each stale
file. Archives are compared by their uncompressed tar stream: zlib versions may compress the
same bytes differently.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import pathlib
import tarfile
import tempfile
from typing import Callable

import helm_python as helm

REPO = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_SHARED = REPO.parent / "shared"
DEFAULT_OUT = REPO / "tests" / "charts"
DEFAULT_SNAPSHOT = REPO / "tests" / "shared"
APACHE_LICENSE = REPO / "gitops_gen" / "data" / "crds" / "LICENSE"
CHART_NAMES = ("argo-cd", "aws-ebs-csi-driver", "aws-load-balancer-controller", "cert-manager",
               "external-dns", "external-secrets", "karpenter", "karpenter-crd",
               "kube-prometheus-stack", "metrics-server")
SNAPSHOT = ("bench/make_corpus.py", "crds", "data/addon-compat.yaml", "data/eks-versions.yaml",
            "data/k8s-api-removals.yaml", "data/pluto-versions.yaml", "sources.json",
            *(f"charts/{name}/Chart.yaml" for name in CHART_NAMES))
"""What the tests read from ../shared besides the charts (the archives replace them), and the
data tables beside those they read: of charts/, only each chart's Chart.yaml, which
scripts/gen_data.py reads for app versions. Not data/sarif-schema-2.1.0.json: tests/data has its
own copy."""
LICENSE = "Apache-2.0"
"""The only licence whose text is shipped: an item under another one stops the packing."""
MTIME = 946684800
"""2000-01-01T00:00:00Z, the time of every archive entry (0 makes `tar` warn)."""


# -- the archives


def normalize(archive: bytes) -> bytes:
    """The uncompressed, deterministic tar stream of a Helm `.tgz`: its regular files, sorted."""
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as source, \
            tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as target:
        for member in sorted((m for m in source.getmembers() if m.isfile()),
                             key=lambda m: m.name):
            entry = tarfile.TarInfo(member.name)
            entry.size, entry.mtime, entry.mode = member.size, MTIME, 0o644
            target.addfile(entry, source.extractfile(member))
    return out.getvalue()


def compress(tar: bytes) -> bytes:
    return gzip.compress(tar, compresslevel=9, mtime=0)


def package(chart: pathlib.Path) -> tuple[str, bytes]:
    """(`<chart>-<version>.tgz`, normalized tar) of an unpacked chart, packed by Helm."""
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(helm.package(str(chart), destination=tmp))
        tar = normalize(path.read_bytes())
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        names = archive.getnames()
    if {name.split("/")[0] for name in names} != {chart.name}:
        raise SystemExit(f"{chart}: the archive's top folder is not {chart.name}/")
    for licence in sorted(chart.rglob("LICENSE*")):
        if f"{chart.name}/{licence.relative_to(chart).as_posix()}" not in names:
            raise SystemExit(f"{licence}: helm package left the licence out (.helmignore?)")
    return path.name, tar


def is_chart(folder: pathlib.Path) -> bool:
    """A whole chart (the snapshot keeps only Chart.yaml of each, for gen_data)."""
    return (folder / "Chart.yaml").is_file() and (folder / "templates").is_dir()


def chart_files(shared: pathlib.Path) -> dict[str, bytes]:
    """{file name: content} of the charts folder; archives as their uncompressed tar stream."""
    charts = [chart for chart in sorted((shared / "charts").iterdir()) if is_chart(chart)]
    archives = {chart.name: package(chart) for chart in charts}
    files = dict(archives.values())
    items = [item for item in _sources(shared, "charts/", [f"charts/{name}" for name in archives])
             if item["path"].split("/")[1] in archives]
    files["NOTICE.md"] = notice(
        "Helm chart archives for the tests",
        ["Generated by `scripts/pack_test_charts.py` from `../shared/charts`; do not edit. Each",
         "archive is an upstream chart as `helm package` packs it, used by the tests and as a",
         "chart cache (`--charts-dir`); none of it is part of the gitops-gen package. Every",
         f"chart and subchart below is under the {LICENSE} licence, whose text is in",
         "[LICENSE](LICENSE); a chart's own LICENSE file, where it has one, is kept in its",
         "archive. Subcharts are in their parent's archive. Besides the changes below, Helm",
         "writes Chart.yaml and Chart.lock in its own YAML layout when it packs a chart."],
        items, archive_of=lambda item: archives[item["path"].split("/")[1]][0]).encode()
    files["LICENSE"] = APACHE_LICENSE.read_bytes()
    return files


# -- the snapshot


def snapshot_files(shared: pathlib.Path) -> dict[str, bytes]:
    """{relative path: content} of the snapshot folder."""
    files: dict[str, bytes] = {}
    for entry in SNAPSHOT:
        path = shared / entry
        if not path.exists():
            raise SystemExit(f"{path} not found: the tests read it")
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file():
                files[file.relative_to(shared).as_posix()] = file.read_bytes()
    items = [item for item in _sources(shared, "", [])
             if any(item["path"] == e or item["path"].startswith(f"{e}/") for e in SNAPSHOT)]
    files["NOTICE.md"] = notice(
        "Reference files for the tests",
        ["Generated by `scripts/pack_test_charts.py` from `../shared`; do not edit. The tests read",
         "`../shared` when it is beside the checkout, and this copy otherwise; the chart archives",
         f"are in `../charts`. The upstream files below are under the {LICENSE} licence, whose",
         "text is in [LICENSE](LICENSE); the rest is gitops-gen's own reference data."],
        items).encode()
    files["LICENSE"] = APACHE_LICENSE.read_bytes()
    return files


# -- provenance


def _sources(shared: pathlib.Path, prefix: str, required: list[str]) -> list[dict]:
    """The sources.json items under `prefix`, checking that each `required` path has one."""
    items = json.loads((shared / "sources.json").read_text(encoding="utf-8"))["items"]
    items = sorted((item for item in items if item["path"].startswith(prefix)),
                   key=lambda item: item["path"])
    missing = sorted(set(required) - {item["path"] for item in items})
    if missing:
        raise SystemExit(f"sources.json has no entry for {', '.join(missing)}")
    other = [item["path"] for item in items if item["license"] != LICENSE]
    if other:
        raise SystemExit(f"{', '.join(other)}: not {LICENSE}; ship that licence's text first")
    return items


def notice(title: str, intro: list[str], items: list[dict],
           archive_of: Callable[[dict], str] | None = None) -> str:
    """A Markdown page: `intro`, then one row per sources.json item (with its archive's name)."""
    columns = ["path", *(["archive"] if archive_of else []), "repository", "tag", "commit",
               "licence", "changes from upstream"]
    lines = [f"# {title}", "", *intro, "", f"| {' | '.join(columns)} |",
             f"|{'---|' * len(columns)}"]
    for item in items:
        cells = [f"`{item['path']}`", *([archive_of(item)] if archive_of else []),
                 item["repository"], item["tag"], item["commit"], item["license"],
                 item.get("note", "")]
        lines.append(f"| {' | '.join(cells)} |")
    return "\n".join(lines) + "\n"


# -- writing and checking


def current(path: pathlib.Path) -> bytes | None:
    """What `path` holds, comparable with a generated file (an archive as its tar stream);
    None when it is missing or is not gzip (a Git LFS pointer, a broken download)."""
    if not path.is_file():
        return None
    data = path.read_bytes()
    try:
        return gzip.decompress(data) if path.suffix == ".tgz" else data
    except (OSError, EOFError):
        return None


def stale(files: dict[str, bytes], out: pathlib.Path) -> list[str]:
    """Paths under `out` that differ from `files`, are missing, or are no longer generated."""
    names = [name for name, data in files.items() if current(out / name) != data]
    if out.is_dir():
        names += [path.relative_to(out).as_posix() for path in out.rglob("*")
                  if path.is_file() and path.relative_to(out).as_posix() not in files]
    return sorted(names)


def write(files: dict[str, bytes], out: pathlib.Path) -> list[str]:
    """Bring `out` to `files`; the paths written or removed."""
    changed = stale(files, out)
    for name in changed:
        path = out / name
        if name not in files:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(compress(files[name]) if path.suffix == ".tgz" else files[name])
    for folder in sorted((p for p in out.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=pathlib.Path, default=DEFAULT_SHARED,
                        help="the reference data, with charts/ (default: %(default)s)")
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT,
                        help="folder of chart archives (default: %(default)s)")
    parser.add_argument("--snapshot", type=pathlib.Path, default=DEFAULT_SNAPSHOT,
                        help="folder of the other reference files (default: %(default)s)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when a file is stale")
    args = parser.parse_args(argv)
    if not (args.shared / "charts").is_dir():
        parser.error(f"{args.shared / 'charts'} is not a folder")
    outputs = ((args.out, chart_files(args.shared)), (args.snapshot, snapshot_files(args.shared)))
    if args.check:
        names = [out / name for out, files in outputs for name in stale(files, out)]
        for path in names:
            print(f"stale: {path}")
        return 1 if names else 0
    for out, files in outputs:
        for name in write(files, out):
            print(f"{'wrote' if name in files else 'removed'} {out / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
