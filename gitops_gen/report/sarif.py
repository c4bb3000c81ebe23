"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

`rules[]` lists every registered rule (not only those that fired) in code order, so a result's
`ruleIndex` is stable for a given gitops-gen version. Every result has a real region.
"""

from __future__ import annotations

import functools
import io
import json
import posixpath
from json.encoder import encode_basestring_ascii as quoted
from typing import TYPE_CHECKING, Any, Iterable, Iterator, TextIO
from urllib.parse import quote

import gitops_gen
from gitops_gen.lint.model import (APPLICATION, CODE, COLUMN, FILE, KIND, LINE, MESSAGE, PATH,
                                   RENDERED, SEVERITY, Problem, ProblemRow, Severity)
from gitops_gen.lint.registry import Rule
from gitops_gen.report.json_report import selection
from gitops_gen.report.rows import batches, rows_of

if TYPE_CHECKING:
    from gitops_gen.api import LintRun

SCHEMA_URI = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
              "sarif-schema-2.1.0.json")
INFORMATION_URI = "https://github.com/gitops-gen/gitops-gen"
RULES_DOC_URI = f"{INFORMATION_URI}/blob/main/docs/rules.md"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def report(run: "LintRun", *, color: bool = False) -> str:
    out = io.StringIO()
    write(run, run.result.problems, out)
    return out.getvalue()


def write(run: "LintRun", problems: Iterable[Problem], out: TextIO, *,
          color: bool = False) -> None:
    """Write the log of `run` to `out`, each of `problems` as it comes (read once); compact
    JSON, as `json.dumps` writes it (the C encoder, fast on large runs)."""
    head, tail = json.dumps(document(run, [])).split(_NO_RESULTS, 1)
    out.write(head + '"results": [')
    separator = ""
    for batch in batches(result_texts(rows_of(problems), run)):
        out.write(separator + ", ".join(batch))
        separator = ", "
    out.write("]" + tail + "\n")


_NO_RESULTS = '"results": []'
"""How the empty results list reads in the dumped log: only a key can read so (quotes inside
strings are escaped)."""


def _rule_index(run: "LintRun") -> dict[str, int]:
    return {code: number for number, code in enumerate(sorted(run.rules))}


def document(run: "LintRun", problems: Iterable[Problem] | None = None) -> dict[str, Any]:
    """The SARIF log as plain data (what `report` serialises); `problems` default to the run's."""
    problems = run.result.problems if problems is None else problems
    rules = sorted(run.rules.values(), key=lambda r: r.code)
    index = {rule.code: number for number, rule in enumerate(rules)}
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "gitops-gen",
                "version": gitops_gen.__version__,
                "semanticVersion": gitops_gen.__version__,
                "informationUri": INFORMATION_URI,
                "rules": [_rule(rule) for rule in rules],
            }},
            "invocations": [{"executionSuccessful": True}],
            "columnKind": "unicodeCodePoints",
            "results": [_result(problem, index) for problem in problems],
            **({"properties": {"gitops-gen": selection(run.selection)}}
               if run.selection is not None else {}),
        }],
    }


def _rule(rule: Rule) -> dict[str, Any]:
    summary = rule.summary
    return {
        "id": rule.code,
        "name": pascal_case(rule.name),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": summary},
        "help": {"text": rule.remediation, "markdown": rule.doc},
        "helpUri": f"{RULES_DOC_URI}#{rule.code.lower()}",
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
    }


def _result(problem: Problem, index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": problem.code}
    if problem.code in index:
        result["ruleIndex"] = index[problem.code]
    result["level"] = LEVEL[problem.severity]
    result["message"] = {"text": problem.message}
    result["locations"] = [{"physicalLocation": {
        "artifactLocation": {"uri": artifact_uri(problem.file)},
        "region": {"startLine": max(problem.line, 1), "startColumn": max(problem.column, 1)},
    }}]
    properties: dict[str, Any] = {}
    if problem.resource is not None:
        properties["resource"] = problem.resource.as_dict()
    if problem.path:
        properties["path"] = problem.path
    if problem.application:
        properties["application"] = problem.application
    if problem.rendered:
        properties["rendered"] = problem.rendered
    if properties:
        result["properties"] = properties
    return result


def result_texts(rows: Iterable[ProblemRow], run: "LintRun") -> Iterator[str]:
    """Each finding's result, as `json.dumps` writes `_result` of its problem: the parts a rule,
    a file or a resource repeats are encoded once (per run, per file)."""
    index = _rule_index(run)
    heads: dict[tuple[str, str], str] = {}
    resources: dict[tuple, str] = {}
    current, location = None, ""
    for row in rows:
        code, severity = row[CODE], row[SEVERITY]
        head = heads.get((code, severity))
        if head is None:
            number = f'"ruleIndex": {index[code]}, ' if code in index else ""
            head = heads[code, severity] = (
                f'{{"ruleId": {quoted(code)}, {number}'
                f'"level": {quoted(LEVEL[Severity(severity)])}, "message": {{"text": ')
        if row[FILE] != current:
            current = row[FILE]
            location = ('}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": '
                        f'{quoted(artifact_uri(current))}}}, "region": {{"startLine": ')
            resources.clear()
        properties = []
        if row[KIND] is not None:
            identity = row[6:10]
            resource = resources.get(identity)
            if resource is None:
                resource = resources[identity] = (
                    '"resource": {"apiVersion": %s, "kind": %s, "namespace": %s, "name": %s}'
                    % tuple("null" if v is None else quoted(v) for v in identity))
            properties.append(resource)
        for name, value in (("path", row[PATH]), ("application", row[APPLICATION]),
                            ("rendered", row[RENDERED])):
            if value:
                properties.append(f'"{name}": {quoted(value)}')
        extra = f', "properties": {{{", ".join(properties)}}}' if properties else ""
        yield (f'{head}{quoted(row[MESSAGE])}{location}{max(row[LINE], 1)}, "startColumn": '
               f'{max(row[COLUMN], 1)}}}}}}}]{extra}}}')


@functools.lru_cache(maxsize=4096)
def artifact_uri(file: str) -> str:
    """A file name as a SARIF URI: forward slashes, relative as given, percent-encoded.

    Pseudo-files such as `<stdin>` lose their angle brackets (`stdin`); absolute paths become
    `file://` URIs.
    """
    path = file.replace("\\", "/")
    if path.startswith("<") and path.endswith(">") and len(path) > 2:
        path = path[1:-1]
    if posixpath.isabs(path):
        return "file://" + quote(path)
    if len(path) > 2 and path[1] == ":" and path[2] == "/":  # a Windows drive: C:/x
        return "file:///" + quote(path, safe="/:")
    if path.startswith("./"):
        path = path[2:]
    return quote(path)


def pascal_case(name: str) -> str:
    """`liveness-probe-missing` -> `LivenessProbeMissing`."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("-"))
