"""The rule registry: the `@rule` decorator, rule options declared as data, and their validation.

A run reads the rules from the catalog `gitops_gen/data/rule_catalog.json`, generated from the
rule modules by `scripts/gen_rule_catalog.py`: a rule's module is imported when the rule first
checks something, so linting one Deployment does not import the Argo CD rules.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from gitops_gen.lint.model import Severity

DOC_SECTIONS = ("## What it does", "## Why it matters", "## Example", "## Use instead")
_CODE = re.compile(r"^(GG|K8S|SCH|API|KUS|ARGO)\d{3}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

OBJECT = "object"
"""Scope of rules that look at one object at a time: `check(obj, opts)`."""
SET = "set"
"""Scope of rules that look at the whole linted set: `check(index, opts)`."""
APP = "app"
"""Scope of rules that look at one Argo CD Application with what it deploys:
`check(view, opts)`, with `view` an `argo.view.AppView`; paths are in the Application object."""
INPUT = "input"
"""Scope of problems the engine itself reports (parse errors, ...): no check function."""


@dataclass(slots=True)
class Option:
    """One rule option: its type, default, an optional lower bound; `regex` lists hold patterns.

    `parse`, when given, must accept the value or raise ValueError saying why.
    """

    type: type
    default: Any
    help: str
    minimum: int | None = None
    regex: bool = False
    parse: Callable[[Any], Any] | None = None

    def validate(self, value: Any) -> str | None:
        """Return why `value` is not acceptable, or None."""
        if value is None and self.default is None:
            return None
        if self.type is int and (isinstance(value, bool) or not isinstance(value, int)):
            return f"expected an integer, got {value!r}"
        if self.type is list:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                return f"expected a list of strings, got {value!r}"
            for pattern in value if self.regex else ():
                try:
                    re.compile(pattern)
                except re.error as error:
                    return f"{pattern!r} is not a regular expression: {error}"
        elif not isinstance(value, self.type):
            hint = " (quote it)" if self.type is str and isinstance(value, (int, float)) else ""
            return f"expected {self.type.__name__}, got {value!r}{hint}"
        if self.parse is not None:
            try:
                self.parse(value)
            except ValueError as error:
                return str(error)
        if self.minimum is not None and value < self.minimum:
            return f"must be at least {self.minimum}, got {value!r}"
        return None


@dataclass(slots=True)
class Rule:
    """A rule: what it reports, how it is documented and configured, and its check."""

    code: str
    name: str
    severity: Severity
    remediation: str
    doc: str
    scope: str
    kinds: frozenset[str] | None
    options: dict[str, Option] = field(default_factory=dict)
    check: Callable[..., Iterable[Any]] | None = None
    default_enabled: bool = True
    """False for an opt-in rule: it runs only when the config or `--select` turns it on."""

    def loaded_check(self) -> Callable[..., Iterable[Any]] | None:
        """The check function itself, its module imported (a catalogued rule defers that)."""
        check = self.check
        return check.load() if isinstance(check, _DeferredCheck) else check

    @property
    def summary(self) -> str:
        """The first sentence of 'What it does'."""
        body = self.doc.split(DOC_SECTIONS[0], 1)[1].split("##", 1)[0]
        return re.split(r"(?<=[.!?])\s", " ".join(body.split()), maxsplit=1)[0]

    def defaults(self) -> dict[str, Any]:
        return {key: option.default for key, option in self.options.items()}


REGISTRY: dict[str, Rule] = {}
"""The rules of this process by code, as `load_rules` returns them."""
_DEFINED: dict[str, Rule] = {}
"""The rules the imported rule modules define."""
CATALOG_FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data",
                            "rule_catalog.json")
_OPTION_TYPES = {kind.__name__: kind for kind in (bool, int, str, list)}


def rule(*, code: str, name: str, severity: Severity, remediation: str,
         kinds: Iterable[str] | None = None, scope: str = OBJECT,
         options: dict[str, Option] | None = None, default_enabled: bool = True) -> Callable:
    """Register the decorated check function as a rule.

    The rule's documentation is its module docstring, with the four sections of DOC_SECTIONS.
    An opt-in rule (`default_enabled=False`) runs only when the config or `--select` enables it.
    """

    def register(check: Callable) -> Callable:
        _register(check.__module__, check, code=code, name=name, severity=severity,
                  remediation=remediation, kinds=kinds, scope=scope, options=options,
                  default_enabled=default_enabled)
        return check

    return register


def input_rule(module: str, *, code: str, name: str, severity: Severity,
               remediation: str) -> None:
    """Register a problem the engine reports itself (parse errors, ...), documented by `module`."""
    _register(module, None, code=code, name=name, severity=severity, remediation=remediation,
              kinds=None, scope=INPUT, options=None)


def _register(module: str, check: Callable | None, *, code: str, name: str, severity: Severity,
              remediation: str, kinds: Iterable[str] | None, scope: str,
              options: dict[str, Option] | None, default_enabled: bool = True) -> None:
    doc = sys.modules[module].__doc__ or ""
    _validate_definition(code, name, remediation, doc, module)
    _DEFINED[code] = Rule(code=code, name=name, severity=severity, remediation=remediation,
                          doc=doc.strip(), scope=scope,
                          kinds=frozenset(kinds) if kinds is not None else None,
                          options=dict(options or {}), check=check,
                          default_enabled=default_enabled)


def _validate_definition(code: str, name: str, remediation: str, doc: str, module: str) -> None:
    problems = []
    if not _CODE.match(code):
        problems.append(f"code {code!r} is not a known prefix (GG, K8S, SCH, API, KUS, ARGO) and 3 digits")
    if not _NAME.match(name):
        problems.append(f"name {name!r} is not kebab-case")
    if code in _DEFINED and _DEFINED[code].name != name:
        problems.append(f"code {code} is already taken by {_DEFINED[code].name}")
    if any(r.name == name and r.code != code for r in _DEFINED.values()):
        problems.append(f"name {name} is already taken")
    if not remediation.endswith("."):
        problems.append("remediation must end with '.'")
    missing = [s for s in DOC_SECTIONS if s not in doc]
    if missing:
        problems.append(f"docstring lacks {', '.join(missing)}")
    if problems:
        raise RuntimeError(f"rule {code} in {module}: " + "; ".join(problems))


def load_rules() -> dict[str, Rule]:
    """Every rule by code, read from the catalog once per process."""
    if not REGISTRY:
        with open(CATALOG_FILE, encoding="utf-8") as handle:
            REGISTRY.update((entry["code"], _catalogued(entry)) for entry in json.load(handle))
    return dict(sorted(REGISTRY.items()))


def defined_rules() -> dict[str, Rule]:
    """Every rule as its module defines it: each module of `gitops_gen.lint.rules` is imported."""
    import pkgutil

    from gitops_gen.lint import rules as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    return dict(sorted(_DEFINED.items()))


def catalog(rules: dict[str, Rule]) -> list[dict[str, Any]]:
    """The catalog entries of defined rules (what scripts/gen_rule_catalog.py writes)."""
    return [{"code": r.code, "name": r.name, "severity": r.severity.value,
             "remediation": r.remediation, "scope": r.scope,
             "kinds": sorted(r.kinds) if r.kinds is not None else None,
             "default_enabled": r.default_enabled,
             "check": f"{r.check.__module__}:{r.check.__qualname__}" if r.check else None,
             "options": {name: {"type": o.type.__name__, "default": o.default, "help": o.help,
                                "minimum": o.minimum, "regex": o.regex,
                                "parse": f"{o.parse.__module__}:{o.parse.__qualname__}"
                                if o.parse else None}
                         for name, o in r.options.items()},
             "doc": r.doc} for r in rules.values()]


def _catalogued(entry: dict[str, Any]) -> Rule:
    check = _DeferredCheck(entry["check"]) if entry["check"] else None
    options = {name: Option(_OPTION_TYPES[o["type"]], o["default"], o["help"], o["minimum"],
                            o["regex"], _function(o["parse"]) if o["parse"] else None)
               for name, o in entry["options"].items()}
    found = Rule(code=entry["code"], name=entry["name"], severity=Severity(entry["severity"]),
                 remediation=entry["remediation"], doc=entry["doc"], scope=entry["scope"],
                 kinds=frozenset(entry["kinds"]) if entry["kinds"] is not None else None,
                 options=options, check=check, default_enabled=entry["default_enabled"])
    if check is not None:
        check.rule = found
    return found


def _function(reference: str) -> Callable:
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


class _DeferredCheck:
    """A catalogued rule's check: the first call imports the rule's module and gives the rule
    the function itself (a caller that kept this object is still served)."""

    __slots__ = ("reference", "rule", "function")

    def __init__(self, reference: str) -> None:
        self.reference = reference
        self.rule: Rule | None = None
        self.function: Callable | None = None

    def __call__(self, *args: Any) -> Any:
        return self.load()(*args)

    def load(self) -> Callable:
        """The function, its module imported on the first call; the rule then holds it."""
        if self.function is None:
            self.function = _function(self.reference)
            if self.rule is not None and self.rule.check is self:
                self.rule.check = self.function
        return self.function


def resolve(reference: str, rules: dict[str, Rule]) -> Rule | None:
    """Find a rule by code (`K8S101`) or name (`liveness-probe-missing`), case-insensitive."""
    wanted = reference.strip()
    found = rules.get(wanted.upper())
    if found:
        return found
    lowered = wanted.lower()
    return next((r for r in rules.values() if r.name == lowered), None)


def suggest(reference: str, rules: dict[str, Rule]) -> str | None:
    """The closest rule code or name to a misspelt reference."""
    import difflib

    candidates = [r.code for r in rules.values()] + [r.name for r in rules.values()]
    close = difflib.get_close_matches(reference, candidates, n=1, cutoff=0.6)
    return close[0] if close else None
