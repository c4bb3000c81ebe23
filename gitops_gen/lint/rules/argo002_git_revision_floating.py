"""ARGO002 git-revision-floating

## What it does
Flags a Git source of a production Application whose `targetRevision` moves. Git sources are
those without `chart:`, `ref:` sources of value files included; moving revisions are `HEAD`,
empty, a branch name, or a semver constraint over tags (`v1.*`, `>=1.2.0`). Fixed: a
40-character commit SHA, a tag that looks like a version (`v1.2.3`, `1.2.3`, `v1.2`,
`1.2.3-rc.1`), or any `refs/tags/...`. An Application is production when it or its root
Application has a name matching one of the `production` patterns (by default a `prod` or
`production` word: `prod-web`, `web.prod`), or carries the label `environment`, `env` or
`gitops-gen.io/environment` set to `prod` or `production`.

Sources in this repository are not flagged unless `include-this-repository` is true: in a
repository with one folder per environment, merging into the main branch is the promotion to
production, reviewed on its pull request, and pinning the repository to a commit of itself
would need a second commit for every change. `oci://` sources are not Git and are not judged.

## Why it matters
Argo CD syncs a branch to whatever its head is now. A push to the other repository (another
team's manifests, a shared base, a values repository) changes production without a change or
a review here, a rollback in this repository does not roll it back, and two syncs of the same
commit can deploy different things.

## Example
    metadata:
      name: prod-payments
    spec:
      sources:
        - repoURL: https://github.com/acme/payments-deploy.git
          targetRevision: main
          path: overlays/prod

## Use instead
    spec:
      sources:
        - repoURL: https://github.com/acme/payments-deploy.git
          targetRevision: v2.14.0        # or the commit SHA
          path: overlays/prod
"""

import functools
import re

from gitops_gen.argo.apps import App
from gitops_gen.lint import APP, Finding, Option, Severity, rule
from gitops_gen.lint.k8s import get, mapping

ENVIRONMENT_LABELS = ("environment", "env", "gitops-gen.io/environment")
PRODUCTION_VALUES = frozenset({"prod", "production"})
PRODUCTION_NAMES = [r"(^|[-_.])prod(uction)?([-_.]|$)"]
_COMMIT = re.compile(r"^[0-9a-fA-F]{40}$")
_VERSION_TAG = re.compile(r"^v?\d+\.\d+(\.\d+)?([-+][0-9A-Za-z.+-]+)?$")


@rule(code="ARGO002", name="git-revision-floating", severity=Severity.ERROR, scope=APP,
      kinds=("Application",),
      options={
          "production": Option(list, PRODUCTION_NAMES,
                               "Regular expressions of Application names (the Application's or "
                               "its root's) that mark production.", regex=True),
          "include-this-repository": Option(bool, False,
                                            "Also flag sources that are this repository."),
      },
      remediation="Pin the source's targetRevision to a release tag or a commit SHA.")
def check(view, opts):
    app, production = view.app, tuple(opts["production"])
    if not _is_production(app, production) and not _is_production(app.root, production):
        return
    for source in app.sources():
        revision, url = source.target_revision, source.repo_url
        if (not url or source.is_helm_chart or url.startswith("oci://") or _is_fixed(revision)
                or (view.is_this_repository(url) and not opts["include-this-repository"])):
            continue
        written = get(app.body, source.yaml_path + ("targetRevision",)) is not None
        yield Finding(f"production Application {app.name} deploys {url} at the floating "
                      f"revision {revision!r}",
                      source.yaml_path + (("targetRevision",) if written else ()))


def _is_fixed(revision: str) -> bool:
    return bool(_COMMIT.match(revision) or _VERSION_TAG.match(revision)
                or revision.startswith("refs/tags/"))


def _is_production(app: App, patterns: tuple[str, ...]) -> bool:
    labels = mapping(mapping(app.body.get("metadata")).get("labels"))
    return (any(str(labels.get(k, "")).lower() in PRODUCTION_VALUES for k in ENVIRONMENT_LABELS)
            or any(p.search(app.name) for p in _compiled(patterns)))


@functools.lru_cache(maxsize=64)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p) for p in patterns)
