"""What the blueprint's schema cannot say: semantic checks on schema-valid data and on the
Blueprint built from it (unique names, references, clusters, apps per environment, DNS, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from gitops_gen.blueprint import model
from gitops_gen.blueprint.addons import ADDON_CATALOG, ARGO_CD
from gitops_gen.blueprint.apps import DEFAULT_HPA_MAX, AppEnvironment
from gitops_gen.blueprint.layers import Path, parse_quantity
from gitops_gen.blueprint.model import Blueprint
from gitops_gen.blueprint.plaintext import plaintext_secrets, unstored_secrets
from gitops_gen.blueprint.schema_words import did_you_mean, inside
from gitops_gen.lint.model import format_path

if TYPE_CHECKING:
    from gitops_gen.blueprint.load import Report


class Checker:
    """Semantic checks on schema-valid data and the Blueprint built from it."""

    def __init__(self, data: Mapping[str, Any], blueprint: Blueprint, report: Report) -> None:
        self.data = data
        self.blueprint = blueprint
        self.report = report
        self.env_names = [env["name"] for env in data["environments"]]
        self.apps = data.get("apps") or []
        self.app_names = [app["name"] for app in self.apps]
        self.addons = data.get("addons") or {}
        # (check, path, key) -> [message, hint, environments]: one problem per cause, naming
        # every environment it shows up in
        self.per_env: dict[tuple, list] = {}

    def run(self) -> None:
        self.unique(self.env_names, lambda i: ("environments", i, "name"), "environment")
        self.unique(self.app_names, lambda i: ("apps", i, "name"), "app")
        self.references()
        self.clusters()
        for index, app in enumerate(self.apps):
            self.app_levels(app, ("apps", index))
            for env_name, override in (app.get("environments") or {}).items():
                self.app_levels(override, ("apps", index, "environments", env_name))
        for index, env in enumerate(self.data["environments"]):
            for app_name, override in (env.get("apps") or {}).items():
                self.app_levels(override, ("environments", index, "apps", app_name))
        self.iam_levels()
        self.dns()
        for path, message, hint in plaintext_secrets(self.data):
            self.add(path, message, hint)
        for environment in self.blueprint.environments:
            self.resolved_apps(environment)
            self.resolved_addons(environment)
            self.alerting(environment)
            for check, path, message, hint in unstored_secrets(environment):
                self.add_env(check, path, environment.name, message, hint, key=True)
        for (_, path, key), (message, hint, envs) in self.per_env.items():
            where = "environment" if len(envs) == 1 else "environments"
            self.report.add(path, f"{message} in {where} {', '.join(envs)}", hint, key)

    def add(self, path: Path, message: str, hint: str | None = None, key: bool = False) -> None:
        self.report.add(path, message, hint, key)

    def add_env(self, check: str, path: Path, env: str, message: str, hint: str | None = None,
                key: bool = False) -> None:
        entry = self.per_env.setdefault((check, path, key), [message, hint, []])
        if env not in entry[2]:
            entry[2].append(env)

    # -- names and references

    def unique(self, names: list[str], path_of, what: str) -> None:
        first: dict[str, int] = {}
        for index, name in enumerate(names):
            if name in first:
                line = self.report.parsed.locate(self.report.document, path_of(first[name]))[0]
                self.add(path_of(index), f"duplicate {what} name {name!r}",
                         f"{what} names must be unique; {name!r} is first defined on line {line}")
            else:
                first[name] = index

    def unknown(self, path: Path, name: str, known: list[str], what: str) -> None:
        close = did_you_mean(name, known)
        listed = f"{what}s: {', '.join(known)}" if known else f"no {what}s are defined"
        self.add(path + (name,), f"unknown {what} {name!r} {inside(path)}",
                 f"{close} {listed}" if close else listed, key=True)

    def references(self) -> None:
        for index, app in enumerate(self.apps):
            for env_name in app.get("environments") or {}:
                if env_name not in self.env_names:
                    self.unknown(("apps", index, "environments"), env_name, self.env_names,
                                 "environment")
        for name, addon in self.addons.items():
            for env_name in addon.get("environments") or {}:
                if env_name not in self.env_names:
                    self.unknown(("addons", name, "environments"), env_name, self.env_names,
                                 "environment")
        for env_name in self.data["argocd"].get("environments") or {}:
            if env_name not in self.env_names:
                self.unknown(("argocd", "environments"), env_name, self.env_names, "environment")
        for index, env in enumerate(self.data["environments"]):
            for app_name in env.get("apps") or {}:
                if app_name not in self.app_names:
                    self.unknown(("environments", index, "apps"), app_name, self.app_names,
                                 "app")
            for addon_name in env.get("addons") or {}:
                if addon_name != ARGO_CD and addon_name not in self.addons:
                    self.add(("environments", index, "addons", addon_name),
                             f"add-on {addon_name!r} is not declared under addons",
                             "declare it under addons with its chart version, with "
                             "enabled: false to install it only where an environment enables "
                             "it, or remove this override", key=True)

    def clusters(self) -> None:
        from gitops_gen.versions import eks_versions

        offered = [row["version"] for row in eks_versions() if row.get("offered")]
        seen: dict[tuple, str] = {}
        for index, env in enumerate(self.data["environments"]):
            cluster = env["cluster"]
            path: Path = ("environments", index, "cluster")
            if cluster.get("apiServer") and cluster.get("inCluster") is True:
                self.add(path + ("inCluster",), "cluster has both apiServer and inCluster: true",
                         "inCluster: true deploys to the cluster Argo CD runs in; remove one")
            if not cluster.get("apiServer") and cluster.get("inCluster") is False:
                self.add(path + ("inCluster",), "cluster has inCluster: false but no apiServer",
                         "give apiServer, the cluster's endpoint, or leave inCluster out")
            version = cluster["kubernetesVersion"]
            if offered and version not in offered:
                self.add(path + ("kubernetesVersion",),
                         f"EKS does not offer Kubernetes {version}",
                         f"offered: {offered[0]} to {offered[-1]}")
            identity = (cluster["accountId"], cluster["region"], cluster["name"])
            if identity in seen:
                self.add(path + ("name",),
                         f"environments {seen[identity]!r} and {env['name']!r} use the same "
                         f"cluster {cluster['name']!r}",
                         "each environment has its own cluster: the apps' namespaces would "
                         "collide")
            else:
                seen[identity] = env["name"]

    # -- app settings as written at each level

    def app_levels(self, level: Mapping[str, Any], path: Path) -> None:
        if "replicas" in level and "hpa" in level:
            self.add(path + ("hpa",), f"replicas and hpa are both set {inside(path)}",
                     "use replicas for a fixed number of pods or hpa to autoscale, not both",
                     key=True)
        ingress = level.get("ingress") or {}
        if "host" in ingress and "subdomain" in ingress:
            self.add(path + ("ingress", "subdomain"),
                     f"ingress has both host and subdomain {inside(path)}",
                     "host is a full name; subdomain is put before the environment's domain",
                     key=True)
        names: dict[str, int] = {}
        for index, secret in enumerate(level.get("secrets") or ()):
            if secret["name"] in names:
                self.add(path + ("secrets", index, "name"),
                         f"duplicate secret name {secret['name']!r} {inside(path + ('secrets',))}",
                         "each variable gets one secret")
            names.setdefault(secret["name"], index)

    def iam_levels(self) -> None:
        levels: list[tuple[Any, Path]] = []
        for name, addon in self.addons.items():
            levels.append((addon, ("addons", name)))
            levels.extend((override, ("addons", name, "environments", env_name))
                          for env_name, override in (addon.get("environments") or {}).items())
        for index, env in enumerate(self.data["environments"]):
            levels.extend((override, ("environments", index, "addons", name))
                          for name, override in (env.get("addons") or {}).items())
        for index, app in enumerate(self.apps):
            levels.append((app, ("apps", index)))
            levels.extend((override, ("apps", index, "environments", env_name))
                          for env_name, override in (app.get("environments") or {}).items())
        for index, env in enumerate(self.data["environments"]):
            levels.extend((override, ("environments", index, "apps", name))
                          for name, override in (env.get("apps") or {}).items())
        for level, path in levels:
            iam = (level or {}).get("iam") or {}
            if "roleName" in iam and "roleArn" in iam:
                self.add(path + ("iam", "roleArn"),
                         f"iam has both roleName and roleArn {inside(path)}",
                         "roleName is a role in each environment's account; roleArn a full ARN: "
                         "give one", key=True)

    # -- resolved, per environment

    def resolved_apps(self, environment: model.Environment) -> None:
        env = environment.name
        routes: dict[tuple[str, str], str] = {}
        for app in sorted(environment.apps(), key=lambda app: app.path):  # in file order
            origin = app.origin
            if not app.image.tag and not app.image.digest:
                self.add_env("tag", app.path + ("image",), env,
                             f"app {app.name!r} has no image tag",
                             f"set image.tag under {format_path(app.path)}, or per environment "
                             f"under {format_path(app.path)}.environments.{env}.image.tag")
            if app.hpa and app.hpa.min_replicas > app.hpa.max_replicas:
                at = origin.get("hpa.minReplicas") or origin.get("hpa.maxReplicas") or \
                    origin["hpa"]
                default = "" if "hpa.maxReplicas" in origin else \
                    f"; maxReplicas defaults to {DEFAULT_HPA_MAX}"
                self.add_env("hpa", at, env,
                             f"hpa.minReplicas {app.hpa.min_replicas} is above maxReplicas "
                             f"{app.hpa.max_replicas} for app {app.name!r}",
                             f"minReplicas must be at most maxReplicas{default}")
            self.app_resources(app, env)
            if app.ingress is not None:
                self.app_ingress(app, environment, routes)
            self.app_network(app, environment)
            if app.secrets and app.secret_store is None:
                self.add_env("store", app.secrets[0].path, env,
                             f"app {app.name!r} reads secrets but the external-secrets add-on "
                             "is not installed",
                             "declare external-secrets under addons (enabled in every "
                             "environment whose apps read secrets)")

    def app_network(self, app: AppEnvironment, environment: model.Environment) -> None:
        env = environment.name
        if "iam" in app.origin and app.iam is None:
            missing = "iam.roleName or iam.roleArn" if "iam.mode" in app.origin else \
                "iam.mode to pod-identity or irsa"
            self.add_env("app iam", app.origin["iam"], env,
                         f"app {app.name!r} has an incomplete IAM role", f"set {missing}")
        if environment.addon("cilium"):
            return
        for rule in app.egress:
            if rule.hosts:
                self.add_env("egress hosts", rule.path + ("hosts",), env,
                             f"egress of app {app.name!r} names hosts, which only Cilium can "
                             "enforce, and the cilium add-on is not enabled",
                             "a Kubernetes NetworkPolicy matches IP ranges, not DNS names: give "
                             "cidrs (e.g. the database's subnets), or enable the cilium add-on "
                             "(CiliumNetworkPolicy toFQDNs)", key=True)

    def app_resources(self, app: AppEnvironment, env: str) -> None:
        for name in ("cpu", "memory"):
            request = app.resources.requests.get(name)
            limit = app.resources.limits.get(name)
            if request is None or limit is None:
                continue
            if parse_quantity(limit) < parse_quantity(request):
                at = app.origin.get(f"resources.limits.{name}") or \
                    app.origin.get(f"resources.requests.{name}") or app.path
                default = "" if f"resources.limits.{name}" in app.origin else \
                    ", the default limit,"
                self.add_env(f"resources.{name}", at, env,
                             f"{name} limit {limit}{default} is below the request {request} "
                             f"of app {app.name!r}",
                             f"set resources.limits.{name} to {request} or more")

    def app_ingress(self, app: AppEnvironment, environment: model.Environment,
                    routes: dict[tuple[str, str], str]) -> None:
        env, domain = environment.name, environment.domain
        private = environment.dns.private_domain
        if private and not app.ingress.public:
            domain = private  # internal hosts live in the private zone only
        host = app.ingress.host
        at = app.origin.get("ingress.host") or app.origin.get("ingress.subdomain") or \
            app.origin["ingress"]
        if host is None:
            self.add_env("host", app.origin["ingress"], env,
                         f"ingress of app {app.name!r} has no host",
                         f"give ingress.subdomain, e.g. {app.name}, or ingress.host")
            return
        if host != domain and not host.endswith("." + domain):
            self.add_env(f"domain {domain}", at, env,
                         f"ingress host {host!r} of app {app.name!r} is outside the domain "
                         f"{domain!r}",
                         f"use a host ending in .{domain}, set per environment, or "
                         f"ingress.subdomain"
                         + ("; an internal app's host lives under dns.privateDomain, so that "
                            "it never reaches the public zone" if domain == private else ""))
            return
        route = (host, app.ingress.path)
        if route in routes:
            self.add_env(f"route {host}", at, env,
                         f"app {app.name!r} serves {host}{app.ingress.path} like app "
                         f"{routes[route]!r}",
                         "give each app its own host or path")
        else:
            routes[route] = app.name

    def dns(self) -> None:
        for index, env in enumerate(self.data["environments"]):
            private = (env.get("dns") or {}).get("privateDomain")
            domain = env["domain"]
            if private and (private == domain or private.endswith("." + domain)):
                self.add(("environments", index, "dns", "privateDomain"),
                         f"privateDomain {private!r} is within the public domain {domain!r}",
                         "external-dns would also publish internal hosts in the public zone "
                         "that covers them: use a domain outside it that you own (ACM "
                         "validates certificates for it), e.g. "
                         f"{domain.split('.', 1)[0]}.internal.example")

    def alerting(self, environment: model.Environment) -> None:
        if self.blueprint.alerting and environment.addon("external-secrets") is None:
            self.add_env("alerting", ("alerting", "webhookUrl"), environment.name,
                         "the alert receiver's webhook URL is read through external-secrets, "
                         "which is not installed",
                         "enable the external-secrets add-on, or remove alerting")

    def resolved_addons(self, environment: model.Environment) -> None:
        env = environment.name
        for addon in environment.addons():
            info = ADDON_CATALOG[addon.name]
            iam_path = addon.origin.get("iam")
            needs = info.needs_iam or addon.cluster_issuer is not None
            if addon.iam is None and (needs or iam_path):
                at = iam_path or addon.path
                if not iam_path:
                    missing = "iam: {mode: pod-identity, roleName: <role>}"
                elif "iam.mode" not in addon.origin:
                    missing = "iam.mode to pod-identity or irsa"
                else:
                    missing = "iam.roleName or iam.roleArn"
                why = "calls AWS" if info.needs_iam else "uses Route 53 for dns01"
                have = "an incomplete IAM role" if iam_path else "no IAM role"
                self.add_env("iam", at, env,
                             f"add-on {addon.name!r} {why} but has {have}",
                             f"set {missing} under {format_path(addon.path)} or for this "
                             "environment")
