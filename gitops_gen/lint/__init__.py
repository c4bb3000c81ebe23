"""The lint engine and what rules need to be written: `rule`, `Finding`, `Severity`, `Option`."""

from gitops_gen.lint.model import Finding, Severity
from gitops_gen.lint.registry import APP, SET, Option, rule

__all__ = ["APP", "Finding", "Option", "SET", "Severity", "rule"]
