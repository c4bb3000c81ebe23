"""The machine report: one JSON document with a versioned, documented schema.

The schema is described in docs/json-format.md. `schemaVersion` changes only when a key is
removed or changes meaning; new keys may appear without a bump.
"""

from __future__ import annotations

import io
import json
from json.encoder import encode_basestring_ascii as quoted
from typing import TYPE_CHECKING, Any, Iterable, Iterator, TextIO

import gitops_gen
from gitops_gen.lint.model import Problem, ProblemRow, Severity
from gitops_gen.report.rows import write_texts

if TYPE_CHECKING:
    from gitops_gen.api import LintRun

SCHEMA_VERSION = 1


def report(run: "LintRun", *, color: bool = False) -> str:
    out = io.StringIO()
    write(run, run.result.problems, out)
    return out.getvalue()


def write(run: "LintRun", problems: Iterable[Problem], out: TextIO, *,
          color: bool = False) -> None:
    """Write the document of `run` to `out`, each of `problems` as it comes (read once)."""
    _write_head(document(run, []), "findings", out)
    if write_texts(out, problems, lambda rows: finding_texts(rows, run.rules), _SEPARATOR,
                   first=_OPEN_LIST.__add__):
        out.write(_CLOSE_LIST)
    else:
        out.write(_EMPTY_LIST)


def dumps_with_compact_list(data: dict[str, Any], key: str) -> str:
    """JSON indented by two spaces, except that each item of the (large) list `data[key]` is
    written on one line: readable, and fast (the C encoder does the items)."""
    out = io.StringIO()
    _write_head(data, key, out)
    items = data[key]
    out.write(_OPEN_LIST + _SEPARATOR.join(map(json.dumps, items)) + _CLOSE_LIST if items
              else _EMPTY_LIST)
    return out.getvalue()


_OPEN_LIST, _SEPARATOR, _CLOSE_LIST, _EMPTY_LIST = "[\n    ", ",\n    ", "\n  ]\n}\n", "[]\n}\n"
"""The compact list (the document's last key) as it opens, between items, as it closes."""


def _write_head(data: dict[str, Any], key: str, out: TextIO) -> None:
    """`data` without `key`, indented by two spaces, then `key` (its list comes next)."""
    text = json.dumps({k: v for k, v in data.items() if k != key}, indent=2)
    out.write(f"{text[:-2]},\n  {json.dumps(key)}: ")


def document(run: "LintRun", problems: Iterable[Problem] | None = None) -> dict[str, Any]:
    """The report as plain data (what `report` serialises); `problems` default to the run's."""
    result = run.result
    problems = result.problems if problems is None else problems
    return {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": "gitops-gen", "version": gitops_gen.__version__},
        "summary": {
            "files": result.files,
            "resources": result.resources,
            "skippedDocuments": result.skipped_documents,
            "suppressed": result.suppressed,
            "errors": result.count(Severity.ERROR),
            "warnings": result.count(Severity.WARNING),
            "info": result.count(Severity.INFO),
            "failOn": run.fail_on,
            "exitCode": run.exit_code,
            "kubernetesVersion": result.k8s_version,
            "targetVersion": result.target_version,
            "applications": result.applications,
        },
        "skippedFiles": [{"file": name, "reason": reason} for name, reason in result.skipped_files],
        "selection": selection(run.selection),
        "findings": [_finding(p) for p in problems],
    }


def selection(chosen: Any) -> dict[str, Any] | None:
    """What a changed-only or sharded run linted (lint.select.Selection), or None."""
    if chosen is None:
        return None
    changes = chosen.changes
    return {
        "shard": str(chosen.shard) if chosen.shard else None,
        "changedSince": changes.ref if changes is not None else None,
        "changedFiles": list(chosen.changed),
        "files": list(chosen.files),
        "applications": [{"name": name, "reason": reason or None}
                         for name, reason in sorted(chosen.applications.items())],
        "description": chosen.describe(),
    }


def _finding(problem: Problem) -> dict[str, Any]:
    return {
        "code": problem.code,
        "name": problem.name,
        "severity": problem.severity.value,
        "message": problem.message,
        "remediation": problem.remediation,
        "file": problem.file,
        "line": problem.line,
        "column": problem.column,
        "path": problem.path or None,
        "resource": problem.resource.as_dict() if problem.resource is not None else None,
        "application": problem.application,
        "rendered": problem.rendered,
    }


def finding_texts(rows: Iterable[ProblemRow], rules: dict) -> Iterator[str]:
    """Each finding's JSON, as `json.dumps` writes `_finding` of its problem: the parts a rule,
    a file, a resource or a path repeats are encoded once (per run, per file: what is kept
    does not grow with the run)."""
    heads: dict[str, tuple[str, str, str]] = {}  # code: severity, the text around the message
    resources: dict[tuple, str] = {}
    paths: dict[str, str] = {}
    current, file_text = None, ""
    for (file, line, column, code, message, severity, api_version, kind, namespace, name, path,
         application, rendered) in rows:  # the row's layout (model.ProblemRow), in one step
        head = heads.get(code)
        if head is None or head[0] != severity:
            rule = rules[code]
            head = heads[code] = (
                severity,
                f'{{"code": {quoted(code)}, "name": {quoted(rule.name)}, '
                f'"severity": {quoted(severity)}, "message": ',
                f', "remediation": {quoted(rule.remediation)}, "file": ')
        if file != current:
            current, file_text = file, quoted(file)
            resources.clear()
            paths.clear()
        if kind is None:
            resource = "null"
        else:
            identity = (api_version, kind, namespace, name)
            resource = resources.get(identity)
            if resource is None:
                resource = resources[identity] = (
                    '{"apiVersion": %s, "kind": %s, "namespace": %s, "name": %s}'
                    % tuple(map(_json_value, identity)))
        if not path:
            path_text = "null"
        else:
            path_text = paths.get(path)
            if path_text is None:
                path_text = paths[path] = quoted(path)
        yield (f'{head[1]}{quoted(message)}{head[2]}{file_text}, "line": {line}, '
               f'"column": {column}, "path": {path_text}, "resource": {resource}, '
               f'"application": {"null" if application is None else quoted(application)}, '
               f'"rendered": {"null" if rendered is None else quoted(rendered)}}}')


def _json_value(value: str | None) -> str:
    return "null" if value is None else quoted(value)
