"""What an Application rule sees: one Application, what it deploys, and the repository around it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterator

from gitops_gen.argo.apps import App, RepoIdentity, normalize_repo_url
from gitops_gen.argo.deploy import AppRender, Deployed, Deployment
from gitops_gen.argo.matching import ObjectKey, cluster_scoped_kinds, object_key
from gitops_gen.argo.render import RenderProblem


@dataclass(frozen=True, slots=True)
class AppView:
    render: AppRender
    deployment: Deployment
    _memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def app(self) -> App:
        return self.render.app

    @property
    def objects(self) -> list[Deployed]:
        return self.render.objects

    def problems(self, rule: str) -> Iterator[RenderProblem]:
        """The render problems of one kind (`chart-unavailable`, `render-failed`, ...)."""
        return (p for p in self.render.problems if p.rule == rule)

    def project(self) -> dict[str, Any] | None:
        """The Application's AppProject, when the repository defines it."""
        return self.deployment.projects.get(self.app.project or "")

    def cluster_renders(self) -> Iterator[AppRender]:
        """The renders of every Application that deploys to the same cluster as this one."""
        root, cluster = self.app.root, self.app.cluster
        return (r for r in self.deployment.renders
                if r.app.root is root and r.app.cluster == cluster)

    def is_this_repository(self, repo_url: str) -> bool:
        """Whether `repo_url` is the linted repository: one of its configured or Git remote
        URLs; when neither is known, a URL an Application's Git source uses with a `path`
        that is a folder of this checkout, or, when no source path is, any URL (as the
        renderer assumes)."""
        repo = self.deployment.repo
        if repo.urls:
            return repo.is_local(repo_url)
        if "local_urls" not in self._memo:
            self._memo["local_urls"] = _urls_with_local_paths(self.deployment)
        local = self._memo["local_urls"]
        return not local or normalize_repo_url(repo_url) in local

    def tree_renders(self) -> Iterator[AppRender]:
        """The renders of every Application of this one's root tree (the root's included)."""
        root = self.app.root
        return (r for r in self.deployment.renders if r.app.root is root)

    def cluster_scoped_kinds(self) -> frozenset[str]:
        """Kinds without a namespace: the built-in and common add-on ones, and the kinds of the
        cluster-scoped CRDs any Application of the repository deploys."""
        if "cluster_kinds" not in self._memo:
            self._memo["cluster_kinds"] = cluster_scoped_kinds(
                d.obj for r in self.deployment.renders for d in r.objects)
        return self._memo["cluster_kinds"]

    def keyed(self, render: AppRender | None = None, objects: list[Deployed] | None = None
              ) -> list[tuple[ObjectKey, Deployed]]:
        """What `render` (by default this Application's) deploys, or those of its `objects`,
        keyed as the cluster knows each object: namespaced ones without a namespace get the
        destination namespace. Documents without a kind are left out."""
        render = render or self.render
        kinds, namespace = self.cluster_scoped_kinds(), render.app.destination_namespace
        return [(object_key(d.obj, namespace, kinds), d)
                for d in (render.objects if objects is None else objects)
                if d.obj.get("kind") and isinstance(d.obj.get("kind"), str)]


def _urls_with_local_paths(deployment: Deployment) -> frozenset[str]:
    """Normalized URLs of the Git sources whose `path` is a folder of the checkout."""
    return frozenset(normalize_repo_url(source.repo_url)
                     for render in deployment.renders for source in render.app.sources()
                     if source.path and not source.is_helm_chart
                     and _is_folder(deployment.repo, source.path))


def _is_folder(repo: RepoIdentity, path: str) -> bool:
    try:
        return os.path.isdir(repo.resolve(path))
    except ValueError:
        return False
