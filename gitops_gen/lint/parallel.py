"""Linting files in chunks, in this process or in worker processes, and streaming the findings.

The sources are cut into contiguous chunks whose bounds depend on the files alone, never on
`--jobs`, and each chunk is linted the same way wherever it runs: so every `--jobs` gives the same
findings in the same order. A chunk comes back as plain data (`ChunkResult`): its findings as
a few pickled blocks of sorted rows (no object per finding), their stats, counters and the packed
facts of its resources for the cross-resource index. The parent takes chunks in order as they
complete (a reorder window of a few chunks), writes its blocks to a spool file unread, and merges
the facts; cross-resource findings are spilled to the spool as they are found; at the end the
findings are read back a block at a time, merged into one sorted stream.
"""

from __future__ import annotations

import gc
import heapq
import itertools
import os
import pickle
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from gitops_gen.errors import UserError
from gitops_gen.lint.model import LintResult, Problem, ProblemRow, ProblemStats, row_problem

if TYPE_CHECKING:
    from gitops_gen.lint.sources import Source

CHUNK_FILES = 32
CHUNK_BYTES = 512 * 1024
"""A chunk ends after this many files or bytes: small enough to balance two cores and keep the
reorder window small, large enough that sending a chunk costs little next to linting it."""
PARALLEL_MIN_BYTES = 8 * 1024 * 1024
"""Below this much YAML one process lints: on 2 cores shared with other work (load 3-4), the
5k corpus (5.7 MB) took 0.6-0.9x as long with 2 workers as with one; at 50k, 1.2-1.7x less
(bench/README.md)."""
WINDOW_PER_WORKER = 3
"""Chunks handed out ahead per worker; the parent holds at most this many results unread."""


@dataclass(frozen=True, slots=True)
class ChunkResult:
    """What linting one chunk gave, as plain data."""

    rows: list[bytes]
    """The findings: pickled lists of `ProblemRow`s, sorted by their first five items."""
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


BLOCK_ROWS = 512
"""Rows per pickled block: what a reader of a run holds at a time."""


def encode_rows(rows: list[ProblemRow]) -> tuple[list[bytes], tuple | None, tuple | None]:
    """Sort rows (stably, by key) and pickle them in blocks of BLOCK_ROWS."""
    rows.sort(key=sort_key)
    if not rows:
        return [], None, None
    blocks = [pickle.dumps(rows[i:i + BLOCK_ROWS], protocol=pickle.HIGHEST_PROTOCOL)
              for i in range(0, len(rows), BLOCK_ROWS)]
    return blocks, rows[0][:5], rows[-1][:5]


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


def _ignore_interrupts() -> None:
    """In a worker: Ctrl-C is the parent's to handle (one line, exit 130), not each worker's."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


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
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    global _LINT_CHUNK
    _LINT_CHUNK = lint_chunk
    gc.freeze()  # the workers' collector skips what they inherit: no time, no copied pages
    executor = ProcessPoolExecutor(min(jobs, len(chunks)),
                                   mp_context=multiprocessing.get_context("fork"),
                                   initializer=_ignore_interrupts)
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
        gc.unfreeze()
        executor.shutdown(wait=False, cancel_futures=True)  # workers exit while we go on


class Spool:
    """Findings on disk, in sorted runs of pickled blocks, read back as one sorted stream.

    The runs of the chunks come in file order and mostly cover disjoint key ranges: they are
    read one after the other (merged only where ranges overlap). The late runs (cross-resource
    findings, spilled as they are found) span every file: they are merged with the rest, a block
    of each at a time.
    """

    def __init__(self) -> None:
        self._file = None  # a temporary file, made on the first finding
        self._runs: list[_Run] = []
        self._late: list[_Run] = []

    def add(self, chunk: ChunkResult) -> None:
        """Keep a chunk's findings, as they came from the worker."""
        if chunk.first is not None:
            self._runs.append(_Run(chunk.first, chunk.last, [self._write(b) for b in chunk.rows]))

    def add_late(self, rows: list[ProblemRow]) -> None:
        """Keep findings found after the chunks (sorted here)."""
        blocks, first, last = encode_rows(rows)
        if first is not None:
            self._late.append(_Run(first, last, [self._write(b) for b in blocks]))

    def rows(self) -> Iterator[ProblemRow]:
        """Every row, in sort order; among equal keys, chunks in order, then late runs."""
        return heapq.merge(self._chunk_rows(), *(self._read(run) for run in self._late),
                           key=sort_key)

    def _write(self, block: bytes) -> tuple[int, int]:
        if self._file is None:
            import tempfile

            self._file = tempfile.TemporaryFile()
        offset = self._file.seek(0, os.SEEK_END)
        self._file.write(block)
        return offset, len(block)

    def _chunk_rows(self) -> Iterator[ProblemRow]:
        for group in self._overlapping():
            if len(group) == 1:
                yield from self._read(group[0])
            else:  # ranges overlap: merge, earlier chunks first among equal keys
                yield from heapq.merge(*(self._read(run) for run in group), key=sort_key)

    def _overlapping(self) -> Iterator[list["_Run"]]:
        """The chunks' runs in key order, grouped where their key ranges overlap."""
        order = sorted(range(len(self._runs)), key=lambda i: self._runs[i].first)
        group: list[int] = []
        highest: tuple | None = None
        for number in order:
            run = self._runs[number]
            if group and run.first < highest:
                group.append(number)
                highest = max(highest, run.last)
                continue
            if group:
                yield [self._runs[i] for i in sorted(group)]
            group, highest = [number], run.last
        if group:
            yield [self._runs[i] for i in sorted(group)]

    def _read(self, run: "_Run") -> Iterator[ProblemRow]:
        for offset, length in run.blocks:
            self._file.seek(offset)
            yield from pickle.loads(self._file.read(length))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


@dataclass(frozen=True, slots=True)
class _Run:
    first: tuple
    last: tuple
    blocks: list[tuple[int, int]]
    """(offset, length) of each pickled block of rows in the spool file."""


def merged_applications(rows: Iterable[ProblemRow]) -> Iterator[ProblemRow]:
    """One row per place: rows of the same finding from several Applications (a base two
    overlays use) become one naming them all (sorted: the same in every run). Such rows are
    adjacent in sort order."""
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
            elif row[11] not in first_with_app[key][11].split(", "):
                names = {*first_with_app[key][11].split(", "), row[11]}
                first_with_app[key][11] = ", ".join(sorted(names))
        yield from (tuple(r) for r in kept)


class LintStream:
    """The problems of a run, read once in order from the spool; close it (or use `with`)."""

    def __init__(self, result: LintResult, spool: Spool, rules: dict,
                 merge_applications: bool) -> None:
        self.result = result
        self._spool, self._rules = spool, rules
        self.merge_applications = merge_applications

    def problems(self) -> Iterator[Problem]:
        rows = self._spool.rows()
        if self.merge_applications:
            rows = merged_applications(rows)
        rules = self._rules
        return (row_problem(row, rules) for row in rows)

    def close(self) -> None:
        self._spool.close()

    def __enter__(self) -> "LintStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
