"""Expand an ApplicationSet into the Applications Argo CD's ApplicationSet controller would create.

Offline, following argo-cd's `applicationset/generators`, `applicationset/utils` and
`applicationset/controllers/template` (v3.x): the list, clusters, git (directories and files),
matrix and merge generators, post-selectors, per-generator templates, and `templatePatch`.
`appset_template` renders the strings (fasttemplate, or Go templates in Helm's engine);
`appset_repo` reads the repository the way the repo-server would, from the working tree.
Generators that need a network (SCM providers, pull requests, plugins, cluster decision
resources, another repository) raise an ExpansionError marked `unsupported`.
"""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from gitops_gen.argo import appset_repo
from gitops_gen.argo.appset_template import (NO_VALUE, Templates, TemplateError, flatten, go_string,
                                             missing_key, rebuild, sanitize, strings_in)

PathKey = tuple[str | int, ...]
Params = dict[str, Any]

IN_CLUSTER_NAME = "in-cluster"
IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"
RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io"
OFFLINE_UNSUPPORTED = ("scmProvider", "pullRequest", "plugin", "clusterDecisionResource")


@dataclass(frozen=True)
class ClusterInfo:
    """A cluster registered with Argo CD by a Secret, as the clusters generator sees it."""

    name: str
    server: str
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    project: str = ""

    @classmethod
    def from_secret(cls, secret: dict) -> ClusterInfo | None:
        """The cluster a Secret declares (stringData over base64 data), or None if it declares none."""
        metadata = secret.get("metadata") or {}
        labels = {str(k): go_string(v) for k, v in (metadata.get("labels") or {}).items()}
        if secret.get("kind") != "Secret" or labels.get(SECRET_TYPE_LABEL) != "cluster":
            return None
        fields: dict[str, str] = {}
        try:
            for key, value in (secret.get("data") or {}).items():
                fields[str(key)] = base64.b64decode(str(value), validate=True).decode()
        except ValueError:  # bad base64 or UTF-8: the API server would refuse the Secret
            return None
        fields.update({str(k): go_string(v) for k, v in (secret.get("stringData") or {}).items()})
        if not fields.get("server"):
            return None
        annotations = {str(k): go_string(v) for k, v in (metadata.get("annotations") or {}).items()}
        return cls(fields.get("name", ""), fields["server"], labels, annotations,
                   fields.get("project", ""))


@dataclass(frozen=True)
class GeneratorContext:
    """What the generators may read: the repository on disk and its cluster Secrets."""

    root: Path
    is_local_repo: Callable[[str], bool]
    clusters: list[ClusterInfo]


@dataclass(frozen=True)
class Generated:
    """One Application the ApplicationSet creates, and the generator parameters behind it."""

    application: dict
    params: dict


