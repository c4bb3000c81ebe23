"""Carry out a plan: atomic writes inside DEST, then the new render state.

`apply()` writes each file through a temporary file in its own folder and `os.replace`, so a
reader (or a crash) sees the old file or the new one, never half of one. Every target is checked
again against DEST just before it is written. Files and state files whose bytes would not
change are not touched, so an identical re-render keeps every mtime.
"""

from __future__ import annotations

import difflib
import errno
import os
import stat
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gitops_gen.errors import UserError
from gitops_gen.render.paths import TEMP_SUFFIX, inside
from gitops_gen.render.plan import Action, BlueprintRef, FileOp, counts, next_state
from gitops_gen.render.state import BASE_DIR, IGNORE_FILE, IGNORED, STATE_FILE

_ADVICE = {
    errno.ENOSPC: "free some space and render again: the next render completes this one",
    errno.EDQUOT: "free some space and render again: the next render completes this one",
    errno.EROFS: "the file system is read-only: render into a writable folder",
    errno.EACCES: "you may not write there: fix the permissions or render elsewhere",
    errno.EPERM: "you may not write there: fix the permissions or render elsewhere",
}


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


def preflight(ops: Sequence[FileOp], dest: Path) -> None:
    """Refuse, before anything is written, a plan whose folders cannot be written to."""
    dest = Path(dest)
    targets = [STATE_FILE] + [op.path for op in ops if op.action is not Action.IDENTICAL]
    checked: set[Path] = set()
    for path in targets:
        folder = (dest / path).parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if folder in checked:
            continue
        checked.add(folder)
        if not folder.is_dir():
            raise UserError(f"cannot write {path!r}: {folder} is not a folder")
        if _read_only(folder):
            raise UserError(f"cannot write into {folder}: read-only file system",
                            hint=_ADVICE[errno.EROFS])
        if not os.access(folder, os.W_OK | os.X_OK):
            raise UserError(f"cannot write into {folder}: permission denied",
                            hint=_ADVICE[errno.EACCES])


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def apply(ops: Sequence[FileOp], dest: Path, *, blueprint: BlueprintRef | None = None,
          dry_run: bool = False) -> ApplyReport:
    """Write the plan into DEST, then record the new render state in `DEST/.gitops-gen/`.

    The state is written last, so a render stopped at any point leaves the last state (and the
    files written so far, which the next render finds identical) or the new one.
    """
    dest = Path(dest)
    ops = tuple(ops)
    written: list[str] = []
    deleted: list[str] = []
    sidecars: list[str] = []
    removed: list[str] = []
    if not dry_run:
        _guard(dest, lambda: dest.mkdir(parents=True, exist_ok=True))
    for op in ops:
        target = inside(dest, op.path)
        if op.action in (Action.CREATE, Action.UPDATE):
            content = op.content
            assert content is not None
            if not dry_run:
                _write(dest, op.path, content)
            written.append(op.path)
        elif op.action is Action.CONFLICT:
            assert op.sidecar_content is not None
            if not dry_run:
                _write(dest, op.sidecar, op.sidecar_content)
            sidecars.append(op.sidecar)
        elif op.action is Action.DELETE:
            if not dry_run:
                _remove(dest, target)
            deleted.append(op.path)
        if op.stale_sidecar and op.action is not Action.CONFLICT:
            if not dry_run:
                _remove(dest, inside(dest, op.sidecar))
            removed.append(op.sidecar)
    state_files = _save_state(dest, next_state(ops, blueprint), dry_run=dry_run)
    return ApplyReport(ops, tuple(written), tuple(deleted), tuple(sidecars), tuple(removed),
                       tuple(state_files), dry_run, counts(ops))


def _save_state(dest: Path, state, *, dry_run: bool) -> list[str]:
    """Write the contents the state names, then `state.json` (one atomic replace), then remove
    the contents no longer named; the paths of the state files written or removed."""
    contents = state.contents()
    files = {IGNORE_FILE: IGNORED, **contents}
    changed = []
    for path, content in [*files.items(), (STATE_FILE, state.document())]:
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
            if (node.is_file() or node.is_symlink()) and path not in contents:
                if not dry_run:
                    _remove(dest, node)
                changed.append(path)
    return sorted(changed)


def clean_interrupted(dest: Path) -> list[str]:
    """Remove the temporary files an interrupted render left in DEST; their paths."""
    dest = Path(dest)
    removed = []
    for root, folders, names in os.walk(dest):
        folders[:] = [f for f in folders if f != ".git"]
        for name in names:
            if name.endswith(TEMP_SUFFIX):
                target = Path(root, name)
                _guard(target, target.unlink)
                removed.append(target.relative_to(dest).as_posix())
    return removed


def _guard(target: Path, action):
    """Run `action`; an `OSError` becomes a one-line `UserError` naming `target`."""
    try:
        return action()
    except FileNotFoundError:
        raise
    except OSError as error:
        raise UserError(f"cannot write {target}: {error.strerror or error}",
                        hint=_ADVICE.get(error.errno)) from None


def _write(dest: Path, path: str, content: bytes) -> None:
    """Atomically replace `dest/path` with `content`, keeping the mode of the file replaced."""
    target = inside(dest, path)
    _guard(target, lambda: target.parent.mkdir(parents=True, exist_ok=True))
    inside(dest, path)  # the folders just made cannot be symlinks, but check again anyway
    try:
        mode = stat.S_IMODE(target.stat().st_mode) if not target.is_symlink() else None
    except FileNotFoundError:
        mode = None
    if mode is None:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, temp = _guard(target, lambda: tempfile.mkstemp(prefix=f".{target.name}.",
                                                       suffix=TEMP_SUFFIX, dir=target.parent))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)  # atomic by os.replace below; Git makes it durable on commit
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException as error:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        if isinstance(error, OSError) and not isinstance(error, FileNotFoundError):
            raise UserError(f"cannot write {target}: {error.strerror or error}",
                            hint=_ADVICE.get(error.errno)) from None
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
            chunks.append(_diff(op.old, op.sidecar_content, op.path, op.sidecar))
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
