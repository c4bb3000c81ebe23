"""The app templates (`templates/apps/`): a Kustomize base, components and one overlay per
environment for kustomize apps, a local Helm chart with values per environment for helm apps.

Every overlay is built with kubectl's kustomize and every chart rendered with Helm, the way
Argo CD does it, and the output must lint with no finding at all. The blueprint's settings
must reach the objects, its values must come out as data (never as template markup), and the
chart's Go templates must reach the repository byte for byte.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml

from gitops_gen.api import LintOptions, RenderOptions, lint, render
from gitops_gen.blueprint import AppEnvironment, Blueprint, load_blueprint

REPO = Path(__file__).resolve().parent.parent
BLUEPRINTS = REPO / "blueprints"
CHART_TEMPLATES = REPO / "templates" / "apps" / "helm" / "__app__" / "chart"
KUBECTL = Path(sys.executable).parent / "kubectl"
K8S_VERSION = "1.35"
LINT_EXCEPTIONS = ("ignore.gitops-gen.io/replicas-too-few",
                   "ignore.gitops-gen.io/hpa-min-replicas-too-low")


@dataclass(frozen=True)
class Rendered:
    blueprint: Blueprint
    out: Path

    def apps(self, kind: str) -> list[tuple[AppEnvironment, str]]:
        """(app, environment name) for every app of `kind` deployed somewhere."""
        return [(app, env.name) for env in self.blueprint.environments for app in env.apps()
                if app.kind == kind]


def render_blueprint(blueprint: Path, out: Path) -> Rendered:
    run = render(RenderOptions(blueprint=str(blueprint), output=str(out), git=False))
    assert run.exit_code == 0
    return Rendered(load_blueprint(str(blueprint)), out)


@pytest.fixture(scope="module", params=["eks-platform", "eks-minimal"])
def rendered(request, tmp_path_factory) -> Rendered:
    return render_blueprint(BLUEPRINTS / f"{request.param}.yaml",
                            tmp_path_factory.mktemp(request.param) / "repo")


# --------------------------------------------------------------------------- building


def kustomize_build(overlay: Path) -> str:
    result = subprocess.run([str(KUBECTL), "kustomize", str(overlay)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def merge_values(base: Any, override: Any) -> Any:
    """Helm's merge of value files, as Argo CD passes them: maps key by key, the rest replaces."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge_values(merged[key], value) if key in merged else value
        return merged
    return override


def helm_template(out: Path, app: AppEnvironment, env: str) -> str:
    """`helm template` of apps/<app>/chart with values.yaml, then values-<env>.yaml; `helm lint
    --strict` of the chart with the same values finds nothing above info."""
    folder = out / "apps" / app.name
    values: dict = {}
    for name in ("values.yaml", f"values-{env}.yaml"):
        values = merge_values(values, yaml.safe_load((folder / name).read_text()) or {})
    report = helm.lint(str(folder / "chart"), values, strict=True, namespace=app.namespace)
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] > 1] == []
    with helm.Chart.load(str(folder / "chart")) as chart:
        manifests = chart.render(values, name=app.name, namespace=app.namespace)
    return "".join(f"---\n# Source: {path}\n{text}\n" for path, text in sorted(manifests.items())
                   if path.endswith(".yaml"))


def lint_clean(manifests: str, path: Path) -> list[dict]:
    """Write and lint `manifests`: no finding of any severity. Returns the objects."""
    path.write_text(manifests, encoding="utf-8")
    run = lint(LintOptions(paths=(str(path),), k8s_version=K8S_VERSION))
    findings = [f"{p.line}:{p.column} {p.code} {p.message}" for p in run.result.problems]
    assert findings == [], f"{path}:\n" + "\n".join(findings)
    objects = [doc for doc in yaml.safe_load_all(manifests) if doc]
    # The only findings suppressed are the deliberate exceptions the blueprint asks for.
    annotated = sum(1 for obj in objects for key in LINT_EXCEPTIONS
                    if key in (obj["metadata"].get("annotations") or {}))
    assert run.result.suppressed == annotated
    return objects


