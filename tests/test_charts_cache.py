"""The remote chart cache: which charts Applications use, finding them, pulling them from a real
Helm repository served on 127.0.0.1, and the `gitops-gen charts` commands."""

import functools
import http.server
import threading
from pathlib import Path

import helm_python as helm
import pytest
from click.testing import CliRunner

from gitops_gen.argo.charts import (ChartRef, cache_path, chart_refs, default_charts_dir,
                                    find_chart, manual_pull_command, pull_arguments, pull_charts)
from gitops_gen.cli import main

SINGLE_SOURCE = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: argo-cd, namespace: argocd}
spec:
  project: platform
  source:
    repoURL: {repo}
    chart: tiny
    targetRevision: 1.2.3
  destination: {server: https://kubernetes.default.svc, namespace: argocd}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: git-only, namespace: argocd}
spec:
  project: platform
  source: {repoURL: https://github.com/acme/gitops.git, path: apps/web, targetRevision: main}
  destination: {server: https://kubernetes.default.svc, namespace: web}
"""

MULTI_SOURCE = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: karpenter, namespace: argocd}
spec:
  project: platform
  source: {repoURL: https://ignored.example.com, chart: ignored, targetRevision: 9.9.9}
  sources:
    - repoURL: public.ecr.aws/karpenter
      chart: karpenter
      targetRevision: 1.14.1
      helm: {valueFiles: [$values/platform/karpenter/values.yaml]}
    - repoURL: https://github.com/acme/gitops.git
      targetRevision: main
      ref: values
    - repoURL: oci://registry-1.docker.io/bitnamicharts/nginx
      targetRevision: 15.9.0
      path: .
    - repoURL: oci://ghcr.io/acme/manifests
      targetRevision: 1.0.0
      path: overlays/prod
  destination: {server: https://kubernetes.default.svc, namespace: kube-system}
"""

APPLICATION_SETS = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: metrics, namespace: argocd}
spec:
  generators: [{list: {elements: [{cluster: staging}]}}]
  template:
    metadata: {name: 'metrics-{{cluster}}'}
    spec:
      project: platform
      source:
        repoURL: https://kubernetes-sigs.github.io/metrics-server/
        chart: metrics-server
        targetRevision: 3.13.1
      destination: {name: '{{cluster}}', namespace: kube-system}
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: per-env, namespace: argocd}
spec:
  goTemplate: true
  generators: [{list: {elements: [{cluster: staging, version: 1.0.0}]}}]
  template:
    metadata: {name: 'app-{{ .cluster }}'}
    spec:
      project: platform
      source:
        repoURL: https://charts.example.com
        chart: templated
        targetRevision: '{{ .version }}'
      destination: {name: '{{ .cluster }}', namespace: apps}
"""


def tiny_chart(tmp_path: Path, version: str) -> Path:
    """A chart made by `helm create`, packaged as tiny-<version>.tgz."""
    source = tmp_path / "chart-src"
    if not (source / "tiny").is_dir():
        source.mkdir()
        (tmp_path / "packages").mkdir()
        helm.Chart.create("tiny", source).close()
    return Path(helm.package(source / "tiny", destination=tmp_path / "packages", version=version))


@pytest.fixture
def helm_repo(tmp_path):
    """A Helm chart repository with tiny 1.2.3, served on 127.0.0.1 for the test only."""
    folder = tmp_path / "repo"
    folder.mkdir()
    tiny_chart(tmp_path, "1.2.3").rename(folder / "tiny-1.2.3.tgz")
    helm.repo_index_generate(folder)
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format, *args):
            requests.append(self.path)

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def tree(tmp_path):
    """A GitOps tree: single- and multi-source Applications and ApplicationSets."""
    def write(repo_url: str = "https://charts.example.com") -> Path:
        root = tmp_path / "gitops"
        (root / "apps").mkdir(parents=True, exist_ok=True)
        (root / "apps" / "argo-cd.yaml").write_text(SINGLE_SOURCE.replace("{repo}", repo_url))
        (root / "apps" / "karpenter.yml").write_text(MULTI_SOURCE)
        (root / "appsets.yaml").write_text(APPLICATION_SETS)
        (root / "broken.yaml").write_text("apiVersion: argoproj.io/v1alpha1\nkind: [\n")
        return root
    return write


def run(*args):
    return CliRunner().invoke(main, list(args))


# -- the cache layout ---------------------------------------------------------------------------

REF = ChartRef("https://charts.example.com", "tiny", "1.2.3")


def test_find_chart_finds_the_archive_helm_pull_writes(tmp_path):
    archive = tiny_chart(tmp_path, "1.2.3").rename(tmp_path / "tiny-1.2.3.tgz")
    assert cache_path(tmp_path, REF) == archive
    assert find_chart(tmp_path, REF) == archive


def test_find_chart_finds_an_unpacked_chart(tmp_path):
    archive = tiny_chart(tmp_path, "1.2.3")
    helm.expand(tmp_path / "tiny-1.2.3", archive)
    assert find_chart(tmp_path, REF) == tmp_path / "tiny-1.2.3" / "tiny"
    archive.rename(tmp_path / "tiny-1.2.3.tgz")
    assert find_chart(tmp_path, REF) == tmp_path / "tiny-1.2.3.tgz"  # the archive wins


def test_find_chart_is_none_for_another_version_or_an_empty_folder(tmp_path):
    tiny_chart(tmp_path, "1.2.4").rename(tmp_path / "tiny-1.2.4.tgz")
    (tmp_path / "tiny-1.2.3" / "tiny").mkdir(parents=True)  # no Chart.yaml: not a chart
    assert find_chart(tmp_path, REF) is None


def test_the_same_chart_from_two_repositories_is_one_entry(tmp_path):
    other = ChartRef("oci://ghcr.io/acme/charts/tiny", "tiny", "1.2.3")
    assert cache_path(tmp_path, other) == cache_path(tmp_path, REF)


def test_default_charts_dir_order(monkeypatch, tmp_path):
    monkeypatch.setenv("GITOPS_GEN_CHARTS_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_charts_dir() == tmp_path / "explicit"
    monkeypatch.delenv("GITOPS_GEN_CHARTS_DIR")
    assert default_charts_dir() == tmp_path / "xdg" / "gitops-gen" / "charts"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")  # the XDG spec: absolute only
    assert default_charts_dir() == tmp_path / "home" / ".cache" / "gitops-gen" / "charts"


# -- which charts the Applications use ----------------------------------------------------------

def test_chart_refs_reads_applications_and_application_sets(tree):
    assert chart_refs([str(tree())]) == [
        ChartRef("https://charts.example.com", "tiny", "1.2.3"),
        ChartRef("https://kubernetes-sigs.github.io/metrics-server/", "metrics-server", "3.13.1"),
        ChartRef("oci://registry-1.docker.io/bitnamicharts/nginx", "nginx", "15.9.0"),
        ChartRef("public.ecr.aws/karpenter", "karpenter", "1.14.1"),
    ]


def test_chart_refs_of_a_single_file_and_unique(tree):
    root = tree()
    file = str(root / "apps" / "argo-cd.yaml")
    assert chart_refs([file, file, str(root / "apps")])[0] == REF
    assert len(chart_refs([file, str(root / "apps")])) == 3


def test_chart_refs_reads_the_items_of_a_list(tmp_path):
    application = SINGLE_SOURCE.split("---")[0].replace("{repo}", "https://charts.example.com")
    indented = "".join("    " + line + "\n" for line in application.splitlines())
    path = tmp_path / "list.yaml"
    path.write_text("apiVersion: v1\nkind: List\nitems:\n  -\n" + indented)
    assert chart_refs([str(path)]) == [REF]


def test_pull_arguments_follow_argo_cd_source_kinds():
    assert pull_arguments(REF) == ("tiny", "https://charts.example.com")
    assert pull_arguments(ChartRef("public.ecr.aws/karpenter", "karpenter", "1.14.1")) == (
        "oci://public.ecr.aws/karpenter/karpenter", None)
    nginx = "oci://registry-1.docker.io/bitnamicharts/nginx"
    assert pull_arguments(ChartRef(nginx, "nginx", "15.9.0")) == (nginx, None)
    assert manual_pull_command(REF, Path("/c")) == (
        "helm pull tiny --repo https://charts.example.com --version 1.2.3 -d /c")


# -- pulling from a real repository -------------------------------------------------------------

def test_pull_then_cached_then_failed_version(helm_repo, tmp_path):
    url, requests = helm_repo
    charts_dir = tmp_path / "cache"
    good = ChartRef(url, "tiny", "1.2.3")
    absent = ChartRef(url, "tiny", "9.9.9")

    first = pull_charts([good, absent], charts_dir)
    assert [(r.status, r.path) for r in first] == [("pulled", charts_dir / "tiny-1.2.3.tgz"),
                                                   ("failed", None)]
    assert "/tiny-1.2.3.tgz" in requests
    with helm.Chart.load(first[0].path) as chart:
        assert (chart.name, chart.version) == ("tiny", "1.2.3")
    error = first[1].error
    assert "\n" not in error and "9.9.9" in error and "not found" in error
    assert sorted(p.name for p in charts_dir.iterdir()) == ["tiny-1.2.3.tgz"]  # no temp folder left

    requests.clear()
    elsewhere = ChartRef("oci://ghcr.io/elsewhere/tiny", "tiny", "1.2.3")
    again = pull_charts([good, elsewhere], charts_dir)
    assert [(r.status, r.path) for r in again] == [("cached", charts_dir / "tiny-1.2.3.tgz")] * 2
    assert requests == []


def test_pull_failures_are_one_line_results(tmp_path):
    charts_dir = tmp_path / "cache"
    results = pull_charts([ChartRef("http://127.0.0.1:1", "tiny", "1.0.0"),
                           ChartRef("https://charts.example.com", "tiny", ">=1.0"),
                           ChartRef("https://charts.example.com", "tiny", "")], charts_dir)
    assert [r.status for r in results] == ["failed"] * 3
    assert "127.0.0.1:1" in results[0].error
    assert "not an exact chart version" in results[1].error
    assert all("\n" not in r.error for r in results)
    assert list(charts_dir.iterdir()) == []


def test_a_download_that_is_not_a_chart_is_refused(helm_repo, tmp_path):
    url, _ = helm_repo
    repo = Path(tmp_path / "repo")
    (repo / "tiny-1.2.3.tgz").write_text("<html>not found</html>")
    results = pull_charts([ChartRef(url, "tiny", "1.2.3")], tmp_path / "cache")
    assert results[0].status == "failed"
    assert results[0].error.startswith("the download is not a chart archive: file 'tiny-1.2.3.tgz'")
    assert list((tmp_path / "cache").iterdir()) == []


def test_an_archive_the_repository_names_otherwise_lands_under_the_cache_name(helm_repo, tmp_path):
    url, _ = helm_repo
    repo = tmp_path / "repo"
    (repo / "tiny-1.2.3.tgz").rename(repo / "download.tgz")
    index = repo / "index.yaml"
    index.write_text(index.read_text().replace("- tiny-1.2.3.tgz", "- download.tgz"))
    results = pull_charts([ChartRef(url, "tiny", "1.2.3")], tmp_path / "cache")
    assert [(r.status, r.path) for r in results] == [("pulled", tmp_path / "cache" / "tiny-1.2.3.tgz")]


# -- the commands -------------------------------------------------------------------------------

def test_charts_pull_and_list_commands(helm_repo, tree, tmp_path):
    url, _ = helm_repo
    root = tree(url)
    charts_dir = tmp_path / "cache"
    app = str(root / "apps" / "argo-cd.yaml")

    listed = run("charts", "list", app, "--charts-dir", str(charts_dir))
    assert listed.exit_code == 1, listed.output
    assert listed.output.splitlines()[0] == f"missing tiny 1.2.3  {url}"

    pulled = run("charts", "pull", app, "--charts-dir", str(charts_dir))
    assert pulled.exit_code == 0, pulled.output
    assert pulled.output.splitlines() == [
        f"pulled  tiny 1.2.3  {url} -> {charts_dir / 'tiny-1.2.3.tgz'}"]

    listed = run("charts", "list", app, "--charts-dir", str(charts_dir))
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines()[0].startswith(f"cached  tiny 1.2.3  {url} -> ")

    again = run("charts", "pull", app, "--charts-dir", str(charts_dir))
    assert again.exit_code == 0 and again.output.startswith("cached  tiny 1.2.3")


def test_charts_pull_exits_2_naming_the_chart_and_the_manual_pull(helm_repo, tmp_path):
    url, _ = helm_repo
    app = tmp_path / "app.yaml"
    app.write_text(SINGLE_SOURCE.replace("{repo}", url).replace("1.2.3", "9.9.9"))
    charts_dir = tmp_path / "cache"
    result = run("charts", "pull", str(app), "--charts-dir", str(charts_dir))
    assert result.exit_code == 2, result.output
    assert result.stdout.startswith(f"failed  tiny 9.9.9  {url}: ")
    assert result.stderr.strip() == (
        f"gitops-gen: error: could not pull chart tiny 9.9.9 from {url} "
        f"(by hand: helm pull tiny --repo {url} --version 9.9.9 -d {charts_dir})")
    assert "Traceback" not in result.output


def test_charts_commands_default_to_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.yaml").write_text(SINGLE_SOURCE.replace("{repo}", "https://c.example.com"))
    result = run("charts", "list", "--charts-dir", str(tmp_path / "cache"))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "missing tiny 1.2.3  https://c.example.com",
        f"1 chart, 1 missing from {tmp_path / 'cache'}; `gitops-gen charts pull` fetches them"]


def test_charts_command_on_a_missing_path_is_a_one_line_error(tmp_path):
    result = run("charts", "pull", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert result.output.startswith("gitops-gen: error: no such file or folder")
