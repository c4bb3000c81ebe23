"""The per-hop upgrade report: what breaks at each minor version on the way to the target.

The repository is linted once (files and what its Argo CD Applications render) with the API
rules at the final target; every hop is then checked against that one parse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from gitops_gen import versions
from gitops_gen.errors import UserError
from gitops_gen.lint.field_changes import GUIDANCE, change_of

API_RULES = ("API001", "API002")
CHANGE_RULES = ("API003", "API004")
"""Field and behaviour changes (gitops_gen.lint.field_changes): API003 breaks, API004 warns."""
KUSTOMIZE_RULE = "KUS001"
ROTATION_RULES = ("K8S107", "K8S109", "K8S115")
"""What makes the node rotation of an upgrade hurt: single replicas, PDBs that block drains,
Karpenter NodePools whose disruption budget blocks node replacement."""
COVERAGE_RULES = ("GG001", "GG003", "GG005", "ARGO014", "ARGO015", "ARGO016")
"""What the check could not see: unreadable files, charts not rendered."""
LINT_RULES = API_RULES + CHANGE_RULES + (KUSTOMIZE_RULE,) + ROTATION_RULES + COVERAGE_RULES
FIRST_HOP_RULES = (KUSTOMIZE_RULE,) + ROTATION_RULES + COVERAGE_RULES
ADDON_CODE = "ADDON"
CALENDAR_CODE = "EKS"
GUIDANCE_CODE = "CHANGE"
ERROR, WARNING, INFO = "error", "warning", "info"
_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}


@dataclass(frozen=True)
class UpgradeFinding:
    code: str
    severity: str
    message: str
    file: str = ""
    line: int = 0
    column: int = 0
    subject: str = ""
    """What the finding is about: `HorizontalPodAutoscaler shop/web`, a chart, a version."""

    @property
    def where(self) -> str:
        if not self.file:
            return ""
        return f"{self.file}:{self.line}:{self.column}" if self.line else self.file

    def as_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity, "message": self.message,
                "file": self.file or None, "line": self.line or None,
                "column": self.column or None, "subject": self.subject or None}


@dataclass(frozen=True)
class Support:
    """A version's EKS calendar: its status today and when its support ends."""

    version: str
    status: str | None
    """versions.STANDARD, EXTENDED or ENDED; None when the calendar has no dates for it."""
    end_of_standard_support: str | None
    end_of_extended_support: str | None

    def as_dict(self) -> dict:
        return {"version": self.version, "status": self.status,
                "end_of_standard_support": self.end_of_standard_support,
                "end_of_extended_support": self.end_of_extended_support}


@dataclass
class Hop:
    source: str
    target: str
    support: Support
    findings: list[UpgradeFinding] = field(default_factory=list)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


@dataclass
class UpgradeReport:
    from_version: str
    to_version: str
    current: Support
    hops: list[Hop]
    resources: int = 0
    files: int = 0
    applications: int = 0
    environments: tuple[str, ...] = ()
    """The environments that start at `from_version` (none named when --from gives it)."""

    @property
    def exit_code(self) -> int:
        return int(any(hop.count(ERROR) for hop in self.hops))


def upgrade_path(from_version: str, to_version: str,
                 source: str = "--from") -> tuple[str, str]:
    """(from, to) as `X.Y`, both in the EKS calendar, `from` below `to`; `source` says where
    `from` was read (`--from`, or `environment prod's version`)."""
    known = [row["version"] for row in versions.eks_versions()]
    normal = []
    for flag, value in ((source, from_version), ("--to", to_version)):
        try:
            major, minor = versions.parse_minor(value)
        except ValueError:
            raise UserError(f"invalid {flag} {value!r}",
                            hint="use a Kubernetes minor version such as 1.31") from None
        if f"{major}.{minor}" not in known:
            raise UserError(f"{flag} {value}: not in the bundled EKS calendar",
                            hint=f"use one of {known[0]} to {known[-1]}")
        normal.append(f"{major}.{minor}")
    if versions.parse_minor(normal[0]) >= versions.parse_minor(normal[1]):
        raise UserError(f"--to {normal[1]} is not above {source} {normal[0]}",
                        hint="upgrade-check goes forward: give a newer --to")
    return normal[0], normal[1]


