"""The typed blueprint the renderer works from, built from data the schema has validated.

Everything here is resolved: defaults are filled in, and each environment's view of an app or an
add-on is its common settings merged with the environment's overrides, from the least to the
most specific level:

1. the app's (add-on's) own settings;
2. its `environments.<env>` entry;
3. the environment's `apps.<app>` (`addons.<add-on>`) entry.

Maps (`values`, `config`, `resources`) merge deeply; lists and scalars replace. `secrets` merge by
`name`. `replicas` and `hpa` exclude each other: the most specific level that sets one of them
decides. Values the user wrote are kept verbatim (a string holding `{{ .Values.x }}` is just a
string): nothing here evaluates them.

Building never fails on validated data; `load.py` checks what the schema cannot say (unknown
environments, HPA bounds, hosts outside the domain, ...) using the `origin` paths recorded on
each resolved object, and `Blueprint.locate` turns any path into a line and column.

Collections of apps and add-ons are sorted by name; environments keep the order they are written
in (their promotion order), which is as deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Mapping

from gitops_gen.blueprint.regions import partition_of

if TYPE_CHECKING:
    from gitops_gen.blueprint.load import Problem

Path = tuple[str | int, ...]

API_VERSION = "gitops-gen/v1alpha1"
KIND = "Blueprint"
APP_KINDS = ("kustomize", "helm")
IAM_MODES = ("pod-identity", "irsa")

DEFAULT_REVISION = "main"
DEFAULT_REPLICAS = 2
DEFAULT_HPA_MIN = 2
DEFAULT_HPA_MAX = 5
DEFAULT_HPA_CPU = 70
DEFAULT_HEALTH_PATH = "/healthz"
DEFAULT_INGRESS_PATH = "/"
DEFAULT_REQUESTS = {"cpu": "100m", "memory": "128Mi"}
DEFAULT_MEMORY_LIMIT = "256Mi"
DEFAULT_SECRET_STORE = "aws-secrets-manager"
DEFAULT_CLUSTER_ISSUER = "letsencrypt"
DEFAULT_ACME_SERVER = "https://acme-v02.api.letsencrypt.org/directory"
DEFAULT_DEREGISTRATION_DELAY = 30
SHUTDOWN_SECONDS = 30
"""Time a pod has to stop after its preStop pause (part of its termination grace period)."""
SERVICE_PRESTOP_SECONDS = 5
"""The preStop pause of a pod behind no ALB: kube-proxy and CoreDNS drop it from the Service."""
IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
DEFAULT_STORAGE = {"prometheus": "50Gi", "alertmanager": "2Gi"}
"""Volume sizes of kube-prometheus-stack's Prometheus and Alertmanager (`storage`)."""
PRODUCTION_NAMES = ("prod", "production")
"""Environments with these names are production unless they say `production: false`."""
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


# -- the resolved objects


@dataclass(frozen=True, slots=True)
class ChartRef:
    repo_url: str
    chart: str
    version: str
    oci: bool = False


@dataclass(frozen=True, slots=True)
class Repo:
    url: str
    revision: str = DEFAULT_REVISION
    path: str = ""
    """Folder of the rendered tree inside the repository; "" is the root."""

    def source_path(self, *parts: str) -> str:
        """A path inside the repository as an Argo CD `source.path` ("" parts are skipped)."""
        return "/".join(p for p in (self.path, *parts) if p) or "."


@dataclass(frozen=True, slots=True)
class Cluster:
    name: str
    account_id: str
    region: str
    kubernetes_version: str
    api_server: str | None = None
    in_cluster: bool = True

    @property
    def server(self) -> str:
        """The Argo CD destination server of the environment's Applications."""
        return self.api_server if self.api_server else IN_CLUSTER_SERVER

    @property
    def partition(self) -> str:
        return partition_of(self.region)


@dataclass(frozen=True, slots=True)
class IamRole:
    mode: str
    """'pod-identity' or 'irsa'."""
    arn: str

    @property
    def irsa(self) -> bool:
        return self.mode == "irsa"

    @property
    def service_account_annotations(self) -> dict[str, str]:
        """What IRSA puts on the service account; nothing for EKS Pod Identity."""
        return {"eks.amazonaws.com/role-arn": self.arn} if self.irsa else {}


