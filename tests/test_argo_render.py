"""lint renders Argo CD Applications as the repo-server would, lints what they deploy, and reports
each finding at the repository line that made it, naming the Application."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gitops_gen.api import LintOptions, lint

REPO_URL = "https://github.com/acme/gitops.git"
CONFIG = f"repo-urls: [{REPO_URL}]\nk8s-version: \"1.33\"\n"
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: IMAGE
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text) if text.startswith("\n") else text)
    return root


def application(name: str, source: str, namespace: str = "web", extra: str = "") -> str:
    """An Application of this repository's `source` (YAML lines of spec.source, 4-space indent)."""
    return (f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n"
            f"  namespace: argocd\nspec:\n  project: default\n  source:\n{source}"
            f"  destination:\n    server: https://kubernetes.default.svc\n"
            f"    namespace: {namespace}\n{extra}")


def run(root: Path, *codes: str, **options):
    return lint(LintOptions(paths=(str(root),), select=codes, jobs=1,
                            charts_dir=options.pop("charts_dir", str(root / "no-charts")),
                            **options))


def found(result, root: Path) -> list[tuple]:
    return sorted((p.code, str(Path(p.file).resolve().relative_to(root.resolve())), p.line,
                   p.column) for p in result.result.problems)


def chart(root: Path, folder: str, values: str = "image:\n  repository: acme/web\n  tag: \"1.0\"\n"
          ) -> None:
    """A small local chart: a Deployment whose image comes from values."""
    template = DEPLOYMENT.replace(
        "IMAGE", '"{{ .Values.image.repository }}:{{ .Values.image.tag }}"').replace(
        "replicas: 2", "replicas: {{ .Values.replicas | default 2 }}")
    write(root, {f"{folder}/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
                 f"{folder}/values.yaml": values,
                 f"{folder}/templates/deployment.yaml": template})


# --------------------------------------------------------------------------- plain directories


def test_directory_source_lints_its_files_in_place_in_the_application_context(tmp_path):
    write(tmp_path, {
        ".gitops-gen.yaml": CONFIG,
        "apps/web.yaml": application(
            "web", f"    repoURL: {REPO_URL}\n    targetRevision: main\n    path: deploy\n"
                   "    directory:\n      recurse: true\n      exclude: 'skip/*'\n"),
        "deploy/web.yaml": DEPLOYMENT.replace("IMAGE", "acme/web:latest"),
        "deploy/skip/ignored.yaml": DEPLOYMENT.replace("IMAGE", "acme/other:latest"),
    })
    result = run(tmp_path, "K8S209")
    [problem] = [p for p in result.result.problems if p.code == "K8S209"
                 and "acme/web" in p.message]
    assert (problem.line, problem.column) == (15, 18)        # the file's own position
    assert problem.application == "web" and problem.rendered is None
    assert problem.resource.namespace == "web"               # the destination namespace
    skipped = [p for p in result.result.problems if "acme/other" in p.message]
    assert [p.application for p in skipped] == [None]        # excluded: linted as a plain file


def test_cross_resource_rules_see_one_cluster_at_a_time(tmp_path):
    """A PDB that staging deploys does not cover prod's Deployment of the same name."""
    pdb = ("apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\n"
           "spec:\n  maxUnavailable: 1\n  selector:\n    matchLabels: {app: web}\n")
    files = {".gitops-gen.yaml": CONFIG,
             "staging/pdb.yaml": pdb,
             "staging/web.yaml": DEPLOYMENT.replace("IMAGE", "acme/web:1.0"),
             "prod/web.yaml": DEPLOYMENT.replace("IMAGE", "acme/web:1.0")}
    for env in ("staging", "prod"):
        files[f"roots/{env}.yaml"] = application(
            env, f"    repoURL: {REPO_URL}\n    targetRevision: main\n    path: {env}\n",
            extra=f"  # {env}\n").replace(
            "server: https://kubernetes.default.svc", f"server: https://{env}.eks.example")
    write(tmp_path, files)
    result = run(tmp_path, "K8S108")
    assert found(result, tmp_path) == [("K8S108", "prod/web.yaml", 4, 9)]
    assert run(tmp_path, "K8S108", render=False).result.problems == []  # files alone: one set


# --------------------------------------------------------------------------- Kustomize


