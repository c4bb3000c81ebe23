"""Which files a lint run reads: paths given, folders walked, stdin, and why some are skipped."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from gitops_gen.errors import UserError

YAML_SUFFIXES = (".yaml", ".yml")
STDIN = "-"
BINARY_SNIFF = 8192


@dataclass(frozen=True, slots=True)
class Source:
    """A file to lint: `name` is how findings refer to it, `path` where to read it (None: stdin).

    A rendered manifest has no path: its `objects` are already parsed, and its `placement` says
    which Application deploys it and where its findings are reported. A `context` source is only
    indexed for cross-resource rules (another shard, or an unchanged file, lints it).
    """

    name: str
    path: str | None
    objects: tuple | None = None
    placement: Any = None
    context: bool = False


def discover(paths: list[str], stdin_name: str = "<stdin>") -> tuple[list[Source], list[tuple[str, str]]]:
    """Expand the paths given into files to read, and (file, reason) pairs for skipped ones.

    Folders are walked recursively for `*.yaml`/`*.yml`; hidden files and folders are skipped, and
    so are the `templates/` of Helm charts, which are Go templates rather than manifests. A path
    named explicitly is always read.
    """
    sources: list[Source] = []
    skipped: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(source: Source) -> None:
        key = os.path.abspath(source.path) if source.path else STDIN
        if key not in seen:
            seen.add(key)
            sources.append(source)

    for given in paths:
        if given == STDIN:
            add(Source(stdin_name, None))
        elif os.path.isdir(given):
            for name in _walk(given, skipped):
                add(Source(name, name))
        elif os.path.exists(given):
            add(Source(os.path.normpath(given), given))
        else:
            raise UserError(f"no such file or folder: {given}",
                            hint="check the path; use - to read from stdin")
    return sources, skipped


def _walk(top: str, skipped: list[tuple[str, str]]) -> list[str]:
    found: list[str] = []
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if "Chart.yaml" in files and "templates" in dirs:
            dirs.remove("templates")
            skipped.append((os.path.normpath(os.path.join(folder, "templates")),
                            "Helm chart templates are not plain manifests"))
        for name in sorted(files):
            if name.startswith(".") or not name.endswith(YAML_SUFFIXES):
                continue
            found.append(os.path.normpath(os.path.join(folder, name)))
    return found


def read_file(path: str) -> str:
    """The text of a file in the repository: UTF-8, with or without a byte-order mark."""
    with open(path, encoding="utf-8-sig") as handle:
        return handle.read()


def read_text(source: Source, stdin_text: str | None) -> tuple[str | None, str | None]:
    """The text of a source, or (None, why it cannot be read)."""
    if source.objects is not None:
        return "", None
    if source.path is None:
        return stdin_text or "", None
    try:
        with open(source.path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        return None, f"cannot read file: {error.strerror or error}"
    if b"\x00" in raw[:BINARY_SNIFF]:
        return None, "binary file, not YAML"
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        return None, f"not UTF-8 text (byte {error.start}: {raw[error.start:error.start + 1]!r})"
