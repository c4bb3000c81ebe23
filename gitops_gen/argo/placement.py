"""Where a finding on a deployed object is reported: the repository line that made it.

A manifest deployed as it is keeps its own position. A rendered object's finding goes to the
values-file line that set the value when it can be traced (Helm values layers, Kustomize
`images:`/`replicas:`/patches), else to the template or the file the object comes from, else to
the Application's source; the message names the Application and what rendered the object.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any

from gitops_gen.lint import yamlparse
from gitops_gen.lint.k8s import CLUSTER_SCOPED_KINDS
from gitops_gen.lint.model import Path, Problem
from gitops_gen.lint.sources import read_file


@dataclass(slots=True)
class Placement:
    """The Application context of a linted source, and how its findings are relocated."""

    app: str
    group: str
    """The cluster the Application deploys to, as (root Application, destination): cross-resource
    rules compare objects of one cluster only."""
    namespace: str | None
    kind: str
    """'file': a repository manifest (exact positions); 'helm' or 'kustomize': a rendered object."""
    label: str
    origin: str | None = None
    """The repository file the object comes from (template, base manifest), as reported."""
    layers: list[Any] = field(default_factory=list)
    """Values layers (trace.ValueSource), lowest precedence first."""
    fallback: tuple[str, int, int] = ("", 1, 1)
    """The Application's source (file, line, column): where a finding goes when nothing better."""
    cluster_kinds: frozenset[str] = frozenset()
    root: str = "."
    k8s_version: str | None = None
    """The Kubernetes version of the destination cluster when it is not the run's."""

    def default_namespace(self, kind: str) -> str | None:
        """Argo CD puts a namespaced object without a namespace in the destination namespace."""
        if kind in CLUSTER_SCOPED_KINDS or kind in self.cluster_kinds:
            return None
        return self.namespace

    def relocate(self, problem: Problem, obj: dict | None, path: Path) -> Problem:
        if self.kind == "file":
            return replace(problem, application=self.app)
        kind = problem.resource.kind if problem.resource is not None else None
        file, line, column = self._locate(obj, path, kind)
        return replace(problem, file=file, line=line, column=column, application=self.app,
                       rendered=self.label)

    def _locate(self, obj: dict | None, path: Path, kind: str | None) -> tuple[str, int, int]:
        if obj is not None and self.layers:
            from gitops_gen.argo.trace import trace

            origin = trace(obj, path, self.layers)
            if origin is not None:
                return self.display(origin.file), origin.line, origin.column
        if self.origin:
            found = self._in_origin(obj, path, kind)
            if found is not None:
                return found
        file, line, column = self.fallback
        return self.display(file), line, column

    def _in_origin(self, obj: dict | None, path: Path,
                   resource_kind: str | None) -> tuple[str, int, int] | None:
        absolute = os.path.join(self.root, self.origin)
        try:
            text = read_file(absolute)
        except (OSError, UnicodeDecodeError):
            return None
        display = self.display(self.origin)
        if self.kind == "helm":
            from gitops_gen.argo.template_lines import template_line

            position = template_line(text, path)
            return (display, *position) if position else (display, 1, 1)
        parsed = yamlparse.parse(text)
        kind = (obj or {}).get("kind") or (resource_kind or "")
        for number, document in enumerate(parsed.documents):
            if isinstance(document, dict) and document.get("kind") == kind:
                return (display, *parsed.locate(number, path))
        return display, 1, 1

    def display(self, file: str) -> str:
        """A repository-relative path as the report shows files: relative to the working folder."""
        if os.path.isabs(file):
            return file
        return os.path.relpath(os.path.join(self.root, file))
