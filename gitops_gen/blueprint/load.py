"""Reading a blueprint: YAML with positions, the JSON Schema, then what the schema cannot say.

Every problem points at `file:line:col` with a hint (the allowed values, "did you mean", what a
pattern means in words). All problems of a stage are collected and raised together as one
`BlueprintError`, sorted in document order: its `str()` is the first, `errors` holds them all
and `lines()` formats each on one line. The stages are: YAML (syntax, duplicate keys), the JSON
Schema (`schema.json`, compiled once), then the semantic checks, which only run on data the
schema accepts, with what cannot work on EKS (`refusals.py`). Warnings do not stop the load: they
are returned on `Blueprint.warnings`, and `warning_line` formats one.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import importlib.resources
import json
import re
from datetime import date
from typing import Any, Callable, Iterable, Mapping, NamedTuple

from gitops_gen.blueprint import model
from gitops_gen.blueprint.addons import ADDON_CATALOG, ARGO_CD
from gitops_gen.blueprint.apps import DEFAULT_HPA_MAX, AppEnvironment
from gitops_gen.blueprint.layers import Path, parse_quantity
from gitops_gen.blueprint.model import Blueprint
from gitops_gen.blueprint.plaintext import plaintext_secrets, unstored_secrets
from gitops_gen.blueprint.refusals import refusals
from gitops_gen.errors import UserError
from gitops_gen.lint import yamlparse
from gitops_gen.lint.model import format_path

SCHEMA_FILE = "schema.json"
MAX_ERRORS = 200
"""More problems than this are cut short with a last line saying how many were left out."""

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


class Problem(NamedTuple):
    message: str
    line: int | None
    column: int | None
    hint: str | None = None


def warning_line(problem: Problem, file: str | None) -> str:
    """A warning as one `file:line:col: warning: message (hint)` line."""
    where = UserError("", file=file, line=problem.line, column=problem.column)
    text = f"{str(where).rstrip()} warning: {problem.message}"
    return text + (f" ({problem.hint})" if problem.hint else "")


class BlueprintError(UserError):
    """Problems of one blueprint file; `str()` is the first, `errors` has all, in file order."""

    def __init__(self, errors: Iterable[Problem], file: str | None = None) -> None:
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.message, file=file, line=first.line, column=first.column,
                         hint=first.hint)

    def lines(self) -> list[str]:
        """Every problem as one `file:line:col: message (hint)` line."""
        return [str(UserError(p.message, file=self.file, line=p.line, column=p.column,
                              hint=p.hint)) for p in self.errors]


# -- entry points


def load_blueprint(path: str, *, today: date | None = None) -> Blueprint:
    """Read, validate and resolve the blueprint file at `path`; BlueprintError on any error.
    `today` (default: the date today) dates the EKS support checks; warnings are on the
    Blueprint's `warnings`."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise BlueprintError([Problem(f"cannot read blueprint: {reason}", None, None,
                                      "give the path of a blueprint.yaml (gitops-gen init "
                                      "writes one)")], file=path) from None
    return parse_blueprint(text, file=path, today=today)


def parse_blueprint(text: str, file: str = "<blueprint>", *,
                    today: date | None = None) -> Blueprint:
    """Validate and resolve blueprint YAML given as text; `file` names it in errors."""
    parsed = yamlparse.parse(text)
    report = _Report(parsed, file)
    for problem in parsed.problems:
        hint = "a key may appear only once" if problem.kind == "duplicate-key" else "fix the YAML"
        message = problem.message.replace("; the last value wins", "")
        report.at(problem.line, problem.column, message, hint)
    report.raise_if_any()
    documents = [(i, d) for i, d in enumerate(parsed.documents) if d is not None]
    if not documents:
        report.at(1, 1, "the blueprint is empty",
                  "start from a preset: gitops-gen init --preset eks-minimal")
        report.raise_if_any()
    if len(documents) > 1:
        line, column = parsed.locate(documents[1][0], ())
        report.at(line, column, "a blueprint is a single YAML document",
                  "remove the '---' and merge the documents")
        report.raise_if_any()
    index, data = documents[0]
    report.document = index
    if not isinstance(data, dict):
        report.add((), "the blueprint must be a mapping that starts with "
                   f"apiVersion: {model.API_VERSION}", "start from gitops-gen init")
        report.raise_if_any()
    _check_format(data, report)
    report.raise_if_any()
    data = _string_keys(data)
    written = functools.partial(parsed.scalar_text, index)
    explained = [(type(error.kind).__name__, problem) for error in _validator().iter_errors(data)
                 for problem in _explain(error, data, written)]
    # one problem per value: a wrong type says it all (a list is also "not one of" the enum)
    mistyped = {problem[0] for kind, problem in explained if kind == "Type"}
    for kind, (path, key, message, hint) in explained:
        if kind in ("Type", "Required", "AdditionalProperties") or key or path not in mistyped:
            report.add(path, message, hint, key)
    report.raise_if_any()
    blueprint = model.build(data, file=file,
                            locator=lambda path, key=False: parsed.locate(index, path, key))
    _Checker(data, blueprint, report).run()
    for refusal in refusals(blueprint, today or date.today()):
        if refusal.warning:
            report.warn(refusal.path, refusal.message, refusal.hint, refusal.key)
        else:
            report.add(refusal.path, refusal.message, refusal.hint, refusal.key)
    report.raise_if_any()
    return dataclasses.replace(blueprint, warnings=tuple(report.warnings()))


