"""Linting files in chunks, in this process or in worker processes, and streaming the findings.

The sources are cut into contiguous chunks whose bounds depend on the files alone, never on
`--jobs`, and each chunk is linted the same way wherever it runs: so every `--jobs` gives the same
findings in the same order. A chunk comes back as plain data (`ChunkResult`): its findings as
one pickled blob of sorted rows (no object per finding), their stats, counters and the packed
facts of its resources for the cross-resource index. The parent takes chunks in order as they
complete (a reorder window of a few chunks), writes each blob to a spool file unread, and merges
the facts; at the end the findings are read back chunk by chunk and merged with the
cross-resource findings into one sorted stream.
"""

from __future__ import annotations

import heapq
import itertools
import os
import pickle
import tempfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from gitops_gen.errors import UserError
from gitops_gen.lint.model import ProblemRow, ProblemStats

if TYPE_CHECKING:
    from gitops_gen.lint.sources import Source

CHUNK_FILES = 32
CHUNK_BYTES = 512 * 1024
"""A chunk ends after this many files or bytes: small enough to balance two cores and keep the
reorder window small, large enough that sending a chunk costs little next to linting it."""
PARALLEL_MIN_BYTES = 2 * 1024 * 1024
"""Below this much YAML, one process lints faster than starting workers (measured: bench/)."""
WINDOW_PER_WORKER = 3
"""Chunks handed out ahead per worker; the parent holds at most this many results unread."""


@dataclass(frozen=True, slots=True)
class ChunkResult:
    """What linting one chunk gave, as plain data."""

    rows: bytes
    """The findings: a pickled list of `ProblemRow`s, sorted by their first five items."""
    first: tuple | None
    last: tuple | None
    """The sort keys of the first and last rows (None when there is none)."""
    stats: ProblemStats
    counters: tuple[int, int, int, int]
    """(files, resources, skipped documents, suppressed findings)."""
    linted_files: list[str]
    packed: list[tuple]
    """(index group, its resources as `index.pack` gives them) for the cross-resource index."""


def sort_key(row: ProblemRow) -> tuple:
    return row[:5]


def encode_rows(rows: list[ProblemRow]) -> tuple[bytes, tuple | None, tuple | None]:
    """Sort rows (stably, by key) and pickle them in one go."""
    rows.sort(key=sort_key)
    if not rows:
        return b"", None, None
    return pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL), rows[0][:5], rows[-1][:5]


def plan_chunks(sources: list["Source"]) -> list[tuple[int, int]]:
    """(start, end) of each chunk of `sources`, from the files alone (never from --jobs)."""
    chunks: list[tuple[int, int]] = []
    start, size = 0, 0
    for number, source in enumerate(sources):
        size += _size(source)
        if number + 1 - start >= CHUNK_FILES or size >= CHUNK_BYTES:
            chunks.append((start, number + 1))
            start, size = number + 1, 0
    if start < len(sources):
        chunks.append((start, len(sources)))
    return chunks


def worth_forking(sources: list["Source"], jobs: int) -> bool:
    """Whether `jobs` processes would lint `sources` faster than this one alone."""
    return jobs > 1 and sum(_size(s) for s in sources) >= PARALLEL_MIN_BYTES


def _size(source: "Source") -> int:
    if source.objects is not None:
        return 2048 * len(source.objects)  # a rendered object: about a small manifest's worth
    try:
        return os.path.getsize(source.path) if source.path else 0
    except OSError:
        return 0


_LINT_CHUNK: Callable[[int, int], ChunkResult] | None = None
"""In a worker: the function linting sources[start:end], inherited from the parent by fork."""


def _in_worker(bounds: tuple[int, int]) -> ChunkResult:
    return _LINT_CHUNK(*bounds)


def lint_chunks(lint_chunk: Callable[[int, int], ChunkResult], chunks: list[tuple[int, int]],
                jobs: int) -> Iterator[ChunkResult]:
    """`lint_chunk` over every chunk, in chunk order: here, or in `jobs` forked workers.

    A worker that dies (killed, out of memory) is a UserError, never a hang.
    """
    if jobs <= 1 or len(chunks) < 2:
        for bounds in chunks:
            yield lint_chunk(*bounds)
        return
    import multiprocessing

    global _LINT_CHUNK
    _LINT_CHUNK = lint_chunk
    executor = ProcessPoolExecutor(min(jobs, len(chunks)),
                                   mp_context=multiprocessing.get_context("fork"))
    try:
        pending = iter(chunks)
        window = [executor.submit(_in_worker, bounds)
                  for bounds in itertools.islice(pending, jobs * WINDOW_PER_WORKER)]
        while window:
            future = window.pop(0)
            result = future.result()
            window.extend(executor.submit(_in_worker, b) for b in itertools.islice(pending, 1))
            yield result
    except BrokenProcessPool:
        raise UserError("a lint worker process died (killed, or out of memory)",
                        hint="lint again with fewer --jobs, or with more memory") from None
    finally:
        _LINT_CHUNK = None
        executor.shutdown(wait=True, cancel_futures=True)


class Spool:
    """Chunks' findings on disk, in sorted runs, read back as one sorted stream."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()
        self._runs: list[tuple[tuple, tuple, int, int]] = []
        """(first key, last key, offset, length) per non-empty chunk, in chunk order."""

    def add(self, chunk: ChunkResult) -> None:
        if chunk.first is None:
            return
        offset = self._file.seek(0, os.SEEK_END)
        self._file.write(chunk.rows)
        self._runs.append((chunk.first, chunk.last, offset, len(chunk.rows)))

    def rows(self, more: list[ProblemRow]) -> Iterator[ProblemRow]:
        """Every spooled row and `more` (sorted), in sort order; ties keep chunk order, then
        `more`. Only the chunks whose key ranges overlap are read at the same time."""
        return heapq.merge(self._spooled(), more, key=sort_key)

    def _spooled(self) -> Iterator[ProblemRow]:
        for group in self._overlapping():
            if len(group) == 1:
                yield from self._read(group[0])
            else:  # ranges overlap: merge, earlier chunks first among equal keys
                yield from heapq.merge(*(self._read(run) for run in group), key=sort_key)

    def _overlapping(self) -> Iterator[list[tuple]]:
        """The runs in key order, grouped where their key ranges overlap."""
        order = sorted(range(len(self._runs)), key=lambda i: self._runs[i][0])
        group: list[int] = []
        highest: tuple | None = None
        for number in order:
            first, last = self._runs[number][:2]
            if group and first < highest:
                group.append(number)
                highest = max(highest, last)
                continue
            if group:
                yield [self._runs[i] for i in sorted(group)]
            group, highest = [number], last
        if group:
            yield [self._runs[i] for i in sorted(group)]

    def _read(self, run: tuple) -> Iterator[ProblemRow]:
        self._file.seek(run[2])
        yield from pickle.loads(self._file.read(run[3]))

    def close(self) -> None:
        self._file.close()


def merged_applications(rows: Iterable[ProblemRow]) -> Iterator[ProblemRow]:
    """One row per place: rows of the same finding from several Applications (a base two
    overlays use) become one naming them all. Such rows are adjacent in sort order."""
    for _, same in itertools.groupby(rows, key=sort_key):
        first_with_app: dict[tuple, list] = {}
        kept: list = []
        for row in same:
            if row[11] is None:
                kept.append(row)
                continue
            key = row[:5]
            if key not in first_with_app:
                first_with_app[key] = entry = list(row)
                kept.append(entry)
            elif row[11] not in first_with_app[key][11]:
                first_with_app[key][11] += f", {row[11]}"
        yield from (tuple(r) for r in kept)
