"""The machine report: one JSON document with a versioned, documented schema.

The schema is described in docs/json-format.md. `schemaVersion` changes only when a key is
removed or changes meaning; new keys may appear without a bump.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import gitops_gen
from gitops_gen.lint.model import Problem, Severity

if TYPE_CHECKING:
    from gitops_gen.api import LintRun

SCHEMA_VERSION = 1


def report(run: "LintRun", *, color: bool = False) -> str:
    return dumps_with_compact_list(document(run), "findings")


def dumps_with_compact_list(data: dict[str, Any], key: str) -> str:
    """JSON indented by two spaces, except that each item of the (large) list `data[key]` is
    written on one line: readable, and fast (the C encoder does the items)."""
    items = data[key]
    head = json.dumps({k: v for k, v in data.items() if k != key}, indent=2)
    body = ",\n".join(f"    {json.dumps(item)}" for item in items)
    lines = f"[\n{body}\n  ]" if items else "[]"
    return f"{head[:-2]},\n  {json.dumps(key)}: {lines}\n}}\n"


def document(run: "LintRun") -> dict[str, Any]:
    """The report as plain data (what `report` serialises)."""
    result = run.result
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
        "findings": [_finding(p) for p in result.problems],
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
