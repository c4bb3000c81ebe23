"""The blueprint refuses what cannot work on EKS, at file:line:col: Kubernetes versions past EKS
extended support (a warning while in it), add-on releases that do not support the cluster's
Kubernetes version, regions that are not AWS regions, and Karpenter's AMI on @latest in
production. Errors stop the load and the render (exit 2); warnings do not."""

from __future__ import annotations

import datetime
import pathlib
import textwrap

import pytest
from click.testing import CliRunner

from gitops_gen.blueprint import BlueprintError, load_blueprint, parse_blueprint, warning_line
from gitops_gen.cli import main
from gitops_gen.render.repo import render_repo
from gitops_gen.versions import eks_versions

REPO = pathlib.Path(__file__).resolve().parent.parent
TODAY = datetime.date(2026, 12, 4)
"""The date these tests judge the EKS calendar on (the day the checks were written)."""

BASE = textwrap.dedent("""\
    apiVersion: gitops-gen/v1alpha1
    kind: Blueprint
    metadata:
      name: acme
    repo:
      url: https://github.com/acme/gitops.git
    argocd:
      version: 10.1.1
    environments:
      - name: staging
        cluster:
          name: acme-staging
          accountId: "111111111111"
          region: eu-west-1
          kubernetesVersion: "1.35"
        domain: staging.acme.example
      - name: prod
        cluster:
          name: acme-prod
          accountId: "222222222222"
          region: eu-west-1
          kubernetesVersion: "1.35"
        domain: acme.example
    addons:
      karpenter:
        version: 1.14.1
        iam: {mode: pod-identity, roleName: karpenter}
        amiAlias: al2023@latest
        environments:
          prod:
            amiAlias: al2023@v20260714
    """)


