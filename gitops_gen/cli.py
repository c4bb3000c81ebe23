"""The command line: Click parses options into dataclasses and calls `gitops_gen.api`."""

from __future__ import annotations

import contextlib
import os
import sys

import click

from gitops_gen import __version__
from gitops_gen.errors import GitopsGenError

from gitops_gen.lint.config import FAIL_ON
from gitops_gen.report import FORMATS, choose_color, choose_format

_COMMANDS_ELSEWHERE = {"charts": "charts", "fix": "fix", "init": "init",
                       "merge-reports": "merge_reports", "render": "render",
                       "rules": "rules_command", "upgrade-check": "upgrade_check"}
"""Commands of `gitops_gen.cli_commands`, by name: their function there."""


class _Group(click.Group):
    """Turns errors into one line on stderr and exit code 2; `--traceback` shows the trace.

    `lint` is defined here; the other commands, in `gitops_gen.cli_commands`, are imported
    when one of them runs or the commands are listed (a pre-commit lint does not build them).
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_COMMANDS_ELSEWHERE})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in _COMMANDS_ELSEWHERE and name not in self.commands:
            from gitops_gen import cli_commands

            self.add_command(getattr(cli_commands, _COMMANDS_ELSEWHERE[name]), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GitopsGenError as error:
            if _wants_traceback(ctx):
                raise
            for line in getattr(error, "lines", lambda: [str(error)])():
                click.echo(f"gitops-gen: error: {line}", err=True)
            ctx.exit(2)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:  # Ctrl-C: the shell's convention, 128 + SIGINT
            click.echo("gitops-gen: interrupted", err=True)
            ctx.exit(130)
        except Exception as error:  # a bug: say so in one line unless asked for the trace
            if _wants_traceback(ctx):
                raise
            click.echo(f"gitops-gen: internal error: {type(error).__name__}: {error} "
                       "(rerun with --traceback and report it)", err=True)
            ctx.exit(2)


def _wants_traceback(ctx: click.Context) -> bool:
    return bool(ctx.meta.get("traceback")) or "--traceback" in sys.argv


def _set_traceback(ctx: click.Context, _param, value: bool) -> bool:
    if value:
        ctx.meta["traceback"] = True
    return value


traceback_option = click.option(
    "--traceback", is_flag=True, expose_value=False, is_eager=True, callback=_set_traceback,
    help="Show the Python traceback of an error.")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gitops-gen")
@traceback_option
def main() -> None:
    """Render and lint a GitOps repository for Kubernetes on EKS."""


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("-c", "--config", type=click.Path(dir_okay=False),
              help="Config file (default: the first .gitops-gen.yaml above the first path).")
@click.option("-f", "--format", "output_format", type=click.Choice(FORMATS), default="auto",
              show_default=True, help="Report format; auto is github under GitHub Actions.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default=None,
              help="Exit 1 when a finding is at or above this severity [default: error].")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to this file instead of stdout.")
@click.option("--sarif-output", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="Also write a SARIF report to FILE (for code scanning), whatever --format is.")
@click.option("--select", multiple=True, metavar="RULE",
              help="Run only these rules (code or name; repeatable).")
@click.option("--disable", multiple=True, metavar="RULE",
              help="Do not run these rules (code or name; repeatable).")
@click.option("--no-inline-ignores", is_flag=True,
              help="Ignore `ignore.gitops-gen.io/<rule>` annotations.")
@click.option("--stdin-filename", default="<stdin>", show_default=True,
              help="Name used for findings when a path is `-`.")
@click.option("--color/--no-color", default=None,
              help="Colour the text report [default: when stdout is a terminal].")
@click.option("--k8s-version", metavar="X.Y",
              help="Kubernetes version of the schemas [default: the newest EKS offers].")
@click.option("--target-version", metavar="X.Y",
              help="Version to check removed/deprecated APIs against [default: --k8s-version].")
@click.option("--strict/--no-strict", default=None,
              help="Unknown fields are errors (--no-strict accepts them) [default: strict].")
@click.option("--crd", "crds", multiple=True, type=click.Path(exists=True), metavar="PATH",
              help="CRD manifests (files or folders) to validate custom resources against.")
@click.option("--schema-location", "schema_locations", multiple=True, metavar="TEMPLATE",
              help="Local folder or kubeconform-style path template of JSON schemas.")
@click.option("--ignore-missing-schemas", is_flag=True,
              help="Do not report objects whose kind has no schema (SCH003).")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=0, show_default=True,
              help="Processes to lint with; 0 means one per core that other work leaves idle "
                   "(one process under 8 MB of YAML).")
@click.option("--no-render", is_flag=True,
              help="Lint the files as they are: do not render Argo CD Applications.")
@click.option("--charts-dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Chart cache for remote Helm charts [default: ~/.cache/gitops-gen/charts].")
@click.option("--no-progress", is_flag=True,
              help="No progress bar (shown on a terminal's stderr when a run takes over 1 s).")
@click.option("--changed-since", metavar="REF",
              help="Lint only what changed since this Git ref (and uncommitted changes): changed "
                   "files and the Applications whose render reads them.")
@click.option("--shard", metavar="I/N",
              help="Lint only shard I of N (Applications and files, split deterministically); "
                   "`gitops-gen merge-reports` joins the shards' reports.")
@traceback_option
@click.pass_context
def lint(ctx, paths, config, output_format, fail_on, output, sarif_output, select, disable,
         no_inline_ignores, stdin_filename, color, k8s_version, target_version, strict, crds,
         schema_locations, ignore_missing_schemas, jobs, no_render, charts_dir,
         no_progress, changed_since, shard) -> None:
    """Lint Kubernetes manifests: files, folders (recursive) or - for stdin.

    Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage, config or input errors.
    """
    from gitops_gen import api
    from gitops_gen.lint.sources import read_stdin
    from gitops_gen.report import WRITERS

    bar = None if no_progress else _progress_bar()
    options = api.LintOptions(
        paths=tuple(paths), config=config, fail_on=fail_on,
        inline_ignores=not no_inline_ignores, select=tuple(select), disable=tuple(disable),
        stdin_text=read_stdin(sys.stdin.buffer) if "-" in paths else None,
        stdin_name=stdin_filename, k8s_version=k8s_version, target_version=target_version,
        strict=strict, crds=tuple(crds), schema_locations=tuple(schema_locations),
        ignore_missing_schemas=ignore_missing_schemas or None, jobs=jobs,
        render=not no_render, charts_dir=charts_dir, progress=bar, changed_since=changed_since,
        shard=_shard(shard))
    chosen = choose_format(output_format, os.environ)
    if color is None:
        color = choose_color(os.environ, output is None and sys.stdout.isatty())
    try:
        streamed = api.lint_streamed(options)
    finally:
        if bar is not None:
            bar.close()
    with streamed:
        problems = streamed.problems()  # read again by each report
        if sarif_output:
            with open(sarif_output, "w", encoding="utf-8") as handle:
                WRITERS["sarif"](streamed.run, problems, handle)
        with (open(output, "w", encoding="utf-8") if output
              else contextlib.nullcontext(sys.stdout)) as handle:
            WRITERS[chosen](streamed.run, problems, handle, color=color and chosen == "text")
    ctx.exit(streamed.run.exit_code)


def _progress_bar():
    """A progress bar on stderr when stderr is a terminal (not a dumb one), else None."""
    if not _stderr_is_terminal() or os.environ.get("TERM") == "dumb":
        return None
    from gitops_gen.progress import ProgressBar

    return ProgressBar(sys.stderr)


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def _shard(text: str | None):
    """`--shard I/N` as a gitops_gen.lint.select.Shard (None without it)."""
    if text is None:
        return None
    from gitops_gen.lint.select import Shard

    return Shard.parse(text)
