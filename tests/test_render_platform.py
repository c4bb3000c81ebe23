"""The platform templates: `environments/` (app-of-apps, AppProjects, one Application per add-on
and per app), `platform/` (Helm values and extra manifests of every add-on) and the repository's
own files (README, `.gitops-gen.yaml`, pre-commit, CI workflow).

For both presets (and variants of eks-platform that take the templates' other branches), the
rendered repository must parse and lint with no finding at all, and every enabled add-on's
upstream chart (`tests/charts/*.tgz`), rendered the way Argo CD renders it (`values.yaml` then
`values-<env>.yaml`, release name = add-on, namespace = the add-on's), must lint with no finding
under the rendered `.gitops-gen.yaml`, whose narrow exclusions must each be needed. The Argo CD
structure is checked against the chart renders: projects allow what the charts create and
nothing more, sync waves put every CRD provider before its users, CRDs too big for client-side
apply get server-side apply.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterator

import helm_python as helm
import pytest
import yaml

from gitops_gen.api import LintOptions, RenderOptions, lint, render
from gitops_gen.blueprint import load_blueprint, parse_blueprint
from gitops_gen.blueprint.addons import AddOn
from gitops_gen.blueprint.layers import deep_merge
from gitops_gen.blueprint.model import Blueprint, Environment
from gitops_gen.lint.registry import load_rules

from conftest import CHARTS, chart_archive

REPO = Path(__file__).resolve().parent.parent
BLUEPRINTS = REPO / "blueprints"
PRESETS = ("eks-minimal", "eks-platform")
K8S_VERSION = "1.35"
FINALIZER = "resources-finalizer.argocd.argoproj.io"
ANNOTATION_LIMIT = 262144
"""Bytes of annotations an object may carry: client-side apply stores the whole object in one."""
SERVICE_ACCOUNTS = {"aws-ebs-csi-driver": "ebs-csi-controller-sa",
                    "aws-load-balancer-controller": "aws-load-balancer-controller",
                    "cert-manager": "cert-manager", "cilium": "cilium-operator",
                    "external-dns": "external-dns", "external-secrets": "external-secrets",
                    "karpenter": "karpenter"}
"""The service account of each add-on that calls AWS: what the IAM roles' trust policies name."""
CLUSTER_SCOPED = frozenset({
    "APIService", "CSIDriver", "CSINode", "CertificateSigningRequest", "ClusterRole",
    "ClusterRoleBinding", "ClusterTrustBundle", "CustomResourceDefinition", "DeviceClass",
    "FlowSchema", "IngressClass", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration", "Namespace", "Node", "PersistentVolume", "PriorityClass",
    "PriorityLevelConfiguration", "RuntimeClass", "StorageClass", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration", "VolumeAttachment"})
ARGO_RULES = tuple(code for code in load_rules() if code.startswith("ARGO"))
SPLIT = re.compile(r"(?:^|\s*\n)---\s*")
"""How Helm splits a rendered template into documents (`---# comment` included)."""


class _Loader(yaml.CSafeLoader):
    """YAML 1.1 as Kubernetes reads it, with the `=` value tag some CRDs use as a plain string."""


_Loader.add_constructor("tag:yaml.org,2002:value",
                        lambda loader, node: loader.construct_scalar(node))


def load_all(text: str) -> list[Any]:
    return [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]


def group_of(obj: dict) -> str:
    api_version = obj.get("apiVersion", "")
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def wave(obj: dict) -> int:
    return int((obj["metadata"].get("annotations") or {}).get("argocd.argoproj.io/sync-wave", 0))


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, str):
        yield value


def problems_text(problems) -> str:
    return "\n".join(f"{p.file}:{p.line}:{p.column} {p.code} {p.name} {p.resource}: {p.message}"
                     for p in problems)


# --------------------------------------------------------------------------- the rendered repo


@dataclass
class Rendered:
    preset: str
    blueprint: Blueprint
    out: Path
    files: dict[str, bytes]

    def text(self, path: str) -> str:
        return self.files[path].decode("utf-8")

    def yaml(self, path: str) -> list[Any]:
        return load_all(self.text(path))

    def applications(self, env: Environment) -> dict[str, dict]:
        """The Applications under environments/<env>/bootstrap/, by name."""
        found = {}
        prefix = f"environments/{env.name}/bootstrap/"
        for path in self.files:
            if path.startswith(prefix) and path.endswith(".yaml"):
                for obj in self.yaml(path):
                    if obj["kind"] == "Application":
                        found[obj["metadata"]["name"]] = obj
        return found

    def projects(self, env: Environment) -> dict[str, dict]:
        return {obj["metadata"]["name"]: obj for obj in
                self.yaml(f"environments/{env.name}/bootstrap/appprojects.yaml")}

    def root(self, env: Environment) -> tuple[dict, dict]:
        """(the root Application, its AppProject)."""
        docs = {obj["kind"]: obj for obj in
                self.yaml(f"environments/{env.name}/app-of-apps.yaml")}
        return docs["Application"], docs["AppProject"]

    def values(self, env: Environment, addon: AddOn) -> dict:
        """Helm's merge of the value files the add-on's Application lists."""
        common = yaml.safe_load(self.text(f"platform/{addon.name}/values.yaml")) or {}
        per_env = yaml.safe_load(self.text(f"platform/{addon.name}/values-{env.name}.yaml")) or {}
        return deep_merge(common, per_env)

    def manifests(self, env: Environment, addon: AddOn) -> dict[str, str]:
        prefix = f"platform/{addon.name}/manifests/{env.name}/"
        return {path: self.text(path) for path in self.files if path.startswith(prefix)}


VARIANTS = ("remote-dns01", "lean")
"""eks-platform changed to take the templates' other branches (see `variant_text`)."""
CHART_PRESETS = PRESETS + ("lean",)
"""The blueprints whose add-ons' charts are rendered and linted."""


def variant_text(name: str) -> str:
    data = yaml.safe_load((BLUEPRINTS / "eks-platform.yaml").read_text())
    addons = data["addons"]
    prod = data["environments"][1]
    if name == "remote-dns01":
        # Argo CD elsewhere for prod, not self-managed; DNS-01; Cilium; fewer add-ons in prod.
        data["argocd"]["selfManaged"] = False
        data["repo"]["path"] = "clusters/acme"
        prod["cluster"]["apiServer"] = "https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com"
        addons["cert-manager"]["clusterIssuer"]["solver"] = "dns01"
        addons["cert-manager"]["iam"] = {"mode": "irsa", "roleName": "acme-cert-manager"}
        addons["cilium"]["environments"] = {"staging": {"enabled": True}}
        prod["addons"]["metrics-server"] = {"enabled": False}
    else:  # "lean": no ClusterIssuer, no external-secrets (nor alerting, nor Argo CD's
        # secrets), no cert-manager in prod, no hosted zones named
        del addons["cert-manager"]["clusterIssuer"]
        addons["external-secrets"]["enabled"] = False
        del data["alerting"]
        del data["argocd"]["secrets"]
        for env in data["environments"]:
            del env["dns"]
        addons["cert-manager"]["environments"] = {"prod": {"enabled": False}}
        data["apps"] = [app for app in data["apps"] if not app.get("secrets")]
    return yaml.safe_dump(data, sort_keys=False)


def blueprint_of(preset: str) -> Blueprint:
    if preset in PRESETS:
        return load_blueprint(str(BLUEPRINTS / f"{preset}.yaml"))
    return parse_blueprint(variant_text(preset), file=f"{preset}.yaml")


def render_preset(preset: str, out: Path) -> Rendered:
    if preset in PRESETS:
        path = BLUEPRINTS / f"{preset}.yaml"
    else:
        path = out.parent / f"{preset}.yaml"
        path.write_text(variant_text(preset))
    run = render(RenderOptions(blueprint=str(path), output=str(out), git=False))
    assert run.exit_code == 0
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
             if p.is_file() and not p.relative_to(out).as_posix().startswith(".gitops-gen/")}
    return Rendered(preset, blueprint_of(preset), out, files)


