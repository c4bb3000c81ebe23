"""A blueprint kept in the repository it renders: the rendered CI workflow and pre-commit config
check that the repository is still what it renders; a blueprint kept outside: they cannot."""

import pathlib
import shutil

import git
import pytest
import yaml
from click.testing import CliRunner

from gitops_gen.cli import main

REPO = pathlib.Path(__file__).resolve().parent.parent
MINIMAL = REPO / "blueprints" / "eks-minimal.yaml"
RENDER_CHECK_HOOK = "gitops-gen-render-check"


@pytest.fixture(autouse=True)
def _isolated_git(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def workflow_jobs(dest: pathlib.Path) -> dict:
    return yaml.safe_load((dest / ".github" / "workflows" / "gitops-gen.yaml").read_text())["jobs"]


def hook_ids(dest: pathlib.Path) -> list[str]:
    config = yaml.safe_load((dest / ".pre-commit-config.yaml").read_text())
    return [hook["id"] for repo in config["repos"] for hook in repo["hooks"]]


def check_command(dest: pathlib.Path) -> list[str]:
    """The arguments of the workflow's `gitops-gen render ... --check` step."""
    [step] = [s for s in workflow_jobs(dest)["render-check"]["steps"]
              if s.get("run", "").startswith("gitops-gen render ")]
    return yaml.safe_load("[" + step["run"].removeprefix("gitops-gen ").replace(" ", ", ") + "]")


def test_a_blueprint_in_the_repository_is_checked_by_ci_and_pre_commit(tmp_path, monkeypatch):
    dest = tmp_path / "platform-gitops"
    (dest / "config").mkdir(parents=True)
    shutil.copy(MINIMAL, dest / "config" / "platform.yaml")
    git.Repo.init(dest).close()
    rendered = run("render", dest / "config" / "platform.yaml", "-o", dest)
    assert rendered.exit_code == 0, rendered.output

    assert check_command(dest) == ["render", "config/platform.yaml", "-o", ".", "--check"]
    assert hook_ids(dest) == ["gitops-gen-lint-repo", RENDER_CHECK_HOOK]
    with git.Repo(dest) as repo:  # CI sees the blueprint: it is committed with its render
        assert "config/platform.yaml" in repo.git.ls_files().splitlines()
        assert not repo.is_dirty(untracked_files=True)

    monkeypatch.chdir(dest)  # the workflow's command, from the top of the checkout
    in_sync = run(*check_command(dest))
    assert in_sync.exit_code == 0 and "in sync" in in_sync.output
    lint = run("lint", "config/platform.yaml")  # the blueprint is no Kubernetes object
    assert lint.exit_code == 0, lint.output

    blueprint = dest / "config" / "platform.yaml"
    blueprint.write_text(blueprint.read_text().replace("replicas: 2 ", "replicas: 3 "))
    out_of_sync = run(*check_command(dest))
    assert out_of_sync.exit_code == 1 and "out of sync" in out_of_sync.output


def test_a_blueprint_outside_is_not_checked_and_the_readme_says_how(tmp_path):
    dest = tmp_path / "platform-gitops"
    rendered = run("render", MINIMAL, "-o", dest)
    assert rendered.exit_code == 0, rendered.output
    assert "render-check" not in workflow_jobs(dest)
    assert hook_ids(dest) == ["gitops-gen-lint-repo"]
    assert "render --check" not in (dest / ".github" / "workflows" / "gitops-gen.yaml").read_text()
    readme = (dest / "README.md").read_text()
    assert "keep the blueprint here" in readme and RENDER_CHECK_HOOK in readme


def test_the_hook_the_rendered_config_names_exists():
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    [hook] = [h for h in hooks if h["id"] == RENDER_CHECK_HOOK]
    assert hook["entry"].split()[:2] == ["gitops-gen", "render"] and "--check" in hook["entry"]


def test_a_folder_holding_only_its_blueprint_is_a_new_repository(tmp_path):
    dest = tmp_path / "platform-gitops"
    dest.mkdir()
    shutil.copy(MINIMAL, dest / "blueprint.yaml")
    rendered = run("render", dest / "blueprint.yaml", "-o", dest)
    assert rendered.exit_code == 0 and "committed" in rendered.output, rendered.output
    with git.Repo(dest) as repo:
        assert "blueprint.yaml" in repo.git.ls_files().splitlines()
    assert check_command(dest) == ["render", "blueprint.yaml", "-o", ".", "--check"]
