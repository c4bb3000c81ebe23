"""The lint engine: read sources, run rules, stamp findings with code, severity and position."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable

from gitops_gen.lint import parallel, yamlparse
from gitops_gen.lint.config import Config, name_matches, path_matches
from gitops_gen.lint.index import ResourceIndex
from gitops_gen.lint.k8s import document_objects, mapping, pod_template_metadata, reading
from gitops_gen.lint.model import (LintResult, Path, Problem, ProblemStats, Resource,
                                   ResourceId, Severity, format_path, problem_row)
from gitops_gen.lint.registry import APP, OBJECT, SET, Rule, resolve
from gitops_gen.lint.sources import Source, read_file, read_text

if TYPE_CHECKING:
    from gitops_gen.schema.validate import SchemaStore

IGNORE_PREFIX = "ignore.gitops-gen.io/"
"""Annotation key prefix of an inline ignore: `ignore.gitops-gen.io/<rule>: <reason>`."""

PARSE_ERROR, DUPLICATE_KEY, UNREADABLE_FILE, INVALID_IGNORE, ALIAS_BOMB, INTERNAL_ERROR = (
    "GG001", "GG002", "GG003", "GG004", "GG005", "GG000")
KIND_OR_API_VERSION_MISSING = "GG006"
PATTERN_UNSUPPORTED = "SCH004"
SCHEMA_CODES = ("SCH001", "SCH002", "SCH003", PATTERN_UNSUPPORTED)
_YAML_PROBLEM_CODES = {"parse-error": PARSE_ERROR, "duplicate-key": DUPLICATE_KEY,
                       "alias-bomb": ALIAS_BOMB}


@dataclass(frozen=True, slots=True)
class ActiveRule:
    """A rule as configured for this run."""

    rule: Rule
    severity: Severity
    options: dict[str, Any]


def activate(rules: dict[str, Rule], config: Config, select: Iterable[str] = (),
             disable: Iterable[str] = (),
             run_defaults: dict[str, Any] | None = None) -> dict[str, ActiveRule]:
    """The rules this run applies, by code: config first, then `select`/`disable` from the CLI.

    An option left at None takes the run's value of the same name from `run_defaults`
    (e.g. `target-version` from `--target-version`).
    """
    selected = {resolve(r, rules).code for r in select} if select else None
    disabled = {resolve(r, rules).code for r in disable}
    active: dict[str, ActiveRule] = {}
    for code, rule in rules.items():
        setting = config.rules.get(code)
        enabled = (setting.enabled if setting and setting.enabled is not None
                   else rule.default_enabled)
        if selected is not None:
            enabled = code in selected
        if not enabled or code in disabled:
            continue
        options = rule.defaults()
        if setting:
            options.update(setting.options)
        for name, value in (run_defaults or {}).items():
            if name in options and options[name] is None:
                options[name] = value
        severity = setting.severity if setting and setting.severity else rule.severity
        active[code] = ActiveRule(rule, severity, options)
    return active


@dataclass(slots=True)
class _Pending:
    """A finding not yet placed: positions are looked up only for findings that survive."""

    active: ActiveRule
    message: str
    path: Path
    key: bool
    resource: Resource


class Engine:
    def __init__(self, rules: dict[str, Rule], active: dict[str, ActiveRule], config: Config,
                 inline_ignores: bool = True, schemas: "SchemaStore | None" = None) -> None:
        self.rules = rules
        self.active = active
        self.config = config
        self.inline_ignores = inline_ignores and config.inline_ignores
        self.by_kind: dict[str, list[ActiveRule]] = defaultdict(list)
        self.any_kind: list[ActiveRule] = []
        for item in active.values():
            if item.rule.scope != OBJECT:
                continue
            if item.rule.kinds is None:
                self.any_kind.append(item)
            for kind in item.rule.kinds or ():
                self.by_kind[kind].append(item)
        self.kind_rules: dict[str, list[ActiveRule]] = {}  # by_kind + any_kind, per kind met
        self.set_rules = [a for a in active.values() if a.rule.scope == SET]
        self.app_rules = [a for a in active.values() if a.rule.scope == APP]
        self.indexes: dict[str | None, ResourceIndex] = defaultdict(ResourceIndex)
        """One index per cluster: rendered objects meet only the objects of their own cluster."""
        self.result = LintResult()
        self.stdin_text: str | None = None
        self.schemas = schemas if any(c in active for c in SCHEMA_CODES) else None
        self.version_schemas: dict[str, "SchemaStore"] = {}
        self._sources: list[Source] = []
        self._spool: parallel.Spool | None = None
        self._stats = ProblemStats()

    # -- the run

    def run(self, sources: list[Source], skipped: list[tuple[str, str]],
            stdin_text: str | None = None, jobs: int = 1, deployment: Any = None) -> LintResult:
        """Lint `sources` and list every problem, in order (see `stream`)."""
        with self.stream(sources, skipped, stdin_text, jobs, deployment) as stream:
            self.result.problems = list(stream.problems())
        self.result.stats = None  # counted from the list, which callers may filter
        return self.result

    def stream(self, sources: list[Source], skipped: list[tuple[str, str]],
               stdin_text: str | None = None, jobs: int = 1, deployment: Any = None,
               on_chunk: Callable[[int, int], None] | None = None) -> parallel.LintStream:
        """Lint `sources`; with a `deployment` (argo.deploy), also every Application's rules.

        Files are linted in chunks, by `jobs` processes when that pays; `on_chunk(files done,
        files in all)` is called here as each chunk completes, in order. The result's counts
        and stats are complete when this returns; the problems are then read from the stream
        in order (file, line, column, code, message), the same for every `jobs`.
        """
        self.stdin_text = stdin_text
        self.result.skipped_files.extend(skipped)
        sources = [s for s in sources if not self._excluded(s)]
        if self.schemas is not None:
            self._register_crds(sources)
        self._sources = sources
        chunks = parallel.plan_chunks(sources)
        workers = jobs if parallel.worth_forking(sources, jobs) else 1
        self._spool, self._stats = spool, stats = parallel.Spool(), ProblemStats()
        try:
            for (_, end), chunk in zip(chunks, parallel.lint_chunks(self._lint_chunk, chunks,
                                                                     workers)):
                spool.add(chunk)
                stats.update(chunk.stats)
                self._take(chunk)
                if on_chunk is not None:
                    on_chunk(end, len(sources))
            self._run_set_rules(sources)
            if deployment is not None:
                self._run_app_rules(deployment)
            self._spill_when_full(force=True)
        except BaseException:
            spool.close()
            raise
        stream = parallel.LintStream(self.result, spool, self.rules,
                            merge_applications=bool(deployment is not None and deployment.renders))
        if stream.merge_applications:  # merged duplicates count once: count them as reported
            stats = ProblemStats.of(stream.problems())
        self.result.stats = stats
        return stream

    def _lint_chunk(self, start: int, end: int) -> parallel.ChunkResult:
        """Lint sources[start:end] on their own (in a worker, or here), as plain data."""
        outer = self.result, self.indexes
        self.result, self.indexes = LintResult(), defaultdict(ResourceIndex)
        try:
            for source in self._sources[start:end]:
                self._lint_source(source)
            result = self.result
            rows, first, last = parallel.encode_rows([problem_row(p) for p in result.problems])
            return parallel.ChunkResult(
                rows, first, last, ProblemStats.of(result.problems),
                (result.files, result.resources, result.skipped_documents, result.suppressed),
                result.linted_files, [(group, index.packed())
                                      for group, index in self.indexes.items()])
        finally:
            self.result, self.indexes = outer

    def _take(self, chunk: parallel.ChunkResult) -> None:
        """Add up a chunk's counts and index its resources for cross-resource rules."""
        files, resources, skipped_documents, suppressed = chunk.counters
        self.result.files += files
        self.result.resources += resources
        self.result.skipped_documents += skipped_documents
        self.result.suppressed += suppressed
        self.result.linted_files.extend(chunk.linted_files)
        for group, packed in chunk.packed:
            self.indexes[group].extend(packed)

    def _lint_source(self, source: Source) -> None:
        if source.context:
            self._index_context(source)
            return
        if source.objects is None:  # a file (a rendered document is counted as resources)
            self.result.files += 1
            self.result.linted_files.append(source.name)
        if source.objects is not None:
            parsed, text = PreParsed(list(source.objects)), None
        else:
            text = self._read(source)
            if text is None:
                return
            parsed = yamlparse.parse(text)
        # an ignore annotation is written out in the text, or escaped in a double-quoted key
        ignores = self.inline_ignores and (text is None or IGNORE_PREFIX in text or "\\" in text)
        for problem in parsed.problems:
            self._input_problem(_YAML_PROBLEM_CODES[problem.kind], source.name, problem.message,
                                problem.line, problem.column)
        pending: list[_Pending] = []
        indexed: list[Resource] = []
        for number, data in enumerate(parsed.documents):
            for base, obj in document_objects(data):
                resource = _resource(source.name, number, base, obj, source.placement)
                if resource is None:
                    self.result.skipped_documents += 1
                    missing = _half_identified(source.name, base, obj)
                    if missing and source.objects is None:
                        message, where = missing
                        self._input_problem(KIND_OR_API_VERSION_MISSING, source.name, message,
                                            *parsed.locate(number, base + where))
                    continue
                self.result.resources += 1
                if ignores:
                    pending.extend(self._inline_ignore_problems(resource))
                pending.extend(self._check_object(resource))
                if self.schemas is not None:
                    pending.extend(self._check_schema(resource, parsed))
                indexed.append(resource)
        self._place(pending, parsed)  # before indexing drops the bodies findings are traced in
        for resource in indexed if self.set_rules else ():  # only cross-resource rules read it
            self.indexes[_group(resource)].add(
                resource, lambda path, key, r=resource: parsed.locate(r.document, path, key))

    def _index_context(self, source: Source) -> None:
        """Index a context source for cross-resource rules: no checks, not counted."""
        if not self.set_rules:
            return
        if source.objects is not None:
            parsed = PreParsed(list(source.objects))
        else:  # an unreadable file is reported by the run that lints it
            text, _ = read_text(source, self.stdin_text)
            parsed = yamlparse.parse(text or "")
        for number, data in enumerate(parsed.documents):
            for base, obj in document_objects(data):
                resource = _resource(source.name, number, base, obj, source.placement)
                if resource is not None:
                    if self.inline_ignores:
                        list(self._inline_ignore_problems(resource))  # fills resource.ignores
                    self.indexes[_group(resource)].add(
                        resource, lambda path, key, r=resource: parsed.locate(r.document, path, key))

    def _parse(self, source: Source) -> "yamlparse.ParsedYaml | PreParsed | None":
        """The documents of a source (already parsed for a rendered one); None if unreadable."""
        if source.objects is not None:
            return PreParsed(list(source.objects))
        text = self._read(source)
        return None if text is None else yamlparse.parse(text)

    def _read(self, source: Source) -> str | None:
        """The text of a file; None (and a finding) when it cannot be read."""
        text, why = read_text(source, self.stdin_text)
        if text is None:
            self._input_problem(UNREADABLE_FILE, source.name, why or "unreadable", 1, 1)
        return text

    def _check_object(self, resource: Resource) -> list[_Pending]:
        rules = self.kind_rules.get(resource.kind)
        if rules is None:
            rules = self.by_kind.get(resource.kind, []) + self.any_kind
            self.kind_rules[resource.kind] = rules
        found: list[_Pending] = []
        reading(resource.body)  # the rules share one containers() list of the object
        for active in rules:
            try:
                found.extend(_Pending(active, f.message, f.path, f.key, resource)
                             for f in active.rule.check(resource.body, active.options))
            except Exception as error:  # a rule bug must not stop the run; report it loudly
                found.append(self._internal_error(active.rule, error, resource))
        reading(None)
        return found

    def _check_schema(self, resource: Resource, parsed: yamlparse.ParsedYaml) -> Iterable[_Pending]:
        def written(path: Path) -> str | None:
            return parsed.scalar_text(resource.document, resource.base + path)

        schemas = self.schemas
        version = resource.placement.k8s_version if resource.placement is not None else None
        if version is not None:  # an Application's cluster runs another version than the run's
            if version not in self.version_schemas:
                self.version_schemas[version] = schemas.for_version(version)
            schemas = self.version_schemas[version]
        for problem in schemas.check(resource.id.api_version, resource.kind, resource.body,
                                     written):
            active = self.active.get(problem.code)
            if active is not None:
                yield _Pending(active, problem.message, problem.path, problem.key, resource)

    def _register_crds(self, sources: list[Source]) -> None:
        """Teach the schema store the CRDs defined in the linted files, before checking any;
        report the CRD patterns that cannot be checked (those given with --crd too)."""
        from gitops_gen.schema.validate import unusable_pattern_notes

        for file, line, column, message in self.schemas.notes:
            self._input_problem(PATTERN_UNSUPPORTED, file, message, line, column)
        for source in sources:
            if source.objects is not None:
                self.schemas.add_crds(source.objects)
                continue
            text, _ = read_text(source, self.stdin_text)
            if text and "CustomResourceDefinition" in text:
                parsed = yamlparse.parse(text)
                self.schemas.add_crds(parsed.documents)
                for line, column, message in unusable_pattern_notes(parsed):
                    self._input_problem(PATTERN_UNSUPPORTED, source.name, message, line, column)

    def _run_set_rules(self, sources: list[Source]) -> None:
        unplaced: dict[str, list[_Pending]] = defaultdict(list)
        for active, index in ((a, i) for i in self.indexes.values() for a in self.set_rules):
            try:
                for finding in active.rule.check(index, active.options):
                    resource = finding.resource
                    assert resource is not None, f"{active.rule.code} gave no resource"
                    pending = _Pending(active, finding.message, finding.path, finding.key,
                                       resource)
                    if (finding.path, finding.key) in resource.positions:
                        self._place([pending], None)
                        self._spill_when_full()
                    else:
                        unplaced[resource.file].append(pending)
            except Exception as error:  # as for object rules: report loudly, go on
                rule = self.rules[INTERNAL_ERROR]
                self.result.problems.append(Problem(
                    code=rule.code, name=rule.name, severity=Severity.ERROR,
                    message=f"rule {active.rule.code} ({active.rule.name}) failed: "
                    f"{type(error).__name__}: {error}", remediation=rule.remediation,
                    file="<set>", line=1, column=1))
        names = {s.name: s for s in sources}
        for file, pending in sorted(unplaced.items()):
            self._place(pending, self._parse(names[file]) or yamlparse.parse(""))
            self._spill_when_full()

    def _spill_when_full(self, force: bool = False) -> None:
        """Move the problems found after the chunks to the spool, in runs of LATE_RUN_ROWS."""
        if force or len(self.result.problems) >= LATE_RUN_ROWS:
            self._stats.update(ProblemStats.of(self.result.problems))
            self._spool.add_late([problem_row(p) for p in self.result.problems])
            self.result.problems = []

    def _run_app_rules(self, deployment: Any) -> None:
        """Rules on each Application and what it deploys; findings point into the Application
        (or the ApplicationSet that generates it)."""
        from gitops_gen.argo.placement import Placement
        from gitops_gen.argo.view import AppView

        parsed_files: dict[str, Any] = {}

        def parsed(file: str) -> Any:
            if file not in parsed_files:
                try:
                    text = read_file(os.path.join(deployment.repo.root, file))
                    parsed_files[file] = yamlparse.parse(text)
                except (OSError, UnicodeDecodeError):
                    parsed_files[file] = yamlparse.parse("")
            return parsed_files[file]

        for render in deployment.renders:
            app = render.app
            placement = Placement(app=app.name, group="", namespace=None, kind="file", label="",
                                  root=deployment.repo.root)
            resource = _resource(placement.display(app.file), app.document, app.base, app.body)
            if resource is None:
                continue
            resource.placement = placement
            if self.inline_ignores:
                list(self._inline_ignore_problems(resource))  # fills resource.ignores
            pending: list[_Pending] = []
            view = AppView(render, deployment)
            for active in self.app_rules:
                try:
                    pending.extend(_Pending(active, f.message, f.path, f.key, resource)
                                   for f in active.rule.check(view, active.options))
                except Exception as error:  # as for object rules: report loudly, go on
                    pending.append(self._internal_error(active.rule, error, resource))
            self._place(pending, parsed(app.file))
            self._spill_when_full()
        for problem in deployment.expansion_problems:
            code = "ARGO016" if problem.unsupported else "ARGO015"
            line, column = parsed(problem.file).locate(problem.document, problem.path)
            display = os.path.relpath(os.path.join(deployment.repo.root, problem.file))
            self._input_problem(code, display, problem.message, line, column)

    # -- stamping, suppression and positions

    def _place(self, pending: list[_Pending], parsed: yamlparse.ParsedYaml | None) -> None:
        """Stamp and position findings; without `parsed`, only those at known positions."""
        problems = self.result.problems
        exclusions = self.config.exclusions
        for item in pending:
            resource = item.resource
            known = resource.positions.get((item.path, item.key)) if resource.positions else None
            if parsed is None and known is None:
                continue
            active = item.active
            rule = active.rule
            code = rule.code
            if (resource.ignores or exclusions) and self._suppressed(code, resource):
                self.result.suppressed += 1
                continue
            path = resource.base + item.path if resource.base else item.path
            line, column = known or parsed.locate(resource.document, path, item.key)
            problem = Problem(code, rule.name, active.severity, item.message, rule.remediation,
                              resource.file, line, column, resource.id, format_path(path))
            if resource.placement is not None:
                problem = resource.placement.relocate(problem, resource.body or None, path)
            problems.append(problem)

    def _suppressed(self, code: str, resource: Resource) -> bool:
        if self.inline_ignores and code in resource.ignores and code != INVALID_IGNORE:
            return True
        for exclusion in self.config.exclusions:
            if exclusion.rules and code not in exclusion.rules:
                continue
            if exclusion.paths and not path_matches(exclusion.paths, self._config_path(resource.file)):
                continue
            if exclusion.kinds and not name_matches(exclusion.kinds, resource.kind):
                continue
            if exclusion.namespaces and not name_matches(exclusion.namespaces, resource.namespace):
                continue
            if exclusion.names and not name_matches(exclusion.names, resource.name):
                continue
            return True
        return False

    def _excluded(self, source: Source) -> bool:
        if not self.config.exclusions:
            return False
        relative = self._config_path(source.name)
        if any(e.whole_files and path_matches(e.paths, relative) for e in self.config.exclusions):
            self.result.skipped_files.append((source.name, "excluded by config"))
            return True
        return False

    def _config_path(self, name: str) -> str:
        """A file's path relative to the config's folder, as exclusion globs are written."""
        absolute = os.path.abspath(name)
        relative = os.path.relpath(absolute, self.config.root)
        return (absolute if relative.startswith("..") else relative).replace(os.sep, "/")

    def _input_problem(self, code: str, file: str, message: str, line: int, column: int) -> None:
        active = self.active.get(code)
        if active is None:
            return
        if self.config.exclusions and any(
                e.paths and not (e.kinds or e.namespaces or e.names)
                and (not e.rules or code in e.rules)
                and path_matches(e.paths, self._config_path(file))
                for e in self.config.exclusions):
            self.result.suppressed += 1
            return
        rule = active.rule
        self.result.problems.append(Problem(
            code=code, name=rule.name, severity=active.severity, message=message,
            remediation=rule.remediation, file=file, line=line, column=column))

    def _internal_error(self, rule: Rule, error: Exception, resource: Resource) -> _Pending:
        active = self.active.get(INTERNAL_ERROR) or ActiveRule(
            self.rules[INTERNAL_ERROR], Severity.ERROR, {})
        return _Pending(active, f"rule {rule.code} ({rule.name}) failed on this object: "
                        f"{type(error).__name__}: {error}", (), False, resource)

    def _inline_ignore_problems(self, resource: Resource) -> Iterable[_Pending]:
        """Read the ignore annotations into `resource.ignores`; flag bad ones."""
        active = self.active.get(INVALID_IGNORE)
        for path, key, reason in _ignore_annotations(resource.body):
            reference = key[len(IGNORE_PREFIX):]
            rule = resolve(reference, self.rules)
            if rule is None:
                message = f"inline ignore names unknown rule {reference!r}"
            elif not isinstance(reason, str) or not reason.strip():
                message = f"inline ignore of {rule.code} ({rule.name}) gives no reason"
            else:
                resource.ignores[rule.code] = reason
                continue
            if active:
                yield _Pending(active, message, path, True, resource)


