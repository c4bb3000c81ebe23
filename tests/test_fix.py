"""fix: removed apiVersions rewritten in place, comments and formatting kept, validated."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from gitops_gen.api import FixOptions, LintOptions, UpgradeCheckOptions, fix, lint, upgrade_check
from gitops_gen.cli import main
from gitops_gen.upgrade.fix import FIXED, HELM, REFUSED, WOULD_FIX

REPO = Path(__file__).resolve().parent.parent
LEGACY = REPO / "examples" / "legacy-apis"

HPA_V2BETA1 = """\
# HPA on the oldest v2 beta
apiVersion: "autoscaling/v2beta1"  # quoted
kind: HorizontalPodAutoscaler
metadata: {name: web, "namespace": shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics:
  - type: Resource
    resource: {name: cpu, targetAverageUtilization: 70}   # cpu
  - type: Resource
    resource:
      name: memory
      targetAverageValue: 500Mi  # memory
  - type: Pods
    pods:
      metricName: http_requests
      targetAverageValue: '100'
  - type: Object
    object:
      target: {apiVersion: networking.k8s.io/v1, kind: Ingress, name: web}
      metricName: requests-per-second
      targetValue: 2k
  - type: External
    external:
      metricName: queue_messages
      metricSelector: {matchLabels: {queue: jobs}}
      targetAverageValue: 30
"""
HPA_V2 = """\
# HPA on the oldest v2 beta
apiVersion: "autoscaling/v2"       # quoted
kind: HorizontalPodAutoscaler
metadata: {name: web, "namespace": shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}} # cpu
  - type: Resource
    resource:
      name: memory
      target:
        type: AverageValue
        averageValue: 500Mi      # memory
  - type: Pods
    pods:
      metric:
        name: http_requests
      target:
        type: AverageValue
        averageValue: '100'
  - type: Object
    object:
      describedObject: {apiVersion: networking.k8s.io/v1, kind: Ingress, name: web}
      metric:
        name: requests-per-second
      target:
        type: Value
        value: 2k
  - type: External
    external:
      metric:
        name: queue_messages
        selector: {matchLabels: {queue: jobs}}
      target:
        type: AverageValue
        averageValue: 30
"""
INGRESS_CRLF = (
    "apiVersion: extensions/v1beta1\r\nkind: Ingress\r\nmetadata:\r\n  name: web\r\n"
    "  namespace: shop\r\nspec:\r\n"
    "  backend: {serviceName: default, servicePort: http}  # default\r\n"
    "  rules:\r\n  - host: web.example.com\r\n    http:\r\n      paths:\r\n      # the API\r\n"
    "      - path: /api\r\n        backend:\r\n          serviceName: api\r\n"
    "          servicePort: 8080\r\n"
    "      - {path: /, backend: {serviceName: web, servicePort: 80}}\r\n")
INGRESS_V1_CRLF = (
    "apiVersion: networking.k8s.io/v1\r\nkind: Ingress\r\nmetadata:\r\n  name: web\r\n"
    "  namespace: shop\r\nspec:\r\n"
    "  defaultBackend: {service: {name: default, port: {name: http}}} # default\r\n"
    "  rules:\r\n  - host: web.example.com\r\n    http:\r\n      paths:\r\n      # the API\r\n"
    "      - path: /api\r\n        pathType: ImplementationSpecific\r\n        backend:\r\n"
    "          service:\r\n            name: api\r\n            port:\r\n"
    "              number: 8080\r\n"
    "      - {path: /, pathType: ImplementationSpecific, backend: {service: {name: web, "
    "port: {number: 80}}}}\r\n")
ANCHORS_AND_RENAMES = """\
x-labels: &labels {app: web}
---
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata:
  name: web
  labels: &l
    app: web
  annotations: *l
spec:
  maxUnavailable: 1
  selector:
    matchLabels: *l
--- # a role
apiVersion: rbac.authorization.k8s.io/v1beta1
kind: ClusterRole
metadata: {name: reader}
rules:
    -   apiGroups: [""]
        resources: [pods]
        verbs: [get, list]
