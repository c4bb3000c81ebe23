"""`lint --shard I/N` and `merge-reports`: every Application and file is in exactly one shard,
and the merged reports of the shards are the report of one full run."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from gitops_gen.api import LintOptions, MergeOptions, lint, merge_reports
from gitops_gen.cli import main
from gitops_gen.lint.select import Shard
from gitops_gen.report import REPORTERS

REPO = Path(__file__).resolve().parent.parent
CHARTS = REPO / "tests" / "charts"


def write_reports(tmp: Path, paths: tuple[str, ...], count: int, fmt: str, **options):
    """The full run's report, and the report file of every shard."""
    full = REPORTERS[fmt](lint(LintOptions(paths=paths, fail_on="never", **options)))
    runs = [lint(LintOptions(paths=paths, fail_on="never", shard=Shard(i, count), **options))
            for i in range(1, count + 1)]
    files = []
    for number, run in enumerate(runs, 1):
        path = tmp / f"shard-{number}.{fmt}"
        path.write_text(REPORTERS[fmt](run))
        files.append(str(path))
    return json.loads(full), runs, files


def assert_one_shard_each(runs, full_files: list[str], full_apps: int) -> None:
    files = [f for run in runs for f in run.selection.files]
    apps = [a for run in runs for a in run.selection.applications]
    assert sorted(files) == sorted(set(files)) == sorted(full_files)
    assert len(apps) == len(set(apps)) == full_apps


@pytest.fixture(scope="module")
def broken_example(tmp_path_factory) -> Path:
    """output-example with findings of every kind: a values file, a base two overlays share
    (cross-resource findings in both clusters) and a file no Application reads."""
    root = tmp_path_factory.mktemp("shard") / "repo"
    shutil.copytree(REPO / "output-example", root)
    values = root / "apps/checkout/values-prod.yaml"
    values.write_text(values.read_text().replace('  tag: "', '  tag: "latest"  # was "', 1))
    service = root / "apps/orders/base/service.yaml"
    selector = '  selector:\n    app.kubernetes.io/name: "orders"\n'
    assert selector in service.read_text()
    service.write_text(service.read_text().replace(selector, selector + "    tier: api\n"))
    (root / "legacy").mkdir()
    (root / "legacy/reports.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: reports, namespace: legacy}\n"
        "spec:\n  selector: {matchLabels: {app: reports}}\n  template:\n"
        "    metadata: {labels: {app: reports}}\n"
        "    spec: {containers: [{name: reports, image: reports}]}\n")
    return root


def test_the_shards_of_output_example_merge_into_the_full_run(broken_example, tmp_path):
    full, runs, files = write_reports(tmp_path, (str(broken_example),), 3, "json",
                                      charts_dir=str(CHARTS), jobs=1)
    codes = {f["code"] for f in full["findings"]}
    assert {"K8S209", "K8S301"} <= codes  # rendered, cross-resource and plain findings
    assert any(", " in (f["application"] or "") for f in full["findings"])  # a shared base
    assert all(run.result.problems != [] for run in runs[:1])
    merged = merge_reports(MergeOptions(reports=tuple(files), fail_on="error"))
    document = json.loads(merged.text)
    assert document["findings"] == full["findings"]
    for key in ("files", "resources", "applications", "errors", "warnings", "info"):
        assert document["summary"][key] == full["summary"][key], key
    assert merged.exit_code == 1 and document["summary"]["exitCode"] == 1
    plain = [f for f in {p for run in runs for p in run.selection.files}]
    assert any(name.endswith("legacy/reports.yaml") for name in plain)
    assert_one_shard_each(runs, plain, full["summary"]["applications"])
    assert min(len(run.selection.applications) for run in runs) >= 10  # round-robin: balanced


