"""Tracing a value of a rendered object back to the line of the repository that set it
(`gitops_gen.argo.trace`): Helm values files in layers and inline in an Application, Kustomize
overlays (`images`, `replicas`, patch files and inline patches), base manifests, and Helm
templates as the fallback. Every expectation is an exact file, line and column; where two
places explain a value equally well the answer must be None, never a guess.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import pytest
import yaml

from gitops_gen.argo import trace as trace_module
from gitops_gen.argo.trace import Origin, ValueSource, template_line, trace

REPO = Path(__file__).resolve().parent.parent
KUBECTL = Path(sys.executable).parent / "kubectl"
CONTAINER = ("spec", "template", "spec", "containers", 0)
POD = ("spec", "template", "spec")

# -- a Helm app in layers, like output-example/apps/checkout

CHART_VALUES = dedent("""\
    # Defaults of the app chart.
    image:
      repository: ""
      # A tag or a digest (or both) is required: the image is always pinned.
      tag: ""
      digest: ""
      pullPolicy: IfNotPresent
    containerPort: 8080
    healthPath: /healthz
    replicaCount: 2
    autoscaling:
      enabled: false
      minReplicas: 2
      maxReplicas: 5
    resources:
      requests:
        cpu: 100m
        memory: 128Mi
      limits:
        memory: 256Mi
    podSecurityContext:
      runAsNonRoot: true
      runAsUser: 10001
      fsGroup: 10001
      seccompProfile:
        type: RuntimeDefault
    securityContext:
      runAsNonRoot: true
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      seccompProfile:
        type: RuntimeDefault
    """)

APP_VALUES = dedent("""\
    # Values of checkout for every environment.
    fullnameOverride: "checkout"
    containerPort: 9000
    healthPath: "/healthz"
    """)

PROD_VALUES = dedent("""\
    # Values of checkout in prod, over values.yaml.
    image:
      repository: "333333333333.dkr.ecr.eu-west-1.amazonaws.com/acme/checkout"
      tag: "latest"
      digest: ""
    resources:
      requests:
        cpu: 500m
        memory: 512Mi
      limits:
        memory: 512Mi
    """)

ECR = "333333333333.dkr.ecr.eu-west-1.amazonaws.com/acme"


def helm_sources(*prod: str) -> list[ValueSource]:
    """chart/values.yaml < values.yaml < values-prod.yaml (or the texts given for it)."""
    return [ValueSource("apps/checkout/chart/values.yaml", CHART_VALUES),
            ValueSource("apps/checkout/values.yaml", APP_VALUES),
            *(ValueSource("apps/checkout/values-prod.yaml", text)
              for text in prod or (PROD_VALUES,))]


def deployment(container: dict | None = None, pod: dict | None = None, **spec) -> dict:
    """A rendered Deployment with one container."""
    container = {"name": "checkout", "image": f"{ECR}/checkout:latest", **(container or {})}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "checkout", "namespace": "checkout"},
            "spec": {**spec, "template": {"spec": {**(pod or {}), "containers": [container]}}}}


# -- Helm values: scalars


def test_the_tag_of_an_image_comes_from_the_highest_values_file_that_sets_it():
    found = trace(deployment(), CONTAINER + ("image",), helm_sources())
    assert found == Origin("apps/checkout/values-prod.yaml", 4, 8, "image.tag")


def test_the_digest_decides_over_the_tag_and_a_missing_tag_points_at_the_repository():
    digest = "sha256:" + "ab" * 32
    pinned = PROD_VALUES.replace('digest: ""', f'digest: "{digest}"')
    image = f"{ECR}/checkout:latest@{digest}"
    found = trace(deployment({"image": image}), CONTAINER + ("image",), helm_sources(pinned))
    assert found == Origin("apps/checkout/values-prod.yaml", 5, 11, "image.digest")
    untagged = PROD_VALUES.replace('tag: "latest"', 'tag: ""')
    found = trace(deployment({"image": f"{ECR}/checkout"}), CONTAINER + ("image",),
                  helm_sources(untagged))
    assert found == Origin("apps/checkout/values-prod.yaml", 3, 15, "image.repository")


def test_a_whole_image_string_and_a_registry_split_from_the_repository():
    whole = "# A chart that takes the image whole.\nimage: acme/orders:latest\n"
    found = trace(deployment({"image": "acme/orders:latest"}), CONTAINER + ("image",),
                  helm_sources(whole))
    assert found == Origin("apps/checkout/values-prod.yaml", 2, 8, "image")
    split = "image:\n  registry: docker.io\n  repository: acme/orders\n"
    found = trace(deployment({"image": "docker.io/acme/orders"}), CONTAINER + ("image",),
                  [ValueSource("values.yaml", split)])
    assert found == Origin("values.yaml", 3, 15, "image.repository")
    named = "image:\n  name: acme/orders\n  version: latest\n"
    found = trace(deployment({"image": "acme/orders:latest"}), CONTAINER + ("image",),
                  [ValueSource("values.yaml", named)])
    assert found == Origin("values.yaml", 3, 12, "image.version")
    # Only the registry is in the values (the rest is in the template): the registry.
    registry = "global:\n  imageRegistry: registry.acme.example\n"
    found = trace(deployment({"image": "registry.acme.example/acme/orders:1.2.0"}),
                  CONTAINER + ("image",), [ValueSource("values.yaml", registry)])
    assert found == Origin("values.yaml", 2, 18, "global.imageRegistry")


def test_a_value_replaced_by_a_higher_file_never_explains_the_rendered_value():
    # values-prod sets the tag to 3.4.1: the chart's `tag: latest` cannot be why the rendered
    # tag is latest (a template that ignores image.tag), so the tag is not traced at all...
    chart_latest = CHART_VALUES.replace('tag: ""', "tag: latest")
    prod = PROD_VALUES.replace('tag: "latest"', 'tag: "3.4.1"')
    sources = [ValueSource("chart/values.yaml", chart_latest),
               ValueSource("values-prod.yaml", prod)]
    found = trace(deployment(), CONTAINER + ("image",), sources)
    # ... and the repository, the next part that decides which image runs, is.
    assert found == Origin("values-prod.yaml", 3, 15, "image.repository")
    # A scalar replaced by a later file: no origin rather than the replaced line.
    sources = [ValueSource("chart/values.yaml", "replicaCount: 1\n"),
               ValueSource("values-prod.yaml", "replicaCount: 3\n")]
    assert trace(deployment(replicas=1), ("spec", "replicas"), sources) is None


def test_the_key_that_names_the_rendered_field_wins_over_an_equal_value_elsewhere():
    # replicas: 2 is both replicaCount and autoscaling.minReplicas in the chart's values.
    found = trace(deployment(replicas=2), ("spec", "replicas"), helm_sources())
    assert found == Origin("apps/checkout/chart/values.yaml", 10, 15, "replicaCount")
    # The health path comes from healthPath in values.yaml (a related key), not the chart's.
    probe = {"livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}}}
    found = trace(deployment(probe), CONTAINER + ("livenessProbe", "httpGet", "path"),
                  helm_sources())
    assert found == Origin("apps/checkout/values.yaml", 4, 13, "healthPath")
    # containerPort 9000 from values.yaml; never 8080 from the chart, which values.yaml replaces.
    for port, expected in ((9000, Origin("apps/checkout/values.yaml", 3, 16, "containerPort")),
                           (8080, None)):
        container = {"ports": [{"name": "http", "containerPort": port}]}
        assert trace(deployment(container), CONTAINER + ("ports", 0, "containerPort"),
                     helm_sources()) == expected


def test_how_well_a_key_names_the_field_and_its_context_count_before_precedence():
    # values-prod's minReplicas is only related to replicas; the chart's replicaCount names it.
    prod = "autoscaling:\n  enabled: false\n  minReplicas: 2\n"
    found = trace(deployment(replicas=2), ("spec", "replicas"), helm_sources(prod))
    assert found == Origin("apps/checkout/chart/values.yaml", 10, 15, "replicaCount")
    # values-prod's podSecurityContext is not what the container's securityContext is made of.
    prod = "podSecurityContext:\n  runAsNonRoot: true\n  runAsUser: 10001\n"
    container = {"securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False,
                                     "readOnlyRootFilesystem": True,
                                     "seccompProfile": {"type": "RuntimeDefault"}}}
    found = trace(deployment(container), CONTAINER + ("securityContext", "runAsNonRoot"),
                  helm_sources(prod))
    assert found == Origin("apps/checkout/chart/values.yaml", 28, 17,
                           "securityContext.runAsNonRoot")


def test_a_related_key_explains_a_short_value():
    container = {"ports": [{"name": "http", "containerPort": 9000}]}
    found = trace(deployment(container), CONTAINER + ("ports", 0, "containerPort"),
                  [ValueSource("values.yaml", "service:\n  type: ClusterIP\nport: 9000\n")])
    assert found == Origin("values.yaml", 3, 7, "port")


def test_a_value_under_an_unrelated_key_is_not_an_origin():
    # `enabled: false` is not where a rendered `readOnlyRootFilesystem: false` comes from.
    sources = [ValueSource("values.yaml", "autoscaling:\n  enabled: false\nport: 8080\n")]
    rendered = deployment({"securityContext": {"readOnlyRootFilesystem": False}})
    assert trace(rendered, CONTAINER + ("securityContext", "readOnlyRootFilesystem"),
                 sources) is None
    # Nor is an empty mapping under an unrelated key where `resources: {}` is rendered.
    assert trace(deployment({"resources": {}}), CONTAINER + ("resources",),
                 [ValueSource("values.yaml", "config: {}\n")]) is None
    # A long string is specific enough on its own (an environment variable from `config`).
    sources = [ValueSource("values.yaml", 'config:\n  DATABASE_HOST: "orders-db.internal"\n')]
    rendered = deployment({"env": [{"name": "DATABASE_HOST", "value": "orders-db.internal"}]})
    assert trace(rendered, CONTAINER + ("env", 0, "value"), sources) == Origin(
        "values.yaml", 2, 18, "config.DATABASE_HOST")


def test_a_pod_setting_comes_from_the_mapping_the_pod_security_context_is_made_of():
    # runAsNonRoot: true is in both securityContext and podSecurityContext; only the latter is
    # part of the rendered pod securityContext.
    pod = {"securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "fsGroup": 10001,
                               "seccompProfile": {"type": "RuntimeDefault"}}}
    empty = ValueSource("apps/checkout/values-empty.yaml", "---\n# Nothing here yet.\n")
    for sources in (helm_sources(), [*helm_sources()[:2], empty, *helm_sources()[2:]]):
        found = trace(deployment(pod=pod), POD + ("securityContext", "runAsNonRoot"), sources)
        assert found == Origin("apps/checkout/chart/values.yaml", 22, 17,
                               "podSecurityContext.runAsNonRoot")
    # Two levels down, the pod's seccomp profile (the mapping, and its type) is the pod's too.
    assert trace(deployment(pod=pod), POD + ("securityContext", "seccompProfile"),
                 helm_sources()) == Origin("apps/checkout/chart/values.yaml", 25, 3,
                                           "podSecurityContext.seccompProfile")
    assert trace(deployment(pod=pod), POD + ("securityContext", "seccompProfile", "type"),
                 helm_sources()) == Origin("apps/checkout/chart/values.yaml", 26, 11,
                                           "podSecurityContext.seccompProfile.type")
    # The container's comes from securityContext (the key path shares more with the rendered).
    container = {"securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False,
                                     "readOnlyRootFilesystem": True,
                                     "seccompProfile": {"type": "RuntimeDefault"}}}
    found = trace(deployment(container), CONTAINER + ("securityContext", "seccompProfile", "type"),
                  helm_sources())
    assert found == Origin("apps/checkout/chart/values.yaml", 32, 11,
                           "securityContext.seccompProfile.type")


def test_a_one_key_mapping_is_no_evidence_of_context():
    # `web: {replicas: 3}` is part of the rendered spec only because its one leaf is: the
    # higher-precedence file decides.
    sources = [ValueSource("values.yaml", "web:\n  replicas: 3\n"),
               ValueSource("values-prod.yaml", "replicas: 3\n")]
    found = trace(deployment(replicas=3), ("spec", "replicas"), sources)
    assert found == Origin("values-prod.yaml", 1, 11, "replicas")


def test_two_equal_leaves_that_nothing_tells_apart_give_no_origin():
    two = dedent("""\
        api:
          image:
            tag: "1.0"
        worker:
          image:
            tag: "1.0"
        """)
    rendered = deployment({"image": "acme/api:1.0"})
    assert trace(rendered, CONTAINER + ("image",), [ValueSource("values.yaml", two)]) is None


# -- Helm values: mappings and missing fields


def test_a_mapping_comes_from_the_highest_values_mapping_it_contains():
    resources = {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"memory": "512Mi"}}
    found = trace(deployment({"resources": resources}), CONTAINER + ("resources",),
                  helm_sources())
    assert found == Origin("apps/checkout/values-prod.yaml", 6, 1, "resources")
    # The chart's securityContext, equal to the rendered one.
    container = {"securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False,
                                     "readOnlyRootFilesystem": True,
                                     "seccompProfile": {"type": "RuntimeDefault"}}}
    found = trace(deployment(container), CONTAINER + ("securityContext",), helm_sources())
    assert found == Origin("apps/checkout/chart/values.yaml", 27, 1, "securityContext")


def test_a_missing_field_points_at_the_values_mapping_that_produced_its_parent():
    prod = "resources:\n  requests:\n    cpu: 500m\n    memory: 512Mi\n"
    chart = "resources: {}\n"
    sources = [ValueSource("chart/values.yaml", chart), ValueSource("values-prod.yaml", prod)]
    rendered = deployment({"resources": {"requests": {"cpu": "500m", "memory": "512Mi"}}})
    found = trace(rendered, CONTAINER + ("resources", "limits", "memory"), sources)
    assert found == Origin("values-prod.yaml", 1, 1, "resources")
    # `resources: {}` rendered: the highest file that says {}.
    sources = [ValueSource("chart/values.yaml", chart),
               ValueSource("values-prod.yaml", "replicaCount: 3\nresources: {}\n")]
    found = trace(deployment({"resources": {}}), CONTAINER + ("resources", "limits"), sources)
    assert found == Origin("values-prod.yaml", 2, 1, "resources")


def test_a_null_that_removes_a_default_is_part_of_the_mapping_it_shapes():
    # values-prod removes the chart's limits with null: its resources are what was rendered.
    prod = "resources:\n  limits: null\n  requests:\n    cpu: 500m\n"
    sources = [ValueSource("chart/values.yaml", CHART_VALUES),
               ValueSource("values-prod.yaml", prod)]
    rendered = deployment({"resources": {"requests": {"cpu": "500m", "memory": "128Mi"}}})
    found = trace(rendered, CONTAINER + ("resources", "limits", "memory"), sources)
    assert found == Origin("values-prod.yaml", 1, 1, "resources")


def test_an_empty_mapping_that_merged_into_the_defaults_is_not_the_origin():
    # values-prod's `resources: {}` merges with the chart's: the rendered resources are the
    # chart's, and so is the origin.
    sources = [ValueSource("chart/values.yaml", CHART_VALUES),
               ValueSource("values-prod.yaml", "resources: {}\n")]
    resources = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}}
    rendered = deployment({"resources": resources})
    assert trace(rendered, CONTAINER + ("resources",), sources) == Origin(
        "chart/values.yaml", 15, 1, "resources")
    assert trace(rendered, CONTAINER + ("resources", "limits", "cpu"), sources) == Origin(
        "chart/values.yaml", 19, 3, "resources.limits")


# -- values inline in an Application

APPLICATION = dedent("""\
    apiVersion: v1
    kind: Namespace
    metadata:
      name: checkout
    ---
    apiVersion: argoproj.io/v1alpha1
    kind: Application
    metadata:
      name: checkout-prod
    spec:
      source:
        repoURL: https://github.com/acme/platform-gitops.git
        path: apps/checkout/chart
        helm:
          valueFiles:
            - ../values.yaml
          valuesObject:
            image:
              tag: latest
            resources:
              limits: {}
    """)

APPLICATION_VALUES_STRING = dedent("""\
    apiVersion: argoproj.io/v1alpha1
    kind: Application
    metadata:
      name: checkout-prod
    spec:
      source:
        helm:
          values: |
            image:
              tag: latest
            replicaCount: 1
    """)


def test_values_object_of_an_application_in_a_multi_document_file():
    base = ("spec", "source", "helm", "valuesObject")
    sources = [*helm_sources(PROD_VALUES.replace('"latest"', '"3.4.1"')),
               ValueSource("environments/prod/bootstrap/checkout.yaml", APPLICATION, base, 1)]
    found = trace(deployment(), CONTAINER + ("image",), sources)
    assert found == Origin("environments/prod/bootstrap/checkout.yaml", 19, 16,
                           "spec.source.helm.valuesObject.image.tag")
    rendered = deployment({"resources": {"limits": {}}})
    found = trace(rendered, CONTAINER + ("resources", "limits", "memory"), sources)
    assert found == Origin("environments/prod/bootstrap/checkout.yaml", 21, 11,
                           "spec.source.helm.valuesObject.resources.limits")


def test_values_string_of_an_application_is_read_as_the_yaml_it_holds():
    source = ValueSource("checkout.yaml", APPLICATION_VALUES_STRING,
                         ("spec", "source", "helm", "values"))
    found = trace(deployment(), CONTAINER + ("image",), [source])
    assert found == Origin("checkout.yaml", 10, 16, "spec.source.helm.values.image.tag")
    found = trace(deployment(replicas=1), ("spec", "replicas"), [source])
    assert found == Origin("checkout.yaml", 11, 23, "spec.source.helm.values.replicaCount")


def test_parameters_of_an_application_set_values_last():
    application = dedent("""\
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata:
          name: checkout-prod
        spec:
          source:
            helm:
              parameters:
                - name: image.tag
                  value: "3.4.1"
                - name: resources.limits.memory
                  value: 1Gi
                - name: podAnnotations.prometheus\\.io/scrape
                  value: "true"
                - name: image.tag
                  value: latest
        """)
    parameters = ValueSource("checkout.yaml", application, ("spec", "source", "helm", "parameters"),
                             kind="helm-parameters")
    sources = [*helm_sources(PROD_VALUES.replace('"latest"', '"3.4.1"')), parameters]
    # The last parameter that sets the tag.
    assert trace(deployment(), CONTAINER + ("image",), sources) == Origin(
        "checkout.yaml", 16, 18, "spec.source.helm.parameters[3].value")
    # A parameter replaces what the values files set: values-prod's limits are not the origin.
    resources = {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}}
    rendered = deployment({"resources": resources})
    assert trace(rendered, CONTAINER + ("resources", "limits", "memory"), sources) == Origin(
        "checkout.yaml", 12, 18, "spec.source.helm.parameters[1].value")
    assert trace(rendered, CONTAINER + ("resources", "limits", "cpu"), sources) == Origin(
        "checkout.yaml", 12, 18, "spec.source.helm.parameters[1].value")
    # An escaped dot is part of the key.
    rendered["spec"]["template"]["metadata"] = {"annotations": {"prometheus.io/scrape": "true"}}
    assert trace(rendered, ("spec", "template", "metadata", "annotations", "prometheus.io/scrape"),
                 sources) == Origin("checkout.yaml", 14, 18, "spec.source.helm.parameters[2].value")


# -- Kustomize, like output-example/apps/orders

BASE_DEPLOYMENT = dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: "orders"
    spec:
      template:
        spec:
          securityContext:
            runAsNonRoot: true
          containers:
            - name: "orders"
              # A placeholder: each overlay pins the image with `images`.
              image: "orders:set-by-overlay"
              resources:
                requests:
                  cpu: 100m
                  memory: 128Mi
                limits:
                  memory: 256Mi
              securityContext:
                allowPrivilegeEscalation: false
    """)

