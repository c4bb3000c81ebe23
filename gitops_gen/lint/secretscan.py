"""Credentials written in clear: the one detector behind the linter's secret rules (K8S212,
K8S213, K8S214, KUS002) and the blueprint's refusal to render a secret.

A value is a credential when:

- its form says so, whatever it is called (`value_form`): a PEM private key, an AWS access key
  ID, a GitHub, GitLab, Slack, Stripe, npm or Google API token, a JSON Web Token, a Slack
  incoming-webhook URL, a URL with a password (`postgres://u:p@host/db`);
- it is set at a known secret setting of a chart gitops-gen ships (`CHART_SECRET_SETTINGS`,
  e.g. argo-cd's `configs.secret.githubSecret`): any non-empty value there is the real secret,
  even `changeme`;
- its name says so and the value is not a placeholder: an environment variable (`env_reason`,
  K8S212's `SECRET_NAMES`/`IGNORED_NAMES`) or a setting (`setting_reason`: a key whose last
  word is password, secret, token, credentials or passphrase, or that ends in an api, access,
  private, secret, client, signing, encryption or auth key, in camelCase, snake_case,
  kebab-case or dotted form).

Not credentials: empty values, booleans, references and placeholders (`$(VAR)`, `${VAR}`,
`{{ .x }}`, `<password>`, Argo CD's `$secret:key`, `ENC[...]` from SOPS, `changeme`, `xxxx`,
`***`, `redacted`, `dummy`, `example`, ...), and keys that name or point at a secret rather than
hold it (`existingSecret`, `passwordSecretRef`, `secretName`, `passwordKey`, `*_FILE`, ...). A
key ending in `Secret` names a Secret when its value reads as an object name with a `-` or `.`,
or only letters (`configSecret: alertmanager-config`, `tlsSecret: ingress`); `hunter2` and
`8f14e45f...` are not names. References inside a value are removed before its form is judged.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from typing import Any, Iterator, Mapping

from gitops_gen.lazyre import lazy

Path = tuple[str | int, ...]

SECRET_NAMES = [
    r"PASSW(OR)?D",
    r"(^|[_.-])PASS$",
    r"^PWD[_.-]|[_.-]PWD([_.-]|$)",
    r"SECRET",
    r"TOKEN($|[_.-])",
    r"(API|ACCESS|PRIVATE)[_.-]?KEY",
    r"[_.-]KEY$",
    r"CREDENTIAL",
    r"(^|[_.-])AUTH$",
]
"""Environment variable names that hold secrets (K8S212's default `secret-names`)."""
IGNORED_NAMES = [
    r"[_.-](FILE|PATH|DIR|URL|URI|ENDPOINT|HOST|PORT|NAME|REF|ID|ARN|ENABLED|TTL|TIMEOUT"
    r"|LENGTH|ALGORITHM|TYPE|HEADER|AUDIENCE|ISSUER|REGION|VERSION|MOUNT)$",
    r"(^|[_.-])(PUBLIC|ROUTING|PARTITION|SORT|CACHE)[_.-]?KEY$",
    r"(^|[_.-])PUB[_.-]?KEY$",
    r"^GOOGLE_APPLICATION_CREDENTIALS$",
]
"""Environment variable names never taken as secrets by name (K8S212's `ignored-names`)."""

SECRET_VALUES = {
    "a PEM private key": r"-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----",
    "an AWS access key ID": r"\b(AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b",
    "a GitHub token": r"\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})\b",
    "a GitLab token": r"\bglpat-[A-Za-z0-9_-]{20,}",
    "a Slack token": r"\bxox[abposr]-[A-Za-z0-9-]{10,}",
    "a Slack webhook URL":
        r"https://hooks\.slack\.com/(services|workflows|triggers)/[A-Za-z0-9/_-]{20,}",
    "a Stripe secret key": r"\b[rs]k_live_[A-Za-z0-9]{20,}",
    "an npm token": r"\bnpm_[A-Za-z0-9]{36}\b",
    "a Google API key": r"\bAIza[0-9A-Za-z_-]{35}\b",
    "a JSON Web Token": r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
    "a URL with a password": r"\b[a-z][a-z0-9+.-]{0,31}://[^/\s:@]{0,256}:[^/\s@]{1,256}@",
}
"""Values that are secrets whatever they are called, by what they are."""

CHART_SECRET_SETTINGS: dict[str, dict[str, str]] = {
    "argo-cd": {
        "configs.secret.argocdServerAdminPassword": "admin.password",
        "configs.secret.githubSecret": "webhook.github.secret",
        "configs.secret.gitlabSecret": "webhook.gitlab.secret",
        "configs.secret.bitbucketServerSecret": "webhook.bitbucketserver.secret",
        "configs.secret.bitbucketUUID": "webhook.bitbucket.uuid",
        "configs.secret.gogsSecret": "webhook.gogs.secret",
        "configs.secret.azureDevops.username": "webhook.azuredevops.username",
        "configs.secret.azureDevops.password": "webhook.azuredevops.password",
        "configs.secret.extra.*": "*",
        "notifications.secret.items.*": "",
        "configs.repositories.*.password": "",
        "configs.repositories.*.sshPrivateKey": "",
        "configs.credentialTemplates.*.password": "",
        "configs.credentialTemplates.*.sshPrivateKey": "",
        "configs.credentialTemplates.*.githubAppPrivateKey": "",
    },
    "kube-prometheus-stack": {
        "grafana.adminPassword": "admin-password",
        "alertmanager.config.global.slack_api_url": "",
        "alertmanager.config.receivers.*.slack_configs.*.api_url": "",
        "alertmanager.config.receivers.*.pagerduty_configs.*.routing_key": "",
        "alertmanager.config.receivers.*.pagerduty_configs.*.service_key": "",
    },
}
"""Helm values of the charts gitops-gen ships that hold a secret, as dotted paths (`*`: any key
or list index), each with the key of the Secret the blueprint's `secrets:` fills instead ("*":
the same key; "": none, the chart reads another Secret)."""

_SECRET_VALUE = lazy("|".join(f"(?P<v{i}>{pattern})"
                             for i, pattern in enumerate(SECRET_VALUES.values())))
_SECRET_CLUE = lazy(r"-----BEGIN |A(?:KI|SI|BI|CC)A|gh[pousr]_|github_pat_|glpat-|xox"
                    r"|https://hooks\.slack\.com/|k_live_|npm_|AIza|eyJ")
"""Text every match of _SECRET_VALUE but a URL with a password (`://` and `@`) contains: a
quick test before the slow one."""
_ALPHANUMERIC = lazy(r"[^\W_]")
"""A character `str.isalnum` accepts."""
_PLACEHOLDER = lazy(
    r"<[^<>]*>|\$\{[^{}]*\}|\{\{.*\}\}|x{3,}|\*{3,}|\.{3,}|true|false|ENC\[.*\]|"
    r"\$[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?|"
    r"(change|replace)[_ -]?me|todo|tbd|placeholder|redacted|dummy|example|none|null|n/?a",
    re.IGNORECASE | re.DOTALL)
_REFERENCE = lazy(r"(?<!\$)\$\([A-Za-z_][A-Za-z0-9_.-]*\)")
_TEMPLATED = lazy(r"<[^<>]*>|\$\{[^{}]*\}|\{\{.*?\}\}|ENC\[[^\]]*\]")
_OBJECT_NAME = lazy(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_WORD_BREAK = lazy(r"(?<=[a-z0-9])(?=[A-Z])|[_.\- ]+")
_SECRET_LAST_WORDS = frozenset({"PASSWORD", "PASSWD", "SECRET", "TOKEN", "APIKEY", "CREDENTIALS",
                                "CREDENTIAL", "PASSPHRASE"})
_SECRET_KEY_QUALIFIERS = frozenset({"API", "ACCESS", "PRIVATE", "SECRET", "CLIENT", "SIGNING",
                                    "ENCRYPTION", "AUTH"})
_REFERENCE_WORDS = frozenset({"EXISTING", "REF", "NAME", "FILE", "PATH", "ENABLED", "CREATE",
                              "MOUNT", "ANNOTATIONS", "LABELS", "TEMPLATE", "SELECTOR"})


def literal(value: Any) -> bool:
    """Whether `value` is a written-out value: a number, or a string with more than `$(VAR)`
    references."""
    if not isinstance(value, str):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if "$(" in value:
        value = _REFERENCE.sub("", value)
    return value[:1].isalnum() or _ALPHANUMERIC.search(value) is not None  # most start with one


def placeholder(value: Any) -> bool:
    """Whether a literal value stands for a secret rather than being one (`<password>`,
    `${TOKEN}`, `ENC[...]`, `$argocd-secret:key`, `changeme`, ...)."""
    return bool(_PLACEHOLDER.fullmatch(str(value).strip()))


def value_form(value: Any) -> str | None:
    """What a value is when its form says it is a secret (e.g. "a URL with a password"), with
    references, templates and SOPS-encrypted parts left out; None otherwise."""
    if not isinstance(value, str):
        return None
    if "$(" in value:
        value = _REFERENCE.sub("", value)
    if "<" in value or "${" in value or "{{" in value or "ENC[" in value:
        value = _TEMPLATED.sub("", value)
    if _SECRET_CLUE.search(value) is None and not ("://" in value and "@" in value):
        return None  # most values
    match = _SECRET_VALUE.search(value)
    if match is None:
        return None
    return list(SECRET_VALUES)[int(match.lastgroup[1:])]


@functools.lru_cache(maxsize=32)
def compile_names(patterns: tuple[str, ...]) -> re.Pattern:
    """One case-insensitive pattern matching any of `patterns`."""
    return re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)", re.IGNORECASE)


def env_reason(name: Any, value: Any, secret_names: tuple[str, ...] = tuple(SECRET_NAMES),
               ignored_names: tuple[str, ...] = tuple(IGNORED_NAMES)) -> str | None:
    """What the environment variable `name` is set to when `value` is a secret in clear ("a
    PEM private key in clear", "a literal value"), or None."""
    if not isinstance(name, str) or not literal(value):
        return None
    form = value_form(str(value))
    if form:
        return f"{form} in clear"
    if named_secret(name, secret_names, ignored_names) and not placeholder(value):
        return "a literal value"
    return None


@functools.lru_cache(maxsize=4096)
def named_secret(name: str, secret_names: tuple[str, ...], ignored_names: tuple[str, ...]) -> bool:
    """Whether an environment variable called `name` holds a secret by its name: once per name
    (a repository sets LOG_LEVEL, DB_PASSWORD, ... in many workloads)."""
    return bool(compile_names(secret_names).search(name)
                and not compile_names(ignored_names).search(name))


@functools.lru_cache(maxsize=4096)
def secret_setting(key: Any) -> bool:
    """Whether a setting called `key` (camelCase, snake_case, kebab-case or dotted) holds a
    secret by its name: `adminPassword`, `client_secret`, `api-key`, `bearerToken`.
    Remembered: ConfigMaps repeat the same keys."""
    if not isinstance(key, str):
        return False
    words = [w.upper() for w in _WORD_BREAK.split(key) if w]
    if not words or _REFERENCE_WORDS.intersection(words):
        return False
    if words[-1] in _SECRET_LAST_WORDS:
        return True
    return len(words) > 1 and words[-1] == "KEY" and words[-2] in _SECRET_KEY_QUALIFIERS


def setting_reason(key: Any, value: Any) -> str | None:
    """What the setting `key` holds when `value` is a credential in clear (its form, or "a
    literal value" under a secret's name), or None."""
    if not literal(value):
        return None
    form = value_form(value)
    if form:
        return form
    if not secret_setting(key) or placeholder(value):
        return None
    if str(key).lower().endswith("secret") and _secret_name(str(value)):
        return None  # names a Secret: configSecret: alertmanager-config
    return "a literal value"


def _secret_name(value: str) -> bool:
    """Whether `value` reads as the name of a Kubernetes Secret (`alertmanager-config`,
    `regcred`) rather than a random string (`8f14e45f...`, `hunter2`)."""
    return bool(_OBJECT_NAME.fullmatch(value)) and (
        "-" in value or "." in value or value.isalpha())


def chart_setting(chart: str, path: Path) -> tuple[str, str] | None:
    """(the dotted pattern, the Secret key that replaces it) when `path` in the chart's values
    is a known secret setting; None otherwise."""
    for pattern, secret_key in CHART_SECRET_SETTINGS.get(chart, {}).items():
        parts = pattern.split(".")
        if len(parts) == len(path) and all(fnmatch.fnmatchcase(str(step), part)
                                           for step, part in zip(path, parts)):
            return pattern, secret_key.replace("*", str(path[-1]))
    return None


def scan(tree: Any, chart: str | None = None) -> Iterator[tuple[Path, str]]:
    """(path, what it holds) of every credential written in clear in a tree of Helm values or
    config: a chart's known secret settings when `chart` is given, values by their form,
    settings and `env` entries (`{name, value}`) by their name."""
    yield from _scan(tree, (), chart)


def _scan(node: Any, path: Path, chart: str | None) -> Iterator[tuple[Path, str]]:
    if isinstance(node, Mapping):
        if isinstance(node.get("name"), str) and "value" in node:
            reason = env_reason(node["name"], node["value"])
            if reason:
                yield path + ("value",), f"{node['name']} set to {reason}"
                return
        for key, value in node.items():
            yield from _scan(value, path + (key,), chart)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _scan(item, path + (index,), chart)
    elif path and literal(node):
        if chart and chart_setting(chart, path):
            yield path, f"a secret setting of the {chart} chart"
            return
        key = path[-1] if isinstance(path[-1], str) else ""
        reason = setting_reason(key, node)
        if reason:
            yield path, reason