def hop_versions(from_version: str, to_version: str) -> list[tuple[str, str]]:
    """(source, target) of each one-minor step from `from_version` to `to_version`."""
    major, start = versions.parse_minor(from_version)
    _, end = versions.parse_minor(to_version)
    return [(f"{major}.{minor}", f"{major}.{minor + 1}") for minor in range(start, end)]


def support_of(version: str, today: date) -> Support:
    found = versions.eks_support(version, today)
    if found is None:
        return Support(version, None, None, None)
    status, row = found
    return Support(version, status, row["end_of_standard_support"],
                   row["end_of_extended_support"])


def build_report(from_version: str, to_version: str, problems: list, charts: list,
                 api_rules: dict, today: date) -> UpgradeReport:
    """The report of every hop from the lint problems of LINT_RULES at the final target and
    the remote charts of the repository's Applications."""
    hops = [Hop(source, target, support_of(target, today))
            for source, target in hop_versions(from_version, to_version)]
    current = support_of(from_version, today)
    if hops:
        hops[0].findings.extend(_calendar_findings(current))
        hops[0].findings.extend(_problem_finding(p, WARNING, p.message) for p in problems
                                if p.code in FIRST_HOP_RULES)
    api_problems = [p for p in problems if p.code in API_RULES and p.resource is not None]
    change_problems = [(p, change_of(p.message)) for p in problems if p.code in CHANGE_RULES]
    for index, hop in enumerate(hops):
        first = index == 0
        hop.findings.extend(_api_findings(api_problems, hop, first, api_rules))
        hop.findings.extend(_change_findings(change_problems, hop, first))
        hop.findings.extend(_guidance(hop))
        hop.findings.extend(_addon_findings(charts, hop))
        hop.findings.sort(key=lambda f: (_ORDER[f.severity], f.file, f.line, f.column,
                                         f.code, f.message))
    return UpgradeReport(from_version, to_version, current, hops)


def _lands_in(version: str | None, hop: Hop, first: bool) -> bool:
    """Whether a change of `version` belongs to the hop: the first hop takes every change in
    effect at its target (and those tied to no version), a later hop the changes at its target."""
    if version is None:
        return first
    landed = versions.parse_minor(version)
    target = versions.parse_minor(hop.target)
    return landed <= target if first else landed == target


def _change_findings(problems: list, hop: Hop, first: bool):
    """The objects that use a field or behaviour change landing in the hop."""
    changes = versions.field_changes()
    for problem, change in problems:
        if change is not None and _lands_in(changes[change]["version"], hop, first):
            yield _problem_finding(problem, ERROR if problem.code == "API003" else WARNING,
                                   problem.message)


def _guidance(hop: Hop):
    """What of a change no manifest shows: once, at the hop where the change lands (not for a
    change that landed before the upgrade starts)."""
    changes = versions.field_changes()
    for change, text in GUIDANCE.items():
        row = changes[change]
        if row["version"] and _lands_in(row["version"], hop, first=False):
            yield UpgradeFinding(GUIDANCE_CODE, INFO, f"{text} [{change}]",
                                 subject=f"Kubernetes {row['version']}: {row['applies_to']}")


