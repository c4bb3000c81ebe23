"""The lint engine: read sources, run rules, stamp findings with code, severity and position."""

from __future__ import annotations

import gc
import os
from collections import defaultdict
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Iterable

from gitops_gen.lint import parallel, yamlparse
from gitops_gen.lint.config import Config
from gitops_gen.lint.index import ResourceIndex
from gitops_gen.lint.k8s import document_objects, reading
from gitops_gen.lint.model import (LintResult, Path, Problem, ProblemStats, Resource, Severity,
                                   problem_row)
from gitops_gen.lint.registry import APP, OBJECT, SET, Rule
from gitops_gen.lint.resources import (IGNORE_PREFIX, PreParsed, group_of, half_identified,
                                       resource_of)
from gitops_gen.lint.sources import Source, read_file, read_text
from gitops_gen.lint.spool import encode_rows
from gitops_gen.lint.stamping import (ALIAS_BOMB, DUPLICATE_KEY, INTERNAL_ERROR,
                                      KIND_OR_API_VERSION_MISSING, PARSE_ERROR, UNREADABLE_FILE,
                                      ActiveRule, Pending, Stamping, activate)

if TYPE_CHECKING:
    from gitops_gen.schema.validate import SchemaStore

__all__ = ["ActiveRule", "Engine", "activate"]

PATTERN_UNSUPPORTED = "SCH004"
CRD_MARK = "CustomResourceDefinition"
"""In the text of every file that defines a CRD: only those are parsed before the lint."""
SCHEMA_CODES = ("SCH001", "SCH002", "SCH003", PATTERN_UNSUPPORTED)
_YAML_PROBLEM_CODES = {"parse-error": PARSE_ERROR, "duplicate-key": DUPLICATE_KEY,
                       "alias-bomb": ALIAS_BOMB}


