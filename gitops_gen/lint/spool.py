"""Findings on disk, as sorted runs of marshalled blocks of rows, read back as one sorted stream.

The first IN_MEMORY_BYTES (1 MiB) of blocks are kept in memory (a small run makes no file), the rest go
to a temporary file.

A row (`model.ProblemRow`) is a finding as plain data; its first five items (file, line,
column, code, message) are its sort key. Runs are merged a window of blocks at a time: the rows
every run holds below the smallest last key of the runs' loaded blocks are cut out, joined in
run order and sorted by the C sort (stable, so equal keys keep the run order). Nothing is
merged row by row in Python, and a reader holds about a block of each run.
"""

from __future__ import annotations

import bisect
import io
import itertools
import marshal
import os
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, BinaryIO, Iterable, Iterator

from gitops_gen.lint.model import Problem, ProblemRow, row_problem

sort_key = itemgetter(0, 1, 2, 3, 4)
"""A row's sort key: (file, line, column, code, message)."""

BLOCK_ROWS = 512
"""Rows per marshalled block: what a reader of a run holds at a time."""
IN_MEMORY_BYTES = 1 << 20
"""Pickled blocks kept in memory before the spool makes a temporary file (a pre-commit run of a
few files makes none: the file and the tempfile module cost more than linting one file)."""

SPLIT_MIN_BLOCKS = 32
"""Fewer blocks of chunk findings (about 16k findings) are formatted by one process: a fork and
its temporary file cost more than half of formatting them."""

Block = list
"""A list of rows in sort order."""


def encode_rows(rows: list[ProblemRow]) -> tuple[list[bytes], tuple | None, tuple | None]:
    """Sort rows (stably, by key) and marshal them in blocks of BLOCK_ROWS (rows are plain
    tuples of str, int and None: marshal, built in, writes and reads them faster than pickle)."""
    rows.sort(key=sort_key)
    if not rows:
        return [], None, None
    blocks = [marshal.dumps(rows[i:i + BLOCK_ROWS]) for i in range(0, len(rows), BLOCK_ROWS)]
    return blocks, sort_key(rows[0]), sort_key(rows[-1])


def merge_blocks(runs: list[Iterator[Block]]) -> Iterator[Block]:
    """The rows of sorted `runs` (each an iterator of blocks) in one sorted sequence of blocks;
    among equal keys, the rows of earlier runs first, each run's in its order."""
    if len(runs) == 1:
        yield from (block for block in runs[0] if block)
        return
    loaded: list[Block] = []  # the rows of each run read and not yet merged
    open_runs: list[Iterator[Block] | None] = []
    for run in runs:
        rows = next(run, None)
        loaded.append(rows or [])
        open_runs.append(None if rows is None else run)
    while True:
        for number, run in enumerate(open_runs):  # an open run always has rows loaded
            while run is not None and not loaded[number]:
                rows = next(run, None)
                if rows is None:
                    open_runs[number] = run = None
                else:
                    loaded[number] = rows
        lasts = [sort_key(loaded[n][-1]) for n, run in enumerate(open_runs) if run is not None]
        if not lasts:  # every run read to its end
            window = [row for rows in loaded for row in rows]
            window.sort(key=sort_key)
            if window:
                yield window
            return
        bound = min(lasts)  # no run has a row below it left unread
        window: Block = []
        sources = 0
        for number, rows in enumerate(loaded):
            cut = bisect.bisect_left(rows, bound, key=sort_key)
            if cut:
                window.extend(rows[:cut])
                loaded[number] = rows[cut:]
                sources += 1
        if sources > 1:
            window.sort(key=sort_key)
        if window:
            yield window
        for number, run in enumerate(open_runs):  # the runs at the bound read their next block
            if run is not None and sort_key(loaded[number][-1]) == bound:
                rows = next(run, None)
                if rows is None:
                    open_runs[number] = None
                else:
                    loaded[number] = loaded[number] + rows


