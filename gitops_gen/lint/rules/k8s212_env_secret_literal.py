"""K8S212 env-secret-literal

## What it does
Flags environment variables of containers and init containers whose name looks like a secret
and whose value is written in the manifest (`value`, not empty) instead of read with
`valueFrom`. Values made only of `$(VAR)` references to other variables pass.

A name looks like a secret when it matches one of the `secret-names` regular expressions and
none of the `ignored-names` ones (both case-insensitive, searched anywhere in the name). The
defaults match, with words separated by `_`, `-` or `.`:

- `PASSWORD` and `PASSWD` anywhere, so `DBPASSWORD` and also `PASSWORD_MIN_LENGTH` (a
  setting, not a secret: ignore it inline or widen `ignored-names`);
- `PASS` as the last word, `PWD` as a word of a longer name (`PWD` alone is the shell's
  working directory);
- `SECRET` anywhere; `TOKEN` ending a word (so not `TOKENIZERS_PARALLELISM`);
- `API_KEY`, `APIKEY`, `ACCESS_KEY`, `PRIVATE_KEY` anywhere and `_KEY` as the last word (so not
  `KEYCLOAK_URL`); `CREDENTIAL` and `CREDENTIALS` anywhere; `AUTH` as the last word (so
  `REDIS_AUTH`, not `AUTH_ENABLED` or `AUTH_URL`).

The default `ignored-names` skip names that point at a secret rather than hold it or that
qualify it: those ending in `_FILE`, `_PATH`, `_DIR`, `_URL`, `_URI`, `_ENDPOINT`, `_HOST`,
`_PORT`, `_NAME`, `_REF`, `_ID`, `_ENABLED`, `_TTL` or `_TIMEOUT` (`POSTGRES_PASSWORD_FILE`,
`SECRET_NAME`, `AWS_ACCESS_KEY_ID`), public, routing, partition, sort and cache keys, and
`GOOGLE_APPLICATION_CREDENTIALS` (a file path).

## Why it matters
A literal value is in Git in clear, in every clone and in the history, and it is readable by
anyone who can read the Deployment in the cluster: pod specs are not protected like Secrets.

## Example
    env:
      - name: DB_PASSWORD
        value: hunter2

## Use instead
    env:
      - name: DB_PASSWORD
        valueFrom:
          secretKeyRef: {name: db, key: password}
"""

import functools
import re

from gitops_gen.lint import Finding, Option, Severity, rule
from gitops_gen.lint.k8s import WORKLOAD_KINDS, containers, mapping, sequence

SECRET_NAMES = [
    r"PASSW(OR)?D",
    r"(^|[_.-])PASS$",
    r"^PWD[_.-]|[_.-]PWD([_.-]|$)",
    r"SECRET",
    r"TOKEN($|[_.-])",
    r"(API|ACCESS|PRIVATE)[_.-]?KEY",
    r"[_.-]KEY$",
    r"CREDENTIAL",
    r"(^|[_.-])AUTH$",
]
IGNORED_NAMES = [
    r"[_.-](FILE|PATH|DIR|URL|URI|ENDPOINT|HOST|PORT|NAME|REF|ID|ENABLED|TTL|TIMEOUT)$",
    r"(^|[_.-])(PUBLIC|ROUTING|PARTITION|SORT|CACHE)[_.-]?KEY$",
    r"^GOOGLE_APPLICATION_CREDENTIALS$",
]
_REFERENCE = re.compile(r"(?<!\$)\$\([A-Za-z_][A-Za-z0-9_.-]*\)")


@functools.lru_cache(maxsize=32)
def _compile(patterns: tuple[str, ...]) -> re.Pattern:
    """One pattern matching any of `patterns` (validated as regexes when the config loads)."""
    return re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)", re.IGNORECASE)


def _literal(value) -> bool:
    """Whether `value` is a written-out value, not empty and not only `$(VAR)` references."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True
    if not isinstance(value, str):
        return False
    return any(c.isalnum() for c in _REFERENCE.sub("", value))


@rule(code="K8S212", name="env-secret-literal", severity=Severity.ERROR, kinds=WORKLOAD_KINDS,
      options={
          "secret-names": Option(list, SECRET_NAMES,
                                 "Regular expressions of variable names that hold secrets.",
                                 regex=True),
          "ignored-names": Option(list, IGNORED_NAMES,
                                  "Regular expressions of variable names never flagged.", regex=True),
      },
      remediation="Read the value from a Secret with valueFrom.secretKeyRef (or envFrom.secretRef).")
def check(obj, opts):
    secret = _compile(tuple(opts["secret-names"]))
    ignored = _compile(tuple(opts["ignored-names"]))
    for container in containers(obj):
        for index, variable in enumerate(sequence(container.data.get("env"))):
            variable = mapping(variable)
            name = variable.get("name")
            if not isinstance(name, str) or not _literal(variable.get("value")):
                continue
            if secret.search(name) and not ignored.search(name):
                yield Finding(f"{container.label} sets {name} to a literal value",
                              container.at("env", index, "value"))
