"""Carry out a plan: atomic writes inside DEST, then the new render state.

`apply()` writes each file through a temporary file in its own folder and `os.replace`, so a
reader (or a crash) sees the old file or the new one, never half of one. Every target is checked
again against DEST just before it is written. Files and state files whose bytes would not
change are not touched, so an identical re-render keeps every mtime.
"""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gitops_gen.errors import UserError
from gitops_gen.render.plan import (BASE_DIR, Action, BlueprintRef, FileOp, counts,
                                    inside, next_state)


@dataclass(frozen=True)
class ApplyReport:
    """What `apply` did (or, with `dry_run`, would do). Paths are relative to DEST."""

    ops: tuple[FileOp, ...]
    written: tuple[str, ...] = ()           # created or updated files
    deleted: tuple[str, ...] = ()           # files no longer rendered, removed
    sidecars: tuple[str, ...] = ()          # `<file>.gitops-gen-new` written beside conflicts
    removed_sidecars: tuple[str, ...] = ()  # stale `<file>.gitops-gen-new` removed
    state_files: tuple[str, ...] = ()       # files of `.gitops-gen/` written or removed
    dry_run: bool = False
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.written or self.deleted or self.sidecars or self.removed_sidecars
                    or self.state_files)

    @property
    def conflicts(self) -> tuple[str, ...]:
        return tuple(op.path for op in self.ops if op.action is Action.CONFLICT)

    @property
    def rendered(self) -> tuple[str, ...]:
        """Files whose content on disk is now the render's (created, identical, updated)."""
        return tuple(op.path for op in self.ops
                     if op.action in (Action.CREATE, Action.IDENTICAL, Action.UPDATE))


def apply(ops: Sequence[FileOp], dest: Path, *, blueprint: BlueprintRef | None = None,
          dry_run: bool = False) -> ApplyReport:
    """Write the plan into DEST and record the new render state in `DEST/.gitops-gen/`."""
    dest = Path(dest)
    ops = tuple(ops)
    written: list[str] = []
    deleted: list[str] = []
    sidecars: list[str] = []
    removed: list[str] = []
    if not dry_run:
        dest.mkdir(parents=True, exist_ok=True)
    for op in ops:
        target = inside(dest, op.path)
        if op.action in (Action.CREATE, Action.UPDATE):
            content = op.content
            assert content is not None
            if not dry_run:
                _write(dest, op.path, content)
            written.append(op.path)
        elif op.action is Action.CONFLICT:
            assert op.new is not None
            if not dry_run:
                _write(dest, op.sidecar, op.new)
            sidecars.append(op.sidecar)
        elif op.action is Action.DELETE:
            if not dry_run:
                _remove(dest, target)
            deleted.append(op.path)
        if op.stale_sidecar and op.action is not Action.CONFLICT:
            if not dry_run:
                _remove(dest, inside(dest, op.sidecar))
            removed.append(op.sidecar)
    state_files = _save_state(dest, next_state(ops, blueprint).to_files(), dry_run=dry_run)
    return ApplyReport(ops, tuple(written), tuple(deleted), tuple(sidecars), tuple(removed),
                       tuple(state_files), dry_run, counts(ops))


def _save_state(dest: Path, files: dict[str, bytes], *, dry_run: bool) -> list[str]:
    """Write the state files that changed and remove base files no longer needed."""
    changed = []
    for path, content in files.items():
        target = inside(dest, path)
        try:
            same = target.read_bytes() == content
        except FileNotFoundError:
            same = False
        if not same:
            if not dry_run:
                _write(dest, path, content)
            changed.append(path)
    base = dest / BASE_DIR
    if base.is_dir():
        inside(dest, BASE_DIR + "/x")
        for node in sorted(base.rglob("*")):
            path = node.relative_to(dest).as_posix()
            if (node.is_file() or node.is_symlink()) and path not in files:
                if not dry_run:
                    _remove(dest, node)
                changed.append(path)
    return sorted(changed)


def _write(dest: Path, path: str, content: bytes) -> None:
    """Atomically replace `dest/path` with `content`, keeping the mode of the file replaced."""
    target = inside(dest, path)
    target.parent.mkdir(parents=True, exist_ok=True)
    inside(dest, path)  # the folders just made cannot be symlinks, but check again anyway
    try:
        mode = stat.S_IMODE(target.stat().st_mode) if not target.is_symlink() else None
    except FileNotFoundError:
        mode = None
    if mode is None:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".gitops-gen-tmp",
                                dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)  # atomic by os.replace below; Git makes it durable on commit
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise


def _remove(dest: Path, target: Path) -> None:
    """Remove a file, then the folders it leaves empty (never DEST itself)."""
    try:
        target.unlink()
    except FileNotFoundError:
        return
    except OSError as error:
        raise UserError(f"cannot remove {target}: {error.strerror or error}") from None
    root = Path(dest)
    folder = target.parent
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:
            break
        folder = folder.parent


# --------------------------------------------------------------------------- diff


def unified_diff(ops: Iterable[FileOp]) -> str:
    """A git-style unified diff (`a/` and `b/` prefixes) of every file the plan changes.

    A conflict shows the hand-edited file against the new render written beside it.
    """
    chunks: list[str] = []
    for op in ops:
        if op.action is Action.CREATE:
            chunks.append(_diff(None, op.content, op.path, op.path))
        elif op.action is Action.UPDATE:
            chunks.append(_diff(op.old, op.content, op.path, op.path))
        elif op.action is Action.DELETE:
            chunks.append(_diff(op.old, None, op.path, op.path))
        elif op.action is Action.CONFLICT:
            chunks.append(_diff(op.old, op.new, op.path, op.sidecar))
    return "".join(chunks)


def _diff(old: bytes | None, new: bytes | None, a: str, b: str) -> str:
    fromfile = f"a/{a}" if old is not None else "/dev/null"
    tofile = f"b/{b}" if new is not None else "/dev/null"
    try:
        old_text = (old or b"").decode("utf-8")
        new_text = (new or b"").decode("utf-8")
    except UnicodeDecodeError:
        return f"Binary files {fromfile} and {tofile} differ\n"
    lines = difflib.unified_diff(_lines(old_text), _lines(new_text), fromfile, tofile)
    return "".join(lines)


def _lines(text: str) -> list[str]:
    """Lines split at `\\n` only; a last line without one gets git's `\\ No newline` marker."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1] + "\n\\ No newline at end of file\n")
    return lines
