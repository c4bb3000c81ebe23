"""JUnit XML for CI test-report views: one test case per file, one <failure> per finding.

    <testsuites name="gitops-gen" tests="3" failures="1" errors="0" skipped="1">
      <testsuite name="gitops-gen" tests="3" failures="1" errors="0" skipped="1">
        <testcase classname="deploy/app.yaml" name="deploy/app.yaml">
          <failure message="K8S209 image-unpinned: container ..." type="error">12:7 ...</failure>
        </testcase>
        <testcase classname="gitops-gen" name="other files" />
        <testcase classname="charts/x/templates" name="charts/x/templates"><skipped .../></testcase>
      </testsuite>
    </testsuites>

Clean files are passing test cases; linted files a result counts without naming them are one
passing case, `other files`. Skipped files are skipped cases.
`failures` counts failing test cases (files), as JUnit readers expect, not findings.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from gitops_gen.lint.model import Problem

if TYPE_CHECKING:
    from gitops_gen.api import LintRun

SUITE = "gitops-gen"
CLEAN_CASE = "other files"
# Characters XML 1.0 cannot carry at all; ElementTree would write them and break the file.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def report(run: "LintRun", *, color: bool = False) -> str:
    result = run.result
    by_file: dict[str, list[Problem]] = {}
    for problem in result.problems:
        by_file.setdefault(problem.file, []).append(problem)

    cases: list[ET.Element] = []
    for file, problems in by_file.items():
        case = _case(file, file)
        for problem in problems:
            failure = ET.SubElement(case, "failure", {
                "message": _clean(f"{problem.code} {problem.name}: {problem.message}"),
                "type": problem.severity.value,
            })
            failure.text = _clean(_body(problem))
        cases.append(case)
    clean_files = [f for f in result.linted_files if f not in by_file]
    cases.extend(_case(file, file) for file in clean_files)
    clean = result.files - len(by_file) - len(clean_files)
    if clean > 0:
        case = _case(SUITE, CLEAN_CASE)
        ET.SubElement(case, "system-out").text = (
            f"{clean} linted file{'' if clean == 1 else 's'} had no findings")
        cases.append(case)
    for file, reason in result.skipped_files:
        case = _case(file, file)
        ET.SubElement(case, "skipped", {"message": _clean(reason)})
        cases.append(case)

    counts = {"tests": str(len(cases)), "failures": str(len(by_file)), "errors": "0",
              "skipped": str(len(result.skipped_files))}
    root = ET.Element("testsuites", {"name": SUITE, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": SUITE, **counts})
    suite.extend(cases)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _case(classname: str, name: str) -> ET.Element:
    return ET.Element("testcase", {"classname": _clean(classname), "name": _clean(name)})


def _body(problem: Problem) -> str:
    where = f"{problem.file}:{problem.line}:{problem.column}"
    lines = [f"{where}  {problem.subject}" if problem.subject else where]
    if problem.path:
        lines.append(f"path: {problem.path}")
    lines.append(f"fix: {problem.remediation}")
    return "\n".join(lines)


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
