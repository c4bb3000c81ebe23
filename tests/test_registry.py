"""Meta-tests of the rule registry and its generated documentation."""

import pathlib
import pkgutil

from gitops_gen import docs
from gitops_gen.lint import rules as rules_package
from gitops_gen.lint.registry import DOC_SECTIONS, load_rules

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
