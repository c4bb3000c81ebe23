"""Schema validation of Kubernetes objects, in-process, with jsonschema-rs.

Built-in kinds use the JSON schemas shipped in the kubernetes-validate package (read by
`gitops_gen.schema.builtin`, whose version and kind helpers this module re-exports); custom
resources use the CRD schemas bundled with gitops-gen, CRDs given with `--crd` or found in the
linted tree, and kubeconform-style `--schema-location` folders. Each schema is compiled once per
run. Errors come back as paths into the object with plain messages; the engine turns the paths
into line and column.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from gitops_gen.errors import UserError
from gitops_gen.lazyre import lazy
from gitops_gen.lint.model import Path
from gitops_gen.schema.builtin import (BUILTIN_GROUPS, available_versions, builtin_dir,
                                       builtin_files, definitions, is_builtin_group, kind_suffix,
                                       registry, resolve_version, served_kinds, served_schema)

__all__ = ["BUILTIN_GROUPS", "SchemaProblem", "SchemaSettings", "SchemaStore",
           "available_versions", "kind_suffix", "resolve_version", "unusable_pattern_notes"]

SCHEMA_VIOLATION, UNKNOWN_FIELD, UNKNOWN_KIND = "SCH001", "SCH002", "SCH003"
NOT_SERVED_GROUPS = frozenset({"kustomize.config.k8s.io"})
"""API groups of files read by tools, never sent to the API server: nothing to validate."""
_TEMPLATE_VARIABLE = lazy(r"\{\{\s*\.(\w+)\s*\}\}")
_SAFE_NAME = lazy(r"(?![.-])[A-Za-z0-9.-]+")
"""What a kind, an API group or a version may be when it becomes part of a schema's path."""
_DEFAULT_LAYOUT = "{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/" \
                  "{{ .ResourceKind }}{{ .KindSuffix }}.json"


@dataclass(slots=True, eq=False, repr=False)
class SchemaSettings:
    """Which schemas to validate against."""

    k8s_version: str
    strict: bool = True
    locations: tuple[str, ...] = ()


@dataclass(slots=True, eq=False, repr=False)
class SchemaProblem:
    """A schema finding: its rule code, message and path (`key`: at the key, not its value)."""

    code: str
    message: str
    path: Path
    key: bool = False


