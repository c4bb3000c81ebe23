"""upgrade-check: what breaks at each hop, from one parse of the repository."""

from __future__ import annotations

import json
import textwrap
from datetime import date
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from gitops_gen.api import UpgradeCheckOptions, upgrade_check
from gitops_gen.cli import main
from gitops_gen.errors import UserError
from gitops_gen.upgrade.check import hop_versions
from gitops_gen.upgrade.report import REPORTERS, summary

REPO = Path(__file__).resolve().parent.parent
LEGACY = REPO / "examples" / "legacy-apis"
HAZARDS = REPO / "examples" / "upgrade-hazards"
TODAY = date(2026, 12, 4)
REPO_URL = "https://github.com/acme/gitops.git"
PDB = """\
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def check(path, to_version, from_version, **options):
    [report] = check_all(path, to_version, from_version, **options)
    return report


def check_all(path, to_version, from_version, **options):
    return upgrade_check(UpgradeCheckOptions(
        paths=(str(path),), to_version=to_version, from_version=from_version, today=TODAY,
        charts_dir=str(Path(path) / "no-charts"), **options))


def by_hop(report, root: Path) -> dict[str, list[tuple]]:
    """Per hop `from->to`: (severity, code, file relative to root, line, message)."""
    return {f"{hop.source}->{hop.target}": [
        (f.severity, f.code, str(Path(f.file).resolve().relative_to(root.resolve()))
         if f.file else "", f.line, f.message) for f in hop.findings] for hop in report.hops}


def test_hops_are_one_minor_each():
    assert hop_versions("1.32", "1.33") == [("1.32", "1.33")]
    assert hop_versions("1.24", "1.27") == [("1.24", "1.25"), ("1.25", "1.26"), ("1.26", "1.27")]


def test_a_deprecated_api_warns_on_the_first_hop_and_fails_at_the_hop_that_removes_it(tmp_path):
    write(tmp_path, {"pdb.yaml": PDB})
    report = check(tmp_path, "1.26", "1.23")
    assert by_hop(report, tmp_path) == {
        "1.23->1.24": [
            ("warning", "EKS", "", 0, "Kubernetes 1.23 is past the end of EKS extended support "
             "on 2024-10-11: EKS upgrades such clusters on its own"),
            ("warning", "API002", "pdb.yaml", 1, "policy/v1beta1 PodDisruptionBudget is "
             "deprecated since 1.21 and removed in 1.25; use policy/v1")],
        "1.24->1.25": [("error", "API001", "pdb.yaml", 1, "policy/v1beta1 PodDisruptionBudget "
                        "was removed in 1.25; use policy/v1")],
        "1.25->1.26": [],
    }
    assert report.exit_code == 1


def test_a_hop_past_the_removal_lists_it_once_on_the_first_hop(tmp_path):
    write(tmp_path, {"pdb.yaml": PDB})
    report = check(tmp_path, "1.34", "1.32")
    assert by_hop(report, tmp_path) == {
        "1.32->1.33": [
            ("error", "API001", "pdb.yaml", 1,
             "policy/v1beta1 PodDisruptionBudget was removed in 1.25; use policy/v1"),
            ("warning", "EKS", "", 0, "Kubernetes 1.32 is in EKS extended support, which costs "
             "more per cluster hour: standard support ended on 2026-03-23, extended support "
             "ends on 2027-03-23")],
        "1.33->1.34": [],
    }


def test_the_upgrade_examples_from_1_24_to_the_newest_version(tmp_path):
    for example in (LEGACY, HAZARDS):
        shutil.copytree(example, tmp_path / example.name)
    report = check(tmp_path, "1.36", "1.24")
    found = {hop: [(s, c, Path(f).name, line) for s, c, f, line, _ in findings]
             for hop, findings in by_hop(report, tmp_path).items()}
    assert found == {
        "1.24->1.25": [("error", "API001", "reports.yaml", 21),
                       ("error", "API001", "reports.yaml", 31),
                       ("error", "API001", "reports.yaml", 48), ("warning", "EKS", "", 0),
                       ("warning", "API002", "reports.yaml", 4),
                       ("warning", "K8S107", "platform.yaml", 22),
                       ("warning", "K8S115", "platform.yaml", 62)],
        "1.25->1.26": [("error", "API001", "reports.yaml", 4)],
        "1.26->1.27": [("warning", "API004", "platform.yaml", 29)],
        "1.27->1.28": [], "1.28->1.29": [], "1.29->1.30": [], "1.30->1.31": [],
        "1.31->1.32": [],
        "1.32->1.33": [("warning", "API004", "platform.yaml", 47)],
        "1.33->1.34": [],
        "1.34->1.35": [("info", "CHANGE", "", 0)],
        "1.35->1.36": [("error", "API003", "platform.yaml", 13),
                       ("error", "API003", "platform.yaml", 37),
                       ("warning", "API004", "platform.yaml", 14)],
    }
    messages = {f.line: f.message for hop in report.hops for f in hop.findings if f.file}
    assert messages[13].startswith("spec.loadBalancerSourceRanges[0] '10.20.0.1/16' is not a "
                                   "canonical CIDR: StrictIPCIDRValidation on by default in 1.36")
    assert messages[13].endswith("; instead: '10.20.0.0/16' [strict-ip-cidr-validation]")
    assert messages[37] == (
        "volume 'templates' is a gitRepo volume: disabled for good in 1.36; the API still "
        "accepts the Pod but the kubelet refuses to run it; instead: init container or git-sync "
        "sidecar [pod-gitrepo-volume]")
    assert report.resources == 8
    assert summary(report) == ("6 errors and 7 warnings in 12 hops (1.24 -> 1.36); "
                               "first blocked hop: 1.24 -> 1.25")


@pytest.mark.parametrize("from_version, to_version, hop_of_change", [
    ("1.26", "1.27", "1.26->1.27"),   # lands on the only hop
    ("1.27", "1.28", "1.27->1.28"),   # landed before: listed on the first hop
    ("1.25", "1.28", "1.26->1.27"),   # lands on a later hop, only there
    ("1.24", "1.26", None),           # lands after the target: not listed
])
def test_a_field_change_is_listed_at_the_hop_where_it_lands(tmp_path, from_version,
                                                            to_version, hop_of_change):
    write(tmp_path, {"pod.yaml": """\
        apiVersion: v1
        kind: Pod
        metadata:
          name: p
          annotations: {seccomp.security.alpha.kubernetes.io/pod: runtime/default}
        spec:
          containers: [{name: c, image: "c:1.0"}]
        """})
    found = {hop: [(s, c, line) for s, c, _, line, _ in findings if c == "API004"]
             for hop, findings in by_hop(check(tmp_path, to_version, from_version),
                                         tmp_path).items()}
    assert {hop for hop, findings in found.items() if findings} == (
        {hop_of_change} if hop_of_change else set())
    assert all(f == [("warning", "API004", 5)] for f in found.values() if f)


def test_a_breaking_change_is_an_error_at_its_hop_and_guidance_is_said_once(tmp_path):
    write(tmp_path, {"svc.yaml": """\
        apiVersion: v1
        kind: Service
        metadata: {name: s, namespace: shop}
        spec:
          type: LoadBalancer
          loadBalancerSourceRanges: ["192.168.0.5/24"]
        """})
    report = check(tmp_path, "1.36", "1.33")
    found = by_hop(report, tmp_path)
    assert [(s, c, line) for s, c, _, line, _ in found["1.35->1.36"]] == [
        ("error", "API003", 6)]
    assert [c for _, c, _, _, _ in found["1.34->1.35"]] == ["CHANGE"]
    assert sum(c == "CHANGE" for hop in found.values() for _, c, _, _, _ in hop) == 1
    assert report.exit_code == 1
    assert check(tmp_path, "1.35", "1.33").exit_code == 0


def test_kustomize_fields_are_reported_once_on_the_first_hop(tmp_path):
    write(tmp_path, {"kustomization.yaml": """\
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        bases: [../base]
        """})
    report = check(tmp_path, "1.36", "1.34")
    first, second = by_hop(report, tmp_path).values()
    assert [(s, c, line) for s, c, _, line, _ in first] == [("warning", "EKS", 0),
                                                           ("warning", "KUS001", 3),
                                                           ("info", "CHANGE", 0)]
    assert second == [] and report.exit_code == 0


def test_an_add_on_chart_that_does_not_support_the_hop_names_the_first_release_that_does(
        tmp_path):
    write(tmp_path, {"cert-manager.yaml": """\
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata: {name: cert-manager, namespace: argocd}
        spec:
          project: default
          source:
            repoURL: https://charts.jetstack.io
            chart: cert-manager
            targetRevision: v1.16.2
          destination: {server: https://kubernetes.default.svc, namespace: cert-manager}
        """})
    report = check(tmp_path, "1.34", "1.32", render=False)
    found = by_hop(report, tmp_path)
    message = ("cert-manager v1.16.2 does not support Kubernetes {} (it supports 1.25 to 1.32); "
               "first release that does: {}")
    assert found["1.32->1.33"][0][:2] == ("error", "ADDON")
    assert found["1.32->1.33"][0][4] == message.format("1.33", "1.17.0")
    assert found["1.33->1.34"][0][4] == message.format("1.34", "1.19.0")


def test_removed_apis_rendered_from_a_chart_of_an_application_are_found(tmp_path):
    write(tmp_path, {
        ".gitops-gen.yaml": f"repo-urls: [{REPO_URL}]\n",
        "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        "charts/web/values.yaml": "minAvailable: 1\n",
        "charts/web/templates/pdb.yaml": PDB.replace("minAvailable: 1",
                                                     "minAvailable: {{ .Values.minAvailable }}"),
        "charts/web/templates/svc.yaml": """\
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              type: LoadBalancer
              loadBalancerSourceRanges: ["10.0.0.1/8"]
            """,
        "apps/web.yaml": f"""\
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {{name: web, namespace: argocd}}
            spec:
              project: default
              source: {{repoURL: "{REPO_URL}", targetRevision: main, path: charts/web}}
              destination: {{server: https://kubernetes.default.svc, namespace: shop}}
            """})
    report = check(tmp_path / "apps", "1.25", "1.24", config=str(tmp_path / ".gitops-gen.yaml"))
    [hop] = report.hops
    [api] = [f for f in hop.findings if f.code == "API001"]
    assert api.message == "policy/v1beta1 PodDisruptionBudget was removed in 1.25; use policy/v1"
    assert Path(api.file).resolve() == (tmp_path / "charts/web/templates/pdb.yaml").resolve()
    assert "Application web" in api.subject and report.applications == 1
    [later] = check(tmp_path / "apps", "1.36", "1.35",
                    config=str(tmp_path / ".gitops-gen.yaml")).hops
    [changed] = [f for f in later.findings if f.code == "API003"]  # a field change lands in 1.36
    assert Path(changed.file).resolve() == (tmp_path / "charts/web/templates/svc.yaml").resolve()
    assert changed.line == 6 and "Application web" in changed.subject


def test_reports_text_json_and_markdown():
    report = check(LEGACY, "1.26", "1.25")
    text = REPORTERS["text"](report)
    assert text.splitlines()[0] == "upgrade check 1.25 -> 1.26: 1 file, 4 resources"
    assert "hop 1.25 -> 1.26  [EKS 1.26: standard support until 2024-06-11, extended until " \
           "2025-06-11 (support ended)]" in text
    assert text.endswith("4 errors and 1 warning in 1 hop (1.25 -> 1.26); first blocked hop: "
                         "1.25 -> 1.26\n")
    data = json.loads(REPORTERS["json"](report))
    assert data["summary"] == {"errors": 4, "warnings": 1, "exit_code": 1}
    assert [f["line"] for f in data["hops"][0]["findings"]] == [4, 21, 31, 48, None]
    markdown = REPORTERS["markdown"](report)
    assert "| 1.25 → 1.26 | 4 | 1 | 2024-06-11 |" in markdown
    assert "- :x: **API001** `" in markdown


def test_from_is_read_from_the_blueprint():
    report = check(LEGACY, "1.36", None, blueprint=str(REPO / "blueprints" / "eks-minimal.yaml"))
    assert [(hop.source, hop.target) for hop in report.hops] == [("1.35", "1.36")]


@pytest.mark.parametrize("to_version, from_version, message", [
    ("1.36", None, "--from is required for a plain folder"),
    ("1.30", "1.31", "--to 1.30 is not above --from 1.31"),
    ("1.99", "1.31", "--to 1.99: not in the bundled EKS calendar"),
    ("latest", "1.31", "invalid --to 'latest'"),
])
def test_bad_versions_are_user_errors(to_version, from_version, message):
    with pytest.raises(UserError) as error:
        check(LEGACY, to_version, from_version)
    assert error.value.message == message


def test_cli_exit_codes_and_formats():
    runner = CliRunner()
    failed = runner.invoke(main, ["upgrade-check", str(LEGACY), "--from", "1.24", "--to", "1.36",
                                  "-f", "json"])
    assert failed.exit_code == 1
    assert json.loads(failed.output)["summary"]["errors"] == 4
    usage = runner.invoke(main, ["upgrade-check", str(LEGACY), "--to", "1.36"])
    assert usage.exit_code == 2
    assert usage.output.startswith("gitops-gen: error: --from is required for a plain folder")


def test_node_rotation_risks_are_reported_on_the_first_hop(tmp_path):
    write(tmp_path, {"web.yaml": """\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop}
        spec:
          replicas: 1
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers: [{name: web, image: "web:1.0"}]
        ---
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata: {name: web, namespace: shop}
        spec:
          maxUnavailable: 0
          selector: {matchLabels: {app: web}}
        """})
    report = check(tmp_path, "1.36", "1.35")
    [hop] = report.hops
    assert [(f.severity, f.code, f.line) for f in hop.findings] == [
        ("warning", "K8S107", 5), ("warning", "K8S109", 16)]
    assert report.exit_code == 0


def test_an_unknown_blueprint_environment_is_a_user_error():
    with pytest.raises(UserError) as error:
        check(LEGACY, "1.36", None, blueprint=str(REPO / "blueprints" / "eks-platform.yaml"),
              environment="qa")
    assert error.value.message.startswith("no environment 'qa' in ")


def test_what_could_not_be_checked_is_reported(tmp_path):
    write(tmp_path, {"bad.yaml": "apiVersion: v1\nkind: [oops\n"})
    [hop] = check(tmp_path, "1.36", "1.35").hops
    assert [(f.severity, f.code, f.line) for f in hop.findings] == [("warning", "GG001", 3)]


def test_the_generated_ci_runs_upgrade_check_to_the_next_version_as_a_warning_only_job(
        monkeypatch, tmp_path):
    import shlex

    import yaml

    example = REPO / "output-example"
    workflow = yaml.safe_load((example / ".github/workflows/gitops-gen.yaml").read_text())
    job = workflow["jobs"]["upgrade-check"]
    assert job["continue-on-error"] is True
    commands = [step["run"].splitlines()[0] for step in job["steps"]
                if "upgrade-check" in step.get("run", "")]
    assert [c.split()[2] for c in commands] == ["environments/staging", "environments/prod"]
    monkeypatch.chdir(example)
    words = shlex.split(commands[-1].split(" || ")[0])
    output = tmp_path / "upgrade-prod.md"
    args = words[1:words.index("--output")] + ["--output", str(output),
                                               "--charts-dir", str(REPO / "tests" / "charts")]
    assert words[words.index("--from") + 1:words.index("--from") + 4:2] == ["1.35", "1.36"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert output.read_text().startswith("## Upgrade check 1.35 → 1.36\n")


def rendered_repo(root: Path, clusters: dict[str, str], files: dict[str, str]) -> Path:
    """A rendered repository: its render state records `.gitops-gen.yaml` with one cluster per
    environment ({environment: Kubernetes version}) and each environment's app-of-apps."""
    from gitops_gen.render.state import STATE_FILE, RenderState

    config = "clusters:\n" + "".join(
        f'  - applications: ["{env}-app-of-apps"]\n    k8s-version: "{version}"\n'
        for env, version in clusters.items())
    rendered = {".gitops-gen.yaml": config,
                **{f"environments/{env}/app-of-apps.yaml": f"# {env}\n" for env in clusters}}
    state = RenderState(files={path: text.encode() for path, text in rendered.items()})
    for path, content in {**state.contents(), STATE_FILE: state.document()}.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(content)
    return write(root, {**rendered, **files})


CRONJOB = """\
apiVersion: batch/v1beta1
kind: CronJob
metadata: {name: %s, namespace: jobs}
spec:
  schedule: "@daily"
  jobTemplate:
    spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: "c:1"}]}}}
"""


def test_from_is_each_environment_s_version_in_the_render_state(tmp_path):
    root = rendered_repo(tmp_path, {"staging": "1.24", "prod": "1.23"}, {
        "environments/staging/jobs.yaml": CRONJOB % "staging-only",
        "platform/jobs/manifests/prod/jobs.yaml": CRONJOB % "prod-only",
        "apps/jobs.yaml": CRONJOB % "shared"})
    reports = check_all(root, "1.25", None, render=False)
    assert [(r.from_version, r.environments) for r in reports] == [
        ("1.23", ("prod",)), ("1.24", ("staging",))]
    named = [{f.subject.split("/")[-1] for hop in r.hops for f in hop.findings if f.subject
              and f.code.startswith("API")} for r in reports]
    assert named == [{"prod-only", "shared"}, {"staging-only", "shared"}]
    text = REPORTERS["text"](reports[0])
    assert text.startswith("upgrade check 1.23 -> 1.25 (environment prod): ")


def test_a_path_inside_an_environment_starts_from_that_environment_s_version(tmp_path):
    root = rendered_repo(tmp_path, {"staging": "1.34", "prod": "1.35"},
                         {"environments/prod/jobs.yaml": CRONJOB % "prod"})
    [report] = check_all(root / "environments" / "prod", "1.36", None, render=False)
    assert (report.from_version, report.environments) == ("1.35", ("prod",))
    [staging] = check_all(root, "1.36", None, render=False, environment="staging")
    assert (staging.from_version, staging.environments) == ("1.34", ("staging",))
    with pytest.raises(UserError) as error:
        check_all(root / "environments" / "prod", "1.35", None)
    assert error.value.message == "--to 1.35 is not above environment prod's version 1.35"


def test_environments_on_one_version_share_a_report(tmp_path):
    root = rendered_repo(tmp_path, {"staging": "1.35", "prod": "1.35"}, {})
    [report] = check_all(root, "1.36", None, render=False)
    assert report.environments == ("prod", "staging")


def test_a_render_state_without_cluster_versions_is_a_user_error(tmp_path):
    root = rendered_repo(tmp_path, {}, {})
    with pytest.raises(UserError) as error:
        check_all(root, "1.36", None)
    assert error.value.message.startswith("the render state ")
    assert error.value.message.endswith("records no environment's Kubernetes version")


def test_the_cli_prints_a_report_per_environment_version(tmp_path):
    root = rendered_repo(tmp_path, {"staging": "1.35", "prod": "1.24"},
                         {"platform/jobs/manifests/prod/jobs.yaml": CRONJOB % "old"})
    runner = CliRunner()
    result = runner.invoke(main, ["upgrade-check", str(root), "--to", "1.36", "--no-render"])
    headers = [line for line in result.output.splitlines() if line.startswith("upgrade check")]
    assert [h.split(":")[0] for h in headers] == [
        "upgrade check 1.24 -> 1.36 (environment prod)",
        "upgrade check 1.35 -> 1.36 (environment staging)"]
    assert result.exit_code == 1  # prod's CronJob; staging alone has no error
    data = json.loads(runner.invoke(main, ["upgrade-check", str(root), "--to", "1.36",
                                           "--no-render", "-f", "json"]).output)
    assert [(d["environments"], d["summary"]["errors"]) for d in data] == [
        (["prod"], 1), (["staging"], 0)]


def test_a_blueprint_whose_environments_differ_gives_a_report_per_version(tmp_path):
    text = (REPO / "blueprints" / "eks-platform.yaml").read_text()
    first = text.index('kubernetesVersion: "1.35"')
    blueprint = tmp_path / "blueprint.yaml"
    blueprint.write_text(text[:first] + text[first:].replace('kubernetesVersion: "1.35"',
                                                             'kubernetesVersion: "1.34"', 1))
    reports = check_all(LEGACY, "1.36", None, blueprint=str(blueprint), render=False)
    assert [(r.from_version, len(r.hops), len(r.environments)) for r in reports] == [
        ("1.34", 2, 1), ("1.35", 1, 1)]


def test_a_report_leaves_out_what_the_repository_keeps_for_other_environments():
    from gitops_gen.upgrade.start import Start

    prod = Start("1.35", ("prod",), ("prod-eu", "staging"))
    assert prod.keeps("apps/web/base/deploy.yaml", None)
    assert prod.keeps("environments/prod/app-of-apps.yaml", None)
    assert not prod.keeps("environments/staging/app-of-apps.yaml", None)
    assert not prod.keeps("platform/karpenter/manifests/prod-eu/nodepool.yaml", None)
    assert not prod.keeps("platform/cert-manager/values-staging.yaml", None)
    assert prod.keeps("charts/web/templates/deploy.yaml", "prod-web")
    assert not prod.keeps("charts/web/templates/deploy.yaml", "prod-eu-web")
    assert prod.keeps("charts/web/templates/deploy.yaml", "prod-eu-web, prod-web")
    assert Start("1.35").keeps("environments/staging/app-of-apps.yaml", "staging-web")


def test_a_beta_eks_turned_on_warns_at_the_hop_upstream_removes_it(tmp_path):
    write(tmp_path, {"vac.yaml": """\
        apiVersion: storage.k8s.io/v1beta1
        kind: VolumeAttributesClass
        metadata: {name: fast}
        driverName: ebs.csi.aws.com
        """})
    found = by_hop(check(tmp_path, "1.37", "1.35"), tmp_path)
    assert [(s, c) for s, c, _, _, _ in found["1.36->1.37"]] == [("warning", "API002")]
    assert found["1.36->1.37"][0][4] == ("storage.k8s.io/v1beta1 VolumeAttributesClass was "
                                         "removed in 1.37 (the date is unverified); use "
                                         "storage.k8s.io/v1")


def test_an_environment_s_report_names_only_its_own_add_on_charts(tmp_path):
    root = rendered_repo(tmp_path, {"staging": "1.33", "prod": "1.32"}, {
        "environments/prod/bootstrap/addons/cert-manager.yaml": """\
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {name: prod-cert-manager, namespace: argocd}
            spec:
              project: default
              source: {repoURL: "https://charts.jetstack.io", chart: cert-manager,
                       targetRevision: v1.16.2}
              destination: {server: https://kubernetes.default.svc, namespace: cert-manager}
            """})
    prod, staging = check_all(root, "1.34", None, render=False)
    assert [(hop.target, [f.code for f in hop.findings if f.code == "ADDON"])
            for hop in prod.hops] == [("1.33", ["ADDON"]), ("1.34", ["ADDON"])]
    assert [f.code for hop in staging.hops for f in hop.findings if f.code == "ADDON"] == []