OVERLAY = dedent("""\
    apiVersion: kustomize.config.k8s.io/v1beta1
    kind: Kustomization
    namespace: "orders"
    resources:
      - ../../base
    images:
      - name: "orders"
        newName: "333333333333.dkr.ecr.eu-west-1.amazonaws.com/acme/orders"
        newTag: "latest"
    replicas:
      - name: "orders"
        count: 1
    patches:
      - target:
          kind: Deployment
          name: "orders"
        patch: |-
          - op: replace
            path: /spec/template/spec/containers/0/resources
            value:
              requests:
                cpu: 100m
                memory: 128Mi
              limits: {}
      - target:
          kind: Ingress
          name: "orders"
        patch: |-
          - op: add
            path: /spec/rules/0/host
            value: "orders.acme.example"
    """)


def kustomize_sources(overlay: str = OVERLAY, *patches: ValueSource) -> list[ValueSource]:
    return [ValueSource("apps/orders/base/deployment.yaml", BASE_DEPLOYMENT, kind="manifest"),
            *patches,
            ValueSource("apps/orders/overlays/prod/kustomization.yaml", overlay,
                        kind="kustomization")]


def orders(container: dict | None = None, **spec) -> dict:
    container = {"name": "orders", "image": f"{ECR}/orders:latest",
                 "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {}},
                 "securityContext": {"allowPrivilegeEscalation": False}, **(container or {})}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "orders", "namespace": "orders"},
            "spec": {**spec, "template": {"spec": {"securityContext": {"runAsNonRoot": True},
                                                   "containers": [container]}}}}


