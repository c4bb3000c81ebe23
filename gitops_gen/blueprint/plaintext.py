"""No secret is rendered in clear: the add-ons' and Argo CD's Helm `values` and the apps' `config`
are searched with the linter's detector (`gitops_gen.lint.secretscan`), and each credential
found is an error at its value, naming the External Secrets way to give it.

Found: the known secret settings of the charts gitops-gen ships (argo-cd's admin password and
webhook secrets, Grafana's admin password, Alertmanager's Slack and PagerDuty keys), values
that are credentials by their form (a URL with a password, a private key, a cloud key, a
token), settings named like a password, secret or token, and `env` entries such as
`AWS_SECRET_ACCESS_KEY` with a literal value.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from gitops_gen.blueprint.addons import ARGO_CD, CHART_SECRETS
from gitops_gen.blueprint.layers import Path
from gitops_gen.blueprint.model import Environment
from gitops_gen.lint import secretscan
from gitops_gen.lint.model import format_path

SECRET_FIELDS = {ARGO_CD: ("argocd.secrets", "prod/argocd"),
                 "kube-prometheus-stack": ("addons.kube-prometheus-stack.secrets",
                                           "prod/grafana-admin")}
"""Where the blueprint maps a Secrets Manager key to a chart's Secret, with an example key."""


def plaintext_secrets(data: Mapping[str, Any]) -> Iterator[tuple[Path, str, str]]:
    """(path, message, hint) of every credential written in clear in `values` or `config`."""
    for chart, values, path in _values_levels(data):
        for inner, reason in secretscan.scan(values, chart):
            yield (path + inner, *_values_problem(chart, inner, reason))
    for config, path in _config_levels(data):
        for name, value in config.items():
            reason = secretscan.env_reason(name, value)
            if reason:
                yield (path + (name,), f"config {name} is set to {reason}",
                       "config is stored in Git in clear; put the value in AWS Secrets Manager "
                       f"and reference it under secrets: {{name: {name}, key: ...}}")


def unstored_secrets(environment: Environment) -> Iterator[tuple[str, Path, str, str]]:
    """(check, path, message, hint) of each `secrets` mapping written for an add-on of an
    environment where external-secrets, which would read it, is not installed."""
    if environment.addon("external-secrets") is not None:
        return
    for addon in environment.addons():
        written = [path for name, path in addon.origin.items() if name.startswith("secrets.")]
        if written:
            yield (f"{addon.name} secrets", written[0][:-1],
                   f"{addon.name}'s secrets are read from AWS Secrets Manager by "
                   "external-secrets, which is not installed",
                   "enable the external-secrets add-on in this environment, or remove these "
                   "secrets and create the Secret "
                   f"{CHART_SECRETS[addon.name]} in the cluster yourself")


def _values_problem(chart: str, path: Path, reason: str) -> tuple[str, str]:
    dotted = format_path(path)
    known = secretscan.chart_setting(chart, path)
    message = f"{chart} values {dotted}: {reason}, which the render would write to Git in clear"
    if known and known[1] and chart in SECRET_FIELDS:
        (field, example), secret = SECRET_FIELDS[chart], CHART_SECRETS[chart]
        bcrypt = " (a bcrypt hash)" if known[1] == "admin.password" else ""
        return message, (f"remove {dotted}; keep the value{bcrypt} in AWS Secrets Manager and map "
                         f"it under {field}: {{{known[1]}: {{key: {example}, property: ...}}}}; "
                         f"External Secrets writes it into the Secret {secret}, which the chart "
                         "reads")
    return message, ("keep the value in AWS Secrets Manager, have an ExternalSecret write it "
                     "into a Secret, and point the chart at that Secret (its existingSecret or "
                     "secretKeyRef setting) instead of a value")


def _values_levels(data: Mapping[str, Any]) -> Iterator[tuple[str, Any, Path]]:
    """(chart, values, path) of every `values` the blueprint writes."""
    argocd = data.get("argocd") or {}
    yield from _levels(ARGO_CD, argocd, ("argocd",))
    for name, addon in (data.get("addons") or {}).items():
        yield from _levels(name, addon or {}, ("addons", name))
    for index, env in enumerate(data.get("environments") or ()):
        for name, override in (env.get("addons") or {}).items():
            if (override or {}).get("values"):
                yield name, override["values"], ("environments", index, "addons", name, "values")


def _levels(chart: str, level: Mapping[str, Any], path: Path) -> Iterator[tuple[str, Any, Path]]:
    if level.get("values"):
        yield chart, level["values"], path + ("values",)
    for env_name, override in (level.get("environments") or {}).items():
        if (override or {}).get("values"):
            yield chart, override["values"], path + ("environments", env_name, "values")


def _config_levels(data: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], Path]]:
    """(config, path) of every app `config` the blueprint writes."""
    for index, app in enumerate(data.get("apps") or ()):
        yield app.get("config") or {}, ("apps", index, "config")
        for env_name, override in (app.get("environments") or {}).items():
            yield (override or {}).get("config") or {}, ("apps", index, "environments",
                                                         env_name, "config")
    for index, env in enumerate(data.get("environments") or ()):
        for app_name, override in (env.get("apps") or {}).items():
            yield (override or {}).get("config") or {}, ("environments", index, "apps", app_name,
                                                         "config")