# --------------------------------------------------------------------------- what must come out


def check_objects(objects: list[dict], app: AppEnvironment, env: str) -> None:
    """The blueprint's settings of `app` in `env` are in the built objects."""
    kinds: dict[str, list[dict]] = {}
    for obj in objects:
        kinds.setdefault(obj["kind"], []).append(obj)
        assert obj["metadata"].get("namespace", app.namespace) == app.namespace
    assert {"ServiceAccount", "Service", "PodDisruptionBudget", "NetworkPolicy",
            "ConfigMap", "Deployment"} <= set(kinds)
    assert "Secret" not in kinds
    [deployment] = kinds["Deployment"]
    assert deployment["metadata"]["name"] == app.name
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    [container] = pod["containers"]
    assert container["image"] == app.image.reference
    assert container["resources"] == app.resources.as_dict()
    assert container["ports"] == [{"name": "http", "containerPort": app.port, "protocol": "TCP"}]
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": app.health_path, "port": "http"}
    assert pod["automountServiceAccountToken"] is False
    [config] = kinds["ConfigMap"]
    assert (config.get("data") or {}) == app.config
    sources = container["envFrom"]
    assert {"configMapRef": {"name": config["metadata"]["name"]}} in sources

    hpas = kinds.get("HorizontalPodAutoscaler", [])
    if app.hpa:
        [hpa] = hpas
        assert "replicas" not in spec
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                                 "name": app.name}
        assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (
            app.hpa.min_replicas, app.hpa.max_replicas)
        [metric] = hpa["spec"]["metrics"]
        assert metric["resource"]["target"]["averageUtilization"] == \
            app.hpa.target_cpu_utilization_percentage
    else:
        assert hpas == []
        assert spec["replicas"] == app.replicas

    ingresses = kinds.get("Ingress", [])
    if app.ingress:
        [ingress] = ingresses
        assert ingress["spec"]["ingressClassName"] == "alb"
        [rule] = ingress["spec"]["rules"]
        assert rule["host"] == app.ingress.host
        [route] = rule["http"]["paths"]
        assert route["path"] == app.ingress.path
        assert route["backend"]["service"] == {"name": app.name, "port": {"name": "http"}}
        annotations = ingress["metadata"]["annotations"]
        assert annotations["alb.ingress.kubernetes.io/scheme"] == (
            "internet-facing" if app.ingress.public else "internal")
        assert annotations["alb.ingress.kubernetes.io/target-type"] == "ip"
    else:
        assert ingresses == []

    external = kinds.get("ExternalSecret", [])
    if app.secrets:
        [secret] = external
        assert secret["apiVersion"] == "external-secrets.io/v1"
        assert secret["spec"]["secretStoreRef"] == {"kind": "SecretStore",
                                                    "name": app.secret_store}
        expected = []
        for ref in app.secrets:
            remote = {"key": ref.key, **({"property": ref.property} if ref.property else {})}
            expected.append({"secretKey": ref.name, "remoteRef": remote})
        assert secret["spec"]["data"] == expected
        target = secret["spec"]["target"]["name"]
        assert {"secretRef": {"name": target}} in sources
    else:
        assert external == []
        assert not any("secretRef" in source for source in sources)


# --------------------------------------------------------------------------- the presets


def test_every_kustomize_overlay_builds_and_lints_clean(rendered: Rendered, tmp_path):
    apps = rendered.apps("kustomize")
    assert apps
    overlays = {(p.parent.parent.name, p.name)
                for p in (rendered.out / "apps").glob("*/overlays/*")}
    assert overlays == {(app.name, env) for app, env in apps}
    for app, env in apps:
        manifests = kustomize_build(rendered.out / "apps" / app.name / "overlays" / env)
        objects = lint_clean(manifests, tmp_path / f"{app.name}-{env}.yaml")
        check_objects(objects, app, env)


