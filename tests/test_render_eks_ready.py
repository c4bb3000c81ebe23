"""What a first sync on a real EKS cluster needs from the render (issue 8, points 1, 3 and 4):

- NetworkPolicies that let each add-on and app work where they are enforced: the EKS Pod
  Identity agent for roles on Pod Identity, IMDS only where it is read, the apps' egress
  (CIDRs as NetworkPolicies, hosts as Cilium FQDN policies, and only where Cilium runs);
- persistent storage: the EBS CSI driver, a default encrypted gp3 StorageClass, volume claims
  for Prometheus and Alertmanager with a retention size below the volume's;
- a bootstrap that cannot deadlock: CRD-only releases before their users, Argo CD early, CRDs
  that outlive their add-on, and the prerequisites and IAM policies in the rendered repository.

Everything here reads the render; the add-ons' charts are rendered and linted in
test_render_platform.py.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_gen.api import LintOptions, RenderOptions, lint, render
from gitops_gen.blueprint import load_blueprint, parse_blueprint
from gitops_gen.blueprint.load import BlueprintError
from gitops_gen.blueprint.addons import AddOn
from gitops_gen.blueprint.layers import parse_quantity
from gitops_gen.blueprint.model import Blueprint, Environment
from gitops_gen.render.network import IMDS, POD_IDENTITY_AGENT

REPO = Path(__file__).resolve().parent.parent
BLUEPRINTS = REPO / "blueprints"
PRESETS = ("eks-minimal", "eks-platform")
CILIUM = "cilium-apps"
"""eks-platform with Cilium in staging, an app reaching a host by name there, and IRSA apps."""
KEEP = {"helm.sh/resource-policy": "keep"}
FINALIZER = "resources-finalizer.argocd.argoproj.io"


def cilium_text() -> str:
    data = yaml.safe_load((BLUEPRINTS / "eks-platform.yaml").read_text())
    data["addons"]["cilium"]["environments"] = {"staging": {"enabled": True}}
    orders = next(app for app in data["apps"] if app["name"] == "orders")
    orders["iam"] = {"mode": "irsa", "roleName": "acme-orders"}
    orders["environments"]["staging"]["egress"] = [
        {"hosts": ["orders-db.internal.acme.example", "*.queue.acme.example"], "ports": [5432]}]
    checkout = next(app for app in data["apps"] if app["name"] == "checkout")
    checkout["iam"] = {"mode": "irsa", "roleName": "acme-checkout"}
    checkout["environments"]["staging"] = {"egress": [{"hosts": ["api.stripe.com"],
                                                        "ports": [443, 8443]}]}
    return yaml.safe_dump(data, sort_keys=False)


@dataclass
class Rendered:
    name: str
    blueprint: Blueprint
    out: Path

    def text(self, path: str) -> str:
        return (self.out / path).read_text(encoding="utf-8")

    def yaml(self, path: str) -> list[Any]:
        return [doc for doc in yaml.safe_load_all(self.text(path)) if doc is not None]

    def values(self, env: Environment, name: str) -> dict:
        return yaml.safe_load(self.text(f"platform/{name}/values-{env.name}.yaml")) or {}

    def common_values(self, name: str) -> dict:
        return yaml.safe_load(self.text(f"platform/{name}/values.yaml")) or {}

    def applications(self, env: Environment) -> dict[str, dict]:
        """The add-ons' Applications (CRD-only ones included), by name without the env."""
        found = {}
        for path in sorted((self.out / f"environments/{env.name}/bootstrap/addons").glob("*")):
            for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
                if doc and doc["kind"] == "Application":
                    found[doc["metadata"]["name"][len(env.name) + 1:]] = doc
        return found

    def policies(self, env: Environment, addon: AddOn) -> list[dict]:
        """The NetworkPolicies in the add-on's manifests."""
        folder = self.out / f"platform/{addon.name}/manifests/{env.name}"
        return [doc for path in sorted(folder.glob("*.yaml"))
                for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
                if doc and doc["kind"] == "NetworkPolicy"]