OVERLAY_FILE = "apps/orders/overlays/prod/kustomization.yaml"


def test_an_overlay_images_entry_and_replicas_entry():
    found = trace(orders(), CONTAINER + ("image",), kustomize_sources())
    assert found == Origin(OVERLAY_FILE, 9, 13, "images[0].newTag")
    found = trace(orders(replicas=1), ("spec", "replicas"), kustomize_sources())
    assert found == Origin(OVERLAY_FILE, 12, 12, "replicas[0].count")
    # An entry that leaves the tag as it is, on an image without one: the name it sets.
    untagged = OVERLAY.replace('newTag: "latest"', 'newTag: ""')
    found = trace(orders({"image": f"{ECR}/orders"}), CONTAINER + ("image",),
                  kustomize_sources(untagged))
    assert found == Origin(OVERLAY_FILE, 8, 14, "images[0].newName")
    # An images entry that only renames: the base's tag is what is unpinned.
    renaming = OVERLAY.replace('    newTag: "latest"\n', "")
    base = BASE_DEPLOYMENT.replace("orders:set-by-overlay", "orders:latest")
    sources = [ValueSource("base/deployment.yaml", base, kind="manifest"),
               ValueSource(OVERLAY_FILE, renaming, kind="kustomization")]
    assert trace(orders(), CONTAINER + ("image",), sources) == Origin(
        "base/deployment.yaml", 13, 18, "spec.template.spec.containers[0].image")


