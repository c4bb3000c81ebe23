"""The API behind the CLI: plain functions taking an options dataclass, returning results."""

from __future__ import annotations

from dataclasses import dataclass

from gitops_gen.errors import UserError
from gitops_gen.lint.config import FAIL_ON, Config, find_config, load_config
from gitops_gen.lint.model import LintResult, Severity
from gitops_gen.lint.registry import Rule, load_rules, resolve, suggest

DEFAULT_FAIL_ON = "error"


@dataclass(frozen=True)
class LintOptions:
    paths: tuple[str, ...]
    config: str | None = None
    fail_on: str | None = None
    inline_ignores: bool = True
    select: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    stdin_text: str | None = None
    stdin_name: str = "<stdin>"


@dataclass(frozen=True)
class LintRun:
    result: LintResult
    rules: dict[str, Rule]
    config_file: str | None
    fail_on: str
    exit_code: int


def lint(options: LintOptions) -> LintRun:
    """Lint the given paths; the exit code says whether findings reach `fail_on`."""
    from gitops_gen.lint.engine import Engine, activate
    from gitops_gen.lint.sources import discover

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
    active = activate(rules, config, options.select, options.disable)
    result = Engine(rules, active, config, options.inline_ignores).run(
        sources, skipped, options.stdin_text)
    fail_on = options.fail_on or config.fail_on or DEFAULT_FAIL_ON
    return LintRun(result, rules, config_file, fail_on, exit_code(result, fail_on))


def exit_code(result: LintResult, fail_on: str) -> int:
    """1 when a finding is at or above `fail_on` ('never' never fails), else 0."""
    if fail_on == "never":
        return 0
    threshold = Severity(fail_on).rank
    return int(any(p.severity.rank >= threshold for p in result.problems))


def _first_config(paths: tuple[str, ...]) -> str | None:
    start = next((p for p in paths if p != "-"), ".")
    return find_config(start)


def rules() -> dict[str, Rule]:
    """Every registered rule by code."""
    return load_rules()
