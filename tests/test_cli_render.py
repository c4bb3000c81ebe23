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


def renamed_blueprint(tmp_path, old: str, new: str) -> str:
    """eks-minimal with one change, as a blueprint file in tmp_path."""
    blueprint = tmp_path / "bp.yaml"
    text = pathlib.Path(MINIMAL).read_text()
    assert old in text
    blueprint.write_text(text.replace(old, new, 1))
    return str(blueprint)


def test_check_is_0_in_sync_and_1_with_the_diff_when_the_blueprint_changed(tmp_path):
    out = tmp_path / "repo"
    blueprint = renamed_blueprint(tmp_path, "name: demo", "name: demo")
    assert run("render", blueprint, "-o", str(out)).exit_code == 0
    readme = out / "README.md"
    readme.write_text(readme.read_text() + "\nOur notes.\n")       # a hand edit: still in sync
    result = run("render", "--check", "-o", str(out))               # the recorded blueprint
    assert result.exit_code == 0, result.output
    assert "is in sync with the blueprint" in result.output
    renamed_blueprint(tmp_path, "name: demo", "name: demo2")
    result = run("render", "--check", "-o", str(out))
    assert result.exit_code == 1, result.output
    assert "update    README.md  (merged with the hand edit)" in result.output
    assert "--- a/README.md" in result.output and "+++ b/README.md" in result.output
    assert "out of sync" in result.output
    assert run("render", "-o", str(out)).exit_code == 0
    assert run("render", "--check", "-o", str(out)).exit_code == 0
    assert "Our notes." in readme.read_text()


def test_check_without_a_blueprint_to_find_exits_2(tmp_path):
    result = run("render", "--check", "-o", str(tmp_path))
    assert result.exit_code == 2
    assert "records no earlier render" in result.output and "Traceback" not in result.output


def test_dry_run_prints_one_line_per_file_before_the_diff(tmp_path):
    out = tmp_path / "repo"
    result = run("render", MINIMAL, "-o", str(out), "--dry-run")
    lines = result.stdout.splitlines()  # (blueprint warnings go to stderr)
    first_diff = next(i for i, line in enumerate(lines) if line.startswith("--- "))
    plan_lines = lines[:first_diff]
    assert plan_lines and all(line.split()[0] == "create" for line in plan_lines)
    assert "create    README.md" in plan_lines
    assert len(plan_lines) == len([line for line in lines if line.startswith("+++ ")])


def test_a_deleted_file_stays_deleted_and_restore_brings_it_back(tmp_path):
    out = tmp_path / "repo"
    assert run("render", MINIMAL, "-o", str(out)).exit_code == 0
    (out / "README.md").unlink()
    result = run("render", MINIMAL, "-o", str(out))
    assert result.exit_code == 0 and "skip      README.md  (deleted by you)" in result.output
    assert not (out / "README.md").exists()
    assert run("render", "--check", "-o", str(out)).exit_code == 0  # a deletion is a hand edit
    result = run("render", MINIMAL, "-o", str(out), "--restore", str(out / "README.md"))
    assert result.exit_code == 0 and "create    README.md  (restored)" in result.output
    assert (out / "README.md").is_file()


