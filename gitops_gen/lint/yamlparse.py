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

import re
from typing import Any

from gitops_gen.lazyre import lazy
from gitops_gen.lint import yamlfast
from gitops_gen.lint.yamldata import ParsedYaml, YamlProblem, not_printable
from gitops_gen.lint.yamlnorm import MAX_DEPTH, nesting_depth, string_keys
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
        if fast is not None and not (_may_nest_too_deep(text)
                                     and nesting_depth(fast.documents) > MAX_DEPTH) \
                and (not _may_have_typed_key(text) or string_keys(fast.documents)):
            return fast
    from gitops_gen.lint.yamlcompose import parse_composed

    return parse_composed(text)


_TYPED = (r"(?:[-+]?\.?[0-9]|~|[Tt]rue|TRUE|[Ff]alse|FALSE|[Nn]ull|NULL)[^:\n]*+:"
          r"(?:[ \r\n]|$)")
_TYPED_BLOCK_KEY = re.compile(r"\n[ ]*+(?:-[ ]++)*+" + _TYPED)
_TYPED_FLOW_KEYS = tuple((char, lazy(char + r"[ ]*+" + _TYPED)) for char in "{,")
"""Where a plain key YAML types (a number, a boolean, null) may be: yaml-rs keeps it typed,
the composed path makes it a string (key_text). Patterns with a literal first, which the regex
engine skips to: one alternation tried at every character took half as long as yaml-rs's whole
reading of the 50k corpus, and a set of characters first (`[{,]`) ten times as long as one."""


def _may_have_typed_key(text: str) -> bool:
    return (_TYPED_BLOCK_KEY.search("\n" + text) is not None
            or any(char in text and flow.search(text) is not None
                   for char, flow in _TYPED_FLOW_KEYS))


_INDENT_OF_DEEP = " " * 24
"""On the fast path (no compact nested sequences, flow collections at most 51 levels deep), a
block collection indented less than this is at most 2 * 23 + 2 levels deep: with a flow
collection in it, still within MAX_DEPTH. Deeper text is measured."""


def _may_nest_too_deep(text: str) -> bool:
    return "\n" + _INDENT_OF_DEEP in text or text.startswith(_INDENT_OF_DEEP)


def __getattr__(name: str) -> Any:
    """`locate` and `parse_composed` come from the composed path, imported on first use (it
    imports PyYAML, which a run whose files all take the fast path does not need)."""
    if name in ("locate", "parse_composed"):
        from gitops_gen.lint import yamlcompose

        return getattr(yamlcompose, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
