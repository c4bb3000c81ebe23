"""The bundled data in gitops_gen/data/ is what scripts/gen_data.py makes from ../shared/data."""

import importlib.util
import json
import pathlib
import re

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parent.parent
DATA = REPO / "gitops_gen" / "data"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_data", REPO / "scripts" / "gen_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["api_lifecycle.json", "eks_versions.json",
                                  "addon_compat.json", "field_changes.json"])
def test_committed_data_equals_a_fresh_generation(shared, name):
    files, _ = _generator().build(shared / "data")
    assert (DATA / name).read_text(encoding="utf-8") == files[name], (
        f"gitops_gen/data/{name} is stale: run scripts/gen_data.py")


def test_generation_is_deterministic(shared):
    generator = _generator()
    assert generator.build(shared / "data") == generator.build(shared / "data")


def test_check_mode_reports_stale_files(shared, tmp_path, capsys):
    generator = _generator()
    assert generator.main(["--shared", str(shared / "data"), "--out", str(tmp_path),
                           "--check"]) == 1
    assert "is stale" in capsys.readouterr().err
    assert generator.main(["--shared", str(shared / "data"), "--out", str(tmp_path)]) == 0
    assert generator.main(["--shared", str(shared / "data"), "--out", str(tmp_path),
                           "--check"]) == 0


def test_the_data_ships_with_its_readme():
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert "Apache-2.0" in readme and "pluto" in readme and "gen_data.py" in readme


@pytest.mark.parametrize("label, expected", [
    ("0.21.x", ("0.21.0", "0.22.0")), ("1.21", ("1.21.0", "1.22.0")),
    ("0.10-0.17", ("0.10.0", "0.18.0")), ("2.2.0-2.3.1", ("2.2.0", "2.3.2")),
    (">=0.18", ("0.18.0", None)), (">=2.5.0", ("2.5.0", None)), ("<=0.9", ("0.0.0", "0.10.0")),
    ("chart >=73.0.0", ("73.0.0", None)), ("chart <73.0.0 (e.g. 67.8.0)", ("0.0.0", "73.0.0")),
    ("1.0.5", ("1.0.5", "1.1.0"))])
def test_release_labels_of_the_compat_table_are_read_as_version_ranges(label, expected):
    assert _generator().release_range(label) == expected


def test_the_compat_table_fixes_the_source_and_keeps_its_doubts(shared):
    from gitops_gen.blueprint import ADDON_CATALOG

    files, log = _generator().build(shared / "data")
    table = json.loads(files["addon_compat.json"])
    assert set(table["addons"]) <= set(ADDON_CATALOG)
    for name, entry in table["addons"].items():
        rows = entry["releases"]
        assert all(row["k8s_max"] != "1.3" for row in rows), name
        for before, after in zip(rows, rows[1:]):
            assert before["below"] is not None, name
            assert _version(before["below"]) <= _version(after["from"]), name
    karpenter = {row["app_version"]: row for row in table["addons"]["karpenter"]["releases"]}
    assert karpenter["0.37.x"]["k8s_max"] == "1.30"
    assert (karpenter["1.0.x"]["below"], karpenter["1.0.5"]["below"]) == ("1.0.5", "1.1.0")
    source = yaml.safe_load((shared / "data" / "addon-compat.yaml").read_text(encoding="utf-8"))
    doubted = {(a["name"], r["app_version"]) for a in source["addons"] for r in a["releases"]
               if r.get("unverified")}
    assert doubted == {(name, row["app_version"]) for name, entry in table["addons"].items()
                       for row in entry["releases"] if row["unverified"]}
    assert any("1.3 read as 1.30" in line for line in log)


def test_the_region_list_names_its_source_and_fits_the_schema():
    from gitops_gen.blueprint import schema

    regions = json.loads((DATA / "aws_regions.json").read_text(encoding="utf-8"))
    assert "botocore" in regions["source"]
    pattern = re.compile(schema()["$defs"]["cluster"]["properties"]["region"]["pattern"])
    listed = {r for names in regions["partitions"].values() for r in names}
    assert {"us-east-1", "us-gov-west-1", "cn-north-1", "mx-central-1", "ap-southeast-7",
            "eusc-de-east-1"} <= listed
    assert all(pattern.fullmatch(region) for region in listed)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))
