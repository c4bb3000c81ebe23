"""Render the whole GitOps repository of a blueprint from the `templates/` tree.

The template tree mirrors the output. Placeholders in file and folder names repeat a template:

- `__env__`   once per environment (context `env`: an `Environment`);
- `__addon__` once per add-on installed in that environment (`addon`: an `AddOn`); needs `__env__`;
- `__app__`   once per app: with `__env__`, the apps deployed there (`app`: an `AppEnvironment`),
  without it, every app of the blueprint (`app`: an `App`).

Two top-level folders are gated:

- `platform/<add-on>/...` renders only where that add-on is installed (`addon_name`; with
  `__env__`, also `addon`);
- `apps/<kind>/...` (kind `kustomize` or `helm`) renders as `apps/...`, for apps of that kind.

A name starting with `dot-` is written with a leading dot (`dot-github` -> `.github`), so that
no template is hidden from packaging tools.

Every template also sees `blueprint`, `catalog` (what gitops-gen knows of each add-on),
`network` (the NetworkPolicy egress rules, `gitops_gen.render.network`), `version`
(gitops-gen's) and `blueprint_path` (where the blueprint lives in the rendered repository, a
relative POSIX path, or None when it lives outside). A `.j2` file is rendered (suffix
dropped); one that renders to nothing but whitespace is not written (a file only some apps or
environments need). Any other file is copied byte for byte, so a Helm chart's Go templates
reach the output untouched.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Iterator

from gitops_gen import __version__
from gitops_gen.blueprint.addons import ADDON_CATALOG
from gitops_gen.blueprint.model import Blueprint, Environment
from gitops_gen.errors import UserError
from gitops_gen.render import network
from gitops_gen.render.templating import (TEMPLATE_SUFFIX, YAML_SUFFIXES, make_environment,
                                          render_file, walk, with_header)

ENV, ADDON, APP = "__env__", "__addon__", "__app__"
DOT = "dot-"
APP_KINDS = ("kustomize", "helm")


def templates_root() -> Traversable:
    """The `templates/` tree installed with the package."""
    return resources.files("gitops_gen") / "templates"


def render_repo(blueprint: Blueprint, *, root: Path | Traversable | None = None,
                header: str | None = None, blueprint_path: str | None = None) -> dict[str, bytes]:
    """Every file of the repository: {relative POSIX path: content}, sorted by path.

    `blueprint_path`: the blueprint's path inside the repository, when it is kept there.
    """
    from gitops_gen.render.paths import normalise

    root = root if root is not None else templates_root()
    jinja = make_environment(root)
    files: dict[str, bytes] = {}
    for source, node in walk(root):
        for target, context in _expansions(source, blueprint, blueprint_path):
            target = normalise(target[:-len(TEMPLATE_SUFFIX)]
                               if target.endswith(TEMPLATE_SUFFIX) else target)
            if target in files:
                raise UserError(f"two templates render to {target!r}", file=str(node))
            if source.endswith(TEMPLATE_SUFFIX):
                text = render_file(jinja, source, context)
                if not text.strip():
                    continue
                if header and target.endswith(YAML_SUFFIXES):
                    text = with_header(text, header)
                files[target] = text.encode("utf-8")
            else:
                files[target] = node.read_bytes()
    return dict(sorted(files.items()))


def _expansions(source: str, blueprint: Blueprint,
                blueprint_path: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(output path, context) for each time the template at `source` is rendered."""
    parts = source.split("/")
    base: dict[str, Any] = {"blueprint": blueprint, "catalog": ADDON_CATALOG,
                            "network": network, "version": __version__,
                            "blueprint_path": blueprint_path}
    addon_name = kind = None
    if parts[0] == "platform" and len(parts) > 2:
        addon_name = parts[1]
        if addon_name not in ADDON_CATALOG:
            raise UserError(f"platform/{addon_name} is not a known add-on", file=source)
        base["addon_name"] = addon_name
    if parts[0] == "apps" and len(parts) > 2:
        kind = parts[1]
        if kind not in APP_KINDS:
            raise UserError(f"apps/{kind} is not an app kind ({', '.join(APP_KINDS)})",
                            file=source)
        source = "/".join(parts[:1] + parts[2:])
    if ENV not in source:
        if ADDON in source:
            raise UserError(f"{ADDON} needs {ENV} in the same path", file=source)
        if addon_name and not any(env.addon(addon_name) for env in blueprint.environments):
            return
        apps = [a for a in blueprint.apps if kind in (None, a.kind)] if APP in source else [None]
        for app in apps:
            yield _fill(source, app=app), {**base, "app": app}
        return
    for env in blueprint.environments:
        yield from _in_environment(source, env, addon_name, kind, base)


def _in_environment(source: str, env: Environment, addon_name: str | None, kind: str | None,
                    base: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    context = {**base, "env": env}
    if addon_name:
        addon = env.addon(addon_name)
        if addon is None:
            return
        context["addon"] = addon
    addons = env.addons() if ADDON in source else [context.get("addon")]
    apps = [a for a in env.apps() if kind in (None, a.kind)] if APP in source else [None]
    for addon in addons:
        for app in apps:
            yield (_fill(source, env=env, addon=addon, app=app),
                   {**context, "addon": addon, "app": app})


def _fill(source: str, env: Any = None, addon: Any = None, app: Any = None) -> str:
    for token, item in ((ENV, env), (ADDON, addon), (APP, app)):
        if item is not None:
            source = source.replace(token, item.name)
    return "/".join("." + part[len(DOT):] if part.startswith(DOT) else part
                    for part in source.split("/"))
