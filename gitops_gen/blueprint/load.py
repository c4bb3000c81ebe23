"""Reading a blueprint: YAML with positions, the JSON Schema, then what the schema cannot say.

Every problem points at `file:line:col` with a hint (the allowed values, "did you mean", what a
pattern means in words: `schema_words.py`). All problems of a stage are collected and raised
together as one `BlueprintError`, sorted in document order: its `str()` is the first, `errors`
holds them all and `lines()` formats each on one line. The stages are: YAML (syntax, duplicate
keys), the JSON Schema (`schema.json`, compiled once), then the semantic checks (`checks.py`),
which only run on data the schema accepts, with what cannot work on EKS (`refusals.py`).
Warnings do not stop the load: they are returned on `Blueprint.warnings`, and `warning_line`
formats one.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from datetime import date
from typing import Any, Iterable, NamedTuple

from gitops_gen.blueprint import model
from gitops_gen.blueprint.checks import Checker
from gitops_gen.blueprint.layers import Path
from gitops_gen.blueprint.model import Blueprint
from gitops_gen.blueprint.refusals import refusals
from gitops_gen.blueprint.schema_words import explain, shown_value, validator
from gitops_gen.errors import UserError
from gitops_gen.lint import yamlparse

MAX_ERRORS = 200
"""More problems than this are cut short with a last line saying how many were left out."""



class Problem(NamedTuple):
    message: str
    line: int | None
    column: int | None
    hint: str | None = None


def warning_line(problem: Problem, file: str | None) -> str:
    """A warning as one `file:line:col: warning: message (hint)` line."""
    where = UserError("", file=file, line=problem.line, column=problem.column)
    text = f"{str(where).rstrip()} warning: {problem.message}"
    return text + (f" ({problem.hint})" if problem.hint else "")


class BlueprintError(UserError):
    """Problems of one blueprint file; `str()` is the first, `errors` has all, in file order."""

    def __init__(self, errors: Iterable[Problem], file: str | None = None) -> None:
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.message, file=file, line=first.line, column=first.column,
                         hint=first.hint)

    def lines(self) -> list[str]:
        """Every problem as one `file:line:col: message (hint)` line."""
        return [str(UserError(p.message, file=self.file, line=p.line, column=p.column,
                              hint=p.hint)) for p in self.errors]


# -- entry points


def load_blueprint(path: str, *, today: date | None = None) -> Blueprint:
    """Read, validate and resolve the blueprint file at `path`; BlueprintError on any error.
    `today` (default: the date today) dates the EKS support checks; warnings are on the
    Blueprint's `warnings`."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise BlueprintError([Problem(f"cannot read blueprint: {reason}", None, None,
                                      "give the path of a blueprint.yaml (gitops-gen init "
                                      "writes one)")], file=path) from None
    return parse_blueprint(text, file=path, today=today)


