"""Decide, for every rendered file, what writing it would do: the plan of `FileOp`s.

Nothing here writes. `plan()` compares three versions of each file: the new render, the file
on disk, and the last render (the merge base kept in `DEST/.gitops-gen/`):

| on disk                     | new render     | action                                    |
|-----------------------------|----------------|-------------------------------------------|
| missing, never rendered     |                | create                                    |
| missing, rendered last time |                | skip: deleted by you                      |
| moved by you (renamed)      |                | the row of the moved file, at its new path|
| == new render               |                | identical                                 |
| no last render (not ours)   | != disk        | conflict: never clobber a stranger's file |
| == last render              | != disk        | update                                    |
| != last render (hand edit)  | == last render | skip: hand edit kept                      |
| != last render (hand edit)  | != last render | three-way merge (`git merge-file`)        |
| == last render              | not rendered   | delete                                    |
| != last render              | not rendered   | skip: orphan kept                         |

A renamed file is followed, as Git follows a rename in a merge: the render's changes are merged
into the file at its new path (the rename is found by Git, by the last render's content, or
recorded in the state by an earlier render). The merge is an update with the merged text when it is clean, a skip when the hand edit
already holds the change, and a conflict when the edits overlap. A file on disk with CRLF line
endings is compared and merged with the render in CRLF, so line endings never conflict.

A conflict leaves the file alone; `apply` writes the new render beside it as
`<file>.gitops-gen-new`. Deleting that file (or `resolved`) says the file on disk is resolved:
its merge base becomes the render it conflicted with. `restore` brings a deleted file back.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from gitops_gen.errors import UserError
from gitops_gen.render.paths import (SIDECAR_SUFFIX, STATE_DIR, inside, normalise, read_bytes,
                                     sha256)
from gitops_gen.render.state import BlueprintRef, RenderState

__all__ = ["SIDECAR_SUFFIX", "STATE_DIR", "Action", "BlueprintRef", "FileOp", "RenderState",
           "counts", "inside", "merge3", "next_state", "normalise", "plan"]

DELETED_BY_YOU = "deleted by you"
CRLF, LF = b"\r\n", b"\n"


class Action(StrEnum):
    CREATE = "create"
    IDENTICAL = "identical"
    UPDATE = "update"
    CONFLICT = "conflict"
    SKIP = "skip"
    DELETE = "delete"


@dataclass(frozen=True)
class FileOp:
    """What writing one path does.

    `new` is the new render (None for a file no longer rendered), `old` the file on disk (None
    when missing), `base` the last render (None when gitops-gen never wrote it). `merged` is
    what an `update` writes when it is not `new` as rendered (a three-way merge with a hand
    edit, or the render in the file's CRLF line endings), or, for a `conflict`, the text with
    conflict markers (shown, never written). `sidecar_content` is what a conflict writes beside
    the file. `stale_sidecar` says a `<path>.gitops-gen-new` from an earlier conflict is on disk
    and will be removed.
    """

    path: str
    action: Action
    new: bytes | None
    old: bytes | None
    merged: bytes | None = None
    base: bytes | None = None
    reason: str = ""
    stale_sidecar: bool = False
    sidecar_content: bytes | None = None
    rendered_path: str | None = None
    """Where the blueprint renders this file, when the user moved it to `path`."""

    @property
    def content(self) -> bytes | None:
        """What ends up at `path` after the write (None when the file is deleted)."""
        if self.action in (Action.CREATE, Action.UPDATE):
            return self.merged if self.merged is not None else self.new
        if self.action is Action.DELETE:
            return None
        return self.old

    @property
    def sidecar(self) -> str:
        return self.path + SIDECAR_SUFFIX

    @property
    def deleted_by_user(self) -> bool:
        return self.action is Action.SKIP and self.old is None


def counts(ops: Iterable[FileOp]) -> dict[str, int]:
    """How many ops of each action, every action listed in a fixed order (zeros included)."""
    counter = Counter(op.action for op in ops)
    return {action.value: counter[action] for action in Action}


def next_state(ops: Iterable[FileOp], blueprint: BlueprintRef | None) -> RenderState:
    """The state after applying `ops`: each file's new render is its next merge base.

    A conflict keeps its old base and records the render it conflicted with, so it is reported
    again until resolved; a file the user deleted keeps its base, so it stays deleted; a file
    gitops-gen no longer renders leaves the state.
    """
    files: dict[str, bytes] = {}
    conflicts: dict[str, bytes] = {}
    renames: dict[str, str] = {}
    for op in ops:
        path = op.rendered_path or op.path
        if op.rendered_path:
            renames[path] = op.path
        if op.action is Action.CONFLICT:
            assert op.new is not None
            conflicts[path] = op.new
            if op.base is not None:
                files[path] = op.base
        elif op.deleted_by_user:
            if op.base is not None:
                files[path] = op.base
        elif op.new is not None:
            files[path] = op.new
    return RenderState(dict(sorted(files.items())), blueprint,
                       conflicts=dict(sorted(conflicts.items())),
                       renames=dict(sorted(renames.items())))


# --------------------------------------------------------------------------- plan


def plan(files: Mapping[str, bytes], dest: Path, state: RenderState | None, *,
         restore: Collection[str] = (), resolved: Collection[str] = (),
         renames: Mapping[str, str] | None = None) -> list[FileOp]:
    """The `FileOp` of every rendered path and of every path the last render wrote, by path.

    `restore`: deleted files to create again. `resolved`: conflicts the user resolved (as if
    their `.gitops-gen-new` file was deleted). `renames`: {old path: new path} the user made,
    as Git saw them; the same content elsewhere in DEST is found without it.
    """
    dest = Path(dest)
    last = dict(state.files) if state else {}
    pending = dict(state.conflicts) if state else {}
    known_renames = dict(state.renames) if state else {}
    restore = {normalise(path) for path in restore}
    resolved = {normalise(path) for path in resolved}
    unknown = sorted((restore - set(map(normalise, files))) | (resolved - set(pending)))
    if unknown:
        what = "a file this blueprint renders" if unknown[0] in restore else "an open conflict"
        raise UserError(f"{unknown[0]!r} is not {what}",
                        hint="give the path relative to the destination")
    ops: dict[str, FileOp] = {}
    for raw, new in files.items():
        path = normalise(raw)
        if path in ops:
            raise UserError(f"two rendered files have the path {path!r}")
        old = read_bytes(inside(dest, path))
        moved = None
        if old is None and path in last and path not in restore:
            moved = _moved_to(path, last[path], dest, last, set(map(normalise, files)),
                              (renames or {}).get(path) or known_renames.get(path))
        at = moved or path
        stale = inside(dest, at + SIDECAR_SUFFIX).is_file()
        base = last.get(path)
        if path in pending and (not stale or path in resolved or old is None):
            base = pending[path]  # resolved (or deleted): the render it conflicted with
        if old is None and base is not None and path not in restore:
            if moved is None or moved in ops:
                ops[path] = FileOp(path, Action.SKIP, bytes(new), None, base=base,
                                   reason=DELETED_BY_YOU, stale_sidecar=stale)
                continue
            ops[moved] = _follow(path, moved, bytes(new), read_bytes(inside(dest, moved)), base,
                                 stale)
            continue
        ops[path] = _decide(path, bytes(new), old, base, stale)
    for path, base in last.items():
        if path in ops:
            continue
        old = read_bytes(inside(dest, path))
        if old is None:
            continue  # already gone
        stale = inside(dest, path + SIDECAR_SUFFIX).is_file()
        if old == base:
            ops[path] = FileOp(path, Action.DELETE, None, old, base=base,
                               reason="no longer rendered", stale_sidecar=stale)
        else:
            ops[path] = FileOp(path, Action.SKIP, None, old, base=base,
                               reason="no longer rendered, but edited by hand: kept")
    return [ops[path] for path in sorted(ops)]


def _moved_to(path: str, base: bytes, dest: Path, last: Mapping[str, bytes],
              rendered: Collection[str], known: str | None) -> str | None:
    """Where the user moved `path`: `known` (Git's rename, or one an earlier render followed)
    when that file is there, else a file gitops-gen did not write with the content of its last
    render (in the same folder first). Never a path gitops-gen writes."""
    if (known and known not in rendered and known not in last
            and not known.endswith(SIDECAR_SUFFIX) and inside(dest, known).is_file()):
        return known
    wanted = sha256(base)
    folder = (dest / path).parent
    for candidates in (folder.iterdir() if folder.is_dir() else (), _walk(dest)):
        for node in sorted(candidates):
            relative = node.relative_to(dest).as_posix()
            if (node.is_file() and not node.is_symlink() and relative not in last
                    and relative not in rendered and not relative.endswith(SIDECAR_SUFFIX)
                    and node.stat().st_size == len(base) and sha256(node.read_bytes()) == wanted):
                return relative
    return None


def _walk(dest: Path) -> Iterable[Path]:
    for root, folders, names in os.walk(dest):
        folders[:] = [f for f in folders if f not in (".git", STATE_DIR)]
        yield from (Path(root, name) for name in names)


def _follow(path: str, moved: str, new: bytes, old: bytes | None, base: bytes,
            stale: bool) -> FileOp:
    """The op of a file the user moved from `path` to `moved`: the render's change merged in."""
    op = _decide(moved, new, old, base, stale)
    reason = f"renamed by you from {path}" + (f"; {op.reason}" if op.reason else "")
    return replace(op, reason=reason, rendered_path=path)


def _decide(path: str, new: bytes, old: bytes | None, base: bytes | None, stale: bool) -> FileOp:
    local = _in_line_endings_of(old)

    def op(action: Action, reason: str = "", merged: bytes | None = None) -> FileOp:
        if merged is None and action in (Action.CREATE, Action.UPDATE) and local(new) != new:
            merged = local(new)
        sidecar = local(new) if action is Action.CONFLICT else None
        return FileOp(path, action, new, old, merged, base, reason,
                      stale and action is not Action.CONFLICT, sidecar)

    if old is None:
        return op(Action.CREATE, "restored" if base is not None else "")
    if old == local(new):
        return op(Action.IDENTICAL)
    if base is None:
        return op(Action.CONFLICT, "the file exists and gitops-gen did not write it")
    if old == local(base):
        return op(Action.UPDATE)
    if new == base:
        return op(Action.SKIP, "edited by hand, render unchanged: hand edit kept")
    clean, merged = merge3(local(base), old, local(new), path)
    if not clean:
        return op(Action.CONFLICT, "edited by hand where the render changed", merged)
    if merged == old:
        return op(Action.SKIP, "edited by hand, and the edit already holds the new render")
    return op(Action.UPDATE, "merged with the hand edit", merged)


def _in_line_endings_of(old: bytes | None):
    """A function giving rendered (LF) text the line endings of the file on disk: CRLF when
    most of its lines end so, else unchanged."""
    if old is None or old.count(CRLF) * 2 <= old.count(LF):
        return lambda text: text
    return lambda text: text.replace(CRLF, LF).replace(LF, CRLF)


def merge3(base: bytes, ours: bytes, theirs: bytes,
           path: str = "file") -> tuple[bool, bytes | None]:
    """`git merge-file`: (clean, merged text); on a conflict the text has markers, or is None
    when git cannot merge (binary files)."""
    git = shutil.which("git")
    if git is None:
        raise UserError(f"git is needed to merge the hand edits of {path!r}",
                        hint="install git, or undo the hand edit")
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, LC_ALL="C")
    with tempfile.TemporaryDirectory(prefix="gitops-gen-merge-") as tmp:
        names = []
        for name, content in (("edited", ours), ("base", base), ("new", theirs)):
            file = Path(tmp, name)
            file.write_bytes(content)
            names.append(str(file))
        result = subprocess.run(
            [git, "merge-file", "-p",
             "-L", f"{path} (edited)", "-L", f"{path} (last render)", "-L", f"{path} (new render)",
             *names], capture_output=True, cwd=tmp, env=env, check=False)
    if result.returncode == 0:
        return True, result.stdout
    if 0 < result.returncode < 128:
        return False, result.stdout
    return False, None
