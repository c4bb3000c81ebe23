"""The reporters, fed hand-built LintRuns: each format's structure, escaping and counts."""

from __future__ import annotations

import json
import pathlib
import re
import xml.etree.ElementTree as ET

import jsonschema
import pytest

import gitops_gen
from gitops_gen.api import LintRun
from gitops_gen.lint.model import LintResult, Problem, ResourceId, Severity
from gitops_gen.lint.registry import load_rules
from gitops_gen.report import FORMATS, REPORTERS, choose_color, choose_format
from gitops_gen.report import github, sarif

DATA = pathlib.Path(__file__).parent / "data"
RULES = load_rules()
ANSI = re.compile(r"\x1b\[[0-9;]*m")
DEPLOY = ResourceId("apps/v1", "Deployment", "prod", "web")


def problem(code: str, file: str, line: int, column: int, message: str = "something is off",
            severity: Severity | None = None, resource: ResourceId | None = DEPLOY,
            path: str = "spec") -> Problem:
    rule = RULES[code]
    return Problem(code=code, name=rule.name, severity=severity or rule.severity,
                   message=message, remediation=rule.remediation, file=file, line=line,
                   column=column, resource=resource, path=path)


def make_run(problems=(), *, files=2, resources=5, skipped_documents=0, skipped_files=(),
             suppressed=0, fail_on="error") -> LintRun:
    result = LintResult(problems=sorted(problems, key=lambda p: p.sort_key), files=files,
                        resources=resources, skipped_documents=skipped_documents,
                        skipped_files=list(skipped_files), suppressed=suppressed)
    worst = any(p.severity.rank >= Severity(fail_on).rank for p in result.problems)
    return LintRun(result, RULES, None, fail_on, int(worst))


@pytest.fixture
def run() -> LintRun:
    return make_run([
        problem("K8S209", "deploy/app.yaml", 12, 18, "container 'web' uses unpinned image 'nginx'"),
        problem("K8S101", "deploy/app.yaml", 9, 11, "container 'web' has no livenessProbe"),
        # a severity raised by config: the result's level must differ from the rule default
        problem("K8S101", "deploy/worker.yaml", 3, 5, "container 'w' has no livenessProbe",
                severity=Severity.ERROR, resource=ResourceId("apps/v1", "Deployment", None, "w")),
        problem("GG001", "<stdin>", 4, 2, "mapping values are not allowed here",
                resource=None, path=""),
        problem("K8S209", "charts\\win\\x.yaml", 1, 1, "info level", severity=Severity.INFO),
    ], files=5, resources=7, skipped_documents=2, suppressed=1,
        skipped_files=[("charts/x/templates", "Helm templates are not plain YAML")])


def empty_run(**kwargs) -> LintRun:
    return make_run([], files=3, resources=12, **kwargs)


# -- the registry of formats


def test_every_format_is_registered_and_ends_with_a_newline(run):
    assert list(REPORTERS) == ["text", "json", "sarif", "github", "junit"]
    assert FORMATS == ("auto", "text", "json", "sarif", "github", "junit")
    for name, reporter in REPORTERS.items():
        for each in (run, empty_run()):
            out = reporter(each, color=False)
            assert isinstance(out, str) and out.endswith("\n"), name
        assert reporter(run) == reporter(run, color=False)


def test_choose_format():
    assert choose_format("auto", {"GITHUB_ACTIONS": "true"}) == "github"
    assert choose_format("auto", {}) == "text"
    assert choose_format("auto", {"GITHUB_ACTIONS": "false"}) == "text"
    assert choose_format("json", {"GITHUB_ACTIONS": "true"}) == "json"
    with pytest.raises(ValueError, match="unknown output format"):
        choose_format("xml", {})


def test_choose_color():
    assert choose_color({}, True) is True
    assert choose_color({}, False) is False
    assert choose_color({"NO_COLOR": "1"}, True) is False
    assert choose_color({"FORCE_COLOR": "1"}, False) is True
    assert choose_color({"TERM": "dumb"}, True) is False


