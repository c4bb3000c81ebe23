"""Argo CD's matching rules, as its controller applies them: globs, repository URLs, what an
AppProject permits, and how an object is identified in a cluster.

The AppProject checks follow argo-cd's `pkg/apis/application/v1alpha1` (`IsSourcePermitted`,
`isDestinationMatched`, `IsGroupKindNamePermitted`, `isResourceInList`,
`isNamedResourceInList`) and `util/git.NormalizeGitURL`.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Iterable, NamedTuple

from gitops_gen.lint.k8s import CLUSTER_SCOPED_KINDS, mapping, sequence

CRD_KIND = "CustomResourceDefinition"
IN_CLUSTER_NAME = "in-cluster"
"""The name Argo CD gives the cluster it runs in (server https://kubernetes.default.svc)."""
_SSH_URL = re.compile(r"^(ssh://)?([^/:]*?)@[^@]+$")


class ObjectKey(NamedTuple):
    """An object as a cluster knows it; `namespace` is None for cluster-scoped kinds."""

    group: str
    kind: str
    namespace: str | None
    name: str

    def __str__(self) -> str:
        kind = f"{self.kind}.{self.group}" if self.group else self.kind
        return f"{kind} {self.namespace}/{self.name}" if self.namespace else f"{kind} {self.name}"


def api_group(api_version: Any) -> str:
    """The API group of an apiVersion: `apps/v1` -> `apps`, `v1` -> `` (core)."""
    text = str(api_version or "")
    return text.split("/", 1)[0] if "/" in text else ""


def written_namespace(obj: dict) -> str | None:
    namespace = mapping(obj.get("metadata")).get("namespace")
    return str(namespace) if namespace else None


def object_key(obj: dict, default_namespace: str | None, cluster_kinds: frozenset[str]
               ) -> ObjectKey:
    """The object's identity once applied: a namespaced object without a namespace lands in
    `default_namespace` (the Application's destination namespace)."""
    kind = str(obj.get("kind") or "")
    namespace = None if kind in cluster_kinds else written_namespace(obj) or default_namespace
    return ObjectKey(api_group(obj.get("apiVersion")), kind, namespace,
                     str(mapping(obj.get("metadata")).get("name") or ""))


def cluster_scoped_kinds(objects: Iterable[dict]) -> frozenset[str]:
    """CLUSTER_SCOPED_KINDS and the kinds of the cluster-scoped CRDs among `objects`."""
    kinds = set(CLUSTER_SCOPED_KINDS)
    for obj in objects:
        spec = mapping(obj.get("spec")) if obj.get("kind") == CRD_KIND else {}
        if spec.get("scope") == "Cluster" and mapping(spec.get("names")).get("kind"):
            kinds.add(str(spec["names"]["kind"]))
    return frozenset(kinds)


def sync_options(obj: dict) -> list[str]:
    """The options of an object's `argocd.argoproj.io/sync-options` annotation."""
    return annotation_values(obj, "argocd.argoproj.io/sync-options")


def annotation_values(obj: dict, name: str) -> list[str]:
    """A comma-separated annotation's values, trimmed (as Argo CD's GetAnnotationCSVs)."""
    value = mapping(mapping(obj.get("metadata")).get("annotations")).get(name)
    return [v.strip() for v in str(value).split(",") if v.strip()] if value is not None else []


def option_value(options: Iterable[str], key: str) -> str | None:
    """The value of `key=value` among sync options, or None."""
    return next((o.split("=", 1)[1] for o in options if o.startswith(key + "=")), None)


# -- globs


def glob_match(pattern: str, text: str, separators: str = "") -> bool:
    """Argo CD's `glob.Match` (gobwas/glob): `*` and `?` stop at `separators`, `**` does not,
    `[a-z]`, `[!a]` and `{a,b}`. A pattern that does not compile matches nothing."""
    compiled = _glob(pattern, separators, True, "!")
    return compiled is not None and compiled.fullmatch(text) is not None


def path_match(pattern: str, text: str) -> bool:
    """Go's `filepath.Match` (the AppProject resource lists): `*`, `?`, `[a-z]`, `[^a]`."""
    compiled = _glob(pattern, "/", False, "^")
    return compiled is not None and compiled.fullmatch(text) is not None


@functools.lru_cache(maxsize=1024)
def _glob(pattern: str, separators: str, braces: bool, negation: str) -> re.Pattern | None:
    one = f"[^{re.escape(separators)}]" if separators else "."
    out: list[str] = []
    depth, i = 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if i + 1 == len(pattern):
                return None
            out.append(re.escape(pattern[i + 1]))
            i += 1
        elif char == "*":
            if braces and pattern.startswith("**", i):  # gobwas' super-asterisk
                out.append(".*")
                i += 1
            else:
                out.append(one + "*")
        elif char == "?":
            out.append(one)
        elif char == "[":
            end = pattern.find("]", i + 2)
            body = pattern[i + 1:end]
            negate = body[:1] == negation
            body = body[negate:]
            if end < 0 or not body:
                return None
            out.append("[" + "^" * negate
                       + "".join(c if c == "-" else re.escape(c) for c in body) + "]")
            i = end
        elif braces and char == "{":
            out.append("(?:")
            depth += 1
        elif braces and depth and char == ",":
            out.append("|")
        elif braces and depth and char == "}":
            out.append(")")
            depth -= 1
        else:
            out.append(re.escape(char))
        i += 1
    try:
        return None if depth else re.compile("".join(out), re.DOTALL)
    except re.error:
        return None


def _argo_glob(pattern: str, value: str, separators: str = "") -> bool:
    """Argo CD's project `globMatch`: a `!pattern` matches what the pattern does not."""
    if pattern.startswith("!"):
        return not glob_match(pattern[1:], value, separators)
    return pattern == "*" or glob_match(pattern, value, separators)


# -- AppProject permissions


def normalize_git_url(url: str) -> str:
    """Argo CD's `NormalizeGitURL`: lower case, scp-style SSH as a path, no `.git`, no `ssh://`."""
    url = url.strip().lower()
    if _SSH_URL.match(url) and not url.startswith("ssh://"):
        url = "ssh://" + url.replace(":", "/", 1)
    return url.removesuffix(".git").removeprefix("ssh://")


def source_permitted(project: dict, repo_url: str) -> bool:
    """Whether the project's `sourceRepos` allow `repo_url` (`IsSourcePermitted`)."""
    wanted = normalize_git_url(repo_url)
    permitted = False
    for entry in sequence(mapping(project.get("spec")).get("sourceRepos")):
        entry = str(entry)
        deny = entry.startswith("!")
        pattern = "!" * deny + normalize_git_url(entry.removeprefix("!"))
        if _argo_glob(pattern, wanted, "/"):
            permitted = True
        elif deny:
            return False
    return permitted


def destination_permitted(project: dict, server: str | None, name: str | None,
                          namespace: str) -> bool:
    """Whether the project's `destinations` allow a cluster (server and/or name) and namespace
    (`isDestinationMatched`); a part of the cluster that is not known never matches."""
    permitted = False
    for item in sequence(mapping(project.get("spec")).get("destinations")):
        item = mapping(item)
        item_server, item_name = str(item.get("server") or ""), str(item.get("name") or "")
        item_namespace = str(item.get("namespace") or "")
        name_matched = bool(name) and _argo_glob(item_name, name or "")
        server_matched = bool(server) and _argo_glob(item_server, server or "")
        namespace_matched = _argo_glob(item_namespace, namespace)
        if (server_matched or name_matched) and namespace_matched:
            permitted = True
        elif ((not name_matched and item_name.startswith("!"))
              or (not server_matched and item_server.startswith("!") and namespace_matched)):
            return False
        elif not namespace_matched and item_namespace.startswith("!") and server_matched:
            return False
    return permitted


def resource_denial(project: dict, group: str, kind: str, name: str, namespaced: bool
                    ) -> str | None:
    """Which of the project's resource lists refuses an object (`IsGroupKindNamePermitted`):
    the whitelist it is missing from, the blacklist it is in, or None when it is allowed.
    An absent namespaced whitelist allows every namespaced kind, an empty one none; an absent
    or empty cluster whitelist allows no cluster-scoped kind."""
    spec = mapping(project.get("spec"))
    prefix = "namespaceResource" if namespaced else "clusterResource"
    whitelist = spec.get(prefix + "Whitelist")
    listed_name = None if namespaced else name
    if not (namespaced and whitelist is None) and not _in_list(
            sequence(whitelist), group, kind, listed_name):
        return prefix + "Whitelist"
    if _in_list(sequence(spec.get(prefix + "Blacklist")), group, kind, listed_name):
        return prefix + "Blacklist"
    return None


def _in_list(entries: list, group: str, kind: str, name: str | None) -> bool:
    """`isResourceInList` (name None) and `isNamedResourceInList`."""
    for entry in entries:
        entry = mapping(entry)
        if not (path_match(str(entry.get("kind") or ""), kind)
                and path_match(str(entry.get("group") or ""), group)):
            continue
        if name is None or not entry.get("name") or path_match(str(entry["name"]), name):
            return True
    return False
