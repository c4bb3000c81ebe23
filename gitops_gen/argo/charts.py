"""The remote Helm charts Argo CD Applications use, and the local cache offline rendering reads.

Cache layout: one flat folder, one entry per chart name and version::

    <charts-dir>/<chart>-<version>.tgz               the archive, as `helm pull` writes it
    <charts-dir>/<chart>-<version>/<chart>/          or the chart unpacked (Chart.yaml inside)

The repository is not part of the key: the same chart name and version pulled from two
repositories is one entry, and the first one pulled serves both. When both forms are present the
archive wins. The charts dir is `$GITOPS_GEN_CHARTS_DIR`, else `$XDG_CACHE_HOME/gitops-gen/charts`,
else `~/.cache/gitops-gen/charts`.

Which sources are remote charts follows Argo CD's repo-server (`reposerver/repository`):

* a `repoURL` starting with `oci://` is an OCI artifact source, tested before `chart`: the
  artifact `oci://host/path/<chart>` at tag `targetRevision` is the chart, and `chart` is ignored
  (a `path` other than `.` means the artifact is not a Helm chart);
* otherwise a source with `chart` is a Helm chart: from the HTTP(S) chart repository `repoURL`,
  or, when `repoURL` has no scheme (`registry-1.docker.io/bitnamicharts`), from the OCI registry
  as `oci://<repoURL>/<chart>`. Registries that Argo CD knows as OCI only through a repository
  secret (`enableOCI` on an https URL) cannot be told apart offline.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from gitops_gen.lint.k8s import get, mapping, sequence

TEMPLATED = "{{"
OCI_SCHEME = "oci://"
ARGO_GROUP = "argoproj.io/"

_EXACT_VERSION = re.compile(
    r"v?\d+(\.\d+){0,2}(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?")
"""A version, not a range: what Argo CD's `versions.IsVersion` (Masterminds semver) accepts."""


@dataclass(frozen=True, order=True)
class ChartRef:
    """A remote chart as an Application names it."""

    repo_url: str
    """As written: https://..., oci://host/path/chart, or an OCI host/path with no scheme."""
    chart: str
    version: str
    """The `targetRevision`."""

    @property
    def name(self) -> str:
        """The chart's name: the last segment of `chart` (`bitnamicharts/nginx` is `nginx`)."""
        return self.chart.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class PullResult:
    ref: ChartRef
    status: str
    """"pulled", "cached" or "failed"."""
    path: Path | None
    error: str | None
    """One line saying why a pull failed."""


