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

from gitops_gen.lint import Finding, Option, Severity, rule
from gitops_gen.lint.k8s import WORKLOAD_KINDS, containers
from gitops_gen.lint.secretscan import IGNORED_NAMES, SECRET_NAMES, env_reason


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
    names = tuple(opts["secret-names"]), tuple(opts["ignored-names"])
    for container in containers(obj):
        env = container.data.get("env")
        for index, variable in enumerate(env if isinstance(env, list) else ()):
            value = variable.get("value") if isinstance(variable, dict) else None
            if value is None:  # valueFrom, or nothing: no value written out
                continue
            reason = env_reason(variable.get("name"), value, *names)
            if reason:
                yield Finding(f"{container.label} sets {variable['name']} to {reason}",
                              container.at("env", index, "value"))
