"""From parsed documents to Resources: identity, inline-ignore annotations, rendered sources."""

from __future__ import annotations

import json
import os
from typing import Any, Iterable

from gitops_gen.lint.k8s import mapping, pod_template_metadata
from gitops_gen.lint.model import Path, Resource, ResourceId

IGNORE_PREFIX = "ignore.gitops-gen.io/"
"""Annotation key prefix of an inline ignore: `ignore.gitops-gen.io/<rule>: <reason>`."""


def ignore_annotations(obj: dict) -> Iterable[tuple[Path, str, Any]]:
    places: list[tuple[Path, dict]] = [(("metadata",), mapping(obj.get("metadata")))]
    template = pod_template_metadata(obj)
    if template:
        places.append(template)
    for meta_path, meta in places:
        for key, value in mapping(meta.get("annotations")).items():
            if isinstance(key, str) and key.startswith(IGNORE_PREFIX):
                yield meta_path + ("annotations", key), key, value


KUSTOMIZATION_FILES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
"""File names kustomize reads as a Kustomization, with or without apiVersion and kind."""


def group_of(resource: Resource) -> str | None:
    """The cluster group a resource is indexed in: rendered objects meet only their own."""
    return resource.placement.group if resource.placement is not None else None


class PreParsed:
    """The documents of a rendered source, parsed already: no positions (findings are relocated)."""

    problems: tuple = ()

    def __init__(self, documents: list) -> None:
        self.documents = documents

    def locate(self, document: int, path: Path, key: bool = False) -> tuple[int, int]:
        return 1, 1

    def scalar_text(self, document: int, path: Path) -> str | None:
        return None


def half_identified(file: str, base: Path, obj: Any) -> tuple[str, Path] | None:
    """Why an object that kubectl and Argo CD would refuse is not linted, and where to point:
    its apiVersion or kind is not a string, it has a kind but no apiVersion, or an apiVersion
    and metadata but no kind. None for other documents (values files, Chart.yaml, a
    kustomization, which needs neither)."""
    if not isinstance(obj, dict) or (not base and os.path.basename(file) in KUSTOMIZATION_FILES):
        return None
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    for field, value in (("apiVersion", api_version), ("kind", kind)):
        if value is not None and not isinstance(value, str):
            what = _YAML_TYPES.get(type(value), "a value")
            if not isinstance(value, (dict, list)):
                what += f" {json.dumps(value, default=str)}"
            return (f"{field} must be a string, not {what}: kubectl and Argo CD refuse the object",
                    (field,))
    if kind not in (None, "") and api_version in (None, ""):
        return f"kind {kind} has no apiVersion: kubectl and Argo CD refuse the object", ()
    if api_version not in (None, "") and kind in (None, "") and "metadata" in obj:
        return f"apiVersion {api_version} has no kind: kubectl and Argo CD refuse the object", ()
    return None


_YAML_TYPES = {bool: "a boolean", int: "an integer", float: "a number", dict: "a mapping",
               list: "a list"}


def resource_of(file: str, document: int, base: Path, obj: Any,
              placement: Any = None) -> Resource | None:
    """A Resource for a Kubernetes object, or None when it has no apiVersion and kind.

    A kustomization file without apiVersion/kind is still a Kustomization (kustomize's default).
    """
    if not isinstance(obj, dict):
        return None
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if (not base and document == 0 and os.path.basename(file) in KUSTOMIZATION_FILES
            and api_version is None and kind is None):
        api_version, kind = "kustomize.config.k8s.io/v1beta1", "Kustomization"
    if not (isinstance(api_version, str) and api_version and isinstance(kind, str) and kind):
        return None
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
    namespace, name = meta.get("namespace"), meta.get("name")
    if namespace is None and placement is not None:
        namespace = placement.default_namespace(kind)
    labels = meta.get("labels")
    labels = {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}
    return Resource(
        id=ResourceId(api_version, kind, None if namespace is None else str(namespace),
                      None if name is None else str(name)),
        file=file, document=document, base=base, body=obj, labels=labels, placement=placement)

