"""The blueprint's JSON Schema (`schema.json`), and its validation errors in words: the allowed
values, "did you mean", what a pattern means, where the value is."""

from __future__ import annotations

import difflib
import functools
import importlib.resources
import json
import re
from typing import Any, Callable, Iterable

from gitops_gen.blueprint.addons import ARGO_CD
from gitops_gen.blueprint.layers import Path
from gitops_gen.lint.model import format_path

SCHEMA_FILE = "schema.json"
_NAME_WORDS = ("a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a "
               "letter or digit, at most 63 characters, e.g. checkout")
PATTERN_WORDS: dict[str, str] = {
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$": _NAME_WORDS,
    r"^\d{12}$": "an AWS account ID: exactly 12 digits, quoted, e.g. \"123456789012\"",
    r"^[a-z]{2,4}(-[a-z]+){1,2}-\d{1,2}$": "an AWS region such as eu-west-1 or us-gov-west-1",
    r"^al2023@(latest|v\d{8})$": "a Karpenter AMI alias: al2023@latest, or al2023@vYYYYMMDD "
                                  "pinned to an amazon-eks-ami release, e.g. al2023@v20260714",
    r"^1\.\d+$": "a Kubernetes minor version, quoted, e.g. \"1.35\"",
    r"^[0-9A-Za-z][A-Za-z0-9_-]*$": "an EKS cluster name: letters, digits, '-' and '_', starting "
                                    "with a letter or digit",
    r"^https://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?/?$":
        "an https:// URL of the cluster's API server, with no path, "
        "e.g. https://ABCD1234.gr7.eu-west-1.eks.amazonaws.com",
    r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$":
        "a lowercase DNS name of two labels or more, without scheme, port, path or "
        "wildcard, e.g. shop.staging.example.com",
    r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$":
        "one or more lowercase DNS labels put before the environment's domain, e.g. shop",
    (r"^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*"
     r"(:\d{1,5})?/)?[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*$"):
        "an image repository without tag or digest, lowercase, "
        "e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout",
    r"^(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$":
        "an image tag: letters, digits, '_', '.' and '-', at most 128 characters, never 'latest'",
    r"^sha256:[a-f0-9]{64}$": "an image digest: sha256: and 64 lowercase hex digits",
    r"^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$":
        "an exact chart version such as 3.5.0 or v1.21.1: pinned, no ranges",
    r"^arn:aws(-cn|-us-gov)?:iam::\d{12}:role/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$":
        "an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>",
    r"^[\w+=,.@-]{1,64}$": "an IAM role name: at most 64 letters, digits and + = , . @ _ -",
    r"^(https://[^\s/@]+(:\d+)?/\S+|ssh://\S+|git@[^\s:]+:\S+)$":
        "a Git URL without credentials: https://host/org/repo.git, "
        "ssh://git@host/org/repo.git or git@host:org/repo.git",
    r"^(?!.*\.\.)(?!.*//)(?!.*/$)[A-Za-z0-9_][A-Za-z0-9._/-]*$":
        "a branch, tag or commit: letters, digits, '.', '_', '-' and '/', without '..'",
    r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$":
        "a relative folder inside the repository, e.g. clusters/eks: no leading '/', no "
        "'.' or '..' parts",
    r"^[A-Za-z_][A-Za-z0-9_]*$": "an environment variable name: letters, digits and '_', not "
                                 "starting with a digit, e.g. DATABASE_URL",
    (r"^(arn:aws(-cn|-us-gov)?:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+"
     r"|[A-Za-z0-9/_+=.@-]{1,512})$"):
        "the name or ARN of a secret in AWS Secrets Manager: letters, digits and / _ + = . @ -, "
        "e.g. prod/checkout/db",
    r"^Z[A-Z0-9]{1,31}$": "a Route 53 hosted zone ID: Z and uppercase letters and digits, "
                         "e.g. Z0123456789ABCDEFGHIJ",
    r"^[A-Za-z0-9+=,.@_-]{1,40}$": "a prefix of IAM role names: at most 40 letters, digits "
                                  "and + = , . @ _ -",
    r"^arn:aws(-cn|-us-gov)?:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$":
        "an ACM certificate ARN: arn:aws:acm:<region>:<12-digit account>:certificate/<id>",
    r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$": "a key inside the secret's JSON value, e.g. password",
    r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$": "a key of argocd-secret: dotted words, e.g. "
                                            "admin.password or webhook.github.secret",
    r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$": "an absolute URL path starting with '/', e.g. /healthz",
    r"^(\d+m|\d+(\.\d{1,3})?)$": "a CPU quantity such as 250m, 1 or 1.5",
    r"^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$": "a memory quantity such as 256Mi or 1Gi",
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$": "an e-mail address",
    r"^https://\S+$": "an https:// URL",
    r"^\d+(Mi|Gi|Ti)$": "a volume size in Mi, Gi or Ti, e.g. 50Gi",
    r"^([0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}|[0-9a-fA-F:]+/[0-9]{1,3})$":
        "an IPv4 or IPv6 CIDR, e.g. 10.20.0.0/16",
    r"^(\*\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$":
        "a lowercase DNS name, or a pattern with one leading '*.', e.g. db.internal.example.com",
}
"""What each pattern of schema.json means, in the words an error hint uses."""

