"""Stamping findings with code, severity and position; inline ignores and config exclusions."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Iterable

from gitops_gen.lint import yamlparse
from gitops_gen.lint.config import Config, name_matches, path_matches
from gitops_gen.lint.model import (SEVERITY_VALUES, LintResult, Path, Problem, ProblemRow,
                                   Resource, Severity, format_path, problem_row)
from gitops_gen.lint.registry import Rule, resolve
from gitops_gen.lint.resources import IGNORE_PREFIX, ignore_annotations
from gitops_gen.lint.sources import Source

PARSE_ERROR, DUPLICATE_KEY, UNREADABLE_FILE, INVALID_IGNORE, ALIAS_BOMB, INTERNAL_ERROR = (
    "GG001", "GG002", "GG003", "GG004", "GG005", "GG000")
KIND_OR_API_VERSION_MISSING = "GG006"


@dataclass(slots=True, eq=False, repr=False)
class ActiveRule:
    """A rule as configured for this run."""

    rule: Rule
    severity: Severity
    options: dict[str, Any]


def activate(rules: dict[str, Rule], config: Config, select: Iterable[str] = (),
             disable: Iterable[str] = (),
             run_defaults: dict[str, Any] | None = None) -> dict[str, ActiveRule]:
    """The rules this run applies, by code: config first, then `select`/`disable` from the CLI.

    An option left at None takes the run's value of the same name from `run_defaults`
    (e.g. `target-version` from `--target-version`).
    """
    selected = {resolve(r, rules).code for r in select} if select else None
    disabled = {resolve(r, rules).code for r in disable}
    active: dict[str, ActiveRule] = {}
    for code, rule in rules.items():
        setting = config.rules.get(code)
        enabled = (setting.enabled if setting and setting.enabled is not None
                   else rule.default_enabled)
        if selected is not None:
            enabled = code in selected
        if not enabled or code in disabled:
            continue
        options = rule.defaults()
        if setting:
            options.update(setting.options)
        for name, value in (run_defaults or {}).items():
            if name in options and options[name] is None:
                options[name] = value
        severity = setting.severity if setting and setting.severity else rule.severity
        active[code] = ActiveRule(rule, severity, options)
    return active


@dataclass(slots=True, eq=False, repr=False)
class Pending:
    """A finding not yet placed: positions are looked up only for findings that survive."""

    active: ActiveRule
    message: str
    path: Path
    key: bool
    resource: Resource


class Stamping:
    """The engine's part that turns pending findings into Problems (a base class of Engine)."""

    rules: dict[str, Rule]
    active: dict[str, ActiveRule]
    config: Config
    inline_ignores: bool
    result: LintResult
    rows: list[ProblemRow] | None = None
    """While a chunk is linted: its problems as rows, made without a Problem where none is
    needed; else None (problems go to `result.problems`)."""

    def _keep(self, problem: Problem) -> None:
        if self.rows is not None:
            self.rows.append(problem_row(problem))
        else:
            self.result.problems.append(problem)

    def _place(self, pending: list[Pending], parsed: yamlparse.ParsedYaml | None) -> None:
        """Stamp and position findings; without `parsed`, only those at known positions."""
        exclusions = self.config.exclusions
        rows = self.rows
        for item in pending:
            resource = item.resource
            positions = resource.positions
            known = positions.get((item.path, item.key)) if positions else None
            if parsed is None and known is None:
                continue
            active = item.active
            rule = active.rule
            code = rule.code
            if (resource.ignores or exclusions) and self._suppressed(code, resource):
                self.result.suppressed += 1
                continue
            path = resource.base + item.path if resource.base else item.path
            line, column = known or parsed.locate(resource.document, path, item.key)
            if rows is not None and resource.placement is None:  # the row `problem_row` makes
                rid = resource.id
                rows.append((resource.file, line, column, code, item.message,
                             SEVERITY_VALUES[active.severity], rid.api_version, rid.kind,
                             rid.namespace, rid.name, format_path(path), None, None))
                continue
            problem = Problem(code, rule.name, active.severity, item.message, rule.remediation,
                              resource.file, line, column, resource.id, format_path(path))
            if resource.placement is not None:
                problem = resource.placement.relocate(problem, resource.body or None, path)
            self._keep(problem)

    def _suppressed(self, code: str, resource: Resource) -> bool:
        if self.inline_ignores and code in resource.ignores and code != INVALID_IGNORE:
            return True
        for exclusion in self.config.exclusions:
            if exclusion.rules and code not in exclusion.rules:
                continue
            if exclusion.paths and not path_matches(exclusion.paths, self._config_path(resource.file)):
                continue
            if exclusion.kinds and not name_matches(exclusion.kinds, resource.kind):
                continue
            if exclusion.namespaces and not name_matches(exclusion.namespaces, resource.namespace):
                continue
            if exclusion.names and not name_matches(exclusion.names, resource.name):
                continue
            return True
        return False

    def _excluded(self, source: Source) -> bool:
        if not self.config.exclusions:
            return False
        relative = self._config_path(source.name)
        if any(e.whole_files and path_matches(e.paths, relative) for e in self.config.exclusions):
            self.result.skipped_files.append((source.name, "excluded by config"))
            return True
        return False

    def _config_path(self, name: str) -> str:
        """A file's path relative to the config's folder, as exclusion globs are written."""
        absolute = os.path.abspath(name)
        relative = os.path.relpath(absolute, self.config.root)
        return (absolute if relative.startswith("..") else relative).replace(os.sep, "/")

    def _input_problem(self, code: str, file: str, message: str, line: int, column: int) -> None:
        active = self.active.get(code)
        if active is None:
            return
        if self.config.exclusions and any(
                e.paths and not (e.kinds or e.namespaces or e.names)
                and (not e.rules or code in e.rules)
                and path_matches(e.paths, self._config_path(file))
                for e in self.config.exclusions):
            self.result.suppressed += 1
            return
        rule = active.rule
        self._keep(Problem(
            code=code, name=rule.name, severity=active.severity, message=message,
            remediation=rule.remediation, file=file, line=line, column=column))

    def _internal_error(self, rule: Rule, error: Exception, resource: Resource) -> Pending:
        active = self.active.get(INTERNAL_ERROR) or ActiveRule(
            self.rules[INTERNAL_ERROR], Severity.ERROR, {})
        return Pending(active, f"rule {rule.code} ({rule.name}) failed on this object: "
                        f"{type(error).__name__}: {error}", (), False, resource)

    def _inline_ignore_problems(self, resource: Resource) -> Iterable[Pending]:
        """Read the ignore annotations into `resource.ignores`; flag bad ones."""
        active = self.active.get(INVALID_IGNORE)
        for path, key, reason in ignore_annotations(resource.body):
            reference = key[len(IGNORE_PREFIX):]
            rule = resolve(reference, self.rules)
            if rule is None:
                message = f"inline ignore names unknown rule {reference!r}"
            elif not isinstance(reason, str) or not reason.strip():
                message = f"inline ignore of {rule.code} ({rule.name}) gives no reason"
            else:
                resource.ignores[rule.code] = reason
                continue
            if active:
                yield Pending(active, message, path, True, resource)
