"""The Application rules ARGO002/005/007/008/009/010/012/013 on small repositories: each fires
at the line of the Application that causes it, and stays quiet when the wiring is right.
Argo CD's AppProject matching is checked against the cases of argo-cd's own tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gitops_gen.api import LintOptions, lint
from gitops_gen.argo.matching import (destination_permitted, glob_match, resource_denial,
                                      source_permitted)

REPO_URL = "https://github.com/acme/gitops.git"
IN_CLUSTER = "https://kubernetes.default.svc"
CODES = ("ARGO002", "ARGO005", "ARGO007", "ARGO008", "ARGO009", "ARGO010", "ARGO012", "ARGO013")


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def config(extra: str = "") -> str:
    return f"repo-urls: [{REPO_URL}]\nk8s-version: \"1.33\"\n{extra}"


def application(name: str, path: str = "deploy", *, namespace: str | None = "web",
                project: str = "default", repo: str = REPO_URL, revision: str | None = "main",
                server: str = IN_CLUSTER, metadata: str = "", spec: str = "") -> str:
    """An Application with one source; `metadata` and `spec` are extra lines (2-space indent)."""
    lines = ["apiVersion: argoproj.io/v1alpha1", "kind: Application", "metadata:",
             f"  name: {name}", "  namespace: argocd", metadata.rstrip("\n"), "spec:",
             f"  project: {project}", "  source:", f"    repoURL: {repo}"]
    lines += [f"    targetRevision: {revision}"] if revision is not None else []
    lines += [f"    path: {path}", "  destination:", f"    server: {server}"]
    lines += [f"    namespace: {namespace}"] if namespace else []
    return "\n".join(line for line in lines + [spec.rstrip("\n")] if line) + "\n"


def configmap(name: str, namespace: str | None = None, kind: str = "ConfigMap",
              api_version: str = "v1") -> str:
    where = f"\n  namespace: {namespace}" if namespace else ""
    return f"apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: {name}{where}\n"


def crd(kind: str, group: str = "example.com", scope: str = "Namespaced",
        annotations: str = "", description: str = "") -> str:
    plural = kind.lower() + "s"
    return textwrap.dedent(f"""\
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: {plural}.{group}
          annotations: {{{annotations}}}
        spec:
          group: {group}
          scope: {scope}
          names: {{kind: {kind}, plural: {plural}, singular: {kind.lower()}}}
          versions:
            - name: v1
              served: true
              storage: true
              schema:
                openAPIV3Schema:
                  type: object
                  description: "{description}"
        """)


def chart_with_crds(root: Path, folder: str, *crds: str) -> None:
    """A local Helm chart whose `crds/` folder holds `crds` and whose template a ConfigMap."""
    write(root, {f"{folder}/Chart.yaml": "apiVersion: v2\nname: operator\nversion: 0.1.0\n",
                 f"{folder}/values.yaml": "{}\n",
                 f"{folder}/templates/config.yaml": configmap("operator-config")})
    for index, text in enumerate(crds):
        write(root, {f"{folder}/crds/crd{index}.yaml": text})


def run(root: Path, *codes: str):
    return lint(LintOptions(paths=(str(root),), select=codes or CODES, jobs=1,
                            charts_dir=str(root / "no-charts")))


def found(result, root: Path) -> list[tuple]:
    return sorted((p.code, str(Path(p.file).resolve().relative_to(root.resolve())), p.line,
                   p.column) for p in result.result.problems)


def at(root: Path, file: str, marker: str, code: str, value: bool = True) -> tuple:
    """The finding `code` expected at `marker` (`key: value`) in `file`: its value, or key."""
    for number, line in enumerate((root / file).read_text().splitlines(), 1):
        if marker in line:
            column = line.index(marker) + 1
            if value and ": " in marker:
                column += marker.index(": ") + 2
            return code, file, number, column
    raise AssertionError(f"{marker!r} not in {file}")


def root_of(name: str, folder: str, **options) -> str:
    """A root Application deploying the child Applications written in `folder`."""
    return application(name, folder, namespace="argocd", **options)


# --------------------------------------------------------------------------- ARGO002


def test_floating_git_revision_in_production_fires_on_the_revision(tmp_path):
    other = "https://github.com/acme/payments-deploy.git"
    write(tmp_path, {
        ".gitops-gen.yaml": config(),
        "roots/prod.yaml": root_of("prod-root", "prod"),
        "roots/staging.yaml": root_of("staging-root", "staging"),
        "prod/payments.yaml": application("payments", "overlays/prod", repo=other),
        "prod/tagged.yaml": application("tagged", "overlays/prod", repo=other, revision="v2.14.0"),
        "prod/pinned.yaml": application("pinned", "overlays/prod", repo=other,
                                        revision="3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f"),
        "prod/tag-ref.yaml": application("tag-ref", "overlays/prod", repo=other,
                                         revision="refs/tags/payments-2024.1"),
        "prod/default.yaml": application("unset", "overlays/prod", repo=other, revision=None),
        "prod/here.yaml": application("here", "deploy"),
        "staging/payments.yaml": application("staging-payments", "overlays/prod", repo=other),
        "labelled.yaml": application("payments-eu", "overlays/prod", repo=other,
                                     metadata="  labels: {environment: Production}"),
        "deploy/cm.yaml": configmap("web"),
    })
    result = run(tmp_path, "ARGO002")
    assert found(result, tmp_path) == sorted([
        at(tmp_path, "prod/payments.yaml", "targetRevision: main", "ARGO002"),
        at(tmp_path, "prod/default.yaml", "repoURL: ", "ARGO002", False),  # HEAD by default
        at(tmp_path, "labelled.yaml", "targetRevision: main", "ARGO002")])
    assert "floating revision 'HEAD'" in " ".join(p.message for p in result.result.problems)


def test_floating_revision_of_this_repository_counts_only_when_asked(tmp_path):
    write(tmp_path, {
        ".gitops-gen.yaml": config(),
        "apps/prod-web.yaml": application("prod-web"),
        "deploy/cm.yaml": configmap("web"),
    })
    assert run(tmp_path, "ARGO002").result.problems == []
    (tmp_path / ".gitops-gen.yaml").write_text(config(
        "rules:\n  ARGO002:\n    options: {include-this-repository: true}\n"))
    assert found(run(tmp_path, "ARGO002"), tmp_path) == [
        at(tmp_path, "apps/prod-web.yaml", "targetRevision: main", "ARGO002")]


def test_this_repository_is_recognised_without_configured_urls(tmp_path):
    """No repo-urls and no Git remote: a URL whose source paths exist here is this repository."""
    other = "https://github.com/acme/payments-deploy.git"
    write(tmp_path, {
        ".gitops-gen.yaml": "k8s-version: \"1.33\"\n",
        "apps/prod-web.yaml": application("prod-web", repo=REPO_URL),
        "apps/prod-pay.yaml": application("prod-payments", "overlays/prod", repo=other),
        "deploy/cm.yaml": configmap("web"),
    })
    assert found(run(tmp_path, "ARGO002"), tmp_path) == [
        at(tmp_path, "apps/prod-pay.yaml", "targetRevision: main", "ARGO002")]
    (tmp_path / "deploy/cm.yaml").unlink()
    (tmp_path / "deploy").rmdir()   # no source path here: as the renderer, every URL is local
    assert run(tmp_path, "ARGO002").result.problems == []


# --------------------------------------------------------------------------- ARGO005


PROJECT = f"""\
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {{name: web, namespace: argocd}}
spec:
  sourceRepos: [{REPO_URL}]
  destinations:
    - {{server: {IN_CLUSTER}, namespace: web}}
  clusterResourceWhitelist:
    - {{group: "", kind: Namespace, name: web}}
  namespaceResourceBlacklist:
    - {{group: "", kind: Secret}}
