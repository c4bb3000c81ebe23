"""Start-up: linting one plain manifest, as a pre-commit hook does on every commit, imports only
what that run needs. A module imported at the top of a shared module by mistake fails here."""

import json
import pathlib
import re
import subprocess
import sys

import pytest

from gitops_gen.lazyre import lazy

REPO = pathlib.Path(__file__).resolve().parent.parent

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
          env:
            - name: MODE
              value: "on"
"""

HEAVY = (
    "yaml",  # PyYAML: only the composed path needs it (unusual YAML, errors)
    "ruamel",  # fix
    "jinja2",  # render
    "git",  # GitPython: render, Applications
    "helm_python",  # Applications with Helm charts
    "jsonschema",  # the pure-Python validator (tests only)
    "kubernetes_validate",  # its schema files are read, the package is never imported
    "importlib.resources",  # data files are plain paths
    "multiprocessing",  # one file is linted in-process
    "gitops_gen.lint.yamlcompose",
    "gitops_gen.render",
    "gitops_gen.blueprint",
    "gitops_gen.upgrade",
    "gitops_gen.argo.render",
    "gitops_gen.argo.deploy",
    "gitops_gen.argo.apps",  # the Argo CD rules' helpers: their rules are not imported
    "gitops_gen.argo.scan",  # no file mentions Argo CD: nothing to scan for Applications
    "gitops_gen.lint.config_entries",  # no config file: no exclusions, clusters, rule settings
    "gitops_gen.lint.argo",
    "gitops_gen.commands",  # the API of the other commands
    "gitops_gen.cli_commands",  # and their Click commands
    "gitops_gen.schema.crd",  # a built-in kind needs no CRD
    "pkgutil",  # rules come from the catalog, not from listing their package
    "difflib",  # suggestions for a misspelt rule, key or field only
    "signal",  # workers only
    "tempfile",  # a few findings are spooled in memory
    "resource",  # the load probe: only for a run large enough to fork
    "pickle",  # findings are spooled marshalled; pickle only talks to a forked helper
)

PROBE = """
import json, sys
sys.argv = ["gitops-gen", "lint", sys.argv[1], "--format", "json", "--output", sys.argv[2]]
from gitops_gen.entry import main  # what the gitops-gen script runs
try:
    main()
except SystemExit as done:
    code = done.code
import dataclasses, re
from gitops_gen.schema import builtin, validate
from gitops_gen.lint import field_changes, secretscan, yamldata, yamlfast, yamlnorm, yamltext
lazy = {"flow collection pre-scan": yamlfast._UNSAFE_IN_FLOW,
        "secret values": secretscan._SECRET_VALUE,
        "plain token": yamltext._PLAIN_TOKEN,
        "line breaks": yamlnorm.EDITOR_BREAK,
        "YAML 1.1 line breaks": yamlnorm.LineMap.ODD_BREAKS,
        "ASCII control characters": yamldata._NOT_PRINTABLE_ASCII,
        "field change id": field_changes._ID,
        "IPVS mode": field_changes._IPVS,
        "schema location template": validate._TEMPLATE_VARIABLE,
        "schema file name": validate._SAFE_NAME}
built = [value for name, module in list(sys.modules.items()) if name.startswith("gitops_gen.")
         for value in vars(module).values()
         if dataclasses.is_dataclass(value) and value.__module__ == name]
print(json.dumps({"code": code, "modules": sorted(sys.modules),
                  "definitions_parsed_whole": builtin.definitions.cache_info().currsize,
                  "compiled": sorted(name for name, pattern in lazy.items()
                                     if isinstance(pattern, re.Pattern)
                                     or "search" in vars(pattern)),
                  "frozen": sorted(c.__qualname__ for c in built if c.__dataclass_params__.frozen),
                  "compared": sorted(c.__qualname__ for c in built if c.__dataclass_params__.eq),
                  "dataclasses": len(built)}))
"""

FREEZE_PROBE = """
import gc, sys
sys.argv = ["gitops-gen", "--version"]
from gitops_gen.entry import main
try:
    main()
except SystemExit:
    pass
print(gc.get_freeze_count())
"""

EXIT_PROBE = """
import gc, sys
sys.argv = ["gitops-gen", "lint", sys.argv[1], "--format", "json", "--output", sys.argv[2]]
from gitops_gen.entry import main
try:
    main()
except SystemExit:
    pass