"""
CRONJOB = """\
apiVersion: batch/v1beta1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 2 * * *"   # every night
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: job, image: "job:1.0"}]
"""


def run_fix(*paths, target="1.36", dry_run=False):
    return fix(FixOptions(paths=tuple(str(p) for p in paths), target_version=target,
                          dry_run=dry_run))


def fixed_bytes(tmp_path, name: str, text: str, target="1.36") -> bytes:
    path = tmp_path / name
    path.write_bytes(text.encode())
    run = run_fix(path, target=target)
    assert [f.status for f in run.files] == [FIXED] and run.exit_code == 0
    return path.read_bytes()


def test_hpa_v2beta1_metric_targets_move_keeping_flow_maps_quotes_and_comments(tmp_path):
    assert fixed_bytes(tmp_path, "hpa.yaml", HPA_V2BETA1).decode() == HPA_V2


def test_ingress_backends_and_path_type_with_crlf_line_ends(tmp_path):
    assert fixed_bytes(tmp_path, "ingress.yaml", INGRESS_CRLF).decode() == INGRESS_V1_CRLF


def test_plain_renames_keep_anchors_odd_indentation_and_other_documents(tmp_path):
    expected = (ANCHORS_AND_RENAMES.replace("policy/v1beta1", "policy/v1")
                .replace("rbac.authorization.k8s.io/v1beta1", "rbac.authorization.k8s.io/v1"))
    assert fixed_bytes(tmp_path, "pdb.yaml", ANCHORS_AND_RENAMES).decode() == expected


def test_cronjob_is_renamed_with_its_comment(tmp_path):
    assert fixed_bytes(tmp_path, "cron.yaml", CRONJOB).decode() == CRONJOB.replace(
        "batch/v1beta1", "batch/v1")


def test_only_apis_removed_at_the_target_are_moved(tmp_path):
    shutil.copytree(LEGACY, tmp_path / "legacy")
    [result] = run_fix(tmp_path, target="1.25").files
    assert [(m.line, m.change) for m in result.migrations] == [
        (21, "policy/v1beta1 -> policy/v1"), (31, "batch/v1beta1 -> batch/v1"),
        (48, "networking.k8s.io/v1beta1 -> networking.k8s.io/v1")]
    assert (tmp_path / "legacy" / "reports.yaml").read_text().splitlines()[3] == (
        "apiVersion: autoscaling/v2beta2   # removed in 1.26")


def test_fixed_files_validate_against_the_target_schema_and_a_second_fix_changes_nothing(
        tmp_path):
    for name, text in (("hpa.yaml", HPA_V2BETA1), ("ingress.yaml", INGRESS_CRLF),
                       ("pdb.yaml", ANCHORS_AND_RENAMES), ("cron.yaml", CRONJOB)):
        (tmp_path / name).write_bytes(text.encode())
    first = run_fix(tmp_path)
    assert [f.status for f in first.files] == [FIXED] * 4
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert run_fix(tmp_path).files == []
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    checked = lint(LintOptions(paths=(str(tmp_path),), select=("SCH001", "SCH002", "SCH003",
                                                                 "API001", "API002"),
                               k8s_version="1.36", render=False))
    assert checked.result.problems == [] and checked.result.resources == 5


def test_a_result_that_would_not_validate_is_left_untouched_and_reported(tmp_path):
    text = """\
apiVersion: extensions/v1beta1
kind: Deployment
metadata: {name: old}
spec:
  template:
    metadata: {labels: {app: old}}
    spec:
      containers: [{name: old, image: "old:1"}]
"""
    path = tmp_path / "deploy.yaml"
    path.write_text(text)
    run = run_fix(path)
    [result] = run.files
    assert result.status == REFUSED and result.migrations == []
    assert result.problems == ["apps/v1 Deployment: missing required field spec.selector"]
    assert path.read_text() == text and run.exit_code == 1


@pytest.mark.parametrize("text, guidance", [
    ("apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: restricted}\n"
     "spec: {privileged: false}\n",
     "1: PodSecurityPolicy restricted: left on policy/v1beta1: there is no replacement API: "
     "label the namespaces for Pod Security Admission (pod-security.kubernetes.io/enforce) or "
     "use a policy engine"),
    ("apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: all}\n"
     "spec: {maxUnavailable: 1, selector: {}}\n",
     "1: PodDisruptionBudget all: left on policy/v1beta1: its empty selector matches no pod, "
     "but in policy/v1 it matches every pod of the namespace: set a selector first"),
])
def test_what_cannot_be_migrated_is_reported_with_guidance(tmp_path, text, guidance):
    path = tmp_path / "manual.yaml"
    path.write_text(text)
    run = run_fix(path)
    assert [f.problems for f in run.files] == [[guidance]] and run.exit_code == 1
    assert path.read_text() == text


def test_a_document_ruamel_cannot_read_is_reported_and_the_others_are_fixed(tmp_path):
    path = tmp_path / "mixed.yaml"
    path.write_text(CRONJOB + "---\napiVersion: batch/v1beta1\nkind: CronJob\nspec: [oops\n")
    [result] = run_fix(path).files
    assert [m.line for m in result.migrations] == [1]
    assert [p.split(" (")[0] for p in result.problems] == [
        "16: document: not rewritten: ruamel.yaml cannot read it"]
    assert path.read_text().startswith("apiVersion: batch/v1\n")


def test_helm_chart_files_are_not_rewritten(tmp_path):
    chart = tmp_path / "charts" / "web"
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("pdb:\n  apiVersion: policy/v1beta1\n")
    (chart / "templates").mkdir()
    (chart / "templates" / "cron.yaml").write_text(CRONJOB)
    run = run_fix(tmp_path)
    assert [(Path(f.file).name, f.status) for f in run.files] == [("values.yaml", HELM)]
    assert (chart / "templates" / "cron.yaml").read_text() == CRONJOB
    assert run.exit_code == 1


def test_dry_run_prints_a_diff_and_writes_nothing(tmp_path):
    path = tmp_path / "cron.yaml"
    path.write_text(CRONJOB)
    [result] = run_fix(path, dry_run=True).files
    assert result.status == WOULD_FIX and path.read_text() == CRONJOB
    assert "-apiVersion: batch/v1beta1\n+apiVersion: batch/v1\n" in result.diff


def test_the_legacy_example_fixed_then_checked_from_1_24_is_clean(tmp_path):
    shutil.copytree(LEGACY, tmp_path / "legacy")
    result = CliRunner().invoke(main, ["fix", "--target-version", "1.36", str(tmp_path)])
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == ("fixed 4 objects in 1 file for Kubernetes 1.36; "
                                              "0 files left to change by hand")
    [report] = upgrade_check(UpgradeCheckOptions(paths=(str(tmp_path),), to_version="1.36",
                                                 from_version="1.24", render=False))
    assert [f for hop in report.hops for f in hop.findings if f.file] == []
    assert report.exit_code == 0  # what is left is about the cluster: its support dates


def test_cli_rejects_a_version_without_schemas():
    result = CliRunner().invoke(main, ["fix", "--target-version", "1.9", str(LEGACY)])
    assert result.exit_code == 2 and result.output.startswith("gitops-gen: error: ")