@pytest.fixture(scope="module")
def presets(tmp_path_factory) -> dict[str, Rendered]:
    """The presets, and variants of eks-platform that take the templates' other branches."""
    return {preset: render_preset(preset, tmp_path_factory.mktemp(preset) / "repo")
            for preset in PRESETS + VARIANTS}


@pytest.fixture(params=PRESETS + VARIANTS)
def rendered(request, presets) -> Rendered:
    return presets[request.param]


def addon_applications(rendered: Rendered, env: Environment) -> dict[str, dict]:
    """The Applications of the add-ons (karpenter-crd included), by add-on or chart name."""
    prefix = f"{env.name}-"
    return {name[len(prefix):]: app for name, app in rendered.applications(env).items()
            if app["spec"].get("project") == f"{env.name}-platform"}


# --------------------------------------------------------------------------- chart renders


@dataclass
class ChartRender:
    """An add-on as Argo CD would apply it in one environment: its chart(s) and manifests."""

    addon: str
    folder: Path
    objects: list[dict] = field(default_factory=list)
    crd_sizes: dict[str, int] = field(default_factory=dict)
    """Serialised size of every CRD, by name."""

    @cached_property
    def provided(self) -> set[tuple[str, str]]:
        """(group, kind) of the custom resources the add-on's CRDs define."""
        return {(obj["spec"]["group"], obj["spec"]["names"]["kind"]) for obj in self.objects
                if obj["kind"] == "CustomResourceDefinition"}

    @cached_property
    def used(self) -> set[tuple[str, str]]:
        return {(group_of(obj), obj["kind"]) for obj in self.objects}


