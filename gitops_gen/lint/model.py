"""The data the lint engine passes around: severities, findings, resources, results."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import Any

Path = tuple[str | int, ...]

# Finding, ResourceId and Problem are made once per finding (175,949 on the 50k corpus): they are
# hashable but not frozen, because a frozen dataclass sets each field through
# object.__setattr__ and is made 6x slower (4.5 us against 0.7 us for a Problem). Never mutate
# one; use dataclasses.replace. The same holds for every dataclass a lint builds: none is frozen,
# and each generates only the methods it is used with (eq and repr where instances are compared,
# as tests do), since generating a method costs about 0.1 ms of every run's start-up.


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.INFO: 1, Severity.WARNING: 2, Severity.ERROR: 3}
SEVERITIES = {severity.value: severity for severity in Severity}
SEVERITY_VALUES = {severity: severity.value for severity in Severity}
"""Severity by value and back (dict lookups cost much less than the enum's call and `value`)."""


@dataclass(slots=True, unsafe_hash=True)
class Finding:
    """What a rule yields: a message and where, relative to the resource it inspects.

    `path` walks the object from its root (``("spec", "replicas")``); the engine turns it into
    a line and column. `key=True` points at the mapping key instead of its value. Rules that see
    the whole set (cross-resource rules) name the `resource` the finding belongs to.
    """

    message: str
    path: Path = ()
    key: bool = False
    resource: "Resource | None" = None


@dataclass(slots=True, unsafe_hash=True)
class ResourceId:
    """Which object: its apiVersion, kind, namespace and name (None when not given)."""

    api_version: str
    kind: str
    namespace: str | None
    name: str | None

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name or '<unnamed>'}"

    def as_dict(self) -> dict[str, Any]:
        return {"apiVersion": self.api_version, "kind": self.kind,
                "namespace": self.namespace, "name": self.name}


@dataclass(slots=True, eq=False, repr=False)
class Resource:
    """One Kubernetes object found in a file (a document, or an item of a `kind: List`)."""

    id: ResourceId
    file: str
    document: int
    base: Path
    body: dict[str, Any]
    labels: dict[str, str] = field(default_factory=dict)
    ignores: dict[str, str] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    positions: Any = field(default_factory=dict)
    """(path, key) -> (line, column) of the paths cross-resource rules point at (`get`, `in`):
    an `index.Positions` once indexed."""
    placement: Any = None
    """The Application that deploys this object (argo.placement.Placement), when linting renders."""

    @property
    def kind(self) -> str:
        return self.id.kind

    @property
    def namespace(self) -> str | None:
        return self.id.namespace

    @property
    def name(self) -> str | None:
        return self.id.name


@dataclass(slots=True, unsafe_hash=True)
class Problem:
    """A finding stamped by the engine: rule identity, severity and an exact position."""

    code: str
    name: str
    severity: Severity
    message: str
    remediation: str
    file: str
    line: int
    column: int
    resource: ResourceId | None = None
    path: str = ""
    application: str | None = None
    """The Argo CD Application(s) that deploy the object, when lint renders Applications."""
    rendered: str | None = None
    """What rendered the object (`chart checkout (templates/deployment.yaml)`), if rendered."""

    @property
    def sort_key(self) -> tuple:
        return (self.file, self.line, self.column, self.code, self.message)

    @property
    def subject(self) -> str:
        """What the finding is about: `Deployment orders/web, Application prod-web (chart web
        (templates/deployment.yaml))`; empty for a file-level finding."""
        parts = [str(self.resource)] if self.resource is not None else []
        if self.application:
            parts.append(f"Application {self.application}"
                         + (f" ({self.rendered})" if self.rendered else ""))
        return ", ".join(parts)


ProblemRow = tuple
"""A Problem as plain data, for sending between processes and spooling to disk: (file, line,
column, code, message, severity, apiVersion, kind, namespace, name, path, application,
rendered); its first five items are its sort key."""
(FILE, LINE, COLUMN, CODE, MESSAGE, SEVERITY, API_VERSION, KIND, NAMESPACE, NAME, PATH,
 APPLICATION, RENDERED) = range(13)
"""Where a row holds each field."""


def problem_row(problem: Problem) -> ProblemRow:
    rid = problem.resource
    return (problem.file, problem.line, problem.column, problem.code, problem.message,
            problem.severity.value, *((rid.api_version, rid.kind, rid.namespace, rid.name)
                                      if rid is not None else (None, None, None, None)),
            problem.path, problem.application, problem.rendered)


