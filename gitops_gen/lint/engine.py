"""The lint engine: read sources, run rules, stamp findings with code, severity and position."""

from __future__ import annotations

import operator
import os
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from gitops_gen.lint import yamlparse
from gitops_gen.lint.config import Config, name_matches, path_matches
from gitops_gen.lint.index import ResourceIndex
from gitops_gen.lint.k8s import document_objects, mapping, pod_template_metadata, reading
from gitops_gen.lint.model import (LintResult, Path, Problem, Resource, ResourceId,
                                   Severity, format_path)
from gitops_gen.lint.registry import APP, OBJECT, SET, Rule, resolve
from gitops_gen.lint.sources import Source, read_text

if TYPE_CHECKING:
    from gitops_gen.schema.validate import SchemaStore

IGNORE_PREFIX = "ignore.gitops-gen.io/"
"""Annotation key prefix of an inline ignore: `ignore.gitops-gen.io/<rule>: <reason>`."""

PARSE_ERROR, DUPLICATE_KEY, UNREADABLE_FILE, INVALID_IGNORE, ALIAS_BOMB, INTERNAL_ERROR = (
    "GG001", "GG002", "GG003", "GG004", "GG005", "GG000")
KIND_OR_API_VERSION_MISSING = "GG006"
SCHEMA_CODES = ("SCH001", "SCH002", "SCH003")
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

    # -- the run

    def run(self, sources: list[Source], skipped: list[tuple[str, str]],
            stdin_text: str | None = None, jobs: int = 1, deployment: Any = None) -> LintResult:
        """Lint `sources`; with a `deployment` (argo.deploy), also every Application's rules."""
        self.stdin_text = stdin_text
        self.result.skipped_files.extend(skipped)
        sources = [s for s in sources if not self._excluded(s)]
        if self.schemas is not None:
            self._register_crds(sources)
        if jobs > 1 and len(sources) >= PARALLEL_MIN_FILES:
            self._lint_in_workers(sources, jobs)
        else:
            for source in sources:
                self._lint_source(source)
        self._run_set_rules(sources)
        if deployment is not None:
            self._run_app_rules(deployment)
        self.result.problems.sort(key=_SORT_KEY)
        return self.result

    def _lint_in_workers(self, sources: list[Source], jobs: int) -> None:
        """Lint files in `jobs` forked processes; cross-resource rules then run here on the
        merged index. Chunks are contiguous, so files keep their order."""
        import multiprocessing

        global _WORKER_ENGINE
        size = max(1, min(CHUNK_FILES, -(-len(sources) // (jobs * 4))))
        chunks = [sources[i:i + size] for i in range(0, len(sources), size)]
        _WORKER_ENGINE = self
        try:
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                for result, resources in pool.imap(_lint_chunk, chunks):
                    self._merge(result, resources)
        finally:
            _WORKER_ENGINE = None

    def _merge(self, result: LintResult, resources: list[Resource]) -> None:
        """Take in what a worker linted."""
        self.result.problems.extend(result.problems)
        self.result.files += result.files
        self.result.linted_files.extend(result.linted_files)
        self.result.resources += result.resources
        self.result.skipped_documents += result.skipped_documents
        self.result.suppressed += result.suppressed
        for resource in resources:
            self.indexes[_group(resource)].insert(resource)

    def _lint_source(self, source: Source) -> None:
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
                        self._input_problem(KIND_OR_API_VERSION_MISSING, source.name, missing,
                                            *parsed.locate(number, base))
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
        """Teach the schema store the CRDs defined in the linted files, before checking any."""
        for source in sources:
            if source.objects is not None:
                self.schemas.add_crds(source.objects)
                continue
            text, _ = read_text(source, self.stdin_text)
            if text and "CustomResourceDefinition" in text:
                self.schemas.add_crds(yamlparse.parse(text).documents)

    def _run_set_rules(self, sources: list[Source]) -> None:
        by_file: dict[str, list[_Pending]] = defaultdict(list)
        for active, index in ((a, i) for i in self.indexes.values() for a in self.set_rules):
            try:
                for finding in active.rule.check(index, active.options):
                    resource = finding.resource
                    assert resource is not None, f"{active.rule.code} gave no resource"
                    by_file[resource.file].append(
                        _Pending(active, finding.message, finding.path, finding.key, resource))
            except Exception as error:  # as for object rules: report loudly, go on
                rule = self.rules[INTERNAL_ERROR]
                self.result.problems.append(Problem(
                    code=rule.code, name=rule.name, severity=Severity.ERROR,
                    message=f"rule {active.rule.code} ({active.rule.name}) failed: "
                    f"{type(error).__name__}: {error}", remediation=rule.remediation,
                    file="<set>", line=1, column=1))
        names = {s.name: s for s in sources}
        for file, pending in sorted(by_file.items()):
            self._place(pending, None)
            unplaced = [p for p in pending if (p.path, p.key) not in p.resource.positions]
            if unplaced:
                self._place(unplaced, self._parse(names[file]) or yamlparse.parse(""))

    def _run_app_rules(self, deployment: Any) -> None:
        """Rules on each Application and what it deploys; findings point into the Application
        (or the ApplicationSet that generates it)."""
        from gitops_gen.argo.placement import Placement
        from gitops_gen.argo.view import AppView

        parsed_files: dict[str, Any] = {}

        def parsed(file: str) -> Any:
            if file not in parsed_files:
                try:
                    with open(os.path.join(deployment.repo.root, file), encoding="utf-8-sig") as f:
                        parsed_files[file] = yamlparse.parse(f.read())
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


_SORT_KEY = operator.attrgetter("file", "line", "column", "code", "message")
"""Problem.sort_key, computed in C: a large run sorts hundreds of thousands of findings."""

PARALLEL_MIN_FILES = 16
"""Fewer files than this are linted in-process: forking would cost more than it saves."""
CHUNK_FILES = 64
_WORKER_ENGINE: "Engine | None" = None


def _lint_chunk(sources: list[Source]) -> tuple[LintResult, list[Resource]]:
    """In a worker process: lint some files with the engine inherited from the parent."""
    engine = _WORKER_ENGINE
    engine.result, engine.indexes = LintResult(), defaultdict(ResourceIndex)
    for source in sources:
        engine._lint_source(source)
    return engine.result, [r for index in engine.indexes.values() for r in index.resources]


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


def _half_identified(file: str, base: Path, obj: Any) -> str | None:
    """Why an object that kubectl and Argo CD would refuse is not linted: it has a kind but no
    apiVersion, or an apiVersion and metadata but no kind. None for other documents (values
    files, Chart.yaml, a kustomization, which needs neither)."""
    if not isinstance(obj, dict) or (not base and os.path.basename(file) in KUSTOMIZATION_FILES):
        return None
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if kind not in (None, "") and api_version in (None, ""):
        return f"kind {kind} has no apiVersion: kubectl and Argo CD refuse the object"
    if api_version not in (None, "") and kind in (None, "") and "metadata" in obj:
        return f"apiVersion {api_version} has no kind: kubectl and Argo CD refuse the object"
    return None


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

