"""What an Application rule sees: one Application, what it deploys, and the repository around it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from gitops_gen.argo.apps import App
from gitops_gen.argo.deploy import AppRender, Deployed, Deployment
from gitops_gen.argo.render import RenderProblem


@dataclass(frozen=True, slots=True)
class AppView:
    render: AppRender
    deployment: Deployment

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
        return bool(self.deployment.repo.urls) and self.deployment.repo.is_local(repo_url)
