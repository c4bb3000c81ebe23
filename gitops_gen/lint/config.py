"""`.gitops-gen.yaml`: finding it, validating it with exact positions, and what it selects."""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from gitops_gen.errors import ConfigError
from gitops_gen.lint import yamlparse
from gitops_gen.lint.model import Path, Severity
from gitops_gen.lint.registry import Rule, resolve, suggest

if TYPE_CHECKING:
    from gitops_gen.lint.config_entries import ClusterVersion, Exclusion, RuleSetting

CONFIG_NAMES = (".gitops-gen.yaml", ".gitops-gen.yml")
FAIL_ON = ("error", "warning", "info", "never")
_TOP_KEYS = ("fail-on", "inline-ignores", "k8s-version", "target-version", "strict", "crds",
             "schema-locations", "ignore-missing-schemas", "rules", "exclude", "repo-urls",
             "charts-dir", "render", "clusters", "repo-path")
_CLUSTER_KEYS = ("applications", "k8s-version")
_RULE_KEYS = ("enabled", "severity", "options")
_EXCLUDE_KEYS = ("paths", "kinds", "namespaces", "names", "rules", "reason")


@dataclass(slots=True, eq=False, repr=False)
class Config:
    """A validated config; `root` is the folder path patterns are relative to."""

    file: str | None = None
    root: str = "."
    fail_on: str | None = None
    inline_ignores: bool = True
    k8s_version: str | None = None
    target_version: str | None = None
    strict: bool | None = None
    crds: tuple[str, ...] = ()
    schema_locations: tuple[str, ...] = ()
    ignore_missing_schemas: bool | None = None
    repo_urls: tuple[str, ...] = ()
    """URLs of this repository, as Applications name it (default: its Git remotes)."""
    repo_path: str = ""
    """Where this config's folder is inside the repository, as Applications' paths name it."""
    charts_dir: str | None = None
    render: bool | None = None
    clusters: tuple[ClusterVersion, ...] = ()
    rules: dict[str, RuleSetting] = field(default_factory=dict)
    exclusions: list[Exclusion] = field(default_factory=list)


