"""The API of the commands besides `lint`: init, render, charts, upgrade-check, fix and
merge-reports. `gitops_gen.api` gives these names too, loading this module on first use, so a
lint does not pay for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gitops_gen.api import DEFAULT_FAIL_ON, LintOptions, lint, schema_versions
from gitops_gen.errors import UserError
from gitops_gen.lint.config import FAIL_ON

if TYPE_CHECKING:
    from pathlib import Path

    from gitops_gen.argo.charts import ChartRef, PullResult


@dataclass(frozen=True)
class InitOptions:
    path: str = "blueprint.yaml"
    preset: str = "eks-minimal"
    force: bool = False


def init(options: InitOptions) -> str:
    """Write a starter blueprint; return its path. Never overwrites without `force`."""
    import os

    from gitops_gen.blueprint import preset_text

    path = options.path
    if os.path.isdir(path):
        path = os.path.join(path, "blueprint.yaml")
    if os.path.exists(path) and not options.force:
        raise UserError(f"{path} exists", hint="choose another path or pass --force")
    text = preset_text(options.preset)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


@dataclass(frozen=True)
class RenderOptions:
    blueprint: str | None
    """None: the blueprint the last render into `output` recorded."""
    output: str
    dry_run: bool = False
    git: bool | None = None
    """Commit the result; None: only when DIR is new or already a Git repository."""
    check: bool = False
    """Write nothing; exit 1 when DIR differs from the render (hand edits aside)."""
    restore: tuple[str, ...] = ()
    """Files deleted by hand to render again (relative to DIR, or paths inside it)."""
    resolved: tuple[str, ...] = ()
    """Conflicts resolved by hand: their files become the render's, as they are."""


@dataclass(frozen=True)
class RenderRun:
    ops: list
    report: Any
    commit: str | None
    diff: str
    exit_code: int
    warnings: tuple[str, ...] = ()
    """The blueprint's warnings, one `file:line:col: warning: ...` line each."""
    in_sync: bool = True
    """No file would be created, updated, deleted or left in conflict."""


OUT_OF_SYNC = ("create", "update", "delete", "conflict")
COMMITTED = ("create", "identical", "update", "delete")


def render(options: RenderOptions) -> RenderRun:
    """Plan the repository of a blueprint against DIR, then write it (unless dry run or check).

    One render at a time per DIR (a lock); nothing is written before the plan and its
    preconditions (writable folders, no unrelated staged changes) are checked.
    """
    from pathlib import Path

    from gitops_gen.blueprint import load_blueprint, warning_line
    from gitops_gen.render import (BlueprintRef, RenderState, apply, clean_interrupted,
                                   default_header, plan, preflight, render_lock, unified_diff)
    from gitops_gen.render.gitrepo import check_clean, init_repo, renames
    from gitops_gen.render.paths import path_inside, relative_to
    from gitops_gen.render.state import recorded_blueprint
    from gitops_gen.render.repo import render_repo

    dest = Path(options.output)
    if dest.exists() and not dest.is_dir():
        raise UserError(f"{dest} is not a folder", hint="give -o a folder (new or existing)")
    blueprint_path = options.blueprint or recorded_blueprint(dest)
    blueprint = load_blueprint(blueprint_path)
    in_repo = path_inside(Path(blueprint_path), dest)  # kept in DIR: CI checks the render
    new = not dest.exists() or all(entry.name == in_repo for entry in dest.iterdir())
    git = options.git if options.git is not None else (new or (dest / ".git").exists())
    files = render_repo(blueprint, header=default_header(), blueprint_path=in_repo)
    writes = not (options.dry_run or options.check)
    sha = None
    with render_lock(dest, shared=not writes):
        if writes and not new:
            clean_interrupted(dest)
        state = RenderState.load(dest)
        ops = plan(files, dest, state, restore=relative_to(options.restore, dest),
                   resolved=relative_to(options.resolved, dest),
                   renames=renames(dest) if state and not new else None)
        if writes:
            preflight(ops, dest)
            if git and not new:  # what the commit stages: the files the render owns
                check_clean(dest, [op.path for op in ops if op.action in COMMITTED]
                            + ([in_repo] if in_repo else []))
            elif git:  # a first render stopped halfway is still committed by the next one
                init_repo(dest)
        report = apply(ops, dest, blueprint=BlueprintRef.of(Path(blueprint_path), dest),
                       dry_run=not writes)
        if git and writes:
            from gitops_gen.render.gitrepo import commit
            from gitops_gen.render.lock import lend_lock

            with lend_lock(dest):  # a render-check hook of the commit reads DEST meanwhile
                sha = commit(dest, f"gitops-gen: render {blueprint.name}", report=report,
                             init=new, sources=[in_repo] if in_repo else [])
    in_sync = not any(op.action in OUT_OF_SYNC for op in ops)
    diff = "" if writes else unified_diff(ops)
    warnings = tuple(warning_line(w, blueprint_path) for w in blueprint.warnings)
    code = (0 if in_sync else 1) if options.check else (1 if report.conflicts else 0)
    return RenderRun(ops, report, sha, diff, code, warnings, in_sync)


@dataclass(frozen=True)
class ChartsOptions:
    paths: tuple[str, ...] = (".",)
    charts_dir: str | None = None
    """The chart cache; None: `gitops_gen.argo.charts.default_charts_dir()`."""


@dataclass(frozen=True)
class CachedChart:
    ref: ChartRef
    path: Path | None
    """The archive or unpacked folder in the cache, or None when the chart is missing."""


