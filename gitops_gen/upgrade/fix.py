"""`fix`: rewrite removed apiVersions in place with ruamel.yaml's round-trip mode.

Only the documents that change are re-emitted; the others keep their bytes. A rewritten file
must validate against the target version's schema, or it is left as it was and reported.
"""

from __future__ import annotations

import difflib
import io
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache

from gitops_gen import versions
from gitops_gen.upgrade.migrate import Migration, migrate

FIXED, WOULD_FIX, REFUSED, MANUAL, HELM = "fixed", "would fix", "refused", "manual", "helm"
_SEPARATOR = re.compile(r"^(?:---|\.\.\.)(?:[ \t].*)?$", re.MULTILINE)
_INDENTS = ((2, 2, 0), (2, 4, 2), (4, 4, 0), (4, 6, 2), (4, 4, 2), (3, 3, 0), (2, 3, 1))
"""(mapping, sequence, offset) indentations tried, in this order, to re-emit a document."""


@dataclass
class FileFix:
    file: str
    status: str = ""
    """FIXED, WOULD_FIX, REFUSED (the result would not validate), HELM (a chart's file:
    change it by hand), or '' when nothing needed fixing."""
    migrations: list[Migration] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Why the file was refused, or what is left to migrate by hand (`line: message`)."""
    diff: str = ""


@lru_cache(maxsize=None)
def removed_api_versions(target: tuple[int, int]) -> frozenset[str]:
    """The apiVersions with a kind removed at `target`: a file naming none is not parsed."""
    return frozenset(row["api_version"] for row in versions.api_lifecycle()
                     if versions.status_at(row, target) == versions.REMOVED)


def fix_file(path: str, target_version: str, dry_run: bool, schemas) -> FileFix:
    """Fix one file (unless `dry_run`); `schemas` is the target version's SchemaStore."""
    result = FileFix(path)
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError:
        return result  # not text lint can read either (GG003)
    target = versions.parse_minor(target_version)
    if not any(api in raw for api in removed_api_versions(target)):
        return result
    newline = "\r\n" if "\r\n" in raw else "\n"
    text = raw.replace("\r\n", "\n")
    if in_helm_chart(path):
        result.status = HELM
        result.problems.append("a Helm chart's file: change it by hand (values files and "
                               "templates are not rewritten)")
        return result
    chunks = _SEPARATOR.split(text)
    separators = _SEPARATOR.findall(text)
    offset = 0
    changed = []
    for index, chunk in enumerate(chunks):
        fixed, migrations = _fix_document(chunk, target)
        for migration in migrations:
            line = migration.line + offset
            if migration.manual:
                result.problems.append(f"{line}: {migration.subject}: {migration.manual}")
            else:
                result.migrations.append(Migration(line, migration.subject, migration.change))
        if fixed is not None:
            chunks[index] = fixed
            changed.append(fixed)
        offset += chunk.count("\n")
    new_text = "".join(c + (f"{separators[i]}" if i < len(separators) else "")
                       for i, c in enumerate(chunks))
    if new_text == text:
        result.status = MANUAL if result.problems else ""
        return result
    invalid = [problem for document in changed for problem in _schema_problems(document, schemas)]
    if invalid:
        result.status = REFUSED
        result.problems = invalid + result.problems
        result.migrations = []
        return result
    new_raw = new_text.replace("\n", newline)
    result.diff = "".join(difflib.unified_diff(
        raw.splitlines(keepends=True), new_raw.splitlines(keepends=True),
        path, path))
    result.status = WOULD_FIX if dry_run else FIXED
    if not dry_run:
        _write(path, new_raw)
    return result


def in_helm_chart(path: str) -> bool:
    """Whether the file belongs to a Helm chart (a folder above it has a Chart.yaml)."""
    folder = os.path.dirname(os.path.abspath(path))
    while True:
        if os.path.isfile(os.path.join(folder, "Chart.yaml")):
            return True
        parent = os.path.dirname(folder)
        if parent == folder:
            return False
        folder = parent