def find_config(start: str) -> str | None:
    """The first `.gitops-gen.yaml` in `start`'s folder or any folder above it."""
    folder = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    while True:
        for name in CONFIG_NAMES:
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate):
                return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def load_config(path: str, rules: dict[str, Rule]) -> Config:
    """Read and validate a config file; every problem is a ConfigError at file:line:col."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read config: {error}", file=path) from None
    parsed = yamlparse.parse(text)
    for problem in parsed.problems:
        raise ConfigError(problem.message, file=path, line=problem.line, column=problem.column,
                          hint="fix the YAML")
    data = parsed.documents[0] if parsed.documents else None
    config = Config(file=path, root=os.path.dirname(os.path.abspath(path)))
    if data is None:
        return config
    return _Validator(path, parsed, rules).config(data, config)


class _Validator:
    def __init__(self, file: str, parsed: yamlparse.ParsedYaml, rules: dict[str, Rule]) -> None:
        self.file = file
        self.parsed = parsed
        self.rules = rules

    def fail(self, path: Path, message: str, hint: str | None = None, key: bool = False):
        line, column = self.parsed.locate(0, path, key)
        raise ConfigError(message, file=self.file, line=line, column=column, hint=hint)

    def mapping(self, value: Any, path: Path, allowed: tuple[str, ...], what: str) -> dict:
        if not isinstance(value, dict):
            self.fail(path, f"{what} must be a mapping, got {_type_name(value)}")
        for key in value:
            if key not in allowed:
                import difflib

                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"
                self.fail(path + (key,), f"unknown key {key!r} in {what}", hint, key=True)
        return value

    def strings(self, value: Any, path: Path, what: str) -> tuple[str, ...]:
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            self.fail(path, f"{what} must be a string or a list of strings")
        return tuple(values)

    def choice(self, value: Any, path: Path, allowed: tuple[str, ...], what: str) -> str:
        if value not in allowed:
            import difflib

            close = difflib.get_close_matches(str(value), allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"
            self.fail(path, f"invalid {what} {value!r}", hint)
        return value

    def config(self, data: Any, config: Config) -> Config:
        data = self.mapping(data, (), _TOP_KEYS, "the config")
        if "fail-on" in data:
            config.fail_on = self.choice(data["fail-on"], ("fail-on",), FAIL_ON, "fail-on")
        if "inline-ignores" in data:
            config.inline_ignores = self.boolean(data, "inline-ignores")
        for key in ("k8s-version", "target-version"):
            if key in data:
                setattr(config, key.replace("-", "_"), self.version(data[key], (key,), key))
        if "strict" in data:
            config.strict = self.boolean(data, "strict")
        if "render" in data:
            config.render = self.boolean(data, "render")
        if "repo-urls" in data:
            config.repo_urls = self.strings(data["repo-urls"], ("repo-urls",), "repo-urls")
        if "repo-path" in data:
            value = data["repo-path"]
            if not isinstance(value, str) or ".." in value.split("/"):
                self.fail(("repo-path",), "repo-path must be a folder path inside the repository",
                          "e.g. clusters/acme")
            config.repo_path = value.strip("/")
        if "charts-dir" in data:
            value = self.strings(data["charts-dir"], ("charts-dir",), "charts-dir")
            if len(value) != 1:
                self.fail(("charts-dir",), "charts-dir must be one folder")
            config.charts_dir = os.path.join(os.path.dirname(os.path.abspath(self.file)),
                                             os.path.expanduser(value[0]))
        if "clusters" in data:
            if not isinstance(data["clusters"], list):
                self.fail(("clusters",), "clusters must be a list of {applications, k8s-version}")
            config.clusters = tuple(self.cluster(entry, ("clusters", i))
                                    for i, entry in enumerate(data["clusters"]))
        if "ignore-missing-schemas" in data:
            config.ignore_missing_schemas = self.boolean(data, "ignore-missing-schemas")
        root = os.path.dirname(os.path.abspath(self.file))
        for key in ("crds", "schema-locations"):
            if key in data:
                values = self.strings(data[key], (key,), key)
                setattr(config, key.replace("-", "_"), tuple(
                    v if "://" in v or os.path.isabs(v) else os.path.join(root, v)
                    for v in values))
        rules = self.mapping(data.get("rules", {}), ("rules",),
                             tuple(self.rules) + tuple(r.name for r in self.rules.values()),
                             "rules") if "rules" in data else {}
        for reference, setting in rules.items():
            rule = resolve(str(reference), self.rules)
            config.rules[rule.code] = self.rule_setting(rule, setting, ("rules", reference))
        excludes = data.get("exclude", [])
        if not isinstance(excludes, list):
            self.fail(("exclude",), "exclude must be a list of exclusions")
        config.exclusions = [self.exclusion(entry, ("exclude", i))
                             for i, entry in enumerate(excludes)]
        return config

    def version(self, value: Any, path: Path, key: str) -> str:
        if not isinstance(value, str) or not re.fullmatch(r"v?\d+\.\d+(\.\d+)?", value):
            self.fail(path, f"{key} must be a version such as \"1.31\" (quoted)")
        return value

    def cluster(self, value: Any, path: Path) -> ClusterVersion:
        from gitops_gen.lint.config_entries import ClusterVersion

        value = self.mapping(value, path, _CLUSTER_KEYS, "a cluster")
        for key in _CLUSTER_KEYS:
            if key not in value:
                self.fail(path, f"a cluster needs {key}",
                          "e.g. {applications: [\"prod-*\"], k8s-version: \"1.33\"}")
        return ClusterVersion(
            self.strings(value["applications"], path + ("applications",), "applications"),
            self.version(value["k8s-version"], path + ("k8s-version",), "k8s-version"))

    def boolean(self, data: dict, key: str) -> bool:
        if not isinstance(data[key], bool):
            self.fail((key,), f"{key} must be true or false")
        return data[key]

    def rule_setting(self, rule: Rule, value: Any, path: Path) -> RuleSetting:
        from gitops_gen.lint.config_entries import RuleSetting

        if isinstance(value, bool):
            return RuleSetting(enabled=value)
        value = self.mapping(value, path, _RULE_KEYS, f"rule {rule.code} ({rule.name})")
        setting = RuleSetting()
        if "enabled" in value:
            if not isinstance(value["enabled"], bool):
                self.fail(path + ("enabled",), "enabled must be true or false")
            setting.enabled = value["enabled"]
        if "severity" in value:
            setting.severity = Severity(self.choice(value["severity"], path + ("severity",),
                                                    tuple(s.value for s in Severity), "severity"))
        if "options" in value:
            options = self.mapping(value["options"], path + ("options",), tuple(rule.options),
                                   f"options of {rule.code}")
            for name, option_value in options.items():
                problem = rule.options[name].validate(option_value)
                if problem:
                    self.fail(path + ("options", name), f"option {name} of {rule.code}: {problem}")
            setting.options = dict(options)
        return setting

    def exclusion(self, value: Any, path: Path) -> Exclusion:
        from gitops_gen.lint.config_entries import Exclusion

        value = self.mapping(value, path, _EXCLUDE_KEYS, "an exclusion")
        if not any(k in value for k in _EXCLUDE_KEYS[:5]):
            self.fail(path, "an exclusion needs at least one of " + ", ".join(_EXCLUDE_KEYS[:5]))
        rules: set[str] = set()
        for i, reference in enumerate(self.strings(value.get("rules", []), path + ("rules",),
                                                   "rules")):
            rule = resolve(reference, self.rules)
            if rule is None:
                close = suggest(reference, self.rules)
                self.fail(path + ("rules", i) if isinstance(value["rules"], list) else
                          path + ("rules",), f"unknown rule {reference!r}",
                          f"did you mean {close!r}?" if close else "see `gitops-gen rules`")
            rules.add(rule.code)
        reason = value.get("reason", "")
        if not isinstance(reason, str):
            self.fail(path + ("reason",), "reason must be a string")
        return Exclusion(
            paths=self.strings(value.get("paths", []), path + ("paths",), "paths"),
            kinds=self.strings(value.get("kinds", []), path + ("kinds",), "kinds"),
            namespaces=self.strings(value.get("namespaces", []), path + ("namespaces",),
                                    "namespaces"),
            names=self.strings(value.get("names", []), path + ("names",), "names"),
            rules=frozenset(rules), reason=reason)


def _type_name(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "nothing"}.get(type(value), "a value")


@lru_cache(maxsize=512)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """A path glob as a regex: `**` spans folders, `*` and `?` stay inside one.

    A pattern without `/` matches a file or folder name at any depth, as in .gitignore.
    """
    anchored = "/" in pattern.rstrip("/")
    pattern = pattern.strip("/")
    parts, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        elif pattern[i] == "*":
            parts.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            parts.append("[^/]")
            i += 1
        else:
            parts.append(re.escape(pattern[i]))
            i += 1
    body = "".join(parts)
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile(f"^{prefix}{body}(?:/.*)?$")


def path_matches(patterns: tuple[str, ...], path: str) -> bool:
    return any(glob_regex(p).match(path) for p in patterns)


def name_matches(patterns: tuple[str, ...], value: str | None) -> bool:
    return any(fnmatch.fnmatchcase(value or "", p) for p in patterns)
