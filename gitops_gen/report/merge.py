"""One report from several: the JSON (docs/json-format.md) or SARIF reports of the shards of a
lint (`--shard I/N`), merged with one exit code.

Findings are merged as one run reports them: the same finding at the same place is listed once,
naming every Application that deploys it (sorted), and findings come in the run's order (file,
line, column, code, message). Counts are summed, severities counted again. Reports of different
formats, tool versions, Kubernetes versions or shard counts, and an incomplete or repeated set
of shards, are refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from gitops_gen.errors import UserError
from gitops_gen.report.json_report import dumps_with_compact_list

SARIF_LEVELS = {"error": "error", "warning": "warning", "note": "info"}
RANK = {"info": 1, "warning": 2, "error": 3}


@dataclass(frozen=True)
class MergedReport:
    text: str
    format: str
    """`json` or `sarif`."""
    reports: int
    findings: int
    exit_code: int


def merge(paths: list[str], fail_on: str) -> MergedReport:
    """Merge the reports at `paths`; the exit code is 1 when a finding reaches `fail_on`."""
    if not paths:
        raise UserError("no report to merge", hint="give the JSON or SARIF reports of the shards")
    loaded = [(path, _load(path)) for path in paths]
    formats = {path: _format(path, doc) for path, doc in loaded}
    if len(set(formats.values())) > 1:
        listed = ", ".join(f"{p} is {f}" for p, f in formats.items())
        raise UserError(f"reports of different formats: {listed}",
                        hint="merge reports of one format (all --format json or all sarif)")
    kind = next(iter(formats.values()))
    docs = [doc for _, doc in loaded]
    if kind == "json":
        merged, severities = _merge_json(paths, docs, fail_on)
        code = _exit_code(severities, fail_on)
        merged["summary"]["exitCode"] = code
        text = dumps_with_compact_list(merged, "findings")
    else:
        merged, severities = _merge_sarif(paths, docs)
        code = _exit_code(severities, fail_on)
        text = json.dumps(merged) + "\n"
    return MergedReport(text, kind, len(paths), len(severities), code)


def _load(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as error:
        raise UserError(f"cannot read report {path}: {error.strerror or error}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"{path} is not JSON: {error}",
                        hint="merge the --format json or --format sarif reports of gitops-gen lint") from None


def _format(path: str, doc: Any) -> str:
    if isinstance(doc, dict) and isinstance(doc.get("schemaVersion"), int) and \
            isinstance(doc.get("findings"), list) and _get(doc, "tool", "name") == "gitops-gen":
        return "json"
    runs = doc.get("runs") if isinstance(doc, dict) else None
    if isinstance(runs, list) and len(runs) == 1 and doc.get("version") == "2.1.0" and \
            _get(runs[0], "tool", "driver", "name") == "gitops-gen":
        return "sarif"
    raise UserError(f"{path} is not a JSON or SARIF report of gitops-gen lint",
                    hint="write the reports with `gitops-gen lint --format json` (or sarif) -o FILE")


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _same(paths: list[str], values: list[Any], what: str) -> Any:
    """The value every report has for `what`; reports that differ are refused."""
    if len({json.dumps(v, sort_keys=True) for v in values}) > 1:
        listed = ", ".join(f"{p}: {v}" for p, v in zip(paths, values))
        raise UserError(f"the reports differ in {what} ({listed})",
                        hint="merge the shards of one run, made by the same gitops-gen and settings")
    return values[0]


def _check_shards(paths: list[str], selections: list[Any]) -> None:
    """When the reports are shards, they are all the shards of one split, each once."""
    shards = [s.get("shard") if isinstance(s, dict) else None for s in selections]
    if not any(shards):
        return
    if not all(shards):
        missing = next(p for p, s in zip(paths, shards) if not s)
        raise UserError(f"{missing} is not the report of a shard, but other reports are",
                        hint="merge the reports of `gitops-gen lint --shard I/N` for every I")
    split = [tuple(int(n) for n in str(s).split("/")) for s in shards]
    total = _same(paths, [n for _, n in split], "shard count")
    seen = sorted(i for i, _ in split)
    if seen != list(range(1, total + 1)):
        repeated = sorted({i for i in seen if seen.count(i) > 1})
        missing = sorted(set(range(1, total + 1)) - set(seen))
        what = "; ".join(filter(None, [
            f"shard {', '.join(f'{i}/{total}' for i in missing)} missing" if missing else "",
            f"shard {', '.join(f'{i}/{total}' for i in repeated)} given twice" if repeated else ""]))
        raise UserError(f"the reports are not the {total} shards of one run: {what}",
                        hint="download every shard's report before merging")


def _merge_json(paths: list[str], docs: list[dict], fail_on: str) -> tuple[dict, list[str]]:
    _same(paths, [d.get("schemaVersion") for d in docs], "schemaVersion")
    _same(paths, [_get(d, "tool", "version") for d in docs], "gitops-gen version")
    for key in ("kubernetesVersion", "targetVersion"):
        _same(paths, [_get(d, "summary", key) for d in docs], key)
    _check_shards(paths, [d.get("selection") for d in docs])
    findings = _merged(
        [f for d in docs for f in d["findings"]],
        application=lambda f: f.get("application"),
        with_application=lambda f, names: {**f, "application": names},
        order=lambda f: (f.get("file") or "", f.get("line") or 0, f.get("column") or 0,
                         f.get("code") or "", f.get("message") or "", json.dumps(f, sort_keys=True)))
    severities = [str(f.get("severity")) for f in findings]
    first = docs[0]
    summary = dict(first.get("summary") or {})
    for key in ("files", "resources", "skippedDocuments", "suppressed", "applications"):
        summary[key] = sum(int(_get(d, "summary", key) or 0) for d in docs)
    summary.update(errors=severities.count("error"), warnings=severities.count("warning"),
                   info=severities.count("info"), failOn=fail_on)
    skipped: dict[tuple, dict] = {}
    for doc in docs:
        for item in doc.get("skippedFiles") or []:
            skipped.setdefault((item.get("file"), item.get("reason")), item)
    merged = {**first, "summary": summary, "skippedFiles": list(skipped.values()),
              "selection": _merged_selection([d.get("selection") for d in docs]),
              "findings": findings}
    return merged, severities


def _merged_selection(selections: list[Any]) -> dict | None:
    """What the shards linted together: None for a whole run; the change set when they were
    changed-only runs."""
    chosen = [s for s in selections if isinstance(s, dict)]
    if not any(s.get("changedSince") for s in chosen):
        return None
    apps = {a["name"]: a for s in chosen for a in s.get("applications") or []}
    return {"shard": None, "changedSince": chosen[0].get("changedSince"),
            "changedFiles": sorted({f for s in chosen for f in s.get("changedFiles") or []}),
            "files": sorted({f for s in chosen for f in s.get("files") or []}),
            "applications": [apps[name] for name in sorted(apps)],
            "description": f"merged {len(chosen)} reports"}


def _merge_sarif(paths: list[str], docs: list[dict]) -> tuple[dict, list[str]]:
    runs = [d["runs"][0] for d in docs]
    _same(paths, [_get(r, "tool", "driver", "version") for r in runs], "gitops-gen version")
    _check_shards(paths, [_get(r, "properties", "gitops-gen") for r in runs])

    def location(result: dict) -> tuple:
        physical = _get((result.get("locations") or [{}])[0], "physicalLocation") or {}
        region = physical.get("region") or {}
        return (_get(physical, "artifactLocation", "uri") or "", region.get("startLine") or 0,
                region.get("startColumn") or 0)

    def with_application(result: dict, names: str | None) -> dict:
        properties = {k: v for k, v in (result.get("properties") or {}).items()
                      if k != "application"}
        if names:
            properties["application"] = names
        merged = {k: v for k, v in result.items() if k != "properties"}
        return {**merged, "properties": properties} if properties else merged

    results = _merged(
        [r for run in runs for r in run.get("results") or []],
        application=lambda r: _get(r, "properties", "application"),
        with_application=with_application,
        order=lambda r: (*location(r), r.get("ruleId") or "", _get(r, "message", "text") or "",
                         json.dumps(r, sort_keys=True)))
    run = {key: value for key, value in runs[0].items() if key != "properties"}
    run["results"] = results
    merged = {**docs[0], "runs": [run]}
    return merged, [SARIF_LEVELS.get(str(r.get("level")), "warning") for r in results]


def _merged(items: list[dict], application, with_application, order) -> list[dict]:
    """Items without duplicates: the same finding from several reports once, its Applications
    joined (sorted, as one run joins them); sorted by `order`."""
    by_key: dict[str, tuple[dict, set[str]]] = {}
    for item in items:
        names = {n for n in (application(item) or "").split(", ") if n}
        key = json.dumps(with_application(item, None), sort_keys=True)
        if key in by_key:
            by_key[key][1].update(names)
        else:
            by_key[key] = (item, names)
    merged = [with_application(item, ", ".join(sorted(names)) if names else application(item))
              for item, names in by_key.values()]
    return sorted(merged, key=order)


def _exit_code(severities: list[str], fail_on: str) -> int:
    if fail_on == "never":
        return 0
    return int(any(RANK.get(s, 0) >= RANK[fail_on] for s in severities))