def _check_format(data: dict, report: _Report) -> None:
    """apiVersion and kind first: a file of another format gets one clear error, not fifty."""
    expected = {"apiVersion": model.API_VERSION, "kind": model.KIND}
    opening = "a blueprint starts with apiVersion: gitops-gen/v1alpha1 and kind: Blueprint"
    for key, value in expected.items():
        if key not in data:
            report.add((), f"missing {key}: this is not a gitops-gen blueprint", opening)
        elif data[key] != value:
            report.add((key,), f"unsupported {key} {_shown(data[key])}",
                       f"this gitops-gen reads {key}: {value}")


@functools.cache
def schema() -> dict:
    """The blueprint JSON Schema shipped in the package (read once; do not mutate)."""
    resource = importlib.resources.files("gitops_gen.blueprint") / SCHEMA_FILE
    return json.loads(resource.read_text(encoding="utf-8"))


@functools.cache
def _validator() -> Any:
    import jsonschema_rs

    return jsonschema_rs.validator_for(schema(), validate_formats=False)


# -- collecting problems


class _Report:
    def __init__(self, parsed: yamlparse.ParsedYaml, file: str) -> None:
        self.parsed = parsed
        self.file = file
        self.document = 0
        self.found: list[tuple[tuple[int, int], int, Problem]] = []
        self.seen: set[tuple] = set()
        self.warned: list[Problem] = []

    def add(self, path: Path, message: str, hint: str | None = None, key: bool = False) -> None:
        line, column = self.parsed.locate(self.document, path, key)
        self.at(line, column, message, hint)

    def at(self, line: int, column: int, message: str, hint: str | None = None) -> None:
        if (line, column, message) in self.seen:
            return
        self.seen.add((line, column, message))
        self.found.append(((line, column), len(self.found), Problem(message, line, column, hint)))

    def warn(self, path: Path, message: str, hint: str | None = None, key: bool = False) -> None:
        line, column = self.parsed.locate(self.document, path, key)
        self.warned.append(Problem(message, line, column, hint))

    def warnings(self) -> list[Problem]:
        """The warnings in file order."""
        return sorted(self.warned, key=lambda p: (p.line, p.column))

    def raise_if_any(self) -> None:
        if not self.found:
            return
        problems = [problem for _, _, problem in sorted(self.found)]
        if len(problems) > MAX_ERRORS:
            left = len(problems) - MAX_ERRORS
            problems = problems[:MAX_ERRORS] + [Problem(
                f"... and {left} more problem{'s' if left > 1 else ''}", None, None,
                "fix these first")]
        raise BlueprintError(problems, file=self.file)


