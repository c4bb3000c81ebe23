"""Helpers for rules over Argo CD objects: the Application spec of an Application or of an
ApplicationSet's template, its sources with their paths, and templated values."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

from gitops_gen.lint import yamlparse
from gitops_gen.lint.k8s import get, mapping, sequence
from gitops_gen.lint.model import Path

API_GROUP = "argoproj.io"
APPLICATION_KINDS = ("Application", "ApplicationSet")
_SPEC_PATHS: dict[str, Path] = {"Application": ("spec",),
                                "ApplicationSet": ("spec", "template", "spec")}


def is_argo(obj: dict) -> bool:
    """Whether the object's apiVersion is in Argo CD's group (`argoproj.io/...`)."""
    api_version = obj.get("apiVersion")
    return isinstance(api_version, str) and api_version.split("/", 1)[0] == API_GROUP


def is_templated(value: Any) -> bool:
    """A value holding an ApplicationSet template expression (`{{ ... }}`)."""
    return isinstance(value, str) and "{{" in value


@dataclass(frozen=True, slots=True)
class AppSpec:
    """The Application spec of an Application, or the template spec of an ApplicationSet."""

    path: Path
    data: dict
    kind: str

    @property
    def in_template(self) -> bool:
        """In an ApplicationSet template, where `{{ }}` values are generator parameters."""
        return self.kind == "ApplicationSet"

    @property
    def label(self) -> str:
        """How messages name it: `Application` or `ApplicationSet template`."""
        return "ApplicationSet template" if self.in_template else "Application"


def application_spec(obj: dict) -> AppSpec | None:
    """The Application spec of an Argo CD Application or ApplicationSet, or None."""
    kind = obj.get("kind")
    path = _SPEC_PATHS.get(kind)  # type: ignore[arg-type]
    if path is None or not is_argo(obj):
        return None
    spec = get(obj, path)
    return AppSpec(path, spec, kind) if isinstance(spec, dict) else None


@dataclass(frozen=True, slots=True)
class AppSource:
    """One source of an Application spec (`source`, or an item of `sources`) with its path."""

    path: Path
    data: dict

    def at(self, *parts: str | int) -> Path:
        return self.path + parts


def sources(spec: AppSpec) -> Iterator[AppSource]:
    """`spec.source`, then each mapping of `spec.sources`."""
    single = spec.data.get("source")
    if isinstance(single, dict):
        yield AppSource(spec.path + ("source",), single)
    for index, item in enumerate(sequence(spec.data.get("sources"))):
        if isinstance(item, dict):
            yield AppSource(spec.path + ("sources", index), item)


_ACTION_LINE = re.compile(r"^\s*\{\{.*\}\}\s*$")
_ACTION = re.compile(r"\{\{.*?\}\}")


def template_patch_sets_project(obj: dict) -> bool:
    """Whether an ApplicationSet's `templatePatch` sets `spec.project`.

    The patch is a Go template that renders to YAML: lines that hold only template actions
    (`{{- if ... }}`, `{{- end }}`) are dropped and other expressions read as a plain value
    before the YAML is read. A patch that is still not YAML counts when it names `project`.
    """
    patch = get(obj, ("spec", "templatePatch"))
    if not isinstance(patch, str):
        return False
    lines = [line for line in patch.splitlines() if not _ACTION_LINE.match(line)]
    parsed = yamlparse.parse(_ACTION.sub("x", "\n".join(lines)))
    if parsed.problems or len(parsed.documents) != 1:
        return re.search(r"\bproject\b", patch) is not None
    return "project" in mapping(mapping(parsed.documents[0]).get("spec"))
