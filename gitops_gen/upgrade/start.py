"""Where an upgrade starts: `--from`, else each environment's Kubernetes version from the render
state of a rendered repository (`.gitops-gen/`), else from a blueprint given with `--blueprint`.

Environments on different versions start separate reports; a report then keeps the findings of
its environments, leaving out what a rendered repository keeps for another environment
(`environments/<env>/`, `manifests/<env>/`, `values-<env>.yaml`, Applications `<env>-...`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePath

import yaml

from gitops_gen.errors import UserError

APP_OF_APPS = "-app-of-apps"
"""The suffix of each environment's root Application in a rendered repository."""
CONFIG_FILE = ".gitops-gen.yaml"


@dataclass(frozen=True)
class Start:
    """The version an upgrade starts from, and the environments that run it (none named when
    `--from` gives it)."""

    version: str
    environments: tuple[str, ...] = ()
    others: tuple[str, ...] = ()
    """The environments on other versions: their files and Applications are left out."""

    @property
    def source(self) -> str:
        """Where the version was read, for messages: `--from`, `environment prod's version`."""
        if not self.environments:
            return "--from"
        word = "environment" if len(self.environments) == 1 else "environments"
        return f"{word} {', '.join(self.environments)}'s version"

    def keeps(self, file: str, applications: str | None) -> bool:
        """Whether a finding in `file` (of the Applications named, comma-separated) belongs to
        this start's environments."""
        if not self.others:
            return True
        parts = PurePath(file).parts
        for other in self.others:
            for index, part in enumerate(parts[:-1]):
                if part in ("environments", "manifests") and parts[index + 1] == other:
                    return False
            if parts and parts[-1] in (f"values-{other}.yaml", f"values-{other}.yml"):
                return False
        names = [name.strip() for name in (applications or "").split(",") if name.strip()]
        return not names or any(self._owner(name) not in self.others for name in names)

    def scope(self, paths: tuple[str, ...]) -> list[str]:
        """The paths, less the files kept for other environments."""
        if not self.others:
            return list(paths)
        from gitops_gen.lint.sources import discover

        files, _ = discover(list(paths))
        return [f.path for f in files if f.path is not None and self.keeps(f.path, None)]

    def _owner(self, application: str) -> str | None:
        """The environment an Application's name starts with (`prod-eu-web`: prod-eu, not
        prod), or None."""
        owners = [e for e in (*self.environments, *self.others)
                  if application.startswith(f"{e}-")]
        return max(owners, key=len, default=None)


def starts(paths: tuple[str, ...], from_version: str | None, blueprint: str | None,
           environment: str | None) -> list[Start]:
    """One Start per Kubernetes version the chosen environments run, oldest first."""
    if from_version:
        return [Start(from_version)]
    if blueprint:
        by_environment, source = blueprint_versions(blueprint), blueprint
    else:
        found = rendered_versions(paths)
        if found is None:
            raise UserError("--from is required for a plain folder",
                            hint="give --from X.Y, or --blueprint FILE to read it from the "
                                 "blueprint")
        by_environment, source, environment = found[0], found[1], environment or found[2]
    chosen = by_environment
    if environment:
        if environment not in by_environment:
            raise UserError(f"no environment {environment!r} in {source}",
                            hint=f"use one of {sorted(by_environment)}")
        chosen = {environment: by_environment[environment]}
    versions = sorted(set(chosen.values()), key=_minor)
    starts_at = [tuple(sorted(e for e, v in chosen.items() if v == version))
                 for version in versions]
    return [Start(version, environments,
                  tuple(sorted(e for e in by_environment if e not in environments)))
            for version, environments in zip(versions, starts_at)]


def blueprint_versions(blueprint_file: str) -> dict[str, str]:
    """{environment: Kubernetes version} of a blueprint."""
    from gitops_gen.blueprint import load_blueprint

    blueprint = load_blueprint(blueprint_file)
    return {e.name: e.cluster.kubernetes_version for e in blueprint.environments}


def rendered_versions(paths: tuple[str, ...]) -> tuple[dict[str, str], str, str | None] | None:
    """({environment: version}, where it was read, the environment PATH is in) from the render
    state of the rendered repository holding the first path; None outside one."""
    from gitops_gen.render.state import STATE_FILE, RenderState

    first = Path(paths[0]).resolve() if paths else Path.cwd()
    root = next((folder for folder in (first, *first.parents)
                 if (folder / STATE_FILE).is_file()), None)
    if root is None:
        return None
    state = RenderState.load(root)
    where = str(root / STATE_FILE)
    config = state.files.get(CONFIG_FILE) if state else None
    by_environment = _cluster_versions(config, state.files if state else {})
    if not by_environment:
        raise UserError(f"the render state {where} records no environment's Kubernetes version",
                        hint="give --from X.Y, or --blueprint FILE")
    inside = first.relative_to(root).parts
    environment = inside[1] if len(inside) > 1 and inside[0] == "environments" else None
    return by_environment, where, environment


def _cluster_versions(config: bytes | None, files) -> dict[str, str]:
    """{environment: version} from the `clusters` of the rendered .gitops-gen.yaml: each
    environment's root Application `<env>-app-of-apps` with its cluster's `k8s-version`."""
    try:
        document = yaml.safe_load(config or b"") or {}
    except yaml.YAMLError:
        return {}
    environments = {path.split("/")[1] for path in files
                    if path.startswith("environments/") and path.count("/") >= 2}
    clusters = document.get("clusters") if isinstance(document, dict) else None
    found = {}
    for cluster in clusters if isinstance(clusters, list) else ():
        if not isinstance(cluster, dict) or not isinstance(cluster.get("k8s-version"), str):
            continue
        for application in cluster.get("applications") or ():
            name = str(application).removesuffix(APP_OF_APPS)
            if name in environments and str(application).endswith(APP_OF_APPS):
                found[name] = cluster["k8s-version"]
    return found


def _minor(version: str) -> tuple[int, int]:
    from gitops_gen.versions import parse_minor

    try:
        return parse_minor(version)
    except ValueError:
        return (0, 0)
