"""Add-ons: what gitops-gen knows of each (the catalog), and one add-on as installed in one
environment, its settings merged over the levels (see `model.py`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping

from gitops_gen.blueprint.cluster import Cluster, IamRole, iam_role, merge_iam
from gitops_gen.blueprint.layers import Layer, Path, deep_merge, parse_quantity, quantity_text

DEFAULT_SECRET_STORE = "aws-secrets-manager"
DEFAULT_CLUSTER_ISSUER = "letsencrypt"
DEFAULT_ACME_SERVER = "https://acme-v02.api.letsencrypt.org/directory"
DEFAULT_STORAGE = {"prometheus": "50Gi", "alertmanager": "2Gi"}
"""Volume sizes of kube-prometheus-stack's Prometheus and Alertmanager (`storage`)."""
DEFAULT_AMI_ALIAS = "al2023@latest"
"""Karpenter's EC2NodeClass AMI when the blueprint pins none (refused in production)."""


@dataclass(frozen=True, slots=True)
class AddOnInfo:
    """What gitops-gen knows about an add-on: where its chart comes from, and what it needs."""

    name: str
    chart: str
    repo_url: str
    namespace: str
    pinned_version: str
    """The chart version gitops-gen's starter blueprints pin (and its tests render)."""
    app_version: str
    oci: bool = False
    """The chart is in an OCI registry: `repo_url` is the registry path without `oci://`, as
    an Argo CD Application's `repoURL` takes it."""
    needs_iam: bool = False
    """Calls AWS in every setup: an enabled add-on without `iam` is an error."""
    crd_chart: str | None = None
    """A chart with the CRDs, installed first at the same version by its own Application."""
    crd_release: str | None = None
    """The name of that Application and Helm release (default: `crd_chart`)."""
    crd_values: Mapping[str, Any] = field(default_factory=dict)
    """Helm values of the CRD release (e.g. everything but the CRDs switched off)."""
    service_account: str | None = None
    """The service account of the pods that call AWS (what the IAM role trusts), if any."""


KEEP = {"helm.sh/resource-policy": "keep"}
"""Helm's annotation that Argo CD also honours: the object outlives its Application."""
_KPS_CRDS_ONLY = {
    "defaultRules": {"create": False}, "kubernetesServiceMonitors": {"enabled": False},
    **{component: {"enabled": False} for component in (
        "alertmanager", "grafana", "kubeStateMetrics", "nodeExporter", "prometheusOperator",
        "prometheus", "kubeApiServer", "kubelet", "coreDns", "kubeDns", "kubeControllerManager",
        "kubeScheduler", "kubeEtcd", "kubeProxy")}}
"""kube-prometheus-stack values that leave nothing but the prometheus-operator CRDs."""

ADDON_CATALOG: dict[str, AddOnInfo] = {info.name: info for info in (
    AddOnInfo("argo-cd", "argo-cd", "https://argoproj.github.io/argo-helm", "argocd",
              "10.1.1", "v3.4.4"),
    AddOnInfo("aws-ebs-csi-driver", "aws-ebs-csi-driver",
              "https://kubernetes-sigs.github.io/aws-ebs-csi-driver", "kube-system", "2.64.0",
              "v1.64.0", needs_iam=True, service_account="ebs-csi-controller-sa"),
    AddOnInfo("aws-load-balancer-controller", "aws-load-balancer-controller",
              "https://aws.github.io/eks-charts", "kube-system", "3.5.0", "v3.5.0",
              needs_iam=True, service_account="aws-load-balancer-controller"),
    AddOnInfo("cert-manager", "cert-manager", "https://charts.jetstack.io", "cert-manager",
              "v1.21.1", "v1.21.1", service_account="cert-manager"),
    AddOnInfo("cilium", "cilium", "https://helm.cilium.io", "kube-system", "1.18.14", "1.18.14",
              service_account="cilium-operator"),
    AddOnInfo("external-dns", "external-dns", "https://kubernetes-sigs.github.io/external-dns/",
              "external-dns", "1.21.1", "0.21.0", needs_iam=True, service_account="external-dns"),
    AddOnInfo("external-secrets", "external-secrets", "https://charts.external-secrets.io",
              "external-secrets", "2.9.0", "v2.9.0", needs_iam=True,
              service_account="external-secrets"),
    AddOnInfo("karpenter", "karpenter", "public.ecr.aws/karpenter", "kube-system", "1.14.1",
              "1.14.1", oci=True, needs_iam=True, crd_chart="karpenter-crd",
              crd_values={"additionalAnnotations": KEEP}, service_account="karpenter"),
    AddOnInfo("kube-prometheus-stack", "kube-prometheus-stack",
              "https://prometheus-community.github.io/helm-charts", "monitoring", "88.5.3",
              "v0.93.1", crd_chart="kube-prometheus-stack", crd_release="prometheus-operator-crds",
              crd_values=_KPS_CRDS_ONLY),
    AddOnInfo("metrics-server", "metrics-server",
              "https://kubernetes-sigs.github.io/metrics-server/", "kube-system", "3.13.1",
              "0.8.1"),
)}
ADDON_NAMES = tuple(sorted(ADDON_CATALOG))
ARGO_CD = "argo-cd"


