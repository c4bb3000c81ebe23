"""Expand an ApplicationSet into the Applications Argo CD's ApplicationSet controller would create.

Offline, following argo-cd's `applicationset/generators`, `applicationset/utils` and
`applicationset/controllers/template` (v3.x): the list, clusters, git (directories and files),
matrix and merge generators, post-selectors, per-generator templates, and `templatePatch`.
`appset_generators` gives the parameter sets, `appset_render` renders trees of strings with them
(`appset_template`: fasttemplate, or Go templates in Helm's engine); `appset_repo` reads the
repository the way the repo-server would, from the working tree. Generators that need a network
(SCM providers, pull requests, plugins, cluster decision resources, another repository) raise
an ExpansionError marked `unsupported`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from gitops_gen.argo.apps import RESOURCES_FINALIZER
from gitops_gen.argo.appset_generators import ClusterInfo, GeneratorContext, Generators
from gitops_gen.argo.appset_render import (ExpansionError, Params, PathKey, brief, is_empty,
                                           load_yaml, render_tree)
from gitops_gen.argo.appset_template import Templates

__all__ = ["ClusterInfo", "ExpansionError", "Generated", "GeneratorContext", "expand"]

@dataclass(frozen=True)
class Generated:
    """One Application the ApplicationSet creates, and the generator parameters behind it."""

    application: dict
    params: dict


def expand(appset: dict, context: GeneratorContext) -> list[Generated]:
    """The Applications `appset` creates, in the controller's order (generator by generator)."""
    spec = appset.get("spec")
    if not isinstance(spec, dict):
        raise ExpansionError("the ApplicationSet has no spec", ("spec",))
    entries = spec.get("generators")
    if not isinstance(entries, list):
        raise ExpansionError("spec.generators must be a list of generators", ("spec", "generators"))
    templates = _templates(spec)
    generators = Generators(templates, context)
    namespace = (appset.get("metadata") or {}).get("namespace")
    generated: list[Generated] = []
    for index, generator in enumerate(entries):
        path = ("spec", "generators", index)
        for kind, param_sets in generators.transform(generator, path, {}):
            generated += _applications(spec, templates, generator[kind], path + (kind,),
                                       param_sets, namespace)
    return generated


def _applications(spec: dict, templates: Templates, body: dict, body_path: PathKey,
                  param_sets: list[Params], namespace: str | None) -> list[Generated]:
    """Render the template (the generator's own over spec.template) once per parameter set."""
    own = body.get("template") or {}
    template = _fill(own, spec.get("template") or {})
    if not isinstance(template, dict):
        raise ExpansionError("the template must be a mapping", body_path + ("template",))
    tree: dict[str, Any] = {"metadata": template.get("metadata") or {},
                            "spec": template.get("spec") or {}}
    patch = spec.get("templatePatch")
    if patch is not None:
        tree["templatePatch"] = str(patch)

    def locate(path: PathKey) -> PathKey:
        if path[:1] == ("templatePatch",):
            return ("spec", "templatePatch")
        return body_path + ("template",) + path if _has(own, path) else ("spec", "template") + path

    preserve = bool((spec.get("syncPolicy") or {}).get("preserveResourcesOnDeletion"))
    generated = []
    for params, result in zip(param_sets, render_tree(templates, tree, param_sets, locate)):
        if not params:  # the controller leaves the template as it is for empty parameters
            result = {**result, "metadata": copy.deepcopy(tree["metadata"]),
                      "spec": copy.deepcopy(tree["spec"])}
        app = _application(result, finalizer=bool(params) and not preserve)
        metadata = app.get("metadata") if isinstance(app.get("metadata"), dict) else {}
        if not metadata.get("name"):
            raise ExpansionError(f"the template gives the Application no name (parameters "
                                 f"{brief(params)})", locate(("metadata", "name")))
        # The namespace is always the ApplicationSet's, whatever the template says.
        rest = {k: v for k, v in metadata.items() if k not in ("name", "namespace")}
        where = {"namespace": namespace} if namespace else {}
        app["metadata"] = {"name": metadata["name"], **where, **rest}
        application = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", **app}
        generated.append(Generated(application, params))
    return generated


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


def _fill(own: Any, base: Any) -> Any:
    """A generator's template completed by spec.template (`mergo.Merge` without override)."""
    if isinstance(own, dict) and isinstance(base, dict):
        return {**base, **{key: _fill(value, base.get(key)) for key, value in own.items()}}
    return base if is_empty(own) and base is not None else own


def _has(tree: Any, path: PathKey) -> bool:
    for step in path:
        if isinstance(tree, dict) and step in tree or isinstance(tree, list) and isinstance(step, int) \
                and step < len(tree):
            tree = tree[step]
        else:
            return False
    return not is_empty(tree)


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
    patch = load_yaml(text, ("spec", "templatePatch"))
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