def render_blueprint(name: str, out: Path) -> Rendered:
    if name in PRESETS:
        path = BLUEPRINTS / f"{name}.yaml"
        blueprint = load_blueprint(str(path))
    else:
        path = out.parent / f"{name}.yaml"
        path.write_text(cilium_text())
        blueprint = parse_blueprint(path.read_text(), file=str(path))
    run = render(RenderOptions(blueprint=str(path), output=str(out), git=False))
    assert run.exit_code == 0
    return Rendered(name, blueprint, out)


@pytest.fixture(scope="module")
def renders(tmp_path_factory) -> dict[str, Rendered]:
    return {name: render_blueprint(name, tmp_path_factory.mktemp(name) / "repo")
            for name in PRESETS + (CILIUM,)}


@pytest.fixture(params=PRESETS + (CILIUM,))
def rendered(request, renders) -> Rendered:
    return renders[request.param]


def wave(obj: dict) -> int:
    return int(obj["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-wave", 0))


def cidrs_on(rules: list[dict], port: int) -> set[str]:
    """The ipBlock CIDRs the egress rules allow on TCP `port`."""
    found = set()
    for rule in rules:
        if any(p.get("port") == port and p.get("protocol", "TCP") == "TCP"
               for p in rule.get("ports", [])):
            found |= {peer["ipBlock"]["cidr"] for peer in rule.get("to", []) if "ipBlock" in peer}
    return found


def allows_port_anywhere(rules: list[dict], port: int) -> bool:
    return any("to" not in rule and any(p.get("port") == port for p in rule.get("ports", []))
               for rule in rules)


# --------------------------------------------------------------------------- 1. networking


ADDON_EGRESS = {"aws-load-balancer-controller": "aws-load-balancer-controller",
                "external-dns": "external-dns", "karpenter": "karpenter",
                "aws-ebs-csi-driver": "ebs-csi-controller"}
"""The add-ons whose egress is restricted by a NetworkPolicy of their manifests: its name."""


def addon_egress(rendered: Rendered, env: Environment, addon: AddOn) -> list[dict] | None:
    """The egress rules of the pods that use the add-on's IAM role (None: unrestricted)."""
    if addon.name in ("external-secrets", "cert-manager"):
        values = rendered.values(env, addon.name)
        assert rendered.common_values(addon.name)["networkPolicy"]["enabled"] is True
        return values["networkPolicy"]["egress"]
    if addon.name in ADDON_EGRESS:
        [policy] = [p for p in rendered.policies(env, addon)
                    if p["metadata"]["name"] == ADDON_EGRESS[addon.name]]
        assert "Egress" in policy["spec"]["policyTypes"]
        return policy["spec"]["egress"]
    return None


def test_addons_on_pod_identity_reach_its_agent_and_nothing_else_on_port_80(rendered):
    checked = 0
    for env in rendered.blueprint.environments:
        for addon in env.addons():
            rules = addon_egress(rendered, env, addon)
            if addon.iam is None or rules is None:
                continue
            checked += 1
            assert allows_port_anywhere(rules, 443), (env.name, addon.name)
            assert cidrs_on(rules, 53) == set() and any(
                p["port"] == 53 and p["protocol"] == "UDP"
                for rule in rules for p in rule["ports"]), (env.name, addon.name)
            agent = set(POD_IDENTITY_AGENT) if not addon.iam.irsa else set()
            # IMDS only for the load balancer controller, and only without a vpcId.
            imds = ({IMDS} if addon.name == "aws-load-balancer-controller"
                    and "vpcId" not in addon.values else set())
            assert cidrs_on(rules, 80) == agent | imds, (env.name, addon.name)
            assert not allows_port_anywhere(rules, 80), (env.name, addon.name)
    assert checked


def test_every_add_on_role_with_restricted_egress_is_checked(renders):
    """The minimal preset's add-ons all run on Pod Identity: each policy lets it through."""
    rendered = renders["eks-minimal"]
    env = rendered.blueprint.environments[0]
    roles = [addon for addon in env.addons() if addon.iam]
    assert {addon.name for addon in roles} == {"aws-load-balancer-controller", "external-dns",
                                               "external-secrets"}
    for addon in roles:
        assert cidrs_on(addon_egress(rendered, env, addon), 80) >= set(POD_IDENTITY_AGENT)


