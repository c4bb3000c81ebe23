"""Finding a key of a block mapping in the text, for the text locator (yamltext): with
str.find, or for a key asked often, one pattern made for it that finds the key, the end of the
mapping before it, and where its value starts; and the patterns of a block collection's layout
at a column (`pattern`).
"""

from __future__ import annotations

import re

AFTER = re.compile(r"[ ]*(?:(?=[^ \r\n#])"
                   r"|[^\n]*(?:\n[ ]*(?=[\r\n#])[^\n]*)*\n([ ]*)(?=[^ \r\n#]))")
"""After a `:` or `-`: the spaces before a value on the same line, or whatever comes before the
next line with content (blank lines, comments), with that line's indentation in group 1."""
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_/.](?:[A-Za-z0-9_./ -]*[A-Za-z0-9_./-])?")
"""Keys written plain as they read (a plain key that reads otherwise is typed: not a str)."""
_KEY_END = re.compile(r"[ ]*:(?![^ \r\n])")
_KEYS: dict[tuple[int, str], tuple[re.Pattern, re.Pattern] | int] = {}
"""The patterns made for a key at a column, or how often it was looked for."""
KEY_PATTERN_AFTER = 16
"""How often a key is looked for with str.find before a pattern is made for it."""
_SPELLINGS: dict[str, tuple[str, ...]] = {}
_PATTERNS: dict[tuple[str, int], re.Pattern] = {}


def find_key(text: str, offset: int, column: int, indented: bool, part: str,
             limit: int) -> tuple[int, int, int, int] | None:
    """(offset of the key `part`, offset after its `:`, offset of what follows (see AFTER: the
    value, or the `:`'s end when nothing does), start of the indentation of the value's line
    or -1) in the block mapping whose first key is at `offset` (`indented`: only spaces before
    it on its line) and `column`; None when not found. Any line at the mapping's column before
    the mapping ends (a line indented less) holds one of its keys, and its keys are unique as
    written (a stream with a key twice, in any spelling, is not read on the fast path): the
    first line at the column with the key in any spelling is the one. A key looked for often
    has a pattern made for it (every spelling, and the value, in one search); others are
    found with str.find (making a pattern costs as much as many finds)."""
    patterns = _KEYS.get((column, part), 0)
    if patterns.__class__ is int:
        if patterns < KEY_PATTERN_AFTER:
            _KEYS[(column, part)] = patterns + 1
            for spelling in _SPELLINGS.get(part) or _spellings(part):
                found = _find_written_key(text, offset, column, indented, spelling, limit)
                if found is not None:
                    return found
            return None
        patterns = _key_pattern(column, part)
    if indented:  # from the line break before the first key
        found = patterns[1].search(text, offset - column - 1, limit)
    elif text.startswith(part, offset) or text[offset] in "\"'":  # maybe the first key
        found = patterns[0].match(text, offset, limit) or patterns[1].search(text, offset, limit)
    else:
        found = patterns[1].search(text, offset, limit)
    if found is None:
        return None
    (_, at), (key, after), (indent, _) = found.regs
    return (key, after, at, indent) if key >= 0 else None


def _find_written_key(text: str, offset: int, column: int, indented: bool, spelling: str,
                      limit: int) -> tuple[int, int, int, int] | None:
    """What find_key gives for one spelling, found with str.find."""
    key = -1
    if not indented and text.startswith(spelling, offset):
        found = _KEY_END.match(text, offset + len(spelling))
        if found is not None:
            key = offset
    if key < 0:
        needle = "\n" + " " * column + spelling
        at = text.find(needle, offset - column - 1 if indented else offset, limit)
        while at >= 0:
            found = _KEY_END.match(text, at + len(needle))
            if found is not None:
                if column and pattern("dedent", column).search(text, offset, at):
                    return None  # past the end of the mapping
                key = at + 1 + column
                break
            at = text.find(needle, at + 1, limit)
        else:
            return None
    after = found.end()
    value = AFTER.match(text, after, limit)
    if value is None:
        return key, after, after, -1
    return key, after, value.end(), value.start(1)


def _key_pattern(column: int, part: str) -> tuple[re.Pattern, re.Pattern]:
    """The key `part` in any spelling and its `:` (group 1), then what AFTER matches, if
    anything (the indentation of the value's line in group 2): at a mapping's first key, and at
    the start of a later line at `column` or, first, a line indented less (the mapping's end:
    no group 1)."""
    spellings = "|".join(map(re.escape, _SPELLINGS.get(part) or _spellings(part))) or "(?!)"
    key = f"((?:{spellings})[ ]*:(?![^ \\r\\n]))(?:{AFTER.pattern})?"
    less = f"|[ ]{{0,{column - 1}}}+[^ \\r\\n#]" if column else ""
    if len(_KEYS) > 20_000:
        _KEYS.clear()
    patterns = _KEYS[(column, part)] = (
        re.compile(key), re.compile(f"\\n(?:{' ' * column}{key}{less})"))
    return patterns


def _spellings(part: str) -> tuple[str, ...]:
    """How the key `part` may be written without escapes: plain, double- or single-quoted."""
    spellings = _SPELLINGS.get(part)
    if spellings is None:
        spellings = ()
        if _PLAIN_KEY.fullmatch(part):
            spellings += (part,)
        if not any(c in part for c in '"\\\r\n'):
            spellings += (f'"{part}"',)
        if not any(c in part for c in "'\r\n"):
            spellings += (f"'{part}'",)
        if len(_SPELLINGS) > 20_000:
            _SPELLINGS.clear()
        _SPELLINGS[part] = spellings
    return spellings


def pattern(kind: str, column: int) -> re.Pattern:
    """Compiled once per column. `dedent`: a line with content indented less than `column`;
    `item`: a sequence entry's `-` at `column`; `seq-end`: where a sequence at `column` ends
    (content indented less, or as much but not an entry). Comment lines never count. (A run
    of spaces is taken whole, `{0,n}+`: a line indented more fails at once.)"""
    pattern = _PATTERNS.get((kind, column))
    if pattern is None:
        less = f"[ ]{{0,{column - 1}}}+[^ \\r\\n#]" if column else "(?!)"
        if kind == "dedent":
            source = f"\\n{less}"
        elif kind == "item":
            source = f"\\n[ ]{{{column}}}-(?![^ \\r\\n])"
        else:
            source = f"\\n(?:{less}|[ ]{{{column}}}(?!-(?![^ \\r\\n]))[^ \\r\\n#])"
        pattern = _PATTERNS[(kind, column)] = re.compile(source)
    return pattern
