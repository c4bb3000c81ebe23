"""What the streaming writers share: the findings as rows, and their parts formatted once.

A writer formats each finding from its row (`model.ProblemRow`), never making a `Problem` of
it: a run's spooled findings are read as rows, a listed run's problems are turned into rows.
What repeats from finding to finding (a rule's name and fix, a file, a resource) is formatted
once: per rule for the run, per file or resource while the findings of that file are read (so
what is kept does not grow with the run); the findings are written in batches.
"""

from __future__ import annotations

import itertools
import shutil
from typing import BinaryIO, Callable, Iterable, Iterator, TextIO

from gitops_gen.lint.model import (APPLICATION, KIND, NAME, NAMESPACE, RENDERED, Problem,
                                   ProblemRow, problem_row)

BATCH = 512
"""Findings formatted before one write."""

def rows_of(problems: Iterable[Problem]) -> Iterator[ProblemRow]:
    """The rows of `problems`: read as rows when they come from a spool (`spool.Problems`)."""
    rows = getattr(problems, "rows", None)
    return rows() if rows is not None else map(problem_row, problems)


def batches(rows: Iterable[ProblemRow]) -> Iterator[list[ProblemRow]]:
    """`rows` in lists of BATCH."""
    rows = iter(rows)
    while batch := list(itertools.islice(rows, BATCH)):
        yield batch


def write_texts(out: TextIO, problems: Iterable[Problem],
                texts_of: Callable[[Iterable[ProblemRow]], Iterator[str]], separator: str,
                first: Callable[[str], str] = str) -> bool:
    """Write the texts of `problems` (`texts_of` their rows, each row's text made from that row
    alone) to `out`, in order, joined by `separator` (and the first batch of them through
    `first`); whether there was any. A parallel run's problems (`spool.Problems.halves`) are
    cut in two at a file: a forked helper formats the second half, encoded as `out` encodes,
    while this process formats and writes the first (never empty), then copies the helper's
    bytes."""
    halves = getattr(problems, "halves", None)
    halves = halves() if halves is not None else None
    if halves is None:
        return _write_joined(out, texts_of(rows_of(problems)), separator, first)
    from gitops_gen.lint.parallel import Forked

    encoding = getattr(out, "encoding", None) or "utf-8"
    errors = getattr(out, "errors", None) or "strict"

    def format_second(file: BinaryIO) -> None:
        for batch in batches(texts_of(halves[1].rows())):
            file.write((separator + separator.join(batch)).encode(encoding, errors))

    with Forked(format_second, "the report's helper") as helper:
        _write_joined(out, texts_of(halves[0].rows()), separator, first)
        output = helper.output()
        if hasattr(out, "buffer"):
            out.flush()
            shutil.copyfileobj(output, out.buffer, COPY_BYTES)
        else:
            out.write(output.read().decode(encoding, errors))
    return True


COPY_BYTES = 1 << 20
"""The helper's output is copied this many bytes at a time."""


def _write_joined(out: TextIO, texts: Iterable[str], separator: str,
                  first: Callable[[str], str]) -> bool:
    written = False
    for batch in batches(texts):
        out.write(separator + separator.join(batch) if written else first(separator.join(batch)))
        written = True
    return written


def resource_text(row: ProblemRow) -> str:
    """`Deployment prod/web` (as `ResourceId.__str__`); empty when the row has no resource."""
    kind = row[KIND]
    if kind is None:
        return ""
    namespace = row[NAMESPACE]
    return f"{kind} {f'{namespace}/' if namespace else ''}{row[NAME] or '<unnamed>'}"


def subject(row: ProblemRow) -> str:
    """What the finding is about, as `Problem.subject`."""
    parts = [resource_text(row)] if row[KIND] is not None else []
    if row[APPLICATION]:
        rendered = row[RENDERED]
        parts.append(f"Application {row[APPLICATION]}" + (f" ({rendered})" if rendered else ""))
    return ", ".join(parts)