class SchemaStore:
    """Finds, compiles and caches the schema of each (apiVersion, kind) for one run."""

    def __init__(self, settings: SchemaSettings) -> None:
        self.settings = settings
        self.version = resolve_version(settings.k8s_version)
        self.builtin_dir = builtin_dir(self.version, settings.strict)
        self.builtin_files = builtin_files(self.builtin_dir)
        self.custom: dict[tuple[str, str], dict] = {}
        self._crds: dict[tuple[str, str], dict] = {}
        """CRDs registered but not converted yet, by the kinds they serve."""
        self._validators: dict[tuple[str, str], Any] = {}
        self.unusable: dict[tuple[str, str], str] = {}
        """Kinds whose CRD schema does not compile, and why."""
        self._usable: dict[tuple[str, str], Any] = {}
        """The validator of each kind checked already that is served and has a usable schema."""
        self.notes: list[tuple[str, int, int, str]] = []
        """(file, line, column, message) of CRD patterns from --crd files that are skipped."""
        for location in settings.locations:
            if "://" in location:
                raise UserError(f"--schema-location {location!r} is remote",
                                hint="gitops-gen works offline: give a local folder or template")

    def for_version(self, version: str) -> "SchemaStore":
        """A store for another Kubernetes version that shares this one's custom resources."""
        from dataclasses import replace

        store = SchemaStore(replace(self.settings, k8s_version=version))
        store.custom, store._crds = self.custom, self._crds
        return store

    # -- where schemas come from

    def add_crds(self, documents: Iterable[Any], origin: str = "") -> int:
        """Register the custom resources defined by CRD objects among `documents`."""
        from gitops_gen.schema import crd

        count = 0
        for definition in crd.crd_documents(documents):
            for key in crd.served_kinds(definition):
                self._crds[key] = definition  # converted when an object of the kind is met
                self.custom.pop(key, None)
                self._validators.pop(key, None)
                self._usable.pop(key, None)
                count += 1
        return count

    def _user_schema(self, api_version: str, kind: str) -> dict | None:
        """A schema from --schema-location, --crd or a CRD in the linted tree: these win."""
        for location in self.settings.locations:
            schema = self._from_location(location, api_version, kind)
            if schema is not None:
                return schema
        key = (api_version, kind)
        if key not in self.custom and key in self._crds:
            from gitops_gen.schema import crd

            definition = self._crds[key]
            try:
                converted = crd.crd_schemas(definition, strict=self.settings.strict)
            except ValueError:
                converted = {}
            for served, schema in converted.items():
                if self._crds.get(served) is definition:  # not overridden by a later CRD
                    self.custom[served] = schema
                    del self._crds[served]
            self._crds.pop(key, None)
        return self.custom.get(key)

    def _from_location(self, location: str, api_version: str, kind: str) -> dict | None:
        """The schema a `--schema-location` holds for a kind, or None. The path is built from
        the object's apiVersion and kind, so both must be plain names: never a path that
        leaves the location's folder."""
        template = location if "{{" in location else os.path.join(location, _DEFAULT_LAYOUT)
        group, _, version = api_version.rpartition("/")
        if not all(_SAFE_NAME.fullmatch(name) for name in (kind, version)) or \
                (group and not _SAFE_NAME.fullmatch(group)):
            return None
        values = {"NormalizedKubernetesVersion": f"v{self.version}.0",
                  "StrictSuffix": "-strict" if self.settings.strict else "",
                  "ResourceKind": kind.lower(), "ResourceAPIVersion": version,
                  "Group": group, "KindSuffix": kind_suffix(api_version)}
        path = _TEMPLATE_VARIABLE.sub(lambda m: values.get(m[1], m[0]), template)
        if not os.path.isfile(path):
            return None
        try:
            with open(path, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError, RecursionError) as error:
            raise UserError(f"cannot read schema {path}: {error}",
                            hint="fix or remove the file") from None

    def validator(self, api_version: str, kind: str) -> tuple[Any, dict] | None:
        """The compiled validator of a kind and its schema, or None when no schema is known."""
        key = (api_version, kind)
        try:
            return self._validators[key]
        except KeyError:
            schema = self._user_schema(api_version, kind)
            if schema is None:
                compiled = _standard_validator(self.builtin_dir, self.settings.strict,
                                               api_version, kind)
            else:
                try:
                    compiled = (_compile(self.builtin_dir, _pattern_schema(schema)), schema)
                except Exception as error:  # jsonschema_rs.ValidationError: e.g. maxLength: abc
                    self.unusable[key] = str(error).splitlines()[0]
                    compiled = None
            self._validators[key] = compiled
            return compiled

    # -- checking

    def check(self, api_version: str, kind: str, obj: dict,
              source: Callable[[Path], str | None]) -> Iterable[SchemaProblem]:
        """Schema problems of one object; `source(path)` gives a scalar's text as written.
        Empty (falsy) for most objects: those valid against a schema checked before."""
        validator = self._usable.get((api_version, kind))
        if validator is not None:
            try:
                if validator.is_valid(obj):
                    return ()
            except ValueError:  # keys that are not strings: see _problems
                pass
        return self._problems(api_version, kind, obj, source)

    def _problems(self, api_version: str, kind: str, obj: dict,
                  source: Callable[[Path], str | None]) -> Iterator[SchemaProblem]:
        if api_version.split("/")[0] in NOT_SERVED_GROUPS:
            return
        compiled = self.validator(api_version, kind)
        if (api_version, kind) in self.unusable:
            yield SchemaProblem(UNKNOWN_KIND, f"no usable schema for {api_version} {kind}: the "
                                f"schema its CRD gives is invalid "
                                f"({self.unusable[(api_version, kind)]}); fix the CRD",
                                ("apiVersion",))
            return
        if compiled is None:
            if not self._removed(api_version, kind):  # API001 reports it, with its replacement
                yield SchemaProblem(UNKNOWN_KIND, self._unknown_kind_message(api_version, kind),
                                    ("apiVersion",))
            return
        validator, schema = compiled
        self._usable[(api_version, kind)] = validator
        try:
            if validator.is_valid(obj):  # most objects: nothing more to do
                return
            errors = list(validator.iter_errors(obj))
        except ValueError:  # keys that are not strings: read them as Kubernetes does
            obj = _string_keys(obj)
            errors = [] if validator.is_valid(obj) else list(validator.iter_errors(obj))
        custom = not self._serves(api_version, kind)
        for error in errors:
            if custom and _pruned_null(error):
                continue
            yield from self._explain(error, schema, source)

    def _serves(self, api_version: str, kind: str) -> bool:
        """Whether the API server of this version serves the kind itself (not from a CRD)."""
        return served_schema(self.builtin_dir, api_version, kind) is not None

    def _explain(self, error: Any, schema: dict,
                 source: Callable[[Path], str | None]) -> Iterator[SchemaProblem]:
        path = tuple(error.instance_path)
        kind = error.kind
        name = type(kind).__name__
        where = _json_path(path)
        if name == "AdditionalProperties":
            import difflib

            allowed = self._properties_at(schema, list(error.schema_path)[:-1])
            for field in kind.unexpected:
                close = difflib.get_close_matches(field, allowed, n=1, cutoff=0.6)
                hint = f" - did you mean {close[0]!r}?" if close else ""
                yield SchemaProblem(UNKNOWN_FIELD, f"unknown field {where + '.' if where else ''}"
                                    f"{field}{hint}", path + (field,), key=True)
        elif name == "Required":
            yield SchemaProblem(SCHEMA_VIOLATION, f"missing required field "
                                f"{where + '.' if where else ''}{kind.property}", path)
        elif name == "Type":
            yield SchemaProblem(SCHEMA_VIOLATION,
                                _type_message(where, error.instance, kind.types, source(path)),
                                path)
        elif name == "Pattern":  # name the pattern as the CRD writes it (Go syntax)
            from gitops_gen.schema.patterns import original

            yield SchemaProblem(SCHEMA_VIOLATION, f"{where or 'the object'}: "
                                f"{json.dumps(error.instance)} does not match "
                                f"{json.dumps(original(kind.pattern))}", path)
        else:
            yield SchemaProblem(SCHEMA_VIOLATION, f"{where or 'the object'}: {error.message}", path)

    def _properties_at(self, schema: dict, schema_path: list) -> list[str]:
        """Property names of the subschema at `schema_path` (which may start in $defs)."""
        node: Any = definitions(self.builtin_dir) if schema_path[:1] == ["$defs"] else schema
        for part in schema_path:
            if isinstance(node, dict):
                node = node.get(part)
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                return []
        return list(node.get("properties", {})) if isinstance(node, dict) else []

    def _removed(self, api_version: str, kind: str) -> bool:
        from gitops_gen.versions import REMOVED, lifecycle_of, parse_minor, status_at

        row = lifecycle_of(api_version, kind)
        return row is not None and status_at(row, parse_minor(self.version)) == REMOVED

    def _unknown_kind_message(self, api_version: str, kind: str) -> str:
        text = f"no schema for {api_version} {kind} in Kubernetes {self.version}"
        if not is_builtin_group(api_version):
            return f"{text}: a custom resource; give its CRD with --crd or lint it with its CRD"
        later = self._served_from(api_version, kind)
        if later:
            return (f"{text}: not served yet in {self.version} (served from Kubernetes {later}); "
                    "raise --k8s-version or use an API the cluster serves")
        served = served_kinds(self.builtin_dir)
        elsewhere = sorted(v for v, k in served if k == kind)
        if elsewhere:
            return f"{text}: {kind} is served as {' or '.join(elsewhere)}"
        kinds = {k.lower(): k for v, k in served
                 if v == api_version and (kind.endswith("List") or not k.endswith("List"))}
        import difflib

        close = difflib.get_close_matches(kind.lower(), list(kinds), n=1, cutoff=0.75)
        if close:
            return f"{text}: did you mean a different kind ({kinds[close[0]]})?"
        if f"{kind.lower()}{kind_suffix(api_version)}.json" in self.builtin_files:
            return f"{text}: {kind} is a type inside other objects, not a kind the API serves"
        return f"{text}: check the apiVersion and kind for typos"

    def _served_from(self, api_version: str, kind: str) -> str | None:
        """The first later Kubernetes version with bundled schemas that serves the kind."""
        current = tuple(map(int, self.version.split(".")))
        for version in available_versions():
            if tuple(map(int, version.split("."))) > current and (api_version, kind) in \
                    served_kinds(builtin_dir(version, self.settings.strict)):
                return version
        return None


