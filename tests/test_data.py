"""The bundled data in gitops_gen/data/ is what scripts/gen_data.py makes from ../shared/data."""

import importlib.util
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
DATA = REPO / "gitops_gen" / "data"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_data", REPO / "scripts" / "gen_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["api_lifecycle.json", "eks_versions.json", "addon_compat.json"])
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