def test_every_helm_chart_renders_and_lints_clean(rendered: Rendered, tmp_path):
    apps = rendered.apps("helm")
    if rendered.blueprint.name == "acme-platform":
        assert {app.name for app, _env in apps} == {"checkout", "reports"}
    for app, env in apps:
        objects = lint_clean(helm_template(rendered.out, app, env),
                             tmp_path / f"{app.name}-{env}.yaml")
        check_objects(objects, app, env)


def test_the_rendered_apps_folder_lints_clean(rendered: Rendered):
    """Bases and components, linted as files (the repository's pre-commit hook), are clean."""
    run = lint(LintOptions(paths=(str(rendered.out / "apps"),), k8s_version=K8S_VERSION))
    assert [f"{p.file}:{p.line} {p.code} {p.message}" for p in run.result.problems] == []
    assert run.result.suppressed == 0


def test_kustomizations_use_current_fields_only(rendered: Rendered):
    deprecated = {"commonLabels", "bases", "patchesStrategicMerge", "patchesJson6902", "vars",
                  "imageTags", "commonAnnotations"}
    files = list((rendered.out / "apps").glob("*/**/kustomization.yaml"))
    assert files
    for path in files:
        assert not deprecated & set(yaml.safe_load(path.read_text())), path


def test_chart_templates_are_copied_byte_for_byte(tmp_path):
    out = render_blueprint(BLUEPRINTS / "eks-platform.yaml", tmp_path / "repo").out
    sources = {path.relative_to(CHART_TEMPLATES).as_posix(): path
               for path in CHART_TEMPLATES.rglob("*") if path.is_file()}
    copied = {"/".join("." + part[4:] if part.startswith("dot-") else part
                       for part in name.split("/")): path
              for name, path in sources.items() if not name.endswith(".j2")}
    assert {"values.yaml", ".helmignore", "templates/_helpers.tpl", "templates/_pod.tpl",
            "templates/NOTES.txt", "templates/deployment.yaml"} <= set(copied)
    for app in ("checkout", "reports"):
        chart = out / "apps" / app / "chart"
        written = {path.relative_to(chart).as_posix() for path in chart.rglob("*")
                   if path.is_file()}
        assert written == set(copied) | {"Chart.yaml"}
        for name, source in copied.items():
            assert (chart / name).read_bytes() == source.read_bytes(), name
        assert yaml.safe_load((chart / "Chart.yaml").read_text())["name"] == app


def test_template_markup_in_config_is_data(tmp_path):
    """`{{ name }}` in a blueprint value is written, built and deployed exactly as written."""
    rendered = render_blueprint(BLUEPRINTS / "eks-platform.yaml", tmp_path / "repo")
    overlay = rendered.out / "apps" / "storefront" / "overlays" / "prod"
    written = (overlay / "kustomization.yaml").read_text()
    assert '"BANNER_TEMPLATE=\\"Hello {{ name }}\\""' in written
    [config] = [obj for obj in yaml.safe_load_all(kustomize_build(overlay))
                if obj["kind"] == "ConfigMap"]
    assert config["data"]["BANNER_TEMPLATE"] == "Hello {{ name }}"


# --------------------------------------------------------------------------- at scale

TRICKY_CONFIG = {
    "GREETING": "Hello {{ .Values.name }} and {{ name }}",
    "QUOTED": '"quoted"',
    "MULTILINE": "first\nsecond: value",
    "YES": "yes",
    "MODE": "0755",
    "EMPTY": "",
    "EQUALS": "a=b",
    "SPACES": "  line with trailing spaces  \n\tindented\n",
    "BACKSLASH": "C:\\path\\",
    "COMMENT": "#not a comment: - [x] {y}",
    "UNICODE": "caf\u00e9 \u2028 \u00fc end",   # not U+0085: kustomize drops it from any value
}


