"""Errors the user can act on: printed as one line, exit code 2."""

from __future__ import annotations


class GitopsGenError(Exception):
    """Base class of every error gitops-gen raises on purpose."""


class UserError(GitopsGenError):
    """Bad input: a path, a config file, an option. Points at file:line:col when it can."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 column: int | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.hint = hint

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line:
                where += f":{self.line}"
                if self.column:
                    where += f":{self.column}"
            where += ": "
        text = f"{where}{self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class ConfigError(UserError):
    """The `.gitops-gen.yaml` file or a rule option is invalid."""
