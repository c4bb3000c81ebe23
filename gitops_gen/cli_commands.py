"""The commands other than `lint` (render, upgrade-check, fix, rules, charts, ...): Click
parses options into dataclasses and calls `gitops_gen.api`. `gitops_gen.cli` loads this module
when one of them runs."""

from __future__ import annotations

import os

import click

from gitops_gen.cli import traceback_option
from gitops_gen.lint.config import FAIL_ON


@click.command("merge-reports")
@click.argument("reports", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="error", show_default=True,
              help="Exit 1 when a merged finding is at or above this severity.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the merged report to this file instead of stdout.")
@traceback_option
@click.pass_context
def merge_reports(ctx, reports, fail_on, output) -> None:
    """Merge the JSON or SARIF reports of `lint --shard I/N` into one report.

    Duplicates are removed and findings sorted as one run sorts them. Exit codes: 0 no merged
    finding at or above --fail-on, 1 findings at or above it, 2 unreadable or mismatched reports
    (formats, versions, an incomplete set of shards).
    """
    from gitops_gen import api

    merged = api.merge_reports(api.MergeOptions(reports=tuple(reports), fail_on=fail_on))
    _emit(merged.text, output)
    if output:
        click.echo(f"merged {merged.reports} {merged.format} reports into {output}: "
                   f"{merged.findings} findings", err=True)
    ctx.exit(merged.exit_code)


@click.command()
@click.argument("path", required=False, default="blueprint.yaml", type=click.Path())
@click.option("--preset", type=click.Choice(("eks-minimal", "eks-platform")),
              default="eks-minimal", show_default=True, help="Starter blueprint to write.")
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@traceback_option
def init(path, preset, force) -> None:
    """Write a commented starter blueprint to PATH (a folder gets PATH/blueprint.yaml)."""
    from gitops_gen import api

    written = api.init(api.InitOptions(path=path, preset=preset, force=force))
    click.echo(f"wrote {written} (preset {preset}); next: gitops-gen render {written} -o DIR")


@click.command()
@click.argument("blueprint", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Folder of the GitOps repository (created if missing).")
@click.option("--dry-run", is_flag=True, help="Print the plan (a line per file) and a diff; "
              "write nothing.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 with the diff when DIR is not "
              "what BLUEPRINT renders (hand edits that merge cleanly aside).")
@click.option("--restore", multiple=True, metavar="PATH",
              help="Render again a file you deleted (repeatable).")
@click.option("--resolved", multiple=True, metavar="PATH",
              help="Mark a conflict resolved: keep the file as it is (repeatable).")
@click.option("--git/--no-git", default=None,
              help="Commit the result [default: when DIR is new or a Git repository].")
@traceback_option
@click.pass_context
def render(ctx, blueprint, output, dry_run, check, restore, resolved, git) -> None:
    """Render the GitOps repository of BLUEPRINT into DIR, keeping hand edits.

    BLUEPRINT defaults to the one the last render into DIR recorded. Files you delete or
    rename stay so (`--restore PATH` brings one back); a conflict is resolved by deleting its
    .gitops-gen-new file or with `--resolved PATH`.

    Exit codes: 0 rendered (--check: in sync), 1 conflicts with hand edits (see the
    .gitops-gen-new files; --check: DIR differs), 2 blueprint, usage or environment errors
    (another render running, a read-only DIR, a full disk). Blueprint warnings go to stderr.
    """
    from gitops_gen import api
    from gitops_gen.render import counts

    run = api.render(api.RenderOptions(blueprint=blueprint, output=output, dry_run=dry_run,
                                       git=git, check=check, restore=tuple(restore),
                                       resolved=tuple(resolved)))
    for warning in run.warnings:
        click.echo(warning, err=True)
    for op in run.ops:
        if dry_run or op.action != "identical":
            click.echo(f"{op.action:<9} {op.path}" + (f"  ({op.reason})" if op.reason else ""))
    if run.diff:
        click.echo(run.diff, nl=False)
    summary = ", ".join(f"{n} {a}" for a, n in counts(run.ops).items() if n)
    if check:
        click.echo(f"{output} is {'in sync with' if run.in_sync else 'out of sync with'} "
                   f"the blueprint: {summary or 'nothing'}")
    else:
        verb = "would render" if dry_run else "rendered"
        click.echo(f"{verb} {output}: {summary or 'nothing'}"
                   + (f"; committed {run.commit[:12]}" if run.commit else ""))
    ctx.exit(run.exit_code)


@click.command("upgrade-check")
@click.argument("paths", nargs=-1, required=True)
@click.option("--to", "to_version", required=True, metavar="X.Y",
              help="The Kubernetes version the cluster is upgraded to.")
@click.option("--from", "from_version", metavar="X.Y",
              help="The cluster's version now [default: each environment's, from the render "
                   "state of a rendered repository or from --blueprint].")
@click.option("--blueprint", type=click.Path(exists=True, dir_okay=False),
              help="Blueprint to read --from from.")
@click.option("--environment", metavar="NAME",
              help="The blueprint environment to read --from from.")
@click.option("-f", "--format", "output_format", type=click.Choice(("text", "json", "markdown")),
              default="text", show_default=True, help="Report format (markdown: a PR comment).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to this file instead of stdout.")
@click.option("-c", "--config", type=click.Path(dir_okay=False),
              help="Config file (default: the first .gitops-gen.yaml above the first path).")
@click.option("--no-render", is_flag=True, help="Check the files only: do not render Applications.")
@click.option("--charts-dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Chart cache for remote Helm charts [default: ~/.cache/gitops-gen/charts].")
@traceback_option
@click.pass_context
def upgrade_check(ctx, paths, to_version, from_version, blueprint, environment, output_format,
                  output, config, no_render, charts_dir) -> None:
    """What breaks at each minor version from --from to --to: removed and deprecated APIs,
    field and behaviour changes, deprecated Kustomize fields, what blocks the node rotation,
    add-on charts and the EKS calendar, hop by hop; a report per environment version.

    Exit codes: 0 no errors, 1 a hop has an error, 2 usage or input errors.
    """
    from gitops_gen import api
    from gitops_gen.upgrade.report import render

    reports = api.upgrade_check(api.UpgradeCheckOptions(
        paths=tuple(paths), to_version=to_version, from_version=from_version,
        blueprint=blueprint, environment=environment, config=config, charts_dir=charts_dir,
        render=not no_render))
    _emit(render(reports, output_format), output)
    ctx.exit(max(report.exit_code for report in reports))


def _emit(text: str, output: str | None) -> None:
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        click.echo(text, nl=False)


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--target-version", required=True, metavar="X.Y",
              help="Rewrite the apiVersions removed in this Kubernetes version.")