def test_cert_manager_reaches_name_servers_for_dns01_and_nothing_on_http(rendered):
    """DNS-01 propagation checks ask the zone's own name servers (port 53 anywhere); no HTTP-01
    solver, so no port 80 beyond the Pod Identity agent, and no OpenShift API port."""
    checked = 0
    for env in rendered.blueprint.environments:
        addon = env.addon("cert-manager")
        if addon is None:
            continue
        checked += 1
        rules = addon_egress(rendered, env, addon)
        assert allows_port_anywhere(rules, 53) == (addon.cluster_issuer is not None)
        assert not allows_port_anywhere(rules, 80) and not allows_port_anywhere(rules, 6443)
        ports = {p["port"] for rule in rules for p in rule["ports"]}
        assert ports == {53, 443} | ({80} if addon.iam and not addon.iam.irsa else set())
    assert checked or rendered.name == "eks-minimal"


def test_ebs_node_plugin_reads_imds_and_the_controller_does_not(renders):
    rendered = renders["eks-platform"]
    for env in rendered.blueprint.environments:
        addon = env.addon("aws-ebs-csi-driver")
        policies = {p["metadata"]["name"]: p for p in rendered.policies(env, addon)}
        assert cidrs_on(policies["ebs-csi-node"]["spec"]["egress"], 80) == {IMDS}
        assert IMDS not in cidrs_on(policies["ebs-csi-controller"]["spec"]["egress"], 80)
        values = rendered.values(env, addon.name)
        assert values["controller"]["region"] == env.cluster.region  # so: no IMDS needed


def test_policy_enforcement_is_a_documented_prerequisite(rendered):
    readme = rendered.text("README.md")
    sections = re.split(r"^### ", readme, flags=re.M)[1:]
    for env, section in zip(rendered.blueprint.environments, sections, strict=False):
        assert section.startswith(f"{env.name}:")
        if env.addon("cilium"):
            assert "Cilium replaces the Amazon VPC CNI" in section
            assert "enableNetworkPolicy" not in section
        else:
            assert '`{"enableNetworkPolicy": "true"}`' in section
        on_pod_identity = [a for a in (*env.addons(), *env.apps()) if a.iam and not a.iam.irsa]
        assert ("eks-pod-identity-agent" in section) == bool(on_pod_identity)


def kustomize_egress_patches(rendered: Rendered, app_name: str, env: str) -> list[dict]:
    """The egress rules an overlay adds to the app's NetworkPolicy."""
    overlay = rendered.yaml(f"apps/{app_name}/overlays/{env}/kustomization.yaml")[0]
    rules = []
    for patch in overlay["patches"]:
        if patch.get("target", {}).get("kind") == "NetworkPolicy":
            ops = yaml.safe_load(patch["patch"])
            assert all(op["op"] == "add" and op["path"] == "/spec/egress/-" for op in ops)
            rules += [op["value"] for op in ops]
    return rules


def test_app_egress_cidrs_and_credentials_are_network_policy_rules(renders):
    rendered = renders["eks-platform"]
    for env in rendered.blueprint.environments:
        orders = env.app("orders")
        assert orders.egress and orders.egress[0].cidrs
        assert cidrs_on(kustomize_egress_patches(rendered, "orders", env.name), 5432) == \
            set(orders.egress[0].cidrs)
        checkout = env.app("checkout")
        assert checkout.iam and not checkout.iam.irsa
        values = yaml.safe_load(rendered.text(f"apps/checkout/values-{env.name}.yaml"))
        assert cidrs_on(values["networkPolicy"]["extraEgress"], 80) == set(POD_IDENTITY_AGENT)
        assert "annotations" not in values.get("serviceAccount", {})


