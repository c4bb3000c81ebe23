"""The API behind the CLI: plain functions taking an options dataclass, returning results."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Iterable

from gitops_gen.errors import UserError
from gitops_gen.lint.config import FAIL_ON, Config, find_config, load_config
from gitops_gen.lint.model import LintResult, Problem, Severity
from gitops_gen.lint.registry import SET, Rule, load_rules, resolve, suggest

if TYPE_CHECKING:
    from gitops_gen.lint.select import Selection, Shard

DEFAULT_FAIL_ON = "error"


@dataclass(eq=False, repr=False)
class LintOptions:
    """What to lint and how: the `lint` command's options."""

    paths: tuple[str, ...]
    config: str | None = None
    fail_on: str | None = None
    inline_ignores: bool = True
    select: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    stdin_text: str | bytes | None = None
    """What standard input held (for the path `-`); bytes are decoded like a file's."""
    stdin_name: str = "<stdin>"
    k8s_version: str | None = None
    target_version: str | None = None
    strict: bool | None = None
    crds: tuple[str, ...] = ()
    schema_locations: tuple[str, ...] = ()
    ignore_missing_schemas: bool | None = None
    jobs: int = 1
    """Processes to lint with (0: one per idle core, lint.parallel.workers_for), and
    Applications rendered at once (0: one per core)."""
    render: bool = True
    """Render the Argo CD Applications found, and lint what they deploy."""
    charts_dir: str | None = None
    """The chart cache for remote Helm charts (default: the user's cache folder)."""
    progress: Progress | None = None
    """Told how far the run is, as it goes: see `Progress`."""
    changed_since: str | None = None
    """A Git ref: lint only the files and Applications changed since it (lint.changes)."""
    shard: Shard | None = None
    """Lint only this shard of the Applications and files (gitops_gen.lint.select)."""


Progress = Callable[[str, int, int], None]
"""`progress(stage, done, total)`: `stage` is RENDER (Applications rendered) or LINT (sources
linted: files, and the documents Applications render); `total` may grow during RENDER."""
RENDER, LINT = "render", "lint"


@dataclass(eq=False, repr=False)
class LintRun:
    """A finished lint run: its findings, the rules and config it used, its exit code."""

    result: LintResult
    rules: dict[str, Rule]
    config_file: str | None
    fail_on: str
    exit_code: int
    selection: Selection | None = None
    """What a changed-only or sharded run linted, and why (None: everything)."""


@dataclass(eq=False, repr=False)
class StreamedLintRun:
    """A lint run whose problems are read in order from `problems()` (each iteration reads
    them again): nothing holds them all. `run` (counts, stats, exit code) is complete before
    they are read; its `result.problems` stays empty. Close it (or use `with`) to drop the
    spooled findings."""

    run: LintRun
    stream: Any

    def problems(self) -> Iterable[Problem]:
        return self.stream.problems()

    def close(self) -> None:
        self.stream.close()

    def __enter__(self) -> "StreamedLintRun":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def lint(options: LintOptions) -> LintRun:
    """Lint the given paths; the exit code says whether findings reach `fail_on`."""
    with lint_streamed(options) as streamed:
        streamed.run.result.problems = list(streamed.problems())
    streamed.run.result.stats = None  # counted from the list, which callers may filter
    return streamed.run


