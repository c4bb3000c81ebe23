"""CRD `pattern`s are Go regular expressions (RE2 syntax), which the API server compiles with
Go's regexp package; jsonschema-rs reads ECMA-262 patterns. `go_pattern` rewrites what the two
read differently so that a pattern matches what Go matches:

- POSIX classes in brackets (`[[:alnum:]_]`, `[[:^space:]]`) become the ASCII ranges Go gives
  them (ECMA-262 reads `[[:alnum:]]` as a class of `[:alnum` followed by `]`);
- `\\s` is ASCII white space (`[\\t\\n\\f\\r ]`; ECMA-262 adds Unicode spaces and `\\v`), and `.`
  matches anything but `\\n` (ECMA-262 also stops at `\\r`, U+2028 and U+2029), unless a flag
  group sets `s`;
- `\\Q...\\E` quotes literal text, and a `{` or `}` that is not a repeat is a literal;
- `[`, `&`, `~` and `-` in a class are literal (the Rust engine behind jsonschema-rs would read
  nested classes and set operations).

A pattern still unusable (`\\C`, or anything jsonschema-rs does not compile) gives None: the caller
skips it and says so.
"""

from __future__ import annotations

import functools
import re

_POSIX = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\x00-\x7f", "blank": "\t ",
    "cntrl": "\x00-\x1f\x7f", "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~",
    "punct": "!-/:-@[-`{-~", "space": "\t\n\v\f\r ", "upper": "A-Z", "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f"}
_GO_SPACE = "\t\n\f\r "
_REPEAT = re.compile(r"\{[0-9]+(?:,[0-9]*)?\}")
_DOT_ALL = re.compile(r"\(\?[a-zA-Z]*s[a-zA-Z-]*[:)]")
_MAX = 0x10FFFF


class Unsupported(ValueError):
    """A pattern go_pattern cannot rewrite."""


@functools.lru_cache(maxsize=4096)
def go_pattern(pattern: str) -> str | None:
    """`pattern` (Go RE2 syntax) as jsonschema-rs reads it with Go's meaning, or None."""
    try:
        translated = _translate(pattern)
    except Unsupported:
        return None
    if not _compiles(translated):
        return None
    _ORIGINALS[translated] = pattern
    return translated


_ORIGINALS: dict[str, str] = {}


def original(translated: str) -> str:
    """The Go pattern that `go_pattern` turned into `translated` (for messages)."""
    return _ORIGINALS.get(translated, translated)


def _compiles(pattern: str) -> bool:
    import jsonschema_rs

    try:
        jsonschema_rs.validator_for({"pattern": pattern})
    except Exception:  # jsonschema_rs.ValidationError: "... is not a regex"
        return False
    return True