def scale_blueprint(path: Path, environments: int = 10, apps: int = 100) -> Path:
    """eks-minimal grown to many environments and apps of both kinds, with every feature.

    In the last environment every app runs with one pod at least some of the time (a
    deliberate lint exception), and in env3 one app in five is switched off.
    """
    last = f"env{environments - 1}"
    data = yaml.safe_load((BLUEPRINTS / "eks-minimal.yaml").read_text())
    [template] = data["environments"]
    data["environments"] = [
        {**template, "name": f"env{n}", "domain": f"env{n}.demo.example",
         "cluster": {**template["cluster"], "name": f"demo-env{n}"}}
        for n in range(environments)]
    data["apps"] = []
    for i in range(apps):
        name = f"app{i:03d}"
        app: dict[str, Any] = {
            "name": name, "kind": "kustomize" if i % 2 == 0 else "helm",
            "image": {"repository": f"111111111111.dkr.ecr.eu-west-1.amazonaws.com/{name}",
                      "tag": f"1.0.{i}"},
            "port": 8000 + i, "healthPath": f"/health/{i}", "config": TRICKY_CONFIG,
            "environments": {}}
        per_env = app["environments"]
        if i % 3 == 0:
            app["hpa"] = {"minReplicas": 2, "maxReplicas": 6}
            per_env[last] = {"hpa": {"minReplicas": 1}}
        else:
            if i % 3 == 1:
                app["replicas"] = 3
            per_env[last] = {"replicas": 1}
        if i % 4 in (0, 1):
            app["ingress"] = {"subdomain": name, "public": i % 8 < 4}
        if i % 5 == 0:
            app["secrets"] = [{"name": "DB_PASSWORD", "key": f"shared/{name}/db",
                               "property": "password"}]
        if i % 10 in (4, 5):
            per_env["env3"] = {"enabled": False}
        if i % 7 == 0:                                         # a digest, without a tag
            del app["image"]["tag"]
            for n in range(environments):
                image = {"digest": "sha256:" + "ab" * 32} if n == 1 else {"tag": f"2.{n}.{i}"}
                per_env.setdefault(f"env{n}", {})["image"] = image
        data["apps"].append(app)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_ten_environments_of_a_hundred_apps(tmp_path):
    rendered = render_blueprint(scale_blueprint(tmp_path / "blueprint.yaml"), tmp_path / "repo")
    apps_dir = rendered.out / "apps"
    kustomize, helm_apps = rendered.apps("kustomize"), rendered.apps("helm")
    assert len(kustomize) == len(helm_apps) == 50 * 10 - 10   # 20 apps are off in env3
    overlays = {(p.parent.parent.name, p.name) for p in apps_dir.glob("*/overlays/*")}
    assert overlays == {(app.name, env) for app, env in kustomize}
    values = {(p.parent.name, p.name) for p in apps_dir.glob("*/values-*.yaml")}
    assert values == {(app.name, f"values-{env}.yaml") for app, env in helm_apps}
    assert len(list(apps_dir.glob("*/base/kustomization.yaml"))) == 50
    assert len(list(apps_dir.glob("*/chart/Chart.yaml"))) == 50
    assert len(list(apps_dir.glob("*/values.yaml"))) == 50
    assert not (apps_dir / "app005" / "values-env3.yaml").exists()
    assert not (apps_dir / "app004" / "overlays" / "env3").exists()
    values_text = (apps_dir / "app001" / "values-env0.yaml").read_text()
    assert "Hello {{ .Values.name }} and {{ name }}" in values_text

    # Spot checks: every feature of each kind, built or rendered, linted and compared.
    samples = {("app000", "env0"), ("app000", "env1"), ("app000", "env9"), ("app004", "env2"),
               ("app002", "env5"), ("app001", "env0"), ("app003", "env9"), ("app005", "env2"),
               ("app035", "env1"), ("app007", "env4")}
    checked = 0
    for app, env in kustomize + helm_apps:
        if (app.name, env) not in samples:
            continue
        if app.kind == "kustomize":
            manifests = kustomize_build(apps_dir / app.name / "overlays" / env)
        else:
            manifests = helm_template(rendered.out, app, env)
        objects = lint_clean(manifests, tmp_path / f"{app.name}-{env}.yaml")
        check_objects(objects, app, env)
        checked += 1
    assert checked == len(samples)