def parse_blueprint(text: str, file: str = "<blueprint>", *,
                    today: date | None = None) -> Blueprint:
    """Validate and resolve blueprint YAML given as text; `file` names it in errors."""
    parsed = yamlparse.parse(text)
    report = Report(parsed, file)
    for problem in parsed.problems:
        hint = "a key may appear only once" if problem.kind == "duplicate-key" else "fix the YAML"
        message = problem.message.replace("; the last value wins", "")
        report.at(problem.line, problem.column, message, hint)
    report.raise_if_any()
    documents = [(i, d) for i, d in enumerate(parsed.documents) if d is not None]
    if not documents:
        report.at(1, 1, "the blueprint is empty",
                  "start from a preset: gitops-gen init --preset eks-minimal")
        report.raise_if_any()
    if len(documents) > 1:
        line, column = parsed.locate(documents[1][0], ())
        report.at(line, column, "a blueprint is a single YAML document",
                  "remove the '---' and merge the documents")
        report.raise_if_any()
    index, data = documents[0]
    report.document = index
    if not isinstance(data, dict):
        report.add((), "the blueprint must be a mapping that starts with "
                   f"apiVersion: {model.API_VERSION}", "start from gitops-gen init")
        report.raise_if_any()
    _check_format(data, report)
    report.raise_if_any()
    data = _string_keys(data)
    written = functools.partial(parsed.scalar_text, index)
    explained = [(type(error.kind).__name__, problem) for error in validator().iter_errors(data)
                 for problem in explain(error, data, written)]
    # one problem per value: a wrong type says it all (a list is also "not one of" the enum)
    mistyped = {problem[0] for kind, problem in explained if kind == "Type"}
    for kind, (path, key, message, hint) in explained:
        if kind in ("Type", "Required", "AdditionalProperties") or key or path not in mistyped:
            report.add(path, message, hint, key)
    report.raise_if_any()
    blueprint = model.build(data, file=file,
                            locator=lambda path, key=False: parsed.locate(index, path, key))
    Checker(data, blueprint, report).run()
    for refusal in refusals(blueprint, today or date.today()):
        if refusal.warning:
            report.warn(refusal.path, refusal.message, refusal.hint, refusal.key)
        else:
            report.add(refusal.path, refusal.message, refusal.hint, refusal.key)
    report.raise_if_any()
    return dataclasses.replace(blueprint, warnings=tuple(report.warnings()))


def _check_format(data: dict, report: Report) -> None:
    """apiVersion and kind first: a file of another format gets one clear error, not fifty."""
    expected = {"apiVersion": model.API_VERSION, "kind": model.KIND}
    opening = "a blueprint starts with apiVersion: gitops-gen/v1alpha1 and kind: Blueprint"
    for key, value in expected.items():
        if key not in data:
            report.add((), f"missing {key}: this is not a gitops-gen blueprint", opening)
        elif data[key] != value:
            report.add((key,), f"unsupported {key} {shown_value(data[key])}",
                       f"this gitops-gen reads {key}: {value}")


# -- collecting problems


class Report:
    def __init__(self, parsed: yamlparse.ParsedYaml, file: str) -> None:
        self.parsed = parsed
        self.file = file
        self.document = 0
        self.found: list[tuple[tuple[int, int], int, Problem]] = []
        self.seen: set[tuple] = set()
        self.warned: list[Problem] = []

    def add(self, path: Path, message: str, hint: str | None = None, key: bool = False) -> None:
        line, column = self.parsed.locate(self.document, path, key)
        self.at(line, column, message, hint)

    def at(self, line: int, column: int, message: str, hint: str | None = None) -> None:
        if (line, column, message) in self.seen:
            return
        self.seen.add((line, column, message))
        self.found.append(((line, column), len(self.found), Problem(message, line, column, hint)))

    def warn(self, path: Path, message: str, hint: str | None = None, key: bool = False) -> None:
        line, column = self.parsed.locate(self.document, path, key)
        self.warned.append(Problem(message, line, column, hint))

    def warnings(self) -> list[Problem]:
        """The warnings in file order."""
        return sorted(self.warned, key=lambda p: (p.line, p.column))

    def raise_if_any(self) -> None:
        if not self.found:
            return
        problems = [problem for _, _, problem in sorted(self.found)]
        if len(problems) > MAX_ERRORS:
            left = len(problems) - MAX_ERRORS
            problems = problems[:MAX_ERRORS] + [Problem(
                f"... and {left} more problem{'s' if left > 1 else ''}", None, None,
                "fix these first")]
        raise BlueprintError(problems, file=self.file)


def _string_keys(value: Any) -> Any:
    """Mapping keys as JSON strings (1 -> "1", true -> "true"), the way Helm reads YAML keys."""
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _string_keys(v) for k, v in value.items()}
        return {(k if isinstance(k, str) else json.dumps(k)): _string_keys(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_string_keys(v) for v in value]
    return value
