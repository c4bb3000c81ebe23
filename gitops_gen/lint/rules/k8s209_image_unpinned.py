"""K8S209 image-unpinned

## What it does
Flags containers and init containers whose image has no tag, or the `latest` tag, and no digest.

## Why it matters
What runs then changes without a change in Git: a node that pulls the image later gets a
different build, rollbacks do not roll back, and Argo CD shows Synced while the cluster drifts.

## Example
    image: nginx:latest

## Use instead
    image: nginx:1.27.3
    # or, immutable:
    image: nginx@sha256:4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac
"""

from gitops_gen.lint import Finding, Option, Severity, rule
from gitops_gen.lint.k8s import WORKLOAD_KINDS, containers


@rule(code="K8S209", name="image-unpinned", severity=Severity.ERROR, kinds=WORKLOAD_KINDS,
      options={"allowed-tags": Option(list, [], "Tags accepted although mutable, e.g. [stable].")},
      remediation="Pin the image to a version tag or, better, a digest.")
def check(obj, opts):
    for container in containers(obj):
        image = container.data.get("image")
        if not isinstance(image, str) or "@" in image:
            continue
        last = image.rsplit("/", 1)[-1]
        tag = last.split(":", 1)[1] if ":" in last else None
        if tag in opts["allowed-tags"]:
            continue
        if tag is None:
            yield Finding(f"{container.label} uses image {image!r} with no tag (means latest)",
                          container.at("image"))
        elif tag == "latest":
            yield Finding(f"{container.label} uses image {image!r} with the mutable tag 'latest'",
                          container.at("image"))
