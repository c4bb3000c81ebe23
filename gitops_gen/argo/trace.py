"""Where in the repository a value of a rendered object was set.

`trace` follows a finding on a rendered object (Helm's or Kustomize's output) back to the line
that set the value: a values-file leaf or mapping, an overlay's `images:` or `replicas:` entry, a
patch (a file, or a string inline in a kustomization) or the base manifest. Every candidate is
ranked; when the best ones disagree the answer is None, since no line beats a wrong line.
The sources are read as trees in `trace_trees`, compared in `trace_compare` and matched in
`trace_matchers`; `template_lines.template_line` is the fallback when nothing is traced.
"""

from __future__ import annotations

from typing import Sequence

from gitops_gen.argo.trace_compare import across_sources, find_target, overridden
from gitops_gen.argo.trace_matchers import MATCHERS
from gitops_gen.argo.trace_trees import Origin, ValueSource, source_trees
from gitops_gen.lint.model import Path

__all__ = ["Origin", "ValueSource", "trace"]


def trace(rendered: dict, path: Path, sources: Sequence[ValueSource]) -> Origin | None:
    """The place that set `path` of `rendered` (or its deepest existing parent), or None.

    `sources` come in increasing precedence: the chart's values.yaml, the value files in order,
    `values`, `valuesObject`; for Kustomize the base's files, then each overlay's patch files
    and its kustomization (whose `images` and `replicas` apply after its patches). Candidates
    rank by the part of an image they explain (digest, else tag, else repository), then how
    well their key names the rendered field, whether their mapping is part of the rendered one,
    their source's precedence, and the keys their path shares with the rendered path. A value
    that higher-precedence values replace never counts. Parsed sources are cached by content.
    """
    sources = tuple(sources)
    across = across_sources(sources)
    target = find_target(rendered, path, across)
    claims = []
    for index, source in enumerate(sources):
        for role, tree in source_trees(source):
            for rank, affinity, context, stage, suffix, at, key in MATCHERS[role](tree, target):
                if role == "values" and overridden(tree, at, index, across.values):
                    continue
                order = (-rank, affinity, context, index, stage, suffix)
                claims.append((order, tree.origin(at, key)))
    if not claims:
        return None
    best = max(order for order, _ in claims)
    origins = {origin for order, origin in claims if order == best}
    return origins.pop() if len(origins) == 1 else None