def _calendar_findings(current: Support) -> list[UpgradeFinding]:
    if current.status == versions.EXTENDED:
        return [UpgradeFinding(
            CALENDAR_CODE, WARNING,
            f"Kubernetes {current.version} is in EKS extended support, which costs more per "
            f"cluster hour: standard support ended on {current.end_of_standard_support}, "
            f"extended support ends on {current.end_of_extended_support}",
            subject=f"Kubernetes {current.version}")]
    if current.status == versions.ENDED:
        return [UpgradeFinding(
            CALENDAR_CODE, WARNING,
            f"Kubernetes {current.version} is past the end of EKS extended support on "
            f"{current.end_of_extended_support}: EKS upgrades such clusters on its own",
            subject=f"Kubernetes {current.version}")]
    return []


def _api_findings(problems: list, hop: Hop, first: bool, api_rules: dict):
    """The API findings of a hop: on the first hop every deprecated or removed API at its
    target; on later hops the APIs whose status changes at the hop."""
    seen: set[tuple] = set()
    for problem in problems:
        row = versions.lifecycle_of(problem.resource.api_version, problem.resource.kind)
        if row is None:
            continue
        status = versions.status_at(row, versions.parse_minor(hop.target))
        before = versions.status_at(row, versions.parse_minor(hop.source))
        if status is None or (not first and status == before):
            continue
        key = (problem.file, problem.line, problem.column)
        if key in seen:
            continue
        seen.add(key)
        obj = {"apiVersion": problem.resource.api_version, "kind": problem.resource.kind}
        for code in API_RULES:
            for finding in api_rules[code](obj, {"target-version": hop.target}):
                severity = ERROR if code == "API001" else WARNING
                yield _problem_finding(problem, severity, finding.message, code)


def _problem_finding(problem, severity: str, message: str, code: str | None = None):
    return UpgradeFinding(code or problem.code, severity, message, problem.file, problem.line,
                          problem.column, problem.subject)


def _addon_findings(charts: list, hop: Hop):
    """Remote add-on charts whose release does not support the hop's target."""
    target = versions.parse_minor(hop.target)
    for ref in charts:
        placed = versions.addon_release(ref.name, ref.version)
        if placed is None:
            continue
        app_version, row, semantics = placed
        if _supports(row, target):
            continue
        release = ref.version if app_version.lstrip("v") == ref.version.lstrip("v") else (
            f"{ref.version} (app {app_version})")
        span = _span(row)
        severity = WARNING if semantics == "tested" or row["unverified"] else ERROR
        verb = "is not tested on" if semantics == "tested" else "does not support"
        message = f"{ref.name} {release} {verb} Kubernetes {hop.target} (it supports {span})"
        first = first_supporting(ref.name, target)
        message += f"; first release that does: {first}" if first else (
            "; no release in the bundled table supports it")
        yield UpgradeFinding(ADDON_CODE, severity, message, subject=f"chart {ref.chart}")


def _supports(row: dict, target: tuple[int, int]) -> bool:
    low = versions.parse_minor(row["k8s_min"]) if row["k8s_min"] else None
    high = versions.parse_minor(row["k8s_max"]) if row["k8s_max"] else None
    return (low is None or target >= low) and (high is None or target <= high)


def _span(row: dict) -> str:
    if row["k8s_min"] and row["k8s_max"]:
        return (row["k8s_min"] if row["k8s_min"] == row["k8s_max"]
                else f"{row['k8s_min']} to {row['k8s_max']}")
    return f"{row['k8s_min']} or later" if row["k8s_min"] else f"up to {row['k8s_max']}"


def first_supporting(addon: str, target: tuple[int, int]) -> str | None:
    """The first chart version of an add-on that supports `target` (`1.15.0`, or `app v1.15.0`
    when the table knows only the app version), or None."""
    entry = versions.addon_entry(addon)
    if entry is None:
        return None
    for row in entry["releases"]:
        if not _supports(row, target):
            continue
        if entry["keyed_by"] == "chart" or entry["chart_is_app_version"]:
            return row["from"]
        charts = [chart for chart, app in entry["chart_app_versions"].items()
                  if versions.release_in(app, row)]
        return min(charts, key=versions.release_key) if charts else f"app {row['from']}"
    return None
