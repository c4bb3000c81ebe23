"""Apps: one app as deployed in one environment, its settings merged over the levels (see
`model.py`), and its common settings as written."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from gitops_gen.blueprint.addons import SecretStore
from gitops_gen.blueprint.cluster import Cluster, Dns, IamRole, iam_role, merge_iam
from gitops_gen.blueprint.layers import Layer, Path, deep_merge, quantity_text

APP_KINDS = ("kustomize", "helm")
DEFAULT_REPLICAS = 2
DEFAULT_HPA_MIN = 2
DEFAULT_HPA_MAX = 5
DEFAULT_HPA_CPU = 70
DEFAULT_HEALTH_PATH = "/healthz"
DEFAULT_INGRESS_PATH = "/"
DEFAULT_REQUESTS = {"cpu": "100m", "memory": "128Mi"}
DEFAULT_MEMORY_LIMIT = "256Mi"
DEFAULT_DEREGISTRATION_DELAY = 30
SHUTDOWN_SECONDS = 30
"""Time a pod has to stop after its preStop pause (part of its termination grace period)."""
SERVICE_PRESTOP_SECONDS = 5
"""The preStop pause of a pod behind no ALB: kube-proxy and CoreDNS drop it from the Service."""


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


def resolve_app(data: Mapping[str, Any], app_index: int, env_index: int, domain: str, dns: Dns,
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
            merge_iam(iam, layer["iam"], path, origin)
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
        secret_region=store.region if store else None, egress=egress, iam=iam_role(iam, cluster),
        path=base_path, origin=origin)