_SECRET_HINT = ("a secret is a reference, never a value: give name (the environment variable), "
                "key (the secret's name in AWS Secrets Manager) and optionally property, e.g. "
                "{name: DB_PASSWORD, key: prod/checkout/db, property: password}")
_CHART_SECRET_HINT = ("a secret is a reference, never a value: give key (the secret's name in AWS "
                      "Secrets Manager) and optionally property, e.g. "
                      "{key: prod/argocd, property: admin-password-bcrypt}")
_TYPE_WORDS = {"string": "a string", "integer": "an integer", "number": "a number",
               "boolean": "true or false", "object": "a mapping", "array": "a list",
               "null": "null"}
_YAML11_BOOLEANS = frozenset("y Y yes Yes YES n N no No NO on On ON off Off OFF".split())


@functools.cache
def schema() -> dict:
    """The blueprint JSON Schema shipped in the package (read once; do not mutate)."""
    resource = importlib.resources.files("gitops_gen.blueprint") / SCHEMA_FILE
    return json.loads(resource.read_text(encoding="utf-8"))


@functools.cache
def validator() -> Any:
    import jsonschema_rs

    return jsonschema_rs.validator_for(schema(), validate_formats=False)


def _where(path: Path) -> str:
    return format_path(path) or "the top level"


def inside(path: Path) -> str:
    return f"in {format_path(path)}" if path else "at the top level"


def field_words(path: Path) -> str:
    for part in reversed(path):
        if isinstance(part, str):
            return part
    return "value"


def shown_value(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (dict, list)):
        return _type_name(value)
    return json.dumps(value)


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "a string"


def _schema_node(path: Iterable[Any]) -> Any:
    node: Any = schema()
    for part in path:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return node


def _resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = _schema_node(node["$ref"].lstrip("#/").split("/"))
    return node


def _description(node: Any) -> str | None:
    text = (node or {}).get("description") if isinstance(node, dict) else None
    if not text and isinstance(node, dict) and "$ref" in node:
        return _description(_resolve(node))
    return text


def did_you_mean(value: Any, allowed: Iterable[str]) -> str | None:
    allowed = list(allowed)
    close = difflib.get_close_matches(str(value), allowed, n=1, cutoff=0.6)
    if not close and isinstance(value, str):
        lowered = [a for a in allowed if a.lower() == value.lower()]
        close = lowered[:1]
    return f"did you mean {close[0]!r}?" if close else None