def test_a_file_renamed_with_git_is_not_created_again(tmp_path):
    import git

    out = tmp_path / "repo"
    assert run("render", MINIMAL, "-o", str(out)).exit_code == 0
    repo = git.Repo(out)
    repo.git.mv("README.md", "PLATFORM.md")
    (out / "PLATFORM.md").write_text((out / "PLATFORM.md").read_text() + "edited too\n")
    repo.git.add("PLATFORM.md")
    repo.git.commit("-qm", "rename", env={"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b",
                                          "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@b"})
    result = run("render", MINIMAL, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert ("skip      PLATFORM.md  (renamed by you from README.md; edited by hand, render "
            "unchanged: hand edit kept)") in result.output
    assert not (out / "README.md").exists()


def test_resolved_clears_a_conflict(tmp_path):
    out = tmp_path / "repo"
    assert run("render", MINIMAL, "-o", str(out), "--no-git").exit_code == 0
    readme = out / "README.md"
    named = next(line for line in readme.read_text().splitlines() if "demo" in line)
    readme.write_text(readme.read_text().replace(named, "mine", 1))
    blueprint = renamed_blueprint(tmp_path, "name: demo", "name: demo2")
    assert run("render", blueprint, "-o", str(out), "--no-git").exit_code == 1
    assert run("render", blueprint, "-o", str(out), "--no-git").exit_code == 1  # until resolved
    taken = (out / "README.md.gitops-gen-new").read_text()
    readme.write_text(taken.replace(named.replace("demo", "demo2"),
                                    named.replace("demo", "demo2") + " <!-- ours -->", 1))
    result = run("render", blueprint, "-o", str(out), "--no-git", "--resolved", "README.md")
    assert result.exit_code == 0, result.output
    assert not (out / "README.md.gitops-gen-new").exists()
    again = run("render", blueprint, "-o", str(out), "--no-git")
    assert again.exit_code == 0 and "conflict" not in again.output
    assert "<!-- ours -->" in readme.read_text()


@pytest.mark.parametrize("problem", ["a file", "locked", "disk full", "read-only"])
def test_environment_failures_are_one_line_errors_with_exit_2(tmp_path, monkeypatch, problem):
    import fcntl

    from gitops_gen.render import lock, write

    out = tmp_path / "repo"
    if problem == "a file":
        out.write_text("not a folder\n")
    else:
        assert run("render", MINIMAL, "-o", str(out), "--no-git").exit_code == 0
        (out / "README.md").write_text("changed\n")
    if problem == "locked":
        monkeypatch.setattr(lock, "WAIT_SECONDS", 0.2)
        held = open(out / ".gitops-gen/lock", "a")  # noqa: SIM115 (held until the test ends)
        fcntl.flock(held, fcntl.LOCK_EX)
    elif problem == "disk full":
        def full(src, dst):
            raise OSError(28, "No space left on device")
        monkeypatch.setattr(write.os, "replace", full)
    elif problem == "read-only":
        monkeypatch.setattr(write, "_read_only", lambda folder: True)
    changed = renamed_blueprint(tmp_path, "name: demo", "name: demo2")  # files to update
    result = run("render", changed, "-o", str(out), "--no-git")
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines()
              if line.startswith(("gitops-gen: error:", "Error:"))]  # (Click checks -o first)
    assert len(errors) == 1 and "Traceback" not in result.output and "internal" not in result.output
    expected = {"a file": "is a file", "locked": "another gitops-gen render is running",
                "disk full": "No space left on device", "read-only": "read-only file system"}
    assert expected[problem] in errors[0]


def test_two_renders_at_once_leave_a_complete_render(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "repo"
    command = [sys.executable, "-c", "from gitops_gen.cli import main; main()",
               "render", MINIMAL, "-o", str(out)]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for _ in range(2)]
    outputs = [(r.wait(timeout=300), r.stdout.read()) for r in runs]
    assert sorted(code for code, _ in outputs) in ([0, 0], [0, 2]), outputs
    for code, text in outputs:
        assert code == 0 or "another gitops-gen render is running" in text
    after = run("render", MINIMAL, "-o", str(out))
    assert after.exit_code == 0 and "committed" not in after.output, after.output
    assert set(after.output.split()) & {"create", "update", "conflict", "delete"} == set()


def test_a_staged_change_to_keep_out_of_the_commit_is_refused_before_any_write(tmp_path):
    import git

    out = tmp_path / "repo"
    assert run("render", MINIMAL, "-o", str(out)).exit_code == 0
    git.Repo(out).git.rm("-q", "README.md")            # staged, not committed: the user's own
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and ".git/" not in str(p)}
    result = run("render", renamed_blueprint(tmp_path, "name: demo", "name: demo2"), "-o", str(out))
    assert result.exit_code == 2 and "staged changes gitops-gen did not make: README.md" in result.output
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and ".git/" not in str(p)}
    assert after == before


def test_a_first_render_stopped_halfway_is_completed_and_committed_by_the_next(tmp_path,
                                                                              monkeypatch):
    import git

    from gitops_gen.render import write

    out = tmp_path / "repo"
    original, calls = write._write, []

    def stopped(*args):
        calls.append(args)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return original(*args)

    with monkeypatch.context() as patch:
        patch.setattr(write, "_write", stopped)
        assert run("render", MINIMAL, "-o", str(out)).exit_code != 0
    assert not (out / ".gitops-gen/state.json").exists() and (out / ".git").is_dir()
    result = run("render", MINIMAL, "-o", str(out))
    assert result.exit_code == 0 and "committed" in result.output, result.output
    tracked = git.Repo(out).git.ls_files().splitlines()
    assert "README.md" in tracked and ".gitops-gen/state.json" in tracked
    assert git.Repo(out).git.status("--porcelain") == ""
