"""Commit a render: exactly the files it wrote or deleted, plus its state folder.

DEST may be the top of a repository or a folder inside one. Files a render left alone (hand
edits kept, conflicts, `.gitops-gen-new` files) are never staged, and a repository with staged
changes gitops-gen did not make is refused rather than swept into the commit. The identity is
the user's own (git config or environment); `gitops-gen <gitops-gen@localhost>` is passed with
`git -c` only when none is configured, never written to any config file.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import git

from gitops_gen.errors import UserError
from gitops_gen.render.paths import STATE_DIR
from gitops_gen.render.write import ApplyReport

DEFAULT_BRANCH = "main"
FALLBACK_NAME = "gitops-gen"
FALLBACK_EMAIL = "gitops-gen@localhost"
_CHUNK = 200


def commit(dest: Path, message: str, *, report: ApplyReport, init: bool = False,
           sources: Iterable[str] = ()) -> str | None:
    """Commit what `report` rendered into DEST; the commit sha, or None when nothing changed.

    `sources`: files of DEST the render came from (its blueprint), committed with it.

    `init`: DEST is a repository of its own: create one there (branch `main`) unless DEST
    already is one, even when DEST lies inside another repository's work tree. Without it, the
    repository DEST is in is used, and a DEST outside any repository is a `UserError`.
    """
    if report.dry_run:
        raise ValueError("a dry run wrote nothing to commit")
    dest = Path(dest)
    repo = _open(dest, init)
    with repo:
        root = Path(repo.working_tree_dir).resolve()  # type: ignore[arg-type]
        prefix = dest.resolve().relative_to(root).as_posix()
        prefix = "" if prefix == "." else prefix + "/"
        rendered = [prefix + path for path in (*report.rendered, *sources)]
        deleted = [prefix + path for path in report.deleted]
        state = prefix + STATE_DIR
        ours = set(rendered) | set(deleted)

        _refuse_unrelated_staged(repo, root, ours, state)

        with repo.git.custom_environment(GIT_LITERAL_PATHSPECS="1"):
            ignored = _ignored(repo, [*rendered, state])
            to_add = [p for p in rendered if p not in ignored]
            if state not in ignored and (root / state).exists():
                to_add.append(state)
            _run_chunked(repo, ["add", "--all", "--"], to_add)
            _run_chunked(repo, ["rm", "--cached", "--quiet", "--ignore-unmatch", "--"], deleted)
            status, _out, _err = repo.git.diff("--cached", "--quiet", with_extended_output=True,
                                                with_exceptions=False)
            if status == 0:
                return None
            options = {} if _has_identity(repo) else {
                "c": [f"user.name={FALLBACK_NAME}", f"user.email={FALLBACK_EMAIL}"]}
            try:
                repo.git(**options).commit("--quiet", "-m", message)
            except git.GitCommandError as error:
                raise UserError(f"git commit failed: {_stderr(error)}") from None
        return repo.head.commit.hexsha


def init_repo(dest: Path) -> None:
    """Make DEST a repository of its own (branch `main`) unless it is one already."""
    _open(dest, True).close()


def check_clean(dest: Path, paths: Iterable[str]) -> None:
    """Refuse, before a render writes, a repository with staged changes outside `paths` (paths
    relative to DEST) and the state folder; a DEST in no repository passes."""
    repo = _existing(dest)
    if repo is None:
        return
    with repo:
        root, prefix = _root_and_prefix(repo, dest)
        _refuse_unrelated_staged(repo, root, {prefix + p for p in paths}, prefix + STATE_DIR)


def renames(dest: Path) -> dict[str, str]:
    """The renames Git finds in DEST since the last render's commit (committed, staged or in
    the work tree): {old path: new path}, relative to DEST."""
    repo = _existing(dest)
    if repo is None:
        return {}
    with repo:
        root, prefix = _root_and_prefix(repo, dest)
        status, last, _err = repo.git.execute(
            ["git", "log", "-1", "--format=%H", "--", f"{prefix}{STATE_DIR}/state.json"],
            with_extended_output=True, with_exceptions=False)
        if status != 0 or not last.strip():
            return {}
        names = _names(repo, "diff", "-z", "--name-status", "-M", last.strip(), "--",
                       prefix or ".")
    found: dict[str, str] = {}
    index = 0
    while index < len(names):  # status, path (and, for a rename or copy, the new path)
        status, paths = names[index], 2 if names[index][:1] in "RC" else 1
        old, new = names[index + 1], names[index + paths] if index + paths < len(names) else ""
        if status.startswith("R") and old.startswith(prefix) and new.startswith(prefix):
            found[old[len(prefix):]] = new[len(prefix):]
        index += 1 + paths
    return found


def _existing(dest: Path) -> git.Repo | None:
    try:
        repo = git.Repo(dest, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    if repo.bare or repo.working_tree_dir is None:
        repo.close()
        return None
    return repo


def _root_and_prefix(repo: git.Repo, dest: Path) -> tuple[Path, str]:
    root = Path(repo.working_tree_dir).resolve()  # type: ignore[arg-type]
    prefix = Path(dest).resolve().relative_to(root).as_posix()
    return root, "" if prefix == "." else prefix + "/"


def _refuse_unrelated_staged(repo: git.Repo, root: Path, ours: set[str], state: str) -> None:
    staged = _names(repo, "diff", "--cached", "--name-only", "-z", "--no-renames")
    unrelated = [p for p in staged
                 if p not in ours and p != state and not p.startswith(state + "/")]
    if unrelated:
        shown = ", ".join(unrelated[:5])
        if len(unrelated) > 5:
            shown += f" and {len(unrelated) - 5} more"
        raise UserError(f"the repository at {root} has staged changes gitops-gen did not "
                        f"make: {shown}", hint="commit or unstage them first, or use --no-git")


def _open(dest: Path, init: bool) -> git.Repo:
    if init and not (dest / ".git").exists():
        dest.mkdir(parents=True, exist_ok=True)
        try:
            return git.Repo.init(dest, initial_branch=DEFAULT_BRANCH)
        except git.GitCommandError as error:
            raise UserError(f"git init failed: {_stderr(error)}") from None
    try:
        repo = git.Repo(dest, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        if not init:
            raise UserError(f"{dest} is not in a git repository",
                            hint="render with --git to create one, or --no-git") from None
        dest.mkdir(parents=True, exist_ok=True)
        try:
            return git.Repo.init(dest, initial_branch=DEFAULT_BRANCH)
        except git.GitCommandError as error:
            raise UserError(f"git init failed: {_stderr(error)}") from None
    if repo.bare or repo.working_tree_dir is None:
        repo.close()
        raise UserError(f"{dest} is in a bare git repository")
    return repo


def _has_identity(repo: git.Repo) -> bool:
    return all(_config(repo, key) for key in ("user.name", "user.email"))


def _config(repo: git.Repo, key: str) -> str:
    status, out, _err = repo.git.config("--get", key, with_extended_output=True,
                                        with_exceptions=False)
    return out.strip() if status == 0 else ""


def _names(repo: git.Repo, *args: str) -> list[str]:
    out = repo.git.execute(["git", *args], strip_newline_in_stdout=False)
    return [name for name in str(out).split("\0") if name]


def _ignored(repo: git.Repo, paths: list[str]) -> set[str]:
    """The paths a .gitignore excludes (a rendered file the user chose to keep out of git)."""
    ignored: set[str] = set()
    for start in range(0, len(paths), _CHUNK):
        status, out, _err = repo.git.execute(
            ["git", "check-ignore", "-z", "--", *paths[start:start + _CHUNK]],
            with_extended_output=True, with_exceptions=False, strip_newline_in_stdout=False)
        if status == 0:
            ignored.update(name for name in str(out).split("\0") if name)
    return ignored


def _run_chunked(repo: git.Repo, command: list[str], paths: Iterable[str]) -> None:
    paths = list(paths)
    for start in range(0, len(paths), _CHUNK):
        try:
            repo.git.execute(["git", *command, *paths[start:start + _CHUNK]])
        except git.GitCommandError as error:
            raise UserError(f"git {command[0]} failed: {_stderr(error)}") from None


def _stderr(error: git.GitCommandError) -> str:
    text = error.stderr if isinstance(error.stderr, str) else str(error)
    return " ".join(text.replace("stderr:", "").split()).strip("' ") or str(error)
