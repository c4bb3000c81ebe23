"""The detectors of the field and behaviour changes: one for every change in the bundled table."""

import itertools
import re

import pytest
import yaml

from gitops_gen import versions
from gitops_gen.lint import field_changes
from gitops_gen.lint.field_changes import (ALL_CHANGES, GUIDANCE, KINDS, canonical_cidr,
                                          canonical_ip, change_of, kinds_of, uses)

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: p, annotations: {%s}}
spec:
  containers: [{name: c, image: "%s"}]
  volumes: [%s]
"""
USES = {
    "docker-socket-mount": POD % ("", "c:1", "{name: d, hostPath: {path: /run/docker.sock}}"),
    "psp-to-psa": """\
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: r}
        rules: [{apiGroups: [extensions], resources: [podsecuritypolicies], verbs: ["*"]}]
        """,
    "seccomp-alpha-annotations": POD % ('seccomp.security.alpha.kubernetes.io/pod: x', "c:1", ""),
    "apparmor-annotations": POD % ("container.apparmor.security.beta.kubernetes.io/c: x", "c:1",
                                   ""),
    "default-storageclass-eks-1-30": """\
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: data}
        spec: {accessModes: [ReadWriteOnce]}
        """,
    "serviceaccount-enforce-mountable-secrets": """\
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: s, annotations: {kubernetes.io/enforce-mountable-secrets: "true"}}
        """,
    "endpoints-v1": """\
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: r}
        rules: [{apiGroups: ["*"], resources: [endpoints], verbs: [watch]}]
        """,
    "kube-proxy-ipvs": """\
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: kube-proxy}
        data: {config.conf: "kind: KubeProxyConfiguration\\nmode: ipvs  # fast\\n"}
        """,
    "pod-gitrepo-volume": POD % ("", "c:1", "{name: g, gitRepo: {repository: r}}"),
    "service-externalips": """\
        apiVersion: v1
        kind: Service
        metadata: {name: s}
        spec: {externalIPs: [203.0.113.9]}
        """,
    "strict-ip-cidr-validation": """\
        apiVersion: networking.k8s.io/v1
        kind: ServiceCIDR
        metadata: {name: s}
        spec: {cidrs: [10.96.0.1/12]}
        """,
    "ingress-nginx-retired": POD % ("", "k8s.gcr.io/ingress-nginx/controller:v1.2.0", ""),
}


def test_every_change_in_the_table_has_a_detector_or_guidance():
    assert set(versions.field_changes()) == set(USES) == ALL_CHANGES
    assert kinds_of(ALL_CHANGES) == KINDS
    assert set(GUIDANCE) <= set(versions.field_changes())


@pytest.mark.parametrize("change", sorted(USES))
def test_each_detector_finds_its_change_and_names_it_in_the_message(change):
    import textwrap

    found = list(uses(yaml.safe_load(textwrap.dedent(USES[change]))))
    assert [use.change for use in found] == [change]
    assert change_of(found[0].message) == change
    assert found[0].message.endswith(f" [{change}]")


def test_messages_without_a_known_change_id_name_none():
    assert change_of("volume 'x' [not-a-change]") is None
    assert change_of("no id here") is None


@pytest.mark.parametrize("value, canonical", [
    ("10.0.0.5", None), ("010.0.0.5", "10.0.0.5"), ("10.000.0.5", "10.0.0.5"),
    ("::ffff:10.1.2.3", "10.1.2.3"), ("2001:db8::1", None), ("not-an-ip", None),
    ("999.1.1.1", None), (5, None), ("", None)])
def test_canonical_ip(value, canonical):
    assert canonical_ip(value) == canonical


@pytest.mark.parametrize("value, canonical", [
    ("192.168.0.0/24", None), ("192.168.0.5/24", "192.168.0.0/24"),
    ("010.0.0.0/8", "10.0.0.0/8"), ("2001:db8::1/32", "2001:db8::/32"),
    ("2001:db8::/32", None), ("::ffff:10.0.0.0/104", "10.0.0.0/8"), ("10.0.0.0", None),
    ("10.0.0.0/33", None), ("garbage/8", None), (None, None)])
def test_canonical_cidr(value, canonical):
    assert canonical_cidr(value) == canonical


def _addresses() -> list[str]:
    numbers = ["0", "1", "9", "10", "09", "010", "99", "100", "199", "200", "249", "250", "255",
               "256", "260", "300", "0255", "١"]  # the last: an Arabic-Indic digit one
    return [".".join(parts) for parts in itertools.product(numbers, repeat=2)
            for parts in [("10", parts[0], "3", parts[1]), (parts[0], "0", "0", parts[1])]]


def _without_the_quick_test(monkeypatch) -> None:
    """canonical_ip and canonical_cidr as the ipaddress module alone answers them."""
    monkeypatch.setattr(field_changes, "_CANONICAL_IPV4", re.compile("(?!)"))


def test_canonical_ip_agrees_with_the_ipaddress_module(monkeypatch):
    quick = [canonical_ip(address) for address in _addresses()]
    _without_the_quick_test(monkeypatch)
    assert quick == [canonical_ip(address) for address in _addresses()]


def test_canonical_cidr_agrees_with_the_ipaddress_module(monkeypatch):
    values = [f"{address}/{bits}" for address in _addresses()[::7]
              for bits in ("0", "1", "8", "15", "16", "24", "31", "32", "33", "08")]
    quick = [canonical_cidr(value) for value in values]
    assert any(quick) and None in quick  # both answers occur
    _without_the_quick_test(monkeypatch)
    assert quick == [canonical_cidr(value) for value in values]


ALL_IN_ONE = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    metadata:
      annotations: {seccomp.security.alpha.kubernetes.io/pod: x,
                    container.apparmor.security.beta.kubernetes.io/c: y}
    spec:
      hostAliases: [{ip: 010.0.0.1}]
      dnsConfig: {nameservers: ["::ffff:10.0.0.2"]}
      containers: [{name: c, image: "registry.k8s.io/ingress-nginx/controller:v1"}]
      volumes: [{name: g, gitRepo: {repository: r}}, {name: d, hostPath: {path: /run/docker.sock}}]
"""


@pytest.mark.parametrize("source", [*USES.values(), ALL_IN_ONE])
def test_asking_for_some_changes_finds_the_same_uses_of_those(source):
    """API003 and API004 ask only for the changes they report: the detectors of the others
    are not run, and what they ask for is found as when every change is asked for."""
    import textwrap

    obj = yaml.safe_load(textwrap.dedent(source))
    every = uses(obj)
    assert every
    for change in ALL_CHANGES:
        some = uses(obj, frozenset({change}))
        assert [u for u in some if u.change == change] == [
            u for u in every if u.change == change]
    assert uses(obj, frozenset()) == ()