@dataclass(frozen=True, slots=True)
class ChartRef:
    repo_url: str
    chart: str
    version: str
    oci: bool = False


@dataclass(frozen=True, slots=True)
class SecretStore:
    """AWS Secrets Manager through external-secrets: the platform's ClusterSecretStore (`name`,
    limited to the namespaces that use it) and the prefix of the apps' own IAM roles."""

    name: str
    region: str
    app_role_prefix: str = ""


@dataclass(frozen=True, slots=True)
class ChartSecret:
    """One key of the Secret a chart reads (`secret_key`), which External Secrets fills from the
    AWS Secrets Manager secret `key` (its JSON `property` when given)."""

    secret_key: str
    key: str
    property: str | None = None


CHART_SECRETS = {"kube-prometheus-stack": "grafana-admin", ARGO_CD: "argocd-secret"}
"""The Secret each chart reads that the add-on's `secrets` fill."""


def default_chart_secrets(name: str, environment: str) -> dict[str, ChartSecret]:
    """The keys an add-on reads from AWS Secrets Manager when the blueprint maps none:
    Grafana's admin user and password from `<env>/kube-prometheus-stack/grafana-admin`."""
    if name != "kube-prometheus-stack":
        return {}
    key = f"{environment}/kube-prometheus-stack/grafana-admin"
    return {field: ChartSecret(field, key, field) for field in ("admin-user", "admin-password")}


@dataclass(frozen=True, slots=True)
class ClusterIssuer:
    name: str
    email: str
    server: str = DEFAULT_ACME_SERVER
    solver: str = "dns01"


@dataclass(frozen=True, slots=True)
class AddOn:
    """One add-on as installed in one environment."""

    name: str
    environment: str
    enabled: bool
    chart: ChartRef
    namespace: str
    values: dict[str, Any]
    """Helm values, merged over the levels; user data, verbatim. Treat as read-only."""
    iam: IamRole | None = None
    crd_chart: ChartRef | None = None
    secret_store: SecretStore | None = None
    cluster_issuer: ClusterIssuer | None = None
    storage: Mapping[str, str] = field(default_factory=dict)
    """Volume size of each stateful component ('prometheus', 'alertmanager'), where it has one."""
    ami_alias: str | None = None
    """Karpenter only: the EKS-optimized AMI alias of its EC2NodeClass, e.g. al2023@v20260714."""
    secrets: tuple[ChartSecret, ...] = ()
    """Keys of the Secret the chart reads (`CHART_SECRETS`) that External Secrets fills."""
    path: Path = ()
    """Where the add-on is declared in the blueprint (for error positions)."""
    origin: Mapping[str, Path] = field(default_factory=dict, compare=False, repr=False)
    """Where each resolved setting was last set ('version', 'iam.roleName', ...)."""

    @property
    def info(self) -> AddOnInfo:
        return ADDON_CATALOG[self.name]

    @property
    def retention_size(self) -> str | None:
        """Prometheus' `retentionSize`: 85% of its volume, so that it deletes old blocks before
        the volume fills (Prometheus' units are base 2: 1GB = 1GiB)."""
        if "prometheus" not in self.storage:
            return None
        mib = int(parse_quantity(self.storage["prometheus"]) * Decimal("0.85")) // 1024 ** 2
        return f"{mib // 1024}GB" if mib >= 2048 else f"{mib}MB"

    @property
    def crd_release(self) -> str | None:
        """The Application and Helm release of the CRD chart (None without one)."""
        if self.crd_chart is None:
            return None
        return self.info.crd_release or self.crd_chart.chart