_CHARTS: dict[tuple[str, str, str], ChartRender] = {}


def chart_render(rendered: Rendered, env: Environment, addon: AddOn,
                 tmp_path_factory) -> ChartRender:
    """Render (once per preset, environment and add-on) what the add-on's Application syncs."""
    key = (rendered.preset, env.name, addon.name)
    if key in _CHARTS:
        return _CHARTS[key]
    values = rendered.values(env, addon)
    documents: list[tuple[str, str]] = []  # (source name, text of one document)
    with helm.Chart.load(chart_archive(addon.chart.chart, addon.chart.version)) as chart:
        assert chart.version == addon.chart.version
        output = chart.render(values, name=addon.name, namespace=addon.namespace)
        crds = [] if addon.crd_chart else chart.crds
    if addon.crd_chart:  # the CRDs come from their own chart and Application (skipCrds here)
        crd_app = rendered.applications(env)[f"{env.name}-{addon.crd_release}"]
        crd_values = crd_app["spec"]["sources"][0]["helm"].get("valuesObject") or {}
        with helm.Chart.load(chart_archive(addon.crd_chart.chart,
                                           addon.crd_chart.version)) as chart:
            assert chart.version == addon.crd_chart.version
            output.update({f"crd-chart/{name}": text for name, text in chart.render(
                crd_values, name=addon.crd_release, namespace=addon.namespace).items()})
            crds = chart.crds
    sources = {**output, **{f"crds/{crd['name']}": crd["data"] for crd in crds},
               **rendered.manifests(env, addon)}
    for name, text in sorted(sources.items()):
        if name.endswith((".yaml", ".yml")):
            documents.extend((name, part) for part in SPLIT.split(text) if part.strip())
    result = ChartRender(addon.name, tmp_path_factory.mktemp(f"{env.name}-{addon.name}"))
    parsed = [(name, text, load_all(text)) for name, text in documents]
    crd_kinds = {obj["spec"]["names"]["kind"] for _, _, objs in parsed for obj in objs
                 if isinstance(obj, dict) and obj.get("kind") == "CustomResourceDefinition"
                 and obj["spec"].get("scope") == "Cluster"}
    for number, (name, text, objs) in enumerate(parsed):
        items = [item for obj in objs if isinstance(obj, dict)
                 for item in (obj.get("items") or [] if obj.get("kind") == "List" else [obj])]
        for obj in items:
            if obj["kind"] == "CustomResourceDefinition":
                result.crd_sizes[obj["metadata"]["name"]] = len(json.dumps(obj))
            elif obj["kind"] not in CLUSTER_SCOPED | crd_kinds:
                # Argo CD puts namespaced objects without a namespace in the destination's.
                obj.setdefault("metadata", {}).setdefault("namespace", addon.namespace)
        result.objects.extend(items)
        target = result.folder / f"{number:04d}-{name.replace('/', '_')}"
        if all(obj["kind"] == "CustomResourceDefinition" for obj in items):
            target.write_text(text, encoding="utf-8")  # as written: large, nothing to add
        else:
            target.write_text(yaml.dump_all(items, Dumper=yaml.CSafeDumper, sort_keys=False),
                              encoding="utf-8")
    _CHARTS[key] = result
    return result