def test_importing_the_package_does_not_import_the_reporters():
    import subprocess
    import sys

    code = ("import sys, gitops_gen.report; "
            "print(sorted(m for m in sys.modules if m.startswith('gitops_gen.report.') "
            "or m in ('json', 'xml.etree.ElementTree')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- text


def test_text_groups_by_file_and_summarises(run):
    out = REPORTERS["text"](run, color=False)
    lines = out.splitlines()
    headers = [line for line in lines if line and not line.startswith(" ") and ":" not in line]
    assert headers == ["<stdin>", "charts\\win\\x.yaml", "deploy/app.yaml",
                       "deploy/worker.yaml"]  # each file once, in the engine's (sorted) order
    at = lines.index("deploy/app.yaml")
    first = lines[at + 1]
    assert re.match(r"^  9:11 +warning +K8S101 liveness-probe-missing +container 'web' has no "
                    r"livenessProbe  \(Deployment prod/web\)$", first)
    assert lines[at + 2].strip() == f"fix: {RULES['K8S101'].remediation}"
    assert lines[at + 3].startswith("  12:18 ") and lines[at - 1] == ""
    # columns align: the severity and the rule start at the same offset on every finding line
    findings = [line for line in lines if re.match(r"^  \d+:\d+ ", line)]
    assert len(findings) == 5
    assert len({line.index("K8S") if "K8S" in line else line.index("GG") for line in findings}) == 1
    assert "(Deployment w)" in out
    assert "<stdin>" in lines and "GG001 parse-error" in out
    assert "Skipped 1 file:" in out
    assert "  charts/x/templates: Helm templates are not plain YAML" in out
    assert lines[-1] == ("5 files, 7 resources: 3 errors, 1 warning, 1 info, 1 suppressed, "
                         "2 non-Kubernetes documents skipped")
    assert not ANSI.search(out)


def test_text_colour(run):
    out = REPORTERS["text"](run, color=True)
    assert "\x1b[31merror" in out and "\x1b[33mwarning" in out and "\x1b[34minfo" in out
    assert "\x1b[1mdeploy/app.yaml\x1b[0m" in out
    assert ANSI.sub("", out) == REPORTERS["text"](run, color=False)


def test_text_when_everything_passed():
    out = REPORTERS["text"](empty_run(), color=False)
    assert out == "All checks passed: 3 files, 12 resources.\n"
    out = REPORTERS["text"](empty_run(suppressed=2, skipped_documents=1,
                                      skipped_files=[("a.txt", "not YAML")]))
    assert out.splitlines() == [
        "Skipped 1 file:", "  a.txt: not YAML",
        "All checks passed: 3 files, 12 resources (2 suppressed, "
        "1 non-Kubernetes document skipped)."]
    nothing = make_run([], files=0, resources=0)
    assert REPORTERS["text"](nothing) == "No files were linted.\n"


def test_text_lists_few_skipped_files():
    skipped = [(f"f{i}.yaml", "why") for i in range(13)]
    out = REPORTERS["text"](empty_run(skipped_files=skipped))
    assert "Skipped 13 files:" in out and "  ... and 3 more" in out and "f12.yaml" not in out


def test_text_keeps_multiline_messages_inside_the_finding():
    run = make_run([problem("GG001", "a.yaml", 1, 1, "first\nsecond", resource=None)])
    lines = REPORTERS["text"](run).splitlines()
    assert lines[2].strip() == "second" and lines[2].startswith("    ")


# -- json


def test_json_schema_and_round_trip(run):
    out = REPORTERS["json"](run)
    data = json.loads(out)
    assert set(data) == {"schemaVersion", "tool", "summary", "skippedFiles", "selection",
                         "findings"}
    assert data["selection"] is None  # a whole run
    assert data["schemaVersion"] == 1
    assert data["tool"] == {"name": "gitops-gen", "version": gitops_gen.__version__}
    assert data["summary"] == {"files": 5, "resources": 7, "skippedDocuments": 2,
                               "suppressed": 1, "errors": 3, "warnings": 1, "info": 1,
                               "failOn": "error", "exitCode": 1,
                               "kubernetesVersion": None, "targetVersion": None,
                               "applications": 0}
    assert data["skippedFiles"] == [{"file": "charts/x/templates",
                                     "reason": "Helm templates are not plain YAML"}]
    keys = {"code", "name", "severity", "message", "remediation", "file", "line", "column",
            "path", "resource", "application", "rendered"}
    assert all(set(f) == keys for f in data["findings"])
    # the order given, one finding per problem, every field carried over
    assert [(f["file"], f["line"], f["column"], f["code"]) for f in data["findings"]] == [
        (p.file, p.line, p.column, p.code) for p in run.result.problems]
    web = next(f for f in data["findings"] if f["line"] == 9)
    assert web == {"code": "K8S101", "name": "liveness-probe-missing", "severity": "warning",
                   "message": "container 'web' has no livenessProbe",
                   "remediation": RULES["K8S101"].remediation, "file": "deploy/app.yaml",
                   "line": 9, "column": 11, "path": "spec",
                   "resource": {"apiVersion": "apps/v1", "kind": "Deployment",
                                "namespace": "prod", "name": "web"},
                   "application": None, "rendered": None}
    stdin = next(f for f in data["findings"] if f["file"] == "<stdin>")
    assert stdin["resource"] is None and stdin["path"] is None


def test_json_empty_run():
    data = json.loads(REPORTERS["json"](empty_run()))
    assert data["findings"] == [] and data["skippedFiles"] == []
    assert data["summary"]["exitCode"] == 0 and data["summary"]["errors"] == 0


def _key_sets(data: dict) -> dict[str, set[str]]:
    resources = [f["resource"] for f in data["findings"] if f["resource"] is not None]
    return {"top": set(data), "tool": set(data["tool"]), "summary": set(data["summary"]),
            "skippedFiles[]": set().union(*map(set, data["skippedFiles"])),
            "findings[]": set().union(*map(set, data["findings"])),
            "resource": set().union(*map(set, resources))}


def test_json_format_doc_documents_every_key(run):
    doc = (pathlib.Path(__file__).parent.parent / "docs" / "json-format.md").read_text()
    actual = _key_sets(json.loads(REPORTERS["json"](run)))
    missing = sorted(k for keys in actual.values() for k in keys if f"| `{k}` |" not in doc)
    assert not missing, f"docs/json-format.md does not document {missing}"
    # the example has exactly the keys the reporter writes, at every level
    example = json.loads(doc.split("```json\n", 1)[1].split("```", 1)[0])
    assert _key_sets(example) == actual


# -- sarif


@pytest.fixture(scope="module")
def sarif_validator():
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    cls = jsonschema.validators.validator_for(schema)
    assert cls is jsonschema.Draft4Validator
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


# RFC 3986 characters; jsonschema checks the "uri" formats only with rfc3987 installed
URI_REFERENCE = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")


def test_sarif_validates(run, sarif_validator):
    for each in (run, empty_run()):
        log = json.loads(REPORTERS["sarif"](each))
        errors = sorted(sarif_validator.iter_errors(log), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    for result in json.loads(REPORTERS["sarif"](run))["runs"][0]["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert URI_REFERENCE.match(uri), uri
    # the validator does reject what is not SARIF
    broken = json.loads(REPORTERS["sarif"](run))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    del broken["runs"][0]["tool"]["driver"]["name"]
    assert len(list(sarif_validator.iter_errors(broken))) == 2


def test_sarif_driver_and_rules(run):
    log = json.loads(REPORTERS["sarif"](run))
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-schema-2.1.0.json")
    (only,) = log["runs"]
    assert only["invocations"] == [{"executionSuccessful": True}]
    assert only["columnKind"] == "unicodeCodePoints"
    driver = only["tool"]["driver"]
    assert driver["name"] == "gitops-gen" and driver["version"] == gitops_gen.__version__
    assert driver["informationUri"] == "https://github.com/gitops-gen/gitops-gen"
    rules = driver["rules"]
    assert [r["id"] for r in rules] == sorted(RULES)  # every rule, fired or not, in code order
    k8s101 = next(r for r in rules if r["id"] == "K8S101")
    rule = RULES["K8S101"]
    assert k8s101["name"] == "LivenessProbeMissing"
    assert k8s101["shortDescription"]["text"] == rule.summary
    assert k8s101["fullDescription"]["text"] == rule.summary
    assert k8s101["help"] == {"text": rule.remediation, "markdown": rule.doc}
    assert k8s101["helpUri"].endswith("/docs/rules.md#k8s101")
    assert k8s101["defaultConfiguration"]["level"] == "warning"
    levels = {r["id"]: r["defaultConfiguration"]["level"] for r in rules}
    assert levels["K8S209"] == "error"


def test_sarif_results(run):
    log = json.loads(REPORTERS["sarif"](run))
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    results = log["runs"][0]["results"]
    assert len(results) == len(run.result.problems)
    for result, problem in zip(results, run.result.problems):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == problem.code
        assert result["message"]["text"] == problem.message
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region == {"startLine": problem.line, "startColumn": problem.column}
    by_line = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"]): r for r in results}
    worker = by_line[("deploy/worker.yaml", 3)]
    assert worker["level"] == "error"  # the problem's severity, not the rule default (warning)
    assert worker["properties"]["resource"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                                "namespace": None, "name": "w"}
    assert by_line[("deploy/app.yaml", 9)]["level"] == "warning"
    assert by_line[("charts/win/x.yaml", 1)]["level"] == "note"
    stdin = by_line[("stdin", 4)]
    assert "properties" not in stdin


def test_sarif_region_is_never_below_one(sarif_validator):
    run = make_run([problem("GG001", "a.yaml", 0, 0, resource=None)])
    log = json.loads(REPORTERS["sarif"](run))
    region = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 1, "startColumn": 1}
    assert not list(sarif_validator.iter_errors(log))


@pytest.mark.parametrize("given, uri", [
    ("deploy/app.yaml", "deploy/app.yaml"),
    ("./deploy/app.yaml", "deploy/app.yaml"),
    ("deploy\\app.yaml", "deploy/app.yaml"),
    ("<stdin>", "stdin"),
    ("my dir/a#1.yaml", "my%20dir/a%231.yaml"),
    ("/abs/app.yaml", "file:///abs/app.yaml"),
    ("C:\\repo\\app.yaml", "file:///C:/repo/app.yaml"),
])
def test_sarif_artifact_uri(given, uri):
    assert sarif.artifact_uri(given) == uri


def test_sarif_rule_name_is_pascal_case():
    assert sarif.pascal_case("image-unpinned") == "ImageUnpinned"
    assert sarif.pascal_case("pdb") == "Pdb"


# -- github


def test_github_annotations(run):
    lines = REPORTERS["github"](run).splitlines()
    commands = [line for line in lines if line.startswith("::")]
    assert len(commands) == len(run.result.problems)
    assert commands[2] == (
        "::warning file=deploy/app.yaml,line=9,col=11,title=K8S101 liveness-probe-missing::"
        "container 'web' has no livenessProbe (Deployment prod/web)%0A"
        f"fix: {RULES['K8S101'].remediation}")
    kinds = [line.split(" ", 1)[0] for line in commands]
    assert sorted(kinds) == ["::error", "::error", "::error", "::notice", "::warning"]
    assert lines[-1].startswith("5 files, 7 resources: 3 errors")
    assert "Skipped 1 file:" in lines


def test_github_escaping():
    run = make_run([problem("K8S209", "odd,dir:x/a%b.yaml", 2, 3,
                            "100% bad\r\nsecond line: a, b", resource=None)], files=1)
    (command, summary) = REPORTERS["github"](run).splitlines()
    assert command.startswith("::error file=odd%2Cdir%3Ax/a%25b.yaml,line=2,col=3,"
                              "title=K8S209 image-unpinned::")
    data = command.split("::", 2)[2]
    assert data.startswith("100%25 bad%0D%0Asecond line: a, b%0Afix: ")
    assert "\n" not in command and "\r" not in command
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert github.escape_data("a:b,c%\r\n") == "a:b,c%25%0D%0A"
    assert summary.startswith("1 file, 5 resources: 1 error")


def test_github_empty_run():
    assert REPORTERS["github"](empty_run()) == "All checks passed: 3 files, 12 resources.\n"


# -- junit


def test_junit_counts_and_failures(run):
    out = REPORTERS["junit"](run)
    assert out.startswith("<?xml")
    root = ET.fromstring(out)
    assert root.tag == "testsuites"
    (suite,) = root
    assert suite.tag == "testsuite" and suite.get("name") == "gitops-gen"
    cases = suite.findall("testcase")
    # 4 files with findings, 1 clean file as "other files", 1 skipped file
    assert len(cases) == 6
    for element in (root, suite):
        assert element.get("tests") == "6"
        assert element.get("failures") == "4"
        assert element.get("errors") == "0"
        assert element.get("skipped") == "1"
    app = next(c for c in cases if c.get("name") == "deploy/app.yaml")
    assert app.get("classname") == "deploy/app.yaml"
    failures = app.findall("failure")
    assert [f.get("type") for f in failures] == ["warning", "error"]
    assert failures[0].get("message") == ("K8S101 liveness-probe-missing: "
                                          "container 'web' has no livenessProbe")
    assert "deploy/app.yaml:9:11" in failures[0].text
    assert RULES["K8S101"].remediation in failures[0].text
    other = next(c for c in cases if c.get("name") == "other files")
    assert not other.findall("failure") and "1 linted file" in other.find("system-out").text
    skipped = next(c for c in cases if c.get("name") == "charts/x/templates")
    assert skipped.find("skipped").get("message") == "Helm templates are not plain YAML"


def test_junit_escapes_markup_and_control_characters():
    run = make_run([problem("GG001", "a&b.yaml", 1, 1, "<tag> & \"q\" \x00\x1b end",
                            resource=None)], files=1)
    root = ET.fromstring(REPORTERS["junit"](run))
    (case,) = root.iter("testcase")
    assert case.get("name") == "a&b.yaml"
    assert case.find("failure").get("message") == (
        "GG001 parse-error: <tag> & \"q\" \ufffd\ufffd end")


def test_junit_clean_run():
    root = ET.fromstring(REPORTERS["junit"](empty_run()))
    (case,) = root.iter("testcase")
    assert case.get("name") == "other files" and root.get("failures") == "0"
    assert root.get("tests") == "1"


def test_streamed_sarif_is_the_whole_log_dumped_at_once():
    many = make_run([problem("K8S209", f"deploy/{n % 7}.yaml", n, 3, f"finding {n}")
                     for n in range(1, 1200)], files=7)
    assert REPORTERS["sarif"](many) == json.dumps(sarif.document(many)) + "\n"
