"""`gitops-gen render` through Click's runner: plan output, dry run, hand edits, git."""

import pathlib

import pytest
from click.testing import CliRunner

from gitops_gen.cli import main

REPO = pathlib.Path(__file__).resolve().parent.parent
MINIMAL = str(REPO / "blueprints" / "eks-minimal.yaml")


@pytest.fixture(autouse=True)
def _isolated_git(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_dry_run_writes_nothing_and_shows_the_diff(tmp_path):
    out = tmp_path / "repo"
    result = run("render", MINIMAL, "-o", str(out), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "+++ b/README.md" in result.output and "would render" in result.output
    assert not out.exists()


def test_render_commits_then_a_second_render_changes_nothing(tmp_path):
    out = tmp_path / "repo"
    first = run("render", MINIMAL, "-o", str(out))
    assert first.exit_code == 0, first.output
    assert "committed" in first.output and (out / ".git").is_dir()
    second = run("render", MINIMAL, "-o", str(out))
    assert second.exit_code == 0 and "committed" not in second.output
    assert "create" not in second.output and "identical" in second.output


def test_a_conflicting_hand_edit_is_kept_and_exits_1(tmp_path):
    out = tmp_path / "repo"
    assert run("render", MINIMAL, "-o", str(out), "--no-git").exit_code == 0
    readme = out / "README.md"
    named = next(line for line in readme.read_text().splitlines() if "demo" in line)
    edited = readme.read_text().replace(named, "mine", 1)     # the line the rename changes
    readme.write_text(edited)
    blueprint = tmp_path / "bp.yaml"
    original = pathlib.Path(MINIMAL).read_text()
    blueprint.write_text(original.replace("name: demo", "name: demo2", 1))
    assert "name: demo2" in blueprint.read_text(), "the preset's metadata.name changed"
    result = run("render", str(blueprint), "-o", str(out), "--no-git")
    assert result.exit_code == 1, result.output
    assert "conflict  README.md  (edited by hand where the render changed)" in result.output
    assert readme.read_text() == edited
    assert (out / "README.md.gitops-gen-new").exists()


def test_blueprint_errors_exit_2_with_a_position(tmp_path):
    blueprint = tmp_path / "bp.yaml"
    blueprint.write_text(pathlib.Path(MINIMAL).read_text().replace("kind: Blueprint",
                                                                  "kind: Blueprnt", 1))
    result = run("render", str(blueprint), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert f"{blueprint}:" in result.output and "Traceback" not in result.output
