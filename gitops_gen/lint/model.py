"""The data the lint engine passes around: severities, findings, resources, results."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

Path = tuple[str | int, ...]


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.INFO: 1, Severity.WARNING: 2, Severity.ERROR: 3}


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class ResourceId:
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


@dataclass(slots=True, eq=False)
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
    positions: dict[tuple[Path, bool], tuple[int, int]] = field(default_factory=dict)
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


@dataclass(frozen=True, slots=True)
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


@dataclass(slots=True)
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

    def count(self, severity: Severity) -> int:
        return sum(1 for p in self.problems if p.severity is severity)

    def worst(self) -> Severity | None:
        return max((p.severity for p in self.problems), key=lambda s: s.rank, default=None)


def format_path(path: Path) -> str:
    """`("spec", "containers", 0, "image")` -> `spec.containers[0].image`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text