def addon_layers(data: Mapping[str, Any], name: str, env_index: int) -> list[Layer]:
    """The levels of one add-on's settings in one environment, least specific first."""
    env = data["environments"][env_index]
    base_path: Path = ("argocd",) if name == ARGO_CD else ("addons", name)
    base = data["argocd"] if name == ARGO_CD else data["addons"][name]
    layers: list[Layer] = [(base, base_path)]
    per_env = (base.get("environments") or {}).get(env["name"])
    if per_env is not None:
        layers.append((per_env, base_path + ("environments", env["name"])))
    override = (env.get("addons") or {}).get(name)
    if override is not None:
        layers.append((override, ("environments", env_index, "addons", name)))
    return layers


def resolve_addon(data: Mapping[str, Any], name: str, env_index: int, cluster: Cluster) -> AddOn:
    info = ADDON_CATALOG[name]
    layers = addon_layers(data, name, env_index)
    base, base_path = layers[0]
    origin: dict[str, Path] = {}
    enabled = True
    version = base["version"]
    values: dict[str, Any] = {}
    iam: dict[str, Any] = {}
    ami_alias = DEFAULT_AMI_ALIAS if name == "karpenter" else None
    env_name = data["environments"][env_index]["name"]
    secrets = default_chart_secrets(name, env_name)
    for layer, path in layers:
        if "enabled" in layer:
            enabled = layer["enabled"]
            origin["enabled"] = path + ("enabled",)
        if "version" in layer:
            version = layer["version"]
            origin["version"] = path + ("version",)
        if layer.get("values"):
            values = deep_merge(values, layer["values"])
            origin["values"] = path + ("values",)
        if "amiAlias" in layer:
            ami_alias = layer["amiAlias"]
            origin["amiAlias"] = path + ("amiAlias",)
        if layer.get("iam"):
            merge_iam(iam, layer["iam"], path, origin)
        for secret_key, ref in (layer.get("secrets") or {}).items():
            secrets[secret_key] = ChartSecret(secret_key, ref["key"], ref.get("property"))
            origin[f"secrets.{secret_key}"] = path + ("secrets", secret_key)
    if name == ARGO_CD:
        enabled = True  # Argo CD runs the repository: it is in every environment
    namespace = base.get("namespace", info.namespace)
    role = iam_role(iam, cluster)
    storage = {}
    if name == "kube-prometheus-stack":
        storage = dict(DEFAULT_STORAGE)
        for layer, path in layers:
            for key, size in (layer.get("storage") or {}).items():
                storage[key] = quantity_text(size)
                origin[f"storage.{key}"] = path + ("storage", key)
    store = issuer = None
    if name == "external-secrets":
        store_data = base.get("clusterSecretStore") or {}
        store = SecretStore(name=store_data.get("name", DEFAULT_SECRET_STORE),
                            region=store_data.get("region", cluster.region),
                            app_role_prefix=base.get("appRolePrefix",
                                                     f"{data['metadata']['name']}-secrets-"))
    if name == "cert-manager" and base.get("clusterIssuer"):
        issuer_data = base["clusterIssuer"]
        issuer = ClusterIssuer(name=issuer_data.get("name", DEFAULT_CLUSTER_ISSUER),
                               email=issuer_data["email"],
                               server=issuer_data.get("server", DEFAULT_ACME_SERVER),
                               solver=issuer_data.get("solver", "dns01"))
    crd_chart = (ChartRef(info.repo_url, info.crd_chart, version, info.oci)
                 if info.crd_chart else None)
    return AddOn(name=name, environment=env_name, enabled=enabled,
                 chart=ChartRef(info.repo_url, info.chart, version, info.oci),
                 namespace=namespace, values=values, iam=role, crd_chart=crd_chart,
                 secret_store=store, cluster_issuer=issuer, storage=storage, ami_alias=ami_alias,
                 secrets=tuple(secrets.values()), path=base_path, origin=origin)