"""


def test_project_refuses_repositories_namespaces_and_kinds_the_application_deploys(tmp_path):
    app = application("web", project="web", spec=(
        "  sources:\n"
        f"    - {{repoURL: '{REPO_URL}', targetRevision: main, path: deploy}}\n"
        "    - {repoURL: 'https://github.com/acme/values.git', targetRevision: main, ref: v}\n"))
    write(tmp_path, {
        ".gitops-gen.yaml": config(),
        "projects.yaml": PROJECT,
        "apps/web.yaml": app,
        "deploy/ns.yaml": configmap("web", kind="Namespace") + "---\n" + configmap(
            "other", kind="Namespace"),
        "deploy/cm.yaml": configmap("web") + "---\n" + configmap("shared", "other"),
        "deploy/secret.yaml": configmap("token", kind="Secret"),
        "deploy/role.yaml": configmap("reader", kind="ClusterRole",
                                      api_version="rbac.authorization.k8s.io/v1"),
    })
    result = run(tmp_path, "ARGO005")
    expected = at(tmp_path, "apps/web.yaml", "project: web", "ARGO005")
    assert found(result, tmp_path) == [expected] * 5
    messages = sorted(p.message for p in result.result.problems)
    assert messages == sorted([
        "AppProject web does not allow the repository https://github.com/acme/values.git "
        "(sourceRepos)",
        "AppProject web does not allow namespace 'other' (ConfigMap other/shared) on cluster "
        f"{IN_CLUSTER} (destinations)",
        "AppProject web does not allow the cluster-scoped kind core/Namespace: it is not in "
        "its clusterResourceWhitelist (Namespace other)",
        "AppProject web does not allow the cluster-scoped kind rbac.authorization.k8s.io/"
        "ClusterRole: it is not in its clusterResourceWhitelist (ClusterRole.rbac.authorization"
        ".k8s.io reader)",
        "AppProject web does not allow the namespaced kind core/Secret: it is in its "
        "namespaceResourceBlacklist (Secret web/token)"])


def test_project_that_allows_everything_deployed_and_undefined_projects_are_quiet(tmp_path):
    project = PROJECT.replace("namespace: web}", "namespace: 'w*'}").replace(
        "name: web}", "name: web}\n    - {group: rbac.authorization.k8s.io, kind: 'Cluster*'}"
    ).replace("kind: Secret}", "kind: Deploy*}")
    write(tmp_path, {
        ".gitops-gen.yaml": config(),
        "projects.yaml": project,
        "apps/web.yaml": application("web", project="web"),
        "apps/other.yaml": application("other", project="not-in-this-repo", namespace="x"),
        "deploy/all.yaml": "---\n".join([
            configmap("web", kind="Namespace"), configmap("web"), configmap("token", "web-2",
                                                                            kind="Secret"),
            configmap("reader", kind="ClusterRole", api_version="rbac.authorization.k8s.io/v1")]),
    })
    assert run(tmp_path, "ARGO005").result.problems == []


def test_destination_given_by_name_is_judged_only_when_the_project_does_not_need_the_server(
        tmp_path):
    write(tmp_path, {
        ".gitops-gen.yaml": config(),
        "projects.yaml": PROJECT,
        "apps/web.yaml": application("web", project="web").replace(
            f"server: {IN_CLUSTER}", "name: prod-eks"),
        "deploy/cm.yaml": configmap("web", "other"),
    })
    assert run(tmp_path, "ARGO005").result.problems == []    # prod-eks's server is unknown
    (tmp_path / "apps/web.yaml").write_text(application("web", project="web").replace(
        f"server: {IN_CLUSTER}", "name: in-cluster"))
    assert len(run(tmp_path, "ARGO005").result.problems) == 1  # in-cluster is known


def test_namespace_created_by_create_namespace_must_be_allowed_by_name(tmp_path):
    create = "  syncPolicy:\n    syncOptions: [CreateNamespace=true]\n"
    write(tmp_path, {
        ".gitops-gen.yaml": config(),
        "projects.yaml": PROJECT.replace("namespace: web}", "namespace: 'w*'}\n    - {server: "
                                         f"{IN_CLUSTER}, namespace: kube-system}}"),
        "apps/web.yaml": application("web", project="web", spec=create),
        "apps/web2.yaml": application("web2", project="web", namespace="web2", spec=create),
        "apps/system.yaml": application("system", project="web", namespace="kube-system",
                                        spec=create),             # exists: nothing created
        "deploy/cm.yaml": configmap("web"),
    })
    result = run(tmp_path, "ARGO005")
    assert found(result, tmp_path) == [at(tmp_path, "apps/web2.yaml", "project: web", "ARGO005")]
    assert "(Namespace web2, from CreateNamespace=true)" in result.result.problems[0].message


# Argo CD's own cases (pkg/apis/application/v1alpha1/types_test.go)
@pytest.mark.parametrize(("repos", "url", "permitted"), [
    (["*"], "https://github.com/argoproj/test.git", True),
    (["https://github.com/argoproj/test.git"], "https://github.com/argoproj/test.git", True),
    (["ssh://git@GITHUB.com:argoproj/test"], "ssh://git@github.com:argoproj/test", True),
    (["https://github.com/argoproj/*"], "https://github.com/argoproj/argoproj.git", True),
    (["https://github.com/argoproj/test1.git"], "https://github.com/argoproj/test2.git", False),
    (["https://github.com/argoproj/*.git"], "https://github.com/argoproj1/test2.git", False),
    (["https://github.com/argoproj/foo"], "https://github.com/argoproj/foo1", False),
    (["https://gitlab.com/group/*"], "https://gitlab.com/group/repo/owner", False),
    (["https://gitlab.com/group/*/*"], "https://gitlab.com/group/repo/owner", True),
    (["https://gitlab.com/group/**"], "https://gitlab.com/group/sub-group/repo/owner", True),
    (["!https://github.com/argoproj/*"], "https://github.com/argoproj/argoproj.git", False),
    (["https://github.com/test1/test.git", "!https://github.com/test2/test.git"],
     "https://github.com/test2/test.git", False),
    (["!https://github.com/argoproj/*.git", "*"], "https://github.com/argoproj1/test2.git", True),
])
def test_source_repos_match_as_argo_cd_does(repos, url, permitted):
    assert source_permitted({"spec": {"sourceRepos": repos}}, url) is permitted


S, DEV = IN_CLUSTER, "https://test-dev-cluster"


@pytest.mark.parametrize(("destinations", "server", "name", "namespace", "permitted"), [
    ([(S, None, "default")], S, None, "default", True),
    ([(S, None, "default")], S, None, "kube-system", False),
    ([("https://*.default.svc", None, "default")], S, None, "default", True),
    ([("https://team1-*", None, "default")], DEV, None, "default", False),
    ([(S, None, "test-*")], S, None, "test", False),
    ([(None, "test", "*")], None, "test", "test", True),
    ([(None, "test2", "*")], None, "test", "test", False),
    ([("!https://my-cluster", None, "default")], S, None, "default", True),
    ([("!" + S, None, "*")], S, None, "kube-system", False),
    ([(S, None, "!test-*")], S, None, "test", True),
    ([(None, "!test", "*")], None, "test", "test", False),
    ([("*", None, "*"), ("*", None, "!kube-system")], S, None, "kube-system", False),
    ([("*", None, "*"), ("!" + S, None, "kube-system"), ("*", None, "!kube-system")],
     S, None, "default", True),
    ([("*", None, "test"), ("!https://test-server", None, "other")],
     "https://test-server", None, "test", True),
    ([(S, "host", "!{kube-system,argocd}"), ("https://eks", "dest", "*")],
     "https://eks", None, "kube-system", True),
])
def test_destinations_match_as_argo_cd_does(destinations, server, name, namespace, permitted):
    project = {"spec": {"destinations": [{"server": s, "name": n, "namespace": ns}
                                         for s, n, ns in destinations]}}
    assert destination_permitted(project, server, name, namespace) is permitted


def test_resource_lists_match_as_argo_cd_does():
    empty_whitelist = {"spec": {"namespaceResourceWhitelist": [],
                                "namespaceResourceBlacklist": [{"group": "apps",
                                                                "kind": "Deployment"}]}}
    assert resource_denial(empty_whitelist, "apps", "ReplicaSet", "", True) == (
        "namespaceResourceWhitelist")
    both = {"spec": {"clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
                     "clusterResourceBlacklist": [{"group": "*", "kind": "*"}]}}
    assert resource_denial(both, "", "Namespace", "x", False) == "clusterResourceBlacklist"
    assert resource_denial(both, "apps", "Action", "", True) is None  # no namespaced whitelist
    assert resource_denial({"spec": {}}, "", "Namespace", "x", False) == (
        "clusterResourceWhitelist")
    named = {"spec": {"clusterResourceWhitelist": [{"group": "", "kind": "Namespace",
                                                    "name": "team1-*"}]}}
    assert resource_denial(named, "", "Namespace", "team1-namespace", False) is None
    assert resource_denial(named, "", "Namespace", "other-namespace", False) is not None
    assert glob_match("!foo", "!foo") and not glob_match("foo*", "bar")


# --------------------------------------------------------------------------- ARGO007


FINALIZER = "  finalizers: [resources-finalizer.argocd.argoproj.io]"


def test_finalizer_on_the_root_and_missing_on_a_child_fire(tmp_path):
    write(tmp_path, {
        ".gitops-gen.yaml": config(),
        "root.yaml": root_of("prod-root", "apps", metadata=FINALIZER),
        "apps/web.yaml": application("web"),
        "apps/api.yaml": application("api", metadata=FINALIZER.replace(
            "finalizer.argocd.argoproj.io", "finalizer.argocd.argoproj.io/background")),
        "standalone.yaml": application("tools", metadata=FINALIZER),
        "deploy/cm.yaml": configmap("web"),
    })
    result = run(tmp_path, "ARGO007")
    assert found(result, tmp_path) == sorted([
        at(tmp_path, "root.yaml", "resources-finalizer", "ARGO007"),   # the finalizer entry
        ("ARGO007", "apps/web.yaml", 3, 1)])    # no finalizers: the metadata key
    assert {p.message.split(" ")[0] for p in result.result.problems} == {"root", "child"}


def test_finalizers_where_they_belong_are_quiet(tmp_path):
    kept = "  annotations: {argocd.argoproj.io/sync-options: Delete=false}\n" + FINALIZER
    write(tmp_path, {
        ".gitops-gen.yaml": config(),
        "root.yaml": root_of("prod-root", "apps"),
        "apps/web.yaml": application("web", metadata=FINALIZER),
        # a root whose finalizer deletes no child: each child is kept with Delete=false
        "staging-root.yaml": root_of("staging-root", "staging", metadata=FINALIZER),
        "staging/web.yaml": application("staging-web", metadata=kept),
        "deploy/cm.yaml": configmap("web"),
    })
    assert run(tmp_path, "ARGO007").result.problems == []


# --------------------------------------------------------------------------- ARGO008


def argocd_cm(data: str) -> str:
    return configmap("argocd-cm", "argocd") + f"data:\n{data}"


def waves_repo(root: Path, cm_data: str | None, waves=("-1", "1")) -> Path:
    files = {".gitops-gen.yaml": config(), "root.yaml": root_of("prod-root", "apps"),
             "deploy/cm.yaml": configmap("web")}
    for index, wave in enumerate(waves):
        files[f"apps/app{index}.yaml"] = application(
            f"app{index}", metadata=f"  annotations: {{argocd.argoproj.io/sync-wave: \"{wave}\"}}"
            f"\n{FINALIZER}")
    if cm_data is not None:
        files["apps/argo-cd.yaml"] = application("argo-cd", "argocd", namespace="argocd",
                                                 metadata=FINALIZER)
        files["argocd/argocd-cm.yaml"] = argocd_cm(cm_data)
    return write(root, files)


def test_sync_waves_on_children_without_the_application_health_check_fire(tmp_path):
    waves_repo(tmp_path, "  timeout.reconciliation: 180s\n")
    result = run(tmp_path, "ARGO008")
    assert found(result, tmp_path) == [at(tmp_path, "root.yaml", "repoURL: ", "ARGO008", False)]
    assert "sync waves -1, 0, 1" in result.result.problems[0].message  # argo-cd is wave 0
    assert "rendered by argo-cd" in result.result.problems[0].message


@pytest.mark.parametrize("cm_data", [
    "  resource.customizations.health.argoproj.io_Application: |\n    return {status='Healthy'}\n",
    "  resource.customizations: |\n    argoproj.io/*:\n      health.lua: |\n        return hs\n",
    None,                                                  # Argo CD installed outside the repo
])
def test_sync_waves_are_quiet_with_the_health_check_or_without_argocd_cm(tmp_path, cm_data):
    waves_repo(tmp_path, cm_data)
    assert run(tmp_path, "ARGO008").result.problems == []


def test_children_in_one_wave_need_no_health_check(tmp_path):
    waves_repo(tmp_path, "  timeout.reconciliation: 180s\n", waves=("0", "0"))
    assert run(tmp_path, "ARGO008").result.problems == []


# --------------------------------------------------------------------------- ARGO009


BIG = "x" * 270_000


@pytest.mark.parametrize(("crd_annotations", "spec", "fires"), [
    ("", "", True),
    ("", "  syncPolicy:\n    syncOptions: [ServerSideApply=true]\n", False),
    ("argocd.argoproj.io/sync-options: ServerSideApply=true", "", False),
    ("argocd.argoproj.io/sync-options: 'Replace=true'", "", False),
    ("argocd.argoproj.io/sync-options: 'Validate=false, ServerSideApply=false'",
     "  syncPolicy:\n    syncOptions: [ServerSideApply=true]\n", True),
])
def test_crd_over_the_annotation_limit_needs_server_side_apply(tmp_path, crd_annotations, spec,
                                                               fires):
    chart_with_crds(tmp_path, "operator", crd("Widget", annotations=crd_annotations,
                                              description=BIG), crd("Gadget"))
    write(tmp_path, {".gitops-gen.yaml": config(),
                     "apps/operator.yaml": application("operator", "operator", spec=spec)})
    result = run(tmp_path, "ARGO009")
    expected = [at(tmp_path, "apps/operator.yaml", "repoURL: ", "ARGO009", False)]
    assert found(result, tmp_path) == (expected if fires else [])
    if fires:
        assert "widgets.example.com (270" in result.result.problems[0].message
        assert "gadgets" not in result.result.problems[0].message


# --------------------------------------------------------------------------- ARGO010


def prune_repo(root: Path, crd_annotations: str = "", operator_spec: str = "",
               widget_server: str = IN_CLUSTER) -> Path:
    chart_with_crds(root, "operator", crd("Widget", annotations=crd_annotations))
    prune = "  syncPolicy:\n    automated: {prune: true, selfHeal: true}\n"
    return write(root, {
        ".gitops-gen.yaml": config(),
        "root.yaml": root_of("prod-root", "apps"),
        "apps/operator.yaml": application("operator", "operator", spec=operator_spec or prune),
        "apps/widgets.yaml": application("widgets", "widgets", server=widget_server),
        "widgets/widget.yaml": configmap("first", kind="Widget", api_version="example.com/v1"),
    })


def test_pruned_crd_with_custom_resources_in_another_application_fires(tmp_path):
    prune_repo(tmp_path, "helm.sh/resource-policy: keep")      # keep does not stop a prune
    result = run(tmp_path, "ARGO010")
    assert found(result, tmp_path) == [at(tmp_path, "apps/operator.yaml", "prune: true", "ARGO010")]
    assert ("prunes the CRD widgets.example.com while Application widgets deploys "
            "Widget.example.com web/first") in result.result.problems[0].message


@pytest.mark.parametrize("case", ["annotation", "app option", "no prune", "other cluster"])
def test_protected_or_unpruned_crds_are_quiet(tmp_path, case):
    prune_repo(tmp_path, **{
        "annotation": {"crd_annotations": "argocd.argoproj.io/sync-options: Prune=false"},
        "app option": {"operator_spec": "  syncPolicy:\n    automated: {prune: true}\n"
                                        "    syncOptions: [Prune=confirm]\n"},
        "no prune": {"operator_spec": "  syncPolicy:\n    automated: {selfHeal: true}\n"},
        "other cluster": {"widget_server": "https://staging.eks.example"},
    }[case])
    assert run(tmp_path, "ARGO010").result.problems == []


# --------------------------------------------------------------------------- ARGO012


def test_objects_in_another_namespace_than_the_destination_fire_once_per_namespace(tmp_path):
    write(tmp_path, {
        ".gitops-gen.yaml": config(),
        "apps/web.yaml": application("web"),
        "apps/tools.yaml": application("tools", "tools", namespace=None),
        "deploy/ok.yaml": configmap("plain") + "---\n" + configmap("same", "web"),
        "deploy/elsewhere.yaml": configmap("a", "other") + "---\n" + configmap(
            "b", "other", kind="Secret"),
        "deploy/cluster.yaml": configmap("reader", "other", kind="ClusterRole",
                                         api_version="rbac.authorization.k8s.io/v1")
        + "---\n" + crd("Tenant", scope="Cluster") + "---\n"
        + configmap("t", "other", kind="Tenant", api_version="example.com/v1"),
        "tools/cm.yaml": configmap("tools", "anywhere"),
    })
    result = run(tmp_path, "ARGO012")
    assert found(result, tmp_path) == [
        at(tmp_path, "apps/web.yaml", "    namespace: web", "ARGO012")]
    assert "ConfigMap other/a and 1 more into namespace 'other'" in (
        result.result.problems[0].message)


# --------------------------------------------------------------------------- ARGO013


def test_two_applications_of_one_cluster_deploying_one_object_both_fire(tmp_path):
    write(tmp_path, {
        ".gitops-gen.yaml": config(),
        "root.yaml": root_of("prod-root", "apps"),
        "apps/web.yaml": application("web", "web"),
        "apps/api.yaml": application("api", "api"),
        "apps/jobs.yaml": application("jobs", "jobs", namespace="jobs"),
        "apps/eu.yaml": application("eu", "api", server="https://eu.eks.example"),
        "web/cm.yaml": configmap("shared"),                  # web/shared
        "api/cm.yaml": configmap("shared", "web") + "---\n" + configmap("api"),
        "jobs/cm.yaml": configmap("shared"),                 # jobs/shared: another object
        "web/job.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: migrate-}\n",
        "api/job.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: migrate-}\n",
    })
    result = run(tmp_path, "ARGO013")
    assert found(result, tmp_path) == sorted([
        at(tmp_path, "apps/web.yaml", "project: default", "ARGO013", False),
        at(tmp_path, "apps/api.yaml", "project: default", "ARGO013", False)])
    assert sorted(p.message for p in result.result.problems) == [
        "Application api and Application web both deploy ConfigMap web/shared: Argo CD will "
        "flip the object between them",
        "Application web and Application api both deploy ConfigMap web/shared: Argo CD will "
        "flip the object between them"]
