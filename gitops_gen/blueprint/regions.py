"""AWS regions and their partitions, from the bundled `gitops_gen/data/aws_regions.json`."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=None)
def aws_regions() -> dict[str, str]:
    """Every AWS region the bundled list knows, mapped to its partition (aws, aws-cn, ...)."""
    text = resources.files("gitops_gen").joinpath("data", "aws_regions.json").read_text("utf-8")
    partitions = json.loads(text)["partitions"]
    return {region: partition for partition, regions in sorted(partitions.items())
            for region in regions}


def partition_of(region: str) -> str:
    """The partition of a region, as ARNs name it; `aws` for a region the list does not know."""
    return aws_regions().get(region, "aws")
