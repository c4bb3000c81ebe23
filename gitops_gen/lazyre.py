"""Regular expressions compiled on their first use.

Compiling a pattern costs more than many short runs use it: linting one file (a pre-commit
hook) imports modules whose patterns only some files need (flow collections, secrets in
environment variables). A module defines such a pattern with `lazy(...)` instead of
`re.compile(...)`; it is compiled the first time it is used, at most once.
"""

from __future__ import annotations

import re

_DELEGATED = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split",
              "scanner", "pattern", "flags", "groups", "groupindex")
"""What `re.Pattern` offers; compiling makes them attributes of the lazy pattern itself."""


class LazyPattern:
    """Stands for `re.compile(source, flags)` until an attribute is first read: then the
    pattern is compiled and its methods become this object's own, so later uses cost what
    the compiled pattern's do."""

    def __init__(self, source: str | bytes, flags: int = 0) -> None:
        self._source = source
        self._flags = flags

    def __getattr__(self, name: str):
        if name.startswith("__"):  # copy, pickle and friends probe for optional hooks
            raise AttributeError(name)
        compiled = re.compile(self._source, self._flags)
        for attribute in _DELEGATED:
            setattr(self, attribute, getattr(compiled, attribute))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy({self._source!r}, {self._flags!r})"


def lazy(source: str | bytes, flags: int = 0) -> LazyPattern:
    """`re.compile(source, flags)`, done on the pattern's first use."""
    return LazyPattern(source, flags)
