"""Kubernetes' own schemas: the files of the kubernetes-validate package, read from disk (the
package is never imported).

Each version has two folders (strict and not) holding one standalone schema per type
(`deployment-apps-v1.json`) whose `$ref`s point into `_definitions.json`, 1.6 MB of about 770
definitions. A validator gets only the definitions its schema reaches: they are cut out of that
file's text and parsed one by one, so linting one Deployment parses a tenth of the file.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
from typing import Any, Iterator

from gitops_gen.errors import UserError

DEFINITIONS_ID = "https://kubernetes.io/api/_definitions.json"
DEFINITIONS_FILE = "_definitions.json"
BUILTIN_GROUPS = frozenset({
    "", "apps", "autoscaling", "batch", "extensions", "policy",
    "admissionregistration.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io",
    "authentication.k8s.io", "authorization.k8s.io", "certificates.k8s.io",
    "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io",
    "flowcontrol.apiserver.k8s.io", "internal.apiserver.k8s.io", "networking.k8s.io",
    "node.k8s.io", "rbac.authorization.k8s.io", "resource.k8s.io", "scheduling.k8s.io",
    "storage.k8s.io", "storagemigration.k8s.io"})
"""The API groups the Kubernetes API server serves itself. Other groups, including those that
end in .k8s.io (Gateway API's gateway.networking.k8s.io, snapshot.storage.k8s.io, the
autoscaling.k8s.io of the VerticalPodAutoscaler, *.x-k8s.io), come from CRDs."""

_REFERENCE_PREFIXES = ("/api/_definitions.json#/$defs/", f"{DEFINITIONS_ID}#/$defs/")
"""How a type's schema names a definition (resolved against its `$id`, kubernetes.io/api/...)."""
_DEFINITIONS_OPENING = b'{\n  "$defs": {\n'
_DEFINITION_KEY = b'\n    "io.k8s.'
"""The file is JSON indented by two spaces: a line indented by four that opens a string is the
name of a definition (deeper keys are indented further; strings never hold a raw newline). All
names start with io.k8s.: an entry that does not is read as part of the one before it, which then
fails to parse as one definition, and the whole file is used."""
_NAME_START = len(b'    "')
_LOCAL_REFERENCE = re.compile(rb'"\$ref": "#/\$defs/([^"\\]*)"')
"""A `$ref` to another definition, in a definition's text (`"$ref"` may also be a property name,
whose value is an object)."""
_DEFINITIONS_CLOSING = b"\n  }"


def schemas_root() -> str:
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise UserError("the kubernetes-validate package is not installed",
                        hint="reinstall gitops-gen; it depends on kubernetes-validate")
    return os.path.join(list(spec.submodule_search_locations)[0], "kubernetes-json-schema")


def available_versions() -> list[str]:
    """Kubernetes minor versions with bundled schemas, oldest first ("1.25", ...)."""
    return list(_versions())


@functools.lru_cache(maxsize=None)
def _versions() -> tuple[str, ...]:
    found = set()
    for name in os.listdir(schemas_root()):
        match = re.fullmatch(r"v(\d+)\.(\d+)\.\d+-local", name)
        if match:
            found.add((int(match[1]), int(match[2])))
    return tuple(f"{major}.{minor}" for major, minor in sorted(found))


def resolve_version(version: str) -> str:
    """'1.30' or '1.30.4' -> '1.30'; anything else, or a version without schemas, is an error."""
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", version.strip())
    available = available_versions()
    minor = f"{match[1]}.{match[2]}" if match else None
    if minor not in available:
        raise UserError(f"no schemas for Kubernetes version {version!r}",
                        hint=f"available: {', '.join(available)}")
    return minor


def kind_suffix(api_version: str) -> str:
    """kubeconform's KindSuffix: 'apps/v1' -> '-apps-v1', 'networking.k8s.io/v1' ->
    '-networking-v1', 'v1' -> '-v1'."""
    group, _, version = api_version.rpartition("/")
    return f"-{group.split('.', 1)[0]}-{version}" if group else f"-{version}"


def is_builtin_group(api_version: str) -> bool:
    return api_version.rpartition("/")[0] in BUILTIN_GROUPS


@functools.lru_cache(maxsize=None)
def builtin_dir(version: str, strict: bool) -> str:
    return os.path.join(schemas_root(), f"v{version}.0-local{'-strict' if strict else ''}")


@functools.lru_cache(maxsize=None)
def builtin_files(folder: str) -> frozenset[str]:
    return frozenset(os.listdir(folder))


def type_file(api_version: str, kind: str) -> str:
    return f"{kind.lower()}{kind_suffix(api_version)}.json"


@functools.lru_cache(maxsize=None)
def served_schema(folder: str, api_version: str, kind: str) -> dict | None:
    """The schema of a kind the API server serves itself, or None (a custom resource, a type
    inside other objects such as `PodSpec`, a request body such as `DeleteOptions`, a typo).

    Served is what the type's own file says: it names the group-version-kind and has object
    metadata (list metadata for a List), as `served_kinds` reads the definitions.
    """
    file = type_file(api_version, kind)
    if not is_builtin_group(api_version) or file not in builtin_files(folder):
        return None
    with open(os.path.join(folder, file), encoding="utf-8") as handle:
        schema = json.load(handle)
    group, _, version = api_version.rpartition("/")
    named = any(gvk.get("group", "") == group and gvk.get("version", "") == version and
                gvk.get("kind", "") == kind
                for gvk in schema.get("x-kubernetes-group-version-kind") or ())
    return schema if named and _has_object_metadata(schema, kind.endswith("List")) else None


