"""The Argo CD objects written in the linted files, found cheaply before anything is rendered."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from gitops_gen.argo.apps import CLUSTER_SECRET_LABEL, App, app_from, is_argo_kind
from gitops_gen.lint import yamlparse
from gitops_gen.lint.k8s import mapping
from gitops_gen.lint.sources import Source, read_text


@dataclass(slots=True)
class Written:
    """The Argo CD objects written in the linted files (paths absolute until `build`)."""

    apps: list[App] = field(default_factory=list)
    appsets: list[tuple[dict, str, int]] = field(default_factory=list)
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    clusters: list[dict] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.apps or self.appsets)


def scan(sources: list[Source], stdin_text: str | None = None) -> Written:
    """Applications, ApplicationSets, AppProjects and cluster Secrets written in the files:
    only files that mention Argo CD are parsed."""
    found = Written()
    for source in sources:
        if source.path is None:
            continue
        text, _ = read_text(source, stdin_text)
        if not text or ("argoproj.io" not in text and CLUSTER_SECRET_LABEL not in text):
            continue
        file = os.path.abspath(source.path)
        for number, data in enumerate(yamlparse.parse(text).documents):
            items = [(("items", i), item) for i, item in enumerate(data["items"])] if (
                isinstance(data, dict) and data.get("kind") == "List"
                and isinstance(data.get("items"), list)) else [((), data)]
            for base, obj in items:
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