@dataclass(frozen=True, slots=True)
class SecretStore:
    """AWS Secrets Manager through external-secrets: the platform's ClusterSecretStore (`name`,
    limited to the namespaces that use it) and the prefix of the apps' own IAM roles."""

    name: str
    region: str
    app_role_prefix: str = ""


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


@dataclass(frozen=True, slots=True)
class Image:
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def reference(self) -> str:
        """`repository:tag`, `repository@digest` or `repository:tag@digest`."""
        text = self.repository
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


@dataclass(frozen=True, slots=True)
class Hpa:
    min_replicas: int = DEFAULT_HPA_MIN
    max_replicas: int = DEFAULT_HPA_MAX
    target_cpu_utilization_percentage: int = DEFAULT_HPA_CPU


@dataclass(frozen=True, slots=True)
class Resources:
    requests: Mapping[str, str]
    limits: Mapping[str, str]

    def as_dict(self) -> dict[str, dict[str, str]]:
        """The container's `resources` as Kubernetes writes it (keys sorted)."""
        out = {"requests": dict(sorted(self.requests.items()))}
        if self.limits:
            out["limits"] = dict(sorted(self.limits.items()))
        return out


@dataclass(frozen=True, slots=True)
class Ingress:
    host: str | None
    """Full host name; None only in a blueprint that failed validation."""
    path: str = DEFAULT_INGRESS_PATH
    public: bool = False
    deregistration_delay: int = DEFAULT_DEREGISTRATION_DELAY
    """Seconds the ALB's target group drains a pod being removed."""
    certificate_arn: str | None = None
    """The ACM certificate of the host; None: the ALB controller discovers it by host."""

    @property
    def visibility(self) -> str:
        return "public" if self.public else "internal"

    @property
    def scheme(self) -> str:
        """The ALB's scheme annotation."""
        return "internet-facing" if self.public else "internal"

    def group(self, environment: str) -> str:
        """The ALB group every Ingress of this visibility in the environment shares."""
        return f"{environment}-{self.visibility}"


@dataclass(frozen=True, slots=True)
class Dns:
    """The environment's Route 53 hosted zones (all None when the blueprint names none)."""

    public_zone_id: str | None = None
    private_domain: str | None = None
    private_zone_id: str | None = None

    @property
    def zone_ids(self) -> tuple[str, ...]:
        return tuple(z for z in (self.public_zone_id, self.private_zone_id) if z)


@dataclass(frozen=True, slots=True)
class Alerting:
    """Where Alertmanager and Argo CD notifications send alerts: a webhook whose URL is the
    AWS Secrets Manager secret `key` (its JSON `property` when given)."""

    receiver: str
    type: str
    """'slack' or 'webhook'."""
    key: str
    property: str | None = None


@dataclass(frozen=True, slots=True)
class SecretRef:
    """`name` (the variable) gets `property` of the AWS Secrets Manager secret `key`."""

    name: str
    key: str
    property: str | None = None
    path: Path = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Egress:
    """Where an app's pods may connect besides DNS and HTTPS: `cidrs` (a NetworkPolicy) or
    `hosts` (DNS names: a CiliumNetworkPolicy, so only where Cilium runs), on `ports`."""

    ports: tuple[int, ...]
    protocol: str = "TCP"
    cidrs: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    path: Path = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class AppEnvironment:
    """One app as deployed in one environment: common settings merged with the overrides."""

    name: str
    environment: str
    kind: str
    """'kustomize' or 'helm'."""
    namespace: str
    enabled: bool
    image: Image
    port: int
    health_path: str
    replicas: int | None
    """Fixed replicas; None when `hpa` is set."""
    hpa: Hpa | None
    resources: Resources
    ingress: Ingress | None
    config: dict[str, str]
    """Environment variables of the app (a ConfigMap); verbatim. Treat as read-only."""
    secrets: tuple[SecretRef, ...]
    secret_store: str | None
    """The app's own SecretStore, in its namespace, the secrets are read through (None when
    external-secrets is not enabled in the environment)."""
    secret_role_arn: str | None = None
    """The IAM role that SecretStore assumes: it may read the app's keys only."""
    secret_region: str | None = None
    egress: tuple[Egress, ...] = ()
    iam: IamRole | None = None
    """The app's own AWS role (its service account's), if any."""
    path: Path = ()
    """Where the app is declared in the blueprint (`("apps", 3)`)."""
    origin: Mapping[str, Path] = field(default_factory=dict, compare=False, repr=False)
    """Where each resolved setting was last set ('image.tag', 'hpa.minReplicas', ...)."""

    @property
    def prestop_seconds(self) -> int:
        """The preStop pause: as long as the ALB drains the pod, so that it serves every
        request routed to it until the target is gone."""
        return self.ingress.deregistration_delay if self.ingress else SERVICE_PRESTOP_SECONDS

    @property
    def termination_grace_seconds(self) -> int:
        """Longer than the preStop pause (and the ALB's deregistration delay) by the time the
        app has to stop."""
        return self.prestop_seconds + SHUTDOWN_SECONDS


