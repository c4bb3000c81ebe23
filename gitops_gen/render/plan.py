"""Decide, for every rendered file, what writing it would do: the plan of `FileOp`s.

Nothing here writes. `plan()` compares three versions of each file: the new render, the file
on disk, and the last render (the merge base kept in `DEST/.gitops-gen/`):

| on disk                     | new render     | action                                    |
|-----------------------------|----------------|-------------------------------------------|
| missing                     |                | create                                    |
| == new render               |                | identical                                 |
| no last render (not ours)   | != disk        | conflict: never clobber a stranger's file |
| == last render              | != disk        | update                                    |
| != last render (hand edit)  | == last render | skip: hand edit kept                      |
| != last render (hand edit)  | != last render | three-way merge (`git merge-file`)        |
| == last render              | not rendered   | delete                                    |
| != last render              | not rendered   | skip: orphan kept                         |

The merge is an update with the merged text when it is clean, a skip when the hand edit
already holds the change, and a conflict when the edits overlap.

A conflict leaves the file alone; `apply` writes the new render beside it as
`<file>.gitops-gen-new`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from gitops_gen import __version__
from gitops_gen.errors import UserError

STATE_DIR = ".gitops-gen"
STATE_FILE = f"{STATE_DIR}/state.json"
BASE_DIR = f"{STATE_DIR}/base"
STATE_FORMAT = 1
SIDECAR_SUFFIX = ".gitops-gen-new"


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
    the three-way merge of a hand-edited file: the content an `update` writes, or, for a
    `conflict`, the text with conflict markers (shown, never written). `stale_sidecar` says a
    `<path>.gitops-gen-new` from an earlier conflict is on disk and will be removed.
    """

    path: str
    action: Action
    new: bytes | None
    old: bytes | None
    merged: bytes | None = None
    base: bytes | None = None
    reason: str = ""
    stale_sidecar: bool = False

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


def counts(ops: Iterable[FileOp]) -> dict[str, int]:
    """How many ops of each action, every action listed in a fixed order (zeros included)."""
    counter = Counter(op.action for op in ops)
    return {action.value: counter[action] for action in Action}


# --------------------------------------------------------------------------- paths

_DRIVE = re.compile(r"^[A-Za-z]:")


def normalise(path: str) -> str:
    """A clean relative POSIX path, or `UserError` for absolute, `..` and reserved paths."""
    if not isinstance(path, str) or not path.strip():
        raise UserError(f"refusing the empty path {path!r}")
    if "\0" in path or "\\" in path:
        raise UserError(f"refusing the path {path!r}: use '/' and no control characters")
    if path.startswith("/") or _DRIVE.match(path):
        raise UserError(f"refusing the absolute path {path!r}: paths are relative to DEST")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise UserError(f"refusing the path {path!r}: '..' leaves the destination")
    if not parts:
        raise UserError(f"refusing the path {path!r}: it names the destination itself")
    if parts[0] == STATE_DIR or ".git" in parts:
        reserved = STATE_DIR if parts[0] == STATE_DIR else ".git"
        raise UserError(f"refusing the path {path!r}: {reserved} is reserved")
    if parts[-1].endswith(SIDECAR_SUFFIX):
        raise UserError(f"refusing the path {path!r}: {SIDECAR_SUFFIX} files hold conflicts")
    return "/".join(parts)


@functools.lru_cache(maxsize=64)
def _resolved(dest: str) -> Path:
    return Path(dest).resolve()


def inside(dest: Path, path: str) -> Path:
    """`dest / path` after checking that it stays in DEST once symlinks in DEST are followed.

    `path` must be normalised (or a state path). Also refuses a folder where a file goes and a
    file where a folder goes.
    """
    dest = Path(dest)
    root = _resolved(str(dest))
    target = dest / path
    real = target.resolve()
    if real == root or not real.is_relative_to(root):
        raise UserError(f"refusing to write {path!r}: it resolves to {real}, outside {root}",
                        hint="a symlink in the destination points outside it")
    for parent in reversed(target.relative_to(dest).parents[:-1]):
        node = dest / parent
        if node.exists() and not node.is_dir():
            raise UserError(f"cannot write {path!r}: {parent.as_posix()!r} is a file, not a folder")
    if target.is_dir():
        raise UserError(f"cannot write {path!r}: it is a folder in the destination")
    return target


def _read(target: Path) -> bytes | None:
    try:
        return target.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise UserError(f"cannot read {target}: {error.strerror or error}") from None


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# --------------------------------------------------------------------------- state


@dataclass(frozen=True)
class BlueprintRef:
    """The blueprint a render came from: its path (relative to DEST when possible) and sha256."""

    path: str
    sha256: str

    @classmethod
    def of(cls, blueprint: Path, dest: Path) -> BlueprintRef:
        blueprint, dest = Path(blueprint), Path(dest)
        try:
            content = blueprint.read_bytes()
        except OSError as error:
            raise UserError(f"cannot read {blueprint}: {error.strerror or error}") from None
        try:
            shown = Path(os.path.relpath(blueprint.resolve(), dest.resolve())).as_posix()
        except ValueError:  # another drive
            shown = blueprint.resolve().as_posix()
        return cls(shown, sha256(content))


