import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
CHARTS = REPO / "tests" / "charts"
"""The reference charts as Helm archives, `<chart>-<version>.tgz`: also a chart cache
(`--charts-dir`). Made by scripts/pack_test_charts.py from ../shared/charts."""
UPSTREAM_SHARED = REPO.parent / "shared"
SHARED = UPSTREAM_SHARED if UPSTREAM_SHARED.is_dir() else REPO / "tests" / "shared"
"""The reference data: ../shared when it is beside the checkout (CI), else the snapshot of it in
tests/shared (made by scripts/pack_test_charts.py; it has no charts/: use CHARTS)."""


def chart_archive(name: str, version: str) -> pathlib.Path:
    """The archive of chart `name` at `version` in CHARTS."""
    path = CHARTS / f"{name}-{version}.tgz"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: put the chart in ../shared/charts and run "
                                "scripts/pack_test_charts.py")
    return path


@pytest.fixture(scope="session")
def shared() -> pathlib.Path:
    return SHARED


@pytest.fixture(autouse=True)
def _no_github_env(monkeypatch):
    """Tests see the terminal defaults, not the CI's GitHub Actions environment."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_WORKFLOW", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    os.environ.pop("FORCE_COLOR", None)