@click.option("--dry-run", is_flag=True, help="Print a unified diff; change nothing.")
@traceback_option
@click.pass_context
def fix(ctx, paths, target_version, dry_run) -> None:
    """Move objects off removed apiVersions, in place, keeping comments and formatting.

    Exit codes: 0 nothing left to do, 1 something to migrate by hand, 2 usage errors.
    """
    from gitops_gen import api
    from gitops_gen.upgrade.report import fix_text

    run = api.fix(api.FixOptions(paths=tuple(paths), target_version=target_version,
                                 dry_run=dry_run))
    click.echo(fix_text(run.files, run.target_version, dry_run), nl=False)
    ctx.exit(run.exit_code)


@click.command("rules")
@click.argument("rule", required=False)
@click.option("-f", "--format", "output_format", type=click.Choice(("text", "markdown", "json")),
              default="text", show_default=True)
@traceback_option
def rules_command(rule, output_format) -> None:
    """List the lint rules, or explain one (by code or name)."""
    from gitops_gen import docs

    click.echo(docs.explain(rule, output_format) if rule else docs.listing(output_format), nl=False)


@click.group()
def charts() -> None:
    """Remote Helm charts of the Argo CD Applications: the local cache an offline lint reads."""


charts_dir_option = click.option(
    "--charts-dir", type=click.Path(file_okay=False), metavar="DIR",
    help="Chart cache [default: $GITOPS_GEN_CHARTS_DIR, else $XDG_CACHE_HOME/gitops-gen/charts, "
         "else ~/.cache/gitops-gen/charts].")


@charts.command("list")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@charts_dir_option
@traceback_option
@click.pass_context
def charts_list(ctx, paths, charts_dir) -> None:
    """Each remote chart the Applications use, and whether it is cached.

    PATH: files or folders of Applications and ApplicationSets (default: .).
    Exit codes: 0 every chart is cached, 1 a chart is missing, 2 usage errors.
    """
    from gitops_gen import api

    run = api.charts_list(api.ChartsOptions(paths=paths or (".",), charts_dir=charts_dir))
    for chart in run.charts:
        where = f" -> {_shown(chart.path)}" if chart.path else ""
        click.echo(_chart_line("cached" if chart.path else "missing", chart.ref) + where)
    count, missing = len(run.charts), sum(chart.path is None for chart in run.charts)
    advice = "; `gitops-gen charts pull` fetches them" if missing else ""
    click.echo(f"{count} chart{'' if count == 1 else 's'}, {missing} missing from "
               f"{_shown(run.charts_dir)}{advice}")
    ctx.exit(run.exit_code)


@charts.command("pull")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@charts_dir_option
@traceback_option
@click.pass_context
def charts_pull(ctx, paths, charts_dir) -> None:
    """Pull the remote charts the Applications use into the chart cache.

    PATH: files or folders of Applications and ApplicationSets (default: .).
    Exit codes: 0 every chart is in the cache, 2 a chart could not be pulled (or usage errors).
    """
    from gitops_gen import api

    run = api.charts_pull(api.ChartsOptions(paths=paths or (".",), charts_dir=charts_dir))
    for result in run.charts:
        outcome = f": {result.error}" if result.error else f" -> {_shown(result.path)}"
        click.echo(_chart_line(result.status, result.ref) + outcome)
    if not run.charts:
        click.echo("no remote Helm charts in " + " ".join(paths or (".",)))
    for line in run.errors:
        click.echo(f"gitops-gen: error: {line}", err=True)
    ctx.exit(run.exit_code)


def _chart_line(status: str, ref) -> str:
    return f"{status:<7} {ref.chart} {ref.version}  {ref.repo_url}"


def _shown(path) -> str:
    """A path with the home folder written as ~."""
    home = os.path.expanduser("~")
    text = str(path)
    return "~" + text[len(home):] if text == home or text.startswith(home + os.sep) else text
