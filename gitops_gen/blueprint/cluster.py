"""The AWS side of an environment: its EKS cluster, its Route 53 zones, and IAM roles (of
add-ons and apps) with how their `iam` settings merge over the levels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from gitops_gen.blueprint.layers import Path
from gitops_gen.blueprint.regions import partition_of

IAM_MODES = ("pod-identity", "irsa")
IN_CLUSTER_SERVER = "https://kubernetes.default.svc"


@dataclass(frozen=True, slots=True)
class Cluster:
    name: str
    account_id: str
    region: str
    kubernetes_version: str
    api_server: str | None = None
    in_cluster: bool = True

    @property
    def server(self) -> str:
        """The Argo CD destination server of the environment's Applications."""
        return self.api_server if self.api_server else IN_CLUSTER_SERVER

    @property
    def partition(self) -> str:
        return partition_of(self.region)


@dataclass(frozen=True, slots=True)
class Dns:
    """The environment's Route 53 hosted zones (all None when the blueprint names none)."""

    public_zone_id: str | None = None
    private_domain: str | None = None
    private_zone_id: str | None = None

    @property
    def zone_ids(self) -> tuple[str, ...]:
        return tuple(z for z in (self.public_zone_id, self.private_zone_id) if z)


@dataclass(frozen=True, slots=True)
class IamRole:
    mode: str
    """'pod-identity' or 'irsa'."""
    arn: str

    @property
    def irsa(self) -> bool:
        return self.mode == "irsa"

    @property
    def service_account_annotations(self) -> dict[str, str]:
        """What IRSA puts on the service account; nothing for EKS Pod Identity."""
        return {"eks.amazonaws.com/role-arn": self.arn} if self.irsa else {}


def iam_role(iam: Mapping[str, Any], cluster: Cluster) -> IamRole | None:
    """The resolved `iam` settings as a role (None until mode and a role are both set)."""
    if not (iam.get("mode") and (iam.get("roleArn") or iam.get("roleName"))):
        return None
    arn = iam.get("roleArn") or (f"arn:{cluster.partition}:iam::{cluster.account_id}:role/"
                                 f"{iam['roleName']}")
    return IamRole(mode=iam["mode"], arn=arn)


def merge_iam(iam: dict[str, Any], layer_iam: Mapping[str, Any], path: Path,
               origin: dict[str, Path]) -> None:
    """`layer_iam` over `iam`: a role name or ARN replaces both."""
    if "roleName" in layer_iam or "roleArn" in layer_iam:
        iam.pop("roleName", None)
        iam.pop("roleArn", None)
    for key, value in layer_iam.items():
        iam[key] = value
        origin[f"iam.{key}"] = path + ("iam", key)
    origin["iam"] = path + ("iam",)