def _yaml(indent: tuple[int, int, int]):
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=indent[0], sequence=indent[1], offset=indent[2])
    return yaml


def _dump(yaml, data) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _fix_document(chunk: str, target: tuple[int, int]) -> tuple[str | None, list[Migration]]:
    """The document's new text (None when unchanged) and what happened to its objects."""
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    if not any(api in chunk for api in removed_api_versions(target)):
        return None, []
    try:
        data = _yaml(_INDENTS[0]).load(chunk)
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        return None, [Migration(line, "document", manual=f"not rewritten: ruamel.yaml cannot "
                                f"read it ({getattr(error, 'problem', None) or error})")]
    if not isinstance(data, CommentedMap):
        return None, []
    objects = [data]
    if data.get("kind") == "List" and isinstance(data.get("items"), list):
        objects = [item for item in data["items"] if isinstance(item, CommentedMap)]
    migrations = [m for m in (migrate(obj, target) for obj in objects) if m is not None]
    if not any(m.change for m in migrations):
        return None, migrations
    text = _dump(_indentation(chunk), data)
    if chunk.startswith("\n") and not text.startswith("\n"):
        text = "\n" + text
    return text, migrations


def _written_indentation(chunk: str) -> tuple[int, int, int] | None:
    """(mapping, sequence, offset) as the first nested mapping and block sequence show them."""
    mapping = sequence = offset = None
    previous = None
    for line in chunk.splitlines():
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(stripped)
        if previous is not None and previous[1].rstrip().endswith(":"):
            if stripped.startswith("- ") and sequence is None:
                offset = indent - previous[0]
                sequence = offset + 1 + len(stripped[1:]) - len(stripped[1:].lstrip(" "))
            elif not stripped.startswith("- ") and mapping is None and indent > previous[0]:
                mapping = indent - previous[0]
        previous = (indent, stripped)
    if mapping is None and sequence is None:
        return None
    mapping = mapping or 2
    return (mapping, sequence, offset) if sequence is not None else (mapping, mapping, 0)


def _indentation(chunk: str):
    """A YAML instance whose no-op round trip of `chunk` changes the fewest lines."""
    best, best_cost = None, None
    written = _written_indentation(chunk)
    for indent in ((written,) if written else ()) + _INDENTS:
        yaml = _yaml(indent)
        try:
            again = _dump(yaml, yaml.load(chunk))
        except Exception:  # noqa: BLE001 - ruamel raises many types; try the next indentation
            continue
        if again == chunk:
            return yaml
        cost = sum(1 for line in difflib.ndiff(chunk.splitlines(), again.splitlines())
                   if line[:1] in "+-")
        if best_cost is None or cost < best_cost:
            best, best_cost = yaml, cost
    return best or _yaml(_INDENTS[0])


def _schema_problems(text: str, schemas) -> list[str]:
    """The schema problems of the objects of a migrated document, as Kubernetes reads them
    (YAML 1.1)."""
    from gitops_gen.lint import yamlparse
    from gitops_gen.lint.k8s import document_objects

    parsed = yamlparse.parse(text)
    problems = [p.message for p in parsed.problems]
    for document in parsed.documents:
        for _, obj in document_objects(document):
            if not isinstance(obj, dict):
                continue
            api_version, kind = obj.get("apiVersion"), obj.get("kind")
            if not (isinstance(api_version, str) and isinstance(kind, str)):
                continue
            problems += [f"{api_version} {kind}: {p.message}"
                         for p in schemas.check(api_version, kind, obj, lambda _: None)]
    return problems


def _write(path: str, text: str) -> None:
    """Replace the file atomically, keeping its mode."""
    temporary = f"{path}.gitops-gen-fix"
    with open(temporary, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    os.chmod(temporary, os.stat(path).st_mode)
    os.replace(temporary, path)