def _string_keys(value: Any) -> Any:
    """Mapping keys as JSON strings (1 -> "1", true -> "true"), the way Helm reads YAML keys."""
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _string_keys(v) for k, v in value.items()}
        return {(k if isinstance(k, str) else json.dumps(k)): _string_keys(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_string_keys(v) for v in value]
    return value


# -- schema errors in words


def _where(path: Path) -> str:
    return format_path(path) or "the top level"


def _in(path: Path) -> str:
    return f"in {format_path(path)}" if path else "at the top level"


def _field(path: Path) -> str:
    for part in reversed(path):
        if isinstance(part, str):
            return part
    return "value"


def _shown(value: Any) -> str:
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


def _did_you_mean(value: Any, allowed: Iterable[str]) -> str | None:
    allowed = list(allowed)
    close = difflib.get_close_matches(str(value), allowed, n=1, cutoff=0.6)
    if not close and isinstance(value, str):
        lowered = [a for a in allowed if a.lower() == value.lower()]
        close = lowered[:1]
    return f"did you mean {close[0]!r}?" if close else None


def _explain(error: Any, data: Any, written: Callable[[Path], str | None]
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
            close = _did_you_mean(unexpected, allowed)
            where = (path + (unexpected,), True)
            if path and path[-1] == "addons":
                hint = close or f"add-ons: {', '.join(allowed)}"
                if unexpected == ARGO_CD and path == ("addons",):
                    hint = "Argo CD is configured under the top-level key argocd"
                out.append((*where, f"unknown add-on {unexpected!r} {_in(path)}", hint))
                continue
            if len(path) >= 2 and path[-2] == "secrets" and isinstance(path[-1], int):
                hint = close or _SECRET_HINT
            else:
                hint = close or f"allowed: {', '.join(allowed)}"
            out.append((*where, f"unknown key {unexpected!r} {_in(path)}", hint))
        return out
    if name == "Required":
        missing = kind.property
        prop = ((node or {}).get("properties") or {}).get(missing)
        hint = _description(prop)
        allowed = (_resolve(prop) or {}).get("enum") if prop else None
        if allowed:
            hint = f"{missing}: {' or '.join(allowed)}"
        return [(path, False, f"missing required key {missing!r} {_in(path)}", hint)]
    if name == "Enum":
        allowed = list(_schema_node(schema_path) or [])
        close = _did_you_mean(value, [str(a) for a in allowed])
        hint = "allowed: " + ", ".join(str(a) for a in allowed) + (f"; {close}" if close else "")
        return [(path, False, f"invalid {_field(path)} {_shown(value)} {_in(path)}", hint)]
    if name == "Constant":
        expected = _schema_node(schema_path)
        return [(path, False, f"invalid {_field(path)} {_shown(value)}",
                 f"must be {expected!r}")]
    if name == "Pattern":
        return [(path, False, f"invalid {_field(path)} {_shown(value)} {_in(path)}",
                 _pattern_hint(path, value, _schema_node(schema_path)))]
    if name in ("MaxLength", "MinLength"):
        limit = _schema_node(schema_path)
        longer = name == "MaxLength"
        return [(path, False, f"invalid {_field(path)} {_shown(value)} {_in(path)}",
                 f"{'too long' if longer else 'too short'}: {len(value)} characters, "
                 f"{'at most' if longer else 'at least'} {limit}")]
    if name in ("Minimum", "Maximum", "ExclusiveMinimum", "ExclusiveMaximum"):
        limit = _schema_node(schema_path)
        bound = {"Minimum": "at least", "Maximum": "at most", "ExclusiveMinimum": "above",
                 "ExclusiveMaximum": "below"}[name]
        return [(path, False, f"invalid {_field(path)} {_shown(value)} {_in(path)}",
                 f"must be {bound} {limit}")]
    if name == "MinItems":
        return [(path, False, f"{_where(path)} is empty", _description(node))]
    if name == "Type":
        return [_type_problem(path, value, kind, written(path))]
    if name == "PropertyNames":
        inner = kind.error
        key = inner.instance
        what = {"environments": "environment", "apps": "app", "config": "variable"}.get(
            _field(path), "key")
        inner_name = type(inner.kind).__name__
        if inner_name == "Pattern":
            hint = PATTERN_WORDS.get(inner.kind.pattern)
        elif inner_name == "MaxLength":
            hint = f"too long: {len(key)} characters, at most {inner.kind.limit}"
        else:
            hint = inner.message
        close = _did_you_mean(key, _names_at(path, data))
        if close:
            hint = f"{close} {hint}"
        return [(path + (key,), True, f"invalid {what} name {_shown(key)} {_in(path)}", hint)]
    return [(path, False, f"{_where(path)}: {error.message}", None)]


def _names_at(path: Path, data: Any) -> list[str]:
    """The names a per-environment or per-app map may use, for "did you mean"."""
    if not isinstance(data, dict):
        return []
    field = _field(path)
    source = data.get("environments") if field == "environments" else \
        data.get("apps") if field == "apps" else None
    return [item["name"] for item in source or () if isinstance(item, dict)
            and isinstance(item.get("name"), str)]


def _pattern_hint(path: Path, value: Any, pattern: Any) -> str | None:
    field = _field(path)
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
        message += f" {_shown(value)}"
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



# -- what the schema cannot say


class _Checker:
    """Semantic checks on schema-valid data and the Blueprint built from it."""

    def __init__(self, data: Mapping[str, Any], blueprint: Blueprint, report: _Report) -> None:
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
        close = _did_you_mean(name, known)
        listed = f"{what}s: {', '.join(known)}" if known else f"no {what}s are defined"
        self.add(path + (name,), f"unknown {what} {name!r} {_in(path)}",
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
            self.add(path + ("hpa",), f"replicas and hpa are both set {_in(path)}",
                     "use replicas for a fixed number of pods or hpa to autoscale, not both",
                     key=True)
        ingress = level.get("ingress") or {}
        if "host" in ingress and "subdomain" in ingress:
            self.add(path + ("ingress", "subdomain"),
                     f"ingress has both host and subdomain {_in(path)}",
                     "host is a full name; subdomain is put before the environment's domain",
                     key=True)
        names: dict[str, int] = {}
        for index, secret in enumerate(level.get("secrets") or ()):
            if secret["name"] in names:
                self.add(path + ("secrets", index, "name"),
                         f"duplicate secret name {secret['name']!r} {_in(path + ('secrets',))}",
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
                         f"iam has both roleName and roleArn {_in(path)}",
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
