"""The version loader: the API lifecycle table, the EKS calendar and version parsing."""

import pytest
import yaml

from gitops_gen import versions
from gitops_gen.versions import (api_lifecycle, default_k8s_version, eks_versions, lifecycle_of,
                                 parse_minor)


def test_lifecycle_rows_have_every_field():
    rows = api_lifecycle()
    assert len(rows) > 100
    keys = set(rows[0])
    assert {"api_version", "kind", "component", "deprecated_in", "removed_in", "replacement",
            "unverified"} <= keys
    assert all(set(row) == keys for row in rows)
    assert len({(r["api_version"], r["kind"]) for r in rows}) == len(rows)


def test_lifecycle_of_matches_the_pair():
    pdb = lifecycle_of("policy/v1beta1", "PodDisruptionBudget")
    assert pdb["deprecated_in"] == "1.21" and pdb["removed_in"] == "1.25"
    assert pdb["replacement"] == "policy/v1" and not pdb["unverified"]
    assert lifecycle_of("policy/v1beta1", "NoSuchKind") is None
    assert lifecycle_of("apps/v1", "Deployment") is None
    assert lifecycle_of("example.com/v1", "Widget") is None


def test_a_list_kind_follows_its_item_kind():
    assert lifecycle_of("batch/v1beta1", "CronJobList") is lifecycle_of("batch/v1beta1", "CronJob")
    assert lifecycle_of("batch/v1beta1", "List") is None


def test_versions_are_minor_strings():
    for row in api_lifecycle():
        for key in ("deprecated_in", "removed_in", "replacement_available_in"):
            value = row[key]
            assert value is None or (isinstance(value, str) and value.count(".") == 1), (row, key)


def test_removed_after_deprecated():
    for row in api_lifecycle():
        if row["deprecated_in"] and row["removed_in"]:
            assert parse_minor(row["removed_in"]) > parse_minor(row["deprecated_in"]), row


def test_every_upstream_removal_is_in_the_table(shared):
    source = yaml.safe_load((shared / "data" / "k8s-api-removals.yaml").read_text())
    removals = source["removals"]
    newest = max(parse_minor(r["removed_in"]) for r in removals if r["removed_in"])
    assert newest >= (1, 37)
    for entry in removals:
        if entry["removed_in"] and not (1, 16) <= parse_minor(entry["removed_in"]) <= newest:
            continue
        row = lifecycle_of(entry["apiVersion"], entry["kind"])
        assert row is not None, entry
        assert row["kind"] == entry["kind"], entry
        assert (row["deprecated_in"], row["removed_in"]) == (entry["deprecated_in"],
                                                             entry["removed_in"]), entry
        assert row["unverified"] == bool(entry.get("unverified")), entry
    assert min(parse_minor(r["removed_in"]) for r in api_lifecycle()
               if r["removed_in"] and r["component"] == versions.KUBERNETES) == (1, 16)


def test_known_pluto_defects_are_fixed():
    # pluto: removed in 1.29 and a kind "FlowControl" that does not exist.
    flow = lifecycle_of("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema")
    assert flow["removed_in"] == "1.26"
    assert lifecycle_of("flowcontrol.apiserver.k8s.io/v1beta1", "FlowControl") is None
    assert not [r for r in api_lifecycle() if "istio" in r["api_version"]]
    order = lifecycle_of("acme.cert-manager.io/v1beta1", "Order")
    assert order["component"] == "cert-manager"
    assert order["replacement"] == "acme.cert-manager.io/v1"
    assert lifecycle_of("certmanager.k8s.io/v1alpha1", "Certificate")["replacement"] == (
        "cert-manager.io/v1")
    assert lifecycle_of("audit.k8s.io/v1beta1", "Event")["unverified"]


def test_replacements_that_were_removed_too_are_followed():
    psp = lifecycle_of("extensions/v1beta1", "PodSecurityPolicy")
    assert versions.advice(psp, (1, 20)) == "use policy/v1beta1"
    assert "Pod Security Admission" in versions.advice(psp, (1, 36))
    flow = lifecycle_of("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema")
    assert versions.advice(flow, (1, 26)) == "use flowcontrol.apiserver.k8s.io/v1beta3"
    assert versions.advice(flow, (1, 32)) == "use flowcontrol.apiserver.k8s.io/v1"
    endpoints = lifecycle_of("v1", "Endpoints")
    assert versions.advice(endpoints, (1, 33)) == "use discovery.k8s.io/v1 EndpointSlice"


def test_status_at_version_boundaries():
    hpa = lifecycle_of("autoscaling/v2beta2", "HorizontalPodAutoscaler")
    assert versions.status_at(hpa, (1, 22)) is None
    assert versions.status_at(hpa, (1, 23)) == versions.DEPRECATED
    assert versions.status_at(hpa, (1, 25)) == versions.DEPRECATED
    assert versions.status_at(hpa, (1, 26)) == versions.REMOVED
    cert = lifecycle_of("cert-manager.io/v1alpha2", "Certificate")
    assert versions.status_at(cert, (1, 23)) == versions.REMOVED


def test_eks_calendar():
    calendar = eks_versions()
    numbers = [parse_minor(v["version"]) for v in calendar]
    assert numbers == sorted(numbers) and numbers[0] == (1, 23)
    for entry in calendar:
        assert set(entry) == {"version", "eks_release", "end_of_standard_support",
                              "end_of_extended_support", "unverified", "offered"}
        assert entry["offered"] == (bool(entry["eks_release"]) or entry["version"] == "1.36")
    assert not next(v for v in calendar if v["version"] == "1.37")["offered"]


def test_default_version_is_the_newest_offered_version():
    default = default_k8s_version()
    assert default == "1.36"
    offered = [v["version"] for v in eks_versions() if v["offered"]]
    assert default in offered
    assert parse_minor(default) == max(parse_minor(v) for v in offered)


@pytest.mark.parametrize(("text", "expected"), [
    ("1.30", (1, 30)), ("1.30.2", (1, 30)), ("v1.30", (1, 30)), ("v1.30.2", (1, 30)),
    ("1.30.2-eks-a1b2c3", (1, 30)), (" 1.9 ", (1, 9)), ("2.0", (2, 0)),
])
def test_parse_minor(text, expected):
    assert parse_minor(text) == expected


@pytest.mark.parametrize("junk", ["", "1", "1.", ".30", "1.x", "banana", "1.30.2.1", "v", "1,30",
                                  None, 1.30, 130, ["1.30"]])
def test_parse_minor_rejects_junk(junk):
    with pytest.raises(ValueError):
        parse_minor(junk)
