"""What the streaming writers share: the findings as rows, and their parts formatted once.

A writer formats each finding from its row (`model.ProblemRow`), never making a `Problem` of
it: a run's spooled findings are read as rows, a listed run's problems are turned into rows.
What repeats from finding to finding (a rule's name and fix, a file, a resource) is formatted
once: per rule for the run, per file or resource while the findings of that file are read (so
what is kept does not grow with the run); the findings are written in batches.
"""

from __future__ import annotations

import itertools
import marshal
from typing import BinaryIO, Callable, Iterable, Iterator

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


def joined_texts(problems: Iterable[Problem],
                 texts_of: Callable[[Iterable[ProblemRow]], Iterator[str]],
                 separator: str) -> Iterator[str]:
    """The texts of `problems` (`texts_of` their rows, each row's text made from that row
    alone), joined by `separator` a batch at a time, in order. A parallel run's problems
    (`spool.Problems.halves`) are cut in two at a file: a forked helper formats the second
    half while this process formats the first."""
    halves = getattr(problems, "halves", None)
    halves = halves() if halves is not None else None
    if halves is None:
        yield from map(separator.join, batches(texts_of(rows_of(problems))))
        return
    from gitops_gen.lint.parallel import Forked

    first, second = halves

    def format_second(file: BinaryIO) -> None:
        for batch in batches(texts_of(second.rows())):
            marshal.dump(separator.join(batch), file)

    with Forked(format_second) as helper:
        yield from map(separator.join, batches(texts_of(first.rows())))
        output = helper.output()
        while True:
            try:
                yield marshal.load(output)
            except EOFError:
                return


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