def corpus(root: Path, seed: int = 7) -> Path:
    """Plain manifests across namespaces with defects of single objects and of sets (Services
    selecting nothing, HPAs aiming at missing Deployments), and two Applications deploying
    folders of them."""
    pick = random.Random(seed)
    for number in range(60):
        namespace = f"team-{number % 4}"
        folder = root / ("deployed" if number % 3 == 0 else "plain") / namespace
        folder.mkdir(parents=True, exist_ok=True)
        name = f"app-{number}"
        label = name if pick.random() > 0.2 else f"{name}-old"
        image = "nginx" if pick.random() < 0.2 else "nginx:1.27.3"
        (folder / f"{name}.yaml").write_text(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: "
            f"{namespace}}}\nspec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n"
            f"    metadata: {{labels: {{app: {name}}}}}\n"
            f"    spec: {{containers: [{{name: web, image: {image}}}]}}\n---\n"
            f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {namespace}}}\n"
            f"spec: {{selector: {{app: {label}}}, ports: [{{port: 80}}]}}\n")
        if pick.random() < 0.3:
            target = name if pick.random() > 0.5 else f"{name}-gone"
            (folder / f"{name}-hpa.yaml").write_text(
                "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: "
                f"{{name: {name}, namespace: {namespace}}}\nspec:\n  scaleTargetRef: "
                f"{{apiVersion: apps/v1, kind: Deployment, name: {target}}}\n"
                "  minReplicas: 2\n  maxReplicas: 4\n")
    (root / "argocd").mkdir()
    for namespace in ("team-0", "team-1"):
        (root / f"argocd/{namespace}.yaml").write_text(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: "
            f"{{name: {namespace}, namespace: argocd}}\nspec:\n  project: default\n  source:\n"
            "    repoURL: https://github.com/acme/corpus.git\n    targetRevision: main\n"
            f"    path: deployed/{namespace}\n  destination:\n"
            f"    server: https://kubernetes.default.svc\n    namespace: {namespace}\n")
    (root / ".gitops-gen.yaml").write_text("repo-urls: [https://github.com/acme/corpus.git]\n")
    return root


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_the_shards_of_a_generated_corpus_merge_into_the_full_run(tmp_path, fmt):
    root = corpus(tmp_path / "corpus")
    reports = tmp_path / "reports"
    reports.mkdir()
    full, runs, files = write_reports(reports, (str(root),), 4, fmt, jobs=2)
    merged = json.loads(merge_reports(MergeOptions(reports=tuple(files))).text)
    if fmt == "json":
        assert {"K8S209", "K8S301", "K8S111"} <= {f["code"] for f in full["findings"]}
        assert merged["findings"] == full["findings"]
        assert merged["summary"]["files"] == full["summary"]["files"]
        all_files = [name for run in runs for name in run.selection.files]
        assert_one_shard_each(runs, all_files, 2)
        deployed = [f for team in ("team-0", "team-1") for f in (root / "deployed" / team).glob("*")]
        assert full["summary"]["files"] == len(all_files) + len(deployed)
    else:
        key = lambda r: json.dumps(r, sort_keys=True)  # noqa: E731
        results = full["runs"][0]["results"]
        assert sorted(map(key, merged["runs"][0]["results"])) == sorted(map(key, results))
        assert len(results) > 20
        assert merged["runs"][0]["tool"] == full["runs"][0]["tool"]
        schema = json.loads((REPO / "tests/data/sarif-schema-2.1.0.json").read_text())
        validator = jsonschema.Draft4Validator(schema)
        shard = json.loads(Path(files[0]).read_text())
        assert shard["runs"][0]["properties"]["gitops-gen"]["shard"] == "1/4"
        for log in (shard, merged):
            assert not [e.message for e in validator.iter_errors(log)]


@pytest.mark.parametrize("shard", ["0/3", "4/3", "1/0", "a/b", "2"])
def test_a_shard_outside_1_to_n_is_a_one_line_error(tmp_path, shard):
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    result = CliRunner().invoke(main, ["lint", str(tmp_path), "--shard", shard])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"gitops-gen: error: invalid --shard {shard!r} (write I/N with 1 <= I <= N, "
        "e.g. --shard 2/4)"]


@pytest.fixture
def shard_reports(tmp_path) -> list[Path]:
    (tmp_path / "src").mkdir()
    for number in range(4):
        image = "nginx" if number == 2 else "nginx:1.27.3"
        (tmp_path / f"src/d{number}.yaml").write_text(
            f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p{number}}}\n"
            f"spec: {{containers: [{{name: c, image: {image}}}]}}\n")
    paths = []
    for index in (1, 2):
        path = tmp_path / f"s{index}.json"
        result = CliRunner().invoke(main, ["lint", str(tmp_path / "src"), "--shard", f"{index}/2",
                                           "-f", "json", "-o", str(path), "--fail-on", "never",
                                           "--select", "image-unpinned"])
        assert result.exit_code == 0, result.output
        paths.append(path)
    return paths


def test_merge_reports_exit_code_follows_fail_on(shard_reports, tmp_path):
    names = [str(p) for p in shard_reports]
    failing = CliRunner().invoke(main, ["merge-reports", *names])
    assert failing.exit_code == 1
    assert json.loads(failing.output)["summary"]["errors"] == 1
    out = tmp_path / "merged.json"
    passing = CliRunner().invoke(main, ["merge-reports", *names, "--fail-on", "never",
                                        "-o", str(out)])
    assert passing.exit_code == 0 and json.loads(out.read_text())["summary"]["exitCode"] == 0


def test_merge_reports_refuses_mismatched_reports(shard_reports, tmp_path):
    first, second = (str(p) for p in shard_reports)

    def refused(*reports: str) -> str:
        result = CliRunner().invoke(main, ["merge-reports", *reports])
        assert result.exit_code == 2, result.output
        assert len(result.output.strip().splitlines()) == 1
        return result.output

    assert "shard 2/2 missing" in refused(first)
    assert "shard 1/2 given twice" in refused(first, first, second)
    other = tmp_path / "other.json"
    document = json.loads(Path(second).read_text())
    document["tool"]["version"] = "0.0.1"
    other.write_text(json.dumps(document))
    assert "differ in gitops-gen version" in refused(first, str(other))
    sarif = tmp_path / "s.sarif"
    sarif.write_text(json.dumps({"version": "2.1.0", "runs": [
        {"tool": {"driver": {"name": "gitops-gen", "version": "0.1.0"}}, "results": []}]}))
    assert "reports of different formats" in refused(first, str(sarif))
    junk = tmp_path / "junk.json"
    junk.write_text("[1, 2]")
    assert "not a JSON or SARIF report of gitops-gen" in refused(str(junk))