def _pruned_null(error: Any) -> bool:
    """A null field of a custom resource: the API server prunes it before validating."""
    path = list(error.instance_path)
    return error.instance is None and bool(path) and isinstance(path[-1], str)


def _compile(folder: str, schema: dict) -> Any:
    import jsonschema_rs

    return jsonschema_rs.validator_for(schema, registry=registry(folder, schema),
                                       validate_formats=False)


@functools.lru_cache(maxsize=2048)
def _standard_validator(folder: str, strict: bool, api_version: str,
                        kind: str) -> tuple[Any, dict] | None:
    """Kubernetes' own kinds and the bundled CRDs: compiled once per process."""
    schema = served_schema(folder, api_version, kind)
    if schema is None:
        from gitops_gen.schema import crd

        schema = crd.bundled_schema(api_version, kind, strict=strict)
        schema = None if schema is None else _pattern_schema(schema)
    return None if schema is None else (_compile(folder, schema), schema)


def unusable_pattern_notes(parsed: Any) -> Iterator[tuple[int, int, str]]:
    """(line, column, message) of each CRD pattern in a parsed file that cannot be checked."""
    from gitops_gen.schema.crd import unusable_patterns

    for number, path, pattern in unusable_patterns(parsed.documents):
        yield (*parsed.locate(number, path), f"pattern {pattern!r} cannot be checked here (it "
               "uses Go regular expression syntax gitops-gen cannot translate): the field is "
               "validated without it")


