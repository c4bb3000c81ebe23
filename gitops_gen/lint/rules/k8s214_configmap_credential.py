"""K8S214 configmap-credential

## What it does
Flags ConfigMap `data` values that are credentials: a value that is a secret by its form,
whatever its key (a PEM private key, an AWS access key ID, a GitHub, GitLab or Slack token, a
Slack webhook URL, a JSON Web Token, a URL with a password such as
`postgres://app:hunter2@db/orders`), also inside a multi-line file such as
`application.properties`; or a value under a key that names a secret (`DB_PASSWORD`,
`api-key`, `clientSecret`, `auth.token`) that is not a placeholder (`<password>`, `${TOKEN}`,
`changeme`, ...). Keys that point at a secret (`password-file`, `existingSecret`,
`token_path`) and harmless URLs pass.

## Why it matters
A ConfigMap is neither encrypted in Git nor protected like a Secret in the cluster: anyone who
can read the repository, or list ConfigMaps in the namespace, reads the credential.

## Example
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: orders}
    data:
      DATABASE_URL: postgres://app:hunter2@db.internal/orders

## Use instead
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: orders}
    data:
      DATABASE_HOST: db.internal
    # and the password from a Secret written by an ExternalSecret:
    #   env: [{name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: orders-db, key: password}}}]
"""

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.k8s import mapping
from gitops_gen.lint.secretscan import setting_reason


@rule(code="K8S214", name="configmap-credential", severity=Severity.ERROR, kinds=("ConfigMap",),
      remediation="Keep the credential in a secret store and read it from a Secret (an ExternalSecret writes it); leave only non-secret settings in the ConfigMap.")
def check(obj, opts):
    for key, value in mapping(obj.get("data")).items():
        reason = setting_reason(key, value)
        if reason:
            yield Finding(f"ConfigMap data {key} is {reason}, in Git in clear", ("data", key))