def explain(error: Any, data: Any, written: Callable[[Path], str | None]
             ) -> list[tuple[Path, bool, str, str | None]]:
    """(path, at-the-key, message, hint) for one jsonschema_rs error."""
    path: Path = tuple(error.instance_path)
    schema_path = list(error.schema_path)
    kind = error.kind
    name = type(kind).__name__
    value = error.instance
    node = _schema_node(schema_path[:-1])
    out: list[tuple[Path, bool, str, str | None]] = []

    if name == "AdditionalProperties":
        allowed = list((node or {}).get("properties", {}))
        for unexpected in kind.unexpected:
            close = did_you_mean(unexpected, allowed)
            where = (path + (unexpected,), True)
            if path and path[-1] == "addons":
                hint = close or f"add-ons: {', '.join(allowed)}"
                if unexpected == ARGO_CD and path == ("addons",):
                    hint = "Argo CD is configured under the top-level key argocd"
                out.append((*where, f"unknown add-on {unexpected!r} {inside(path)}", hint))
                continue
            if len(path) >= 2 and path[-2] == "secrets" and isinstance(path[-1], int):
                hint = close or _SECRET_HINT
            else:
                hint = close or f"allowed: {', '.join(allowed)}"
            out.append((*where, f"unknown key {unexpected!r} {inside(path)}", hint))
        return out
    if name == "Required":
        missing = kind.property
        prop = ((node or {}).get("properties") or {}).get(missing)
        hint = _description(prop)
        allowed = (_resolve(prop) or {}).get("enum") if prop else None
        if allowed:
            hint = f"{missing}: {' or '.join(allowed)}"
        return [(path, False, f"missing required key {missing!r} {inside(path)}", hint)]
    if name == "Enum":
        allowed = list(_schema_node(schema_path) or [])
        close = did_you_mean(value, [str(a) for a in allowed])
        hint = "allowed: " + ", ".join(str(a) for a in allowed) + (f"; {close}" if close else "")
        return [(path, False, f"invalid {field_words(path)} {shown_value(value)} {inside(path)}", hint)]
    if name == "Constant":
        expected = _schema_node(schema_path)
        return [(path, False, f"invalid {field_words(path)} {shown_value(value)}",
                 f"must be {expected!r}")]
    if name == "Pattern":
        return [(path, False, f"invalid {field_words(path)} {shown_value(value)} {inside(path)}",
                 _pattern_hint(path, value, _schema_node(schema_path)))]
    if name in ("MaxLength", "MinLength"):
        limit = _schema_node(schema_path)
        longer = name == "MaxLength"
        return [(path, False, f"invalid {field_words(path)} {shown_value(value)} {inside(path)}",
                 f"{'too long' if longer else 'too short'}: {len(value)} characters, "
                 f"{'at most' if longer else 'at least'} {limit}")]
    if name in ("Minimum", "Maximum", "ExclusiveMinimum", "ExclusiveMaximum"):
        limit = _schema_node(schema_path)
        bound = {"Minimum": "at least", "Maximum": "at most", "ExclusiveMinimum": "above",
                 "ExclusiveMaximum": "below"}[name]
        return [(path, False, f"invalid {field_words(path)} {shown_value(value)} {inside(path)}",
                 f"must be {bound} {limit}")]
    if name == "MinItems":
        return [(path, False, f"{_where(path)} is empty", _description(node))]
    if name == "Type":
        return [_type_problem(path, value, kind, written(path))]
    if name == "PropertyNames":
        inner = kind.error
        key = inner.instance
        what = {"environments": "environment", "apps": "app", "config": "variable"}.get(
            field_words(path), "key")
        inner_name = type(inner.kind).__name__
        if inner_name == "Pattern":
            hint = PATTERN_WORDS.get(inner.kind.pattern)
        elif inner_name == "MaxLength":
            hint = f"too long: {len(key)} characters, at most {inner.kind.limit}"
        else:
            hint = inner.message
        close = did_you_mean(key, _names_at(path, data))
        if close:
            hint = f"{close} {hint}"
        return [(path + (key,), True, f"invalid {what} name {shown_value(key)} {inside(path)}", hint)]
    return [(path, False, f"{_where(path)}: {error.message}", None)]


def _names_at(path: Path, data: Any) -> list[str]:
    """The names a per-environment or per-app map may use, for "did you mean"."""
    if not isinstance(data, dict):
        return []
    field = field_words(path)
    source = data.get("environments") if field == "environments" else \
        data.get("apps") if field == "apps" else None
    return [item["name"] for item in source or () if isinstance(item, dict)
            and isinstance(item.get("name"), str)]


def _pattern_hint(path: Path, value: Any, pattern: Any) -> str | None:
    field = field_words(path)
    if field == "tag" and value == "latest":
        return "'latest' is mutable: pin a version tag such as 1.4.2, or use a digest"
    if field == "repository" and isinstance(value, str) and ":" in value.rsplit("/", 1)[-1]:
        return "give the tag in image.tag, not in the repository"
    if field == "repository" and isinstance(value, str) and "@" in value:
        return "give the digest in image.digest, not in the repository"
    if field == "url" and isinstance(value, str) and re.match(r"https?://[^/\s]*@", value):
        return "no credentials in the URL: Argo CD gets them from a repository secret"
    return PATTERN_WORDS.get(pattern)


def _type_problem(path: Path, value: Any, kind: Any, written: str | None) -> tuple:
    types = [str(getattr(t, "value", t)).rsplit(".", 1)[-1].lower()
             for t in (kind.types if isinstance(kind.types, (list, tuple)) else [kind.types])]
    wanted = " or ".join(_TYPE_WORDS.get(t, t) for t in types if t != "null" or len(types) == 1)
    message = f"{_where(path)} must be {wanted}, got {_type_name(value)}"
    if not isinstance(value, (dict, list)) and value is not None:
        message += f" {shown_value(value)}"
    hint = None
    if len(path) >= 2 and path[-2] == "secrets" and isinstance(path[-1], str):
        hint = _CHART_SECRET_HINT
    elif "secrets" in path and ("array" in types or "object" in types):
        hint = _SECRET_HINT
    elif value is None:
        hint = "give a value or remove the key"
    elif "string" in types and isinstance(value, bool):
        hint = f"quote it: \"{written or str(value).lower()}\""
        if written in _YAML11_BOOLEANS:
            hint = f"unquoted {written} is a boolean in YAML; {hint}"
    elif types == ["integer"] and isinstance(value, str) and value.strip().isdigit():
        hint = f"write it without quotes: {value.strip()}"
    elif "string" in types and isinstance(value, (int, float)):
        shown = written or json.dumps(value)
        hint = f"quote it: \"{shown}\""
        if written and written != json.dumps(value):
            hint = f"unquoted, YAML reads {written} as the number {json.dumps(value)}; {hint}"
    return (path, False, message, hint)
