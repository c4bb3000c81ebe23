"""Meta-tests of the rule registry and its generated documentation."""

import dataclasses
import json
import pathlib
import pkgutil
import subprocess
import sys

from gitops_gen import docs
from gitops_gen.lint import rules as rules_package
from gitops_gen.lint.registry import CATALOG_FILE, DOC_SECTIONS, catalog, defined_rules, load_rules

REPO = pathlib.Path(__file__).resolve().parent.parent


def test_every_rule_module_registers_exactly_one_rule():
    modules = sorted(m.name for m in pkgutil.iter_modules(rules_package.__path__))
    rules = load_rules()
    assert len(modules) == len(rules)
    for module in modules:
        code = module.split("_", 1)[0].upper()
        assert code in rules, f"{module} does not register {code}"
        assert module == f"{code.lower()}_{rules[code].name.replace('-', '_')}"


def test_rules_are_documented_in_four_sections_with_a_remediation():
    for rule in load_rules().values():
        assert rule.doc.startswith(f"{rule.code} {rule.name}")
        for section in DOC_SECTIONS:
            assert section in rule.doc, (rule.code, section)
        assert rule.remediation.endswith("."), rule.code
        assert rule.summary.endswith("."), rule.code


def test_docs_rules_md_is_up_to_date():
    committed = (REPO / "docs" / "rules.md").read_text()
    assert committed == docs.rules_markdown(load_rules()), (
        "docs/rules.md is stale: run `gitops-gen rules --format markdown > docs/rules.md`")


def test_an_opt_in_rule_runs_only_when_the_config_or_select_turns_it_on(tmp_path):
    from gitops_gen.api import LintOptions, lint

    manifest = tmp_path / "web.yaml"
    manifest.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
                        "  template:\n    spec:\n      containers:\n        - name: web\n")
    config = tmp_path / ".gitops-gen.yaml"

    def codes(settings: str, select=()) -> set[str]:
        config.write_text(settings)
        run = lint(LintOptions(paths=(str(manifest),), config=str(config), select=select))
        return {p.code for p in run.result.problems}

    assert not load_rules()["K8S114"].default_enabled
    assert "K8S114" not in codes("")
    assert "K8S114" in codes("rules: {cpu-limit-missing: true}\n")
    assert "K8S114" in codes("rules: {K8S114: {enabled: true}}\n")
    assert "K8S114" in codes("", select=("K8S114",))
    assert "(off by default)" in docs.listing().split("K8S114", 1)[1].split("\n", 1)[0]


def test_rules_md_keeps_the_section_on_differences_from_other_linters():
    text = docs.rules_markdown(load_rules())
    assert "## Where gitops-gen differs from kube-score, kube-linter and polaris" in text
    assert "**Requests defaulted from limits**" in text and "DeploymentConfig" in text


def test_the_rule_catalog_is_up_to_date():
    with open(CATALOG_FILE, encoding="utf-8") as handle:
        committed = json.load(handle)
    assert committed == catalog(defined_rules()), (
        "gitops_gen/data/rule_catalog.json is stale: run `python scripts/gen_rule_catalog.py`")


def test_catalogued_rules_are_the_defined_rules_and_check_alike():
    catalogued, defined = load_rules(), defined_rules()
    assert list(catalogued) == list(defined)
    for code, rule in catalogued.items():
        assert dataclasses.replace(rule, check=None) == dataclasses.replace(defined[code],
                                                                            check=None), code
        assert (rule.check is None) == (defined[code].check is None), code
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                  "spec": {"template": {"spec": {"containers": [{"name": "web"}]}}}}
    found = list(catalogued["K8S101"].check(deployment, {}))
    assert [f.message for f in found] == [f.message for f in
                                          defined["K8S101"].check(deployment, {})]
    assert found and catalogued["K8S101"].check is defined["K8S101"].check  # no wrapper left


def test_a_lint_imports_only_the_rule_modules_it_runs(tmp_path):
    manifest = tmp_path / "web.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n")
    probe = ("import json, sys\nfrom gitops_gen.api import LintOptions, lint\n"
             "lint(LintOptions(paths=(sys.argv[1],)))\n"
             "print(json.dumps(sorted(m for m in sys.modules if '.lint.rules.' in m)))")
    done = subprocess.run([sys.executable, "-c", probe, str(manifest)], capture_output=True,
                          text=True, check=True)
    imported = {name.rsplit(".", 1)[1].split("_", 1)[0].upper()
                for name in json.loads(done.stdout.splitlines()[-1])}
    assert "K8S214" in imported and "API001" in imported  # ConfigMap and every kind
    assert not any(code.startswith(("ARGO", "GG", "SCH")) for code in imported)
    assert "K8S101" not in imported  # workloads only
