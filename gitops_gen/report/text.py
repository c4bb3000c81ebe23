"""The human report: findings grouped by file, each with its fix, then a one-line summary.

    deploy/app.yaml
      12:7   error    K8S209 image-unpinned          container 'app' uses ...  (Deployment prod/app)
             fix: Pin the image to an immutable tag or digest.

    2 files, 5 resources: 1 error, 0 warnings, 0 info
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gitops_gen.lint.model import LintResult, Problem, Severity

if TYPE_CHECKING:
    from gitops_gen.api import LintRun

RESET = "\033[0m"
BOLD = "\033[1m"
GREEN = "\033[32m"
SEVERITY_COLOR = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m",
                  Severity.INFO: "\033[34m"}
MAX_SKIPPED_LISTED = 10


def report(run: "LintRun", *, color: bool = False) -> str:
    result = run.result
    paint = _painter(color)
    lines: list[str] = []
    if result.problems:
        lines.extend(_findings(result.problems, paint))
        lines.append("")
    lines.extend(skipped_files_lines(result))
    if run.selection is not None:
        lines.append(run.selection.describe())
    if result.problems:
        lines.append(summary_line(result))
    else:
        lines.append(paint(GREEN, passed_line(result)))
    return "\n".join(lines) + "\n"


def _findings(problems: list[Problem], paint) -> list[str]:
    position = max(len(f"{p.line}:{p.column}") for p in problems)
    severity = max(len(p.severity.value) for p in problems)
    rule = max(len(f"{p.code} {p.name}") for p in problems)
    indent = " " * (2 + position + 2)
    by_file: dict[str, list[Problem]] = {}
    for problem in problems:  # files in order of first appearance, findings in the order given
        by_file.setdefault(problem.file, []).append(problem)
    lines: list[str] = []
    for file, found in by_file.items():
        if lines:
            lines.append("")
        lines.append(paint(BOLD, file))
        lines.extend(_finding(p, paint, position, severity, rule, indent) for p in found)
    return lines


def _finding(problem: Problem, paint, position: int, severity: int, rule: int,
             indent: str) -> str:
    """Two lines: position, severity, rule, message and resource; then the fix."""
    where = f"{problem.line}:{problem.column}".ljust(position)
    level = paint(SEVERITY_COLOR[problem.severity], problem.severity.value.ljust(severity))
    code = f"{problem.code} {problem.name}".ljust(rule)
    message = problem.message.replace("\r\n", "\n").replace("\n", "\n" + indent)
    if problem.subject:
        message += f"  ({problem.subject})"
    return f"  {where}  {level}  {code}  {message}\n{indent}fix: {problem.remediation}"


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