def test_an_inline_json6902_patch_in_a_literal_block():
    # The replaced resources: the op's `value:` key, inside the `patch: |-` block.
    found = trace(orders(), CONTAINER + ("resources",), kustomize_sources())
    assert found == Origin(OVERLAY_FILE, 20, 9, "patches[0].patch[0].value")
    # A missing limit: the `limits: {}` the patch wrote.
    found = trace(orders(), CONTAINER + ("resources", "limits", "memory"), kustomize_sources())
    assert found == Origin(OVERLAY_FILE, 24, 11, "patches[0].patch[0].value.limits")
    # A scalar inside the value.
    found = trace(orders(), CONTAINER + ("resources", "requests", "memory"), kustomize_sources())
    assert found == Origin(OVERLAY_FILE, 23, 21, "patches[0].patch[0].value.requests.memory")
    # Another patch, targeted at an Ingress.
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
               "metadata": {"name": "orders"}, "spec": {"rules": [{"host": "orders.acme.example"}]}}
    found = trace(ingress, ("spec", "rules", 0, "host"), kustomize_sources())
    assert found == Origin(OVERLAY_FILE, 31, 16, "patches[1].patch[0].value")


def test_a_json_pointer_with_escaped_slashes():
    overlay = dedent("""\
        kind: Kustomization
        patches:
          - target:
              kind: Ingress
              name: "orders"
            patch: |-
              - op: replace
                path: /metadata/annotations/alb.ingress.kubernetes.io~1scheme
                value: internal
        """)
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {
        "name": "orders", "annotations": {"alb.ingress.kubernetes.io/scheme": "internal"}}}
    found = trace(ingress, ("metadata", "annotations", "alb.ingress.kubernetes.io/scheme"),
                  [ValueSource("kustomization.yaml", overlay, kind="kustomization")])
    assert found == Origin("kustomization.yaml", 9, 16, "patches[0].patch[0].value")


