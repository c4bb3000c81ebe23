"""The Argo CD objects written in the linted files, found cheaply before anything is rendered."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gitops_gen.argo import ARGO_MARK
from gitops_gen.lint import yamlparse
from gitops_gen.lint.k8s import document_objects, mapping
from gitops_gen.lint.sources import Source, read_text

if TYPE_CHECKING:
    from gitops_gen.argo.apps import App


@dataclass(slots=True)
class Written:
    """The Argo CD objects written in the linted files (paths absolute until `build`)."""

    apps: list[App] = field(default_factory=list)
    appsets: list[tuple[dict, str, int]] = field(default_factory=list)
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    clusters: list[dict] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.apps or self.appsets)


def scan(sources: list[Source], stdin_text: str | None = None,
         mentioning: set[str] | None = None) -> Written:
    """Applications, ApplicationSets, AppProjects and cluster Secrets written in the files:
    only files that mention Argo CD are parsed (`mentioning`: the paths of those, when known)."""
    found = Written()
    for source in sources:
        if source.path is None or (mentioning is not None and source.path not in mentioning):
            continue
        text, _ = read_text(source, stdin_text)
        if not text or ARGO_MARK not in text:
            continue
        from gitops_gen.argo.apps import CLUSTER_SECRET_LABEL, app_from, is_argo_kind

        file = os.path.abspath(source.path)
        for number, data in enumerate(yamlparse.parse(text).documents):
            for base, obj in document_objects(data):
                if is_argo_kind(obj, "Application"):
                    found.apps.append(app_from(obj, file, number, base))
                elif is_argo_kind(obj, "ApplicationSet"):
                    found.appsets.append((obj, file, number))
                elif is_argo_kind(obj, "AppProject"):
                    found.projects.setdefault(str(mapping(obj.get("metadata")).get("name")), obj)
                elif (isinstance(obj, dict) and obj.get("kind") == "Secret" and mapping(
                        mapping(obj.get("metadata")).get("labels")).get(CLUSTER_SECRET_LABEL)
                        == "cluster"):
                    found.clusters.append(obj)
    return found
