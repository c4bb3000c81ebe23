"""What a change touches: the files that differ between a Git ref and the work tree (GitPython).

The comparison starts at the merge base of the ref and HEAD (what `git diff REF...` shows, the
files a pull request changes), and ends at the work tree: committed, staged and unstaged changes
count, and so do untracked files that `.gitignore` does not hide. In CI the work tree is clean,
so this is the pull request's diff; on a laptop it is also what you have not committed yet.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from gitops_gen.errors import UserError


@dataclass(frozen=True)
class ChangeSet:
    ref: str
    """The ref as given (`origin/main`)."""
    base: str
    """The commit compared with: the merge base of the ref and HEAD."""
    top: str
    """The Git work tree."""
    paths: frozenset[str]
    """Absolute paths of the files added, modified, deleted or renamed (old and new names)."""

    def __bool__(self) -> bool:
        return bool(self.paths)


def changed_since(path: str, ref: str) -> ChangeSet:
    """The files changed since `ref` in the Git repository holding `path`."""
    import git

    folder = path if os.path.isdir(path) else os.path.dirname(path) or "."
    try:
        repo = git.Repo(folder, search_parent_directories=True)
    except (git.exc.InvalidGitRepositoryError, git.exc.NoSuchPathError):
        raise UserError(f"{path} is not in a Git repository",
                        hint="--changed-since compares with a Git ref: lint inside a clone") from None
    if repo.bare or repo.working_tree_dir is None:
        raise UserError(f"{path} is in a bare Git repository", hint="lint a clone with a work tree")
    try:
        target = repo.commit(ref)
    except (git.BadName, git.BadObject, ValueError, git.exc.GitCommandError):
        raise UserError(f"unknown Git ref {ref!r} in {repo.working_tree_dir}",
                        hint="fetch it first (git fetch origin main); in GitHub Actions check out "
                        "with fetch-depth: 0") from None
    try:
        bases = repo.merge_base(target, repo.head.commit) if repo.head.is_valid() else []
        base = bases[0] if bases else target
        top = os.path.realpath(repo.working_tree_dir)
        names: set[str] = set()
        for diff in base.diff(None):  # the work tree: committed, staged and unstaged changes
            names.update(p for p in (diff.a_path, diff.b_path) if p)
        names.update(repo.untracked_files)
    except git.exc.GitCommandError as error:
        raise UserError(f"git failed comparing with {ref!r}: {' '.join(str(error).split())}",
                        hint="check the repository with `git status`") from None
    paths = frozenset(os.path.normpath(os.path.join(top, name)) for name in names)
    return ChangeSet(ref, base.hexsha, top, paths)
