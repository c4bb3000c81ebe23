"""What Kubernetes, Helm and editors see in YAML, where PyYAML and yaml-rs see otherwise: mapping
keys as JSON strings, a nesting limit, and positions counted in editor lines."""

from __future__ import annotations

import bisect
import re
from typing import Any

from gitops_gen.lazyre import lazy
from gitops_gen.lint.yamldata import YamlProblem

MAX_DEPTH = 100
"""Collections nested deeper than this (the document's root collection is level 1) are refused
with a parse error at the first collection past it. Manifests and CRDs nest less than 40 levels;
the limit keeps every recursive reader (rules, schema validation, reporters) far from Python's
and jsonschema-rs's recursion limits."""


class LineMap:
    """YAML 1.1 (libyaml) also breaks lines at U+0085, U+2028 and U+2029; editors, `grep -n`
    and GitHub do not. Turns libyaml's 1-based (line, column) into theirs."""

    ODD_BREAKS = lazy("[\x85\u2028\u2029]")

    def __init__(self, text: str) -> None:
        self.length = len(text)
        self.yaml_starts = [0] + [m.end() for m in re.finditer(
            "\r\n|[\r\n\x85\u2028\u2029]", text)]
        self.starts = [0] + [m.end() for m in re.finditer("\r\n|[\r\n]", text)]

    def position(self, line: int, column: int) -> tuple[int, int]:
        if line > len(self.yaml_starts):
            return line, column
        offset = min(self.yaml_starts[line - 1] + column - 1, self.length)
        index = bisect.bisect_right(self.starts, offset) - 1
        return index + 1, offset - self.starts[index] + 1

    def problem(self, problem: YamlProblem) -> YamlProblem:
        line, column = self.position(problem.line, problem.column)
        return YamlProblem(problem.kind, problem.message, line, column)


def within(text: str, problem: YamlProblem) -> YamlProblem:
    """A problem libyaml places past the end of the text (or of a line), at that end."""
    lines = EDITOR_BREAK.split(text)
    line = min(problem.line, len(lines))
    column = min(problem.column if line == problem.line else len(lines[-1]) + 1,
                 len(lines[line - 1]) + 1)
    if (line, column) == (problem.line, problem.column):
        return problem
    return YamlProblem(problem.kind, problem.message, line, column)


EDITOR_BREAK = lazy("\r\n|[\r\n]")


def key_text(key: Any) -> str:
    """A mapping key as Kubernetes and Helm read it: sigs.k8s.io/yaml turns YAML into JSON,
    whose keys are strings (1 -> "1", true -> "true", 1.5 -> "1.5", 1e6 -> "1e+06"). So `1` and
    `true` stay two keys (a Python dict would merge them: 1 == True), and `1` and `"1"` are
    the same key. A null key reads "null", a collection key its Python text."""
    cls = key.__class__
    if cls is str:
        return key
    if cls is bool:
        return "true" if key else "false"
    if cls is int:
        return str(key)
    if cls is float:
        return _go_float(key)
    return "null" if key is None else str(key)


def _go_float(number: float) -> str:
    """Go's strconv.FormatFloat(number, 'g', -1, 64): the shortest digits, in exponent form
    when the exponent is below -4 or at least 6."""
    if number != number:
        return "NaN"
    if number in (float("inf"), float("-inf")):
        return "+Inf" if number > 0 else "-Inf"
    import decimal

    sign, digits, exponent = decimal.Decimal(repr(number)).normalize().as_tuple()
    text = "".join(map(str, digits))
    point = len(text) + exponent  # where the decimal point goes in `text`
    if point - 1 < -4 or point - 1 >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        shown = f"{mantissa}e{'-' if point - 1 < 0 else '+'}{abs(point - 1):02d}"
    elif point <= 0:
        shown = "0." + "0" * -point + text
    elif point >= len(text):
        shown = text + "0" * (point - len(text))
    else:
        shown = text[:point] + "." + text[point:]
    return ("-" if sign else "") + shown


def string_keys(documents: list[Any]) -> bool:
    """Turn every non-string mapping key into `key_text`, in place; False (and the documents
    half changed) when two keys become one (`1` and `"1"`). Iterative: safe at any depth."""
    stack = list(documents)
    while stack:
        value = stack.pop()
        if value.__class__ is dict:
            if any(key.__class__ is not str for key in value):
                items = [(key_text(key), child) for key, child in value.items()]
                value.clear()
                value.update(items)
                if len(value) != len(items):
                    return False
            stack.extend(value.values())
        elif value.__class__ is list:
            stack.extend(value)
    return True


def nesting_depth(documents: list[Any], limit: int = MAX_DEPTH) -> int:
    """How deep collections nest in `documents` (1: a flat mapping), counted up to `limit` + 1.
    Iterative: safe on data of any depth."""
    level = [d for d in documents if d.__class__ is dict or d.__class__ is list]
    depth = 0
    while level and depth <= limit:
        depth += 1
        deeper = []
        for value in level:
            for child in (value.values() if value.__class__ is dict else value):
                if child.__class__ is dict or child.__class__ is list:
                    deeper.append(child)
        level = deeper
    return depth
