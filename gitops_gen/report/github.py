"""GitHub Actions workflow commands: one annotation per finding, then the plain summary.

    ::error file=deploy/app.yaml,line=12,col=7,title=K8S209 image-unpinned::container ...

Escaping follows GitHub's runner (`ActionCommand`): in data `%`, CR and LF are encoded; in
properties `:` and `,` are encoded as well.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Iterable, Iterator, TextIO

from gitops_gen.lint.model import (CODE, COLUMN, FILE, LINE, MESSAGE, SEVERITY, Problem,
                                   ProblemRow, Severity)
from gitops_gen.report.rows import subject, write_texts
from gitops_gen.report.text import passed_line, skipped_files_lines, summary_line

if TYPE_CHECKING:
    from gitops_gen.api import LintRun

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def report(run: "LintRun", *, color: bool = False) -> str:
    out = io.StringIO()
    write(run, run.result.problems, out)
    return out.getvalue()


def write(run: "LintRun", problems: Iterable[Problem], out: TextIO, *,
          color: bool = False) -> None:
    """Write an annotation per problem (in order, read once), then the summary, to `out`."""
    result = run.result
    write_texts(out, problems, lambda rows: _annotations(rows, run.rules), "")
    lines = skipped_files_lines(result)
    if run.selection is not None:
        lines.append(run.selection.describe())
    lines.append(summary_line(result) if result.summary().total else passed_line(result))
    out.write("\n".join(lines) + "\n")


def _annotations(rows: Iterable[ProblemRow], rules: dict) -> Iterator[str]:
    """`annotation` of each row's problem, and a newline: what a rule or a file repeats is
    escaped once."""
    commands: dict[tuple[str, str], tuple[str, str]] = {}
    current, file_property = None, ""
    for row in rows:
        code, severity = row[CODE], row[SEVERITY]
        command = commands.get((code, severity))
        if command is None:
            rule = rules[code]
            command = commands[code, severity] = (
                f"::{COMMAND[Severity(severity)]} file=",
                f",title={escape_property(f'{code} {rule.name}')}::",
                escape_data(f"\nfix: {rule.remediation}") + "\n")
        if row[FILE] != current:
            current, file_property = row[FILE], escape_property(row[FILE])
        start, title, fix = command
        message = row[MESSAGE]
        about = subject(row)
        if about:
            message += f" ({about})"
        yield (f"{start}{file_property},line={max(row[LINE], 1)},col={max(row[COLUMN], 1)}{title}"
               f"{escape_data(message)}{fix}")


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