def lint_streamed(options: LintOptions,
                  on_chunk: Callable[[int, int], None] | None = None) -> StreamedLintRun:
    """`lint`, with the problems streamed (for large runs); `on_chunk(files done, files)` is
    called as the files are linted."""
    from gitops_gen.lint.engine import CRD_MARK, Engine, activate
    from gitops_gen.lint.sources import discover, files_mentioning

    rules = load_rules()
    for reference in options.select + options.disable:
        if resolve(reference, rules) is None:
            close = suggest(reference, rules)
            raise UserError(f"unknown rule {reference!r}",
                            hint=f"did you mean {close!r}?" if close else "see `gitops-gen rules`")
    if options.fail_on is not None and options.fail_on not in FAIL_ON:
        raise UserError(f"invalid --fail-on {options.fail_on!r}", hint=f"use one of {FAIL_ON}")
    config_file = options.config or _first_config(options.paths)
    config = load_config(config_file, rules) if config_file else Config()
    sources, skipped = discover(list(options.paths), options.stdin_name)
    options = _with_config_defaults(options, config)
    k8s_version, target_version = schema_versions(options)
    changes = _changes(options)
    disable = options.disable + (("SCH003",) if options.ignore_missing_schemas else ())
    active = activate(rules, config, options.select, disable,
                      run_defaults={"target-version": target_version})
    schemas = _schema_store(options, k8s_version)
    rendering = options.render and config.render is not False and (changes is None or changes)
    marks: tuple[str, ...] = (CRD_MARK,) if schemas is not None else ()
    if rendering:
        from gitops_gen.argo import ARGO_MARK

        marks += (ARGO_MARK,)
    mentioning = files_mentioning(  # one read of each file before the lint
        sources, marks, processes=1 if options.jobs == 1 else 2)
    deployment = None
    if rendering:
        sources, skipped, deployment = _rendered_sources(sources, skipped, options, config,
                                                         k8s_version, mentioning[ARGO_MARK])
    selection = None
    if changes is not None or options.shard is not None:
        from gitops_gen.lint.select import plan

        cross_resource = any(a.rule.scope == SET for a in active.values())
        sources, selection = plan(sources, deployment, changes, options.shard, cross_resource)
    if selection is not None and selection.empty:
        sources = []
    engine = Engine(rules, active, config, options.inline_ignores, schemas)
    stream = engine.stream(sources, skipped, options.stdin_text, jobs=options.jobs,
                           deployment=deployment,
                           on_chunk=on_chunk or _stage(options.progress, LINT),
                           crd_files=mentioning.get(CRD_MARK))
    result = stream.result
    result.k8s_version, result.target_version = k8s_version, target_version
    if deployment is not None and deployment.renders:
        result.applications = (len(deployment.renders) if selection is None
                               else len(selection.applications))
    if selection is not None:  # a selected run is small: its kept problems are listed
        set_codes = frozenset(code for code, a in active.items() if a.rule.scope == SET)
        with stream:
            result.problems = [p for p in stream.problems() if selection.keep(p, set_codes)]
        result.stats = None
        stream = _Listed(result.problems)
    fail_on = options.fail_on or config.fail_on or DEFAULT_FAIL_ON
    run = LintRun(result, rules, config_file, fail_on, exit_code(result, fail_on), selection)
    return StreamedLintRun(run, stream)


class _Listed:
    """Problems already in a list, read as a stream."""

    def __init__(self, problems: list[Problem]) -> None:
        self._problems = problems

    def problems(self) -> Iterable[Problem]:
        return self._problems

    def close(self) -> None:
        """Nothing to drop."""


def _changes(options: LintOptions):
    """The files changed since `--changed-since` (None without it)."""
    if options.changed_since is None:
        return None
    from gitops_gen.lint.changes import changed_since

    return changed_since(next((p for p in options.paths if p != "-"), "."), options.changed_since)


def _rendered_sources(sources, skipped, options: LintOptions, config: Config, k8s_version: str,
                      argo_files: set[str]):
    """The sources to lint when Applications are rendered (`argo_files`: the paths of the files
    that mention Argo CD), and the deployment they come from."""
    if not argo_files:  # no file mentions Argo CD: no Application to render
        return sources, skipped, None
    from pathlib import Path

    from gitops_gen.argo.scan import scan

    found = scan(sources, options.stdin_text, argo_files)
    if not found:  # no Application: nothing to render (and Git and Helm are never loaded)
        return sources, skipped, None
    from gitops_gen.argo.apps import repo_identity
    from gitops_gen.argo.charts import default_charts_dir
    from gitops_gen.argo.deploy import DeploySettings
    from gitops_gen.argo.sources import render_sources
    from gitops_gen.schema.validate import resolve_version

    root = _repo_root(options.paths)
    settings = DeploySettings(
        repo=repo_identity(root, config.repo_urls, config.repo_path),
        charts_dir=Path(options.charts_dir or config.charts_dir or default_charts_dir()),
        kube_version=k8s_version, jobs=options.jobs or os.cpu_count() or 1,
        clusters=tuple(replace(c, k8s_version=resolve_version(c.k8s_version))
                       for c in config.clusters))
    run = render_sources(sources, found, settings, _stage(options.progress, RENDER))
    return run.sources, skipped + run.skipped, run.deployment