def row_problem(row: ProblemRow, rules: dict) -> Problem:
    """The Problem a row stands for; name and remediation come from its rule in `rules`."""
    (file, line, column, code, message, severity, api_version, kind, namespace, name, path,
     application, rendered) = row
    rule = rules[code]
    return Problem(code, rule.name, SEVERITIES[severity], message, rule.remediation, file, line,
                   column, None if kind is None else ResourceId(api_version, kind, namespace,
                                                                name),
                   path, application, rendered)


@dataclass(slots=True, eq=False, repr=False)
class ProblemStats:
    """What reporters need before reading the problems one by one: counts per severity, the
    files with findings, and the widest position, severity and rule (for aligned columns)."""

    counts: dict[Severity, int] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)
    position_width: int = 0
    severity_width: int = 0
    rule_width: int = 0

    def update(self, other: "ProblemStats") -> None:
        for severity, count in other.counts.items():
            self.counts[severity] = self.counts.get(severity, 0) + count
        self.files |= other.files
        self.position_width = max(self.position_width, other.position_width)
        self.severity_width = max(self.severity_width, other.severity_width)
        self.rule_width = max(self.rule_width, other.rule_width)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @classmethod
    def of(cls, problems) -> "ProblemStats":
        stats = cls()
        counts, files = stats.counts, stats.files
        rules: set[tuple[str, str]] = set()
        position_width = 0
        for problem in problems:
            severity = problem.severity
            counts[severity] = counts.get(severity, 0) + 1
            files.add(problem.file)
            rules.add((problem.code, problem.name))
            width = len(str(problem.line)) + 1 + len(str(problem.column))
            if width > position_width:
                position_width = width
        stats.position_width = position_width
        stats.severity_width = max((len(SEVERITY_VALUES[s]) for s in counts), default=0)
        stats.rule_width = max((len(code) + 1 + len(name) for code, name in rules), default=0)
        return stats

    @classmethod
    def of_rows(cls, rows: list[ProblemRow], rules: dict) -> "ProblemStats":
        """The stats of rows, counted a column at a time; rule names come from `rules` (by
        code)."""
        stats = cls()
        if not rows:
            return stats
        severities = Counter(map(itemgetter(SEVERITY), rows))
        stats.counts = {SEVERITIES[severity]: count for severity, count in severities.items()}
        stats.files = set(map(itemgetter(FILE), rows))
        stats.position_width = _position_width(list(map(itemgetter(LINE), rows)),
                                               list(map(itemgetter(COLUMN), rows)))
        stats.severity_width = max(map(len, severities))
        stats.rule_width = max(len(code) + 1 + len(rules[code].name)
                               for code in set(map(itemgetter(CODE), rows)))
        return stats


def _position_width(lines: list[int], columns: list[int]) -> int:
    """The width of the widest `line:column`: that of the largest line and the largest column
    when one row has as many digits in both (most runs: no row-by-row string), else counted."""
    line_digits, column_digits = len(str(max(lines))), len(str(max(columns)))
    low_line, low_column = 10 ** (line_digits - 1), 10 ** (column_digits - 1)
    if any(line >= low_line and column >= low_column for line, column in zip(lines, columns)):
        return line_digits + 1 + column_digits
    return 1 + max(len(str(line)) + len(str(column)) for line, column in zip(lines, columns))


@dataclass(slots=True, eq=False, repr=False)
class LintResult:
    """Everything a reporter needs: the problems and what was looked at."""

    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    linted_files: list[str] = field(default_factory=list)
    resources: int = 0
    skipped_documents: int = 0
    skipped_files: list[tuple[str, str]] = field(default_factory=list)
    suppressed: int = 0
    k8s_version: str | None = None
    target_version: str | None = None
    applications: int = 0
    """Argo CD Applications rendered (0: none found, or rendering off)."""
    stats: ProblemStats | None = None
    """Set when the problems are streamed (`problems` then stays empty); else computed."""

    def summary(self) -> ProblemStats:
        """The stats of every problem of the run, streamed or listed."""
        return self.stats if self.stats is not None else ProblemStats.of(self.problems)

    def count(self, severity: Severity) -> int:
        return self.summary().counts.get(severity, 0)

    def worst(self) -> Severity | None:
        return max(self.summary().counts, key=lambda s: s.rank, default=None)


@lru_cache(maxsize=4096)
def format_path(path: Path) -> str:
    """`("spec", "containers", 0, "image")` -> `spec.containers[0].image` (remembered: findings
    point at the same few paths of many objects)."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text
