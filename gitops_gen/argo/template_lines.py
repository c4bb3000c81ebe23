"""Where a rendered path is written in a Helm template: the fallback when tracing finds no
line that set the value."""

from __future__ import annotations

import re

from gitops_gen.lint.model import Path

_TEMPLATE_COMMENT = re.compile(r"\{\{-?\s*/\*.*?\*/\s*-?\}\}", re.S)
_KEY_LINE = re.compile(r"( *)((?:- +)*)([\"']?)([^\"':#{}\[\]]+)\3 *:(?: |$)")


def template_line(template_text: str, path: Path) -> tuple[int, int] | None:
    """The line and column (1-based) of the deepest key of `path` found in a Helm template,
    searched by indentation; keys the template does not write (an `include`, a `toYaml`) are
    skipped. None when no key is found."""
    text = _TEMPLATE_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), template_text)
    lines = text.split("\n")
    start, end, found = 0, len(lines), None
    for part in path:
        if isinstance(part, int):
            items = _template_items(lines, start, end)
            if not (part < len(items) or len(items) == 1):  # one item: written in a `range`
                return found  # which item is not known: the deepest key found
            start, end = items[min(part, len(items) - 1)]
            continue
        hit = _template_key(lines, start, end, part)
        if hit is not None:
            line, column = hit
            found = (line + 1, column + 1)
            start, end = line + 1, _block_end(lines, line + 1, end, column)
    return found


def _content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(("#", "{{"))


def _template_key(lines: list[str], start: int, end: int, key: str) -> tuple[int, int] | None:
    """(line, column) of the least indented `key:` in the lines, 0-based."""
    best = None
    for i in range(start, end):
        match = _KEY_LINE.match(lines[i])
        if match and match.group(4).strip() == key:
            column = match.start(3)
            if best is None or column < best[1]:
                best = (i, column)
    return best


def _block_end(lines: list[str], start: int, end: int, column: int) -> int:
    """Where the block of a key at `column` ends: content indented as much or less (a `-` at
    the key's own column still belongs to it: a compact sequence)."""
    for i in range(start, end):
        if _content(lines[i]):
            lead = len(lines[i]) - len(lines[i].lstrip(" "))
            if lead < column or (lead == column and not lines[i].lstrip(" ").startswith("-")):
                return i
    return end


def _template_items(lines: list[str], start: int, end: int) -> list[tuple[int, int]]:
    """The (start, end) lines of each item of the least indented sequence in the lines."""
    dashes = [(i, len(lines[i]) - len(lines[i].lstrip(" "))) for i in range(start, end)
              if _content(lines[i]) and re.match(r" *-(?: |$)", lines[i])]
    if not dashes:
        return []
    indent = min(lead for _, lead in dashes)
    starts = [i for i, lead in dashes if lead == indent]
    return list(zip(starts, starts[1:] + [end]))