def kustomize_repo(root: Path, tag: str = "1.4.2") -> Path:
    return write(root, {
        ".gitops-gen.yaml": CONFIG,
        "apps/web.yaml": application(
            "web-prod", f"    repoURL: {REPO_URL}\n    targetRevision: main\n"
                        "    path: web/overlays/prod\n"),
        "web/base/kustomization.yaml": "resources: [deployment.yaml]\n",
        "web/base/deployment.yaml": DEPLOYMENT.replace("IMAGE", "acme/web"),
        "web/overlays/prod/kustomization.yaml": textwrap.dedent(f"""\
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            namespace: web
            resources:
              - ../../base
            images:
              - name: acme/web
                newTag: "{tag}"
            """),
    })


def test_kustomize_overlay_is_built_and_a_tag_set_there_is_reported_there(tmp_path):
    kustomize_repo(tmp_path, tag="latest")
    result = run(tmp_path, "K8S209")
    assert found(result, tmp_path) == [("K8S209", "web/overlays/prod/kustomization.yaml", 8, 13)]
    [problem] = result.result.problems
    assert problem.application == "web-prod"
    assert problem.rendered == "kustomize web/overlays/prod (web/base/deployment.yaml)"
    # the files themselves say nothing wrong: only the build shows the tag
    assert run(tmp_path, "K8S209", render=False).result.problems[0].file.endswith(
        "deployment.yaml")  # file-only lint sees an untagged image instead


def test_kustomize_files_are_not_linted_twice(tmp_path):
    kustomize_repo(tmp_path)
    result = run(tmp_path)
    assert result.result.problems == [] or all(p.application == "web-prod" or p.code == "ARGO006"
                                               for p in result.result.problems)
    skipped = dict(result.result.skipped_files)
    assert skipped[str(tmp_path / "web/base/deployment.yaml")] == (
        "rendered through Application web-prod")


def test_kustomize_build_error_is_render_failed_on_the_application(tmp_path):
    kustomize_repo(tmp_path)
    (tmp_path / "web/base/deployment.yaml").unlink()
    result = run(tmp_path, "ARGO015")
    assert found(result, tmp_path) == [("ARGO015", "apps/web.yaml", 11, 11)]
    assert "deployment.yaml" in result.result.problems[0].message


# --------------------------------------------------------------------------- Helm


def helm_repo(root: Path, prod_values: str, extra_helm: str = "") -> Path:
    chart(root, "charts/web")
    write(root, {
        ".gitops-gen.yaml": CONFIG,
        "charts/web/values-prod.yaml": prod_values,
        "apps/web.yaml": application(
            "web-prod", f"    repoURL: {REPO_URL}\n    targetRevision: main\n    path: charts/web\n"
                        f"    helm:\n      valueFiles: [values-prod.yaml]\n{extra_helm}"),
    })
    return root


def test_helm_value_files_are_layered_and_the_line_that_set_the_tag_is_reported(tmp_path):
    helm_repo(tmp_path, "image:\n  tag: latest\n")
    result = run(tmp_path, "K8S209")
    assert found(result, tmp_path) == [("K8S209", "charts/web/values-prod.yaml", 2, 8)]
    assert result.result.problems[0].rendered == "chart web (templates/deployment.yaml)"


def test_helm_values_object_and_parameters_win_over_value_files(tmp_path):
    helm_repo(tmp_path, "image:\n  tag: latest\n",
              "      valuesObject:\n        image:\n          tag: \"2.0\"\n"
              "      parameters:\n        - name: replicas\n          value: \"1\"\n")
    result = run(tmp_path, "K8S209", "K8S107")
    codes = [p.code for p in result.result.problems]
    assert "K8S209" not in codes                     # valuesObject pinned the tag
    assert codes == ["K8S107"]                       # the parameter set replicas: 1


def test_missing_value_file_is_an_error_unless_ignored(tmp_path):
    helm_repo(tmp_path, "{}\n")
    app = tmp_path / "apps/web.yaml"
    app.write_text(app.read_text().replace("[values-prod.yaml]", "[values-prod.yaml, values-eu.yaml]"))
    result = run(tmp_path, "ARGO003")
    assert found(result, tmp_path) == [("ARGO003", "apps/web.yaml", 13, 38)]
    assert "values-eu.yaml" in result.result.problems[0].message
    app.write_text(app.read_text().replace("      valueFiles:",
                                           "      ignoreMissingValueFiles: true\n      valueFiles:"))
    assert run(tmp_path, "ARGO003").result.problems == []


