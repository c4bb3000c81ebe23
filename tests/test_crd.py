"""Custom resource schemas (gitops_gen.schema.crd): CRD to JSON Schema conversion, checked with
jsonschema_rs on real custom resources of every bundled project, and the bundled data folder.

Errors are compared as (instance path, error kind), never by message.
"""

import copy
import functools
import importlib.util
import json
import pathlib

import jsonschema_rs
import pytest
import yaml

from gitops_gen.schema import crd
from gitops_gen.schema.crd import bundled_kinds, bundled_schema, crd_schemas, load_crds

REPO = pathlib.Path(__file__).resolve().parents[1]
DATA = REPO / "gitops_gen" / "data" / "crds"


def errors(instance, api_version=None, kind=None, *, strict=True, schema=None):
    """[(instance path, error kind)] of an object against its bundled (or the given) schema."""
    if schema is None:
        schema = bundled_schema(api_version or instance["apiVersion"], kind or instance["kind"],
                                strict=strict)
        assert schema is not None
    validator = jsonschema_rs.validator_for(schema)
    return sorted((tuple(e.instance_path), type(e.kind).__name__)
                  for e in validator.iter_errors(instance))


@functools.cache
def shared_crds(shared):
    """Every upstream CRD document in shared/crds, parsed once (libyaml when available)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    documents = []
    for path in sorted((shared / "crds").rglob("*.yaml")):
        documents += list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=loader))
    return documents


def with_value(obj, path, value):
    """A deep copy of `obj` with `value` at `path` (a missing last key is added)."""
    obj = copy.deepcopy(obj)
    node = obj
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return obj


def without(obj, path):
    obj = copy.deepcopy(obj)
    node = obj
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return obj


META = {"name": "demo", "namespace": "apps", "labels": {"app.kubernetes.io/name": "demo"},
        "annotations": {"argocd.argoproj.io/sync-wave": "1"}}

APPLICATION = {
    "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
    "metadata": {**META, "namespace": "argocd",
                 "finalizers": ["resources-finalizer.argocd.argoproj.io"]},
    "spec": {
        "project": "default",
        "source": {
            "repoURL": "https://charts.example.com", "chart": "checkout", "targetRevision": "1.2.3",
            "helm": {"releaseName": "checkout", "valueFiles": ["values-prod.yaml"],
                     "valuesObject": {"replicaCount": 3, "image": {"tag": "1.2.3"},
                                      "anything": [{"goes": None}, 1, "x", True]}},
        },
        "destination": {"server": "https://kubernetes.default.svc", "namespace": "checkout"},
        "syncPolicy": {"automated": {"prune": True, "selfHeal": True},
                       "syncOptions": ["CreateNamespace=true"],
                       "retry": {"limit": 5, "backoff": {"duration": "5s", "factor": 2,
                                                         "maxDuration": "3m"}}},
        "ignoreDifferences": [{"group": "apps", "kind": "Deployment",
                               "jsonPointers": ["/spec/replicas"]}],
    },
}
APP_PROJECT = {
    "apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
    "metadata": {"name": "platform", "namespace": "argocd"},
    "spec": {"description": "platform add-ons", "sourceRepos": ["https://github.com/acme/*"],
             "destinations": [{"server": "https://kubernetes.default.svc", "namespace": "*"}],
             "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
             "roles": [{"name": "ci", "policies": ["p, proj:platform:ci, applications, sync, "
                                                   "platform/*, allow"]}]},
}
APPLICATION_SET = {
    "apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet",
    "metadata": {"name": "addons", "namespace": "argocd"},
    "spec": {
        "goTemplate": True,
        "generators": [{"list": {"elements": [{"cluster": "prod", "url": "https://a"},
                                              "untyped elements accept anything", 7]}}],
        "template": {
            "metadata": {"name": "{{.cluster}}-addons"},
            "spec": {"project": "default",
                     "source": {"repoURL": "https://github.com/acme/addons", "path": "addons",
                                "targetRevision": "main"},
                     "destination": {"server": "{{.url}}", "namespace": "addons"}},
        },
    },
}
EXTERNAL_SECRET = {
    "apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "metadata": META,
    "spec": {"refreshInterval": "1h",
             "secretStoreRef": {"name": "aws", "kind": "ClusterSecretStore"},
             "target": {"name": "db-credentials", "creationPolicy": "Owner"},
             "data": [{"secretKey": "password",
                       "remoteRef": {"key": "prod/db", "property": "password"}}]},
}
SECRET_STORE_SPEC = {"provider": {"aws": {"service": "SecretsManager", "region": "eu-west-1",
                                          "auth": {"jwt": {"serviceAccountRef": {"name": "eso"}}}}}}
SECRET_STORE = {"apiVersion": "external-secrets.io/v1", "kind": "SecretStore", "metadata": META,
                "spec": SECRET_STORE_SPEC}
CLUSTER_SECRET_STORE = {"apiVersion": "external-secrets.io/v1", "kind": "ClusterSecretStore",
                        "metadata": {"name": "aws"}, "spec": SECRET_STORE_SPEC}
CLUSTER_EXTERNAL_SECRET = {
    "apiVersion": "external-secrets.io/v1", "kind": "ClusterExternalSecret",
    "metadata": {"name": "shared"},
    "spec": {"namespaceSelectors": [{"matchLabels": {"team": "payments"}}],
             "refreshTime": "1m", "externalSecretSpec": EXTERNAL_SECRET["spec"]},
}
CERTIFICATE = {
    "apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": META,
    "spec": {"secretName": "demo-tls", "dnsNames": ["demo.example.com"], "duration": "2160h",
             "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
             "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer",
                           "group": "cert-manager.io"}},
}
ACME = {"acme": {"server": "https://acme-v02.api.letsencrypt.org/directory",
                 "email": "ops@example.com", "privateKeySecretRef": {"name": "letsencrypt"},
                 "solvers": [{"http01": {"ingress": {"ingressClassName": "alb"}}},
                             {"dns01": {"webhook": {"groupName": "acme.example.com",
                                                    "solverName": "custom",
                                                    "config": {"any": {"shape": [1, "a"]}}}}}]}}
CLUSTER_ISSUER = {"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer",
                  "metadata": {"name": "letsencrypt"}, "spec": ACME}
ISSUER = {"apiVersion": "cert-manager.io/v1", "kind": "Issuer", "metadata": META,
          "spec": {"selfSigned": {}}}
SERVICE_MONITOR = {
    "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": META,
    "spec": {"selector": {"matchLabels": {"app": "demo"}},
             "namespaceSelector": {"matchNames": ["apps"]},
             "endpoints": [{"port": "metrics", "interval": "30s", "path": "/metrics"},
                           {"targetPort": 9090, "scheme": "http"}]},
}
POD_MONITOR = {
    "apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor", "metadata": META,
    "spec": {"selector": {"matchExpressions": [{"key": "app", "operator": "In",
                                                "values": ["demo"]}]},
             "podMetricsEndpoints": [{"port": "metrics", "interval": "15s"}]},
}
PROMETHEUS_RULE = {
    "apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule", "metadata": META,
    "spec": {"groups": [{"name": "demo", "rules": [
        {"alert": "DemoDown", "expr": "up{job=\"demo\"} == 0", "for": "5m",
         "labels": {"severity": "critical"}, "annotations": {"summary": "demo is down"}},
        {"record": "job:up:sum", "expr": 1}]}]},
}
NODE_POOL = {
    "apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "default"},
    "spec": {
        "template": {"metadata": {"labels": {"team": "platform"}},
                     "spec": {"nodeClassRef": {"group": "karpenter.k8s.aws",
                                               "kind": "EC2NodeClass", "name": "default"},
                              "requirements": [{"key": "karpenter.sh/capacity-type",
                                                "operator": "In", "values": ["spot"]}],
                              "expireAfter": "720h"}},
        "limits": {"cpu": 1000, "memory": "1000Gi"},
        "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized",
                       "consolidateAfter": "1m",
                       "budgets": [{"nodes": "10%", "reasons": ["Empty", "Drifted"]}]},
    },
}
EC2_NODE_CLASS = {
    "apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": {"name": "default"},
    "spec": {"role": "KarpenterNodeRole-demo", "amiSelectorTerms": [{"alias": "al2023@latest"}],
             "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "demo"}}],
             "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": "demo"}}],
             "blockDeviceMappings": [{"deviceName": "/dev/xvda",
                                      "ebs": {"volumeSize": "100Gi", "volumeType": "gp3",
                                              "encrypted": True}}]},
}
TARGET_GROUP_BINDING = {
    "apiVersion": "elbv2.k8s.aws/v1beta1", "kind": "TargetGroupBinding", "metadata": META,
    "spec": {"serviceRef": {"name": "demo", "port": 80}, "targetType": "ip",
             "targetGroupARN": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:"
                               "targetgroup/demo/0123456789abcdef"},
}
TARGET_GROUP_BINDING_V1ALPHA1 = {**TARGET_GROUP_BINDING, "apiVersion": "elbv2.k8s.aws/v1alpha1",
                                 "spec": {**TARGET_GROUP_BINDING["spec"],
                                          "serviceRef": {"name": "demo", "port": "http"}}}
INGRESS_CLASS_PARAMS = {
    "apiVersion": "elbv2.k8s.aws/v1beta1", "kind": "IngressClassParams",
    "metadata": {"name": "internet-facing"},
    "spec": {"scheme": "internet-facing", "group": {"name": "shared"},
             "loadBalancerAttributes": [{"key": "idle_timeout.timeout_seconds", "value": "120"}],
             "tags": [{"key": "team", "value": "platform"}]},
}

VALID = {
    "argo-cd": [APPLICATION, APP_PROJECT, APPLICATION_SET],
    "external-secrets": [EXTERNAL_SECRET, SECRET_STORE, CLUSTER_SECRET_STORE,
                         CLUSTER_EXTERNAL_SECRET],
    "cert-manager": [CERTIFICATE, ISSUER, CLUSTER_ISSUER],
    "prometheus-operator": [SERVICE_MONITOR, POD_MONITOR, PROMETHEUS_RULE],
    "karpenter": [NODE_POOL, EC2_NODE_CLASS],
    "aws-load-balancer-controller": [TARGET_GROUP_BINDING, TARGET_GROUP_BINDING_V1ALPHA1,
                                     INGRESS_CLASS_PARAMS],
}


@pytest.mark.parametrize("obj", [o for objs in VALID.values() for o in objs],
                         ids=[f"{p}-{o['apiVersion']}-{o['kind']}" for p, objs in VALID.items()
                              for o in objs])
@pytest.mark.parametrize("strict", [True, False], ids=["strict", "loose"])
def test_valid_custom_resources_pass(obj, strict):
    assert errors(obj, strict=strict) == []


def test_bundled_kinds_cover_every_project():
    assert bundled_kinds() == sorted(bundled_kinds())
    assert set(bundled_kinds()) == {(o["apiVersion"], o["kind"]) for objs in VALID.values()
                                    for o in objs}
    assert len(bundled_kinds()) == 18


@pytest.mark.parametrize("api_version, kind", bundled_kinds())
def test_every_bundled_schema_compiles_and_is_draft_2020_12(api_version, kind):
    schema = bundled_schema(api_version, kind)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert isinstance(jsonschema_rs.validator_for(schema), jsonschema_rs.Draft202012Validator)
    assert schema["properties"]["apiVersion"]["const"] == api_version
    assert schema["properties"]["kind"]["const"] == kind
    assert schema["required"][:2] == ["apiVersion", "kind"]
    assert keywords(schema) <= {
        "$schema", "type", "properties", "required", "additionalProperties", crd.STRICT_MARK,
        "items", "enum", "const", "pattern", "minimum", "maximum", "exclusiveMinimum",
        "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "minItems", "maxItems",
        "uniqueItems", "minProperties", "maxProperties", "anyOf", "allOf", "oneOf", "not"}


def keywords(schema):
    """Every keyword used anywhere in a schema (property names are not keywords)."""
    found = set(schema)
    children = [*schema.get("properties", {}).values(), *schema.get("anyOf", []),
                *schema.get("allOf", []), *schema.get("oneOf", [])]
    children += [schema[k] for k in ("items", "additionalProperties", "not")
                 if isinstance(schema.get(k), dict)]
    for child in children:
        found |= keywords(child)
    return found


# -- invalid objects: where the error is


@pytest.mark.parametrize("obj, path, value", [
    (SERVICE_MONITOR, ("spec", "endpoints", 0, "interval"), 30),
    (APPLICATION, ("spec", "syncPolicy", "automated", "prune"), "yes"),
    (CERTIFICATE, ("spec", "dnsNames"), "demo.example.com"),
    (EXTERNAL_SECRET, ("spec", "data", 0, "remoteRef"), ["prod/db"]),
    (NODE_POOL, ("spec", "weight"), "10"),
    (INGRESS_CLASS_PARAMS, ("spec", "sslRedirectPort"), 443),
])
def test_wrong_type_is_reported_at_the_value(obj, path, value):
    assert errors(with_value(obj, path, value)) == [(path, "Type")]


@pytest.mark.parametrize("obj, at", [
    (APPLICATION, ("spec", "source", "helm")),
    (APPLICATION, ()),
    (EXTERNAL_SECRET, ("spec", "data", 0, "remoteRef")),
    (CERTIFICATE, ("spec", "issuerRef")),
    (SERVICE_MONITOR, ("spec", "endpoints", 1)),
    (NODE_POOL, ("spec", "template", "spec")),
    (TARGET_GROUP_BINDING, ("spec", "serviceRef")),
])
def test_unknown_field_is_an_error_only_when_strict(obj, at):
    bad = with_value(obj, (*at, "valueFiels"), ["x"])
    validator = jsonschema_rs.validator_for(bundled_schema(obj["apiVersion"], obj["kind"]))
    [error] = validator.iter_errors(bad)
    assert tuple(error.instance_path) == at
    assert type(error.kind).__name__ == "AdditionalProperties"
    assert error.kind.unexpected == ["valueFiels"]
    assert errors(bad, strict=False) == []


def test_metadata_is_never_closed():
    obj = with_value(APPLICATION, ("metadata", "ownerReferences"), [])
    obj["metadata"]["generateName"] = "demo-"
    assert errors(obj) == []
    assert errors(with_value(APPLICATION, ("metadata",), "demo")) == [(("metadata",), "Type")]


@pytest.mark.parametrize("obj, path, at", [
    (APPLICATION, ("spec", "destination"), ("spec",)),
    (APPLICATION, ("spec",), ()),
    (CERTIFICATE, ("spec", "issuerRef", "name"), ("spec", "issuerRef")),
    (SERVICE_MONITOR, ("spec", "selector"), ("spec",)),
    (EC2_NODE_CLASS, ("spec", "amiSelectorTerms"), ("spec",)),
    (TARGET_GROUP_BINDING, ("spec", "serviceRef"), ("spec",)),
    (PROMETHEUS_RULE, ("spec", "groups", 0, "name"), ("spec", "groups", 0)),
    (APPLICATION, ("apiVersion",), ()),
    (APPLICATION, ("kind",), ()),
])
def test_missing_required_field_is_reported_at_its_parent(obj, path, at):
    assert errors(without(obj, path), obj["apiVersion"], obj["kind"]) == [(at, "Required")]


def test_apiversion_and_kind_are_constants():
    assert errors(with_value(APPLICATION, ("kind",), "AppProject"), "argoproj.io/v1alpha1",
                  "Application") == [(("kind",), "Constant")]


@pytest.mark.parametrize("obj, path, text", [
    (SERVICE_MONITOR, ("spec", "endpoints", 0, "targetPort"), "metrics"),
    (TARGET_GROUP_BINDING, ("spec", "serviceRef", "port"), "http"),
    (TARGET_GROUP_BINDING_V1ALPHA1, ("spec", "serviceRef", "port"), "http"),
    (PROMETHEUS_RULE, ("spec", "groups", 0, "rules", 0, "expr"), "vector(1)"),
    (NODE_POOL, ("spec", "limits", "cpu"), "500m"),
])
def test_int_or_string_accepts_both_and_nothing_else(obj, path, text):
    for value in (8080, text):
        assert errors(with_value(obj, path, value)) == []
    for value in (True, 1.5, [text], {"port": 1}, None):
        assert errors(with_value(obj, path, value)) == [(path, "Type")]


def test_int_or_string_keeps_its_pattern_for_strings():
    schema = bundled_schema("karpenter.sh/v1", "NodePool")
    quantity = schema["properties"]["spec"]["properties"]["limits"]["additionalProperties"]
    assert quantity["type"] == ["integer", "string"] and "pattern" in quantity
    assert "anyOf" not in quantity
    assert errors(with_value(NODE_POOL, ("spec", "limits", "cpu"), "ten")) == [
        (("spec", "limits", "cpu"), "Pattern")]


def test_nullable_accepts_null_and_other_fields_do_not():
    status = {"refreshTime": None, "binding": {"name": "db-credentials"}}
    assert errors(with_value(EXTERNAL_SECRET, ("status",), status)) == []
    assert errors(with_value(EXTERNAL_SECRET, ("spec", "refreshInterval"), None)) == [
        (("spec", "refreshInterval"), "Type")]


@pytest.mark.parametrize("value", [{"a": {"b": [1, {"c": None}]}, "unknownEverywhere": True}, {}])
def test_preserve_unknown_fields_accepts_anything_below(value):
    path = ("spec", "source", "helm", "valuesObject")
    assert errors(with_value(APPLICATION, path, value)) == []
    # ... but it is still an object: its own type is checked
    assert errors(with_value(APPLICATION, path, "replicaCount: 3")) == [(path, "Type")]


def test_preserve_unknown_fields_without_type_accepts_any_value():
    path = ("spec", "acme", "solvers", 1, "dns01", "webhook", "config")
    for value in ("text", 3, [1], {"deep": {"er": 1}}, None):
        assert errors(with_value(CLUSTER_ISSUER, path, value)) == []


def test_set_lists_must_not_repeat():
    path = ("spec", "disruption", "budgets", 0, "reasons")
    assert errors(with_value(NODE_POOL, path, ["Empty", "Empty"])) == [(path, "UniqueItems")]


def test_enum_and_pattern_are_kept():
    assert errors(with_value(CERTIFICATE, ("spec", "privateKey", "algorithm"), "DSA")) == [
        (("spec", "privateKey", "algorithm"), "Enum")]
    assert errors(with_value(NODE_POOL, ("spec", "disruption", "consolidateAfter"), "soon")) == [
        (("spec", "disruption", "consolidateAfter"), "Pattern")]


# -- External Secrets: only served versions


def test_external_secrets_v1beta1_is_not_served(shared):
    [document] = [d for d in shared_crds(shared) if d["spec"]["names"]["kind"] == "ExternalSecret"]
    assert {v["name"]: v["served"] for v in document["spec"]["versions"]} == {
        "v1": True, "v1beta1": False}
    assert list(crd_schemas(document)) == [("external-secrets.io/v1", "ExternalSecret")]


@pytest.mark.parametrize("kind", ["ExternalSecret", "SecretStore", "ClusterSecretStore",
                                  "ClusterExternalSecret"])
def test_bundled_external_secrets_are_v1_only(kind):
    assert bundled_schema("external-secrets.io/v1beta1", kind) is None
    assert bundled_schema("external-secrets.io/v1beta1", kind, strict=False) is None
    assert bundled_schema("external-secrets.io/v1", kind) is not None


def test_unknown_kinds_have_no_bundled_schema():
    assert bundled_schema("argoproj.io/v1alpha1", "Rollout") is None
    assert bundled_schema("apps/v1", "Deployment") is None


# -- the converter on small CRDs


def make_crd(schema, *, versions=None, group="example.com", kind="Widget"):
    versions = versions or [{"name": "v1", "served": True, "storage": True,
                             "schema": {"openAPIV3Schema": schema}}]
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"widgets.{group}"},
            "spec": {"group": group, "scope": "Namespaced",
                     "names": {"kind": kind, "plural": "widgets"}, "versions": versions}}


def widget(spec):
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
            "spec": spec}


EMBEDDED = {"type": "object", "properties": {"spec": {"type": "object", "properties": {
    "open": {"type": "object", "x-kubernetes-embedded-resource": True,
             "x-kubernetes-preserve-unknown-fields": True},
    "closed": {"type": "object", "x-kubernetes-embedded-resource": True,
               "properties": {"spec": {"type": "object", "properties": {
                   "replicas": {"type": "integer"}}}}},
}}}}


def test_embedded_resource_needs_apiversion_and_kind():
    schema = crd_schemas(make_crd(EMBEDDED))[("example.com/v1", "Widget")]
    pod = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "b"}}
    assert errors(widget({"open": pod}), schema=schema) == []
    assert errors(widget({"open": {"apiVersion": "v1", "kind": "ConfigMap"}}),
                  schema=schema) == []  # metadata is optional, as the API server has it
    assert errors(widget({"open": {"kind": "ConfigMap"}}), schema=schema) == [
        (("spec", "open"), "Required")]
    assert errors(widget({"open": {"apiVersion": 1, "kind": ""}}), schema=schema) == [
        (("spec", "open", "apiVersion"), "Type"), (("spec", "open", "kind"), "MinLength")]
    assert errors(widget({"open": {**pod, "metadata": "x"}}), schema=schema) == [
        (("spec", "open", "metadata"), "Type")]
    assert errors(widget({"open": "ConfigMap"}), schema=schema) == [(("spec", "open"), "Type")]


def test_embedded_resource_with_properties_is_closed_when_strict():
    key = ("example.com/v1", "Widget")
    strict = crd_schemas(make_crd(EMBEDDED))[key]
    loose = crd_schemas(make_crd(EMBEDDED), strict=False)[key]
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                  "spec": {"replicas": 2}}
    assert errors(widget({"closed": deployment}), schema=strict) == []
    assert errors(widget({"closed": {**deployment, "status": {}}}), schema=strict) == [
        (("spec", "closed"), "AdditionalProperties")]
    assert errors(widget({"closed": {**deployment, "status": {}}}), schema=loose) == []
    assert errors(widget({"closed": {**deployment, "spec": {"replicas": "2"}}}),
                  schema=strict) == [(("spec", "closed", "spec", "replicas"), "Type")]


def test_only_served_versions_are_converted():
    versions = [{"name": name, "served": served, "storage": name == "v1",
                 "schema": {"openAPIV3Schema": {"type": "object"}}}
                for name, served in (("v1", True), ("v1beta1", False), ("v1alpha1", True))]
    assert sorted(crd_schemas(make_crd({}, versions=versions))) == [
        ("example.com/v1", "Widget"), ("example.com/v1alpha1", "Widget")]


def test_openapi_keywords_become_json_schema():
    spec = {"type": "object", "properties": {
        "size": {"type": "integer", "format": "int32", "minimum": 0, "exclusiveMinimum": True,
                 "maximum": 10, "default": 1, "description": "how big"},
        "mode": {"type": "string", "enum": ["a", "b"], "nullable": True},
        "either": {"nullable": True, "anyOf": [{"type": "integer"}, {"type": "string"}],
                   "x-kubernetes-int-or-string": True},
        "choice": {"type": "object", "oneOf": [{"required": ["x"]}, {"required": ["y"]}],
                   "properties": {"x": {"type": "string"}, "y": {"type": "string"}},
                   "x-kubernetes-validations": [{"rule": "self.x != ''"}]},
        "labels": {"type": "object", "additionalProperties": {"type": "string"},
                   "maxProperties": 2},
        "tags": {"type": "array", "items": {"type": "string", "minLength": 1}, "maxItems": 2,
                 "x-kubernetes-list-type": "set"},
    }}
    schema = crd_schemas(make_crd({"type": "object", "properties": {"spec": spec}}))[
        ("example.com/v1", "Widget")]
    size = schema["properties"]["spec"]["properties"]["size"]
    assert size == {"type": "integer", "exclusiveMinimum": 0, "maximum": 10}
    assert schema["properties"]["spec"]["properties"]["mode"] == {
        "type": ["string", "null"], "enum": ["a", "b", None]}
    # branches of a junctor stay open: they only add constraints to the node they qualify
    choice = schema["properties"]["spec"]["properties"]["choice"]
    assert all("additionalProperties" not in branch for branch in choice["oneOf"])
    assert choice["additionalProperties"] is False
    ok = {"size": 10, "mode": None, "either": None, "choice": {"x": "1"},
          "labels": {"a": "b"}, "tags": ["a", "b"]}
    assert errors(widget(ok), schema=schema) == []
    assert errors(widget({**ok, "either": 3}), schema=schema) == []
    bad = {"size": 0, "mode": "c", "either": 1.5, "choice": {"x": "1", "y": "2"},
           "labels": {"a": "b", "c": "d", "e": "f"}, "tags": ["a", "a", ""]}
    assert errors(widget(bad), schema=schema) == sorted([
        (("spec", "size"), "ExclusiveMinimum"), (("spec", "mode"), "Enum"),
        (("spec", "either"), "Type"), (("spec", "choice"), "OneOfMultipleValid"),
        (("spec", "labels"), "MaxProperties"), (("spec", "tags"), "MaxItems"),
        (("spec", "tags"), "UniqueItems"), (("spec", "tags", 2), "MinLength")])


def test_a_served_version_without_schema_accepts_any_spec():
    versions = [{"name": "v1", "served": True, "storage": True}]
    schema = crd_schemas(make_crd({}, versions=versions))[("example.com/v1", "Widget")]
    assert errors(widget({"anything": [1]}), schema=schema) == []
    assert errors({"kind": "Widget"}, schema=schema) == [((), "Required")]


def test_crd_schemas_refuses_what_is_not_a_v1_crd():
    for document in ({"apiVersion": "v1", "kind": "ConfigMap"},
                     {**make_crd({}), "apiVersion": "apiextensions.k8s.io/v1beta1"},
                     {**make_crd({}), "spec": {"versions": []}}):
        with pytest.raises(ValueError):
            crd_schemas(document)


def test_load_crds_picks_crds_and_list_items():
    other = make_crd({"type": "object"}, group="example.org", kind="Gadget")
    documents = [None, "text", {"apiVersion": "v1", "kind": "ConfigMap"},
                 make_crd({"type": "object"}),
                 {"apiVersion": "v1", "kind": "List", "items": [other, {"kind": "Secret"}]},
                 {**make_crd({}), "spec": {}},  # broken CRD: skipped
                 {**make_crd({}), "apiVersion": "apiextensions.k8s.io/v1beta1"}]
    found = load_crds(documents)
    assert sorted(found) == [("example.com/v1", "Widget"), ("example.org/v1", "Gadget")]
    assert load_crds(documents, strict=False).keys() == found.keys()


# -- the bundled data folder


@pytest.mark.parametrize("api_version, kind", bundled_kinds())
def test_loose_bundled_schemas_are_the_non_strict_conversion(shared, api_version, kind):
    key = (api_version, kind)
    strict = bundled_schema(api_version, kind)
    loose = bundled_schema(api_version, kind, strict=False)
    assert strict == load_crds(shared_crds(shared))[key]
    assert loose == load_crds(shared_crds(shared), strict=False)[key]
    assert crd.STRICT_MARK in json.dumps(strict) and crd.STRICT_MARK not in json.dumps(loose)
    assert bundled_schema(api_version, kind) is strict  # cached


def test_bundled_files_are_located_in_the_package():
    index = json.loads((DATA / crd.INDEX_FILE).read_text(encoding="utf-8"))
    assert sorted(tuple(k.rsplit("/", 1)) for k in index) == bundled_kinds()
    assert {p.name for p in DATA.glob("*.json")} == {crd.INDEX_FILE, *index.values()}
    assert pathlib.Path(crd._DATA_DIR).resolve() == DATA.resolve()
    notice = (DATA / "README.md").read_text(encoding="utf-8")
    assert "Apache" in notice and "Apache License" in (DATA / "LICENSE").read_text()


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_crd_schemas",
                                                  REPO / "scripts" / "gen_crd_schemas.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_data_is_a_fresh_generation(shared):
    generator = load_generator()
    files = generator.generate(shared / "crds")
    assert generator.stale(files, DATA) == []
    readme = files["README.md"]
    for item in json.loads((shared / "sources.json").read_text())["items"]:
        if item["path"].startswith("crds/"):
            assert item["tag"] in readme and item["commit"] in readme


def test_generator_writes_deterministically_and_removes_stale_files(shared, tmp_path, capsys):
    generator = load_generator()
    out = tmp_path / "crds"
    out.mkdir()
    (out / "old_v1_Gone.json").write_text("{}\n")
    (out / "LICENSE").write_text("kept\n")
    assert generator.main([str(shared / "crds"), "--out", str(out), "--check"]) == 1
    assert generator.main([str(shared / "crds"), "--out", str(out)]) == 0
    assert not (out / "old_v1_Gone.json").exists() and (out / "LICENSE").exists()
    assert generator.main([str(shared / "crds"), "--out", str(out), "--check"]) == 0  # same bytes
    text = (out / "argoproj.io_v1alpha1_Application.json").read_text(encoding="utf-8")
    assert text.endswith("}\n") and "\n" not in text[:-1] and ", " not in text[:200]