def lint_chart(render_: ChartRender, config: Path):
    return lint(LintOptions(paths=(str(render_.folder),), config=str(config),
                            k8s_version=K8S_VERSION))


ADDON_CASES = [(preset, env.name, addon.name) for preset in CHART_PRESETS
               for env in blueprint_of(preset).environments for addon in env.addons()]


def case(presets: dict[str, Rendered], preset: str, env_name: str, addon_name: str):
    rendered = presets[preset]
    env = rendered.blueprint.environment(env_name)
    return rendered, env, env.addon(addon_name)


# --------------------------------------------------------------------------- 1. the repository


def test_render_writes_the_layout_and_every_yaml_file_parses(rendered: Rendered):
    for path, content in rendered.files.items():
        if path.endswith((".yaml", ".yml")) and "/chart/templates/" not in path:
            load_all(content.decode("utf-8"))
    for name in ("README.md", ".gitops-gen.yaml", ".pre-commit-config.yaml",
                 ".github/workflows/gitops-gen.yaml"):
        assert name in rendered.files
    for env in rendered.blueprint.environments:
        base = f"environments/{env.name}"
        assert f"{base}/app-of-apps.yaml" in rendered.files
        assert f"{base}/bootstrap/appprojects.yaml" in rendered.files
        for addon in env.addons():
            assert f"{base}/bootstrap/addons/{addon.name}.yaml" in rendered.files
            assert f"platform/{addon.name}/values.yaml" in rendered.files
            assert f"platform/{addon.name}/values-{env.name}.yaml" in rendered.files
        for app in env.apps():
            assert f"{base}/bootstrap/apps/{app.name}.yaml" in rendered.files


def test_the_rendered_repository_lints_clean(rendered: Rendered):
    """Everything, apps included once their templates exist; else the parts owned here."""
    if (REPO / "templates" / "apps").is_dir():
        paths = (str(rendered.out),)
    else:
        paths = (str(rendered.out / "environments"), str(rendered.out / "platform"))
    run = lint(LintOptions(paths=paths, k8s_version=K8S_VERSION, charts_dir=str(CHARTS)))
    assert run.config_file == str(rendered.out / ".gitops-gen.yaml")
    # no cilium chart is packaged (none in ../shared): only its Applications go unrendered
    problems = [p for p in run.result.problems
                if not (p.code == "ARGO014" and "chart cilium " in p.message)]
    assert not problems, problems_text(problems)
    assert run.result.resources > 0


def test_two_renders_are_byte_identical(rendered: Rendered, tmp_path):
    again = render_preset(rendered.preset, tmp_path / "again")
    assert again.blueprint.name == rendered.blueprint.name
    assert again.files == rendered.files


