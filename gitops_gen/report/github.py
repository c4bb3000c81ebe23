"""GitHub Actions workflow commands: one annotation per finding, then the plain summary.

    ::error file=deploy/app.yaml,line=12,col=7,title=K8S209 image-unpinned::container ...

Escaping follows GitHub's runner (`ActionCommand`): in data `%`, CR and LF are encoded; in
properties `:` and `,` are encoded as well.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Iterable, TextIO

from gitops_gen.lint.model import Problem, Severity
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
    for problem in problems:
        out.write(annotation(problem) + "\n")
    lines = skipped_files_lines(result)
    if run.selection is not None:
        lines.append(run.selection.describe())
    lines.append(summary_line(result) if result.summary().total else passed_line(result))
    out.write("\n".join(lines) + "\n")


def annotation(problem: Problem) -> str:
    """The workflow command for one finding; the message ends with the resource and the fix."""
    properties = {
        "file": problem.file,
        "line": str(max(problem.line, 1)),
        "col": str(max(problem.column, 1)),
        "title": f"{problem.code} {problem.name}",
    }
    message = problem.message
    if problem.subject:
        message += f" ({problem.subject})"
    message += f"\nfix: {problem.remediation}"
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{COMMAND[problem.severity]} {rendered}::{escape_data(message)}"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