def test_multi_source_values_ref_and_remote_chart_from_the_cache(tmp_path):
    import helm_python

    chart(tmp_path / "src", "web")
    cache = tmp_path / "cache"
    cache.mkdir()
    helm_python.package(str(tmp_path / "src" / "web"), destination=str(cache))
    assert (cache / "web-0.1.0.tgz").is_file()
    write(tmp_path / "repo", {
        ".gitops-gen.yaml": CONFIG,
        "values/web-prod.yaml": "image:\n  tag: latest\n",
        "apps/web.yaml": textwrap.dedent(f"""\
            apiVersion: argoproj.io/v1alpha1
            kind: Application
            metadata: {{name: web, namespace: argocd}}
            spec:
              project: default
              sources:
                - repoURL: https://charts.acme.example
                  chart: web
                  targetRevision: 0.1.0
                  helm:
                    valueFiles: [$values/values/web-prod.yaml]
                - repoURL: {REPO_URL}
                  targetRevision: main
                  ref: values
              destination: {{server: https://kubernetes.default.svc, namespace: web}}
            """)})
    repo = tmp_path / "repo"
    result = run(repo, "K8S209", "ARGO014", charts_dir=str(cache))
    assert found(result, repo) == [("K8S209", "values/web-prod.yaml", 2, 8)]
    missing = run(repo, "K8S209", "ARGO014", charts_dir=str(tmp_path / "empty"))
    assert found(missing, repo) == [("ARGO014", "apps/web.yaml", 8, 14)]
    assert "helm pull web --repo https://charts.acme.example --version 0.1.0" in (
        missing.result.problems[0].message)


def test_chart_sees_the_kubernetes_version_and_the_api_versions(tmp_path):
    chart(tmp_path, "charts/web")
    write(tmp_path, {
        ".gitops-gen.yaml": CONFIG,
        "charts/web/templates/monitor.yaml": textwrap.dedent("""\
            {{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }}
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: monitor
            data:
              version: {{ .Capabilities.KubeVersion.Version | quote }}
            {{- end }}
            """),
        "apps/web.yaml": application(
            "web", f"    repoURL: {REPO_URL}\n    targetRevision: main\n    path: charts/web\n"),
    })
    from gitops_gen.argo.apps import repo_identity
    from gitops_gen.argo.deploy import DeploySettings, build
    from gitops_gen.argo.scan import scan
    from gitops_gen.lint.sources import discover

    sources, _ = discover([str(tmp_path)])
    deployment = build(scan(sources), DeploySettings(
        repo=repo_identity(str(tmp_path), [REPO_URL]), charts_dir=tmp_path / "none",
        kube_version="1.33"))
    [render] = deployment.renders
    [monitor] = [d.obj for d in render.objects if d.obj["kind"] == "ConfigMap"]
    assert monitor["data"]["version"] == "v1.33.0"


def test_remote_git_source_is_reported_as_not_rendered(tmp_path):
    write(tmp_path, {
        ".gitops-gen.yaml": CONFIG,
        "apps/web.yaml": application(
            "web", "    repoURL: https://github.com/acme/other.git\n    targetRevision: main\n"
                   "    path: deploy\n")})
    result = run(tmp_path, "ARGO016")
    assert found(result, tmp_path) == [("ARGO016", "apps/web.yaml", 9, 14)]


def test_no_render_keeps_the_file_only_lint(tmp_path):
    helm_repo(tmp_path, "image:\n  tag: latest\n")
    assert run(tmp_path, "K8S209", render=False).result.problems == []
    assert run(tmp_path, "K8S209", render=False).result.applications == 0


def test_each_cluster_is_checked_at_its_own_kubernetes_version(tmp_path):
    """ValidatingAdmissionPolicy is served as v1 from 1.30: a 1.29 cluster does not know it."""
    policy = ("apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n"
              "metadata:\n  name: replicas\nspec:\n  validations:\n"
              "    - expression: object.spec.replicas <= 5\n")
    files = {".gitops-gen.yaml": CONFIG + "clusters:\n  - applications: [old-*]\n"
                                          "    k8s-version: \"1.29\"\n"}
    for env in ("old", "new"):
        files[f"{env}/policy.yaml"] = policy
        files[f"roots/{env}.yaml"] = application(
            f"{env}-root", f"    repoURL: {REPO_URL}\n    targetRevision: main\n    path: {env}\n")
    write(tmp_path, files)
    result = run(tmp_path, "SCH003")
    assert found(result, tmp_path) == [("SCH003", "old/policy.yaml", 1, 13)]
    assert "1.29" in result.result.problems[0].message


