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
from gitops_gen.lint.model import Problem, ProblemRow, Severity
from gitops_gen.lint.registry import Rule
from gitops_gen.report.json_report import selection
from gitops_gen.report.rows import write_texts

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
    write_texts(out, problems, lambda rows: result_texts(rows, run), ", ")
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
    heads: dict[str, tuple[str, str]] = {}  # code: severity, the text before the message
    properties: dict[tuple, str] = {}
    current, location = None, ""
    for (file, line, column, code, message, severity, api_version, kind, namespace, name, path,
         application, rendered) in rows:  # the row's layout (model.ProblemRow), in one step
        head = heads.get(code)
        if head is None or head[0] != severity:
            number = f'"ruleIndex": {index[code]}, ' if code in index else ""
            head = heads[code] = (severity, f'{{"ruleId": {quoted(code)}, {number}'
                                  f'"level": {quoted(LEVEL[Severity(severity)])}, '
                                  '"message": {"text": ')
        if file != current:
            current = file
            location = ('}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": '
                        f'{quoted(artifact_uri(current))}}}, "region": {{"startLine": ')
            properties.clear()
        about = (api_version, kind, namespace, name, path, application, rendered)
        extra = properties.get(about)
        if extra is None:
            extra = properties[about] = _properties_text(*about)
        yield (f'{head[1]}{quoted(message)}{location}{line if line > 1 else 1}, "startColumn": '
               f'{column if column > 1 else 1}}}}}}}]{extra}}}')


def _properties_text(api_version: str | None, kind: str | None, namespace: str | None,
                     name: str | None, path: str, application: str | None,
                     rendered: str | None) -> str:
    """A result's `"properties"` as `json.dumps` writes them (after a comma), or nothing."""
    properties = []
    if kind is not None:
        properties.append(
            '"resource": {"apiVersion": %s, "kind": %s, "namespace": %s, "name": %s}'
            % tuple("null" if v is None else quoted(v)
                    for v in (api_version, kind, namespace, name)))
    for key, value in (("path", path), ("application", application), ("rendered", rendered)):
        if value:
            properties.append(f'"{key}": {quoted(value)}')
    return f', "properties": {{{", ".join(properties)}}}' if properties else ""


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
