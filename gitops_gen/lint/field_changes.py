"""Where an object uses a field or behaviour change of Kubernetes or EKS (the bundled
`field_changes.json`): gitRepo volumes, Service `externalIPs`, non-canonical IPs and CIDRs, RBAC
grants on v1 Endpoints, ... Rules API003/API004 report them at a target version; upgrade-check
assigns them to the hop where each change lands.

Every message ends with the change's id in brackets (`[pod-gitrepo-volume]`), the key of the
change in the bundled table; `change_of` reads it back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Iterable, Iterator

from gitops_gen import versions
from gitops_gen.lazyre import lazy
from gitops_gen.lint.k8s import (WORKLOAD_KINDS, containers, get, is_custom_resource, mapping,
                                 pod_spec, pod_template_metadata, sequence)
from gitops_gen.lint.model import Path, format_path

RBAC_KINDS = ("Role", "ClusterRole")
IP_KINDS = ("Service", "NetworkPolicy", "Endpoints", "EndpointSlice", "ServiceCIDR")
(GIT_REPO, DOCKER_SOCKET, STRICT_IP, EXTERNAL_IPS, INGRESS_NGINX, SECCOMP, APPARMOR, CLAIM,
 SERVICE_ACCOUNT, IPVS, ENDPOINTS, PSP) = _IDS = (
    "pod-gitrepo-volume", "docker-socket-mount", "strict-ip-cidr-validation",
    "service-externalips", "ingress-nginx-retired", "seccomp-alpha-annotations",
    "apparmor-annotations", "default-storageclass-eks-1-30",
    "serviceaccount-enforce-mountable-secrets", "kube-proxy-ipvs", "endpoints-v1", "psp-to-psa")
"""The id of each change a detector finds (the keys of `versions.field_changes()`)."""
ALL_CHANGES = frozenset(_IDS)
_VOLUME_CHANGES = frozenset({GIT_REPO, DOCKER_SOCKET})
_IP_CHANGES = frozenset({STRICT_IP, EXTERNAL_IPS})
_RBAC_CHANGES = frozenset({ENDPOINTS, PSP})
_ANNOTATION_CHANGES = frozenset({SECCOMP, APPARMOR})
_POD_CHANGES = frozenset({*_VOLUME_CHANGES, STRICT_IP, INGRESS_NGINX, *_ANNOTATION_CHANGES})
_KIND_CHANGES = {"StatefulSet": frozenset({CLAIM}), "PersistentVolumeClaim": frozenset({CLAIM}),
                 **dict.fromkeys(IP_KINDS, _IP_CHANGES), **dict.fromkeys(RBAC_KINDS, _RBAC_CHANGES),
                 "ServiceAccount": frozenset({SERVICE_ACCOUNT}), "ConfigMap": frozenset({IPVS})}
"""What the detectors find in each kind, besides those of pod specs (`_POD_CHANGES`)."""
BREAKING = frozenset({GIT_REPO, STRICT_IP, DOCKER_SOCKET})
"""Changes after which the object fails (refused, or its pods cannot run): API003, an error.
The others (deprecations, settings that stop working) are API004 warnings."""

GUIDANCE = {
    "kube-proxy-ipvs": (
        "kube-proxy's mode can also be set in the EKS add-on configuration, which no manifest "
        "shows: check `aws eks describe-addon --addon-name kube-proxy` for mode ipvs and move "
        "it to nftables or iptables"),
}
"""What a manifest cannot show of a change: said once, at the hop where the change lands."""

DOCKER_SOCKETS = frozenset({"/var/run/docker.sock", "/run/docker.sock",
                            "/var/run/dockershim.sock", "/run/dockershim.sock"})
INGRESS_NGINX_IMAGES = ("registry.k8s.io/ingress-nginx/controller",
                        "k8s.gcr.io/ingress-nginx/controller")
SECCOMP_POD = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER = "container.seccomp.security.alpha.kubernetes.io/"
APPARMOR_CONTAINER = "container.apparmor.security.beta.kubernetes.io/"
_ALPHA_ANNOTATIONS = (SECCOMP_POD, SECCOMP_CONTAINER, APPARMOR_CONTAINER)
"""What every annotation a change reads starts with: the others are passed over at once."""
ENFORCE_MOUNTABLE_SECRETS = "kubernetes.io/enforce-mountable-secrets"
KINDS = frozenset(WORKLOAD_KINDS | {*IP_KINDS, *RBAC_KINDS, "ServiceAccount",
                                    "PersistentVolumeClaim", "ConfigMap"})
"""Every kind a detector looks at."""
_ID = lazy(r" \[([a-z0-9-]+)\]$")
_CANONICAL_IPV4 = lazy(r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}"
                        r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])")
"""An IPv4 address as strict validation wants it: four numbers up to 255, no leading zeros."""
_IPVS = lazy(r"^\s*mode:\s*[\"']?ipvs[\"']?\s*(#.*)?$", re.MULTILINE)


@dataclass(slots=True)
class Use:
    """One use of a change: what uses it, where in the object, and what to write instead
    (default: the change's replacement)."""

    change: str
    what: str
    path: Path
    key: bool = False
    instead: str | None = None

    @property
    def message(self) -> str:
        row = versions.field_changes()[self.change]
        return (f"{self.what}: {row['change'].rstrip('.')}; instead: "
                f"{self.instead or row['replacement']} "
                f"[{self.change}]")


def change_of(message: str) -> str | None:
    """The change id a message of API003/API004 ends with."""
    match = _ID.search(message)
    return match[1] if match and match[1] in versions.field_changes() else None


def in_effect(change: str, target: tuple[int, int]) -> bool:
    """Whether a change has landed at `target` (a change tied to no version always has)."""
    version = versions.field_changes()[change]["version"]
    return version is None or minor(version) <= target


@lru_cache(maxsize=None)
def minor(version: str) -> tuple[int, int]:
    """versions.parse_minor, remembered: rules ask it for every object."""
    return versions.parse_minor(version)


_last: list = [None, None, ()]
"""The object `uses` read last, the changes asked and its uses: API003 and API004 read each
object in turn."""


def uses(obj: dict, changes: frozenset[str] | None = None) -> tuple[Use, ...]:
    """Every use of a field or behaviour change in one object; with `changes`, at least those
    of `changes` (the detectors that find only other changes are not run)."""
    if _last[0] is not obj or _last[1] is not changes:
        asked = ALL_CHANGES if changes is None else changes
        kind = obj.get("kind")
        found = tuple(_uses(obj, asked)) if isinstance(kind, str) and kind in kinds_of(asked) \
            else ()
        _last[:] = [obj, changes, found]
    return _last[2]


@lru_cache(maxsize=None)
def kinds_of(changes: frozenset[str]) -> frozenset[str]:
    """The kinds in which the detectors of `changes` look."""
    kinds = {kind for kind, found in _KIND_CHANGES.items() if not changes.isdisjoint(found)}
    if not changes.isdisjoint(_POD_CHANGES):
        kinds |= WORKLOAD_KINDS
    return frozenset(kinds)


def _uses(obj: dict, changes: frozenset[str]) -> Iterable[Use]:
    kind, api_version = obj.get("kind"), obj.get("apiVersion")
    if not isinstance(api_version, str) or is_custom_resource(api_version):
        return ()
    if kind == "StatefulSet":
        return chain(_pod_uses(obj, changes), _template_claim_uses(obj, changes))
    if kind in WORKLOAD_KINDS:
        return _pod_uses(obj, changes)
    if kind == "PersistentVolumeClaim":
        return _claim_use(obj, ()) if CLAIM in changes else ()
    if kind in IP_KINDS:
        return () if changes.isdisjoint(_IP_CHANGES) else _ip_uses(obj)
    if kind in RBAC_KINDS:
        return () if changes.isdisjoint(_RBAC_CHANGES) else _rbac_uses(obj)
    if kind == "ServiceAccount":
        if SERVICE_ACCOUNT in changes and \
                ENFORCE_MOUNTABLE_SECRETS in mapping(get(obj, ("metadata", "annotations"))):
            return (Use(SERVICE_ACCOUNT, f"annotation {ENFORCE_MOUNTABLE_SECRETS}",
                        ("metadata", "annotations", ENFORCE_MOUNTABLE_SECRETS), key=True),)
        return ()
    if kind == "ConfigMap" and IPVS in changes:
        return _ipvs_uses(obj)
    return ()


def _template_claim_uses(obj: dict, changes: frozenset[str]) -> Iterator[Use]:
    if CLAIM in changes:
        for index, claim in enumerate(sequence(get(obj, ("spec", "volumeClaimTemplates")))):
            yield from _claim_use(mapping(claim), ("spec", "volumeClaimTemplates", index))


def _ipvs_uses(obj: dict) -> Iterator[Use]:
    for key, value in mapping(obj.get("data")).items():
        if isinstance(value, str) and "KubeProxyConfiguration" in value and _IPVS.search(value):
            yield Use(IPVS, f"the kube-proxy configuration in data.{key} sets mode ipvs",
                      ("data", key))


def _pod_uses(obj: dict, changes: frozenset[str]) -> Iterator[Use]:
    spec_path, spec = pod_spec(obj)  # type: ignore[misc]
    volumes = spec.get("volumes") if not changes.isdisjoint(_VOLUME_CHANGES) else None
    for index, volume in enumerate(volumes if isinstance(volumes, list) else ()):
        volume = mapping(volume)
        if volume.get("gitRepo") is not None:
            yield Use(GIT_REPO, f"volume {_volume_name(volume)!r} is a gitRepo volume",
                      spec_path + ("volumes", index, "gitRepo"), key=True)
        host_path = volume.get("hostPath")
        host_path = host_path.get("path") if isinstance(host_path, dict) else None
        if isinstance(host_path, str) and host_path.rstrip("/") in DOCKER_SOCKETS:
            yield Use(DOCKER_SOCKET, f"volume {_volume_name(volume)!r} mounts {host_path}",
                      spec_path + ("volumes", index, "hostPath", "path"))
    if STRICT_IP in changes and "hostAliases" in spec:
        for index, alias in enumerate(sequence(spec["hostAliases"])):
            yield from _ip_use(mapping(alias).get("ip"), spec_path + ("hostAliases", index, "ip"))
    if STRICT_IP in changes and "dnsConfig" in spec:
        nameservers = sequence(mapping(spec["dnsConfig"]).get("nameservers"))
        for index, server in enumerate(nameservers):
            yield from _ip_use(server, spec_path + ("dnsConfig", "nameservers", index))
    for container in containers(obj) if INGRESS_NGINX in changes else ():
        image = container.data.get("image")
        if isinstance(image, str) and image.startswith(INGRESS_NGINX_IMAGES):
            yield Use(INGRESS_NGINX, f"{container.label} runs {image}", container.at("image"))
    if changes.isdisjoint(_ANNOTATION_CHANGES):
        return
    meta_path, meta = pod_template_metadata(obj) or (("metadata",), mapping(obj.get("metadata")))
    annotations = meta.get("annotations")
    if not isinstance(annotations, dict):
        return
    for key in annotations:
        if not isinstance(key, str) or not key.startswith(_ALPHA_ANNOTATIONS):
            continue
        if key == SECCOMP_POD or key.startswith(SECCOMP_CONTAINER):
            yield Use(SECCOMP, f"annotation {key}", meta_path + ("annotations", key), key=True)
        elif key.startswith(APPARMOR_CONTAINER):
            yield Use(APPARMOR, f"annotation {key}", meta_path + ("annotations", key), key=True)


def _volume_name(volume: dict) -> str:
    return str(volume.get("name", "<unnamed>"))


def _claim_use(claim: dict, base: Path) -> Iterator[Use]:
    spec = claim.get("spec")
    if isinstance(spec, dict) and "storageClassName" not in spec:
        name = mapping(claim.get("metadata")).get("name", "<unnamed>")
        yield Use(CLAIM,
                  f"PersistentVolumeClaim {str(name)!r} sets no storageClassName",
                  base + ("spec",), key=True)


def _ip_uses(obj: dict) -> Iterator[Use]:
    kind = obj["kind"]
    if kind == "Service":
        spec = mapping(obj.get("spec"))
        if sequence(spec.get("externalIPs")):
            yield Use(EXTERNAL_IPS, "spec.externalIPs", ("spec", "externalIPs"),
                      key=True)
        if spec.get("clusterIP") != "None":
            yield from _ip_use(spec.get("clusterIP"), ("spec", "clusterIP"))
        for field in ("clusterIPs", "externalIPs"):
            for index, value in enumerate(sequence(spec.get(field))):
                if value != "None":
                    yield from _ip_use(value, ("spec", field, index))
        yield from _ip_use(spec.get("loadBalancerIP"), ("spec", "loadBalancerIP"))
        for index, value in enumerate(sequence(spec.get("loadBalancerSourceRanges"))):
            yield from _cidr_use(value, ("spec", "loadBalancerSourceRanges", index))
    elif kind == "NetworkPolicy":
        for direction, peers in (("ingress", "from"), ("egress", "to")):
            for rule_index, rule in enumerate(sequence(get(obj, ("spec", direction)))):
                for peer_index, peer in enumerate(sequence(mapping(rule).get(peers))):
                    block = mapping(mapping(peer).get("ipBlock"))
                    at = ("spec", direction, rule_index, peers, peer_index, "ipBlock")
                    yield from _cidr_use(block.get("cidr"), at + ("cidr",))
                    for index, value in enumerate(sequence(block.get("except"))):
                        yield from _cidr_use(value, at + ("except", index))
    elif kind == "Endpoints":
        for subset_index, subset in enumerate(sequence(obj.get("subsets"))):
            for group in ("addresses", "notReadyAddresses"):
                for index, address in enumerate(sequence(mapping(subset).get(group))):
                    yield from _ip_use(mapping(address).get("ip"),
                                       ("subsets", subset_index, group, index, "ip"))
    elif kind == "EndpointSlice":
        if obj.get("addressType") in ("IPv4", "IPv6"):
            for endpoint_index, endpoint in enumerate(sequence(obj.get("endpoints"))):
                for index, value in enumerate(sequence(mapping(endpoint).get("addresses"))):
                    yield from _ip_use(value, ("endpoints", endpoint_index, "addresses", index))
    else:  # ServiceCIDR
        for index, value in enumerate(sequence(get(obj, ("spec", "cidrs")))):
            yield from _cidr_use(value, ("spec", "cidrs", index))


def _ip_use(value: object, path: Path) -> tuple[Use, ...]:
    """The use of a non-canonical IP at `path`, if `value` is one (a tuple, not a generator:
    most values are canonical)."""
    canonical = canonical_ip(value)
    if canonical is None:
        return ()
    return (Use(STRICT_IP, f"{format_path(path)} {value!r} is not a canonical IP", path,
                instead=repr(canonical)),)


def _cidr_use(value: object, path: Path) -> tuple[Use, ...]:
    """`_ip_use` for a CIDR."""
    canonical = canonical_cidr(value)
    if canonical is None:
        return ()
    return (Use(STRICT_IP, f"{format_path(path)} {value!r} is not a canonical CIDR", path,
                instead=repr(canonical)),)


def canonical_ip(value: object) -> str | None:
    """The canonical form of an IP that strict validation rejects (IPv4 with leading zeros,
    IPv4-mapped IPv6); None when `value` is canonical or no IP at all."""
    if not isinstance(value, str) or not value:
        return None
    if _CANONICAL_IPV4.fullmatch(value):  # most are: no need for the ipaddress module
        return None
    import ipaddress  # here: only objects with unusual IPs need it

    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        parts = value.split(".")
        if len(parts) != 4 or not all(p.isdigit() and len(p) <= 4 for p in parts):
            return None
        try:  # the lenient parser read `010` as 10
            return str(ipaddress.IPv4Address(".".join(str(int(p)) for p in parts)))
        except ValueError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return None


def canonical_cidr(value: object) -> str | None:
    """The canonical form of a CIDR that strict validation rejects (bits set past the prefix,
    or a non-canonical address); None when `value` is canonical or no CIDR at all."""
    if not isinstance(value, str):
        return None
    address, slash, prefix = value.partition("/")
    if not slash or not prefix.isdigit():
        return None
    fixed, bits = canonical_ip(address), int(prefix)
    if fixed is None and bits <= 32 and _CANONICAL_IPV4.fullmatch(address):
        number = int.from_bytes(bytes(int(part) for part in address.split(".")), "big")
        if not number & ((1 << (32 - bits)) - 1):  # no bit set past the prefix
            return None
    import ipaddress

    if fixed is not None and ":" in address:  # IPv4-mapped: the last 32 of 128 bits
        bits -= 96
    try:
        network = ipaddress.ip_network(f"{fixed or address}/{bits}", strict=False)
    except ValueError:
        return None
    if fixed is None and network.network_address == ipaddress.ip_address(address):
        return None
    return str(network)


def _rbac_uses(obj: dict) -> Iterator[Use]:
    for rule_index, rule in enumerate(sequence(obj.get("rules"))):
        rule = mapping(rule)
        groups = set(sequence(rule.get("apiGroups")))
        verbs = [v for v in sequence(rule.get("verbs")) if isinstance(v, str)]
        for index, resource in enumerate(sequence(rule.get("resources"))):
            at = ("rules", rule_index, "resources", index)
            if resource == "endpoints" and groups & {"", "*"}:
                yield Use(ENDPOINTS, f"rules[{rule_index}] grants "
                          f"{', '.join(verbs) or 'nothing'} on v1 endpoints", at)
            elif resource == "podsecuritypolicies" and {"use", "*"} & set(verbs) and \
                    groups & {"policy", "extensions", "*"}:
                yield Use(PSP, f"rules[{rule_index}] grants use of "
                          "podsecuritypolicies", at)
