"""Linting files in chunks, in this process or in worker processes, and streaming the findings.

The sources are cut into contiguous chunks whose bounds depend on the files alone, never on
`--jobs`, and each chunk is linted the same way wherever it runs: so every `--jobs` gives the same
findings in the same order. A chunk comes back as plain data (`ChunkResult`): its findings as
a few marshalled blocks of sorted rows (no object per finding), their stats, counters and the packed
facts of its resources for the cross-resource index. The parent takes chunks in order as they
complete (a reorder window of a few chunks), writes its blocks to a spool file unread, and merges
the facts; the cross-resource rules are then shared with a forked helper (`share_tasks`), their
findings spilled to the spool as they are found; at the end the findings are read back a block
at a time, merged into one sorted stream (lint/spool.py); a reporter cuts that stream in two at a
file and a forked helper (`Forked`) formats the second half while the parent writes the first
(report.rows.write_texts). `--jobs 0` (the default) counts the cores other work leaves idle
(`idle_cores`).
"""

from __future__ import annotations

import gc
import itertools
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterator

from gitops_gen.errors import UserError
from gitops_gen.lint.model import LintResult, ProblemStats
from gitops_gen.lint.spool import Problems, Spool

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


@dataclass(slots=True, eq=False, repr=False)
class ChunkResult:
    """What linting one chunk gave, as plain data."""

    rows: list[bytes]
    """The findings: marshalled lists of `ProblemRow`s, sorted by their first five items."""
    first: tuple | None
    last: tuple | None
    """The sort keys of the first and last rows (None when there is none)."""
    stats: ProblemStats
    counters: tuple[int, int, int, int]
    """(files, resources, skipped documents, suppressed findings)."""
    linted_files: list[str]
    packed: list[tuple]
    """(index group, its resources as `index.pack` gives them) for the cross-resource index."""


def sizes_of(sources: list["Source"]) -> list[int]:
    """The bytes of each source (a rendered object counts as a small manifest)."""
    return [_size(source) for source in sources]


def plan_chunks(sizes: list[int]) -> list[tuple[int, int]]:
    """(start, end) of each chunk of the sources of `sizes`, from the files alone (never from
    --jobs)."""
    chunks: list[tuple[int, int]] = []
    start, size = 0, 0
    for number, bytes_ in enumerate(sizes):
        size += bytes_
        if number + 1 - start >= CHUNK_FILES or size >= CHUNK_BYTES:
            chunks.append((start, number + 1))
            start, size = number + 1, 0
    if start < len(sizes):
        chunks.append((start, len(sizes)))
    return chunks


def worth_forking(sizes: list[int], jobs: int) -> bool:
    """Whether `jobs` processes would lint sources of `sizes` faster than this one alone."""
    return jobs > 1 and sum(sizes) >= PARALLEL_MIN_BYTES


def workers_for(sizes: list[int], jobs: int, probe: "LoadProbe | None" = None) -> int:
    """How many processes lint sources of `sizes`: `jobs`, or with `jobs` 0 (the default) one
    per idle core (`probe` watching since the run began); one process under
    PARALLEL_MIN_BYTES of YAML either way."""
    if jobs == 1 or not worth_forking(sizes, jobs or 2):
        return 1
    return jobs or idle_cores(probe)


IDLE_SAMPLE_SECONDS = 0.1
"""The shortest time the cores are watched to count the idle ones (once, for a large run)."""


def idle_cores(probe: "LoadProbe | None" = None) -> int:
    """The cores this process may use that other processes leave idle, rounded (at least 1).

    Linux schedules a session's processes as one group against the others' (autogroup), so on
    cores other work keeps busy more workers gain nothing and cost their overhead: at load
    3.4-3.6 on 2 cores the 50k corpus took 38.5 s with `--jobs 2`, 24.7 s with `--jobs 1`
    (bench/README.md).
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    busy = (probe or LoadProbe()).busy_cores()
    return max(1, min(cores, int(cores - busy + 0.5)))


class LoadProbe:
    """Watches how busy the cores are from its making on, this process's own use left out:
    /proc/stat's clock ticks, as they are now (where the load average lags a minute behind)."""

    def __init__(self) -> None:
        self._start = self._read()

    @staticmethod
    def _read() -> tuple[int, int, float, float] | None:
        try:
            busy, total = _cpu_times()
        except (OSError, ValueError, IndexError):  # no /proc/stat: not Linux
            return None
        import resource

        own = resource.getrusage(resource.RUSAGE_SELF)
        return busy, total, own.ru_utime + own.ru_stime, time.monotonic()

    def busy_cores(self) -> float:
        """How many cores other processes kept busy since the probe was made (watching at least
        IDLE_SAMPLE_SECONDS); without /proc/stat, the 1-minute load average."""
        if self._start is None:
            try:
                return os.getloadavg()[0]
            except (AttributeError, OSError):
                return 0.0
        waited = time.monotonic() - self._start[3]
        if waited < IDLE_SAMPLE_SECONDS:
            time.sleep(IDLE_SAMPLE_SECONDS - waited)
        end = self._read() or self._start
        busy, total = end[0] - self._start[0], end[1] - self._start[1]
        own = (end[2] - self._start[2]) * os.sysconf("SC_CLK_TCK")
        return max(0.0, (os.cpu_count() or 1) * (busy - own) / total) if total > 0 else 0.0


