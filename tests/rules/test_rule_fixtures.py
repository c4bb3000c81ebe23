"""Every rule against its fixture file: objects that must fire at exact positions, and must not.

A fixture is `tests/rules/fixtures/<CODE>.yaml`:

    rule: K8S101
    cases:
      - name: what the case shows
        options: {min-replicas: 3}      # optional rule options
        config: {k8s-version: "1.30"}   # optional further settings of .gitops-gen.yaml
        manifest: |
          apiVersion: apps/v1
          ...
        findings:                       # 1-based positions in `manifest`
          - {line: 8, column: 11}

A case of a rule on Argo CD Applications (what they render) is a repository instead: `files`
maps paths to texts (`{repo}` stands for this repository's URL, listed in the config's
`repo-urls`), and each finding names its `file`.
"""

import pathlib

import pytest
import yaml

from gitops_gen.api import LintOptions, lint
from gitops_gen.lint.registry import INPUT, load_rules

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
REPO_URL = "https://github.com/acme/gitops.git"
RULES = load_rules()


def _cases():
    for path in sorted(FIXTURES.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text())
        for case in spec["cases"]:
            yield pytest.param(spec["rule"], case, id=f"{spec['rule']}-{case['name']}")


@pytest.mark.parametrize(("code", "case"), list(_cases()))
def test_fixture_case(code, case, tmp_path):
    settings = dict(case.get("config", {}))
    if case.get("options"):
        settings["rules"] = {code: {"options": case["options"]}}
    if "files" in case:
        settings["repo-urls"] = [REPO_URL]
        for name, text in case["files"].items():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(text.replace("{repo}", REPO_URL))
        linted = tmp_path
    else:
        linted = tmp_path / "case.yaml"
        linted.write_text(case["manifest"])
    config = tmp_path / ".gitops-gen.yaml"
    config.write_text(yaml.safe_dump(settings) if settings else "")
    run = lint(LintOptions(paths=(str(linted),), config=str(config), select=(code,),
                           charts_dir=str(tmp_path / "charts")))
    found = sorted((_relative(p.file, tmp_path), p.line, p.column) for p in run.result.problems)
    expected = sorted((f.get("file", "case.yaml"), f["line"], f["column"])
                      for f in case["findings"])
    assert {p.code for p in run.result.problems} <= {code}, run.result.problems
    assert found == expected, [f"{p.line}:{p.column} {p.message}" for p in run.result.problems]


def _relative(file: str, root: pathlib.Path) -> str:
    return pathlib.Path(file).resolve().relative_to(root.resolve()).as_posix()


def test_every_rule_has_a_fixture_that_fires_and_one_that_stays_quiet():
    for code, rule in RULES.items():
        if rule.scope == INPUT:
            continue
        path = FIXTURES / f"{code}.yaml"
        assert path.exists(), f"{code} has no fixture {path.name}"
        spec = yaml.safe_load(path.read_text())
        assert spec["rule"] == code
        assert any(c["findings"] for c in spec["cases"]), f"{code}: no case fires"
        assert any(not c["findings"] for c in spec["cases"]), f"{code}: no quiet case"