print(len(gc.get_objects()), gc.get_freeze_count())
"""


def test_linting_one_plain_manifest_imports_no_heavy_module(tmp_path):
    manifest = tmp_path / "web.yaml"
    manifest.write_text(MANIFEST)
    report = tmp_path / "report.json"
    probe = subprocess.run([sys.executable, "-c", PROBE, str(manifest), str(report)],
                           capture_output=True, text=True, cwd=tmp_path, check=True)
    result = json.loads(probe.stdout.splitlines()[-1])
    findings = json.loads(report.read_text())["findings"]
    assert result["code"] == 1 and findings  # the run did lint: schemas, rules and all
    assert "jsonschema_rs" in result["modules"] and "yaml_rs" in result["modules"]
    imported = [name for name in result["modules"]
                if any(name == heavy or name.startswith(heavy + ".") for heavy in HEAVY)]
    assert imported == []
    rule_modules = [name.rsplit(".", 1)[1] for name in result["modules"]
                    if name.startswith("gitops_gen.lint.rules.")]
    assert not [name for name in rule_modules if name.startswith(("argo", "gg", "sch"))]
    assert "gitops_gen.lint.rules.k8s101_liveness_probe_missing" in result["modules"]
    assert result["definitions_parsed_whole"] == 0  # only the Deployment's definitions are
    # patterns this manifest never needs (no flow sequence, no secret-like value) stay source
    assert result["compiled"] == []


def test_the_dataclasses_of_a_one_file_lint_generate_only_the_methods_used(tmp_path):
    """Each method a dataclass generates costs about 0.1 ms of every run (Python compiles it):
    none on this path is frozen, and only those compared by value (by rules' and parsers'
    tests) generate __eq__ and __repr__. A new one: `@dataclass(slots=True, eq=False, repr=False)`
    unless something compares it."""
    manifest = tmp_path / "web.yaml"
    manifest.write_text(MANIFEST)
    probe = subprocess.run([sys.executable, "-c", PROBE, str(manifest), str(tmp_path / "r.json")],
                           capture_output=True, text=True, cwd=tmp_path, check=True)
    result = json.loads(probe.stdout.splitlines()[-1])
    assert result["dataclasses"] >= 20  # the probe does see them
    assert result["frozen"] == []
    assert result["compared"] == ["Finding", "Option", "Problem", "ResourceId", "Rule",
                                  "Use", "YamlProblem"]


def test_the_entry_keeps_the_cli_objects_from_the_garbage_collector():
    probe = subprocess.run([sys.executable, "-c", FREEZE_PROBE], capture_output=True, text=True,
                           check=True)
    assert int(probe.stdout.split()[-1]) > 10_000


def test_the_entry_leaves_nothing_for_the_collector_to_walk_at_exit(tmp_path):
    """The interpreter's last collections would walk every object a lint left (schemas, rules,
    modules) just before the process ends: the entry freezes them when the command ends."""
    manifest = tmp_path / "web.yaml"
    manifest.write_text(MANIFEST)
    probe = subprocess.run([sys.executable, "-c", EXIT_PROBE, str(manifest),
                            str(tmp_path / "report.json")],
                           capture_output=True, text=True, cwd=tmp_path, check=True)
    tracked, frozen = map(int, probe.stdout.split()[-2:])
    assert frozen > 10_000 and tracked < 100


def test_the_script_enters_through_the_entry_module():
    pyproject = (REPO / "pyproject.toml").read_text()
    assert 'gitops-gen = "gitops_gen.entry:main"' in pyproject
    assert "gitops_gen.entry" in (REPO / "gitops_gen" / "__main__.py").read_text()


def test_the_composed_path_still_imports_pyyaml_when_it_is_needed(tmp_path):
    manifest = tmp_path / "anchors.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: a}\n"
                        "data: {x: '1'}\n")
    report = tmp_path / "report.json"
    probe = subprocess.run([sys.executable, "-c", PROBE, str(manifest), str(report)],
                           capture_output=True, text=True, cwd=tmp_path, check=True)
    result = json.loads(probe.stdout.splitlines()[-1])
    assert "yaml" in result["modules"] and "gitops_gen.lint.yamlcompose" in result["modules"]
    assert json.loads(report.read_text())["summary"]["resources"] == 1


def test_a_lazy_pattern_compiles_on_first_use_and_then_acts_as_the_compiled_one():
    pattern = lazy(r"(?P<key>[a-z]+)=(\d+)", re.I)
    assert "search" not in vars(pattern)  # nothing compiled yet
    compiled = re.compile(r"(?P<key>[a-z]+)=(\d+)", re.I)
    text = "A=1, b=22 c=x"
    assert pattern.search(text).group("key") == compiled.search(text).group("key") == "A"
    assert [m.span() for m in pattern.finditer(text)] == [m.span() for m in compiled.finditer(text)]
    assert pattern.sub(r"\2", text) == compiled.sub(r"\2", text) == "1, 22 c=x"
    assert (pattern.pattern, pattern.flags, pattern.groups) == (compiled.pattern, compiled.flags, 2)
    assert vars(pattern)["search"].__self__ is vars(pattern)["sub"].__self__  # compiled once


def test_a_faulty_lazy_pattern_fails_where_it_is_used():
    pattern = lazy("(unclosed")
    with pytest.raises(re.error, match="missing \\)"):
        pattern.match("x")