def test_a_patch_whose_target_does_not_select_the_object_is_not_an_origin():
    first_target = 'kind: Deployment\n      name: "orders"\n    patch: |-'
    for other in ('kind: Deployment\n      name: "pay.*"\n    patch: |-',
                  'kind: StatefulSet\n      name: "orders"\n    patch: |-'):
        overlay = OVERLAY.replace(first_target, other)
        assert overlay != OVERLAY
        # The base's resources differ from the rendered ones: nothing else explains them.
        assert trace(orders(), CONTAINER + ("resources",), kustomize_sources(overlay)) is None
    # The target's name is an anchored regular expression.
    overlay = OVERLAY.replace(first_target, first_target.replace('"orders"', '"ord.*"'))
    assert trace(orders(), CONTAINER + ("resources",), kustomize_sources(overlay)) == Origin(
        OVERLAY_FILE, 20, 9, "patches[0].patch[0].value")


def test_values_the_base_sets_point_at_the_base_manifest():
    found = trace(orders(), POD + ("securityContext", "runAsNonRoot"), kustomize_sources())
    assert found == Origin("apps/orders/base/deployment.yaml", 9, 23,
                           "spec.template.spec.securityContext.runAsNonRoot")
    found = trace(orders(), CONTAINER + ("securityContext",), kustomize_sources())
    assert found == Origin("apps/orders/base/deployment.yaml", 20, 11,
                           "spec.template.spec.containers[0].securityContext")
    # A manifest of another kind is not the object's base.
    statefulset = ValueSource("base/statefulset.yaml",
                              BASE_DEPLOYMENT.replace("kind: Deployment", "kind: StatefulSet"),
                              kind="manifest")
    assert trace(orders(), CONTAINER + ("securityContext",), [statefulset]) is None