@dataclass(frozen=True, slots=True)
class App:
    """An app's common settings as written (the resolved ones are per environment)."""

    name: str
    kind: str
    namespace: str
    port: int
    health_path: str
    path: Path = ()


@dataclass(frozen=True, slots=True)
class Environment:
    name: str
    cluster: Cluster
    domain: str
    production: bool = False
    """Marked production (`production`, default: named prod or production): stricter checks."""
    dns: Dns = Dns()
    path: Path = ()
    all_apps: tuple[AppEnvironment, ...] = ()
    """Every app, including those disabled here, sorted by name."""
    all_addons: tuple[AddOn, ...] = ()
    """Every declared add-on (and argo-cd), including those disabled here, sorted by name."""

    def apps(self) -> tuple[AppEnvironment, ...]:
        """The apps deployed in this environment, sorted by name."""
        return tuple(app for app in self.all_apps if app.enabled)

    def addons(self) -> tuple[AddOn, ...]:
        """The add-ons installed in this environment (argo-cd included), sorted by name."""
        return tuple(addon for addon in self.all_addons if addon.enabled)

    def app(self, name: str) -> AppEnvironment:
        for app in self.all_apps:
            if app.name == name:
                return app
        raise KeyError(name)

    def addon(self, name: str) -> AddOn | None:
        """The add-on if it is installed in this environment."""
        for addon in self.all_addons:
            if addon.name == name:
                return addon if addon.enabled else None
        return None

    @property
    def argocd(self) -> AddOn:
        """Argo CD's chart in this environment (always installed)."""
        for addon in self.all_addons:
            if addon.name == ARGO_CD:
                return addon
        raise KeyError(ARGO_CD)


@dataclass(frozen=True, slots=True)
class ArgoCD:
    chart: ChartRef
    namespace: str = "argocd"
    self_managed: bool = True
    """An Application in each environment manages the argo-cd chart after the first install."""


@dataclass(frozen=True, slots=True, eq=False)
class Blueprint:
    name: str
    repo: Repo
    argocd: ArgoCD
    environments: tuple[Environment, ...]
    """In the order written (promotion order)."""
    apps: tuple[App, ...] = ()
    """Common settings of every app, sorted by name."""
    addon_names: tuple[str, ...] = ()
    """Add-ons declared under `addons` (enabled somewhere or not), sorted; argo-cd not included."""
    description: str = ""
    alerting: Alerting | None = None
    file: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict, repr=False)
    """The validated data as read, for error positions and for tools that need the raw form."""
    locator: Callable[[Path, bool], tuple[int, int]] | None = field(default=None, repr=False)
    warnings: tuple[Problem, ...] = ()
    """What the blueprint may get wrong but does not stop the render (in file order)."""

    def environment(self, name: str) -> Environment:
        for environment in self.environments:
            if environment.name == name:
                return environment
        raise KeyError(name)

    @property
    def environment_names(self) -> tuple[str, ...]:
        return tuple(environment.name for environment in self.environments)

    def locate(self, path: Path, key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of `path` in the blueprint file (or its deepest parent)."""
        return self.locator(path, key) if self.locator else (1, 1)


# -- building


def quantity_text(value: Any) -> str:
    """A CPU or memory quantity as a string: 1 -> '1', 0.5 -> '0.5', '250m' unchanged."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_SUFFIXES = {"m": Decimal("0.001"), "k": Decimal(1000), "M": Decimal(1000) ** 2,
             "G": Decimal(1000) ** 3, "T": Decimal(1000) ** 4, "Ki": Decimal(1024),
             "Mi": Decimal(1024) ** 2, "Gi": Decimal(1024) ** 3, "Ti": Decimal(1024) ** 4}


