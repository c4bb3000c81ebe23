"""K8S213 secret-in-git

## What it does
Flags `v1` Secrets that carry values in `data` or `stringData`: base64 is an encoding, not
encryption, so the values are in Git in clear. Secrets with only empty values (such as a
`kubernetes.io/service-account-token` Secret the control plane fills in) pass, and so do
SOPS-encrypted Secrets. A Secret is SOPS-encrypted when it has a `sops` section with a `mac`
and every value is `ENC[...]`: a `sops:` key alone encrypts nothing, so with no `sops.mac` the
Secret is flagged at `sops`, and each value that is not `ENC[...]` is flagged where it is.

## Why it matters
Everything committed stays in the repository's history, its clones, forks and CI caches:
deleting the file later does not take the secret back, it has to be rotated.

## Example
    apiVersion: v1
    kind: Secret
    metadata: {name: db}
    data:
      password: aHVudGVyMg==

## Use instead
    apiVersion: external-secrets.io/v1beta1
    kind: ExternalSecret
    metadata: {name: db}
    spec:
      secretStoreRef: {name: vault, kind: ClusterSecretStore}
      target: {name: db}
      data:
        - secretKey: password
          remoteRef: {key: prod/db, property: password}
"""

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.k8s import mapping


@rule(code="K8S213", name="secret-in-git", severity=Severity.ERROR, kinds=("Secret",),
      remediation="Move the values to a secret store and commit an ExternalSecret (or a SealedSecret or SOPS-encrypted file) instead.")
def check(obj, opts):
    if obj.get("apiVersion") != "v1":
        return
    if "sops" in obj:
        yield from _sops(obj)
        return
    for field in ("data", "stringData"):
        values = mapping(obj.get(field))
        keys = [k for k, v in values.items() if v is not None and v != ""]
        if keys:
            count = f"{len(keys)} value{'s' if len(keys) > 1 else ''}"
            yield Finding(f"Secret stores {count} in Git under {field}; use an ExternalSecret",
                          (field,), key=True)


def _sops(obj):
    """A Secret with a `sops` key: plaintext values, or no MAC (nothing was encrypted)."""
    if not mapping(obj.get("sops")).get("mac"):
        yield Finding("Secret has a 'sops' key but no sops.mac: it is not SOPS-encrypted",
                      ("sops",), key=True)
    for field in ("data", "stringData"):
        for key, value in mapping(obj.get(field)).items():
            if value is not None and value != "" and not str(value).startswith("ENC["):
                yield Finding(f"Secret value {key!r} under {field} is not SOPS-encrypted "
                              "(not ENC[...]): it is in Git in clear", (field, key))
