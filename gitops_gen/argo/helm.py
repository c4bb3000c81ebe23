"""Helm, in-process through Helm's Go SDK (helm-python-sdk): charts loaded once per run,
rendered with the Kubernetes version and API versions of the cluster, output split as Helm does."""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path as FsPath
import threading
from typing import Any

DOCUMENT_SEPARATOR = re.compile(r"\n---\s*")
r"""How Helm splits a rendered template into documents, `(?:^|\s*\n)---\s*` (`---# comment`
included), without its leading `\s*` (it only trims the end of the document before, and costs a
scan of every indentation of a large CRD), and with a literal start the regex engine can seek."""


def split_documents(text: str) -> list[str]:
    """The YAML documents of a rendered template, as Helm splits them."""
    return DOCUMENT_SEPARATOR.split("\n" + text if text.startswith("---") else text)


class ChartStore:
    """Charts loaded once per run and shared by every Application; renders are serialized per chart.

    Rendering drops the subcharts the values disable from the loaded chart (Helm processes the
    dependencies in place), so a chart is loaded once per set of values its dependencies'
    conditions and tags read: two Applications that switch a subchart differently (e.g. a
    CRD-only release of a chart and the chart itself) each render their own copy.
    """

    def __init__(self) -> None:
        self._charts: dict[str, tuple[Any, threading.Lock]] = {}
        self._variants: dict[tuple[str, tuple], tuple[Any, threading.Lock]] = {}
        self._crds: dict[str, list[dict[str, str]]] = {}
        self._identities: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()

    def get(self, path: str, values: dict | None = None) -> tuple[Any, threading.Lock]:
        """The chart at `path` to render with `values`, and the lock that serializes its renders."""
        import helm_python

        with self._lock:
            if path not in self._charts:
                self._charts[path] = (helm_python.Chart.load(path), threading.Lock())
            chart = self._charts[path]
            switches = _dependency_switches(chart[0].metadata, values or {})
            if not switches:
                return chart
            key = (path, switches)
            if key not in self._variants:
                self._variants[key] = (helm_python.Chart.load(path), threading.Lock())
            return self._variants[key]

    def identity(self, path: str) -> tuple[str, str]:
        """The chart's name and version, read once."""
        with self._lock:
            if path not in self._identities:
                chart = self._charts[path][0]
                self._identities[path] = (chart.name, chart.version)
            return self._identities[path]

    def crds(self, path: str) -> list[dict[str, str]]:
        """The chart's CRDs (its `crds/` folders, subcharts' included), read once."""
        with self._lock:
            if path not in self._crds:
                self._crds[path] = self._charts[path][0].crds
            return self._crds[path]

    def close(self) -> None:
        for chart, _ in (*self._charts.values(), *self._variants.values()):
            chart.close()
        self._charts.clear()
        self._variants.clear()


def _dependency_switches(metadata: dict, values: dict) -> tuple:
    """The values the chart's dependencies' `condition`s and `tags` read, in order (None where
    unset): what decides which subcharts a render keeps. Empty for a chart without any."""
    paths = [path.strip() for dependency in metadata.get("dependencies") or ()
             for path in str(dependency.get("condition") or "").split(",") if path.strip()]
    paths += [f"tags.{tag}" for dependency in metadata.get("dependencies") or ()
              for tag in dependency.get("tags") or ()]
    switches = []
    for path in paths:
        node: Any = values
        for key in path.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        switches.append(repr(node))
    return tuple(switches)


def render_chart(chart: Any, values: dict, options: dict) -> dict[str, str]:
    """helm template, with the Kubernetes version and API versions the Python wrapper does not pass."""
    from helm_python import _native

    rendered = _native.call_string("helm_render", chart._raw(), json.dumps(values),
                                   json.dumps(options))
    return json.loads(rendered)


def full_version(version: str) -> str:
    """`1.33` as a cluster reports it (`v1.33.0`), so charts compare it as they would live."""
    return f"{version}.0" if re.fullmatch(r"v?\d+\.\d+", version) else version


def is_helm_test(text: str) -> bool:
    """Helm test hooks are not synced by Argo CD."""
    match = re.search(r"helm\.sh/hook['\"]?\s*:\s*['\"]?([\w,\- ]+)", text)
    return bool(match and any(h.strip().startswith("test") for h in match.group(1).split(",")))


def merge_values(base: dict, override: dict) -> dict:
    """Helm's layering of values: maps merge key by key, anything else replaces."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_values(merged[key], value)
        else:
            merged[key] = value
    return merged


@functools.lru_cache(maxsize=8)
def api_versions(k8s_version: str, crd_folder: str | None = None) -> tuple[str, ...]:
    """What `.Capabilities.APIVersions` holds offline: the built-in group/versions (and
    group/version/kinds) of the Kubernetes version, and those of the bundled custom resources."""
    from gitops_gen.schema.builtin import builtin_dir

    with open(os.path.join(builtin_dir(k8s_version, False), "_definitions.json"),
              encoding="utf-8") as handle:
        definitions = json.load(handle).get("$defs", {})
    found: set[str] = set()
    for schema in definitions.values():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            group_version = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
            found.update((group_version, f"{group_version}/{gvk['kind']}"))
    folder = FsPath(crd_folder or FsPath(__file__).parent.parent / "data" / "crds")
    for path in folder.glob("*_*_*.json"):
        group, version, kind = path.stem.rsplit("_", 2)
        found.update((f"{group}/{version}", f"{group}/{version}/{kind}"))
    return tuple(sorted(found))
