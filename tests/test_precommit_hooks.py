"""The hooks of .pre-commit-hooks.yaml, run by pre-commit itself on `git commit` in a sample
repository whose .pre-commit-config.yaml points at a commit of this checkout.

pre-commit installs the hook repository (`language: python`) with `pip install .` into a
virtualenv of its own. Offline, pip reaches no index: the build uses that virtualenv's
setuptools (no build isolation), and the dependencies come from this test's environment, which
a sitecustomize appends to the hook's sys.path, after its own site-packages (so the gitops-gen
that runs is the one pre-commit installed from the commit).
"""

import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parent.parent
HOOK_REPO_FILES = ("gitops_gen", "templates", "pyproject.toml", "README.md",
                   ".pre-commit-hooks.yaml")

GOOD = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {LOG_LEVEL: info}
"""
BAD = """\
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec:
  containers:
    - name: app
      image: nginx:latest
"""


def git(cwd: pathlib.Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run git; its stderr (where a hook's report goes) is merged into stdout."""
    return subprocess.run(["git", *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=600)


@pytest.fixture(scope="module")
def hook_env(tmp_path_factory) -> dict[str, str]:
    """The environment of a commit: isolated Git config, pre-commit cache, offline pip."""
    home = tmp_path_factory.mktemp("precommit-home")
    fallback = home / "site"
    fallback.mkdir()
    (fallback / "sitecustomize.py").write_text(
        f"import sys\nsys.path.append({sysconfig.get_paths()['purelib']!r})\n")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("GIT_", "PRE_COMMIT", "PIP_", "VIRTUALENV_"))}
    env.update(
        HOME=str(home), GIT_CONFIG_GLOBAL=str(home / "gitconfig"), GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com", PRE_COMMIT_HOME=str(home / "cache"),
        PIP_NO_INDEX="1", PIP_CONFIG_FILE=os.devnull,  # no index, no pip.conf
        # pip reads PIP_NO_BUILD_ISOLATION=0 as --no-build-isolation (a known inversion).
        PIP_NO_BUILD_ISOLATION="0", PIP_DISABLE_PIP_VERSION_CHECK="1",
        VIRTUALENV_NO_PERIODIC_UPDATE="1", PYTHONPATH=str(fallback),
        PATH=os.pathsep.join([str(pathlib.Path(sys.executable).parent), os.environ["PATH"]]))
    return env


@pytest.fixture(scope="module")
def hook_rev(tmp_path_factory, hook_env) -> tuple[str, str]:
    """This checkout's package and hooks, committed in a repository of their own: (path, rev)."""
    hooks = tmp_path_factory.mktemp("hook-repo")
    for name in HOOK_REPO_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, hooks / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, hooks / name)
    for args in (("init", "-q"), ("add", "-A"), ("commit", "-qm", "hooks")):
        assert git(hooks, *args, env=hook_env).returncode == 0
    return str(hooks), git(hooks, "rev-parse", "HEAD", env=hook_env).stdout.strip()


def sample_repo(path: pathlib.Path, hook_rev, hook_ids, env) -> pathlib.Path:
    """A Git repository with pre-commit installed, running `hook_ids` from the hook repo."""
    repo, rev = hook_rev
    path.mkdir()
    hooks = "".join(f"      - id: {hook_id}\n" for hook_id in hook_ids)
    (path / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n{hooks}")
    assert git(path, "init", "-q", env=env).returncode == 0
    installed = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=path,
                               env=env, capture_output=True, text=True, timeout=60)
    assert installed.returncode == 0, installed.stderr
    return path


def commit(repo: pathlib.Path, env, message: str, *options: str,
           **files: str) -> subprocess.CompletedProcess:
    for name, text in files.items():
        (repo / name).write_text(text)
    git(repo, "add", "-A", env=env)
    return git(repo, "commit", "-qm", message, *options, env=env)


def commits(repo: pathlib.Path, env) -> list[str]:
    return git(repo, "log", "--format=%s", env=env).stdout.splitlines()


def test_lint_hook_blocks_a_bad_manifest_and_lets_a_good_one_through(tmp_path, hook_rev,
                                                                     hook_env):
    repo = sample_repo(tmp_path / "sample", hook_rev, ["gitops-gen-lint"], hook_env)
    allowed = commit(repo, hook_env, "good", **{"settings.yaml": GOOD})
    assert allowed.returncode == 0, allowed.stdout
    blocked = commit(repo, hook_env, "bad", **{"pod.yaml": BAD})
    assert blocked.returncode != 0
    assert "pod.yaml" in blocked.stdout and "7:14" in blocked.stdout and "K8S209" in blocked.stdout
    assert commits(repo, hook_env) == ["good"]


def test_repo_hook_lints_the_whole_repository_on_any_commit(tmp_path, hook_rev, hook_env):
    repo = sample_repo(tmp_path / "sample", hook_rev, ["gitops-gen-lint-repo"], hook_env)
    assert commit(repo, hook_env, "unchecked", "--no-verify", **{"pod.yaml": BAD}).returncode == 0
    blocked = commit(repo, hook_env, "notes", **{"README.md": "notes\n"})
    assert blocked.returncode != 0 and "pod.yaml" in blocked.stdout
    allowed = commit(repo, hook_env, "fixed", **{"pod.yaml": GOOD})
    assert allowed.returncode == 0, allowed.stdout
    assert commits(repo, hook_env) == ["fixed", "unchecked"]


def test_rendered_render_check_hook_blocks_a_blueprint_change_until_rendered(tmp_path, hook_rev,
                                                                              hook_env):
    """The rendered config of a repository that keeps its blueprint, pointed at this checkout
    (its lint hook aside: it needs the chart cache)."""
    repo = tmp_path / "platform-gitops"
    repo.mkdir()
    blueprint = repo / "blueprint.yaml"
    shutil.copy(REPO / "blueprints" / "eks-minimal.yaml", blueprint)
    gitops_gen = [sys.executable, "-m", "gitops_gen"]
    render = [*gitops_gen, "render", "blueprint.yaml", "-o", "."]
    assert subprocess.run(render, cwd=repo, env=hook_env, capture_output=True).returncode == 0
    config = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())
    [rendered] = config["repos"]
    rendered["repo"], rendered["rev"] = hook_rev
    rendered["hooks"] = [h for h in rendered["hooks"] if h["id"] == "gitops-gen-render-check"]
    assert rendered["hooks"]
    installed = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=repo,
                               env=hook_env, capture_output=True, text=True, timeout=60)
    assert installed.returncode == 0, installed.stderr
    in_sync = commit(repo, hook_env, "local-hooks",
                     **{".pre-commit-config.yaml": yaml.safe_dump(config)})
    assert in_sync.returncode == 0, in_sync.stdout

    blocked = commit(repo, hook_env, "three-replicas", **{
        "blueprint.yaml": blueprint.read_text().replace("replicas: 2 ", "replicas: 3 ")})
    assert blocked.returncode != 0 and "out of sync" in blocked.stdout
    rendered_again = subprocess.run(render, cwd=repo, env=hook_env, capture_output=True,
                                    text=True)  # commits the blueprint with its render
    assert rendered_again.returncode == 0, rendered_again.stdout + rendered_again.stderr
    assert git(repo, "status", "--porcelain", env=hook_env).stdout == ""
    assert commits(repo, hook_env) == ["gitops-gen: render demo", "local-hooks",
                                       "gitops-gen: render demo"]