def test_a_field_missing_from_a_container_or_spec_belongs_in_the_base_manifest():
    """The overlay changed the container (its image, its resources), so no source explains it
    whole; the base manifest defines it, among the other objects of its file."""
    worker = BASE_DEPLOYMENT.replace('name: "orders"', 'name: "worker"')
    service = "apiVersion: v1\nkind: Service\nmetadata:\n  name: orders\n"
    base = f"{service}---\n{worker}---\n{BASE_DEPLOYMENT}"
    security = ValueSource("security.yaml", STRATEGIC_PATCH, kind="kustomize-patch")
    sources = [ValueSource("base/all.yaml", base, kind="manifest"), security,
               ValueSource(OVERLAY_FILE, OVERLAY, kind="kustomization")]
    first = 4 + 1 + 21 + 1 + 1  # after the Service, the worker and their `---`
    rendered = orders({"securityContext": {"allowPrivilegeEscalation": True}})
    assert trace(rendered, CONTAINER + ("livenessProbe",), sources) == Origin(
        "base/all.yaml", first + 10, 11, "spec.template.spec.containers[0]")
    assert trace(rendered, POD + ("automountServiceAccountToken",), sources) == Origin(
        "base/all.yaml", first + 6, 5, "spec.template.spec")
    assert trace(orders(), ("spec", "replicas"), sources[:1]) == Origin(
        "base/all.yaml", first + 4, 1, "spec")


def test_a_manifest_named_exactly_beats_one_whose_name_is_only_a_part():
    policies = dedent("""\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: orders-default-deny
        spec:
          policyTypes: [Ingress, Egress]
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: orders
        spec:
          policyTypes: [Ingress, Egress]
        """)
    sources = [ValueSource("base/networkpolicy.yaml", policies, kind="manifest"),
               ValueSource(OVERLAY_FILE, OVERLAY, kind="kustomization")]
    for name, line in (("orders-default-deny", 6), ("orders", 13)):
        policy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                  "metadata": {"name": name, "namespace": "orders"},
                  "spec": {"policyTypes": ["Ingress", "Egress"]}}
        assert trace(policy, ("spec", "policyTypes"), sources) == Origin(
            "base/networkpolicy.yaml", line, 3, "spec.policyTypes")
        # The namespace is the overlay's.
        assert trace(policy, ("metadata", "namespace"), sources) == Origin(
            OVERLAY_FILE, 3, 12, "namespace")


STRATEGIC_PATCH = dedent("""\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: orders
    spec:
      template:
        spec:
          containers:
            - name: sidecar
              image: envoy:1.31
            - name: orders
              securityContext:
                allowPrivilegeEscalation: true
    """)


def test_a_strategic_merge_patch_file_matches_containers_by_name():
    patch = ValueSource("apps/orders/overlays/prod/security.yaml", STRATEGIC_PATCH,
                        kind="kustomize-patch")
    # The rendered container 0 is orders; the patch lists it second.
    rendered = orders({"securityContext": {"allowPrivilegeEscalation": True}})
    found = trace(rendered, CONTAINER + ("securityContext", "allowPrivilegeEscalation"),
                  kustomize_sources(OVERLAY, patch))
    assert found == Origin("apps/orders/overlays/prod/security.yaml", 13, 39,
                           "spec.template.spec.containers[1].securityContext"
                           ".allowPrivilegeEscalation")
    # Kustomize may have added a prefix to the name, never other letters.
    for name, expected in (("prod-orders", found), ("ordersweb", None)):
        renamed = {**rendered, "metadata": {"name": name}}
        assert trace(renamed, CONTAINER + ("securityContext", "allowPrivilegeEscalation"),
                     kustomize_sources(OVERLAY, patch)) == expected
    # A patch for another Deployment, or for a StatefulSet, is not an origin.
    for text in (STRATEGIC_PATCH.replace("name: orders\nspec", "name: web\nspec"),
                 STRATEGIC_PATCH.replace("kind: Deployment", "kind: StatefulSet")):
        other = ValueSource("other.yaml", text, kind="kustomize-patch")
        assert trace(rendered, CONTAINER + ("securityContext", "allowPrivilegeEscalation"),
                     kustomize_sources(OVERLAY, other)) is None


