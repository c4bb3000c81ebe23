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

This module holds the blueprint, its environments and `build`; the parts live beside it:
`addons.py` (the catalog and the resolved add-ons), `apps.py` (the resolved apps), `cluster.py`
(the cluster, its Route 53 zones, IAM roles) and `layers.py` (levels, merging, quantities).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping

from gitops_gen.blueprint.addons import ADDON_CATALOG, ARGO_CD, AddOn, ChartRef, resolve_addon
from gitops_gen.blueprint.apps import DEFAULT_HEALTH_PATH, App, AppEnvironment, resolve_app
from gitops_gen.blueprint.cluster import Cluster, Dns
from gitops_gen.blueprint.layers import Path

if TYPE_CHECKING:
    from gitops_gen.blueprint.load import Problem

API_VERSION = "gitops-gen/v1alpha1"
KIND = "Blueprint"
DEFAULT_REVISION = "main"
PRODUCTION_NAMES = ("prod", "production")
"""Environments with these names are production unless they say `production: false`."""


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
class Alerting:
    """Where Alertmanager and Argo CD notifications send alerts: a webhook whose URL is the
    AWS Secrets Manager secret `key` (its JSON `property` when given)."""

    receiver: str
    type: str
    """'slack' or 'webhook'."""
    key: str
    property: str | None = None


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
    addons = {name: resolve_addon(data, name, index, cluster)
              for name in (ARGO_CD, *addons_data)}
    external_secrets = addons.get("external-secrets")
    store = (external_secrets.secret_store
             if external_secrets and external_secrets.enabled else None)
    dns_data = env.get("dns") or {}
    dns = Dns(public_zone_id=dns_data.get("publicZoneId"),
              private_domain=dns_data.get("privateDomain"),
              private_zone_id=dns_data.get("privateZoneId"))
    apps = [resolve_app(data, app_index, index, env["domain"], dns, cluster, store)
            for app_index in range(len(apps_data))]
    return Environment(name=env["name"], cluster=cluster, domain=env["domain"], dns=dns,
                       production=env.get("production", env["name"] in PRODUCTION_NAMES),
                       path=("environments", index),
                       all_apps=tuple(sorted(apps, key=lambda app: app.name)),
                       all_addons=tuple(addons[name] for name in sorted(addons)))