def _stage(progress: Progress | None, stage: str) -> Callable[[int, int], None] | None:
    """`progress` for one stage: called with (done, total)."""
    return None if progress is None else functools.partial(progress, stage)


def _repo_root(paths: tuple[str, ...]) -> str:
    """The repository Applications' paths are relative to: the folder of the repository's
    `.gitops-gen.yaml` (found above the first path, even when `--config` names another), else
    the Git work tree of the first path, else the first folder given."""
    first = next((p for p in paths if p != "-"), ".")
    found = find_config(first)
    if found:
        return os.path.dirname(os.path.abspath(found))
    folder = first if os.path.isdir(first) else os.path.dirname(first) or "."
    try:
        import git

        return git.Repo(folder, search_parent_directories=True).working_tree_dir or folder
    except (ImportError, git.exc.GitError, OSError):
        return os.path.abspath(folder)


def _with_config_defaults(options: LintOptions, config: Config) -> LintOptions:
    """Settings the command line leaves unset come from the config file."""
    return replace(
        options,
        k8s_version=options.k8s_version or config.k8s_version,
        target_version=options.target_version or config.target_version,
        strict=next(v for v in (options.strict, config.strict, True) if v is not None),
        crds=options.crds + config.crds,
        schema_locations=options.schema_locations + config.schema_locations,
        ignore_missing_schemas=bool(options.ignore_missing_schemas
                                    or config.ignore_missing_schemas))


def schema_versions(options: LintOptions) -> tuple[str, str]:
    """The Kubernetes version schemas are checked against, and the target of API checks."""
    from gitops_gen.schema.validate import resolve_version
    from gitops_gen.versions import default_k8s_version, parse_minor

    k8s_version = resolve_version(options.k8s_version or default_k8s_version())
    target = options.target_version or k8s_version
    try:
        major, minor = parse_minor(target)
    except ValueError:
        raise UserError(f"invalid --target-version {target!r}",
                        hint="use a Kubernetes minor version such as 1.31") from None
    return k8s_version, f"{major}.{minor}"


def _schema_store(options: LintOptions, k8s_version: str):
    """The run's schema store, with the CRDs given by `--crd` already registered."""
    from gitops_gen.lint import yamlparse
    from gitops_gen.lint.sources import discover, read_text
    from gitops_gen.schema.validate import SchemaSettings, SchemaStore, unusable_pattern_notes

    store = SchemaStore(SchemaSettings(k8s_version, options.strict, options.schema_locations))
    crd_sources, _ = discover(list(options.crds)) if options.crds else ([], [])
    for source in crd_sources:
        text, why = read_text(source, None)
        if text is None:
            raise UserError(f"cannot read CRD file {source.name}: {why}")
        parsed = yamlparse.parse(text)
        for problem in parsed.problems:
            raise UserError(problem.message, file=source.name, line=problem.line,
                            column=problem.column, hint="fix the CRD file")
        if not store.add_crds(parsed.documents):
            raise UserError(f"{source.name} defines no CustomResourceDefinition",
                            hint="--crd takes CRD manifests or folders of them")
        store.notes.extend((source.name, *note) for note in unusable_pattern_notes(parsed))
    return store


def exit_code(result: LintResult, fail_on: str) -> int:
    """1 when a finding is at or above `fail_on` ('never' never fails), else 0."""
    if fail_on == "never":
        return 0
    worst = result.worst()
    return int(worst is not None and worst.rank >= Severity(fail_on).rank)


def _first_config(paths: tuple[str, ...]) -> str | None:
    start = next((p for p in paths if p != "-"), ".")
    return find_config(start)


def rules() -> dict[str, Rule]:
    """Every registered rule by code."""
    return load_rules()


_COMMANDS = frozenset({
    "InitOptions", "init", "RenderOptions", "RenderRun", "OUT_OF_SYNC",
    "COMMITTED", "render", "ChartsOptions", "CachedChart", "ChartsRun", "charts_list",
    "charts_pull", "UpgradeCheckOptions", "upgrade_check", "FixOptions", "FixRun", "fix",
    "MergeOptions", "merge_reports",
})
"""Names from gitops_gen.commands, imported on first use (a lint does not need them)."""


def __getattr__(name: str) -> Any:
    if name in _COMMANDS:
        from gitops_gen import commands

        return getattr(commands, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