def _has_object_metadata(definition: dict, is_list: bool) -> bool:
    metadata = definition.get("properties", {}).get("metadata", {})
    reference = metadata.get("$ref", "") if isinstance(metadata, dict) else ""
    return reference.endswith(".ObjectMeta") or (is_list and reference.endswith(".ListMeta"))


@functools.lru_cache(maxsize=None)
def definitions(folder: str) -> dict:
    """The whole `_definitions.json` of a folder, parsed (for messages about unknown kinds)."""
    with open(os.path.join(folder, DEFINITIONS_FILE), encoding="utf-8") as handle:
        return json.load(handle)


@functools.lru_cache(maxsize=None)
def served_kinds(folder: str) -> frozenset[tuple[str, str]]:
    """(apiVersion, kind) of every object the API server serves, from the definitions: those
    with a group-version-kind and object metadata, and their lists (not `PodSpec` and other
    types, nor `DeleteOptions` and other request bodies)."""
    served = set()
    for name, definition in definitions(folder)["$defs"].items():
        if not _has_object_metadata(definition, name.endswith("List")):
            continue
        for gvk in definition.get("x-kubernetes-group-version-kind") or ():
            group, version = gvk.get("group", ""), gvk.get("version", "")
            served.add((f"{group}/{version}" if group else version, gvk.get("kind", "")))
    return frozenset(served)


def registry(folder: str, schema: Any) -> Any:
    """A jsonschema-rs registry holding the definitions `schema` reaches (all of them when a
    `$ref` is not one this module follows, or the file is not laid out as expected)."""
    import jsonschema_rs

    document = _reached_definitions(folder, schema)
    if document is None:
        document = definitions(folder)
    return jsonschema_rs.Registry([(DEFINITIONS_ID, document)])


def _reached_definitions(folder: str, schema: Any) -> dict | None:
    """`_definitions.json` with only the definitions `schema` reaches, or None."""
    text = _definitions_text(folder)
    if text is None:
        return None
    wanted = []
    for reference in _references(schema):
        name = next((reference[len(p):] for p in _REFERENCE_PREFIXES
                     if reference.startswith(p)), None)
        if name is None and not reference.startswith("#"):
            return None  # a reference into another document: let the full registry tell
        if name is not None:
            wanted.append(name)
    reached: dict[str, Any] = {}
    while wanted:
        name = wanted.pop()
        if name in reached:
            continue
        found = text.definition(name)
        if found is None:
            return None
        reached[name], references = found
        wanted.extend(references)
    return {"$defs": reached, **text.trailer}


def _references(node: Any) -> Iterator[str]:
    """Every `$ref` string in a schema."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


class _DefinitionsText:
    """The text of one `_definitions.json`, from which definitions are parsed one at a time."""

    def __init__(self, text: bytes, spans: dict[str, tuple[int, int]], trailer: dict) -> None:
        self.text = text
        self.spans = spans
        self.trailer = trailer
        """The keys after `$defs` ($schema and $id)."""
        self.parsed: dict[str, tuple[Any, list[str]]] = {}

    def definition(self, name: str) -> tuple[Any, list[str]] | None:
        """One definition, parsed, and the names of those it refers to; None when it is not
        there, or refers to something else than another definition."""
        if name not in self.parsed:
            span = self.spans.get(name)
            if span is None:
                return None
            entry = self.text[span[0]:span[1]].rstrip().rstrip(b",")
            try:
                parsed = json.loads(b"{" + entry + b"}")
            except ValueError:
                return None
            references = [m.decode() for m in _LOCAL_REFERENCE.findall(entry)]
            if list(parsed) != [name] or entry.count(b'"$ref": "') != len(references):
                return None
            self.parsed[name] = (parsed[name], references)
        return self.parsed[name]


@functools.lru_cache(maxsize=None)
def _definitions_text(folder: str) -> _DefinitionsText | None:
    """A folder's definitions file, or None when it is not laid out as expected."""
    with open(os.path.join(folder, DEFINITIONS_FILE), "rb") as handle:
        text = handle.read()
    closing = text.rfind(_DEFINITIONS_CLOSING)
    if not text.startswith(_DEFINITIONS_OPENING) or closing < 0:
        return None
    starts = []
    position = text.find(_DEFINITION_KEY, len(_DEFINITIONS_OPENING) - 2)
    while 0 <= position < closing:
        starts.append(position + 1)
        position = text.find(_DEFINITION_KEY, position + len(_DEFINITION_KEY))
    spans = {}
    for start, end in zip(starts, starts[1:] + [closing]):
        name_end = text.find(b'"', start + _NAME_START)
        spans[text[start + _NAME_START:name_end].decode()] = (start, end)
    try:
        trailer = json.loads(b"{" + text[closing + len(_DEFINITIONS_CLOSING):].lstrip(b","))
    except ValueError:
        return None
    return _DefinitionsText(text, spans, trailer) if isinstance(trailer, dict) else None