def parse_quantity(text: str) -> Decimal:
    """'250m' -> 0.25, '1Gi' -> 1073741824 (the forms the schema allows); ValueError otherwise."""
    for suffix in ("Ki", "Mi", "Gi", "Ti", "m", "k", "M", "G", "T"):
        if text.endswith(suffix):
            return Decimal(text[: -len(suffix)]) * _SUFFIXES[suffix]
    try:
        return Decimal(text)
    except ArithmeticError:
        raise ValueError(f"not a quantity: {text!r}") from None


def deep_merge(base: Any, override: Any) -> Any:
    """`override` over `base`: maps merge key by key, anything else replaces. New containers are
    returned; neither input is changed."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = {key: _copy(value) for key, value in base.items()}
        for key, value in override.items():
            merged[key] = deep_merge(merged[key], value) if key in merged else _copy(value)
        return merged
    return _copy(override)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


Layer = tuple[Mapping[str, Any], Path]


def app_layers(data: Mapping[str, Any], app_index: int, env_index: int) -> list[Layer]:
    """The levels of one app's settings in one environment, least specific first."""
    app = data["apps"][app_index]
    env = data["environments"][env_index]
    layers: list[Layer] = [(app, ("apps", app_index))]
    per_env = (app.get("environments") or {}).get(env["name"])
    if per_env is not None:
        layers.append((per_env, ("apps", app_index, "environments", env["name"])))
    override = (env.get("apps") or {}).get(app["name"])
    if override is not None:
        layers.append((override, ("environments", env_index, "apps", app["name"])))
    return layers


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


def build(data: Mapping[str, Any], *, file: str | None = None,
          locator: Callable[[Path, bool], tuple[int, int]] | None = None) -> Blueprint:
    """The Blueprint of schema-valid `data` (see the module docstring for the merge rules)."""
    repo_data = data["repo"]
    repo = Repo(url=repo_data["url"], revision=repo_data.get("revision", DEFAULT_REVISION),
                path=repo_data.get("path", ""))
    argocd_data = data["argocd"]
    argocd_info = ADDON_CATALOG[ARGO_CD]
    argocd = ArgoCD(chart=ChartRef(argocd_info.repo_url, argocd_info.chart,
                                   argocd_data["version"]),
                    namespace=argocd_data.get("namespace", argocd_info.namespace),
                    self_managed=argocd_data.get("selfManaged", True))
    apps_data = data.get("apps") or []
    addons_data = data.get("addons") or {}
    environments = tuple(_environment(data, index, apps_data, addons_data)
                         for index in range(len(data["environments"])))
    apps = tuple(sorted((App(name=app["name"], kind=app["kind"],
                             namespace=app.get("namespace", app["name"]), port=app["port"],
                             health_path=app.get("healthPath", DEFAULT_HEALTH_PATH),
                             path=("apps", index))
                         for index, app in enumerate(apps_data)), key=lambda app: app.name))
    alerting_data = data.get("alerting")
    alerting = (Alerting(receiver=alerting_data["receiver"],
                         type=alerting_data.get("type", "slack"),
                         key=alerting_data["webhookUrl"]["key"],
                         property=alerting_data["webhookUrl"].get("property"))
                if alerting_data else None)
    return Blueprint(name=data["metadata"]["name"], repo=repo, argocd=argocd,
                     environments=environments, apps=apps, addon_names=tuple(sorted(addons_data)),
                     description=data["metadata"].get("description", ""), alerting=alerting,
                     file=file, data=data, locator=locator)


