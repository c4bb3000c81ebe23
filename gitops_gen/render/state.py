"""What gitops-gen wrote last time into DEST, kept in `DEST/.gitops-gen/`.

`state.json` holds the format version, the gitops-gen version, the blueprint (path and sha256),
the sha256 of every rendered file's last render (its merge base) and of the new render of every
unresolved conflict. The contents are kept by sha256 as `base/<sha256>`, so a render writes new
contents first and replaces `state.json` last, in one `os.replace`: whenever a render stops,
`state.json` is the old state or the new one, and every content it names is there.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gitops_gen import __version__
from gitops_gen.errors import UserError
from gitops_gen.render.paths import (STATE_DIR, TEMP_SUFFIX, inside, normalise, read_bytes,
                                     sha256)

STATE_FILE = f"{STATE_DIR}/state.json"
BASE_DIR = f"{STATE_DIR}/base"
IGNORE_FILE = f"{STATE_DIR}/.gitignore"
LOCK_FILE = f"{STATE_DIR}/lock"
IGNORED = f"/lock\n*{TEMP_SUFFIX}\n".encode()
"""What Git must never commit from the state folder: the lock and interrupted writes."""
STATE_FORMAT = 2


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
    """The last render: `files` {path: merge base}, `conflicts` {path: the new render that
    conflicted, until the user resolves it}, `renames` {rendered path: where the user moved
    it}, the blueprint and the gitops-gen version."""

    files: Mapping[str, bytes] = field(default_factory=dict)
    blueprint: BlueprintRef | None = None
    version: str = __version__
    conflicts: Mapping[str, bytes] = field(default_factory=dict)
    renames: Mapping[str, str] = field(default_factory=dict)

    def document(self) -> bytes:
        """`state.json`, deterministic."""
        document = {
            "format": STATE_FORMAT,
            "gitops_gen_version": self.version,
            "blueprint": ({"path": self.blueprint.path, "sha256": self.blueprint.sha256}
                          if self.blueprint else None),
            "files": {path: {"sha256": sha256(content)}
                      for path, content in sorted(self.files.items())},
            "conflicts": {path: {"sha256": sha256(content)}
                          for path, content in sorted(self.conflicts.items())},
        }
        if self.renames:
            document["renames"] = dict(sorted(self.renames.items()))
        return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

    def contents(self) -> dict[str, bytes]:
        """Every content the state names, as {path of `base/<sha256>`: content}."""
        contents = {*self.files.values(), *self.conflicts.values()}
        return {f"{BASE_DIR}/{sha256(content)}": content for content in sorted(contents)}

    @classmethod
    def load(cls, dest: Path) -> RenderState | None:
        """The state in DEST, None when there is none; `UserError` when it is damaged."""
        dest = Path(dest)
        state_path = dest / STATE_FILE
        if not state_path.is_file():
            return None
        inside(dest, STATE_FILE)
        raw = read_bytes(state_path) or b""
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
        blueprint = document.get("blueprint")
        if not (blueprint is None or isinstance(blueprint, dict)):
            raise UserError("'blueprint' has the wrong type", file=str(state_path), hint=damaged)
        by_path = document["format"] == 1  # format 1 kept each base as base/<path>
        files = _contents(dest, document.get("files"), by_path, state_path, damaged)
        conflicts = _contents(dest, document.get("conflicts", {}), False, state_path, damaged)
        renames = document.get("renames", {})
        if not (isinstance(renames, dict) and all(isinstance(v, str) for v in renames.values())):
            raise UserError("'renames' has the wrong type", file=str(state_path), hint=damaged)
        ref = None
        if blueprint:
            ref = BlueprintRef(str(blueprint.get("path", "")), str(blueprint.get("sha256", "")))
        return cls(files, ref, str(document.get("gitops_gen_version", "")), conflicts,
                   {normalise(path): normalise(moved) for path, moved in renames.items()})


def _contents(dest: Path, entries: object, by_path: bool, state_path: Path,
              damaged: str) -> dict[str, bytes]:
    if not isinstance(entries, dict):
        raise UserError("'files' or 'conflicts' has the wrong type", file=str(state_path),
                        hint=damaged)
    out: dict[str, bytes] = {}
    for path, entry in sorted(entries.items()):
        clean = normalise(path)
        expected = entry.get("sha256") if isinstance(entry, dict) else None
        if not isinstance(expected, str) or not expected.isalnum():
            raise UserError(f"{clean}: no valid sha256", file=str(state_path), hint=damaged)
        base_path = f"{BASE_DIR}/{clean if by_path else expected}"
        content = read_bytes(inside(dest, base_path))
        if content is None or sha256(content) != expected:
            raise UserError(f"{base_path} is missing or does not match its sha256",
                            file=str(state_path), hint=damaged)
        out[clean] = content
    return out


def recorded_blueprint(dest: Path) -> str:
    """The blueprint the last render into DEST came from, as a path from here."""
    state = RenderState.load(dest) if Path(dest).is_dir() else None
    if state is None or state.blueprint is None or not state.blueprint.path:
        raise UserError(f"no BLUEPRINT given and {dest} records no earlier render",
                        hint="give the blueprint's path")
    path = os.path.normpath(os.path.join(dest, state.blueprint.path))
    if not os.path.isfile(path):
        raise UserError(f"the blueprint of the last render, {state.blueprint.path} (from {dest}), "
                        "is not there", hint="give its path, or keep it in the repository")
    return path
