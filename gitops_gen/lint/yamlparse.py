"""YAML to Python data, with line and column positions found on demand.

Two readers give the same result:

* The composed path (yamlcompose): libyaml's node graph, built into plain data the way
  Kubernetes reads YAML (YAML 1.1 scalars), with duplicate keys and alias bombs reported and
  positions found by walking the nodes.
* The fast path, for the plain block YAML that manifests almost always are: yaml-rs loads the
  data after a pre-scan has ruled out anything the two readers may read differently (yamlfast),
  and positions are found lazily in the text (yamltext).

Anything unusual, and every error (parse errors, duplicate keys, alias bombs, deep nesting), goes
to the composed path, which alone reports problems: both paths give exactly the same `documents`,
`problems`, `locate()` and `scalar_text()`.
"""

from __future__ import annotations

from typing import Any

from gitops_gen.lint import yamlfast
from gitops_gen.lint.yamldata import ParsedYaml, YamlProblem, not_printable
from gitops_gen.lint.yamlfast import load_generated

__all__ = ["ParsedYaml", "YamlProblem", "load_generated", "locate", "parse", "parse_composed"]


def parse(text: str) -> ParsedYaml:
    """Parse every document of `text`; a syntax error stops the file, keeping what came before."""
    bad = not_printable(text)
    if bad:
        from gitops_gen.lint.yamlcompose import parse_before_bad_character

        return parse_before_bad_character(text, bad.start(), parse)
    if yamlfast.FAST_PATH and yamlfast.yaml_rs is not None:
        fast = yamlfast.parse_fast(text)
        if fast is not None:
            return fast
    from gitops_gen.lint.yamlcompose import parse_composed

    return parse_composed(text)


def __getattr__(name: str) -> Any:
    """`locate` and `parse_composed` come from the composed path, imported on first use (it
    imports PyYAML, which a run whose files all take the fast path does not need)."""
    if name in ("locate", "parse_composed"):
        from gitops_gen.lint import yamlcompose

        return getattr(yamlcompose, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