def _environment(data: Mapping[str, Any], index: int, apps_data: list,
                 addons_data: Mapping[str, Any]) -> Environment:
    env = data["environments"][index]
    cluster_data = env["cluster"]
    cluster = Cluster(name=cluster_data["name"], account_id=cluster_data["accountId"],
                      region=cluster_data["region"],
                      kubernetes_version=cluster_data["kubernetesVersion"],
                      api_server=cluster_data.get("apiServer"),
                      in_cluster=cluster_data.get("inCluster", "apiServer" not in cluster_data))
    addons = {name: _addon(data, name, index, cluster)
              for name in (ARGO_CD, *addons_data)}
    external_secrets = addons.get("external-secrets")
    store = (external_secrets.secret_store
             if external_secrets and external_secrets.enabled else None)
    dns_data = env.get("dns") or {}
    dns = Dns(public_zone_id=dns_data.get("publicZoneId"),
              private_domain=dns_data.get("privateDomain"),
              private_zone_id=dns_data.get("privateZoneId"))
    apps = [_app(data, app_index, index, env["domain"], dns, cluster, store)
            for app_index in range(len(apps_data))]
    return Environment(name=env["name"], cluster=cluster, domain=env["domain"], dns=dns,
                       production=env.get("production", env["name"] in PRODUCTION_NAMES),
                       path=("environments", index),
                       all_apps=tuple(sorted(apps, key=lambda app: app.name)),
                       all_addons=tuple(addons[name] for name in sorted(addons)))


def _addon(data: Mapping[str, Any], name: str, env_index: int, cluster: Cluster) -> AddOn:
    info = ADDON_CATALOG[name]
    layers = addon_layers(data, name, env_index)
    base, base_path = layers[0]
    origin: dict[str, Path] = {}
    enabled = True
    version = base["version"]
    values: dict[str, Any] = {}
    iam: dict[str, Any] = {}
    ami_alias = DEFAULT_AMI_ALIAS if name == "karpenter" else None
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
            _merge_iam(iam, layer["iam"], path, origin)
    if name == ARGO_CD:
        enabled = True  # Argo CD runs the repository: it is in every environment
    namespace = base.get("namespace", info.namespace)
    role = _role(iam, cluster)
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
    return AddOn(name=name, environment=data["environments"][env_index]["name"], enabled=enabled,
                 chart=ChartRef(info.repo_url, info.chart, version, info.oci),
                 namespace=namespace, values=values, iam=role, crd_chart=crd_chart,
                 secret_store=store, cluster_issuer=issuer, storage=storage, ami_alias=ami_alias,
                 path=base_path, origin=origin)


def _role(iam: Mapping[str, Any], cluster: Cluster) -> IamRole | None:
    """The resolved `iam` settings as a role (None until mode and a role are both set)."""
    if not (iam.get("mode") and (iam.get("roleArn") or iam.get("roleName"))):
        return None
    arn = iam.get("roleArn") or (f"arn:{cluster.partition}:iam::{cluster.account_id}:role/"
                                 f"{iam['roleName']}")
    return IamRole(mode=iam["mode"], arn=arn)


def _merge_iam(iam: dict[str, Any], layer_iam: Mapping[str, Any], path: Path,
               origin: dict[str, Path]) -> None:
    """`layer_iam` over `iam`: a role name or ARN replaces both."""
    if "roleName" in layer_iam or "roleArn" in layer_iam:
        iam.pop("roleName", None)
        iam.pop("roleArn", None)
    for key, value in layer_iam.items():
        iam[key] = value
        origin[f"iam.{key}"] = path + ("iam", key)
    origin["iam"] = path + ("iam",)