class Spool:
    """Findings on disk, in sorted runs of marshalled blocks, read back as one sorted stream.

    The runs of the chunks come in file order and mostly cover disjoint key ranges: they are
    read one after the other (merged only where ranges overlap). The late runs (cross-resource
    findings, spilled as they are found) span every file: they are merged with the rest.
    """

    def __init__(self, file: BinaryIO | None = None) -> None:
        self._file = file  # a temporary file, made on the first finding when not given
        self._files = [] if file is None else [file]  # every file a run is in
        self._runs: list[_Run] = []
        self._late: list[_Run] = []

    def add(self, chunk: Any) -> None:
        """Keep a chunk's findings (a `parallel.ChunkResult`: `encode_rows`' blocks and keys),
        as they came from the worker."""
        if chunk.first is not None:
            file, blocks = self._write(chunk.rows)
            self._runs.append(_Run(chunk.first, chunk.last, file, blocks))

    def add_late(self, rows: list[ProblemRow]) -> None:
        """Keep findings found after the chunks (sorted here)."""
        blocks, first, last = encode_rows(rows)
        if first is not None:
            file, blocks = self._write(blocks)
            lasts = [sort_key(rows[min(i + BLOCK_ROWS, len(rows)) - 1])
                     for i in range(0, len(rows), BLOCK_ROWS)]
            self._late.append(_Run(first, last, file, blocks, lasts))

    def late_runs(self) -> list[tuple]:
        """The late runs, as plain data for `adopt_late` (in a process that shares the file:
        what this process still buffers is written first)."""
        if self._file is not None:
            self._file.flush()
        return [(run.first, run.last, run.blocks, run.lasts) for run in self._late]

    def adopt_late(self, runs: list[tuple], file: BinaryIO) -> None:
        """Keep the late runs another spool wrote to `file` (`late_runs` gave them)."""
        self._late.extend(_Run(first, last, file, blocks, lasts)
                          for first, last, blocks, lasts in runs)
        if file not in self._files:
            self._files.append(file)

    def blocks(self, start: tuple | None = None, stop: tuple | None = None) -> Iterator[Block]:
        """Every row, in sort order, in blocks; among equal keys, chunks in order, then late
        runs. Each call reads the spool from its start. With `start` and `stop`, only the rows
        whose key is at or above `start` and below `stop` (`(file,)` stands for a file's start:
        the rows of the files before it sort below it)."""
        return merge_blocks([self._chunk_blocks(start, stop),
                             *(self._read(run, start, stop) for run in self._late)])

    def rows(self, start: tuple | None = None, stop: tuple | None = None
             ) -> Iterator[ProblemRow]:
        return itertools.chain.from_iterable(self.blocks(start, stop))

    def middle_file(self) -> tuple | None:
        """`(file,)` for the first file of the chunk run about halfway through the chunks'
        blocks: where to cut the stream in two halves of about the same size (the late runs
        span every file). None under SPLIT_MIN_BLOCKS, or when no chunk run starts a later
        file than the first."""
        order = sorted(self._runs, key=lambda run: run.first)
        blocks = sum(len(run.blocks) for run in order)
        if blocks < SPLIT_MIN_BLOCKS:
            return None
        half, seen = blocks / 2, 0
        for number, run in enumerate(order):
            if seen >= half and number:
                return (run.first[0],) if run.first[0] != order[0].first[0] else None
            seen += len(run.blocks)
        return None

    def _write(self, blocks: list[bytes]) -> tuple[BinaryIO, list[tuple[int, int]]]:
        """Write a run's blocks to one file: (the file, each block's offset and length)."""
        file = self._file
        if file is None:
            file = self._file = io.BytesIO()
            self._files.append(file)
        offset = file.seek(0, os.SEEK_END)
        if (file.__class__ is io.BytesIO
                and offset + sum(map(len, blocks)) > IN_MEMORY_BYTES):
            import tempfile

            file = self._file = tempfile.TemporaryFile()
            self._files.append(file)
            offset = 0
        places = []
        for block in blocks:
            file.write(block)
            places.append((offset, len(block)))
            offset += len(block)
        return file, places

    def _chunk_blocks(self, start: tuple | None, stop: tuple | None) -> Iterator[Block]:
        for group in self._overlapping():  # in key order
            if stop is not None and min(run.first for run in group) >= stop:
                return
            if start is not None and max(run.last for run in group) < start:
                continue
            if len(group) == 1:
                yield from self._read(group[0], start, stop)
            else:  # ranges overlap: merge, earlier chunks first among equal keys
                yield from merge_blocks([self._read(run, start, stop) for run in group])

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

    def _read(self, run: "_Run", start: tuple | None = None, stop: tuple | None = None
              ) -> Iterator[Block]:
        """The blocks of `run`, cut to the rows from `start` (included) to `stop` (excluded)."""
        if (start is not None and run.last < start) or (stop is not None and run.first >= stop):
            return
        read = _reader(run.file)
        for (offset, length), block_last in zip(run.blocks, run.lasts or itertools.repeat(None)):
            if start is not None and block_last is not None and block_last < start:
                continue  # not read: each of its rows is below `start`
            block = marshal.loads(read(length, offset))
            if start is not None and sort_key(block[-1]) < start:
                continue
            if start is not None and sort_key(block[0]) < start:
                block = block[bisect.bisect_left(block, start, key=sort_key):]
            if stop is not None and sort_key(block[-1]) >= stop:
                yield block[:bisect.bisect_left(block, stop, key=sort_key)]
                return
            yield block

    def flush(self) -> None:
        """Write out what the files buffer (before a fork: a forked reader shares the files)."""
        for file in self._files:
            file.flush()

    def close(self) -> None:
        for file in self._files:
            file.close()