def _cpu_times() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores since boot, from /proc/stat."""
    with open("/proc/stat", encoding="ascii") as stat:
        ticks = [int(field) for field in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return sum(ticks) - idle, sum(ticks)


def _size(source: "Source") -> int:
    if source.objects is not None:
        return 2048 * len(source.objects)  # a rendered object: about a small manifest's worth
    try:
        return os.path.getsize(source.path) if source.path else 0
    except OSError:
        return 0


_LINT_CHUNK: Callable[[int, int], ChunkResult] | None = None
"""In a worker: the function linting sources[start:end], inherited from the parent by fork."""


def _start_worker() -> None:
    """In a worker: Ctrl-C is the parent's to handle (one line, exit 130), not each worker's;
    the collector runs (the parent pauses its own while it gathers the chunks)."""
    _leave_interrupts()
    gc.enable()


def _leave_interrupts() -> None:
    """In a forked process: Ctrl-C is the parent's to handle (one line, exit 130)."""
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
                                   initializer=_start_worker)
    collecting = gc.isenabled()
    gc.disable()  # what the parent keeps (the index) is no garbage: 0.2 s less on 50k files
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
        if collecting:
            gc.enable()
        gc.unfreeze()
        executor.shutdown(wait=False, cancel_futures=True)  # workers exit while we go on


def share_tasks(count: int, jobs: int, run: Callable[[Iterator[int]], None],
                helper: Callable[[Callable[[Iterator[int]], None], Iterator[int]], Any]) -> Any:
    """Run tasks 0 to count - 1: `run(tasks)` here, and with `jobs` > 1 (and tasks to share)
    `helper(run, tasks)` at the same time in a forked process, where each `tasks` hands out the
    next task number neither process has taken. Returns what `helper` returned (pickled back),
    None when nothing was forked. A helper that dies is a UserError, as a worker's death is.
    """
    if jobs <= 1 or count < 2:
        run(iter(range(count)))
        return None
    import multiprocessing
    import pickle

    taken = multiprocessing.get_context("fork").Value("i", 0)

    def tasks() -> Iterator[int]:
        while True:
            with taken.get_lock():
                number = taken.value
                taken.value += 1
            if number >= count:
                return
            yield number

    with Forked(lambda file: pickle.dump(helper(run, tasks()), file, pickle.HIGHEST_PROTOCOL),
                "the cross-resource rules' helper") as forked:
        run(tasks())
        return pickle.load(forked.output())


class Forked:
    """`work(file)` in a forked process (the helper called `name` in errors), at the same time
    as this one's own work: what it writes to `file` (a temporary file) is read with `output()`
    once it is done. Close it (or use `with`): a helper not waited for is stopped. A helper that
    dies is a UserError, as a worker's death is."""

    def __init__(self, work: Callable[[BinaryIO], None], name: str) -> None:
        import tempfile

        self._name = name
        self._file = tempfile.TemporaryFile()
        readable, writable = os.pipe()
        gc.freeze()  # as for the workers: the helper's collector leaves the inherited objects alone
        self._pid: int | None = os.fork()
        if self._pid == 0:  # the helper: a failure is told through the pipe, then it exits
            os.close(readable)
            _leave_interrupts()
            gc.disable()  # it exits when its work is done: its collector would free little
            try:
                work(self._file)
                self._file.flush()
                failure = b""
            except BaseException as error:  # noqa: B036 (reported by the parent)
                failure = f"{type(error).__name__}: {error}".encode()[:4096] or b"?"
            os.write(writable, failure)
            os._exit(0)
        os.close(writable)
        self._failure = readable

    def output(self) -> BinaryIO:
        """Wait for the helper; its file, read from its start."""
        with os.fdopen(self._failure, "rb") as pipe:
            failure = pipe.read()
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        gc.unfreeze()
        if status != 0:
            raise UserError("a lint worker process died (killed, or out of memory)",
                            hint="lint again with fewer --jobs, or with more memory")
        if failure:
            raise RuntimeError(f"{self._name} process failed: {failure.decode()}")
        self._file.seek(0)
        return self._file

    def close(self) -> None:
        if self._pid is not None:  # not waited for: stopped (an error, or Ctrl-C, here)
            import signal

            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            os.close(self._failure)
            self._pid = None
            gc.unfreeze()
        self._file.close()

    def __enter__(self) -> "Forked":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LintStream:
    """The problems of a run, read once in order from the spool; close it (or use `with`)."""

    def __init__(self, result: LintResult, spool: Spool, rules: dict,
                 merge_applications: bool, workers: int = 1) -> None:
        self.result = result
        self._spool, self._rules = spool, rules
        self.merge_applications = merge_applications
        self.workers = workers
        """The processes that linted: as many may format the report (`Problems.halves`)."""

    def problems(self) -> Problems:
        """The problems in order (each iteration reads them again), or their rows."""
        return Problems(self._spool, self._rules, self.merge_applications, self.workers)

    def close(self) -> None:
        self._spool.close()

    def __enter__(self) -> "LintStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
