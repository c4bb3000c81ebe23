"""Paths inside DEST: normalised, checked to stay inside, read as bytes."""

from __future__ import annotations

import functools
import hashlib
import os
import re
from pathlib import Path

from gitops_gen.errors import UserError

STATE_DIR = ".gitops-gen"
SIDECAR_SUFFIX = ".gitops-gen-new"
TEMP_SUFFIX = ".gitops-gen-tmp"

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


def read_bytes(target: Path) -> bytes | None:
    """The bytes of a file, None when it is missing; `UserError` when it cannot be read."""
    try:
        return target.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise UserError(f"cannot read {target}: {error.strerror or error}") from None


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()




def relative_to(paths: tuple[str, ...], dest: Path) -> tuple[str, ...]:
    """Paths relative to DEST: a path inside DEST as seen from here, else as given."""
    root = os.path.realpath(dest)
    out = []
    for path in paths:
        real = os.path.realpath(path)
        inside_dest = real.startswith(root + os.sep)
        out.append(os.path.relpath(real, root).replace(os.sep, "/") if inside_dest else path)
    return tuple(out)


def path_inside(path: Path, dest: Path) -> str | None:
    """The relative POSIX path of `path` inside DEST (symlinks followed), None when outside."""
    real, root = os.path.realpath(path), os.path.realpath(dest)
    if not real.startswith(root + os.sep):
        return None
    return os.path.relpath(real, root).replace(os.sep, "/")
