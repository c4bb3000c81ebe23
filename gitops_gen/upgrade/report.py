"""Reporters of the upgrade check: pure functions from an UpgradeReport to text."""

from __future__ import annotations

import json

from gitops_gen import versions
from gitops_gen.upgrade.check import ERROR, INFO, WARNING, Hop, Support, UpgradeReport


def summary(report: UpgradeReport) -> str:
    """One line: `3 errors and 5 warnings in 12 hops (1.24 -> 1.36)`."""
    errors = sum(hop.count(ERROR) for hop in report.hops)
    warnings = sum(hop.count(WARNING) for hop in report.hops)
    hops = len(report.hops)
    line = (f"{_plural(errors, 'error')} and {_plural(warnings, 'warning')} in "
            f"{_plural(hops, 'hop')} ({report.from_version} -> {report.to_version})")
    blocked = next((hop for hop in report.hops if hop.count(ERROR)), None)
    if blocked is not None:
        line += f"; first blocked hop: {blocked.source} -> {blocked.target}"
    return line


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def calendar_line(support: Support) -> str:
    """`EKS 1.33: standard support until 2026-07-29, extended until 2027-07-29 (standard)`."""
    if support.status is None:
        return f"EKS {support.version}: no support dates in the bundled calendar"
    state = {versions.STANDARD: "in standard support", versions.EXTENDED:
             "in extended support", versions.ENDED: "support ended"}[support.status]
    return (f"EKS {support.version}: standard support until {support.end_of_standard_support}, "
            f"extended until {support.end_of_extended_support} ({state})")


def text(report: UpgradeReport) -> str:
    lines = [f"upgrade check {report.from_version} -> {report.to_version}{_of(report)}: "
             f"{_plural(report.files, 'file')}, {_plural(report.resources, 'resource')}"
             + (f", {_plural(report.applications, 'Application')} rendered"
                if report.applications else ""),
             f"current: {calendar_line(report.current)}", ""]
    for hop in report.hops:
        lines.append(f"hop {hop.source} -> {hop.target}  [{calendar_line(hop.support)}]")
        for finding in hop.findings:
            where = f"  {finding.where}" if finding.where else ""
            subject = f"  ({finding.subject})" if finding.subject else ""
            lines.append(f"  {finding.severity:<8} {finding.code:<7}{where}{subject}")
            lines.append(f"           {finding.message}")
        if not hop.findings:
            lines.append("  nothing to change")
        lines.append("")
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def _of(report: UpgradeReport) -> str:
    """` (environments staging, prod)` when the report starts from environments' versions."""
    if not report.environments:
        return ""
    word = "environment" if len(report.environments) == 1 else "environments"
    return f" ({word} {', '.join(report.environments)})"


def json_report(report: UpgradeReport) -> str:
    return json.dumps(_report_dict(report), indent=2) + "\n"


def _report_dict(report: UpgradeReport) -> dict:
    return {
        "from": report.from_version, "to": report.to_version,
        "environments": list(report.environments),
        "current": report.current.as_dict(),
        "files": report.files, "resources": report.resources,
        "applications": report.applications,
        "hops": [_hop_dict(hop) for hop in report.hops],
        "summary": {"errors": sum(h.count(ERROR) for h in report.hops),
                    "warnings": sum(h.count(WARNING) for h in report.hops),
                    "exit_code": report.exit_code},
    }


def _hop_dict(hop: Hop) -> dict:
    return {"from": hop.source, "to": hop.target, "support": hop.support.as_dict(),
            "errors": hop.count(ERROR), "warnings": hop.count(WARNING),
            "findings": [f.as_dict() for f in hop.findings]}


def markdown(report: UpgradeReport) -> str:
    """For a pull-request comment or a CI job summary: a table of hops, then details."""
    mark = {ERROR: ":x:", WARNING: ":warning:", INFO: ":information_source:"}
    lines = [f"## Upgrade check {report.from_version} → {report.to_version}{_of(report)}", "",
             f"**{summary(report)}**", "", f"Current: {calendar_line(report.current)}", "",
             "| hop | errors | warnings | EKS standard support ends |", "|---|---|---|---|"]
    for hop in report.hops:
        lines.append(f"| {hop.source} → {hop.target} | {hop.count(ERROR)} | "
                     f"{hop.count(WARNING)} | {hop.support.end_of_standard_support or '—'} |")
    for hop in report.hops:
        if not hop.findings:
            continue
        lines += ["", f"### {hop.source} → {hop.target}", ""]
        for finding in hop.findings:
            where = f"`{finding.where}` " if finding.where else ""
            subject = f" ({_escape(finding.subject)})" if finding.subject else ""
            lines.append(f"- {mark[finding.severity]} **{finding.code}** {where}"
                         f"{_escape(finding.message)}{subject}")
    return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


REPORTERS = {"text": text, "json": json_report, "markdown": markdown}


def render(reports: list[UpgradeReport], output_format: str) -> str:
    """The reports one after the other; in JSON, a list when there are several."""
    if output_format == "json" and len(reports) > 1:
        return json.dumps([_report_dict(r) for r in reports], indent=2) + "\n"
    return "\n".join(REPORTERS[output_format](report) for report in reports)


def fix_text(files: list, target_version: str, dry_run: bool) -> str:
    """The report of `fix`: each file with its migrations and what is left by hand; with
    `dry_run`, the unified diffs first."""
    from gitops_gen.upgrade.fix import HELM, REFUSED

    lines: list[str] = []
    if dry_run:
        lines += [f.diff.rstrip("\n") for f in files if f.diff]
    for result in files:
        heading = {REFUSED: f" (left untouched: the result would not validate against "
                            f"Kubernetes {target_version})", HELM: " (left untouched)"}
        lines.append(f"{result.file}: {result.status}{heading.get(result.status, '')}")
        lines += [f"  {m.line}: {m.subject}: {m.change}" for m in result.migrations]
        lines += [f"  {problem}" for problem in result.problems]
    objects = sum(len(f.migrations) for f in files)
    changed = sum(1 for f in files if f.migrations)
    by_hand = sum(1 for f in files if f.problems)
    verb = "would fix" if dry_run else "fixed"
    lines.append(f"{verb} {_plural(objects, 'object')} in {_plural(changed, 'file')} for "
                 f"Kubernetes {target_version}; {_plural(by_hand, 'file')} left to change by hand")
    return "\n".join(lines) + "\n"