def default_charts_dir() -> Path:
    """`$GITOPS_GEN_CHARTS_DIR`, else `$XDG_CACHE_HOME/gitops-gen/charts`, else `~/.cache/...`."""
    explicit = os.environ.get("GITOPS_GEN_CHARTS_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    cache = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return cache / "gitops-gen" / "charts"


def cache_path(charts_dir: Path, ref: ChartRef) -> Path:
    """Where a pull writes the chart: `<charts-dir>/<chart>-<version>.tgz`."""
    return charts_dir / f"{ref.name}-{ref.version}.tgz"


def find_chart(charts_dir: Path, ref: ChartRef) -> Path | None:
    """The cached archive of the chart, else its unpacked folder, else None."""
    archive = cache_path(charts_dir, ref)
    if archive.is_file():
        return archive
    folder = charts_dir / f"{ref.name}-{ref.version}" / ref.name
    return folder if (folder / "Chart.yaml").is_file() else None


def is_exact_version(version: str) -> bool:
    """True for a version such as `10.1.1` or `v1.21.1`; False for a range, a digest or ''."""
    return _EXACT_VERSION.fullmatch(version) is not None


def chart_refs(paths: Iterable[str]) -> list[ChartRef]:
    """Every remote chart source of the Applications and ApplicationSets in these files/folders.

    Sources with a templated repoURL, chart or targetRevision (`{{ ... }}`) are skipped: only a
    generated Application knows them. Sorted and unique.
    """
    from gitops_gen.lint import yamlparse
    from gitops_gen.lint.sources import discover, read_text

    refs: set[ChartRef] = set()
    files, _ = discover(list(paths))
    for file in files:
        text, _ = read_text(file, None)
        if not text or ARGO_GROUP not in text:
            continue
        for document in yamlparse.parse(text).documents:
            for spec in _application_specs(document):
                refs.update(filter(None, map(chart_ref, _sources(spec))))
    return sorted(refs)


def _application_specs(document: Any) -> Iterator[dict]:
    """The Application specs of a document: an Application's, an ApplicationSet's template's."""
    listed = mapping(document).get("kind") == "List"
    for obj in sequence(document.get("items")) if listed else [document]:
        obj = mapping(obj)
        if not str(obj.get("apiVersion", "")).startswith(ARGO_GROUP):
            continue
        if obj.get("kind") == "Application":
            yield mapping(obj.get("spec"))
        elif obj.get("kind") == "ApplicationSet":
            yield mapping(get(obj, ("spec", "template", "spec")))


def _sources(spec: dict) -> list[Any]:
    """The sources Argo CD renders: `sources` when it is a non-empty list, else `source`."""
    return sequence(spec.get("sources")) or [spec.get("source")]


def chart_ref(source: Any) -> ChartRef | None:
    """The chart a source names, or None when it is not a remote chart (or is templated)."""
    source = mapping(source)
    repo_url, chart, version = (source.get(k) for k in ("repoURL", "chart", "targetRevision"))
    if isinstance(repo_url, str) and repo_url.startswith(OCI_SCHEME):
        if source.get("path") not in (None, "", ".", "./"):
            return None  # a folder inside the artifact: not a Helm chart
        chart = repo_url.rstrip("/").rsplit("/", 1)[-1]
    fields = (repo_url, chart, "" if version is None else version)
    if not all(isinstance(field, str) for field in fields) or not repo_url or not chart:
        return None
    if any(TEMPLATED in field for field in fields):
        return None
    return ChartRef(*fields)


def pull_charts(refs: Iterable[ChartRef], charts_dir: Path) -> list[PullResult]:
    """Pull each chart missing from the cache; a failure is a result with a one-line error."""
    from helm_python import HelmError

    results = []
    for ref in dict.fromkeys(refs):
        found = find_chart(charts_dir, ref)
        if found is not None:
            results.append(PullResult(ref, "cached", found, None))
            continue
        try:
            results.append(PullResult(ref, "pulled", _pull(ref, charts_dir), None))
        except (HelmError, OSError, _NotPulled) as error:
            results.append(PullResult(ref, "failed", None, _one_line(error)))
    return results


class _NotPulled(Exception):
    """A chart that cannot or did not come into the cache, for a reason helm does not give."""


def _pull(ref: ChartRef, charts_dir: Path) -> Path:
    """Download into a temporary folder inside the cache, check it is a chart, move it in place."""
    import helm_python as helm

    if not is_exact_version(ref.version):
        raise _NotPulled(f"targetRevision {ref.version!r} is not an exact chart version (a range, "
                         "a digest or nothing): the cache holds <chart>-<version>.tgz; pin one")
    charts_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".pull-", dir=charts_dir))
    try:
        chart_ref, repo_url = pull_arguments(ref)
        helm.pull(chart_ref, repo_url=repo_url, version=ref.version, destination=work)
        downloaded = list(work.iterdir())  # named as the repository names it: renamed below
        if len(downloaded) != 1:
            raise _NotPulled(f"helm pull wrote {len(downloaded)} files, expected one chart archive")
        _check_chart(downloaded[0])
        target = cache_path(charts_dir, ref)
        os.replace(downloaded[0], target)
        return target
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _check_chart(archive: Path) -> None:
    """Refuse a download that is not a chart (an HTML error page, a truncated file)."""
    from helm_python import Chart, HelmError

    try:
        Chart.load(archive).close()
    except HelmError as error:
        detail = str(error).replace(str(archive), archive.name)
        raise _NotPulled(f"the download is not a chart archive: {detail}") from None


def pull_arguments(ref: ChartRef) -> tuple[str, str | None]:
    """What `helm pull` takes for a chart: the chart reference and the repository URL (or None)."""
    if ref.repo_url.startswith(OCI_SCHEME):
        return ref.repo_url.rstrip("/"), None
    if is_oci_registry(ref.repo_url):
        return f"{OCI_SCHEME}{ref.repo_url.rstrip('/')}/{ref.chart}", None
    return ref.chart, ref.repo_url


def is_oci_registry(repo_url: str) -> bool:
    """True for a repoURL with no scheme and host, Argo CD's `helm.IsHelmOciRepo`."""
    return bool(repo_url) and not urlsplit(repo_url).netloc


def manual_pull_command(ref: ChartRef, charts_dir: Path) -> str:
    """The `helm pull` command that puts the chart in the cache by hand."""
    chart_ref, repo_url = pull_arguments(ref)
    words = ["helm", "pull", chart_ref] + (["--repo", repo_url] if repo_url else [])
    words += ["--version", ref.version, "-d", str(charts_dir)]
    return shlex.join(words)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__