def _pattern_schema(schema: Any) -> Any:
    """A copy of a custom resource's JSON schema (from a CRD, directly or through
    --schema-location) whose Go patterns read as Go reads them; those that cannot are left out
    (SCH004 reports them in the CRDs)."""
    from gitops_gen.schema.patterns import go_pattern

    if isinstance(schema, list):
        return [_pattern_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "pattern" and isinstance(value, str):
            translated = go_pattern(value)
            if translated is not None:
                out[key] = translated
        else:
            out[key] = _pattern_schema(value)
    return out


def _string_keys(value: Any) -> Any:
    """Mapping keys as JSON strings (1 -> "1", true -> "true"), as Kubernetes converts YAML."""
    if isinstance(value, dict):
        return {(k if isinstance(k, str) else json.dumps(k)): _string_keys(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_string_keys(v) for v in value]
    return value


_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array",
               dict: "object", type(None): "null"}
_YAML11_BOOLEANS = frozenset("y Y yes Yes YES n N no No NO on On ON off Off OFF".split())


def _type_message(where: str, value: Any, types: Any, written: str | None) -> str:
    wanted = [str(getattr(t, "value", t)).rsplit(".", 1)[-1].lower() for t in
              (types if isinstance(types, (list, tuple)) else [types])]
    wanted = [t for t in wanted if t != "null"] or wanted
    got = _JSON_TYPES.get(type(value), "value")
    shown = json.dumps(value) if not isinstance(value, (dict, list)) else got
    message = f"{where}: expected {' or '.join(wanted)}, got {got} {shown}"
    if isinstance(value, bool) and "string" in wanted and written in _YAML11_BOOLEANS:
        message += (f" (unquoted {written!r} is a boolean in YAML 1.1, which Kubernetes reads;"
                    f" quote it: \"{written}\")")
    elif isinstance(value, (int, float)) and "string" in wanted:
        message += f" (quote it to make it a string: \"{written or value}\")"
    return message


def _json_path(path: Path) -> str:
    from gitops_gen.lint.model import format_path

    return format_path(path)
