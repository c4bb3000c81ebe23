"""The blueprint: what `gitops-gen render` turns into a GitOps repository.

`load_blueprint(path)` reads a `blueprint.yaml`, validates it against the JSON Schema shipped
here (`schema.json`) and the checks the schema cannot express, and returns the resolved
`Blueprint` (see `model.py`); any error raises `BlueprintError` with every error at its
`file:line:col`, and warnings (`refusals.py`: what may not work on EKS) are on
`Blueprint.warnings`, each formatted by `warning_line`. `preset_text(name)` is a commented
starter blueprint for `gitops-gen init`.
"""

from __future__ import annotations

import importlib.resources

from gitops_gen.blueprint.load import (BlueprintError, Problem, load_blueprint, parse_blueprint,
                                       warning_line)
from gitops_gen.blueprint.schema_words import schema
from gitops_gen.blueprint.addons import ADDON_CATALOG, AddOn
from gitops_gen.blueprint.apps import App, AppEnvironment, Hpa, Image, Ingress, Resources, SecretRef
from gitops_gen.blueprint.cluster import Cluster, IamRole
from gitops_gen.blueprint.model import ArgoCD, Blueprint, Environment, Repo
from gitops_gen.errors import UserError

PRESETS = ("eks-minimal", "eks-platform")
"""Starter blueprints, the first being the default of `gitops-gen init`."""
DEFAULT_PRESET = PRESETS[0]

__all__ = ["ADDON_CATALOG", "AddOn", "App", "AppEnvironment", "ArgoCD", "Blueprint",
           "BlueprintError", "Cluster", "DEFAULT_PRESET", "Environment", "Hpa", "IamRole",
           "Image", "Ingress", "PRESETS", "Problem", "Repo", "Resources", "SecretRef",
           "load_blueprint", "parse_blueprint", "preset_text", "schema", "warning_line"]


def preset_text(name: str = DEFAULT_PRESET) -> str:
    """The commented YAML of a starter blueprint, read from the installed package."""
    if name not in PRESETS:
        raise UserError(f"unknown preset {name!r}", hint=f"presets: {', '.join(PRESETS)}")
    resource = importlib.resources.files("gitops_gen.blueprint") / "presets" / f"{name}.yaml"
    return resource.read_text(encoding="utf-8")
