"""K8S206 dangerous-capability

## What it does
Flags containers and init containers that add a dangerous Linux capability in
`securityContext.capabilities.add`: by default ALL, SYS_ADMIN, NET_ADMIN, NET_RAW, SYS_PTRACE,
SYS_MODULE, SYS_RAWIO, SYS_BOOT, SYS_TIME, DAC_READ_SEARCH, BPF, PERFMON, SYS_CHROOT,
MAC_ADMIN and MAC_OVERRIDE. Names match with or without the `CAP_` prefix, in any case; the
list is the `dangerous-capabilities` option.

## Why it matters
Each of these breaks the container boundary or the node's integrity: SYS_ADMIN mounts
filesystems and escapes, SYS_MODULE loads kernel modules, SYS_PTRACE reads other processes'
memory, NET_ADMIN and NET_RAW rewrite and spoof the node's traffic.

## Example
    securityContext:
      capabilities:
        add: [SYS_ADMIN]

## Use instead
    securityContext:
      capabilities:
        drop: [ALL]
        add: [NET_BIND_SERVICE]
"""

import functools

from gitops_gen.lint import Finding, Option, Severity, rule
from gitops_gen.lint.k8s import WORKLOAD_KINDS, containers, mapping, sequence

DANGEROUS = ["ALL", "SYS_ADMIN", "NET_ADMIN", "NET_RAW", "SYS_PTRACE", "SYS_MODULE", "SYS_RAWIO",
             "SYS_BOOT", "SYS_TIME", "DAC_READ_SEARCH", "BPF", "PERFMON", "SYS_CHROOT",
             "MAC_ADMIN", "MAC_OVERRIDE"]


def _normal(capability: str) -> str:
    return capability.strip().upper().removeprefix("CAP_")


@functools.lru_cache(maxsize=8)
def _normal_set(capabilities: tuple[str, ...]) -> frozenset[str]:
    return frozenset(_normal(c) for c in capabilities)


@rule(code="K8S206", name="dangerous-capability", severity=Severity.ERROR, kinds=WORKLOAD_KINDS,
      options={"dangerous-capabilities": Option(
          list, DANGEROUS, "Capabilities flagged when added, with or without the CAP_ prefix.")},
      remediation="Remove the capability from capabilities.add, or isolate the workload on dedicated nodes.")
def check(obj, opts):
    dangerous = None  # read from the options when a container adds a capability (few do)
    for container in containers(obj):
        capabilities = mapping(mapping(container.data.get("securityContext")).get("capabilities"))
        for index, capability in enumerate(sequence(capabilities.get("add"))):
            if dangerous is None:
                dangerous = _normal_set(tuple(opts["dangerous-capabilities"]))
            if isinstance(capability, str) and _normal(capability) in dangerous:
                yield Finding(f"{container.label} adds the dangerous capability {capability}",
                              container.at("securityContext", "capabilities", "add", index))