def test_app_egress_hosts_become_cilium_fqdn_policies_where_cilium_runs(renders):
    rendered = renders[CILIUM]
    staging, prod = rendered.blueprint.environments
    assert staging.addon("cilium") and not prod.addon("cilium")
    # kustomize: the component and its rules in staging only
    overlay = rendered.yaml("apps/orders/overlays/staging/kustomization.yaml")[0]
    assert "../../components/cilium-egress" in overlay["components"]
    [patch] = [p for p in overlay["patches"]
               if p.get("target", {}).get("kind") == "CiliumNetworkPolicy"]
    [op] = yaml.safe_load(patch["patch"])
    dns, names = op["value"]  # orders uses IRSA here (STS on 443): no agent rule
    assert dns["toPorts"][0]["rules"]["dns"] == [{"matchPattern": "*"}]
    assert names["toFQDNs"] == [{"matchName": "orders-db.internal.acme.example"},
                                {"matchPattern": "*.queue.acme.example"}]
    assert names["toPorts"] == [{"ports": [{"port": "5432", "protocol": "TCP"}]}]
    prod_overlay = rendered.yaml("apps/orders/overlays/prod/kustomization.yaml")[0]
    assert "../../components/cilium-egress" not in prod_overlay.get("components", [])
    [policy] = rendered.yaml("apps/orders/components/cilium-egress/ciliumnetworkpolicy.yaml")
    assert policy["spec"]["endpointSelector"] == {
        "matchLabels": {"app.kubernetes.io/name": "orders"}}
    # helm: the values of staging carry the rules, prod's none
    staging_values = yaml.safe_load(rendered.text("apps/checkout/values-staging.yaml"))
    rules = staging_values["networkPolicy"]["ciliumEgress"]
    assert rules[1]["toFQDNs"] == [{"matchName": "api.stripe.com"}]
    assert rules[1]["toPorts"] == [{"ports": [{"port": "443", "protocol": "TCP"},
                                              {"port": "8443", "protocol": "TCP"}]}]
    assert "ciliumEgress" not in (yaml.safe_load(rendered.text("apps/checkout/values-prod.yaml"))
                                .get("networkPolicy") or {})
    # apps without hosts get no Cilium policy at all
    assert rendered.yaml("apps/storefront/components/cilium-egress/ciliumnetworkpolicy.yaml") == []


NO_AGENT_POLICY = {"cilium": "the operator runs in the host's network"}


def test_where_cilium_runs_pod_identity_pods_may_reach_its_host_entity(renders):
    """Cilium sees the agent as the `host` entity, which the NetworkPolicies' ipBlocks miss."""
    rendered = renders[CILIUM]
    staging, prod = rendered.blueprint.environments
    for env in (staging, prod):
        for addon in env.addons():
            folder = rendered.out / f"platform/{addon.name}/manifests/{env.name}"
            found = [doc for path in sorted(folder.glob("*.yaml"))
                     for doc in yaml.safe_load_all(path.read_text()) if doc
                     and doc["kind"] == "CiliumNetworkPolicy"]
            wanted = env is staging and addon.iam is not None and not addon.iam.irsa \
                and addon.name not in NO_AGENT_POLICY
            assert len(found) == (1 if wanted else 0), (env.name, addon.name)
            if wanted:
                assert found[0]["spec"]["egress"] == [
                    {"toEntities": ["host"], "toPorts": [{"ports": [{"port": "80",
                                                                     "protocol": "TCP"}]}]}]
                assert found[0]["spec"]["endpointSelector"]["matchLabels"]
    # an app on Pod Identity in a Cilium environment: the same rule, in its own policy
    platform = renders["eks-platform"].blueprint
    assert not platform.environment("staging").addon("cilium")
    values = yaml.safe_load(renders["eks-platform"].text("apps/checkout/values-staging.yaml"))
    assert "ciliumEgress" not in values["networkPolicy"]