def test_a_patch_file_counts_only_for_the_objects_its_kustomization_targets():
    operations = "- op: replace\n  path: /spec/replicas\n  value: 1\n"
    patch = ValueSource("apps/orders/overlays/prod/patches/replicas.yaml", operations,
                        kind="kustomize-patch")
    for name, expected in (("orders", Origin(patch.file, 3, 10, "[0].value")), ("web", None)):
        overlay = OVERLAY.replace("patches:\n", "patches:\n  - path: ./patches/replicas.yaml\n"
                                  f"    target: {{kind: Deployment, name: {name}}}\n")
        overlay = overlay.replace("replicas:\n  - name: \"orders\"\n    count: 1\n", "")
        assert trace(orders(replicas=1), ("spec", "replicas"),
                     kustomize_sources(overlay, patch)) == expected


def test_an_inline_strategic_merge_patch_and_the_images_entry_applied_after_it():
    overlay = OVERLAY + "\n".join([
        "  - patch: |-",
        "      apiVersion: apps/v1",
        "      kind: Deployment",
        "      metadata:",
        "        name: orders",
        "      spec:",
        "        template:",
        "          spec:",
        "            containers:",
        "              - name: orders",
        f"                image: {ECR}/orders:latest",
        "                livenessProbe:",
        "                  httpGet: {path: /health, port: http}",
        ""])
    probe = {"livenessProbe": {"httpGet": {"path": "/health", "port": "http"}}}
    found = trace(orders(probe), CONTAINER + ("livenessProbe", "httpGet", "port"),
                  kustomize_sources(overlay))
    assert found == Origin(OVERLAY_FILE, 44, 50,
                           "patches[2].patch.spec.template.spec.containers[0].livenessProbe"
                           ".httpGet.port")
    # The patch writes the whole image, but `images:` applies after patches: its newTag wins.
    found = trace(orders(probe), CONTAINER + ("image",), kustomize_sources(overlay))
    assert found == Origin(OVERLAY_FILE, 9, 13, "images[0].newTag")


def test_kustomize_options_of_an_application():
    application = dedent("""\
        apiVersion: argoproj.io/v1alpha1
        kind: Application
        metadata:
          name: orders-prod
        spec:
          source:
            path: apps/orders/overlays/prod
            kustomize:
              images:
                - "orders=333333333333.dkr.ecr.eu-west-1.amazonaws.com/acme/orders:latest"
              patches:
                - target: {kind: Deployment}
                  patch: |-
                    - op: replace
                      path: /spec/replicas
                      value: 1
        """)
    overlay = OVERLAY.replace('newTag: "latest"', 'newTag: "1.11.4"').replace(
        'replicas:\n  - name: "orders"\n    count: 1\n', "")
    sources = [*kustomize_sources(overlay),
               ValueSource("orders.yaml", application, ("spec", "source", "kustomize"),
                           kind="kustomization")]
    assert trace(orders(replicas=1), CONTAINER + ("image",), sources) == Origin(
        "orders.yaml", 10, 11, "spec.source.kustomize.images[0]")
    assert trace(orders(replicas=1), ("spec", "replicas"), sources) == Origin(
        "orders.yaml", 16, 22, "spec.source.kustomize.patches[0].patch[0].value")


def test_a_folded_block_that_folds_nothing_maps_line_by_line():
    overlay = dedent("""\
        kind: Kustomization
        patches:
          - target: {kind: Deployment}
            patch: >-
              - op: replace
                path: /spec/replicas
                value: 1
        """)
    found = trace(orders(replicas=1), ("spec", "replicas"),
                  [ValueSource("kustomization.yaml", overlay, kind="kustomization")])
    assert found == Origin("kustomization.yaml", 7, 16, "patches[0].patch[0].value")


def test_a_patch_that_is_not_a_literal_block_points_at_the_patch_string():
    overlay = dedent("""\
        kind: Kustomization
        patches:
          - target: {kind: Deployment, name: orders}
            patch: '[{"op": "replace", "path": "/spec/replicas", "value": 1}]'
        """)
    found = trace(orders(replicas=1), ("spec", "replicas"),
                  [ValueSource("kustomization.yaml", overlay, kind="kustomization")])
    assert found == Origin("kustomization.yaml", 4, 12, "patches[0].patch[0].value")


def test_the_overlay_built_by_kustomize_traces_to_its_lines(tmp_path):
    """The real thing: kubectl's kustomize builds the overlay; each finding's value traces back."""
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "deployment.yaml").write_text(BASE_DEPLOYMENT)
    (tmp_path / "base" / "kustomization.yaml").write_text("resources:\n  - deployment.yaml\n")
    overlay = OVERLAY.replace("../../base", "../base").replace(
        OVERLAY[OVERLAY.index("  - target:\n      kind: Ingress"):], "")
    (tmp_path / "prod").mkdir()
    (tmp_path / "prod" / "kustomization.yaml").write_text(overlay)
    built = subprocess.run([str(KUBECTL), "kustomize", str(tmp_path / "prod")],
                           capture_output=True, text=True, timeout=60, check=True).stdout
    [rendered] = [doc for doc in yaml.safe_load_all(built) if doc["kind"] == "Deployment"]
    sources = [ValueSource("base/deployment.yaml", BASE_DEPLOYMENT, kind="manifest"),
               ValueSource("prod/kustomization.yaml", overlay, kind="kustomization")]
    assert [trace(rendered, path, sources) for path in (
        CONTAINER + ("image",), ("spec", "replicas"), CONTAINER + ("resources", "limits", "memory"),
        POD + ("securityContext", "runAsNonRoot"))] == [
        Origin("prod/kustomization.yaml", 9, 13, "images[0].newTag"),
        Origin("prod/kustomization.yaml", 12, 12, "replicas[0].count"),
        Origin("prod/kustomization.yaml", 24, 11, "patches[0].patch[0].value.limits"),
        Origin("base/deployment.yaml", 9, 23, "spec.template.spec.securityContext.runAsNonRoot")]


