"""Which files a lint run reads: paths given, folders walked, stdin, and why some are skipped."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable

from gitops_gen.errors import UserError

YAML_SUFFIXES = (".yaml", ".yml")
STDIN = "-"
BINARY_SNIFF = 8192
MAX_FILE_BYTES = 10 * 1024 * 1024
"""Larger files are not read (a finding says so): manifests are far smaller, and a file this big
behind a .yaml name is a mistake (a dump, a disk image) that would exhaust memory."""


@dataclass(slots=True, eq=False, repr=False)
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
    unreadable: str | None = None
    """Why the source cannot be read at all (a folder that cannot be listed)."""


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
            for name in _walk(given, skipped, add):
                add(Source(name, name))
        elif os.path.exists(given):
            add(Source(os.path.normpath(given), given))
        else:
            raise UserError(f"no such file or folder: {given}",
                            hint="check the path; use - to read from stdin")
    return sources, skipped


def _walk(top: str, skipped: list[tuple[str, str]], add: Callable[[Source], None]) -> list[str]:
    """The YAML files under `top`; a folder that cannot be listed becomes a Source that cannot
    be read, so that the run reports it (GG003) instead of passing on files it never saw."""
    found: list[str] = []

    def unreadable(error: OSError) -> None:
        name = os.path.normpath(error.filename or top)
        add(Source(name, name, unreadable=f"cannot read folder: "
                                                     f"{error.strerror or error}"))

    for folder, dirs, files in os.walk(top, onerror=unreadable):
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
    """The text of a file in the repository: UTF-8, with or without a byte-order mark. Raises
    OSError for what is not a regular file of at most MAX_FILE_BYTES."""
    raw = _read_regular(path)
    return raw.decode("utf-8-sig")


def read_text(source: Source, stdin: str | bytes | None) -> tuple[str | None, str | None]:
    """The text of a source, or (None, why it cannot be read). `stdin` is what was read from
    standard input, as text or as bytes (decoded here like a file)."""
    if source.objects is not None:
        return "", None
    if source.unreadable is not None:
        return None, source.unreadable
    if source.path is None:
        if not isinstance(stdin, bytes):
            return stdin or "", None
        if len(stdin) > MAX_FILE_BYTES:
            return None, f"standard input is larger than the limit of {MAX_FILE_BYTES} bytes"
        return decode(stdin)
    try:
        raw = _read_regular(source.path)
    except OSError as error:
        return None, f"cannot read file: {error.strerror or error}"
    return decode(raw)


def files_mentioning(sources: list[Source], needles: tuple[str, ...],
                     processes: int = 1) -> dict[str, set[str]]:
    """For each needle, the paths of the files whose bytes hold it: one read of every file for
    the passes that look for a few files before the lint (Argo CD objects, CRDs). A file that
    cannot be read counts as holding every needle, so that its reader reports why. With
    `processes` > 1 and PARALLEL_FILES files or more, a forked helper reads the second half."""
    paths = [s.path for s in sources if s.path is not None and s.objects is None]
    if processes < 2 or len(paths) < PARALLEL_FILES:
        return _mentioning(paths, needles)
    import marshal

    from gitops_gen.lint.parallel import Forked

    half = len(paths) // 2
    with Forked(lambda file: marshal.dump(_mentioning(paths[half:], needles), file),
                "the pre-read's helper") as helper:
        found = _mentioning(paths[:half], needles)
        for needle, theirs in marshal.load(helper.output()).items():
            found[needle] |= theirs
    return found


PARALLEL_FILES = 2048
"""Fewer files are read by one process (a fork costs more than half of reading them)."""


def _mentioning(paths: list[str], needles: tuple[str, ...]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {needle: set() for needle in needles}
    encoded = [(needle.encode(), found[needle]) for needle in needles]
    for path in paths:
        try:
            raw = _read_regular(path)
        except OSError:
            raw = None
        for needle, holding in encoded:
            if raw is None or needle in raw:
                holding.add(path)
    return found


def decode(raw: bytes) -> tuple[str | None, str | None]:
    """UTF-8 text (a byte-order mark is dropped), or (None, why the bytes are not text)."""
    if raw.find(b"\x00", 0, BINARY_SNIFF) >= 0:
        return None, "binary file, not YAML"
    try:
        text = raw.decode()  # C all the way; "utf-8-sig" calls a Python function each time
    except UnicodeDecodeError as error:
        return None, f"not UTF-8 text (byte {error.start}: {raw[error.start:error.start + 1]!r})"
    return (text[1:] if text.startswith("\ufeff") else text), None


def read_stdin(stream: BinaryIO) -> bytes:
    """Standard input's bytes, up to one byte more than MAX_FILE_BYTES (which `read_text`
    reports as too large): never all of an endless stream."""
    return stream.read(MAX_FILE_BYTES + 1)


class NotRegularFile(OSError):
    """A path that is not a regular file, or one too large to read."""


def _read_regular(path: str) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES. A named pipe or a device is never
    opened (reading one may block forever or never end)."""
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise NotRegularFile(0, f"not a regular file ({_file_type(info.st_mode)})")
    if info.st_size > MAX_FILE_BYTES:
        raise NotRegularFile(0, f"file of {info.st_size} bytes is larger than the limit of "
                                f"{MAX_FILE_BYTES} bytes")
    raw = _read_up_to(path, info.st_size, MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:  # it grew since stat
        raise NotRegularFile(0, f"file is larger than the limit of {MAX_FILE_BYTES} bytes")
    return raw


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)
_MORE = 64 * 1024


def _read_up_to(path: str, size: int, limit: int) -> bytes:
    """At most `limit` bytes of a file of `size` bytes: one read of a byte more than its size
    (which reads `size` bytes: its end), more while it goes on (it grew, or a special file
    tells no size). A buffered read of the limit allocated 10 MB per file, five times the cost
    of the reading itself."""
    descriptor = os.open(path, _OPEN_FLAGS)
    try:
        part = os.read(descriptor, min(size + 1, limit))
        if len(part) == size:
            return part
        parts = []
        while part:
            parts.append(part)
            limit -= len(part)
            if limit <= 0:
                break
            part = os.read(descriptor, min(_MORE, limit))
    finally:
        os.close(descriptor)
    return b"".join(parts)  # one part: itself, not a copy


def _file_type(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"
