"""KUS002 secret-generator-literal

## What it does
Flags the values a Kustomize `secretGenerator` takes from the repository: each `literals`
entry with a value (`password=hunter2`), and each `envs`, `env` or `files` entry whose file
is beside the kustomization in the linted tree (committed with it). A `files` or `envs` entry
naming a file that is not there (written by CI from a secret store before the build, and
ignored by Git) passes, and so does a literal with an empty value.

## Why it matters
The generated Secret is only base64 of these values: the secret itself is in Git in clear, in
every clone and in the history.

## Example
    secretGenerator:
      - name: db
        literals: [password=hunter2]
        envs: [db.env]

## Use instead
    # an ExternalSecret (or a SOPS-encrypted Secret) in resources:
    resources: [externalsecret.yaml]
"""

import os

from gitops_gen.lint import SET, Finding, Severity, rule
from gitops_gen.lint.index import KUSTOMIZE_GROUP


@rule(code="KUS002", name="secret-generator-literal", severity=Severity.ERROR, scope=SET,
      kinds=("Kustomization", "Component"),
      remediation="Move the values to a secret store and generate the Secret with an ExternalSecret (or commit it SOPS-encrypted) instead of a secretGenerator.")
def check(index, opts):
    for kustomization in index.of_kind("Kustomization", "Component"):
        if (kustomization.placement is not None
                or not kustomization.id.api_version.startswith(KUSTOMIZE_GROUP)):
            continue
        folder = os.path.dirname(os.path.abspath(kustomization.file))
        for path, field, text in kustomization.facts.get("secret_sources", ()):
            if field == "literals":
                key, _, value = text.partition("=")
                if value.strip():
                    yield Finding(f"secretGenerator literal {key.strip()!r} is written in the "
                                  "kustomization, in Git in clear", path, resource=kustomization)
                continue
            name = text.split("=", 1)[-1].strip() if field == "files" else text.strip()
            if name and os.path.isfile(os.path.join(folder, name)):
                yield Finding(f"secretGenerator reads {name!r} ({field}), a file committed "
                              "beside the kustomization: its values are in Git in clear", path,
                              resource=kustomization)
