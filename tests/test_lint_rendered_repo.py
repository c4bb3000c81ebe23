"""The bar of the rendering lint: every blueprint's repository, rendered and linted as Argo CD
would deploy it (every Application of every environment, with the real charts from
tests/charts), has no finding at all; and a broken copy of output-example/ gets each finding at
the file and line that caused it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from gitops_gen.api import LintOptions, RenderOptions, lint, render

REPO = Path(__file__).resolve().parent.parent
CHARTS = REPO / "tests" / "charts"
BLUEPRINTS = sorted((REPO / "blueprints").glob("*.yaml"))


def lint_repo(root: Path, **options):
    return lint(LintOptions(paths=(str(root),), charts_dir=str(CHARTS), jobs=2, **options))


def summary(run) -> list[str]:
    return [f"{p.file}:{p.line}:{p.column} {p.code} {p.message}" for p in run.result.problems]


@pytest.mark.parametrize("blueprint", BLUEPRINTS, ids=lambda p: p.stem)
def test_every_blueprint_renders_a_repository_whose_deployment_lints_clean(blueprint, tmp_path):
    out = tmp_path / "repo"
    assert render(RenderOptions(str(blueprint), str(out), git=False)).exit_code == 0
    run = lint_repo(out)
    assert summary(run) == []
    bootstrap = list(out.glob("environments/*/bootstrap/**/*.yaml"))
    applications = sum(len(re.findall(r"^kind: Application$", p.read_text(), re.MULTILINE))
                       for p in bootstrap)
    roots = len(list(out.glob("environments/*/app-of-apps.yaml")))
    assert run.result.applications == applications + roots   # every one was rendered
    assert run.result.resources > 20 * applications          # charts, not just files


def test_committed_example_lints_clean_with_every_application_rendered():
    run = lint_repo(REPO / "output-example")
    assert summary(run) == [] and run.result.applications >= 20


def replace_in(path: Path, old: str, new: str, count: int = 1) -> int:
    """Replace `old` in a file; return the 1-based line of the first replacement."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    line = text[:text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count))
    return line


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """output-example with one hand-made mistake of each kind; the expected (code, file, line)."""
    root = tmp_path_factory.mktemp("broken") / "repo"
    shutil.copytree(REPO / "output-example", root)
    expected = set()
    overlay = root / "apps/orders/overlays/prod/kustomization.yaml"
    line = replace_in(overlay, 'newTag: "', 'newTag: "latest"  # was "')
    expected.add(("K8S209", "apps/orders/overlays/prod/kustomization.yaml", line))
    values = root / "apps/checkout/values-prod.yaml"
    line = replace_in(values, '  tag: "', '  tag: "latest"  # was "')
    expected.add(("K8S209", "apps/checkout/values-prod.yaml", line))
    app = root / "environments/prod/bootstrap/addons/metrics-server.yaml"
    line = replace_in(app, "values-prod.yaml", "values-production.yaml")
    expected.add(("ARGO003", "environments/prod/bootstrap/addons/metrics-server.yaml", line))
    app = root / "environments/staging/bootstrap/addons/external-dns.yaml"
    line = replace_in(app, 'targetRevision: "1.21.1"', 'targetRevision: "1.21.*"')
    expected.add(("ARGO001", "environments/staging/bootstrap/addons/external-dns.yaml", line))
    projects = root / "environments/prod/bootstrap/appprojects.yaml"
    text = projects.read_text()
    line = text[:text.index("  sourceRepos:\n")].count("\n") + 2
    projects.write_text(text.replace("  sourceRepos:\n", "  sourceRepos:\n    - '*'\n", 1))
    expected.add(("ARGO004", "environments/prod/bootstrap/appprojects.yaml", line))
    argo_values = root / "platform/argo-cd/values-prod.yaml"
    old = argo_values.read_text()
    extra = ("extraObjects:\n  - apiVersion: policy/v1beta1\n    kind: PodDisruptionBudget\n"
             "    metadata: {name: argocd-extra}\n"
             "    spec: {maxUnavailable: 1, selector: {matchLabels: {app: extra}}}\n")
    argo_values.write_text(old + extra)
    expected.add(("API001", "platform/argo-cd/values-prod.yaml", old.count("\n") + 2))
    return root, expected, lint_repo(root)


def test_a_broken_copy_gets_each_finding_where_it_was_made(broken):
    root, expected, run = broken
    got = {(p.code, str(Path(p.file).resolve().relative_to(root.resolve())), p.line)
           for p in run.result.problems}
    assert expected <= got, f"missing: {sorted(expected - got)}"


def test_findings_on_rendered_objects_name_the_application_and_the_renderer(broken):
    _, _, run = broken
    [tag] = [p for p in run.result.problems if p.code == "K8S209"
             and p.file.endswith("values-prod.yaml")]
    assert tag.application == "prod-checkout"
    assert tag.rendered == "chart checkout (templates/deployment.yaml)"


def test_file_only_lint_misses_what_only_the_render_shows(broken):
    root, expected, _ = broken
    run = lint(LintOptions(paths=(str(root),), render=False, jobs=1))
    got = {(p.code, str(Path(p.file).resolve().relative_to(root.resolve())), p.line)
           for p in run.result.problems}
    only_rendered = {e for e in expected if e[0] in ("K8S209", "API001", "ARGO003")}
    assert not only_rendered & got