def _app(data: Mapping[str, Any], app_index: int, env_index: int, domain: str, dns: Dns,
         cluster: Cluster, store: SecretStore | None) -> AppEnvironment:
    layers = app_layers(data, app_index, env_index)
    base, base_path = layers[0]
    origin: dict[str, Path] = {}
    enabled = True
    image: dict[str, str] = {}
    replicas: int | None = DEFAULT_REPLICAS
    hpa: dict[str, int] | None = None
    requests: dict[str, Any] = {}
    limits: dict[str, Any] = {}
    ingress: dict[str, Any] | None = None
    config: dict[str, str] = {}
    secrets: dict[str, SecretRef] = {}
    egress: tuple[Egress, ...] = ()
    iam: dict[str, Any] = {}
    for layer, path in layers:
        if "enabled" in layer:
            enabled = layer["enabled"]
            origin["enabled"] = path + ("enabled",)
        if "egress" in layer:
            egress = tuple(Egress(ports=tuple(rule["ports"]),
                                  protocol=rule.get("protocol", "TCP"),
                                  cidrs=tuple(rule.get("cidrs") or ()),
                                  hosts=tuple(rule.get("hosts") or ()),
                                  path=path + ("egress", index))
                           for index, rule in enumerate(layer["egress"] or ()))
            origin["egress"] = path + ("egress",)
        if layer.get("iam"):
            _merge_iam(iam, layer["iam"], path, origin)
        for key, value in (layer.get("image") or {}).items():
            image[key] = value
            origin[f"image.{key}"] = path + ("image", key)
        if "replicas" in layer:
            replicas, hpa = layer["replicas"], None
            origin["replicas"] = path + ("replicas",)
        if "hpa" in layer:
            replicas, hpa = None, {**(hpa or {}), **(layer["hpa"] or {})}
            origin["hpa"] = path + ("hpa",)
            for key in layer["hpa"] or {}:
                origin[f"hpa.{key}"] = path + ("hpa", key)
        for part, target in (("requests", requests), ("limits", limits)):
            for key, value in ((layer.get("resources") or {}).get(part) or {}).items():
                target[key] = quantity_text(value)
                origin[f"resources.{part}.{key}"] = path + ("resources", part, key)
        if "ingress" in layer:
            ingress = dict(ingress or {})
            for key, value in (layer["ingress"] or {}).items():
                if key in ("host", "subdomain"):
                    ingress.pop("host", None)
                    ingress.pop("subdomain", None)
                ingress[key] = value
                origin[f"ingress.{key}"] = path + ("ingress", key)
            origin["ingress"] = path + ("ingress",)
        if layer.get("config"):
            config = deep_merge(config, layer["config"])
            origin["config"] = path + ("config",)
        for index, secret in enumerate(layer.get("secrets") or ()):
            secrets[secret["name"]] = SecretRef(name=secret["name"], key=secret["key"],
                                                property=secret.get("property"),
                                                path=path + ("secrets", index))
    if "memory" not in limits:
        limits["memory"] = requests.get("memory", DEFAULT_MEMORY_LIMIT)
    requests = {**DEFAULT_REQUESTS, **requests}
    resolved_ingress = None
    if ingress is not None:
        public = ingress.get("public", False)
        host = ingress.get("host")
        if host is None and ingress.get("subdomain"):
            under = domain if public or not dns.private_domain else dns.private_domain
            host = f"{ingress['subdomain']}.{under}"
        resolved_ingress = Ingress(host=host, path=ingress.get("path", DEFAULT_INGRESS_PATH),
                                   public=public,
                                   deregistration_delay=ingress.get(
                                       "deregistrationDelay", DEFAULT_DEREGISTRATION_DELAY),
                                   certificate_arn=ingress.get("certificateArn"))
    resolved_hpa = None
    if hpa is not None:
        resolved_hpa = Hpa(min_replicas=hpa.get("minReplicas", DEFAULT_HPA_MIN),
                           max_replicas=hpa.get("maxReplicas", DEFAULT_HPA_MAX),
                           target_cpu_utilization_percentage=hpa.get(
                               "targetCPUUtilizationPercentage", DEFAULT_HPA_CPU))
    return AppEnvironment(
        name=base["name"], environment=data["environments"][env_index]["name"],
        kind=base["kind"], namespace=base.get("namespace", base["name"]), enabled=enabled,
        image=Image(repository=image["repository"], tag=image.get("tag"),
                    digest=image.get("digest")),
        port=base["port"], health_path=base.get("healthPath", DEFAULT_HEALTH_PATH),
        replicas=replicas, hpa=resolved_hpa,
        resources=Resources(requests=requests, limits=limits), ingress=resolved_ingress,
        config=config, secrets=tuple(secrets.values()),
        secret_store=f"{base['name']}-secrets-manager" if store else None,
        secret_role_arn=(f"arn:{cluster.partition}:iam::{cluster.account_id}:role/"
                         f"{store.app_role_prefix}{base['name']}" if store else None),
        secret_region=store.region if store else None, egress=egress, iam=_role(iam, cluster),
        path=base_path, origin=origin)
