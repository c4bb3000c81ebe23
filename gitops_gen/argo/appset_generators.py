"""The generators of an ApplicationSet: the parameter sets each one gives, offline.

Following argo-cd's `applicationset/generators`: list, clusters (from the cluster Secrets in the
repository), git (directories and files of this repository, read by `appset_repo`), matrix and
merge, with post-selectors and generator `values`. Generators that need a network (SCM
providers, pull requests, plugins, cluster decision resources, another repository) raise an
ExpansionError marked `unsupported`.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from gitops_gen.argo import appset_repo
from gitops_gen.argo.apps import CLUSTER_SECRET_LABEL, IN_CLUSTER
from gitops_gen.argo.appset_render import (ExpansionError, Params, PathKey, is_empty, load_yaml,
                                           render_tree)
from gitops_gen.argo.appset_template import Templates, flatten, go_string, sanitize

IN_CLUSTER_NAME = "in-cluster"
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
        if secret.get("kind") != "Secret" or labels.get(CLUSTER_SECRET_LABEL) != "cluster":
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


class Generators:
    """The generators of one ApplicationSet, rendering with its template language."""

    def __init__(self, templates: Templates, context: GeneratorContext) -> None:
        self.templates = templates
        self.context = context
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
            [body] = render_tree(self.templates, body, [interpolation], lambda p: path + p,
                                 _is_generator_value)
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
            elements = load_yaml(str(text), path + ("elementsYaml",))
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
                cluster.server == IN_CLUSTER for cluster in matched.values()):
            param_sets.append({"name": IN_CLUSTER_NAME, "nameNormalized": IN_CLUSTER_NAME,
                               "server": IN_CLUSTER, "project": ""})
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
        rendered = render_tree(self.templates, [go_string(v) for v in values.values()], param_sets,
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
        elif not (isinstance(value, list) and not is_empty(current)):
            merged[key] = value
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
