"""Which part of a repository a lint run reports on: what a change touches (`--changed-since`),
and one shard of the work (`--shard I/N`).

The units of work are the Argo CD Applications and the files no Application reads. A unit is
selected when a changed file is one of its inputs: the file itself, or for an Application the
file it is written in, the files its render reads (values files, overlays and bases, a local
chart), anything under its local source folders, and its parent (a changed parent selects every
Application it renders). Shards take the units in sorted round-robin: the selected ones first,
then the others, so each unit has exactly one shard on every machine.

Cross-resource rules keep their context: the other sources of the clusters a run lints are
indexed (not checked), and their findings are post-filtered by owner. A finding belongs to the
Applications it names, else to its file. Object findings are reported by the shard owning their
unit, when it is selected; cross-resource findings by the shard owning them, selected or not:
a change to one file can break a Service selector in another.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Iterable

from gitops_gen.errors import UserError

if TYPE_CHECKING:
    from gitops_gen.lint.changes import ChangeSet
    from gitops_gen.lint.model import Problem
    from gitops_gen.lint.sources import Source

MAX_REASONS = 5
"""Reasons the summary names; the rest are counted."""


@dataclass(frozen=True)
class Shard:
    index: int
    """1-based."""
    count: int

    @classmethod
    def parse(cls, text: str) -> "Shard":
        """`I/N` with 1 <= I <= N."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not match or not 1 <= int(match[1]) <= int(match[2]):
            raise UserError(f"invalid --shard {text!r}",
                            hint="write I/N with 1 <= I <= N, e.g. --shard 2/4")
        return cls(int(match[1]), int(match[2]))

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass
class Selection:
    """What a changed-only or sharded run linted, and why; `keep` post-filters its findings."""

    changes: "ChangeSet | None"
    shard: Shard | None
    files: list[str] = field(default_factory=list)
    """Display names of the files linted that no Application reads."""
    applications: dict[str, str] = field(default_factory=dict)
    """Application name -> why it is linted."""
    changed: list[str] = field(default_factory=list)
    """Display names of the changed files."""
    _app_owner: dict[str, set[int]] = field(default_factory=dict)
    _file_owner: dict[str, int] = field(default_factory=dict)
    _selected_files: set[str] = field(default_factory=set)
    """Real paths of the selected files, and of those the selected Applications deploy as they are."""

    @property
    def empty(self) -> bool:
        return not (self.files or self.applications)

    def describe(self) -> str:
        """One line: `changed since origin/main: 3 files, 2 Applications (...)`."""
        linted = f"{_plural(len(self.files), 'file')}, {_plural(len(self.applications), 'Application')}"
        if self.changes is not None and not self.changes:
            head = f"no changes since {self.changes.ref}"
            return head + (f" (shard {self.shard})" if self.shard else "") + ": nothing linted"
        if self.changes is not None:
            head = (f"changed since {self.changes.ref}: {_plural(len(self.changed), 'file')} "
                    "changed")
            if self.shard:
                head += f", shard {self.shard}"
            if self.empty:
                return head + "; nothing linted (no linted file or Application reads them)"
            return f"{head}; linted {linted}" + _reasons(self.applications)
        return f"shard {self.shard}: {linted}"

    def keep(self, problem: "Problem", set_codes: frozenset[str]) -> bool:
        """Whether this run reports `problem` (see the module's docstring)."""
        if problem.file == "<set>":
            return True
        names = _names(problem.application)
        if self.shard is not None and self.shard.index not in self._owner(problem, names):
            return False
        if problem.code in set_codes or self.changes is None:
            return True
        if names:
            return any(name in self.applications for name in names)
        return _real(problem.file) in self._selected_files

    def _owner(self, problem: "Problem", names: list[str]) -> set[int]:
        if names:
            return set().union(*(self._app_owner.get(n, set()) for n in names)) or {1}
        real = _real(problem.file)
        if real in self._file_owner:
            return {self._file_owner[real]}
        digest = hashlib.sha256(os.path.relpath(real).encode()).digest()
        return {int.from_bytes(digest[:8], "big") % self.shard.count + 1}


