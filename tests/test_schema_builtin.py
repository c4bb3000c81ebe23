"""Kubernetes' own schemas read piecemeal (schema/builtin.py): what a validator is given must be
what the whole definitions file gives, and anything unexpected falls back to the whole file."""

import json
import os
import shutil

import jsonschema_rs
import pytest

from gitops_gen.schema import builtin

VERSION = "1.30"

BROKEN_DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": 3}},
    "spec": {
        "replicas": "3",
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
            "containers": [{"name": "web", "image": "nginx", "imagePullPolicy": 1,
                            "ports": [{"containerPort": "http"}], "resources": {"limit": {}}}],
            "volumes": [{"name": "data", "emptyDir": {"medium": 4}}],
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone"}]}]}}}}},
    },
}


def _errors(folder, schema, document, instance):
    registry = jsonschema_rs.Registry([(builtin.DEFINITIONS_ID, document)])
    validator = jsonschema_rs.validator_for(schema, registry=registry, validate_formats=False)
    return sorted((list(e.instance_path), list(e.schema_path), e.message)
                  for e in validator.iter_errors(instance))


@pytest.mark.parametrize("strict", [True, False])
def test_a_kind_gets_every_definition_it_reaches_and_the_same_errors(strict):
    folder = builtin.builtin_dir(VERSION, strict)
    schema = builtin.served_schema(folder, "apps/v1", "Deployment")
    reached = builtin._reached_definitions(folder, schema)
    full = builtin.definitions(folder)
    assert reached is not None
    assert "io.k8s.api.core.v1.PodSpec" in reached["$defs"]
    assert "io.k8s.api.core.v1.ServiceSpec" not in reached["$defs"]  # not reached from here
    assert all(full["$defs"][name] == body for name, body in reached["$defs"].items())
    assert {k: v for k, v in reached.items() if k != "$defs"} == \
        {k: v for k, v in full.items() if k != "$defs"}
    errors = _errors(folder, schema, reached, BROKEN_DEPLOYMENT)
    assert len(errors) >= 6
    assert errors == _errors(folder, schema, full, BROKEN_DEPLOYMENT)


def test_every_definition_cut_from_the_text_is_the_parsed_one():
    folder = builtin.builtin_dir(VERSION, True)
    text = builtin._definitions_text(folder)
    full = builtin.definitions(folder)["$defs"]
    assert list(text.spans) == list(full)
    for name, body in full.items():
        parsed, references = text.definition(name)
        assert parsed == body
        assert sorted(set(references)) == sorted(
            {ref.removeprefix("#/$defs/") for ref in builtin._references(body)})


def test_served_kinds_read_from_their_own_files_match_the_definitions():
    folder = builtin.builtin_dir(VERSION, True)
    served = builtin.served_kinds(folder)
    files = builtin.builtin_files(folder)
    candidates = set()
    for name in files - {builtin.DEFINITIONS_FILE, "all.json"}:
        with open(os.path.join(folder, name), encoding="utf-8") as handle:
            for gvk in json.load(handle).get("x-kubernetes-group-version-kind") or ():
                group_version = f"{gvk['group']}/{gvk['version']}" if gvk["group"] \
                    else gvk["version"]
                candidates.add((group_version, gvk["kind"]))
    by_file = {key for key in candidates | served if builtin.served_schema(folder, *key)}
    expected = {(api_version, kind) for api_version, kind in served
                if builtin.is_builtin_group(api_version)
                and builtin.type_file(api_version, kind) in files}
    assert ("apps/v1", "Deployment") in by_file and ("v1", "PodList") in by_file
    assert ("v1", "PodSpec") not in by_file and ("v1", "DeleteOptions") not in by_file
    assert by_file == expected


def test_a_reference_into_another_document_uses_the_whole_file():
    folder = builtin.builtin_dir(VERSION, True)
    schema = {"properties": {"spec": {"$ref": "https://example.com/other.json#/$defs/Spec"}}}
    assert builtin._reached_definitions(folder, schema) is None


def test_definitions_laid_out_otherwise_are_read_whole(tmp_path):
    folder = builtin.builtin_dir(VERSION, True)
    copy = tmp_path / "v1.30.0-local-strict"
    copy.mkdir()
    shutil.copy(os.path.join(folder, "deployment-apps-v1.json"), copy)
    with open(os.path.join(folder, builtin.DEFINITIONS_FILE), encoding="utf-8") as handle:
        full = json.load(handle)
    (copy / builtin.DEFINITIONS_FILE).write_text(json.dumps(full))  # one line
    schema = builtin.served_schema(str(copy), "apps/v1", "Deployment")
    assert builtin._definitions_text(str(copy)) is None
    validator = jsonschema_rs.validator_for(schema, registry=builtin.registry(str(copy), schema),
                                            validate_formats=False)
    assert not validator.is_valid(BROKEN_DEPLOYMENT)
