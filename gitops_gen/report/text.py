"""The human report: findings grouped by file, each with its fix, then a one-line summary.

    deploy/app.yaml
      12:7   error    K8S209 image-unpinned          container 'app' uses ...  (Deployment prod/app)
             fix: Pin the image to an immutable tag or digest.

    2 files, 5 resources: 1 error, 0 warnings, 0 info
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Iterable, Iterator, TextIO

from gitops_gen.lint.model import LintResult, Problem, ProblemRow, Severity
from gitops_gen.report.rows import subject, write_texts

if TYPE_CHECKING:
    from gitops_gen.api import LintRun

RESET = "\033[0m"
BOLD = "\033[1m"
GREEN = "\033[32m"
SEVERITY_COLOR = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m",
                  Severity.INFO: "\033[34m"}
MAX_SKIPPED_LISTED = 10


def report(run: "LintRun", *, color: bool = False) -> str:
    out = io.StringIO()
    write(run, run.result.problems, out, color=color)
    return out.getvalue()


def write(run: "LintRun", problems: Iterable[Problem], out: TextIO, *,
          color: bool = False) -> None:
    """Write the report of `run` with `problems` (in order, read once) to `out`."""
    result = run.result
    stats = result.summary()
    paint = _painter(color)
    if stats.total:
        write_texts(out, problems, lambda rows: _lines(rows, run.rules, stats, paint), "",
                    first=_after_first_char)  # no blank line before the first file
        out.write("\n")
    lines = skipped_files_lines(result)
    if run.selection is not None:
        lines.append(run.selection.describe())
    lines.append(summary_line(result) if stats.total else paint(GREEN, passed_line(result)))
    out.write("\n".join(lines) + "\n")


def _lines(rows: Iterable[ProblemRow], rules: dict, stats, paint) -> Iterator[str]:
    """A blank line and a file's name before its first finding (a file's findings are
    adjacent: the stream is sorted), then each finding's two lines: position, severity, rule,
    message and resource; then the fix. What a rule repeats is formatted once, and what a
    resource does per file."""
    position, width, rule_width = stats.position_width, stats.severity_width, stats.rule_width
    indent = " " * (2 + position + 2)
    rule_texts: dict[str, tuple[str, str, str]] = {}  # code: severity, text around the message
    subjects: dict[tuple, str] = {}
    current = None
    for row in rows:
        (file, line, column, code, message, severity, _, kind, namespace, name, _,
         application, rendered) = row  # the row's layout (model.ProblemRow), in one step
        texts = rule_texts.get(code)
        if texts is None or texts[0] != severity:
            rule = rules[code]
            level = paint(SEVERITY_COLOR[Severity(severity)], severity.ljust(width))
            name = f"{code} {rule.name}".ljust(rule_width)
            texts = rule_texts[code] = (severity, f"  {level}  {name}  ",
                                        f"\n{indent}fix: {rule.remediation}\n")
        if file != current:
            yield f"\n{paint(BOLD, file)}\n"
            current = file
            subjects.clear()
        if "\n" in message:
            message = message.replace("\r\n", "\n").replace("\n", "\n" + indent)
        about = (kind, namespace, name, application, rendered)
        subject_text = subjects.get(about)
        if subject_text is None:
            subject_text = subjects[about] = _subject_text(row)
        yield f"  {f'{line}:{column}'.ljust(position)}{texts[1]}{message}{subject_text}{texts[2]}"


def _subject_text(row: ProblemRow) -> str:
    about = subject(row)
    return f"  ({about})" if about else ""


def _after_first_char(text: str) -> str:
    return text[1:]


def summary_line(result: LintResult) -> str:
    """`2 files, 5 resources: 1 error, 2 warnings, 0 info, 1 suppressed, ...`."""
    counts = [plural(result.count(Severity.ERROR), "error"),
              plural(result.count(Severity.WARNING), "warning"),
              f"{result.count(Severity.INFO)} info"]
    return f"{_scope(result)}: {', '.join(counts + _extras(result))}"


def passed_line(result: LintResult) -> str:
    """What a clean run says: that every check passed, and on how much."""
    if result.files == 0 and result.resources == 0:
        text = "No files were linted."
    else:
        text = f"All checks passed: {_scope(result)}."
    extras = _extras(result)
    if extras:
        text = text[:-1] + f" ({', '.join(extras)})."
    return text


def skipped_files_lines(result: LintResult) -> list[str]:
    """`Skipped N files:` then one `  name: reason` line each (at most MAX_SKIPPED_LISTED)."""
    skipped = result.skipped_files
    if not skipped:
        return []
    lines = [f"Skipped {plural(len(skipped), 'file')}:"]
    lines.extend(f"  {name}: {reason}" for name, reason in skipped[:MAX_SKIPPED_LISTED])
    if len(skipped) > MAX_SKIPPED_LISTED:
        lines.append(f"  ... and {len(skipped) - MAX_SKIPPED_LISTED} more")
    return lines


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _scope(result: LintResult) -> str:
    scope = f"{plural(result.files, 'file')}, {plural(result.resources, 'resource')}"
    if result.applications:
        scope += f" from {plural(result.applications, 'Argo CD Application')}"
    if result.k8s_version:
        scope += f" (Kubernetes {result.k8s_version}"
        if result.target_version and result.target_version != result.k8s_version:
            scope += f", APIs checked for {result.target_version}"
        scope += ")"
    return scope


def _extras(result: LintResult) -> list[str]:
    extras = []
    if result.suppressed:
        extras.append(f"{result.suppressed} suppressed")
    if result.skipped_documents:
        extras.append(f"{plural(result.skipped_documents, 'non-Kubernetes document')} skipped")
    return extras


def _painter(color: bool):
    if not color:
        return lambda code, text: text
    return lambda code, text: f"{code}{text}{RESET}"
