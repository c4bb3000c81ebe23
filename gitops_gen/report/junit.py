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

import io
import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Iterable, Iterator, TextIO

from gitops_gen.lint.model import (CODE, COLUMN, FILE, LINE, MESSAGE, PATH, SEVERITY, Problem,
                                   ProblemRow)
from gitops_gen.report.rows import subject, write_texts

if TYPE_CHECKING:
    from gitops_gen.api import LintRun

SUITE = "gitops-gen"
CLEAN_CASE = "other files"
# Characters XML 1.0 cannot carry at all; ElementTree would write them and break the file.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def report(run: "LintRun", *, color: bool = False) -> str:
    out = io.StringIO()
    write(run, run.result.problems, out)
    return out.getvalue()


def write(run: "LintRun", problems: Iterable[Problem], out: TextIO, *,
          color: bool = False) -> None:
    """Write the XML of `run` to `out`, a file's test case as soon as its problems (in order,
    read once, a file's adjacent) are read; the counts come from the run's stats."""
    result = run.result
    failing = result.summary().files
    clean_files = [f for f in result.linted_files if f not in failing]
    clean = result.files - len(failing) - len(clean_files)
    tests = len(failing) + len(clean_files) + (clean > 0) + len(result.skipped_files)
    counts = {"tests": str(tests), "failures": str(len(failing)), "errors": "0",
              "skipped": str(len(result.skipped_files))}
    root = ET.Element("testsuites", {"name": SUITE, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": SUITE, **counts})
    if tests:
        ET.SubElement(suite, _MARK)
    ET.indent(root)
    head, tail = ET.tostring(root, encoding="unicode", xml_declaration=True).split(
        f"<{_MARK} />") if tests else (ET.tostring(root, encoding="unicode",
                                                  xml_declaration=True), "")
    out.write(head)
    written = write_texts(out, problems, lambda rows: _failing_cases(rows, run.rules), "",
                          first=_after_close)  # no case to close before the first
    if written:
        out.write(_CLOSE.rstrip())
    for number, case in enumerate(_trailing_cases(clean_files, clean, result.skipped_files)):
        ET.indent(case, level=2)
        text = ET.tostring(case, encoding="unicode")
        out.write(text if not written and number == 0 else "\n    " + text)
    out.write(tail + "\n")


_MARK = "cases"
_CLOSE = "\n    </testcase>\n    "
"""What ends a file's test case and leads to the next one."""


def _after_close(text: str) -> str:
    return text[len(_CLOSE):]


def _failing_cases(rows: Iterable[ProblemRow], rules: dict) -> Iterator[str]:
    """The test cases of the files with findings, as ElementTree writes them indented: a
    file's case begins by closing the case before it (`_CLOSE`), each `failure` ends the case
    or begins the next failure."""
    failures: dict[tuple[str, str], tuple[str, str]] = {}
    current = None
    for row in rows:
        code, severity = row[CODE], row[SEVERITY]
        parts = failures.get((code, severity))
        if parts is None:
            rule = rules[code]
            parts = failures[code, severity] = (
                f'\n      <failure message="{_attribute(f"{code} {rule.name}: ")}',
                f'" type="{_attribute(severity)}">',
                _text(f"fix: {rule.remediation}") + "</failure>")
        if row[FILE] != current:
            name = _attribute(row[FILE])
            yield f'{_CLOSE}<testcase classname="{name}" name="{name}">'
            current = row[FILE]
        start, middle, end = parts
        where = f"{row[FILE]}:{row[LINE]}:{row[COLUMN]}"
        about = subject(row)
        body = f"{where}  {about}\n" if about else f"{where}\n"
        if row[PATH]:
            body += f"path: {row[PATH]}\n"
        yield f"{start}{_attribute(row[MESSAGE])}{middle}{_text(body)}{end}"


def _trailing_cases(clean_files: list[str], clean: int,
                    skipped: list[tuple[str, str]]) -> Iterator[ET.Element]:
    """The cases without findings: each clean file named, the others, skipped."""
    yield from (_case(file, file) for file in clean_files)
    if clean > 0:
        case = _case(SUITE, CLEAN_CASE)
        ET.SubElement(case, "system-out").text = (
            f"{clean} linted file{'' if clean == 1 else 's'} had no findings")
        yield case
    for file, reason in skipped:
        case = _case(file, file)
        ET.SubElement(case, "skipped", {"message": _clean(reason)})
        yield case


def _case(classname: str, name: str) -> ET.Element:
    return ET.Element("testcase", {"classname": _clean(classname), "name": _clean(name)})


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _attribute(text: str) -> str:
    """`text` cleaned and escaped as ElementTree writes an attribute's value."""
    text = _text(text)
    if '"' in text:
        text = text.replace('"', "&quot;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    if "\n" in text:
        text = text.replace("\n", "&#10;")
    if "\t" in text:
        text = text.replace("\t", "&#09;")
    return text


def _text(text: str) -> str:
    """`text` cleaned and escaped as ElementTree writes an element's text."""
    text = _NOT_XML.sub("\ufffd", text)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text