def plan(sources: list["Source"], deployment: Any, changes: "ChangeSet | None",
         shard: Shard | None, cross_resource: bool) -> tuple[list["Source"], Selection]:
    """The sources to give the engine (own ones, plus `context` ones of the same clusters when
    cross-resource rules run), and the selection that filters the findings."""
    selection = Selection(changes, shard)
    renders = list(deployment.renders) if deployment is not None else []
    root = deployment.repo.root if deployment is not None else "."
    plain = [s for s in sources if s.placement is None]
    chosen_files = {_real(s.name) for s in plain if changes is None or s.path is None
                    or _real(s.path) in changes.paths}
    chosen_apps = _changed_apps(renders, root, changes, [
        s for s in plain if s.path is not None and _real(s.name) in chosen_files]) \
        if changes is not None else {_app_key(r.app): "" for r in renders}
    if changes is not None:
        selection.changed = sorted(os.path.relpath(p) for p in changes.paths)
    app_units = sorted({_app_key(r.app) for r in renders})
    file_units = sorted({_real(s.name) for s in plain})
    order = ([("app", k) for k in app_units if k in chosen_apps]
             + [("file", k) for k in file_units if k in chosen_files]
             + [("app", k) for k in app_units if k not in chosen_apps]
             + [("file", k) for k in file_units if k not in chosen_files])
    count, me = (shard.count, shard.index) if shard else (1, 1)
    own_apps: set[tuple[str, str]] = set()
    own_files: set[str] = set()
    for number, (kind, key) in enumerate(order):
        owner = number % count + 1
        if kind == "app":
            selection._app_owner.setdefault(key[0], set()).add(owner)
            if owner == me and key in chosen_apps:
                own_apps.add(key)
                selection.applications[key[0]] = chosen_apps[key]
        else:
            selection._file_owner[key] = owner
            if owner == me and key in chosen_files:
                own_files.add(key)
    selection._selected_files = set(chosen_files)
    for source in sources:
        placement = source.placement
        if placement is not None and placement.kind == "file" and source.path is not None:
            real = _real(source.path)
            if (placement.app, placement.group) in chosen_apps:
                selection._selected_files.add(real)
            selection._file_owner[real] = min(selection._app_owner.get(placement.app, {1}))
    selection.files = [s.name for s in plain if _real(s.name) in own_files]
    return _engine_sources(sources, own_apps, own_files, cross_resource), selection


def _engine_sources(sources: list["Source"], own_apps: set[tuple], own_files: set[str],
                    cross_resource: bool) -> list["Source"]:
    def owned(source: "Source") -> bool:
        placement = source.placement
        if placement is None:
            return _real(source.name) in own_files
        return (placement.app, placement.group) in own_apps

    mine = [owned(s) for s in sources]
    groups = {_group(s) for s, own in zip(sources, mine) if own}
    result = []
    for source, own in zip(sources, mine):
        if own:
            result.append(source)
        elif cross_resource and _group(source) in groups:
            result.append(replace(source, context=True))
    return result


def _changed_apps(renders: list, root: str, changes: "ChangeSet",
                  changed_files: list["Source"]) -> dict[tuple, str]:
    """The Applications a change touches, with why: an input changed, their AppProject (written
    in a changed file no Application deploys), or their parent."""
    from gitops_gen.argo.scan import scan

    chosen: dict[tuple, str] = {}
    top = _real(root)
    projects = scan(changed_files).projects if changed_files else {}
    for render in renders:
        cause = _changed_input(render, top, changes.paths)
        if cause is not None:
            chosen[_app_key(render.app)] = f"{os.path.relpath(cause)} changed"
        elif render.app.project in projects:
            chosen[_app_key(render.app)] = f"AppProject {render.app.project} changed"
    pending = [r.app for r in renders if _app_key(r.app) in chosen]
    while pending:  # a changed parent selects every Application it renders
        parent = pending.pop()
        for child in parent.children:
            if _app_key(child) not in chosen:
                chosen[_app_key(child)] = f"parent {parent.name} changed"
                pending.append(child)
    return chosen


def _changed_input(render: Any, top: str, changed: frozenset[str]) -> str | None:
    """The first changed file the Application's render depends on, or None."""
    app = render.app
    files = {os.path.normpath(os.path.join(top, f)) for f in (app.file, *render.rendered.inputs)}
    hit = sorted(files & changed)
    if hit:
        return hit[0]
    folders = tuple(f + os.sep for f in _source_folders(app, top))
    hits = sorted(p for p in changed if p.startswith(folders)) if folders else []
    return hits[0] if hits else None


def _source_folders(app: Any, top: str) -> Iterable[str]:
    """The local folders an Application's sources render (a chart: its values.yaml, Chart.yaml,
    helpers; a directory: files added or deleted), and its kustomize components."""
    for source in app.sources():
        if not source.path or source.is_helm_chart or "://" in source.path:
            continue
        folder = os.path.normpath(os.path.join(top, source.path.lstrip("/")))
        yield folder
        for component in source.kustomize.get("components") or ():
            if isinstance(component, str):
                yield os.path.normpath(os.path.join(folder, component))


def _app_key(app: Any) -> tuple[str, str]:
    """An Application's identity across runs: its name and cluster, as placements name them."""
    return app.name, f"{app.root.name}|{app.cluster}"


def _group(source: "Source") -> str | None:
    return source.placement.group if source.placement is not None else None


def _names(application: str | None) -> list[str]:
    return [n for n in (application or "").split(", ") if n]


def _real(path: str) -> str:
    """The path with its folder's symlinks resolved, as Git names the files it compares."""
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(_real_folder(folder), name)


@functools.lru_cache(maxsize=4096)
def _real_folder(folder: str) -> str:
    return os.path.realpath(folder)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _reasons(applications: dict[str, str]) -> str:
    by_reason: dict[str, list[str]] = {}
    for name, reason in sorted(applications.items()):
        if reason:
            by_reason.setdefault(reason, []).append(name)
    parts = [f"{reason}: {', '.join(names)}" for reason, names in sorted(by_reason.items())]
    if len(parts) > MAX_REASONS:
        parts = parts[:MAX_REASONS] + [f"{len(parts) - MAX_REASONS} more"]
    return f" ({'; '.join(parts)})" if parts else ""