def test_app_roles_through_irsa_annotate_the_service_account(renders):
    rendered = renders[CILIUM]
    for env in rendered.blueprint.environments:
        orders, checkout = env.app("orders"), env.app("checkout")
        overlay = rendered.yaml(f"apps/orders/overlays/{env.name}/kustomization.yaml")[0]
        [patch] = [p for p in overlay["patches"]
                   if p.get("target", {}).get("kind") == "ServiceAccount"]
        assert yaml.safe_load(patch["patch"]) == [{
            "op": "add", "path": "/metadata/annotations",
            "value": {"eks.amazonaws.com/role-arn": orders.iam.arn}}]
        values = yaml.safe_load(rendered.text(f"apps/checkout/values-{env.name}.yaml"))
        assert values["serviceAccount"]["annotations"] == {
            "eks.amazonaws.com/role-arn": checkout.iam.arn}
        assert orders.iam.arn == f"arn:aws:iam::{env.cluster.account_id}:role/acme-orders"


def test_the_cilium_variant_lints_clean(renders):
    """The Cilium policies carry their one inline ignore (no schema for Cilium's CRDs). The
    files, as the pre-commit hook lints them: the cilium chart is not among the test charts."""
    rendered = renders[CILIUM]
    run = lint(LintOptions(paths=(str(rendered.out / "apps"), str(rendered.out / "platform")),
                           k8s_version="1.35"))
    assert [f"{p.file}:{p.line} {p.code} {p.message}" for p in run.result.problems] == []
    # orders' CiliumNetworkPolicy (checkout's is a chart template) and the add-ons' in staging
    on_agent = [a for a in rendered.blueprint.environment("staging").addons()
                if a.iam and not a.iam.irsa and a.name not in NO_AGENT_POLICY]
    assert run.result.suppressed == 1 + len(on_agent)


def blueprint_error(text: str) -> str:
    with pytest.raises(BlueprintError) as caught:
        parse_blueprint(text, file="bp.yaml")
    return "\n".join(caught.value.lines())


def test_egress_hosts_without_cilium_are_refused_at_their_position():
    data = yaml.safe_load((BLUEPRINTS / "eks-platform.yaml").read_text())
    orders = next(app for app in data["apps"] if app["name"] == "orders")
    orders["egress"] = [{"hosts": ["db.acme.example"], "ports": [5432]}]
    text = yaml.safe_dump(data, sort_keys=False)
    line = next(number for number, row in enumerate(text.splitlines(), 1) if "hosts:" in row)
    message = blueprint_error(text)
    assert re.search(rf"^bp\.yaml:{line}:\d+: .*names hosts.*cilium add-on is not enabled in "
                     r"environments staging, prod", message, re.M), message
    assert "give cidrs" in message


def test_egress_needs_one_of_cidrs_or_hosts_and_app_iam_a_role():
    data = yaml.safe_load((BLUEPRINTS / "eks-platform.yaml").read_text())
    orders = next(app for app in data["apps"] if app["name"] == "orders")
    orders["egress"] = [{"ports": [5432]}]
    assert "bp.yaml:" in blueprint_error(yaml.safe_dump(data, sort_keys=False))
    orders["egress"] = [{"cidrs": ["10.0.0.0/8"], "ports": [5432]}]
    orders["iam"] = {"mode": "pod-identity"}
    message = blueprint_error(yaml.safe_dump(data, sort_keys=False))
    assert "app 'orders' has an incomplete IAM role" in message
    assert "iam.roleName or iam.roleArn" in message


# --------------------------------------------------------------------------- 3. storage


