#!/usr/bin/env python3
"""YAML reading benchmark: the composed path (libyaml node graph) against the fast path
(yaml-rs, positions found in the text), in one process.

Usage:
    python bench/parse_bench.py [FOLDER ...] [--runs 3]

Default folders: bench/out/corpus-5000 and bench/out/corpus-50000 (made by lint_bench.py or
../shared/bench/make_corpus.py). For each folder it prints:

  * parse: reading every file (`yamlparse.parse_composed` vs `yamlparse.parse`);
  * parse + positions: reading every file and then asking the positions (`locate`) and written
    scalars (`scalar_text`) that a real lint run asks of it (recorded from
    `gitops_gen.api.lint(LintOptions(paths=(folder,), k8s_version="1.30"))` on one core);
  * the same for the fast path with positions found by composing each document with libyaml
    when first asked (`TEXT_LOCATOR = False`, "option A"), for comparison;
  * the share of files that fell back to the composed path, and of documents whose positions
    the text locator gave up on (composed on demand).

Times are the median of --runs runs, garbage collection frozen after loading, so that the
recorded calls do not make the collector's full passes slower for one mode than another.
"""

from __future__ import annotations

import argparse
import gc
import pathlib
import statistics
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from gitops_gen.api import LintOptions, lint  # noqa: E402
from gitops_gen.lint import yamlfast, yamlparse, yamltext  # noqa: E402


def record(folder: pathlib.Path) -> list[tuple[str, list[tuple]]]:
    """(text, [(method, document, path, key)]) for every parse of a real lint run, in order."""
    records: list[tuple[str, list[tuple]]] = []
    live: dict[int, list[tuple]] = {}
    parse, locate, scalar_text = (yamlparse.parse, yamlparse.ParsedYaml.locate,
                                  yamlparse.ParsedYaml.scalar_text)

    def recording_parse(text: str) -> yamlparse.ParsedYaml:
        parsed = parse(text)
        calls: list[tuple] = []
        records.append((text, calls))
        live[id(parsed)] = calls  # an id is only reused once the previous object is gone
        return parsed

    def recording_locate(self, document, path, key=False):
        live[id(self)].append(("locate", document, path, key))
        return locate(self, document, path, key)

    def recording_scalar_text(self, document, path):
        live[id(self)].append(("scalar_text", document, path, False))
        return scalar_text(self, document, path)

    yamlparse.parse = recording_parse
    yamlparse.ParsedYaml.locate = recording_locate
    yamlparse.ParsedYaml.scalar_text = recording_scalar_text
    try:
        lint(LintOptions(paths=(str(folder),), k8s_version="1.30", jobs=1))
    finally:
        yamlparse.parse = parse
        yamlparse.ParsedYaml.locate = locate
        yamlparse.ParsedYaml.scalar_text = scalar_text
    return records


def replay(records, reader, positions: bool) -> float:
    started = time.perf_counter()
    for text, calls in records:
        parsed = reader(text)
        if positions:
            for method, document, path, key in calls:
                if method == "locate":
                    parsed.locate(document, path, key)
                else:
                    parsed.scalar_text(document, path)
    return time.perf_counter() - started


def median(runs: int, function) -> float:
    return statistics.median(function() for _ in range(runs))


def bench(folder: pathlib.Path, runs: int) -> None:
    records = record(folder)
    gc.collect()
    gc.freeze()
    calls = sum(len(c) for _, c in records)
    fast = [yamlparse.parse(text) for text, _ in records]
    fell_back = sum(parsed._source is None for parsed in fast)
    documents = sum(len(parsed.documents) for parsed in fast if parsed._source is not None)
    for parsed, (_, calls_of) in zip(fast, records):
        for method, document, path, key in calls_of:
            getattr(parsed, method)(document, path, *(key,) if method == "locate" else ())
    composed = sum(len(parsed._source.composed) for parsed in fast if parsed._source is not None)
    del fast

    print(f"\n== {folder}: {len(records)} files, {calls} positions asked by a lint run ==")
    rows = {}
    for label, reader, text_locator in (("composed path (libyaml nodes)", yamlparse.parse_composed,
                                         True),
                                        ("fast path, text locator", yamlparse.parse, True),
                                        ("fast path, compose per document", yamlparse.parse,
                                         False)):
        yamltext.TEXT_LOCATOR = text_locator
        try:
            parse = median(runs, lambda: replay(records, reader, False))
            both = median(runs, lambda: replay(records, reader, True))
        finally:
            yamltext.TEXT_LOCATOR = True
        rows[label] = (parse, both)
    base_parse, base_both = rows["composed path (libyaml nodes)"]
    print(f"{'':34} {'parse':>8} {'speed-up':>9} {'+ positions':>12} {'speed-up':>9}")
    for label, (parse, both) in rows.items():
        print(f"{label:34} {parse:7.3f}s {base_parse / parse:8.2f}x {both:11.3f}s "
              f"{base_both / both:8.2f}x")
    print(f"files that fell back to the composed path: {fell_back} of {len(records)} "
          f"({fell_back / max(len(records), 1):.1%})")
    print(f"documents the text locator gave up on (composed on demand): {composed} of "
          f"{documents} ({composed / max(documents, 1):.1%})")
    gc.unfreeze()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folders", nargs="*", type=pathlib.Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folders = args.folders or [folder for folder in (HERE / "out" / "corpus-5000",
                                                     HERE / "out" / "corpus-50000")
                               if folder.is_dir()]
    if not folders:
        parser.error("no corpus: give a folder, or make one with bench/lint_bench.py")
    if yamlfast.yaml_rs is None or not yamlfast.FAST_PATH:
        print("warning: the fast path is off (yaml-rs missing or GITOPS_GEN_YAML_FAST=0)")
    for folder in folders:
        bench(folder, args.runs)


if __name__ == "__main__":
    main()
