"""The chart cache: remote Helm charts, as `helm pull` writes them, for offline rendering."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class ChartRef:
    repo_url: str
    chart: str
    version: str


def default_charts_dir() -> Path:
    if os.environ.get("GITOPS_GEN_CHARTS_DIR"):
        return Path(os.environ["GITOPS_GEN_CHARTS_DIR"])
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "gitops-gen" / "charts"


def find_chart(charts_dir: Path, ref: ChartRef) -> Path | None:
    archive = Path(charts_dir) / f"{ref.chart}-{ref.version}.tgz"
    if archive.is_file():
        return archive
    folder = Path(charts_dir) / f"{ref.chart}-{ref.version}" / ref.chart
    return folder if (folder / "Chart.yaml").is_file() else None