def _reader(file: BinaryIO):
    """`read(length, offset)` of `file`, leaving its position alone (processes forked from
    this one share the position of a real file)."""
    if file.__class__ is io.BytesIO:  # in this process's memory: a forked one has a copy
        def read(length: int, offset: int) -> bytes:
            file.seek(offset)
            return file.read(length)

        return read
    file.flush()
    descriptor = file.fileno()
    return lambda length, offset: os.pread(descriptor, length, offset)


@dataclass(slots=True, eq=False, repr=False)
class _Run:
    """Sorted rows in a spool file: their first and last sort keys and where they are."""

    first: tuple
    last: tuple
    file: BinaryIO
    blocks: list[tuple[int, int]]
    """(offset, length) of each marshalled block of rows in the spool file."""
    lasts: list[tuple] | None = None
    """The last sort key of each block, when known (a late run's)."""


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


class Problems:
    """The problems of a run in order, read from the spool on each iteration: as `Problem`s, or
    as rows (`rows()`, what reporters format without making a Problem of each); those of the
    files from `start` to `stop` (`(file,)` keys) when given."""

    def __init__(self, spool: Spool, rules: dict, merge_applications: bool, workers: int = 1,
                 start: tuple | None = None, stop: tuple | None = None) -> None:
        self._spool, self._rules = spool, rules
        self._merge_applications = merge_applications
        self._workers, self._start, self._stop = workers, start, stop

    def rows(self) -> Iterator[ProblemRow]:
        rows = self._spool.rows(self._start, self._stop)
        return merged_applications(rows) if self._merge_applications else rows

    def halves(self) -> "tuple[Problems, Problems] | None":
        """The problems cut in two at a file, each half about as large, for two processes to
        format: when the run had `workers` to spare and enough problems to pay for a fork."""
        if self._workers < 2 or self._start is not None or self._stop is not None:
            return None
        middle = self._spool.middle_file()
        if middle is None:
            return None
        self._spool.flush()
        return (Problems(self._spool, self._rules, self._merge_applications, stop=middle),
                Problems(self._spool, self._rules, self._merge_applications, start=middle))

    def __iter__(self) -> Iterator[Problem]:
        rules = self._rules
        return (row_problem(row, rules) for row in self.rows())