def test_blueprint_values_are_data(tmp_path):
    data = yaml.safe_load((BLUEPRINTS / "eks-minimal.yaml").read_text())
    data["addons"]["metrics-server"]["values"] = {
        "args": ["{{ .Values.x }}", "{% raw %}"], "podLabels": {"on": "yes", "team": "1.30"}}
    path = tmp_path / "blueprint.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    run = render(RenderOptions(blueprint=str(path), output=str(tmp_path / "out"), git=False))
    assert run.exit_code == 0
    values = yaml.safe_load((tmp_path / "out/platform/metrics-server/values-dev.yaml").read_text())
    assert values == data["addons"]["metrics-server"]["values"]


def test_blueprint_values_are_merged_last(rendered: Rendered):
    """Every value the blueprint sets for an add-on is the value Helm gets."""

    def leaves(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
        if isinstance(value, dict) and value:
            for key, item in value.items():
                yield from leaves(item, path + (key,))
        elif path:
            yield path, value

    for env in rendered.blueprint.environments:
        for addon in env.addons():
            merged = rendered.values(env, addon)
            for path, value in leaves(addon.values):
                got = merged
                for key in path:
                    got = got[key]
                assert got == value, (env.name, addon.name, path)


# --------------------------------------------------------------------------- 3. Argo CD structure


def test_root_application_has_no_finalizer_and_a_narrow_project(rendered: Rendered):
    repo = rendered.blueprint.repo
    for env in rendered.blueprint.environments:
        root, project = rendered.root(env)
        assert root["metadata"]["name"] == f"{env.name}-app-of-apps"
        assert root["metadata"]["namespace"] == rendered.blueprint.argocd.namespace
        assert not root["metadata"].get("finalizers")
        assert root["spec"]["project"] == project["metadata"]["name"] == f"{env.name}-bootstrap"
        assert root["spec"]["source"] == {
            "repoURL": repo.url, "targetRevision": repo.revision,
            "path": repo.source_path("environments", env.name, "bootstrap"),
            "directory": {"recurse": True}}
        assert root["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
        assert project["spec"]["sourceRepos"] == [repo.url]
        assert project["spec"]["clusterResourceWhitelist"] == []
        assert {(r["group"], r["kind"]) for r in project["spec"]["namespaceResourceWhitelist"]} == {
            ("argoproj.io", "Application"), ("argoproj.io", "AppProject")}
        assert not any("*" in s for s in strings(project["spec"]))


def test_every_other_application_has_the_finalizer_and_automated_sync(rendered: Rendered):
    for env in rendered.blueprint.environments:
        apps = rendered.applications(env)
        expected = {f"{env.name}-{a.name}" for a in env.addons()
                    if a.name != "argo-cd" or rendered.blueprint.argocd.self_managed}
        keep = {f"{env.name}-{a.crd_release}" for a in env.addons() if a.crd_chart}
        if rendered.blueprint.argocd.self_managed:  # never deletes Argo CD, nor a CRD
            keep.add(f"{env.name}-argo-cd")
        expected |= keep
        expected |= {f"{env.name}-{a.name}" for a in env.apps()}
        assert set(apps) == expected
        for name, app in apps.items():
            assert app["metadata"].get("finalizers") == (None if name in keep else [FINALIZER]), name
            assert app["metadata"]["namespace"] == rendered.blueprint.argocd.namespace
            policy = app["spec"]["syncPolicy"]
            assert policy["automated"] == {"prune": True, "selfHeal": True}, name
            assert "CreateNamespace=true" in policy["syncOptions"], name
            assert policy["retry"]["limit"] > 0 and policy["retry"]["backoff"], name
            assert app["spec"]["destination"]["server"] == env.cluster.server


def test_app_projects_list_exactly_what_they_need(rendered: Rendered):
    blueprint = rendered.blueprint
    for env in blueprint.environments:
        projects = rendered.projects(env)
        assert set(projects) == {f"{env.name}-platform", f"{env.name}-apps"}
        for project in projects.values():
            assert not any("*" in s for s in strings(project["spec"])), project["metadata"]
            assert project["spec"]["orphanedResources"] == {"warn": True}
            assert all(d["server"] == env.cluster.server for d in project["spec"]["destinations"])
            assert wave(project) < min(wave(app) for app in rendered.applications(env).values())
        platform, apps = projects[f"{env.name}-platform"], projects[f"{env.name}-apps"]
        charts = {app["spec"]["sources"][0]["repoURL"]
                  for app in addon_applications(rendered, env).values()}
        assert sorted(platform["spec"]["sourceRepos"]) == sorted({blueprint.repo.url} | charts)
        assert apps["spec"]["sourceRepos"] == [blueprint.repo.url]
        namespaces = {app.namespace for app in env.apps()}
        assert {d["namespace"] for d in apps["spec"]["destinations"]} == namespaces
        # The apps create no cluster-scoped object but their own Namespaces.
        assert apps["spec"]["clusterResourceWhitelist"] == [
            {"group": "", "kind": "Namespace", "name": ns} for ns in sorted(namespaces)]


def test_sync_waves_follow_dependencies(rendered: Rendered):
    for env in rendered.blueprint.environments:
        addons = {name: wave(app) for name, app in addon_applications(rendered, env).items()}
        apps = [wave(rendered.applications(env)[f"{env.name}-{a.name}"]) for a in env.apps()]
        crd_only = {addon.crd_release for addon in env.addons() if addon.crd_chart}
        platform = {name: w for name, w in addons.items() if name != "argo-cd"}
        if "argo-cd" in addons:  # Argo CD upgrades itself early, after the CRD-only releases
            assert addons["argo-cd"] < min(w for name, w in platform.items() if name not in crd_only)
            assert all(addons["argo-cd"] > addons[name] for name in crd_only)
        assert all(w > max(platform.values()) for w in apps)
        order = [("karpenter-crd", "karpenter"), ("cilium", "cert-manager"),
                 ("cert-manager", "kube-prometheus-stack"),
                 ("external-secrets", "kube-prometheus-stack"),
                 ("cert-manager", "external-dns"), ("external-secrets", "external-dns")]
        if env.addon("cert-manager"):  # its webhook certificate comes from cert-manager
            order.append(("cert-manager", "aws-load-balancer-controller"))
        for first, then in order:
            if first in addons and then in addons:
                assert addons[first] < addons[then], (env.name, first, then)


def test_chart_sources_are_pinned_and_values_come_from_this_repository(rendered: Rendered):
    repo = rendered.blueprint.repo
    for env in rendered.blueprint.environments:
        apps = addon_applications(rendered, env)
        for addon in env.addons():
            for ref, name in ((addon.crd_chart, addon.crd_release),
                              (addon.chart, addon.name)):
                if ref is None or name not in apps:
                    continue
                chart, *others = apps[name]["spec"]["sources"]
                assert chart["repoURL"] == ref.repo_url
                assert chart["chart"] == ref.chart
                assert chart["targetRevision"] == ref.version == addon.chart.version
                assert chart["helm"]["releaseName"] == name
                assert not ref.oci or "://" not in chart["repoURL"]
                if name != addon.name:  # the CRD chart: nothing else
                    assert others == []
                    continue
                assert chart["helm"].get("skipCrds", False) == (addon.crd_chart is not None)
                files = [f"platform/{addon.name}/values.yaml",
                         f"platform/{addon.name}/values-{env.name}.yaml"]
                assert chart["helm"]["valueFiles"] == [
                    "$values/" + repo.source_path(f) for f in files]
                assert others[0] == {"repoURL": repo.url, "targetRevision": repo.revision,
                                     "ref": "values"}
                manifests = f"platform/{addon.name}/manifests/{env.name}"
                has_manifests = any(path.startswith(manifests + "/") and load_all(
                    rendered.text(path)) for path in rendered.files)
                assert others[1:] == ([{"repoURL": repo.url, "targetRevision": repo.revision,
                                        "path": repo.source_path(manifests)}]
                                      if has_manifests else []), (env.name, addon.name)


def test_argo_cd_reports_application_health_for_the_waves(rendered: Rendered):
    values = yaml.safe_load(rendered.text("platform/argo-cd/values.yaml"))
    lua = values["configs"]["cm"]["resource.customizations.health.argoproj.io_Application"]
    assert "obj.status.health.status" in lua and "return hs" in lua


def test_repository_files(rendered: Rendered):
    readme = rendered.text("README.md")
    for env in rendered.blueprint.environments:
        assert env.name in readme
    root = rendered.blueprint.repo.source_path("environments", "<env>", "app-of-apps.yaml")
    assert f"kubectl apply -n argocd -f {root}" in readme
    assert "gitops-gen render" in readme and "gitops-gen lint" in readme
    # The pre-commit hook and the CI workflow: tests/test_render_eks_traffic.py.


def test_lint_config_has_only_narrow_exclusions(rendered: Rendered):
    config = yaml.safe_load(rendered.text(".gitops-gen.yaml"))
    assert "rules" not in config  # no rule switched off
    for exclusion in config.get("exclude", []):
        assert exclusion["rules"] and exclusion["reason"].strip()
        assert exclusion["kinds"] and exclusion["namespaces"] and exclusion["names"]
        assert not any("*" == value for key in ("kinds", "namespaces", "names")
                       for value in exclusion[key])


# --------------------------------------------------------------------------- 2. the charts


@pytest.mark.parametrize(("preset", "env_name", "addon_name"), ADDON_CASES,
                         ids=["-".join(c) for c in ADDON_CASES])
def test_addon_chart_renders_and_lints_clean(presets, preset, env_name, addon_name,
                                             tmp_path_factory):
    rendered, env, addon = case(presets, preset, env_name, addon_name)
    result = chart_render(rendered, env, addon, tmp_path_factory)
    run = lint_chart(result, rendered.out / ".gitops-gen.yaml")
    assert not run.result.problems, problems_text(run.result.problems)
    assert run.result.resources == len(result.objects)


@pytest.mark.parametrize("preset", CHART_PRESETS)
def test_every_exclusion_is_needed(presets, preset, tmp_path_factory, tmp_path):
    """Without the exclusions, each one has findings to drop, and nothing else is found."""
    rendered = presets[preset]
    config = yaml.safe_load(rendered.text(".gitops-gen.yaml"))
    exclusions = config.pop("exclude", [])
    bare = tmp_path / ".gitops-gen.yaml"
    bare.write_text(yaml.safe_dump(config))
    found = []
    for env in rendered.blueprint.environments:
        for addon in env.addons():
            result = chart_render(rendered, env, addon, tmp_path_factory)
            found.extend(lint_chart(result, bare).result.problems)
    # the Argo CD rules judge the Applications with what they deploy: the whole repository
    whole = lint(LintOptions(paths=(str(rendered.out),), config=str(bare), charts_dir=str(CHARTS),
                             k8s_version=K8S_VERSION, select=ARGO_RULES))
    found.extend(p for p in whole.result.problems if "chart cilium " not in p.message)

    def matches(exclusion: dict, problem) -> bool:
        resource = problem.resource
        return (resource is not None
                and (problem.code in exclusion["rules"] or problem.name in exclusion["rules"])
                and any(fnmatch.fnmatchcase(resource.kind, k) for k in exclusion["kinds"])
                and any(fnmatch.fnmatchcase(resource.namespace or "", n)
                        for n in exclusion["namespaces"])
                and any(fnmatch.fnmatchcase(resource.name or "", n) for n in exclusion["names"]))

    unused = [e["reason"] for e in exclusions if not any(matches(e, p) for p in found)]
    assert not unused, unused
    unexcluded = [p for p in found if not any(matches(e, p) for e in exclusions)]
    assert not unexcluded, problems_text(unexcluded)


@pytest.mark.parametrize("preset", CHART_PRESETS)
def test_projects_and_waves_match_the_charts(presets, preset, tmp_path_factory):
    """The platform project allows every namespace and cluster-scoped kind the charts write;
    every CRD is applied in an earlier wave than the add-ons that use its kind; charts with CRDs
    too big for client-side apply are applied server-side."""
    rendered = presets[preset]
    for env in rendered.blueprint.environments:
        project = rendered.projects(env)[f"{env.name}-platform"]["spec"]
        destinations = {d["namespace"] for d in project["destinations"]}
        whitelist = {(r["group"], r["kind"]) for r in project["clusterResourceWhitelist"]
                     if "name" not in r}
        namespaces = {r["name"] for r in project["clusterResourceWhitelist"]
                      if r["kind"] == "Namespace"}
        applications = addon_applications(rendered, env)
        renders = {addon.name: chart_render(rendered, env, addon, tmp_path_factory)
                   for addon in env.addons()}
        providers = {kind: name for name, result in renders.items() for kind in result.provided}
        for name, result in renders.items():
            app = applications.get(name)
            if app is None:  # argo-cd, not self-managed
                continue
            assert app["spec"]["destination"]["namespace"] in namespaces | {"kube-system"}
            for obj in result.objects:
                kind = (group_of(obj), obj["kind"])
                namespace = obj["metadata"].get("namespace")
                if namespace:
                    assert namespace in destinations, (name, obj["kind"], namespace)
                elif obj["kind"] != "Namespace":
                    assert kind in whitelist, (name, kind)
            for kind in result.used - result.provided:
                provider = providers.get(kind)
                if provider is None:
                    continue
                crd_app = applications.get(renders[provider].addon)
                if renders[provider].addon in {a.name for a in env.addons() if a.crd_chart}:
                    crd_app = applications[env.addon(renders[provider].addon).crd_release]
                assert wave(crd_app) < wave(app), (env.name, name, kind, provider)
            options = app["spec"]["syncPolicy"]["syncOptions"]
            too_big = any(size > ANNOTATION_LIMIT for size in result.crd_sizes.values())
            addon = env.addon(name)
            if addon is not None and addon.crd_chart:  # its own Application applies the CRDs
                crd_options = applications[addon.crd_release]["spec"]["syncPolicy"]["syncOptions"]
                assert ("ServerSideApply=true" in crd_options) == too_big, addon.crd_release
                too_big = False
            assert ("ServerSideApply=true" in options) == too_big, name
        if "karpenter" in renders:
            assert wave(applications["karpenter-crd"]) < wave(applications["karpenter"])
        # ... and nothing more.
        managed = [result for name, result in renders.items() if name in applications]
        used_kinds = {(group_of(obj), obj["kind"]) for result in managed
                      for obj in result.objects if not obj["metadata"].get("namespace")}
        used_namespaces = {obj["metadata"].get("namespace") for result in managed
                           for obj in result.objects}
        assert whitelist <= used_kinds, whitelist - used_kinds
        assert destinations <= used_namespaces, destinations - used_namespaces


@pytest.mark.parametrize("preset", CHART_PRESETS)
def test_service_accounts_match_the_iam_trust_policies(presets, preset, tmp_path_factory):
    rendered = presets[preset]
    for env in rendered.blueprint.environments:
        for addon in env.addons():
            if addon.iam is None:
                continue
            result = chart_render(rendered, env, addon, tmp_path_factory)
            [account] = [obj for obj in result.objects if obj["kind"] == "ServiceAccount"
                         and obj["metadata"]["name"] == SERVICE_ACCOUNTS[addon.name]]
            assert account["metadata"]["namespace"] == addon.namespace
            annotations = account["metadata"].get("annotations") or {}
            role = annotations.get("eks.amazonaws.com/role-arn")
            assert role == (addon.iam.arn if addon.iam.irsa else None), (env.name, addon.name)
            workloads = [obj for obj in result.objects if obj["kind"] == "Deployment"
                         and obj["spec"]["template"]["spec"].get("serviceAccountName")
                         == account["metadata"]["name"]]
            assert workloads, (env.name, addon.name)
