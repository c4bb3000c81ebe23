"""Egress rules of the rendered NetworkPolicies: what an add-on's or app's pods may reach.

Every policy allows DNS (CoreDNS in kube-system) and HTTPS (443: the API server and the AWS
APIs, public or VPC endpoints). Pods whose role comes from EKS Pod Identity also reach the Pod
Identity agent (a link-local address on the node, port 80); the instance metadata service only
where the workload reads it. Where Cilium runs, the agent is its `host` entity, which only a
CiliumNetworkPolicy can allow. Templates get this module as `network`.
"""

from __future__ import annotations

from typing import Any

from gitops_gen.blueprint.apps import AppEnvironment
from gitops_gen.blueprint.cluster import IamRole

POD_IDENTITY_AGENT = ("169.254.170.23/32", "fd00:ec2::23/128")
"""The EKS Pod Identity agent's addresses (IPv4, IPv6), where the AWS SDKs get credentials."""
POD_IDENTITY_PORT = 80
IMDS = "169.254.169.254/32"
"""The EC2 instance metadata service."""


def dns(match_expressions: bool = False) -> dict[str, Any]:
    """UDP and TCP 53 to CoreDNS. `match_expressions` for kustomize bases, where a
    `matchLabels` would get the app's labels added."""
    selector: dict[str, Any] = (
        {"matchExpressions": [{"key": "k8s-app", "operator": "In", "values": ["kube-dns"]}]}
        if match_expressions else {"matchLabels": {"k8s-app": "kube-dns"}})
    return {"to": [{"namespaceSelector": {"matchLabels": {
                        "kubernetes.io/metadata.name": "kube-system"}},
                    "podSelector": selector}],
            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}


def https() -> dict[str, Any]:
    return {"ports": [{"port": 443, "protocol": "TCP"}]}


def pod_identity_agent() -> dict[str, Any]:
    return {"to": [{"ipBlock": {"cidr": cidr}} for cidr in POD_IDENTITY_AGENT],
            "ports": [{"port": POD_IDENTITY_PORT, "protocol": "TCP"}]}


def instance_metadata() -> dict[str, Any]:
    return {"to": [{"ipBlock": {"cidr": IMDS}}], "ports": [{"port": 80, "protocol": "TCP"}]}


def credentials(role: IamRole | None) -> list[dict[str, Any]]:
    """The rule a pod with `role` needs to get its credentials beyond HTTPS: the Pod Identity
    agent for `pod-identity` (IRSA calls STS on 443)."""
    return [pod_identity_agent()] if role is not None and not role.irsa else []


def aws_egress(role: IamRole | None, imds: bool = False) -> list[dict[str, Any]]:
    """DNS, HTTPS, the Pod Identity agent for a Pod Identity role, and IMDS when `imds`."""
    rules = [dns(), https(), *credentials(role)]
    if imds:
        rules.append(instance_metadata())
    return rules


def authoritative_dns() -> dict[str, Any]:
    """UDP and TCP 53 to any name server: cert-manager checks a DNS-01 record on the zone's
    authoritative name servers before it asks the ACME server to validate it."""
    return {"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}


def cert_manager_egress(role: IamRole | None, dns01: bool) -> list[dict[str, Any]]:
    """The cert-manager controller's rules: DNS, HTTPS (the API server, Route 53, the ACME
    server), the Pod Identity agent for a Pod Identity role, and any name server for DNS-01
    propagation checks (`dns01`). No port 80: no HTTP-01 solver is ever rendered."""
    return aws_egress(role) + ([authoritative_dns()] if dns01 else [])


def app_egress(app: AppEnvironment) -> list[dict[str, Any]]:
    """An app's rules beyond DNS and HTTPS: its credentials and its `egress` CIDRs."""
    rules = credentials(app.iam)
    for rule in app.egress:
        if rule.cidrs:
            rules.append({"to": [{"ipBlock": {"cidr": cidr}} for cidr in rule.cidrs],
                          "ports": [{"port": port, "protocol": rule.protocol}
                                    for port in rule.ports]})
    return rules


def cilium_egress(app: AppEnvironment, cilium: bool) -> list[dict[str, Any]]:
    """CiliumNetworkPolicy egress rules of an app where Cilium runs (`cilium`), else none: the
    Pod Identity agent for a Pod Identity role (Cilium sees it as the `host` entity, which an
    ipBlock never matches), and the app's `egress` hosts: DNS through Cilium's proxy (so that
    it learns the names' addresses), then each host."""
    if not cilium:
        return []
    out: list[dict[str, Any]] = []
    if app.iam is not None and not app.iam.irsa:
        out.append(cilium_agent_rule())
    rules = [rule for rule in app.egress if rule.hosts]
    if rules:
        out.append({
            "toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system",
                                             "k8s:k8s-app": "kube-dns"}}],
            "toPorts": [{"ports": [{"port": "53", "protocol": "ANY"}],
                         "rules": {"dns": [{"matchPattern": "*"}]}}]})
    for rule in rules:
        out.append({"toFQDNs": [{"matchPattern" if "*" in host else "matchName": host}
                                for host in rule.hosts],
                    "toPorts": [{"ports": [{"port": str(port), "protocol": rule.protocol}
                                           for port in rule.ports]}]})
    return out


def cilium_agent_rule() -> dict[str, Any]:
    """The Pod Identity agent as Cilium sees it: port 80 of the `host` entity."""
    return {"toEntities": ["host"],
            "toPorts": [{"ports": [{"port": str(POD_IDENTITY_PORT), "protocol": "TCP"}]}]}


def cilium_agent_policy(name: str, namespace: str,
                        labels: dict[str, str]) -> dict[str, Any]:
    """A CiliumNetworkPolicy that lets the pods with `labels` reach the Pod Identity agent."""
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
            "metadata": {"name": f"{name}-pod-identity", "namespace": namespace,
                         "annotations": {UNKNOWN_KIND_IGNORE: UNKNOWN_KIND_REASON}},
            "spec": {"endpointSelector": {"matchLabels": labels},
                     "egress": [cilium_agent_rule()]}}


UNKNOWN_KIND_IGNORE = "ignore.gitops-gen.io/unknown-kind"
UNKNOWN_KIND_REASON = "Cilium's CRD (cilium add-on); gitops-gen bundles no schema for it"