@dataclass(frozen=True)
class ChartsRun:
    charts_dir: Path
    """The cache folder used."""
    charts: list[CachedChart] | list[PullResult]
    """`CachedChart`s for `charts list`, `PullResult`s for `charts pull`."""
    errors: list[str]
    """One line per chart that could not be pulled, with the `helm pull` that fetches it by hand."""
    exit_code: int


def charts_list(options: ChartsOptions) -> ChartsRun:
    """The remote charts the Applications in the paths use, and where each sits in the cache.

    Exit code 1 when a chart is missing (an offline lint cannot render it), else 0.
    """
    from gitops_gen.argo.charts import chart_refs, find_chart

    charts_dir = _charts_dir(options)
    charts = [CachedChart(ref, find_chart(charts_dir, ref)) for ref in chart_refs(options.paths)]
    return ChartsRun(charts_dir, charts, [], int(any(c.path is None for c in charts)))


def charts_pull(options: ChartsOptions) -> ChartsRun:
    """Pull the remote charts the Applications in the paths use into the cache.

    Exit code 2 when a chart could not be pulled, else 0.
    """
    from gitops_gen.argo.charts import chart_refs, manual_pull_command, pull_charts

    charts_dir = _charts_dir(options)
    results = pull_charts(chart_refs(options.paths), charts_dir)
    errors = [f"could not pull chart {r.ref.chart} {r.ref.version} from {r.ref.repo_url} "
              f"(by hand: {manual_pull_command(r.ref, charts_dir)})"
              for r in results if r.status == "failed"]
    return ChartsRun(charts_dir, results, errors, 2 if errors else 0)


def _charts_dir(options: ChartsOptions) -> Path:
    from pathlib import Path

    from gitops_gen.argo.charts import default_charts_dir

    return Path(options.charts_dir).expanduser() if options.charts_dir else default_charts_dir()


@dataclass(frozen=True)
class UpgradeCheckOptions:
    paths: tuple[str, ...]
    to_version: str
    from_version: str | None = None
    """Default: the environment's version in `blueprint`."""
    blueprint: str | None = None
    environment: str | None = None
    """The blueprint environment whose version is the start (needed when versions differ)."""
    config: str | None = None
    charts_dir: str | None = None
    render: bool = True
    today: Any = None
    """The date the EKS calendar is read at (default: today)."""


def upgrade_check(options: UpgradeCheckOptions) -> list:
    """The per-hop upgrade reports (gitops_gen.upgrade.check.UpgradeReport) of the paths, one
    per Kubernetes version the environments start from (one with --from), from one lint run;
    a report's `exit_code` is 1 when a hop has an error."""
    from datetime import date

    from gitops_gen.argo.charts import chart_refs
    from gitops_gen.upgrade.check import LINT_RULES, build_report, upgrade_path
    from gitops_gen.upgrade.start import starts

    found = starts(options.paths, options.from_version, options.blueprint, options.environment)
    hops = [upgrade_path(start.version, options.to_version, start.source) for start in found]
    to_version = hops[0][1]
    run = lint(LintOptions(paths=options.paths, config=options.config, fail_on="never",
                           select=LINT_RULES, k8s_version=to_version,
                           target_version=to_version, render=options.render,
                           charts_dir=options.charts_dir))
    api_rules = {code: run.rules[code].check for code in ("API001", "API002")}
    reports = []
    for start, (from_version, _) in zip(found, hops):
        problems = [p for p in run.result.problems if start.keeps(p.file, p.application)]
        report = build_report(from_version, to_version, problems,
                              chart_refs(start.scope(options.paths)), api_rules,
                              options.today or date.today())
        report.files, report.resources = run.result.files, run.result.resources
        report.applications, report.environments = run.result.applications, start.environments
        reports.append(report)
    return reports


@dataclass(frozen=True)
class FixOptions:
    paths: tuple[str, ...]
    target_version: str
    dry_run: bool = False


@dataclass(frozen=True)
class FixRun:
    files: list
    """gitops_gen.upgrade.fix.FileFix of every file that needed something, in path order."""
    target_version: str
    exit_code: int
    """1 when something is left to do by hand (a refused file, a kind to migrate by hand or a
    Helm chart's file), else 0."""


def fix(options: FixOptions) -> FixRun:
    """Rewrite the apiVersions removed at the target version in the files, in place (unless
    `dry_run`), keeping comments and formatting."""
    from gitops_gen.lint.sources import discover
    from gitops_gen.schema.validate import SchemaSettings, SchemaStore, resolve_version
    from gitops_gen.upgrade.fix import fix_file

    target = schema_versions(LintOptions(paths=options.paths,
                                         target_version=options.target_version,
                                         k8s_version=options.target_version))[1]
    schemas = SchemaStore(SchemaSettings(resolve_version(target), strict=True))
    sources, _ = discover(list(options.paths))
    files = [fix_file(s.path, target, options.dry_run, schemas) for s in sources
             if s.path is not None]
    files = [f for f in files if f.status]
    left = any(f.problems for f in files)
    return FixRun(files, target, int(left))


@dataclass(frozen=True)
class MergeOptions:
    reports: tuple[str, ...]
    """JSON or SARIF reports of `lint` (the shards of one run), all of one format."""
    fail_on: str = DEFAULT_FAIL_ON


def merge_reports(options: MergeOptions):
    """One report (gitops_gen.report.merge.MergedReport) from the reports of a run's shards."""
    from gitops_gen.report.merge import merge

    if options.fail_on not in FAIL_ON:
        raise UserError(f"invalid --fail-on {options.fail_on!r}", hint=f"use one of {FAIL_ON}")
    return merge(list(options.reports), options.fail_on)