class Engine(Stamping):
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
        self.kind_rules: dict[str, list[tuple[Callable, dict, ActiveRule]]] = {}
        """(check, options, rule) of by_kind + any_kind, per kind met."""
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
               on_chunk: Callable[[int, int], None] | None = None,
               crd_files: set[str] | None = None) -> parallel.LintStream:
        """Lint `sources`; with a `deployment` (argo.deploy), also every Application's rules.

        Files are linted in chunks, by `jobs` processes when that pays (0: one per idle core);
        `on_chunk(files done, files in all)` is called here as each chunk completes, in order.
        The result's counts and stats are complete when this returns; the problems are then
        read from the stream in order (file, line, column, code, message), the same for every
        `jobs`. `crd_files`: the paths of the files that may define CRDs, when known (the
        others are not read before the lint).
        """
        self.stdin_text = stdin_text
        self.result.skipped_files.extend(skipped)
        sources = [s for s in sources if not self._excluded(s)]
        sizes = parallel.sizes_of(sources)
        probe = (parallel.LoadProbe() if jobs == 0 and parallel.worth_forking(sizes, 2)
                 else None)  # watches while the CRDs are read
        if self.schemas is not None:
            self._register_crds(sources, crd_files)
        self._sources = sources
        chunks = parallel.plan_chunks(sizes)
        workers = parallel.workers_for(sizes, jobs, probe)
        self._spool, self._stats = spool, stats = parallel.Spool(), ProblemStats()
        try:
            for (_, end), chunk in zip(chunks, parallel.lint_chunks(self._lint_chunk, chunks,
                                                                     workers)):
                spool.add(chunk)
                stats.update(chunk.stats)
                self._take(chunk)
                if on_chunk is not None:
                    on_chunk(end, len(sources))
            # from here on findings are kept as rows, as a chunk's are (no Problem each)
            self.rows, self.result.problems = list(map(problem_row, self.result.problems)), []
            self._run_set_rules(sources, workers)
            if deployment is not None:
                self._run_app_rules(deployment)
            self._spill_when_full(force=True)
        except BaseException:
            spool.close()
            raise
        finally:
            gc.unfreeze()  # see _lint_chunk
            self.rows = None
        stream = parallel.LintStream(self.result, spool, self.rules,
                            merge_applications=bool(deployment is not None and deployment.renders),
                            workers=workers)
        if stream.merge_applications:  # merged duplicates count once: count them as reported
            stats = ProblemStats.of(stream.problems())
        self.result.stats = stats
        return stream

    def _lint_chunk(self, start: int, end: int) -> parallel.ChunkResult:
        """Lint sources[start:end] on their own (in a worker, or here), as plain data."""
        gc.freeze()  # the collector's full passes skip what lives already (schemas, the index):
        # on the 50k corpus, 9 passes over every object the run holds took about 2 s
        outer = self.result, self.indexes
        self.result, self.indexes, self.rows = LintResult(), defaultdict(ResourceIndex), []
        try:
            for source in self._sources[start:end]:
                self._lint_source(source)
            result, rows = self.result, self.rows
            stats = ProblemStats.of_rows(rows, self.rules)
            blocks, first, last = encode_rows(rows)
            return parallel.ChunkResult(
                blocks, first, last, stats,
                (result.files, result.resources, result.skipped_documents, result.suppressed),
                result.linted_files, [(group, index.packed())
                                      for group, index in self.indexes.items()])
        finally:
            self.result, self.indexes = outer
            self.rows = None

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
        pending: list[Pending] = []
        indexed: list[Resource] = []
        for number, data in enumerate(parsed.documents):
            for base, obj in document_objects(data):
                resource = resource_of(source.name, number, base, obj, source.placement)
                if resource is None:
                    self.result.skipped_documents += 1
                    missing = half_identified(source.name, base, obj)
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
            self.indexes[group_of(resource)].add(resource,
                                                 partial(parsed.locate, resource.document))

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
                resource = resource_of(source.name, number, base, obj, source.placement)
                if resource is not None:
                    if self.inline_ignores:
                        list(self._inline_ignore_problems(resource))  # fills resource.ignores
                    self.indexes[group_of(resource)].add(
                        resource, partial(parsed.locate, resource.document))

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

    def _check_object(self, resource: Resource) -> list[Pending]:
        checks = self.kind_rules.get(resource.kind)
        if checks is None:
            checks = self.kind_rules[resource.kind] = [
                (active.rule.loaded_check(), active.options, active)
                for active in self.by_kind.get(resource.kind, []) + self.any_kind]
        found: list[Pending] = []
        add = found.append
        body = resource.body
        reading(body)  # the rules share one containers() list of the object
        for check, options, active in checks:
            try:
                for finding in check(body, options):
                    add(Pending(active, finding.message, finding.path, finding.key, resource))
            except Exception as error:  # a rule bug must not stop the run; report it loudly
                add(self._internal_error(active.rule, error, resource))
        reading(None)
        return found

    def _check_schema(self, resource: Resource, parsed: yamlparse.ParsedYaml) -> Iterable[Pending]:
        def written(path: Path) -> str | None:
            return parsed.scalar_text(resource.document, resource.base + path)

        schemas = self.schemas
        version = resource.placement.k8s_version if resource.placement is not None else None
        if version is not None:  # an Application's cluster runs another version than the run's
            if version not in self.version_schemas:
                self.version_schemas[version] = schemas.for_version(version)
            schemas = self.version_schemas[version]
        problems = schemas.check(resource.id.api_version, resource.kind, resource.body, written)
        if not problems:  # most objects
            return ()
        return [Pending(self.active[problem.code], problem.message, problem.path, problem.key,
                        resource) for problem in problems if problem.code in self.active]

    def _register_crds(self, sources: list[Source], crd_files: set[str] | None) -> None:
        """Teach the schema store the CRDs defined in the linted files, before checking any;
        report the CRD patterns that cannot be checked (those given with --crd too)."""
        from gitops_gen.schema.validate import unusable_pattern_notes

        for file, line, column, message in self.schemas.notes:
            self._input_problem(PATTERN_UNSUPPORTED, file, message, line, column)
        for source in sources:
            if source.objects is not None:
                self.schemas.add_crds(source.objects)
                continue
            if crd_files is not None and source.path is not None and source.path not in crd_files:
                continue
            text, _ = read_text(source, self.stdin_text)
            if text and CRD_MARK in text:
                parsed = yamlparse.parse(text)
                self.schemas.add_crds(parsed.documents)
                for line, column, message in unusable_pattern_notes(parsed):
                    self._input_problem(PATTERN_UNSUPPORTED, source.name, message, line, column)

    def _run_set_rules(self, sources: list[Source], workers: int = 1) -> None:
        """Each cross-resource rule over each index: with `workers` > 1, a forked helper takes
        rules too (each process the next one left); the spool sorts the findings either way."""
        tasks = [(index, active) for index in self.indexes.values() for active in self.set_rules]
        if workers > 1:  # shared with a helper: the tables are completed once, before it is
            # forked (not in each process), and the tasks over the most resources go first, so
            # that neither process is left with a long one at the end
            tasks.sort(key=lambda task: task[0].count(task[1].rule.kinds), reverse=True)
        names = {s.name: s for s in sources}

        def run(numbers: Iterable[int]) -> None:
            unplaced: dict[str, list[Pending]] = defaultdict(list)
            known: list[Pending] = []  # at positions the index keeps: placed a batch at a time
            for index, active in (tasks[number] for number in numbers):
                try:
                    for finding in active.rule.check(index, active.options):
                        resource = finding.resource
                        assert resource is not None, f"{active.rule.code} gave no resource"
                        pending = Pending(active, finding.message, finding.path, finding.key,
                                           resource)
                        if (finding.path, finding.key) in resource.positions:
                            known.append(pending)
                            if len(known) == PLACED_BATCH:
                                self._place(known, None)
                                known.clear()
                                self._spill_when_full()
                        else:
                            unplaced[resource.file].append(pending)
                except Exception as error:  # as for object rules: report loudly, go on
                    self._place(known, None)
                    known.clear()
                    rule = self.rules[INTERNAL_ERROR]
                    self._keep(Problem(
                        code=rule.code, name=rule.name, severity=Severity.ERROR,
                        message=f"rule {active.rule.code} ({active.rule.name}) failed: "
                        f"{type(error).__name__}: {error}", remediation=rule.remediation,
                        file="<set>", line=1, column=1))
            self._place(known, None)
            self._spill_when_full()
            for file, pending in sorted(unplaced.items()):
                self._place(pending, self._parse(names[file]) or yamlparse.parse(""))
                self._spill_when_full()

        file = None
        if workers > 1 and len(tasks) > 1:  # the helper's findings go to a file of its own
            import tempfile

            file = tempfile.TemporaryFile()
        helped = parallel.share_tasks(len(tasks), workers, run,
                                      lambda run, numbers: self._help(run, numbers, file))
        if helped is not None:
            runs, stats, suppressed = helped
            self._spool.adopt_late(runs, file)
            self._stats.update(stats)
            self.result.suppressed += suppressed
        elif file is not None:
            file.close()

    def _help(self, run: Callable[[Iterable[int]], None], numbers: Iterable[int],
              file: Any) -> tuple:
        """In the helper process: `run(numbers)`, its findings spooled to `file`; returns the
        runs written, their stats and how many findings were suppressed."""
        self._spool, self._stats = parallel.Spool(file), ProblemStats()
        self.rows, suppressed = [], self.result.suppressed
        run(numbers)
        self._spill_when_full(force=True)
        return self._spool.late_runs(), self._stats, self.result.suppressed - suppressed

    def _spill_when_full(self, force: bool = False) -> None:
        """Move the problems found after the chunks to the spool, in runs of LATE_RUN_ROWS."""
        if force or len(self.rows) >= LATE_RUN_ROWS:
            self._stats.update(ProblemStats.of_rows(self.rows, self.rules))
            self._spool.add_late(self.rows)
            self.rows = []

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
            resource = resource_of(placement.display(app.file), app.document, app.base, app.body)
            if resource is None:
                continue
            resource.placement = placement
            if self.inline_ignores:
                list(self._inline_ignore_problems(resource))  # fills resource.ignores
            pending: list[Pending] = []
            view = AppView(render, deployment)
            for active in self.app_rules:
                try:
                    pending.extend(Pending(active, f.message, f.path, f.key, resource)
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


LATE_RUN_ROWS = 8192
"""Findings of cross-resource and Application rules held before they go to the spool."""
PLACED_BATCH = 256
"""Findings of cross-resource rules at known positions held before they are placed."""
