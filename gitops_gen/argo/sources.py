"""The lint run of a repository with Applications: what Argo CD deploys replaces the files it
is rendered from.

A manifest an Application deploys as it is (a directory source) is linted in place, in that
Application's context (destination namespace, cluster). Files a Kustomize build or a chart reads
are not linted on their own: the objects they render are, one source per rendered document, with
findings placed back on the repository line that made them. Everything else is linted as before.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from typing import Callable

from gitops_gen.argo.deploy import AppRender, Deployment, DeploySettings, Written, build
from gitops_gen.argo.placement import Placement
from gitops_gen.lint.sources import Source, read_file
from gitops_gen.argo.render import KUSTOMIZATION_FILES

KUSTOMIZE_INPUTS_LINTED = KUSTOMIZATION_FILES
"""Files of a Kustomize build still linted on their own (deprecated fields of kustomizations)."""


@dataclass
class RenderRun:
    sources: list[Source]
    skipped: list[tuple[str, str]]
    deployment: Deployment


def render_sources(sources: list[Source], found: Written, settings: DeploySettings,
                   progress: Callable[[int, int], None] | None = None) -> RenderRun:
    """Render every Application found among `sources`; return what to lint instead.

    `progress(done, total)`: Applications rendered so far (see `deploy.build`)."""
    deployment = build(found, settings, progress)
    root = settings.repo.root
    cluster_kinds = _cluster_scoped_custom_kinds(deployment)
    result: list[Source] = []
    skipped: list[tuple[str, str]] = []
    for source in sources:
        relative = _relative(source, root)
        covering = deployment.covered.get(relative) if relative else None
        consumed = deployment.consumed.get(relative) if relative else None
        if covering is not None:
            result.append(Source(source.name, source.path, placement=_placement(
                covering, "file", "", relative, root, cluster_kinds, settings)))
        elif consumed is not None and os.path.basename(relative) not in KUSTOMIZE_INPUTS_LINTED:
            skipped.append((source.name, f"rendered through Application {consumed.app.name}"))
        elif (deployment.renders and source.path is not None
              and os.path.basename(source.path) not in KUSTOMIZE_INPUTS_LINTED
              and _in_component(os.path.dirname(os.path.abspath(source.path)))):
            skipped.append((source.name, "part of a Kustomize component no Application uses"))
        else:
            result.append(source)
    for render in deployment.renders:
        by_doc: dict[int, list] = {}
        for deployed in render.objects:
            if deployed.doc.kind != "file":
                by_doc.setdefault(id(deployed.doc), []).append(deployed)
        layers: dict[int, list] = {}
        for number, items in enumerate(by_doc.values()):
            doc = items[0].doc
            placement = _placement(render, doc.kind, doc.label, doc.origin, root, cluster_kinds,
                                   settings)
            placement.fallback = _source_position(render, doc.source.yaml_path, root)
            index = doc.source.index
            if index not in layers:
                layers[index] = _layers(render, index, root)
            placement.layers = layers[index]
            result.append(Source(f"<{render.app.name}>/{number:04d}/{doc.origin}", None,
                                 objects=tuple(d.obj for d in items), placement=placement))
    return RenderRun(result, skipped, deployment)


@functools.lru_cache(maxsize=1024)
def _in_component(folder: str) -> bool:
    """Whether `folder` holds a Kustomize Component: partial objects, linted where used."""
    for name in KUSTOMIZATION_FILES:
        text = _text_of(os.path.join(folder, name))
        if text:
            return re.search(r"^kind:\s*['\"]?Component\b", text, re.MULTILINE) is not None
    return False


def _placement(render: AppRender, kind: str, label: str, origin: str | None, root: str,
               cluster_kinds: frozenset[str], settings: DeploySettings) -> Placement:
    app = render.app
    version = settings.version_for(app)
    return Placement(app=app.name, group=f"{app.root.name}|{app.cluster}",
                     namespace=app.destination_namespace, kind=kind, label=label, origin=origin,
                     fallback=(app.file, 1, 1), cluster_kinds=cluster_kinds, root=root,
                     k8s_version=version if version != settings.kube_version else None)


def _layers(render: AppRender, index: int, root: str) -> list:
    """The values layers of one source of the Application, as the tracer reads them."""
    from gitops_gen.argo.trace import ValueSource

    layers = render.rendered.values.get(index, [])
    return [ValueSource(file=layer.file, text=layer.text or _text_of(os.path.join(root, layer.file)),
                        base=layer.base, document=layer.document, kind=layer.kind)
            for layer in layers]


def _source_position(render: AppRender, yaml_path: tuple, root: str) -> tuple[str, int, int]:
    """Where a source is written in its Application (or ApplicationSet): the fallback place of
    findings on what it renders, such as a remote chart's objects."""
    app = render.app
    line, column = _parsed(os.path.join(root, app.file)).locate(
        app.document, app.base + yaml_path, True)
    return app.file, line, column


@functools.lru_cache(maxsize=256)
def _parsed(path: str):
    from gitops_gen.lint import yamlparse

    return yamlparse.parse(_text_of(path))


@functools.lru_cache(maxsize=256)
def _text_of(path: str) -> str:
    try:
        return read_file(path)
    except (OSError, UnicodeDecodeError):
        return ""


def _relative(source: Source, root: str) -> str | None:
    if source.path is None:
        return None
    relative = os.path.relpath(os.path.abspath(source.path), root)
    return None if relative.startswith("..") else relative.replace(os.sep, "/")


def _cluster_scoped_custom_kinds(deployment: Deployment) -> frozenset[str]:
    kinds = set()
    for render in deployment.renders:
        for deployed in render.objects:
            obj = deployed.obj
            spec = obj.get("spec") if obj.get("kind") == "CustomResourceDefinition" else None
            if isinstance(spec, dict) and spec.get("scope") == "Cluster":
                kinds.add(str((spec.get("names") or {}).get("kind")))
    return frozenset(kinds)