def test_ebs_csi_driver_gives_a_default_encrypted_gp3_class(renders):
    rendered = renders["eks-platform"]
    [storage_class] = rendered.common_values("aws-ebs-csi-driver")["storageClasses"]
    assert storage_class["name"] == "gp3"
    assert storage_class["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert storage_class["parameters"] == {"type": "gp3", "encrypted": "true"}
    assert storage_class["volumeBindingMode"] == "WaitForFirstConsumer"
    for env in rendered.blueprint.environments:
        addon = env.addon("aws-ebs-csi-driver")
        app = rendered.applications(env)["aws-ebs-csi-driver"]
        assert app["spec"]["sources"][0]["chart"] == "aws-ebs-csi-driver"
        assert wave(app) < wave(rendered.applications(env)["kube-prometheus-stack"])
        assert addon.iam is not None and not addon.iam.irsa


def test_prometheus_and_alertmanager_keep_their_data_on_sized_volumes(rendered):
    for env in rendered.blueprint.environments:
        addon = env.addon("kube-prometheus-stack")
        if addon is None:
            continue
        values = rendered.values(env, addon.name)
        prometheus = values["prometheus"]["prometheusSpec"]
        claim = prometheus["storageSpec"]["volumeClaimTemplate"]["spec"]
        size = claim["resources"]["requests"]["storage"]
        assert size == addon.storage["prometheus"]
        assert claim["accessModes"] == ["ReadWriteOnce"]
        assert claim.get("storageClassName") == ("gp3" if env.addon("aws-ebs-csi-driver") else None)
        # retentionSize in Prometheus' base-2 units, below the volume
        number, unit = re.fullmatch(r"(\d+)(MB|GB)", prometheus["retentionSize"]).groups()
        retained = int(number) * 1024 ** (2 if unit == "MB" else 3)
        assert 0.8 * float(parse_quantity(size)) < retained < float(parse_quantity(size))
        alertmanager = values["alertmanager"]["alertmanagerSpec"]["storage"]
        assert alertmanager["volumeClaimTemplate"]["spec"]["resources"]["requests"][
            "storage"] == addon.storage["alertmanager"]


def test_volume_sizes_come_from_the_blueprint_per_environment(renders):
    rendered = renders["eks-platform"]
    staging, prod = rendered.blueprint.environments
    assert staging.addon("kube-prometheus-stack").storage == {"prometheus": "50Gi",
                                                              "alertmanager": "2Gi"}
    assert prod.addon("kube-prometheus-stack").storage["prometheus"] == "200Gi"
    assert prod.addon("kube-prometheus-stack").retention_size == "170GB"
    # 30 days of retention in prod, capped by the volume
    assert rendered.values(prod, "kube-prometheus-stack")["prometheus"]["prometheusSpec"][
        "retention"] == "30d"


@pytest.mark.parametrize(("size", "retained"), [("50Gi", "42GB"), ("2Gi", "1740MB"),
                                                ("1Gi", "870MB"), ("500Mi", "425MB")])
def test_retention_size_is_85_percent_of_the_volume_in_prometheus_units(size, retained):
    data = yaml.safe_load((BLUEPRINTS / "eks-platform.yaml").read_text())
    data["addons"]["kube-prometheus-stack"]["storage"]["prometheus"] = size
    blueprint = parse_blueprint(yaml.safe_dump(data, sort_keys=False), file="bp.yaml")
    staging = blueprint.environment("staging").addon("kube-prometheus-stack")
    assert staging.storage["prometheus"] == size
    assert staging.retention_size == retained


def test_a_volume_size_must_be_a_quantity():
    data = yaml.safe_load((BLUEPRINTS / "eks-platform.yaml").read_text())
    data["addons"]["kube-prometheus-stack"]["storage"]["prometheus"] = "50GB"
    message = blueprint_error(yaml.safe_dump(data, sort_keys=False))
    assert "a volume size in Mi, Gi or Ti, e.g. 50Gi" in message


# --------------------------------------------------------------------------- 4. bootstrap


MONITORING_SWITCH = {
    "aws-ebs-csi-driver": ("controller", "enableMetrics"),
    "aws-load-balancer-controller": ("serviceMonitor", "enabled"),
    "cert-manager": ("prometheus", "servicemonitor", "enabled"),
    "external-dns": ("serviceMonitor", "enabled"),
    "external-secrets": ("serviceMonitor", "enabled"),
    "karpenter": ("serviceMonitor", "enabled"),
    "metrics-server": ("serviceMonitor", "enabled"),
}
"""Where each add-on's chart turns its ServiceMonitor on."""


def dig(values: dict, path: tuple[str, ...]) -> Any:
    for key in path:
        values = (values or {}).get(key)
    return values


def test_prometheus_operator_crds_come_before_every_service_monitor(rendered):
    for env in rendered.blueprint.environments:
        apps = rendered.applications(env)
        monitored = env.addon("kube-prometheus-stack") is not None
        assert ("prometheus-operator-crds" in apps) == monitored
        for addon in env.addons():
            if addon.name not in MONITORING_SWITCH:
                continue
            switched_on = dig(rendered.values(env, addon.name), MONITORING_SWITCH[addon.name])
            assert bool(switched_on) == monitored, (env.name, addon.name)
            if monitored:
                assert wave(apps["prometheus-operator-crds"]) < wave(apps[addon.name])


def test_crd_only_releases_keep_their_crds(rendered):
    for env in rendered.blueprint.environments:
        apps = rendered.applications(env)
        for addon in env.addons():
            if addon.crd_chart is None:
                continue
            app = apps[addon.crd_release]
            assert "finalizers" not in app["metadata"], addon.crd_release
            assert app["metadata"]["annotations"]["argocd.argoproj.io/sync-options"] == \
                "Prune=false"
            assert "Prune=false" in app["spec"]["syncPolicy"]["syncOptions"]
            assert wave(app) < wave(apps[addon.name])
            main = apps[addon.name]["spec"]["sources"][0]["helm"]
            assert main["skipCrds"] is True
            values = app["spec"]["sources"][0]["helm"].get("valuesObject", {})
            if addon.name == "karpenter":
                assert values == {"additionalAnnotations": KEEP}
            if addon.name == "kube-prometheus-stack":
                assert app["spec"]["sources"][0]["chart"] == "kube-prometheus-stack"
                assert values["prometheusOperator"] == {"enabled": False}
                assert "ServerSideApply=true" in app["spec"]["syncPolicy"]["syncOptions"]


def test_templated_crds_carry_the_keep_policy(rendered):
    on = {addon.name for env in rendered.blueprint.environments for addon in env.addons()}
    never_pruned = {"argocd.argoproj.io/sync-options": "Prune=false"}  # keep is for helm only
    if "external-secrets" in on:
        assert rendered.common_values("external-secrets")["crds"]["annotations"] == {
            **KEEP, **never_pruned}
    if "cert-manager" in on:
        assert rendered.common_values("cert-manager")["crds"] == {"enabled": True, "keep": True}
    argo_crds = rendered.common_values("argo-cd")["crds"]
    assert argo_crds["keep"] is True
    assert argo_crds["annotations"]["argocd.argoproj.io/sync-options"] == (
        "ServerSideApply=true,Prune=false")


def test_argo_cd_manages_itself_early_and_never_uninstalls_itself(rendered):
    if not rendered.blueprint.argocd.self_managed:
        pytest.skip("Argo CD is not self-managed in this blueprint")
    for env in rendered.blueprint.environments:
        apps = rendered.applications(env)
        argocd = apps.pop("argo-cd")
        assert "finalizers" not in argocd["metadata"]
        # an upgrade still prunes what the new chart no longer has
        assert "Prune=false" not in argocd["spec"]["syncPolicy"]["syncOptions"]
        crd_only = {addon.crd_release for addon in env.addons() if addon.crd_chart}
        assert all(wave(argocd) < wave(app) for name, app in apps.items() if name not in crd_only)
        assert all(wave(argocd) > wave(apps[name]) for name in crd_only)
        assert all(app["metadata"]["finalizers"] == [FINALIZER]
                   for name, app in apps.items() if name not in crd_only)


def test_readme_lists_every_role_with_its_policy_file(rendered):
    readme = rendered.text("README.md")
    sections = dict(zip((env.name for env in rendered.blueprint.environments),
                        re.split(r"^### ", readme, flags=re.M)[1:], strict=True))
    for env in rendered.blueprint.environments:
        section = sections[env.name]
        for addon in env.addons():
            if addon.iam is None:
                continue
            policy_file = f"platform/{addon.name}/iam-policy-{env.name}.json"
            row = next(line for line in section.splitlines() if addon.iam.arn in line)
            assert f"`{addon.namespace}/{addon.info.service_account}`" in row
            assert policy_file in row
            assert ("IRSA" in row) == addon.iam.irsa
            policy = json.loads(rendered.text(policy_file))
            assert policy["Version"] == "2012-10-17" and policy["Statement"]
            arns = [r for s in policy["Statement"] for r in
                    ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])]
            assert all(arn == "*" or arn.startswith(f"arn:{env.cluster.partition}:")
                       for arn in arns), (addon.name, arns)
        for app in env.apps():
            if app.iam:
                assert app.iam.arn in section and f"`{app.namespace}/{app.name}`" in section
        if env.addon("karpenter"):
            assert f"KarpenterNodeRole-{env.cluster.name}" in section
            assert f"karpenter.sh/discovery: {env.cluster.name}" in section
            assert "EC2_LINUX" in section
        for app in env.apps():
            if app.ingress:
                assert f"`{app.ingress.host}`" in section
            for secret in app.secrets:
                assert f"`{secret.key}`" in section
        assert "two Availability Zones" in section


