"""The test assets that scripts/pack_test_charts.py makes, so that the tests run on a clone with
nothing beside it: the chart archives in tests/charts load with Helm as the charts they are named
after, and both tests/charts and tests/shared are what the script makes from the reference data
(`shared`: ../shared in CI, else tests/shared itself)."""

import importlib.util
import json
import shutil
import tarfile

import helm_python as helm
import pytest

from conftest import CHARTS, REPO, chart_archive

SNAPSHOT = REPO / "tests" / "shared"


def _packer():
    spec = importlib.util.spec_from_file_location("pack_test_charts",
                                                  REPO / "scripts" / "pack_test_charts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


packer = _packer()


@pytest.mark.parametrize("archive", sorted(CHARTS.glob("*.tgz")), ids=lambda path: path.name)
def test_archive_is_the_chart_it_is_named_after_with_its_subcharts(archive):
    with helm.Chart.load(archive) as chart:
        assert chart_archive(chart.name, chart.version) == archive
        required = {dependency["name"] for dependency in chart.metadata.get("dependencies", [])}
        assert {dependency["name"] for dependency in chart.dependencies} == required
        name = chart.name
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
    assert {member.name.split("/")[0] for member in members} == {name}
    assert [member.name for member in members] == sorted(member.name for member in members)
    assert {(member.mtime, member.uid, member.gid, member.mode) for member in members} == {
        (packer.MTIME, 0, 0, 0o644)}


def test_every_chart_in_the_sources_has_its_archive(shared):
    """sources.json lists each chart (with `chart_version`) and each subchart (`/charts/`)."""
    charts = {(item["path"].split("/")[1], item["chart_version"])
              for item in json.loads((shared / "sources.json").read_text())["items"]
              if item["path"].startswith("charts/") and "/charts/" not in item["path"]}
    assert {path.name for path in CHARTS.glob("*.tgz")} == {
        chart_archive(name, version).name for name, version in charts}


def test_archives_are_fresh(shared, tmp_path):
    """Packed from the charts in `shared` (CI: ../shared/charts). On a clone without ../shared,
    tests/shared has no charts: they are unpacked from the archives and packed again, which
    checks that packing is deterministic and that NOTICE.md follows sources.json."""
    if not any(packer.is_chart(chart) for chart in (shared / "charts").iterdir()):
        shutil.copy(shared / "sources.json", tmp_path / "sources.json")
        for archive in sorted(CHARTS.glob("*.tgz")):
            helm.expand(tmp_path / "charts", archive)
        shared = tmp_path
    assert packer.stale(packer.chart_files(shared), CHARTS) == [], (
        "tests/charts is stale: run scripts/pack_test_charts.py")


def test_snapshot_is_fresh(shared):
    assert packer.stale(packer.snapshot_files(shared), SNAPSHOT) == [], (
        "tests/shared is stale: run scripts/pack_test_charts.py")


def test_check_names_stale_files_and_a_run_makes_them_fresh(shared, tmp_path, capsys):
    source = tmp_path / "shared"
    for entry in packer.SNAPSHOT:
        copy = shutil.copytree if (shared / entry).is_dir() else shutil.copy
        (source / entry).parent.mkdir(parents=True, exist_ok=True)
        copy(shared / entry, source / entry)
    helm.expand(source / "charts", chart_archive("metrics-server", "3.13.1"))
    out, snapshot = tmp_path / "charts", tmp_path / "snapshot"
    args = ["--shared", str(source), "--out", str(out), "--snapshot", str(snapshot)]
    assert packer.main([*args, "--check"]) == 1
    assert packer.main(args) == 0
    assert sorted(path.name for path in out.iterdir()) == [
        "LICENSE", "NOTICE.md", "metrics-server-3.13.1.tgz"]
    assert "| `charts/metrics-server` | metrics-server-3.13.1.tgz |" in (
        out / "NOTICE.md").read_text()
    assert packer.main([*args, "--check"]) == 0

    with (source / "charts" / "metrics-server" / "values.yaml").open("a") as values:
        values.write("packedAgain: true\n")
    (snapshot / "crds" / "stray.yaml").write_text("kind: Stray\n")
    capsys.readouterr()
    assert packer.main([*args, "--check"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"stale: {out / 'metrics-server-3.13.1.tgz'}", f"stale: {snapshot / 'crds/stray.yaml'}"]
    assert packer.main(args) == 0
    assert not (snapshot / "crds" / "stray.yaml").exists()
    assert packer.main([*args, "--check"]) == 0
    with helm.Chart.load(out / "metrics-server-3.13.1.tgz") as chart:
        assert chart.values["packedAgain"] is True
