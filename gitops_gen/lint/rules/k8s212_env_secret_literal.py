"""K8S212 env-secret-literal

## What it does
Flags environment variables of containers and init containers whose value is written in the
manifest (`value`) instead of read with `valueFrom`, when the value is a secret by its form
whatever the variable is called (a PEM private key, an AWS access key ID, a GitHub, GitLab,
Slack, Stripe, npm or Google API token, a JSON Web Token, a URL with a password), or when the
name looks like a secret and the value is not a placeholder. Empty values, values made only
of `$(VAR)` references to other variables, placeholders (`<password>`, `${TOKEN}`,
`{{ .token }}`, `changeme`, `xxxx`, `***`, `redacted`...) and `true`/`false` pass.

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

The default `ignored-names` (an allow-list of names that are not secrets) skip names that
point at a secret rather than hold it or that qualify it: those ending in `_FILE`, `_PATH`,
`_DIR`, `_URL`, `_URI`, `_ENDPOINT`, `_HOST`, `_PORT`, `_NAME`, `_REF`, `_ID`, `_ARN`,
`_ENABLED`, `_TTL`, `_TIMEOUT`, `_LENGTH`, `_ALGORITHM`, `_TYPE`, `_HEADER`, `_AUDIENCE`,
`_ISSUER`, `_REGION`, `_VERSION` or `_MOUNT` (`POSTGRES_PASSWORD_FILE`, `AUTH_TOKEN_FILE`,
`SECRET_NAME`, `AWS_ACCESS_KEY_ID`, `CLUSTER_ID`, `PASSWORD_MIN_LENGTH`), public, routing,
partition, sort and cache keys (`PUBLIC_KEY`, `JWT_PUBKEY`), and
`GOOGLE_APPLICATION_CREDENTIALS` (a file path). They never silence a value that is a secret
by its form.

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
    r"[_.-](FILE|PATH|DIR|URL|URI|ENDPOINT|HOST|PORT|NAME|REF|ID|ARN|ENABLED|TTL|TIMEOUT"
    r"|LENGTH|ALGORITHM|TYPE|HEADER|AUDIENCE|ISSUER|REGION|VERSION|MOUNT)$",
    r"(^|[_.-])(PUBLIC|ROUTING|PARTITION|SORT|CACHE)[_.-]?KEY$",
    r"(^|[_.-])PUB[_.-]?KEY$",
    r"^GOOGLE_APPLICATION_CREDENTIALS$",
]
SECRET_VALUES = {
    "a PEM private key": r"-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----",
    "an AWS access key ID": r"\b(AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b",
    "a GitHub token": r"\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})\b",
    "a GitLab token": r"\bglpat-[A-Za-z0-9_-]{20,}",
    "a Slack token": r"\bxox[abposr]-[A-Za-z0-9-]{10,}",
    "a Stripe secret key": r"\b[rs]k_live_[A-Za-z0-9]{20,}",
    "an npm token": r"\bnpm_[A-Za-z0-9]{36}\b",
    "a Google API key": r"\bAIza[0-9A-Za-z_-]{35}\b",
    "a JSON Web Token": r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
    "a URL with a password": r"[a-z][a-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@",
}
"""Values that are secrets whatever the variable is called, by what they are."""
_SECRET_VALUE = re.compile("|".join(f"(?P<v{i}>{pattern})"
                                    for i, pattern in enumerate(SECRET_VALUES.values())))
_PLACEHOLDER = re.compile(
    r"<[^<>]*>|\$\{[^{}]*\}|\{\{.*\}\}|x{3,}|\*{3,}|\.{3,}|true|false|"
    r"(change|replace)[_ -]?me|todo|tbd|placeholder|redacted|dummy|example|none|null|n/?a",
    re.IGNORECASE)
_REFERENCE = re.compile(r"(?<!\$)\$\([A-Za-z_][A-Za-z0-9_.-]*\)")
_TEMPLATED = re.compile(r"<[^<>]*>|\$\{[^{}]*\}|\{\{.*?\}\}")


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
            name, value = variable.get("name"), variable.get("value")
            if not isinstance(name, str) or not _literal(value):
                continue
            form = _secret_form(str(value))
            if form:
                yield Finding(f"{container.label} sets {name} to {form} in clear",
                              container.at("env", index, "value"))
            elif (secret.search(name) and not ignored.search(name)
                  and not _PLACEHOLDER.fullmatch(str(value).strip())):
                yield Finding(f"{container.label} sets {name} to a literal value",
                              container.at("env", index, "value"))


def _secret_form(value: str) -> str | None:
    """What a value is, when its form says it is a secret (references and placeholders left
    out)."""
    match = _SECRET_VALUE.search(_TEMPLATED.sub("", _REFERENCE.sub("", value)))
    if match is None:
        return None
    return list(SECRET_VALUES)[int(match.lastgroup[1:])]