def edit(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, f"{old!r} must occur once"
    return text.replace(old, new)


def nth(text: str, needle: str, index: int) -> int:
    offset = -1
    for _ in range(index + 1):
        offset = text.index(needle, offset + 1)
    return offset


def position(text: str, needle: str, index: int = 0) -> tuple[int, int]:
    """1-based line and column of the `index`-th occurrence of `needle`."""
    offset = nth(text, needle, index)
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def errors_of(text: str, today: datetime.date = TODAY) -> list:
    with pytest.raises(BlueprintError) as caught:
        parse_blueprint(text, file="bp.yaml", today=today)
    return caught.value.errors


def warnings_of(text: str, today: datetime.date = TODAY) -> list:
    return list(parse_blueprint(text, file="bp.yaml", today=today).warnings)


def at(problem) -> tuple[int, int]:
    return problem.line, problem.column


def calendar(version: str) -> dict:
    return next(row for row in eks_versions() if row["version"] == version)


def about_eks(problems: list) -> list:
    """The calendar's problems (Argo CD also warns on versions it does not test)."""
    return [p for p in problems if "EKS" in p.message]


def test_the_base_blueprint_is_accepted_without_warnings():
    assert warnings_of(BASE) == []


# -- the EKS calendar


def test_a_version_past_extended_support_is_an_error_at_the_version():
    text = edit('"1.35"\n    domain: staging', '"1.31"\n    domain: staging')
    row = calendar("1.31")
    end = datetime.date.fromisoformat(row["end_of_extended_support"])
    [error] = errors_of(text, today=end)
    assert at(error) == position(text, '"1.31"')
    assert error.message == (f"Kubernetes 1.31 is past the end of EKS extended support on "
                             f"{row['end_of_extended_support']}")
    assert "upgrade to" in error.hint


def test_a_version_in_extended_support_is_a_warning_with_its_cost_and_dates():
    text = edit('"1.35"\n    domain: acme', '"1.31"\n    domain: acme')
    row = calendar("1.31")
    last_day = datetime.date.fromisoformat(row["end_of_extended_support"]) - datetime.timedelta(1)
    [warning] = about_eks(warnings_of(text, today=last_day))
    assert at(warning) == position(text, '"1.31"')
    assert "costs more per cluster hour" in warning.message
    assert f"standard support ended on {row['end_of_standard_support']}" in warning.message


def test_standard_support_ends_on_its_end_date():
    text = edit('"1.35"\n    domain: acme', '"1.31"\n    domain: acme')
    end = datetime.date.fromisoformat(calendar("1.31")["end_of_standard_support"])
    assert about_eks(warnings_of(text, today=end - datetime.timedelta(1))) == []
    assert len(about_eks(warnings_of(text, today=end))) == 1


def test_a_version_without_calendar_dates_is_not_judged():
    assert calendar("1.36")["end_of_extended_support"] is None
    text = edit("version: 10.1.1", "version: 10.1.1\n  values: {}").replace('"1.35"', '"1.36"')
    assert about_eks(warnings_of(text)) == []


def test_today_defaults_to_the_date_today():
    text = edit('"1.35"\n    domain: staging', '"1.23"\n    domain: staging')  # ended 2024
    with pytest.raises(BlueprintError) as caught:
        parse_blueprint(text)
    assert "past the end of EKS extended support" in str(caught.value)


# -- add-on releases and the cluster's Kubernetes version


def test_a_chart_that_does_not_support_the_version_is_an_error_at_the_chart_version():
    text = edit("version: 1.14.1", "version: 1.0.4")
    [error] = errors_of(text)
    assert at(error) == position(text, "1.0.4")
    assert error.message == ("karpenter 1.0.4 does not support Kubernetes 1.35, in environments "
                             "staging, prod")
    assert "karpenter 1.0.x supports Kubernetes 1.25 to 1.30" in error.hint


def test_a_per_environment_chart_version_is_refused_where_it_is_set():
    text = edit("      prod:\n        amiAlias: al2023@v20260714",
                "      prod:\n        version: 1.2.0\n        amiAlias: al2023@v20260714")
    [error] = errors_of(text)
    assert at(error) == position(text, "1.2.0")
    assert error.message.endswith("in environment prod")


def test_the_data_fixes_hold_1_3_is_1_30_and_a_patch_row_covers_later_patches():
    spring_2025 = datetime.date(2025, 1, 1)   # 1.30 and 1.31 in standard support
    untested_argocd = BASE.replace("version: 10.1.1", "version: 5.0.0")  # a chart not placed
    on_1_30 = edit("version: 1.14.1", "version: 0.37.2", untested_argocd).replace(
        '"1.35"', '"1.30"')
    assert warnings_of(on_1_30, today=spring_2025) == []
    on_1_31 = edit("version: 1.14.1", "version: 1.0.6", untested_argocd).replace(
        '"1.35"', '"1.31"')
    assert warnings_of(on_1_31, today=spring_2025) == []
    before_the_patch = on_1_31.replace("version: 1.0.6", "version: 1.0.4")
    assert [e.message for e in errors_of(before_the_patch, today=spring_2025)] == [
        "karpenter 1.0.4 does not support Kubernetes 1.31, in environments staging, prod"]


def test_a_chart_keyed_row_and_a_minimum_are_errors_below_it():
    early_2023 = datetime.date(2023, 1, 1)    # 1.23 in standard support
    text = edit("addons:\n", "addons:\n  kube-prometheus-stack: {version: 88.5.3}\n").replace(
        "version: 1.14.1", "version: 0.28.0").replace('"1.35"', '"1.23"')
    [error] = errors_of(text, today=early_2023)
    assert at(error) == position(text, "88.5.3")
    assert "kube-prometheus-stack 88.5.3 does not support Kubernetes 1.23" in error.message
    assert "1.25 or later" in error.hint


def test_a_release_only_tested_elsewhere_is_a_warning_naming_the_app_version():
    text = BASE.replace('"1.35"', '"1.36"')
    [warning] = warnings_of(text)
    assert at(warning) == position(text, "10.1.1")
    assert warning.message == ("argo-cd 10.1.1 (app v3.4.4) is tested on Kubernetes 1.32 to 1.35 "
                               "only, not 1.36, in environments staging, prod")


def test_an_unverified_row_is_a_warning():
    text = edit("addons:\n", "addons:\n  cert-manager: {version: v1.17.2}\n")
    [warning] = warnings_of(text)
    assert at(warning) == position(text, "v1.17.2")
    assert warning.message.startswith("cert-manager v1.17.2 may not support Kubernetes 1.35")
    assert "unverified" in warning.hint


def test_a_chart_version_the_table_cannot_place_is_not_checked():
    # argo-cd's chart versions are not its app versions; only 10.1.1 is known here
    assert warnings_of(BASE.replace("version: 10.1.1", "version: 5.0.0")) == []


def test_a_disabled_addon_is_not_checked():
    text = edit("addons:\n", "addons:\n  cilium: {enabled: false, version: 1.18.14}\n")
    assert warnings_of(text) == []
    enabled = text.replace("enabled: false", "enabled: true").replace(
        "version: 1.18.14}", "version: 1.18.14, iam: {mode: irsa, roleName: cilium}}")
    assert [w.message for w in warnings_of(enabled)] == [
        "cilium 1.18.14 is tested on Kubernetes 1.30 to 1.33 only, not 1.35, in environments "
        "staging, prod"]


# -- regions


@pytest.mark.parametrize("typo, closest", [("eu-wset-1", "eu-west-1"),
                                           ("eu-cental-1", "eu-central-1"),
                                           ("us-gov-west-2", "us-gov-west-1")])
def test_a_region_that_is_not_an_aws_region_is_an_error_with_the_closest(typo, closest):
    text = edit("region: eu-west-1\n      kubernetesVersion: \"1.35\"\n    domain: acme",
                f"region: {typo}\n      kubernetesVersion: \"1.35\"\n    domain: acme")
    [error] = errors_of(text)
    assert at(error) == position(text, typo)
    assert error.message == f"{typo!r} is not an AWS region"
    assert error.hint == f"did you mean {closest!r}?"


@pytest.mark.parametrize("region, partition", [
    ("mx-central-1", "aws"), ("ap-southeast-7", "aws"), ("ap-east-2", "aws"),
    ("ap-southeast-6", "aws"), ("ca-west-1", "aws"), ("us-gov-east-1", "aws-us-gov"),
    ("cn-northwest-1", "aws-cn"), ("eusc-de-east-1", "aws-eusc")])
def test_current_and_new_regions_are_accepted_with_their_partition(region, partition):
    blueprint = parse_blueprint(BASE.replace("eu-west-1", region), today=TODAY)
    assert blueprint.warnings == ()
    karpenter = blueprint.environments[0].addon("karpenter")
    assert karpenter.iam.arn.startswith(f"arn:{partition}:iam::111111111111:role/")


def test_the_secret_store_region_is_checked_too():
    text = edit("addons:\n", "addons:\n  external-secrets:\n    version: 2.9.0\n"
                "    iam: {mode: irsa, roleName: eso}\n"
                "    clusterSecretStore: {region: eu-centrl-1}\n")
    errors = errors_of(text)
    assert [(e.message, at(e)) for e in errors] == [
        ("'eu-centrl-1' is not an AWS region", position(text, "eu-centrl-1"))]
    assert errors[0].hint == "did you mean 'eu-central-1'?"


# -- Karpenter's AMI in production


def test_latest_ami_in_a_production_environment_is_an_error_where_it_is_set():
    text = edit("      prod:\n        amiAlias: al2023@v20260714", "      prod: {}")
    [error] = errors_of(text)
    assert at(error) == position(text, "al2023@latest")
    assert error.message == ("karpenter's AMI alias al2023@latest replaces every node with each "
                             "new AMI, unreviewed, in production environment prod")
    assert "al2023@v" in error.hint and "production: false" in error.hint


def test_the_default_alias_is_refused_at_the_addon_key():
    text = edit("    amiAlias: al2023@latest\n    environments:\n      prod:\n"
                "        amiAlias: al2023@v20260714\n", "")
    [error] = errors_of(text)
    assert at(error) == position(text, "karpenter:")
    assert "al2023@latest (the default)" in error.message


@pytest.mark.parametrize("name, marker, refused", [
    ("prod", "", True), ("production", "", True), ("live", "", False),
    ("live", "\n    production: true", True), ("prod", "\n    production: false", False)])
def test_production_is_marked_or_follows_the_name(name, marker, refused):
    text = edit("      prod:\n        amiAlias: al2023@v20260714", "      staging: {}")
    text = edit("  - name: prod\n", f"  - name: {name}\n", text)
    text = edit("    domain: acme.example\n", f"    domain: acme.example{marker}\n", text)
    blueprint_or_errors = (errors_of(text) if refused else
                           parse_blueprint(text, today=TODAY).environments)
    if refused:
        assert [e.message.rsplit(" ", 1)[-1] for e in blueprint_or_errors] == [name]
    else:
        assert [e.production for e in blueprint_or_errors] == [False, False]


def test_a_disabled_karpenter_in_production_is_not_refused():
    text = edit("      prod:\n        amiAlias: al2023@v20260714", "      prod: {enabled: false}")
    assert warnings_of(text) == []


@pytest.mark.parametrize("alias", ["al2023@v2026", "bottlerocket@latest", "al2023"])
def test_an_alias_of_another_form_is_a_schema_error(alias):
    text = edit("amiAlias: al2023@latest", f"amiAlias: {alias}")
    [error] = errors_of(text)
    assert at(error) == position(text, alias)
    assert "al2023@vYYYYMMDD" in error.hint


def test_the_alias_reaches_each_environments_ec2nodeclass():
    files = render_repo(parse_blueprint(BASE, today=TODAY))
    alias_line = "    - alias: {}\n"
    assert alias_line.format("al2023@latest").encode() in \
        files["platform/karpenter/manifests/staging/nodepool.yaml"]
    assert alias_line.format("al2023@v20260714").encode() in \
        files["platform/karpenter/manifests/prod/nodepool.yaml"]


# -- warnings and errors together


def test_errors_and_warnings_are_reported_in_file_order():
    text = edit('"1.35"\n    domain: staging', '"1.32"\n    domain: staging')
    text = edit("region: eu-west-1\n      kubernetesVersion: \"1.35\"\n    domain: acme",
                "region: eu-west-7\n      kubernetesVersion: \"1.35\"\n    domain: acme", text)
    text = edit("version: 1.14.1", "version: 1.4.0", text)   # supports up to 1.32
    errors = errors_of(text)
    assert [at(e) for e in errors] == [position(text, "eu-west-7"), position(text, "1.4.0")]
    assert errors[1].message.endswith("in environment prod")
    warnings = warnings_of(text.replace("eu-west-7", "eu-west-1").replace("1.4.0", "1.14.1"))
    assert [at(w) for w in warnings] == [position(text, '"1.32"')]


def test_a_warning_is_one_line_with_file_line_and_column():
    text = BASE.replace('"1.35"', '"1.36"')
    [warning] = warnings_of(text)
    line, column = position(text, "10.1.1")
    assert warning_line(warning, "bp.yaml") == (
        f"bp.yaml:{line}:{column}: warning: {warning.message} ({warning.hint})")


# -- the presets and the command line


@pytest.mark.parametrize("name", ["eks-minimal", "eks-platform"])
def test_the_presets_load_without_errors(name):
    """On TODAY; their one warning: external-secrets 2.9 is tested on Kubernetes 1.36 only."""
    path = REPO / "blueprints" / f"{name}.yaml"
    blueprint = load_blueprint(str(path), today=TODAY)
    assert [w.message.split(" is tested")[0] for w in blueprint.warnings] == [
        "external-secrets 2.9.0"]


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("edits, needle, message", [
    ([("region: eu-west-1\n      kubernetesVersion: \"1.35\"\n    domain: acme",
       "region: eu-wset-1\n      kubernetesVersion: \"1.35\"\n    domain: acme")],
     "eu-wset-1", "'eu-wset-1' is not an AWS region (did you mean 'eu-west-1'?)"),
    ([("        amiAlias: al2023@v20260714", "        enabled: true")], "al2023@latest",
     "karpenter's AMI alias al2023@latest replaces every node"),
    ([('"1.35"\n    domain: staging', '"1.23"\n    domain: staging'),  # ended in 2024
      ("    version: 1.14.1", "    version: 1.14.1\n    enabled: false")], '"1.23"',
     "Kubernetes 1.23 is past the end of EKS extended support on 2024-10-11")])
def test_render_exits_2_on_a_refusal_with_one_line_on_stderr(tmp_path, edits, needle, message):
    blueprint = tmp_path / "bp.yaml"
    text = BASE
    for old, new in edits:
        text = edit(old, new, text)
    blueprint.write_text(text, encoding="utf-8")
    result = run("render", str(blueprint), "-o", str(tmp_path / "out"), "--no-git")
    assert result.exit_code == 2
    line, column = position(text, needle)
    [printed] = result.stderr.splitlines()
    assert printed.startswith(f"gitops-gen: error: {blueprint}:{line}:{column}: {message}")
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_render_prints_warnings_on_stderr_and_exits_0(tmp_path):
    blueprint = tmp_path / "bp.yaml"
    text = BASE.replace('"1.35"', '"1.36"')   # 1.36 has no calendar dates: only argo-cd warns
    blueprint.write_text(text, encoding="utf-8")
    result = run("render", str(blueprint), "-o", str(tmp_path / "out"), "--no-git")
    assert result.exit_code == 0, result.output
    line, column = position(text, "10.1.1")
    [printed] = result.stderr.splitlines()
    assert printed.startswith(f"{blueprint}:{line}:{column}: warning: argo-cd 10.1.1 ")
    assert "rendered" in result.stdout and ": warning:" not in result.stdout
