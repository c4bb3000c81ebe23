"""The repository as the git generators see it through Argo CD's repo-server, read from disk,
and the parameters they make of a directory or a file.

Directories: every folder but hidden ones, in filepath.WalkDir order, matched with Go's
path.Match. Files: what `git ls-files -- PATTERN` lists (the default globbing, where `*` also
crosses `/`), read as YAML the way sigs.k8s.io/yaml does. Unlike the repo-server this reads the
working tree at hand, whatever `revision` says: uncommitted and untracked files count, ignored
ones do not (outside a git work tree, every file but `.git` counts).
"""

from __future__ import annotations

import os
import posixpath
import re
import subprocess
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from gitops_gen.argo.appset_template import flatten, sanitize


class _ParamsLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML 1.1 scalars as Kubernetes reads them, but timestamps stay text."""


_ParamsLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def load_yaml(text: str) -> Any:
    """The first YAML document of `text`, as the controller reads no further; ValueError if invalid."""
    try:
        return next(yaml.load_all(text, Loader=_ParamsLoader), None)
    except yaml.YAMLError as error:
        raise ValueError(f"invalid YAML: {' '.join(str(error).split())}") from None


def read_objects(file: Path) -> list[dict]:
    """The parameter objects of a JSON or YAML file: its mapping, or each mapping of its list."""
    try:
        content = load_yaml(file.read_text())
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(str(error)) from None
    objects = content if isinstance(content, list) else [content or {}]
    if not all(isinstance(o, dict) for o in objects):
        raise ValueError("it must hold a mapping or a list of mappings")
    return objects


def path_params(name: str, found_object: dict | None, prefix: str, go: bool) -> dict[str, Any]:
    """The git generator's parameters for a directory `name`, or for a file `name` and one
    object read from it: nested under `path` for Go templates, else flat (`path.basename`)."""
    directory = name if found_object is None else posixpath.dirname(name) or "."
    base = posixpath.basename(directory) if directory != "." else "."
    path: dict[str, Any] = {"path": directory, "basename": base, "basenameNormalized": sanitize(base)}
    if found_object is not None:
        filename = posixpath.basename(name)
        path |= {"filename": filename, "filenameNormalized": sanitize(filename)}
    if go:
        path["segments"] = directory.split("/")
        params = dict(found_object or {})
        params[prefix or "path"] = {"path": path} if prefix else path
        return params
    key = f"{prefix}.path" if prefix else "path"
    params = flatten(found_object) if found_object else {}
    params |= {key if field == "path" else f"{key}.{field}": value for field, value in path.items()}
    params |= {f"{key}[{i}]": part for i, part in enumerate(directory.split("/")) if part}
    return params


def list_files(root: Path) -> list[str]:
    """The files a clone would hold under `root`, `/`-separated and sorted: in a git work tree the
    tracked and the untracked but not ignored ones; elsewhere every file outside `.git`."""
    command = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    try:
        listed = subprocess.run(command, cwd=root, capture_output=True, check=True, timeout=120).stdout
    except (OSError, subprocess.SubprocessError):  # no git, or not a work tree
        names = []
        for folder, folders, files in os.walk(root):
            folders[:] = [f for f in folders
                          if f != ".git" and not os.path.islink(os.path.join(folder, f))]
            relative = Path(folder).relative_to(root).as_posix()
            names += [name if relative == "." else f"{relative}/{name}" for name in files]
        return sorted(names)
    return sorted(name for name in os.fsdecode(listed).split("\0") if name and (root / name).is_file())


def list_directories(files: list[str]) -> list[str]:
    """The folders holding `files` but hidden ones and what they hold, in filepath.WalkDir order
    (parents first, by name), as the repo-server walks its clone."""
    folders: set[tuple[str, ...]] = set()
    for name in files:
        parts = name.split("/")[:-1]
        for depth, part in enumerate(parts, 1):
            if part.startswith("."):
                break
            folders.add(tuple(parts[:depth]))
    return ["/".join(parts) for parts in sorted(folders)]


def matching_directories(directories: list[str], items: list) -> list[str]:
    """The directories some `path` item includes and no `exclude: true` item matches."""
    patterns = [(go_path_pattern(str(item.get("path", ""))), bool(item.get("exclude")))
                for item in items if isinstance(item, dict)]
    matched = []
    for directory in directories:
        hits = {exclude for pattern, exclude in patterns if pattern and pattern.fullmatch(directory)}
        if hits == {False}:
            matched.append(directory)
    return matched


def matching_files(files: list[str], items: list) -> dict[str, int]:
    """File -> index of the first item including it, minus what `exclude: true` items list."""
    found: dict[str, int] = {}
    for index, item in enumerate(items):
        if isinstance(item, dict) and not item.get("exclude"):
            for name in files:
                if pathspec_matches(str(item.get("path", "")), name):
                    found.setdefault(name, index)
    for item in items:
        if isinstance(item, dict) and item.get("exclude"):
            pattern = str(item.get("path", ""))
            found = {name: i for name, i in found.items() if not pathspec_matches(pattern, name)}
    return found


def pathspec_matches(pattern: str, name: str) -> bool:
    """Whether `git ls-files -- PATTERN` lists `name`: the path, a folder above it, or a wildcard
    pattern whose `*` also crosses `/` (`apps/*.yaml` matches `apps/a/b.yaml`)."""
    if pattern in ("", "."):
        return True
    literal = pattern.rstrip("/")
    if name == literal or name.startswith(literal + "/"):
        return True
    return any(c in pattern for c in "*?[") and fnmatchcase(name, pattern.replace("[^", "[!"))


@lru_cache(maxsize=256)
def go_path_pattern(pattern: str) -> re.Pattern | None:
    """Go's path.Match as a regex (`*`, `?` and classes stop at `/`); None when malformed."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if i + 1 == len(pattern):
                return None
            out.append(re.escape(pattern[i + 1]))
            i += 1
        elif char in "*?":
            out.append("[^/]*" if char == "*" else "[^/]")
        elif char == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1:i + 2] == "^" else i + 1)
            body = pattern[i + 1:end]
            if end < 0 or body in ("", "^"):
                return None
            negate, body = body.startswith("^"), body.removeprefix("^")
            ranges = "".join("-" if c == "-" else re.escape(c) for c in body.replace("\\", ""))
            out.append(f"[{'^/' if negate else ''}{ranges}]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out))