class ExpansionError(Exception):
    """An ApplicationSet that cannot be expanded; `path` leads to the culprit inside it.

    `unsupported` is True when the ApplicationSet may be fine but needs what is not available
    offline (a remote repository, an SCM or pull-request API, a plugin, a cluster resource).
    """

    def __init__(self, message: str, path: PathKey, *, unsupported: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.path = tuple(path)
        self.unsupported = unsupported


def expand(appset: dict, context: GeneratorContext) -> list[Generated]:
    """The Applications `appset` creates, in the controller's order (generator by generator)."""
    spec = appset.get("spec")
    if not isinstance(spec, dict):
        raise ExpansionError("the ApplicationSet has no spec", ("spec",))
    generators = spec.get("generators")
    if not isinstance(generators, list):
        raise ExpansionError("spec.generators must be a list of generators", ("spec", "generators"))
    expander = _Expander(spec, context)
    namespace = (appset.get("metadata") or {}).get("namespace")
    generated: list[Generated] = []
    for index, generator in enumerate(generators):
        path = ("spec", "generators", index)
        for kind, param_sets in expander.transform(generator, path, {}):
            generated += expander.applications(generator[kind], path + (kind,), param_sets, namespace)
    return generated


class _Expander:
    """The generators and the template of one ApplicationSet."""

    def __init__(self, spec: dict, context: GeneratorContext) -> None:
        self.spec = spec
        self.context = context
        self.templates = _templates(spec)
        self._files: list[str] | None = None

    def transform(self, generator: Any, path: PathKey,
                  interpolation: Params) -> list[tuple[str, list[Params]]]:
        """(kind, parameter sets) for each generator kind set in `generator`, post-selector applied.

        `interpolation`: the parameters a matrix's first child gives its second one.
        """
        if not isinstance(generator, dict):
            raise ExpansionError("a generator must be a mapping", path)
        kinds = [kind for kind, body in generator.items() if kind != "selector" and body is not None]
        if not kinds:
            raise ExpansionError("the generator names no list, clusters, git, matrix, merge...", path)
        if interpolation:
            body = {kind: generator[kind] for kind in kinds}
            [body] = self._render(body, [interpolation], lambda p: path + p, _is_generator_value)
            generator = {**generator, **body}
        results = []
        for kind in kinds:
            param_sets = self._generate(kind, generator[kind], path + (kind,))
            selector = generator.get("selector")
            if selector is not None:
                param_sets = [params for params in param_sets
                              if _selects(selector, flatten(params), path + ("selector",))]
            results.append((kind, param_sets))
        return results

    def applications(self, body: dict, body_path: PathKey, param_sets: list[Params],
                     namespace: str | None) -> list[Generated]:
        """Render the template (the generator's own over spec.template) once per parameter set."""
        own = body.get("template") or {}
        template = _fill(own, self.spec.get("template") or {})
        if not isinstance(template, dict):
            raise ExpansionError("the template must be a mapping", body_path + ("template",))
        tree: dict[str, Any] = {"metadata": template.get("metadata") or {},
                                "spec": template.get("spec") or {}}
        patch = self.spec.get("templatePatch")
        if patch is not None:
            tree["templatePatch"] = str(patch)

        def locate(path: PathKey) -> PathKey:
            if path[:1] == ("templatePatch",):
                return ("spec", "templatePatch")
            return body_path + ("template",) + path if _has(own, path) else ("spec", "template") + path

        preserve = bool((self.spec.get("syncPolicy") or {}).get("preserveResourcesOnDeletion"))
        generated = []
        for params, result in zip(param_sets, self._render(tree, param_sets, locate)):
            if not params:  # the controller leaves the template as it is for empty parameters
                result = {**result, "metadata": copy.deepcopy(tree["metadata"]),
                          "spec": copy.deepcopy(tree["spec"])}
            app = _application(result, finalizer=bool(params) and not preserve)
            metadata = app.get("metadata") if isinstance(app.get("metadata"), dict) else {}
            if not metadata.get("name"):
                raise ExpansionError(f"the template gives the Application no name (parameters "
                                     f"{_brief(params)})", locate(("metadata", "name")))
            # The namespace is always the ApplicationSet's, whatever the template says.
            rest = {k: v for k, v in metadata.items() if k not in ("name", "namespace")}
            where = {"namespace": namespace} if namespace else {}
            app["metadata"] = {"name": metadata["name"], **where, **rest}
            application = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", **app}
            generated.append(Generated(application, params))
        return generated

    def _render(self, tree: Any, param_sets: list[Params], locate: Callable[[PathKey], PathKey],
                keep_missing: Callable[[PathKey], bool] = lambda path: False) -> list[Any]:
        """`tree` once per parameter set with its strings, keys too, rendered.

        `keep_missing(path)`: leave that string as written when it names a missing key.
        """
        leaves = strings_in(tree)
        try:
            rows = self.templates.render([text for _, text in leaves], param_sets)
        except TemplateError as error:
            path, text = leaves[error.index]
            if error.param_index is None:
                raise ExpansionError(f"template error: {error.message}", locate(path)) from None
            params = param_sets[error.param_index]
            message = error.message
            if "nil pointer evaluating" in message and (missing := missing_key(text, params)):
                # Helm runs with missingkey=zero: `.a.b` without `a` fails instead of printing NO_VALUE.
                message = missing + ("" if self.templates.missing_key_error else
                                     f" (Argo CD would render {NO_VALUE!r} without missingkey=error)")
            raise ExpansionError(f"template error: {message} (parameters {_brief(params)})",
                                 locate(path)) from None
        results = []
        for params, row in zip(param_sets, rows):
            for i, ((path, text), output) in enumerate(zip(leaves, row)):
                if self.templates.go and NO_VALUE in output and NO_VALUE not in text:
                    if keep_missing(path):
                        row[i] = text
                    elif self.templates.missing_key_error and (missing := missing_key(text, params)):
                        raise ExpansionError(f"template error: {missing} (missingkey=error; "
                                             f"parameters {_brief(params)})", locate(path))
            results.append(rebuild(tree, iter(row)))
        return results

    def _generate(self, kind: str, body: Any, path: PathKey) -> list[Params]:
        if kind in OFFLINE_UNSUPPORTED:
            raise ExpansionError(f"the {kind} generator needs Argo CD's network access: it cannot be "
                                 f"expanded offline", path, unsupported=True)
        handler = {"list": self._list, "clusters": self._clusters, "git": self._git,
                   "matrix": self._matrix, "merge": self._merge}.get(kind)
        if handler is None:
            raise ExpansionError(f"unknown generator {kind!r}", path)
        if not isinstance(body, dict):
            raise ExpansionError(f"the {kind} generator must be a mapping", path)
        return handler(body, path)

    def _list(self, body: dict, path: PathKey) -> list[Params]:
        param_sets = []
        for index, element in enumerate(body.get("elements") or []):
            where = path + ("elements", index)
            if not isinstance(element, dict):
                raise ExpansionError("a list element must be a mapping", where)
            param_sets.append(dict(element) if self.templates.go else _flat_element(element, where))
        text = body.get("elementsYaml")
        if text:
            elements = _load_yaml(str(text), path + ("elementsYaml",))
            if not isinstance(elements, list) or not all(isinstance(e, dict) for e in elements):
                raise ExpansionError("elementsYaml must be a YAML list of mappings",
                                     path + ("elementsYaml",))
            param_sets += elements
        return param_sets

    def _clusters(self, body: dict, path: PathKey) -> list[Params]:
        selector = body.get("selector") or {}
        matched: dict[str, ClusterInfo] = {}  # the controller keys the Secrets by cluster name
        for cluster in self.context.clusters:
            if _selects(selector, cluster.labels, path + ("selector",)):
                matched[cluster.name] = cluster
        param_sets = [self._cluster_params(cluster) for cluster in matched.values()]
        if not (selector.get("matchLabels") or selector.get("matchExpressions")) and not any(
                cluster.server == IN_CLUSTER_SERVER for cluster in matched.values()):
            param_sets.append({"name": IN_CLUSTER_NAME, "nameNormalized": IN_CLUSTER_NAME,
                               "server": IN_CLUSTER_SERVER, "project": ""})
        self._append_values(body, param_sets, path)
        return [{"clusters": param_sets}] if body.get("flatList") else param_sets

    def _cluster_params(self, cluster: ClusterInfo) -> Params:
        params: Params = {"name": cluster.name, "nameNormalized": sanitize(cluster.name),
                          "server": cluster.server, "project": cluster.project}
        if self.templates.go:
            meta = {key: value for key, value in
                    (("annotations", cluster.annotations), ("labels", cluster.labels)) if value}
            params["metadata"] = meta
        else:
            params.update({f"metadata.annotations.{k}": v for k, v in cluster.annotations.items()})
            params.update({f"metadata.labels.{k}": v for k, v in cluster.labels.items()})
        return params

    def _git(self, body: dict, path: PathKey) -> list[Params]:
        repo = str(body.get("repoURL") or "")
        if not self.context.is_local_repo(repo):
            raise ExpansionError(f"the git generator reads {repo!r}, which is not this repository: it "
                                 f"cannot be expanded offline", path + ("repoURL",), unsupported=True)
        prefix = str(body.get("pathParamPrefix") or "")
        if body.get("directories"):
            all_directories = appset_repo.list_directories(self._repository_files())
            directories = appset_repo.matching_directories(all_directories, body["directories"])
            param_sets = [appset_repo.path_params(directory, None, prefix, self.templates.go)
                          for directory in directories]
        elif body.get("files"):
            param_sets = self._file_params(body["files"], prefix, path)
        else:
            raise ExpansionError("the git generator needs directories or files", path)
        self._append_values(body, param_sets, path)
        return param_sets

    def _repository_files(self) -> list[str]:
        if self._files is None:
            self._files = appset_repo.list_files(self.context.root)
        return self._files

    def _file_params(self, items: list, prefix: str, path: PathKey) -> list[Params]:
        found = appset_repo.matching_files(self._repository_files(), items)
        param_sets = []
        for name in sorted(found):
            try:
                objects = appset_repo.read_objects(self.context.root / name)
            except ValueError as error:
                raise ExpansionError(f"unable to read {name}: {error}",
                                     path + ("files", found[name], "path")) from None
            param_sets += [appset_repo.path_params(name, found_object, prefix, self.templates.go)
                           for found_object in objects]
        return param_sets

    def _append_values(self, body: dict, param_sets: list[Params], path: PathKey) -> None:
        """Add the generator's `values`, each rendered with the parameters it is added to."""
        values = body.get("values") or {}
        if not values or not param_sets:
            return
        keys = [str(key) for key in values]
        rendered = self._render([go_string(v) for v in values.values()], param_sets,
                                lambda p: path + ("values", keys[int(p[0])]))
        for params, outputs in zip(param_sets, rendered):
            if self.templates.go:
                params["values"] = dict(zip(keys, outputs))
            else:
                params.update({f"values.{key}": value for key, value in zip(keys, outputs)})

    def _child(self, generator: Any, path: PathKey, interpolation: Params) -> list[Params]:
        results = self.transform(generator, path, interpolation)
        if len(results) != 1:
            raise ExpansionError("a child generator must name exactly one generator", path)
        return results[0][1]

    def _matrix(self, body: dict, path: PathKey) -> list[Params]:
        children = body.get("generators") or []
        if len(children) != 2:
            raise ExpansionError("a matrix generator needs exactly two child generators",
                                 path + ("generators",))
        combined = []
        for first in self._child(children[0], path + ("generators", 0), {}):
            for second in self._child(children[1], path + ("generators", 1), first):
                if self.templates.go:
                    combined.append(_mergo(_mergo({}, second), first))
                else:
                    combined.append(_combine_strings(first, second, path))
        return combined

    def _merge(self, body: dict, path: PathKey) -> list[Params]:
        children = body.get("generators") or []
        if len(children) < 2:
            raise ExpansionError("a merge generator needs two or more child generators",
                                 path + ("generators",))
        keys = sorted({str(key) for key in body.get("mergeKeys") or []})
        if not keys:
            raise ExpansionError("a merge generator needs mergeKeys", path + ("mergeKeys",))
        merged: dict[str, Params] = {}
        for index, child in enumerate(children):
            where = path + ("generators", index)
            by_key: dict[str, Params] = {}
            for params in self._child(child, where, {}):
                key = json.dumps({k: params.get(k) for k in keys}, sort_keys=True, default=str)
                if key in by_key:
                    raise ExpansionError(f"the parameters of this generator are not unique by "
                                         f"mergeKeys: {key} is there twice", where)
                by_key[key] = params
            if index == 0:
                merged = by_key
                continue
            for key, params in merged.items():
                if key in by_key:
                    override = by_key[key]
                    merged[key] = _mergo(params, override) if self.templates.go else params | override
        return list(merged.values())


def _templates(spec: dict) -> Templates:
    if not spec.get("goTemplate"):
        return Templates()
    options = spec.get("goTemplateOptions") or []
    for index, option in enumerate(options):
        if option not in ("missingkey=default", "missingkey=invalid", "missingkey=zero",
                          "missingkey=error"):
            raise ExpansionError(f"unknown goTemplateOptions entry {option!r}: Argo CD knows "
                                 f"missingkey=default, zero or error",
                                 ("spec", "goTemplateOptions", index))
    return Templates(go=True, missing_key_error=bool(options) and options[-1] == "missingkey=error")


def _brief(params: Params) -> str:
    text = json.dumps(params, sort_keys=True, default=str)
    return text if len(text) <= 160 else text[:157] + "..."


def _is_generator_value(path: PathKey) -> bool:
    """Generator `values`: the controller keeps them as written when they name a missing key."""
    return len(path) == 3 and path[1] == "values"


def _flat_element(element: dict, where: PathKey) -> Params:
    """A list element for fasttemplate: string values, its `values` mapping as `values.KEY`."""
    params: Params = {}
    for key, value in element.items():
        if key == "values" and not isinstance(value, dict):
            raise ExpansionError("values must be a mapping", where + (key,))
        pairs = ([(f"values.{sub}", item, where + (key, sub)) for sub, item in value.items()]
                 if key == "values" else [(key, value, where + (key,))])
        for name, item, at in pairs:
            if not isinstance(item, str):
                raise ExpansionError(f"{name!r} must be a string unless goTemplate is true: quote it",
                                     at)
            params[name] = item
    return params


def _combine_strings(first: Params, second: Params, path: PathKey) -> Params:
    """A matrix's two fasttemplate parameter sets as one; a key may repeat with the same value only."""
    combined = {key: go_string(value) for key, value in first.items()}
    for key, value in second.items():
        value = go_string(value)
        if combined.get(key, value) != value:
            raise ExpansionError(f"the matrix children both set {key!r}, to {combined[key]!r} and "
                                 f"{value!r}", path + ("generators",))
        combined[key] = value
    return combined


def _mergo(target: Params, source: Params) -> Params:
    """`mergo.Merge(target, source, WithOverride)` on parameter maps: maps merge, a set list stays."""
    merged = dict(target)
    for key, value in source.items():
        current = merged.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merged[key] = _mergo(current, value)
        elif not (isinstance(value, list) and not _is_empty(current)):
            merged[key] = value
    return merged


def _fill(own: Any, base: Any) -> Any:
    """A generator's template completed by spec.template (`mergo.Merge` without override)."""
    if isinstance(own, dict) and isinstance(base, dict):
        return {**base, **{key: _fill(value, base.get(key)) for key, value in own.items()}}
    return base if _is_empty(own) and base is not None else own


def _has(tree: Any, path: PathKey) -> bool:
    for step in path:
        if isinstance(tree, dict) and step in tree or isinstance(tree, list) and isinstance(step, int) \
                and step < len(tree):
            tree = tree[step]
        else:
            return False
    return not _is_empty(tree)


def _is_empty(value: Any) -> bool:
    return value is None or value is False or value == 0 or value in ("", [], {})


def _application(rendered: dict, finalizer: bool) -> dict:
    """metadata and spec of the Application made of a rendered template, templatePatch applied."""
    metadata = rendered["metadata"] if isinstance(rendered["metadata"], dict) else {}
    app: dict[str, Any] = {"metadata": {"name": metadata.get("name", "")}, "spec": rendered["spec"]}
    for key in ("labels", "annotations", "finalizers"):
        if metadata.get(key):
            app["metadata"][key] = metadata[key]
    if finalizer and not metadata.get("finalizers"):
        app["metadata"]["finalizers"] = [RESOURCES_FINALIZER]
    if "templatePatch" in rendered:
        app = _apply_patch(app, rendered["templatePatch"])
    return app


def _apply_patch(app: dict, text: str) -> dict:
    """The templatePatch: a strategic merge patch, i.e. a JSON merge patch for an Application."""
    patch = _load_yaml(text, ("spec", "templatePatch"))
    if not isinstance(patch, dict):
        raise ExpansionError("templatePatch must render to a YAML or JSON mapping",
                             ("spec", "templatePatch"))
    patched = _merge_patch(app, patch)
    patched.setdefault("spec", {})
    if isinstance(patched["spec"], dict):  # the controller never lets the patch change the project
        patched["spec"] = {**patched["spec"], "project": (app.get("spec") or {}).get("project")}
        if patched["spec"]["project"] is None:
            del patched["spec"]["project"]
    return patched


def _merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = _merge_patch(merged.get(key), value)
    return merged


def _selects(selector: Any, labels: dict[str, str], path: PathKey) -> bool:
    """A Kubernetes label selector (matchLabels, matchExpressions) against `labels`."""
    if not isinstance(selector, dict):
        raise ExpansionError("a selector must be a mapping", path)
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(str(key)) != go_string(value):
            return False
    for index, expression in enumerate(selector.get("matchExpressions") or []):
        key, operator = str(expression.get("key")), expression.get("operator")
        values = [go_string(v) for v in expression.get("values") or []]
        tests = {"In": lambda: key in labels and labels[key] in values,
                 "NotIn": lambda: key not in labels or labels[key] not in values,
                 "Exists": lambda: key in labels, "DoesNotExist": lambda: key not in labels}
        if operator not in tests:
            raise ExpansionError(f"{operator!r} is not a selector operator: use In, NotIn, Exists or "
                                 f"DoesNotExist", path + ("matchExpressions", index, "operator"))
        if not tests[operator]():
            return False
    return True


def _load_yaml(text: str, path: PathKey) -> Any:
    try:
        return appset_repo.load_yaml(text)
    except ValueError as error:
        raise ExpansionError(str(error), path) from None