@dataclass(frozen=True)
class RenderState:
    """What gitops-gen wrote last time into DEST, kept in `DEST/.gitops-gen/`.

    `state.json` holds the format version, the gitops-gen version, the blueprint (path and
    sha256) and the sha256 of every rendered file; the exact content of each file's last render
    (the merge base) is kept as `base/<path>`.
    """

    files: Mapping[str, bytes] = field(default_factory=dict)
    blueprint: BlueprintRef | None = None
    version: str = __version__

    def to_files(self) -> dict[str, bytes]:
        """The state as {path relative to DEST: content}, deterministic."""
        document = {
            "format": STATE_FORMAT,
            "gitops_gen_version": self.version,
            "blueprint": ({"path": self.blueprint.path, "sha256": self.blueprint.sha256}
                          if self.blueprint else None),
            "files": {path: {"sha256": sha256(content)}
                      for path, content in sorted(self.files.items())},
        }
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        out = {STATE_FILE: text.encode("utf-8")}
        for path, content in sorted(self.files.items()):
            out[f"{BASE_DIR}/{path}"] = content
        return out

    @classmethod
    def load(cls, dest: Path) -> RenderState | None:
        """The state in DEST, None when there is none; `UserError` when it is damaged."""
        dest = Path(dest)
        state_path = dest / STATE_FILE
        if not state_path.is_file():
            return None
        inside(dest, STATE_FILE)
        raw = _read(state_path) or b""
        try:
            document = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise UserError("not UTF-8", file=str(state_path)) from None
        except json.JSONDecodeError as error:
            raise UserError(f"invalid JSON: {error.msg}", file=str(state_path), line=error.lineno,
                            column=error.colno) from None
        damaged = f"the render state is damaged; delete {STATE_DIR}/ to start over " \
                  "(files already there are then reported as conflicts)"
        if not isinstance(document, dict) or not isinstance(document.get("format"), int):
            raise UserError("no format version", file=str(state_path), hint=damaged)
        if document["format"] > STATE_FORMAT:
            raise UserError(f"written by a newer gitops-gen ({document.get('gitops_gen_version')}, "
                            f"state format {document['format']})", file=str(state_path),
                            hint=f"upgrade gitops-gen beyond {__version__}")
        entries = document.get("files")
        blueprint = document.get("blueprint")
        if not isinstance(entries, dict) or not (blueprint is None or isinstance(blueprint, dict)):
            raise UserError("'files' or 'blueprint' has the wrong type", file=str(state_path),
                            hint=damaged)
        files: dict[str, bytes] = {}
        for path, entry in sorted(entries.items()):
            clean = normalise(path)
            base_path = f"{BASE_DIR}/{clean}"
            content = _read(inside(dest, base_path))
            expected = entry.get("sha256") if isinstance(entry, dict) else None
            if content is None or sha256(content) != expected:
                raise UserError(f"{base_path} is missing or does not match its sha256",
                                file=str(state_path), hint=damaged)
            files[clean] = content
        ref = None
        if blueprint:
            ref = BlueprintRef(str(blueprint.get("path", "")), str(blueprint.get("sha256", "")))
        return cls(files, ref, str(document.get("gitops_gen_version", "")))


def next_state(ops: Iterable[FileOp], blueprint: BlueprintRef | None) -> RenderState:
    """The state after applying `ops`: each file's new render is its next merge base.

    A conflict keeps its old base, so the conflict is reported again until the hand edit
    takes the change in; a file gitops-gen no longer renders leaves the state.
    """
    files: dict[str, bytes] = {}
    for op in ops:
        if op.action is Action.CONFLICT:
            if op.base is not None:
                files[op.path] = op.base
        elif op.new is not None:
            files[op.path] = op.new
    return RenderState(dict(sorted(files.items())), blueprint)


# --------------------------------------------------------------------------- plan


def plan(files: Mapping[str, bytes], dest: Path, state: RenderState | None) -> list[FileOp]:
    """The `FileOp` of every rendered path and of every path the last render wrote, by path."""
    dest = Path(dest)
    last = dict(state.files) if state else {}
    ops: dict[str, FileOp] = {}
    for raw, new in files.items():
        path = normalise(raw)
        if path in ops:
            raise UserError(f"two rendered files have the path {path!r}")
        target = inside(dest, path)
        stale = inside(dest, path + SIDECAR_SUFFIX).is_file()
        ops[path] = _decide(path, bytes(new), _read(target), last.get(path), stale)
    for path, base in last.items():
        if path in ops:
            continue
        old = _read(inside(dest, path))
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


def _decide(path: str, new: bytes, old: bytes | None, base: bytes | None, stale: bool) -> FileOp:
    def op(action: Action, reason: str = "", merged: bytes | None = None) -> FileOp:
        return FileOp(path, action, new, old, merged, base, reason,
                      stale and action is not Action.CONFLICT)

    if old is None:
        return op(Action.CREATE, "deleted since the last render" if base is not None else "")
    if old == new:
        return op(Action.IDENTICAL)
    if base is None:
        return op(Action.CONFLICT, "the file exists and gitops-gen did not write it")
    if old == base:
        return op(Action.UPDATE)
    if new == base:
        return op(Action.SKIP, "edited by hand, render unchanged: hand edit kept")
    clean, merged = merge3(base, old, new, path)
    if not clean:
        return op(Action.CONFLICT, "edited by hand where the render changed", merged)
    if merged == old:
        return op(Action.SKIP, "edited by hand, and the edit already holds the new render")
    return op(Action.UPDATE, "merged with the hand edit", merged)


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
