"""Reporters: pure functions turning a `LintRun` into the text to write, chosen by name.

Every reporter is ``report(run: LintRun, *, color: bool = False) -> str`` and returns the whole
output, ending with a newline; its streaming twin in `WRITERS` is ``write(run, problems, out, *,
color=False)``, which writes the same text to the stream `out`, reading `problems` (the run's, in
order) once, as they come: the run's counts and stats are known before its problems are read, so
nothing holds every finding. Writers format each finding from its row (`report.rows`): a
streamed run's `problems` (`lint.spool.Problems`) give their rows straight from the spool, and
a parallel run's are formatted by two processes, half each (`report.rows.write_texts`).
Reporters never print and never import Click; the CLI picks one from `REPORTERS` (its keys
feed `click.Choice`).

The modules are imported on first use, so importing this package costs nothing on the
pre-commit path.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, TextIO

if TYPE_CHECKING:
    from gitops_gen.api import LintRun
    from gitops_gen.lint.model import Problem

Reporter = Callable[..., str]
Writer = Callable[..., None]

_MODULES = {
    "text": "text",
    "json": "json_report",
    "sarif": "sarif",
    "github": "github",
    "junit": "junit",
}


def _lazy(module: str) -> Reporter:
    def report(run: "LintRun", *, color: bool = False) -> str:
        return import_module(f"{__name__}.{module}").report(run, color=color)

    report.__name__ = f"{module}_report"
    report.__qualname__ = report.__name__
    report.__doc__ = f"Render a lint run with gitops_gen.report.{module}.report."
    return report


REPORTERS: dict[str, Reporter] = {name: _lazy(module) for name, module in _MODULES.items()}
"""Output format name -> reporter. `auto` is not a key: resolve it with `choose_format`."""


def _lazy_writer(module: str) -> Writer:
    def write(run: "LintRun", problems: Iterable["Problem"], out: TextIO, *,
              color: bool = False) -> None:
        import_module(f"{__name__}.{module}").write(run, problems, out, color=color)

    write.__name__ = write.__qualname__ = f"{module}_write"
    write.__doc__ = f"Write a lint run with gitops_gen.report.{module}.write."
    return write


WRITERS: dict[str, Writer] = {name: _lazy_writer(module) for name, module in _MODULES.items()}
"""Output format name -> streaming writer (same keys and output as `REPORTERS`)."""

AUTO = "auto"
FORMATS = (AUTO, *REPORTERS)
"""Every value `--format` accepts, `auto` first."""


def choose_format(name: str, environ: Mapping[str, str]) -> str:
    """Resolve `auto` to `github` inside GitHub Actions, else `text`; other names pass through.

    Raises ValueError for a name that is neither `auto` nor a key of `REPORTERS`.
    """
    if name == AUTO:
        return "github" if environ.get("GITHUB_ACTIONS") == "true" else "text"
    if name not in REPORTERS:
        raise ValueError(f"unknown output format {name!r}; use one of {', '.join(FORMATS)}")
    return name


def choose_color(environ: Mapping[str, str], isatty: bool) -> bool:
    """Whether the text reporter should use ANSI colours (https://no-color.org conventions).

    `NO_COLOR` (non-empty) turns colour off, `FORCE_COLOR` (non-empty) turns it on, otherwise
    colour follows whether the output is a terminal (and `TERM` is not `dumb`).
    """
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    return isatty and environ.get("TERM") != "dumb"