def test_cluster_versions_are_validated_in_the_config(tmp_path):
    from gitops_gen.errors import GitopsGenError

    write(tmp_path, {".gitops-gen.yaml": CONFIG + "clusters:\n  - applications: [a]\n"
                                                   "    k8s-version: 1.30\n"})
    with pytest.raises(GitopsGenError, match="quoted") as error:
        run(tmp_path)
    assert (error.value.line, error.value.column) == (5, 18)


def test_a_chart_deployed_by_a_root_application_renders_for_that_root_clusters_version(tmp_path):
    chart(tmp_path, "charts/web")
    write(tmp_path, {
        ".gitops-gen.yaml": CONFIG + "clusters:\n  - applications: [old-root]\n"
                                     "    k8s-version: \"1.29\"\n",
        "charts/web/templates/version.yaml": (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: version\ndata:\n"
            "  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n"),
        "old/web.yaml": application(
            "web", f"    repoURL: {REPO_URL}\n    targetRevision: main\n    path: charts/web\n"),
        "roots/old.yaml": application(
            "old-root", f"    repoURL: {REPO_URL}\n    targetRevision: main\n    path: old\n",
            namespace="argocd"),
    })
    from gitops_gen.argo.apps import repo_identity
    from gitops_gen.argo.deploy import DeploySettings, build
    from gitops_gen.argo.scan import scan
    from gitops_gen.lint.config_entries import ClusterVersion
    from gitops_gen.lint.sources import discover

    sources, _ = discover([str(tmp_path)])
    deployment = build(scan(sources), DeploySettings(
        repo=repo_identity(str(tmp_path), [REPO_URL]), charts_dir=tmp_path / "none",
        kube_version="1.33", clusters=(ClusterVersion(("old-root",), "1.29"),)))
    [web] = [r for r in deployment.renders if r.app.name == "web"]
    assert web.app.root.name == "old-root"
    [version] = [d.obj for d in web.objects if d.obj["kind"] == "ConfigMap"]
    assert version["data"]["kube"] == "v1.29.0"


def test_a_value_set_by_an_application_parameter_is_reported_there(tmp_path):
    helm_repo(tmp_path, "{}\n", "      parameters:\n        - name: image.tag\n"
                                "          value: latest\n")
    result = run(tmp_path, "K8S209")
    assert found(result, tmp_path) == [("K8S209", "apps/web.yaml", 16, 18)]


def test_an_image_set_in_the_application_kustomize_options_is_reported_there(tmp_path):
    kustomize_repo(tmp_path)
    app = tmp_path / "apps/web.yaml"
    app.write_text(app.read_text().replace(
        "    path: web/overlays/prod\n",
        "    path: web/overlays/prod\n    kustomize:\n      images: [acme/web:latest]\n"))
    result = run(tmp_path, "K8S209")
    assert found(result, tmp_path) == [("K8S209", "apps/web.yaml", 13, 16)]


def test_applicationset_generates_the_applications_it_would_create_and_each_is_rendered(tmp_path):
    files = {".gitops-gen.yaml": CONFIG,
             "apps.yaml": textwrap.dedent(f"""\
                apiVersion: argoproj.io/v1alpha1
                kind: ApplicationSet
                metadata: {{name: teams, namespace: argocd}}
                spec:
                  goTemplate: true
                  generators:
                    - git:
                        repoURL: {REPO_URL}
                        revision: main
                        directories:
                          - path: teams/*
                  template:
                    metadata:
                      name: '{{{{ .path.basename }}}}'
                    spec:
                      project: teams
                      source:
                        repoURL: {REPO_URL}
                        targetRevision: main
                        path: '{{{{ .path.path }}}}'
                      destination:
                        server: https://kubernetes.default.svc
                        namespace: '{{{{ .path.basename }}}}'
                """)}
    for team, tag in (("blue", "1.0"), ("green", "latest")):
        files[f"teams/{team}/web.yaml"] = DEPLOYMENT.replace("IMAGE", f"acme/{team}:{tag}")
    write(tmp_path, files)
    result = run(tmp_path, "K8S209")
    assert result.result.applications == 2
    [problem] = result.result.problems
    assert (problem.application, problem.resource.namespace) == ("green", "green")
    assert found(result, tmp_path) == [("K8S209", "teams/green/web.yaml", 15, 18)]
