"""The entries of a config's `exclude`, `clusters` and `rules` sections (lint.config builds
them; a run without a config file never imports this module)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gitops_gen.lint.model import Severity


@dataclass(frozen=True, slots=True)
class Exclusion:
    """Findings matching every given criterion are dropped; empty criteria match anything."""

    paths: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    rules: frozenset[str] = frozenset()
    reason: str = ""

    @property
    def whole_files(self) -> bool:
        """Only paths given: the files are not read at all."""
        return bool(self.paths) and not (self.kinds or self.namespaces or self.names or self.rules)


@dataclass(frozen=True, slots=True)
class ClusterVersion:
    """The Kubernetes version of the cluster that some Applications deploy to."""

    applications: tuple[str, ...]
    """Globs of Application names: an Application matches by its own name or its root's."""
    k8s_version: str


@dataclass(slots=True)
class RuleSetting:
    """What a config says of one rule (None: it leaves the default)."""

    enabled: bool | None = None
    severity: Severity | None = None
    options: dict[str, Any] = field(default_factory=dict)