def test_the_chart_rendered_by_helm_traces_to_its_values_lines(tmp_path):
    """The real thing: output-example's checkout chart rendered by Helm with layered values."""
    helm = pytest.importorskip("helm_python")
    values: dict = {}
    for text in (APP_VALUES, PROD_VALUES):
        values = trace_module._merge(values, yaml.safe_load(text))
    with helm.Chart.load(str(REPO / "output-example" / "apps" / "checkout" / "chart")) as chart:
        manifests = chart.render(values, name="checkout", namespace="checkout")
    [rendered] = [doc for name, text in manifests.items() if name.endswith(".yaml")
                  for doc in yaml.safe_load_all(text) if doc and doc["kind"] == "Deployment"]
    chart_values = (REPO / "output-example" / "apps" / "checkout" / "chart" / "values.yaml")
    sources = [ValueSource("chart/values.yaml", chart_values.read_text()),
               ValueSource("values.yaml", APP_VALUES), ValueSource("values-prod.yaml", PROD_VALUES)]
    assert trace(rendered, CONTAINER + ("image",), sources) == Origin(
        "values-prod.yaml", 4, 8, "image.tag")
    assert trace(rendered, CONTAINER + ("resources", "limits", "cpu"), sources) == Origin(
        "values-prod.yaml", 10, 3, "resources.limits")
    assert trace(rendered, ("spec", "replicas"), sources).path == "replicaCount"
    assert trace(rendered, POD + ("securityContext", "fsGroup"), sources).path == (
        "podSecurityContext.fsGroup")


# -- performance: each text is parsed once


def test_each_source_text_is_parsed_once_across_findings(monkeypatch):
    calls: list[str] = []
    real = trace_module.parse

    def counting(text):
        calls.append(text)
        return real(text)

    monkeypatch.setattr(trace_module, "parse", counting)
    trace_module._parsed.cache_clear()
    trace_module._trees.cache_clear()
    trace_module._across.cache_clear()
    sources = kustomize_sources()
    for path in (CONTAINER + ("image",), ("spec", "replicas"), CONTAINER + ("resources",)) * 5:
        trace(orders(replicas=1), path, sources)
    # The two files, and the two patches inline in the overlay.
    assert len(calls) == len(set(calls)) == 4


# -- Helm templates: the fallback

POD_TEMPLATE = dedent("""\
    {{/*
    The pod template: non-root, read-only root filesystem.
    containers: not this one
    */}}
    {{- define "app.podTemplate" -}}
    metadata:
      labels:
        {{- include "app.selectorLabels" . | nindent 4 }}
    spec:
      securityContext:
        {{- toYaml .Values.podSecurityContext | nindent 4 }}
      containers:
        {{- range .Values.containers }}
        - name: {{ .name }}
          image: {{ include "app.image" . | quote }}
          resources:
            {{- toYaml .resources | nindent 8 }}
        {{- end }}
      volumes:
        - name: tmp
          emptyDir: {}
    {{- end }}
    """)


def test_template_line_finds_keys_by_indentation():
    # spec.template is in another file (an include): skipped; containers[1] is the `range` item.
    assert template_line(POD_TEMPLATE, CONTAINER + ("image",)) == (15, 7)
    assert template_line(POD_TEMPLATE, CONTAINER[:-1] + (1, "image")) == (15, 7)
    # A field the template does not write (toYaml): the deepest key it does.
    assert template_line(POD_TEMPLATE, CONTAINER + ("resources", "limits", "memory")) == (16, 7)
    assert template_line(POD_TEMPLATE, POD + ("securityContext", "runAsNonRoot")) == (10, 3)
    # Each key is searched in the block of the one before.
    assert template_line(POD_TEMPLATE, POD + ("volumes", 0, "emptyDir")) == (21, 7)
    assert template_line(POD_TEMPLATE, ("status",)) is None
    # Two items written out and a third asked for: the sequence's key, not a guess.
    two = POD_TEMPLATE.replace("    - name: {{ .name }}", "    - name: init\n"
                               "      image: busybox:1.36\n    - name: {{ .name }}")
    assert two != POD_TEMPLATE
    assert template_line(two, CONTAINER[:-1] + (1, "image")) == (17, 7)
    assert template_line(two, CONTAINER[:-1] + (2, "image")) == (12, 3)


def test_template_line_on_the_chart_of_output_example():
    templates = REPO / "output-example" / "apps" / "checkout" / "chart" / "templates"
    deployment_template = (templates / "deployment.yaml").read_text()
    assert template_line(deployment_template, ("spec", "replicas")) == (13, 3)
    # The pod template is included from _pod.tpl: the `template:` key is as deep as it goes.
    assert template_line(deployment_template, CONTAINER + ("image",)) == (24, 3)
    pod = (templates / "_pod.tpl").read_text()
    assert template_line(pod, CONTAINER + ("image",)) == (55, 7)
