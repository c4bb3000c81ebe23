"""The cross-resource index's tables travel with its records: an index extended with the packed
indexes of several chunks (as the parent merges the workers') answers every question as one
index that was given every resource."""

import pytest

from gitops_gen.lint.index import ResourceIndex
from gitops_gen.lint.resources import resource_of


def _deployment(name, namespace, labels, account="default"):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": 2, "template": {"metadata": {"labels": labels},
                                                 "spec": {"serviceAccountName": account}}}}


def _objects(folder):
    """(file, object) pairs of two chunks: the second's HPA, Service, PDB and binding point at
    the first's workloads."""
    first = [
        (f"{folder}/apps.yaml", _deployment("web", "shop", {"app": "web"})),
        (f"{folder}/apps.yaml", _deployment("api", "shop", {"app": "api", "tier": "back"}, "api")),
        (f"{folder}/apps.yaml", _deployment("web", "pay", {"app": "web"})),
        (f"{folder}/apps.yaml", {"apiVersion": "v1", "kind": "ConfigMap",
                                 "metadata": {"name": "settings", "namespace": "shop"}}),
    ]
    second = [
        (f"{folder}/more.yaml", {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                                 "metadata": {"name": "web", "namespace": "shop"},
                                 "spec": {"scaleTargetRef": {"apiVersion": "apps/v1",
                                                             "kind": "Deployment", "name": "web"},
                                          "minReplicas": 2, "maxReplicas": 5}}),
        (f"{folder}/more.yaml", {"apiVersion": "v1", "kind": "Service",
                                 "metadata": {"name": "api", "namespace": "shop"},
                                 "spec": {"selector": {"app": "api"}}}),
        (f"{folder}/more.yaml", {"apiVersion": "rbac.authorization.k8s.io/v1",
                                 "kind": "RoleBinding",
                                 "metadata": {"name": "api", "namespace": "shop"},
                                 "subjects": [{"kind": "ServiceAccount", "name": "api"}]}),
        (f"{folder}/more.yaml", {"apiVersion": "example.com/v1", "kind": "Database",
                                 "metadata": {"name": "db", "namespace": "data"}}),
        (f"{folder}/more.yaml", _deployment("late", "pay", {"app": "web"})),
    ]
    return first, second


def _index(*parts):
    index = ResourceIndex()
    for part in parts:
        for number, (file, obj) in enumerate(part):
            index.add(resource_of(file, number, (), obj), lambda path, key: (1, 1))
    return index


def _answers(index):
    workloads = list(index.workloads())
    return {
        "kinds": [(r.kind, r.namespace, r.name, r.number) for r in index.of_kind(
            "Deployment", "HorizontalPodAutoscaler", "Service", "RoleBinding", "Database")],
        "get": [getattr(index.get(*key), "name", None) for key in (
            ("Deployment", "shop", "web"), ("ConfigMap", "shop", "settings"),
            ("Deployment", "shop", "nope"), ("Service", "shop", "api"))],
        "hpas": [[h.name for h in index.hpas_for(w)] for w in workloads],
        "counts": [index.count(kinds) for kinds in (("Deployment", "Service"), ("Pod",), None)],
        "by map": [[w.name for w in index.selected_by_map(namespace, {"app": "web"})]
                   for namespace in ("shop", "pay", "data")],
        "by selector": [[w.name for w in index.selected_by_label_selector(namespace, selector)]
                        for namespace in ("shop", "pay")
                        for selector in ({"matchLabels": {"tier": "back"}}, {})],
        "bound": [index.is_bound(*key) for key in (("shop", "api"), ("shop", "default"),
                                                   (None, "api"), ("pay", "api"))],
        "workloads": [index.has_workloads(n) for n in ("shop", "pay", "data", None)],
        "operators": [index.has_operator_resource(n) for n in ("shop", "data")],
    }


def test_an_index_extended_with_packed_chunks_answers_as_one_index(tmp_path):
    first, second = _objects(str(tmp_path))
    merged = ResourceIndex()
    merged.extend(_index(first).packed())
    merged.extend(_index(second).packed())
    answers = _answers(merged)
    assert answers == _answers(_index(first, second))
    assert answers["hpas"] == [["web"], [], [], []]  # the HPA of the second chunk, found
    assert answers["counts"] == [5, 0, 8]  # the ConfigMap is not tabled (name only)
    assert answers["get"] == ["web", "settings", None, "api"]
    assert answers["bound"] == [True, False, True, False]


@pytest.mark.parametrize("where", ["first", "second"])
def test_a_kustomization_in_any_chunk_places_the_merged_records(tmp_path, where):
    first, second = _objects(str(tmp_path))
    kustomization = (f"{tmp_path}/kustomization.yaml",
                     {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                      "namespace": "moved", "resources": ["apps.yaml"]})
    if where == "first":
        first = first + [kustomization]
    else:
        second = second + [kustomization]
    merged = ResourceIndex()
    merged.extend(_index(first).packed())
    merged.extend(_index(second).packed())
    answers = _answers(merged)
    assert answers == _answers(_index(first, second))
    assert [(kind, namespace, name) for kind, namespace, name, _ in answers["kinds"]][:3] == [
        ("Deployment", "moved", "web"), ("Deployment", "moved", "api"),
        ("Deployment", "moved", "web")]