LATE_RUN_ROWS = 8192
"""Findings of cross-resource and Application rules held before they go to the spool."""


def _ignore_annotations(obj: dict) -> Iterable[tuple[Path, str, Any]]:
    places: list[tuple[Path, dict]] = [(("metadata",), mapping(obj.get("metadata")))]
    template = pod_template_metadata(obj)
    if template:
        places.append(template)
    for meta_path, meta in places:
        for key, value in mapping(meta.get("annotations")).items():
            if isinstance(key, str) and key.startswith(IGNORE_PREFIX):
                yield meta_path + ("annotations", key), key, value


KUSTOMIZATION_FILES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
"""File names kustomize reads as a Kustomization, with or without apiVersion and kind."""


def _group(resource: Resource) -> str | None:
    return resource.placement.group if resource.placement is not None else None


class PreParsed:
    """The documents of a rendered source, parsed already: no positions (findings are relocated)."""

    problems: tuple = ()

    def __init__(self, documents: list) -> None:
        self.documents = documents

    def locate(self, document: int, path: Path, key: bool = False) -> tuple[int, int]:
        return 1, 1

    def scalar_text(self, document: int, path: Path) -> str | None:
        return None


def _half_identified(file: str, base: Path, obj: Any) -> tuple[str, Path] | None:
    """Why an object that kubectl and Argo CD would refuse is not linted, and where to point:
    its apiVersion or kind is not a string, it has a kind but no apiVersion, or an apiVersion
    and metadata but no kind. None for other documents (values files, Chart.yaml, a
    kustomization, which needs neither)."""
    if not isinstance(obj, dict) or (not base and os.path.basename(file) in KUSTOMIZATION_FILES):
        return None
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    for field, value in (("apiVersion", api_version), ("kind", kind)):
        if value is not None and not isinstance(value, str):
            what = _YAML_TYPES.get(type(value), "a value")
            if not isinstance(value, (dict, list)):
                what += f" {json.dumps(value, default=str)}"
            return (f"{field} must be a string, not {what}: kubectl and Argo CD refuse the object",
                    (field,))
    if kind not in (None, "") and api_version in (None, ""):
        return f"kind {kind} has no apiVersion: kubectl and Argo CD refuse the object", ()
    if api_version not in (None, "") and kind in (None, "") and "metadata" in obj:
        return f"apiVersion {api_version} has no kind: kubectl and Argo CD refuse the object", ()
    return None


_YAML_TYPES = {bool: "a boolean", int: "an integer", float: "a number", dict: "a mapping",
               list: "a list"}


def _resource(file: str, document: int, base: Path, obj: Any,
              placement: Any = None) -> Resource | None:
    """A Resource for a Kubernetes object, or None when it has no apiVersion and kind.

    A kustomization file without apiVersion/kind is still a Kustomization (kustomize's default).
    """
    if not isinstance(obj, dict):
        return None
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if (not base and document == 0 and os.path.basename(file) in KUSTOMIZATION_FILES
            and api_version is None and kind is None):
        api_version, kind = "kustomize.config.k8s.io/v1beta1", "Kustomization"
    if not (isinstance(api_version, str) and api_version and isinstance(kind, str) and kind):
        return None
    meta = mapping(obj.get("metadata"))
    namespace, name = meta.get("namespace"), meta.get("name")
    if namespace is None and placement is not None:
        namespace = placement.default_namespace(kind)
    labels = {str(k): str(v) for k, v in mapping(meta.get("labels")).items()}
    return Resource(
        id=ResourceId(api_version, kind, None if namespace is None else str(namespace),
                      None if name is None else str(name)),
        file=file, document=document, base=base, body=obj, labels=labels, placement=placement)