def test_karpenter_policy_is_scoped_to_the_cluster(renders):
    rendered = renders["eks-platform"]
    for env in rendered.blueprint.environments:
        policy = json.loads(rendered.text(f"platform/karpenter/iam-policy-{env.name}.json"))
        sids = {statement["Sid"]: statement for statement in policy["Statement"]}
        assert sids["AllowPassingInstanceRole"]["Resource"] == (
            f"arn:aws:iam::{env.cluster.account_id}:role/KarpenterNodeRole-{env.cluster.name}")
        assert sids["AllowAPIServerEndpointDiscovery"]["Resource"] == (
            f"arn:aws:eks:{env.cluster.region}:{env.cluster.account_id}:cluster/"
            f"{env.cluster.name}")
        assert "AllowInterruptionQueueActions" not in sids  # no queue in the blueprint
        assert sids["AllowScopedDeletion"]["Condition"]["StringEquals"] == {
            f"aws:ResourceTag/kubernetes.io/cluster/{env.cluster.name}": "owned"}


def test_external_secrets_reads_platform_keys_and_assumes_the_apps_roles(rendered):
    """The controller reads the platform's own keys (Grafana's admin, the alert webhook, Argo
    CD's secrets) and no app's: each app's SecretStore assumes the app's role, which the
    controller may assume."""
    checked = 0
    for env in rendered.blueprint.environments:
        addon = env.addon("external-secrets")
        if addon is None:
            continue
        checked += 1
        policy = json.loads(rendered.text(f"platform/external-secrets/iam-policy-{env.name}.json"))
        sids = {statement["Sid"]: statement for statement in policy["Statement"]}
        read = sids["ReadThePlatformsSecrets"]
        assert set(read["Action"]) == {
            "secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret",
            "secretsmanager:ListSecretVersionIds", "secretsmanager:GetResourcePolicy"}
        keys = {rendered.blueprint.alerting.key} if rendered.blueprint.alerting else set()
        if env.addon("kube-prometheus-stack"):
            keys.add(f"{env.name}/kube-prometheus-stack/grafana-admin")
        keys.update(secret.key for secret in env.argocd.secrets)
        prefix = (f"arn:aws:secretsmanager:{addon.secret_store.region}:"
                  f"{env.cluster.account_id}:secret:")
        assert read["Resource"] == sorted(f"{prefix}{key}-??????" for key in keys)
        app_keys = {secret.key for app in env.apps() for secret in app.secrets} - keys
        assert app_keys and not any(key in resource for key in app_keys
                                    for resource in read["Resource"])
        assume = sids["AssumeTheAppsSecretsRoles"]
        assert assume["Action"] == "sts:AssumeRole"
        assert assume["Resource"] == (f"arn:aws:iam::{env.cluster.account_id}:role/"
                                      f"{addon.secret_store.app_role_prefix}*")
        assert all(fnmatch.fnmatchcase(app.secret_role_arn, assume["Resource"])
                   for app in env.apps() if app.secrets)
        assert set(sids) == {"ReadThePlatformsSecrets", "AssumeTheAppsSecretsRoles"}
    assert checked
