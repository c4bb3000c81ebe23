"""The command line through Click's runner: exit codes, formats, errors without tracebacks."""

import json
import pathlib

import pytest
from click.testing import CliRunner

from gitops_gen.cli import main

REPO = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples" / "manifests"

CLEAN = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {LOG_LEVEL: info}
"""
UNPINNED = """\
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec:
  containers:
    - name: app
      image: nginx
"""


def run(*args, input=None, env=None):
    return CliRunner().invoke(main, list(args), input=input, env=env)


@pytest.fixture
def write(tmp_path):
    def _write(name, text):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path
    return _write


def test_examples_report_findings_with_positions_and_exit_1():
    result = run("lint", str(EXAMPLES), "--format", "text")
    assert result.exit_code == 1, result.output
    assert "legacy-reports.yaml" in result.output
    assert "19:18" in result.output and "K8S209" in result.output
    assert "checkout.yaml" not in result.output  # the hardened example is clean


def test_clean_file_exits_0(write):
    result = run("lint", str(write("ok.yaml", CLEAN)), "--format", "text")
    assert result.exit_code == 0, result.output
    assert "passed" in result.output.lower()


def test_fail_on_threshold(write):
    path = str(write("p.yaml", UNPINNED))
    assert run("lint", path, "--select", "K8S101").exit_code == 0  # a warning only
    assert run("lint", path, "--select", "K8S101", "--fail-on", "warning").exit_code == 1
    assert run("lint", path, "--fail-on", "never").exit_code == 0


def test_missing_path_is_a_one_line_error_with_exit_2(tmp_path):
    result = run("lint", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "no such file or folder" in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_traceback_flag_lets_the_exception_through(tmp_path):
    result = run("--traceback", "lint", str(tmp_path / "nope.yaml"))
    assert result.exit_code != 0
    assert result.exception is not None and "no such file" in str(result.exception)


def test_config_error_names_file_line_and_column(write):
    manifest = write("m/p.yaml", UNPINNED)
    write(".gitops-gen.yaml", "rules:\n  image-unpinned:\n    severty: warning\n")
    result = run("lint", str(manifest))
    assert result.exit_code == 2
    assert ".gitops-gen.yaml:3:5: unknown key 'severty'" in result.output
    assert "did you mean 'severity'?" in result.output


def test_config_found_above_the_first_path_changes_severity(write):
    manifest = write("deep/er/p.yaml", UNPINNED)
    write(".gitops-gen.yaml", "rules:\n  K8S209: {severity: info}\n")
    result = run("lint", str(manifest), "--select", "K8S209", "--format", "json")
    finding = json.loads(result.output)["findings"][0]
    assert finding["severity"] == "info"
    assert result.exit_code == 0


def test_stdin(write):
    result = run("lint", "-", "--select", "K8S209", "--stdin-filename", "pod.yaml",
                 "--format", "json", input=UNPINNED)
    assert result.exit_code == 1
    finding = json.loads(result.output)["findings"][0]
    assert (finding["file"], finding["line"], finding["column"]) == ("pod.yaml", 7, 14)


def test_auto_format_is_github_under_actions(write):
    path = str(write("p.yaml", UNPINNED))
    result = run("lint", path, "--select", "K8S209", env={"GITHUB_ACTIONS": "true"})
    assert result.output.startswith("::error file=")
    assert ",line=7,col=14," in result.output


def test_sarif_and_output_file(write, tmp_path):
    path = str(write("p.yaml", UNPINNED))
    out = tmp_path / "report.sarif"
    result = run("lint", path, "--format", "sarif", "--output", str(out))
    assert result.exit_code == 1 and result.output == ""
    sarif = json.loads(out.read_text())
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["results"]


def test_sarif_output_writes_sarif_beside_the_chosen_format(write, tmp_path):
    path = str(write("p.yaml", UNPINNED))
    out = tmp_path / "extra.sarif"
    result = run("lint", path, "--select", "K8S209", "--format", "github", "--sarif-output",
                 str(out))
    assert result.exit_code == 1
    assert result.output.startswith("::error file=") and ",line=7,col=14," in result.output
    [finding] = json.loads(out.read_text())["runs"][0]["results"]
    assert finding["ruleId"] == "K8S209"
    assert finding["locations"][0]["physicalLocation"]["region"]["startLine"] == 7


def test_unknown_rule_in_select_suggests_one(write):
    result = run("lint", str(write("p.yaml", UNPINNED)), "--select", "image-unpined")
    assert result.exit_code == 2
    assert "did you mean 'image-unpinned'?" in result.output


def test_usage_error_exits_2():
    assert run("lint").exit_code == 2
    assert run("lint", ".", "--format", "xml").exit_code == 2


def test_no_inline_ignores(write):
    text = UNPINNED.replace("metadata: {name: p, namespace: shop}",
                            "metadata:\n  name: p\n  annotations:\n"
                            "    ignore.gitops-gen.io/image-unpinned: vendor image, pinned upstream")
    path = str(write("p.yaml", text))
    assert run("lint", path, "--select", "K8S209").exit_code == 0
    assert run("lint", path, "--select", "K8S209", "--no-inline-ignores").exit_code == 1


def test_rules_lists_and_explains():
    listing = run("rules")
    assert listing.exit_code == 0 and "K8S209" in listing.output and "image-unpinned" in listing.output
    explained = run("rules", "image-unpinned")
    assert explained.exit_code == 0
    for section in ("What it does", "Why it matters", "Example", "Use instead"):
        assert section in explained.output
    unknown = run("rules", "K8S999")
    assert unknown.exit_code == 2 and "unknown rule" in unknown.output


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and "gitops-gen" in result.output


def test_junit_names_clean_files_as_passing_cases():
    import xml.etree.ElementTree as ET

    result = run("lint", str(EXAMPLES), "--format", "junit")
    cases = {c.get("name"): c for c in ET.fromstring(result.output).iter("testcase")}
    clean = next(c for name, c in cases.items() if name.endswith("checkout.yaml"))
    failing = next(c for name, c in cases.items() if name.endswith("legacy-reports.yaml"))
    assert clean.find("failure") is None
    assert len(failing.findall("failure")) >= 10


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode),
       output_format=st.sampled_from(["text", "json", "sarif", "github", "junit"]))
def test_any_input_through_the_cli_ends_in_a_report_never_a_traceback(tmp_path, data,
                                                                        output_format):
    path = tmp_path / "input.yaml"
    path.write_bytes(data)
    result = run("lint", str(path), "--format", output_format, "-j", "1")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output


def test_init_writes_a_preset_that_loads_and_never_overwrites(tmp_path):
    from gitops_gen.blueprint import load_blueprint, preset_text

    target = tmp_path / "bp.yaml"
    first = run("init", str(target), "--preset", "eks-platform")
    assert first.exit_code == 0, first.output
    assert target.read_text() == preset_text("eks-platform")
    assert load_blueprint(str(target)).environments
    again = run("init", str(target))
    assert again.exit_code == 2 and "exists" in again.output
    assert run("init", str(target), "--force").exit_code == 0
    assert target.read_text() == preset_text("eks-minimal")
    assert run("init", str(tmp_path)).exit_code == 0
    assert (tmp_path / "blueprint.yaml").exists()

