"""`lint --changed-since REF`: only what a change touches is linted and reported: changed files,
and the Applications whose render reads a changed file; cross-resource rules still see the
whole cluster."""

from __future__ import annotations

import json
from pathlib import Path

import git
import pytest
from click.testing import CliRunner

from gitops_gen.api import LintOptions, lint
from gitops_gen.cli import main

REPO_URL = "https://github.com/acme/gitops.git"
RULES = ("image-unpinned", "service-selector-no-match")


def application(name: str, path: str, namespace: str, helm: str = "") -> str:
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: {REPO_URL}
    targetRevision: main
    path: {path}{helm}
  destination:
    server: https://kubernetes.default.svc
    namespace: {namespace}
"""


def deployment(name: str, image: str, label: str | None = None) -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  selector:
    matchLabels: {{app: {label or name}}}
  template:
    metadata:
      labels: {{app: {label or name}}}
    spec:
      containers:
        - name: {name}
          image: {image}
"""


SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: plain
spec:
  selector: {app: plain}
  ports: [{port: 80}]
"""

FILES = {
    ".gitops-gen.yaml": f"repo-urls: [{REPO_URL}]\nk8s-version: \"1.33\"\n",
    "argocd/apps.yaml": "---\n".join([
        application("web-staging", "apps/web/overlays/staging", "web-staging"),
        application("web-prod", "apps/web/overlays/prod", "web-prod"),
        application("api-staging", "apps/api/chart", "api-staging",
                    "\n    helm:\n      valueFiles: [../values-staging.yaml]"),
        application("api-prod", "apps/api/chart", "api-prod",
                    "\n    helm:\n      valueFiles: [../values-prod.yaml]"),
    ]),
    "apps/web/base/kustomization.yaml": "resources: [deployment.yaml]\n",
    "apps/web/base/deployment.yaml": deployment("web", "nginx:1.27.3"),
    "apps/web/overlays/staging/kustomization.yaml": "resources: [../../base]\n",
    "apps/web/overlays/prod/kustomization.yaml": "resources: [../../base]\n",
    "apps/api/chart/Chart.yaml": "apiVersion: v2\nname: api\nversion: 1.0.0\n",
    "apps/api/chart/values.yaml": "tag: \"2.0.1\"\n",
    "apps/api/chart/templates/deployment.yaml": deployment("api", "acme/api:{{ .Values.tag }}"),
    "apps/api/values-staging.yaml": "tag: \"2.0.1\"\n",
    "apps/api/values-prod.yaml": "tag: \"2.0.1\"\n",
    "plain/deployment.yaml": deployment("plain", "nginx:1.27.3"),
    "plain/service.yaml": SERVICE,
    "plain/legacy.yaml": deployment("legacy", "nginx:latest"),  # an old finding, unchanged
}


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "repo"
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    repository = git.Repo.init(root)
    repository.index.add(list(FILES))
    actor = git.Actor("test", "test@example.com")
    repository.index.commit("base", author=actor, committer=actor)
    repository.create_tag("base")
    monkeypatch.chdir(root)
    return root


def run_changed(**options):
    return lint(LintOptions(paths=(".",), changed_since="base", select=RULES, **options))


def found(run) -> set[tuple[str, str, str | None]]:
    return {(p.file, p.code, p.application) for p in run.result.problems}


def commit(root: Path, message: str = "change") -> None:
    repository = git.Repo(root)
    repository.git.add(A=True)
    actor = git.Actor("test", "test@example.com")
    repository.index.commit(message, author=actor, committer=actor)


def test_a_changed_values_file_lints_only_the_application_that_reads_it(repo):
    (repo / "apps/api/values-prod.yaml").write_text('tag: "latest"\n')
    commit(repo)
    run = run_changed()
    assert run.selection.applications == {"api-prod": "apps/api/values-prod.yaml changed"}
    assert run.selection.files == []
    assert found(run) == {("apps/api/values-prod.yaml", "K8S209", "api-prod")}
    assert run.exit_code == 1
    full = lint(LintOptions(paths=(".",), select=RULES))
    assert ("plain/legacy.yaml", "K8S209", None) in found(full)  # not reported when unchanged


def test_a_changed_base_lints_every_overlays_application(repo):
    base = repo / "apps/web/base/deployment.yaml"
    base.write_text(base.read_text().replace("nginx:1.27.3", "nginx"))  # uncommitted
    run = run_changed()
    assert set(run.selection.applications) == {"web-staging", "web-prod"}
    assert found(run) == {("apps/web/base/deployment.yaml", "K8S209", "web-prod, web-staging")}


def test_a_changed_chart_default_value_lints_every_application_of_the_chart(repo):
    (repo / "apps/api/chart/values.yaml").write_text('tag: "2.0.2"\n')
    run = run_changed()
    assert set(run.selection.applications) == {"api-staging", "api-prod"}
    assert run.exit_code == 0


def test_a_changed_plain_manifest_lints_only_that_file(repo):
    (repo / "plain/new.yaml").write_text(deployment("new", "busybox"))  # untracked
    run = run_changed()
    assert run.selection.files == ["plain/new.yaml"] and run.selection.applications == {}
    assert found(run) == {("plain/new.yaml", "K8S209", None)}
    assert run.result.files == 1


def test_cross_resource_rules_see_the_unchanged_files_of_the_cluster(repo):
    service = repo / "plain/service.yaml"
    service.write_text(service.read_text().replace("name: plain", "name: plain\n  labels: {a: b}"))
    assert found(run_changed()) == set()  # its workload is in an unchanged file: no finding
    workload = repo / "plain/deployment.yaml"
    workload.write_text(deployment("plain", "nginx:1.27.3", label="renamed"))
    service.write_text(SERVICE)
    # the change breaks the unchanged Service: its cross-resource finding is reported
    assert found(run_changed()) == {("plain/service.yaml", "K8S301", None)}


def test_a_changed_application_file_lints_its_applications_and_the_file(repo):
    apps = repo / "argocd/apps.yaml"
    apps.write_text(apps.read_text().replace("namespace: api-prod", "namespace: api-live"))
    run = run_changed()
    assert set(run.selection.applications) == {"web-staging", "web-prod", "api-staging",
                                               "api-prod"}
    assert run.selection.files == ["argocd/apps.yaml"]


def test_no_change_lints_nothing_and_passes_saying_so(repo):
    result = CliRunner().invoke(main, ["lint", ".", "--changed-since", "base"])
    assert result.exit_code == 0, result.output
    assert "no changes since base: nothing linted" in result.output
    assert "No files were linted." in result.output


def test_the_summary_says_what_was_selected_and_why(repo):
    (repo / "apps/api/values-prod.yaml").write_text('tag: "2.0.2"\n')
    (repo / "plain/new.yaml").write_text(deployment("new", "busybox:1.36"))
    result = CliRunner().invoke(main, ["lint", ".", "--changed-since", "base", "-f", "json",
                                       "--select", "image-unpinned"])
    assert result.exit_code == 0, result.output
    selection = json.loads(result.output)["selection"]
    assert selection["changedSince"] == "base" and selection["shard"] is None
    assert selection["changedFiles"] == ["apps/api/values-prod.yaml", "plain/new.yaml"]
    assert selection["files"] == ["plain/new.yaml"]
    assert selection["applications"] == [{"name": "api-prod",
                                          "reason": "apps/api/values-prod.yaml changed"}]
    assert selection["description"] == (
        "changed since base: 2 files changed; linted 1 file, 1 Application "
        "(apps/api/values-prod.yaml changed: api-prod)")


def test_a_change_nothing_reads_lints_nothing(repo):
    (repo / "README.md").write_text("notes\n")
    run = run_changed()
    assert run.selection.empty and run.result.problems == [] and run.exit_code == 0
    assert "nothing linted" in run.selection.describe()


def test_an_unknown_ref_is_a_one_line_error(repo):
    result = CliRunner().invoke(main, ["lint", ".", "--changed-since", "origin/nope"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"gitops-gen: error: unknown Git ref 'origin/nope' in {repo} (fetch it first "
        "(git fetch origin main); in GitHub Actions check out with fetch-depth: 0)"]


def test_a_path_outside_git_is_a_one_line_error(tmp_path, monkeypatch):
    (tmp_path / "a.yaml").write_text(SERVICE)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["lint", "a.yaml", "--changed-since", "main"])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert "a.yaml is not in a Git repository" in result.output


def test_a_changed_app_project_lints_the_applications_in_it(repo):
    (repo / "argocd/project.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: default, "
        "namespace: argocd}\nspec:\n  sourceRepos: ['*']\n")
    run = run_changed()
    assert run.selection.applications == dict.fromkeys(
        ("web-staging", "web-prod", "api-staging", "api-prod"), "AppProject default changed")


def test_a_renamed_manifest_is_linted_under_its_new_name(repo):
    repository = git.Repo(repo)
    repository.index.move(["plain/legacy.yaml", "plain/old.yaml"])
    commit(repo, "rename")
    run = run_changed()
    assert run.selection.changed == ["plain/legacy.yaml", "plain/old.yaml"]
    assert run.selection.files == ["plain/old.yaml"]
    assert found(run) == {("plain/old.yaml", "K8S209", None)}