def _translate(pattern: str) -> str:
    out: list[str] = []
    dot_all = _DOT_ALL.search(pattern) is not None
    i, length = 0, len(pattern)
    while i < length:
        char = pattern[i]
        if char == "\\":
            if i + 1 >= length:
                raise Unsupported("trailing backslash")
            following = pattern[i + 1]
            if following == "Q":
                end = pattern.find("\\E", i + 2)
                end = length if end < 0 else end
                out.extend(_literal(c) for c in pattern[i + 2:end])
                i = end + 2
                continue
            if following == "C":
                raise Unsupported("\\C matches a single byte")
            if following in "sS":
                out.append(("[" if following == "s" else "[^") + _class_text(_GO_SPACE) + "]")
            else:
                out.append(pattern[i:i + 2])
            i += 2
        elif char == "[":
            text, i = _class(pattern, i)
            out.append(text)
        elif char == "." and not dot_all:
            out.append("[^\\n]")
            i += 1
        elif char == "{":
            repeat = _REPEAT.match(pattern, i)
            if repeat and out:
                out.append(repeat.group())
                i = repeat.end()
            else:
                out.append("\\{")
                i += 1
        elif char == "}":
            out.append("\\}")
            i += 1
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _class(pattern: str, start: int) -> tuple[str, int]:
    """The bracket class at `start` rewritten, and the offset after it."""
    i = start + 1
    negated = pattern.startswith("^", i)
    i += negated
    ranges: list[tuple[int, int]] = []
    verbatim: list[str] = []  # \p{...} and the like, kept as written
    first = True
    while True:
        if i >= len(pattern):
            raise Unsupported("unterminated class")
        char = pattern[i]
        if char == "]" and not first:
            i += 1
            break
        first = False
        if pattern.startswith("[:", i):
            end = pattern.find(":]", i + 2)
            name = pattern[i + 2:end] if end >= 0 else ""
            members = _POSIX.get(name.lstrip("^"))
            if members is None:
                raise Unsupported(f"unknown class [:{name}:]")
            spans = _spans(members)
            ranges.extend(_complement(spans) if name.startswith("^") else spans)
            i = end + 2
            continue
        if char == "\\":
            following = pattern[i + 1:i + 2]
            if following in ("s", "S"):
                spans = _spans(_GO_SPACE)
                ranges.extend(spans if following == "s" else _complement(spans))
                i += 2
                continue
            if following in ("d", "D", "w", "W"):  # ASCII in both syntaxes
                verbatim.append(pattern[i:i + 2])
                i += 2
                continue
            if following in ("p", "P"):
                end = pattern.find("}", i) + 1 if pattern.startswith("{", i + 2) else i + 3
                if end <= i:
                    raise Unsupported("unterminated \\p{")
                verbatim.append(pattern[i:end])
                i = end
                continue
            if following == "Q":
                end = pattern.find("\\E", i + 2)
                end = len(pattern) if end < 0 else end
                ranges.extend((ord(c), ord(c)) for c in pattern[i + 2:end])
                i = end + 2
                continue
            low, i = _escaped(pattern, i)
        else:
            low, i = ord(char), i + 1
        high = low
        if pattern.startswith("-", i) and not pattern.startswith("-]", i):
            if pattern.startswith("\\", i + 1):
                high, i = _escaped(pattern, i + 1)
            elif i + 1 < len(pattern):
                high, i = ord(pattern[i + 1]), i + 2
            if high < low:
                raise Unsupported("bad range")
        ranges.append((low, high))
    body = "".join(_range_text(low, high) for low, high in _merged(ranges)) + "".join(verbatim)
    if not body:
        raise Unsupported("empty class")
    return ("[^" if negated else "[") + body + "]", i


_SIMPLE_ESCAPES = {"t": 9, "n": 10, "v": 11, "f": 12, "r": 13, "a": 7}


def _escaped(pattern: str, i: int) -> tuple[int, int]:
    """The code point of the escape at `i` inside a class, and the offset after it."""
    following = pattern[i + 1:i + 2]
    if not following:
        raise Unsupported("trailing backslash")
    if following in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[following], i + 2
    if following == "x":
        if pattern.startswith("{", i + 2):
            end = pattern.find("}", i + 3)
            digits, after = pattern[i + 3:end], end + 1
        else:
            digits, after = pattern[i + 2:i + 4], i + 4
        try:
            return int(digits, 16), after
        except ValueError:
            raise Unsupported("bad \\x escape") from None
    if following.isalnum():
        raise Unsupported(f"escape \\{following} in a class")
    return ord(following), i + 2


def _spans(members: str) -> list[tuple[int, int]]:
    spans, i = [], 0
    while i < len(members):
        if i + 2 < len(members) and members[i + 1] == "-":
            spans.append((ord(members[i]), ord(members[i + 2])))
            i += 3
        else:
            spans.append((ord(members[i]), ord(members[i])))
            i += 1
    return spans


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def _complement(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out, start = [], 0
    for low, high in _merged(ranges):
        if low > start:
            out.append((start, low - 1))
        start = high + 1
    if start <= _MAX:
        out.append((start, _MAX))
    return out


def _range_text(low: int, high: int) -> str:
    return _point(low) if low == high else f"{_point(low)}-{_point(high)}"


def _point(code: int) -> str:
    return _literal(chr(code))


def _class_text(members: str) -> str:
    return "".join(_range_text(low, high) for low, high in _merged(_spans(members)))


def _literal(char: str) -> str:
    if char.isalnum() and char.isascii():
        return char
    return "\\" + char if char in _SYNTAX else f"\\u{{{ord(char):X}}}"


_SYNTAX = frozenset("^$\\.*+?()[]{}|/-")
