"""What a parallel run shares with a forked helper: its report formatted by two processes (the
spool read from and to a file, the two halves of the problems, a helper that fails or dies),
and the pre-read of many files."""

from __future__ import annotations

import io
import marshal
import os
import random
import signal

import pytest

from gitops_gen.errors import UserError
from gitops_gen.lint import parallel
from gitops_gen.lint import spool as spool_module
from gitops_gen.lint.spool import Spool, sort_key
from gitops_gen.report.rows import write_texts


def _row(file: str, line: int, tag: object) -> tuple:
    return (file, line, 1, "K8S101", "m", "warning", "v1", "Pod", None, "p", "", None, tag)


def _spool(rng: random.Random, files: int = 30) -> tuple[Spool, list[tuple]]:
    """Chunk runs in file order (blocks of 1 to 9 rows) and late runs over every file."""
    spool = Spool()
    every = []
    for first in range(0, files, 5):
        rows = [_row(f"f{n:02}", rng.randint(1, 4), (first, i))
                for n in range(first, first + 5) for i in range(rng.randint(0, 6))]
        every += rows
        size = rng.randint(1, 9)
        rows.sort(key=sort_key)
        blocks = [marshal.dumps(rows[i:i + size]) for i in range(0, len(rows), size)]
        if rows:
            spool.add(parallel.ChunkResult(blocks, sort_key(rows[0]), sort_key(rows[-1]), None,
                                           (0, 0, 0, 0), [], []))
    for number in range(rng.randint(0, 3)):
        late = [_row(f"f{rng.randrange(files):02}", rng.randint(1, 4), ("late", number, i))
                for i in range(rng.randint(0, 40))]
        every += late
        spool.add_late(late)
    return spool, every


@pytest.mark.parametrize("seed", range(30))
def test_reading_from_a_file_to_another_gives_the_rows_between_them(monkeypatch, seed):
    monkeypatch.setattr(spool_module, "BLOCK_ROWS", 1 + seed % 5)  # late runs of many blocks
    rng = random.Random(seed)
    spool, _ = _spool(rng)
    everything = list(spool.rows())
    start, stop = sorted(rng.sample([None, *[(f"f{n:02}",) for n in range(32)]], 2),
                         key=lambda key: key or ("",))
    expected = [row for row in everything if (start is None or sort_key(row) >= start)
                and (stop is None or sort_key(row) < stop)]
    assert list(spool.rows(start, stop)) == expected
    spool.close()


@pytest.mark.parametrize("seed", range(10))
def test_the_halves_cut_at_a_file_and_hold_every_problem_once(monkeypatch, seed):
    monkeypatch.setattr(spool_module, "SPLIT_MIN_BLOCKS", 0)
    spool, every = _spool(random.Random(seed))
    problems = spool_module.Problems(spool, {}, False, workers=2)
    first, second = problems.halves()
    head, tail = list(first.rows()), list(second.rows())
    assert head and tail and head[-1][0] < tail[0][0]
    assert head + tail == list(problems.rows()) == sorted(every, key=sort_key)
    assert spool_module.Problems(spool, {}, False, workers=1).halves() is None
    spool.close()


def test_halves_join_the_applications_of_a_finding_as_the_whole_stream_does(monkeypatch):
    monkeypatch.setattr(spool_module, "SPLIT_MIN_BLOCKS", 0)
    spool = Spool()
    for first in range(0, 20, 4):  # each file's finding from Applications a and b, a chunk each
        for application in ("b", "a"):
            rows = [(f"f{n:02}", 1, 1, "K8S101", "m", "warning", "v1", "Pod", None, "p", "",
                     application, None) for n in range(first, first + 4)]
            spool.add(parallel.ChunkResult([marshal.dumps(rows)], sort_key(rows[0]),
                                           sort_key(rows[-1]), None, (0, 0, 0, 0), [], []))
    problems = spool_module.Problems(spool, {}, True, workers=2)
    first, second = problems.halves()
    rows = list(first.rows()) + list(second.rows())
    assert rows == list(problems.rows())
    assert [row[11] for row in rows] == ["a, b"] * 20
    spool.close()


def test_few_problems_are_not_halved():
    spool, _ = _spool(random.Random(1))
    assert spool_module.Problems(spool, {}, False, workers=2).halves() is None
    spool.close()


def _texts(rows):
    return (f"{row[0]}:{row[1]}:{row[12]}" for row in rows)


@pytest.mark.parametrize("kind", ["string", "file"])
def test_texts_of_halves_are_written_as_one_process_writes_them(monkeypatch, tmp_path, kind):
    monkeypatch.setattr(spool_module, "SPLIT_MIN_BLOCKS", 0)
    monkeypatch.setattr("gitops_gen.report.rows.BATCH", 7)
    spool, every = _spool(random.Random(3), files=200)
    out = io.StringIO() if kind == "string" else open(tmp_path / "out", "w", encoding="utf-8")
    out.write("<")
    assert write_texts(out, spool_module.Problems(spool, {}, False, 2), _texts, "|\u00e9",
                       first="[".__add__)
    out.write(">")
    expected = "<[" + "|\u00e9".join(_texts(sorted(every, key=sort_key))) + ">"
    if kind == "file":
        out.close()
        assert (tmp_path / "out").read_text(encoding="utf-8") == expected
    else:
        assert out.getvalue() == expected
    spool.close()


def test_a_failing_helper_is_reported_and_a_dead_one_is_an_error(monkeypatch):
    monkeypatch.setattr(spool_module, "SPLIT_MIN_BLOCKS", 0)
    spool, _ = _spool(random.Random(4))
    parent = os.getpid()

    def failing(rows):
        for row in rows:
            if os.getpid() != parent:
                raise ValueError("no text")
            yield "x"

    with pytest.raises(RuntimeError, match="ValueError: no text"):
        write_texts(io.StringIO(), spool_module.Problems(spool, {}, False, 2), failing, "")

    def dying(rows):
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        yield from ("x" for _ in rows)

    with pytest.raises(UserError, match="died"):
        write_texts(io.StringIO(), spool_module.Problems(spool, {}, False, 2), dying, "")
    spool.close()


def test_the_pre_read_of_many_files_is_shared_and_finds_what_one_process_finds(
        tmp_path, monkeypatch):
    from gitops_gen.lint import sources as source_files

    for number in range(40):
        text = ["kind: ConfigMap\n", "kind: CustomResourceDefinition\n",
                "apiVersion: argoproj.io/v1alpha1\n"][number % 3 if number % 7 else 0]
        (tmp_path / f"f{number:02}.yaml").write_text(text)
    found, _ = source_files.discover([str(tmp_path)])
    marks = ("CustomResourceDefinition", "argoproj.io")
    alone = source_files.files_mentioning(found, marks)
    log = tmp_path / "readers.log"
    real_read = source_files._read_regular

    def logged(path):
        with open(log, "a") as handle:
            handle.write(f"{os.getpid()}\n")
        return real_read(path)

    monkeypatch.setattr(source_files, "_read_regular", logged)
    monkeypatch.setattr(source_files, "PARALLEL_FILES", 8)
    assert source_files.files_mentioning(found, marks, processes=2) == alone
    assert len(set(log.read_text().split())) == 2  # this process and the helper read
    assert {len(paths) for paths in alone.values()} == {11}
