"""Rendering an ApplicationSet's strings once per parameter set, with every error located in the
ApplicationSet: what its generators (`appset_generators`) and its template (`appset`) share."""

from __future__ import annotations

import json
from typing import Any, Callable

from gitops_gen.argo import appset_repo
from gitops_gen.argo.appset_template import (NO_VALUE, Templates, TemplateError, missing_key,
                                             rebuild, strings_in)

PathKey = tuple[str | int, ...]
Params = dict[str, Any]


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


def render_tree(templates: Templates, tree: Any, param_sets: list[Params],
                locate: Callable[[PathKey], PathKey],
                keep_missing: Callable[[PathKey], bool] = lambda path: False) -> list[Any]:
    """`tree` once per parameter set with its strings, keys too, rendered.

    `locate(path)`: where the string at `path` of `tree` is written in the ApplicationSet.
    `keep_missing(path)`: leave that string as written when it names a missing key.
    """
    leaves = strings_in(tree)
    try:
        rows = templates.render([text for _, text in leaves], param_sets)
    except TemplateError as error:
        path, text = leaves[error.index]
        if error.param_index is None:
            raise ExpansionError(f"template error: {error.message}", locate(path)) from None
        params = param_sets[error.param_index]
        message = error.message
        if "nil pointer evaluating" in message and (missing := missing_key(text, params)):
            # Helm runs with missingkey=zero: `.a.b` without `a` fails instead of printing NO_VALUE.
            message = missing + ("" if templates.missing_key_error else
                                 f" (Argo CD would render {NO_VALUE!r} without missingkey=error)")
        raise ExpansionError(f"template error: {message} (parameters {brief(params)})",
                             locate(path)) from None
    results = []
    for params, row in zip(param_sets, rows):
        for i, ((path, text), output) in enumerate(zip(leaves, row)):
            if templates.go and NO_VALUE in output and NO_VALUE not in text:
                if keep_missing(path):
                    row[i] = text
                elif templates.missing_key_error and (missing := missing_key(text, params)):
                    raise ExpansionError(f"template error: {missing} (missingkey=error; "
                                         f"parameters {brief(params)})", locate(path))
        results.append(rebuild(tree, iter(row)))
    return results


def brief(params: Params) -> str:
    """A parameter set as an error message shows it: JSON, cut at 160 characters."""
    text = json.dumps(params, sort_keys=True, default=str)
    return text if len(text) <= 160 else text[:157] + "..."


def is_empty(value: Any) -> bool:
    """Whether a value is Go's zero value, which mergo treats as unset."""
    return value is None or value is False or value == 0 or value in ("", [], {})


def load_yaml(text: str, path: PathKey) -> Any:
    """YAML written in the ApplicationSet at `path`, or an ExpansionError there."""
    try:
        return appset_repo.load_yaml(text)
    except ValueError as error:
        raise ExpansionError(str(error), path) from None
