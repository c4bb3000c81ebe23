"""Generate the API lifecycle table, the field and behaviour changes, the EKS calendar and the
add-on compatibility table that gitops-gen ships in gitops_gen/data/.

    python scripts/gen_data.py                    # reads ../shared/data, writes gitops_gen/data/
    python scripts/gen_data.py --shared DIR       # another copy of the source files
    python scripts/gen_data.py --check            # exit 1 when the committed files are stale

Inputs (see gitops_gen/data/README.md for their provenance and licences):

- `k8s-api-removals.yaml`: upstream-derived removals (kubernetes/api lifecycle tags, the migration
  guide, EKS notes). Its values win.
- `pluto-versions.yaml`: FairwindsOps/pluto v5.24.0 `versions.yaml` (Apache-2.0). Rows the first
  file lacks are added, after the fixes listed in PLUTO_* below.
- ADDON_REMOVALS below: API versions that an add-on's own release stopped serving
  (external-snapshotter, External Secrets, Karpenter), from their release notes, checked
  against the add-on CRDs in `../shared/crds` (the old version must not be served there, the
  replacement must be, where that kind's CRD is present).
  Its `field_and_behavior_changes` become the field and behaviour changes table.
- `eks-versions.yaml`: the EKS release calendar.
- `addon-compat.yaml`: the Kubernetes versions each add-on release supports (or is tested on),
  with the chart versions of `../shared/charts/*/Chart.yaml` to place a chart version; the fixes
  are in ADDON_* below.

The output is deterministic: no dates of generation, rows in a stable order, sorted keys.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import sys
from typing import Any, Iterable

import yaml

REPO = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "gitops_gen" / "data"

K8S = "kubernetes"
LIFECYCLE_FILE = "api_lifecycle.json"
EKS_FILE = "eks_versions.json"
COMPAT_FILE = "addon_compat.json"
CHANGES_FILE = "field_changes.json"

PLUTO = ("FairwindsOps/pluto v5.24.0 (dd5ec8cccce5e42dfe8054b8250baa35546056a0) versions.yaml, "
         "Apache-2.0")

# -- Known defects of pluto's table, fixed here (each is named in gitops_gen/data/README.md).

PLUTO_COMPONENTS = {"k8s": K8S, "cert-manager": "cert-manager"}
"""Components kept. Istio is dropped: it is not an add-on gitops-gen targets, and pluto's rows
for it are malformed (apiVersion `rbac.istio.io` has no version, kind `AuthorizationPolicies` is a
plural that never existed, and `authentication.istio.io/v1alpha1` has an empty kind)."""

PLUTO_BOGUS_KINDS = {("flowcontrol.apiserver.k8s.io/v1beta1", "FlowControl")}
"""Kinds that never existed (flowcontrol's kinds are FlowSchema and PriorityLevelConfiguration)."""

CERT_MANAGER_DOCS = "cert-manager-docs"
CERT_MANAGER_REPLACEMENTS = {
    # pluto points acme.cert-manager.io kinds at cert-manager.io/v1, a group they never lived in,
    # and the certmanager.k8s.io kinds at cert-manager.io/v1alpha2, itself removed in 1.6.
    "Order": "acme.cert-manager.io/v1",
    "Challenge": "acme.cert-manager.io/v1",
}
CERT_MANAGER_NOTES = {
    "certmanager.k8s.io/v1alpha1": (
        "cert-manager 0.11 renamed the API group to cert-manager.io and removed v1alpha1 in the "
        "same release, without a deprecation period (cert-manager.io/docs/releases/upgrading/"
        "upgrading-0.10-0.11); pluto's deprecated-in equals its removed-in."),
    "default": (
        "Deprecated in cert-manager 1.4, no longer served from 1.6, deleted from the CRDs in 1.7 "
        "(cert-manager.io/docs/releases/upgrading/remove-deprecated-apis). The cert-manager "
        "v1.21.1 CRDs serve only v1. Versions are cert-manager releases, not Kubernetes ones."),
}

MIGRATIONS = {("policy/v1beta1", "PodSecurityPolicy"): "psp-to-psa"}
"""Rows with no replacement API: the `field_and_behavior_changes` entry whose replacement text
says what to do instead."""

ROW_KEYS = ("api_version", "kind", "component", "deprecated_in", "removed_in", "replacement",
            "replacement_kind", "replacement_available_in", "migration", "stability",
            "enabled_by_default", "planned", "unverified", "sources", "notes")


def minor(version: str) -> tuple[int, int]:
    """`1.25` or `v1.25.0` as (1, 25)."""
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", version)
    if not match:
        raise ValueError(f"not a version: {version!r}")
    return int(match[1]), int(match[2])


def short(version: Any) -> str | None:
    """pluto's `v1.25.0` (or '') as `1.25` (or None)."""
    if version in (None, ""):
        return None
    major, minor_ = minor(str(version))
    return f"{major}.{minor_}"


def load(path: pathlib.Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# -- the API lifecycle table


def upstream_rows(doc: dict) -> list[dict]:
    rows = []
    for entry in doc["removals"]:
        replacement, replacement_kind = entry.get("replacement"), None
        if replacement:
            # "discovery.k8s.io/v1 EndpointSlice": the replacement names its own kind.
            replacement, _, named_kind = replacement.partition(" ")
            replacement_kind = named_kind or entry["kind"]
        change = MIGRATIONS.get((entry["apiVersion"], entry["kind"]))
        migration = None
        if change:
            migration = next(c["replacement"] for c in doc["field_and_behavior_changes"]
                             if c["id"] == change)
        rows.append({
            "api_version": entry["apiVersion"], "kind": entry["kind"], "component": K8S,
            "deprecated_in": entry.get("deprecated_in"), "removed_in": entry.get("removed_in"),
            "replacement": replacement, "replacement_kind": replacement_kind,
            "replacement_available_in": entry.get("replacement_available_in"),
            "migration": migration, "stability": entry.get("stability"),
            "enabled_by_default": entry.get("enabled_by_default", True),
            "planned": bool(entry.get("planned", False)),
            "unverified": bool(entry.get("unverified", False)),
            "sources": list(entry.get("sources") or []), "notes": entry.get("notes") or "",
        })
    return rows


def pluto_rows(doc: dict, known: dict[tuple[str, str], dict]) -> tuple[list[dict], list[str]]:
    """pluto's rows that the upstream table lacks, fixed; and what was dropped, kept or changed."""
    added: list[dict] = []
    log: list[str] = []
    seen: set[tuple[str, str]] = set()
    for entry in doc["deprecated-versions"]:
        api_version, kind = entry["version"], entry.get("kind") or ""
        pair = (api_version, kind)
        component = PLUTO_COMPONENTS.get(entry.get("component"))
        if component is None:
            log.append(f"dropped {entry.get('component')} row {api_version} {kind!r}")
            continue
        if kind.endswith("List"):
            log.append(f"dropped {api_version} {kind}: List kinds follow their item kind")
            continue
        if pair in PLUTO_BOGUS_KINDS:
            log.append(f"dropped {api_version} {kind}: no such kind")
            continue
        if pair in seen:
            log.append(f"dropped duplicate {api_version} {kind}")
            continue
        seen.add(pair)
        if pair in known:
            log.extend(_disagreements(entry, known[pair]))
            continue
        if component == K8S:
            added.append({
                "api_version": api_version, "kind": kind, "component": K8S,
                "deprecated_in": short(entry.get("deprecated-in")),
                "removed_in": short(entry.get("removed-in")),
                "replacement": entry.get("replacement-api") or None,
                "replacement_kind": kind if entry.get("replacement-api") else None,
                "replacement_available_in": short(entry.get("replacement-available-in")),
                "migration": None, "stability": _stability(api_version),
                "enabled_by_default": True, "planned": False,
                # One source only: keep it, but as a warning, never a hard error.
                "unverified": True, "sources": ["pluto"],
                "notes": "Only in pluto's table; no second source.",
            })
            log.append(f"added {api_version} {kind} from pluto (unverified)")
        else:
            added.append(_cert_manager_row(entry))
            log.append(f"added {component} {api_version} {kind} from pluto (fixed)")
    return added, log


def _disagreements(entry: dict, row: dict) -> list[str]:
    """Where pluto differs from the upstream-derived row (which wins)."""
    where = f"{entry['version']} {entry['kind']}"
    pluto = {"deprecated_in": short(entry.get("deprecated-in")),
             "removed_in": short(entry.get("removed-in")),
             "replacement": entry.get("replacement-api") or None}
    return [f"kept upstream {key} {row[key]!r} for {where}; pluto says {value!r}"
            for key, value in pluto.items() if value != row[key]]


def _stability(api_version: str) -> str:
    if api_version.startswith("audit.k8s.io/"):
        return "config"
    version = api_version.rsplit("/", 1)[-1]
    return "alpha" if "alpha" in version else "beta" if "beta" in version else "ga"


def _cert_manager_row(entry: dict) -> dict:
    api_version, kind = entry["version"], entry["kind"]
    deprecated, removed = short(entry.get("deprecated-in")), short(entry.get("removed-in"))
    legacy_group = api_version.startswith("certmanager.k8s.io/")
    if legacy_group and deprecated == removed:
        deprecated = None
    replacement = CERT_MANAGER_REPLACEMENTS.get(kind, "cert-manager.io/v1")
    return {
        "api_version": api_version, "kind": kind, "component": "cert-manager",
        "deprecated_in": deprecated, "removed_in": removed,
        "replacement": replacement, "replacement_kind": kind, "replacement_available_in": None,
        "migration": None, "stability": _stability(api_version), "enabled_by_default": True,
        "planned": False, "unverified": False, "sources": ["pluto", CERT_MANAGER_DOCS],
        "notes": CERT_MANAGER_NOTES["certmanager.k8s.io/v1alpha1" if legacy_group else "default"],
    }


# -- add-on APIs removed by the add-on's own release (cert-manager's come from pluto, above)

ADDON_NOTES = {
    "external-snapshotter": (
        "VolumeSnapshot v1beta1 was deprecated in external-snapshotter 4.1 (storage version "
        "moved to v1) and removed in 6.0 (CHANGELOG-6.0, 'API Removal', kubernetes-csi/"
        "external-snapshotter#709). Versions are external-snapshotter releases."),
    "external-secrets": (
        "External Secrets deprecated v1alpha1 in 0.5 and removed it in 0.16 ('Guide to "
        "promoting to 0.16'); v0.17.0 stopped serving v1beta1 ('BREAKING CHANGE v0.17.0 stops "
        "serving v1beta1 apis'). The v2.9.0 CRDs list v1beta1 with served: false. Versions are "
        "External Secrets releases."),
    "karpenter": (
        "Karpenter 0.32 introduced v1beta1 (Provisioner -> NodePool, Machine -> NodeClaim, "
        "AWSNodeTemplate -> EC2NodeClass) and 0.33 served only v1beta1 (karpenter.sh/docs/"
        "upgrading/v1beta1-migration); 1.0 introduced v1 and 1.1 dropped v1beta1 (upgrade "
        "guide). Versions are Karpenter releases."),
}
ADDON_REMOVALS = [
    # component, apiVersion, kinds, deprecated in, removed in, replacement, renamed kinds.
    # The replacement is the API to move to today (v1), not the short-lived one between.
    ("external-snapshotter", "snapshot.storage.k8s.io/v1beta1",
     ("VolumeSnapshot", "VolumeSnapshotClass", "VolumeSnapshotContent"), "4.1", "6.0",
     "snapshot.storage.k8s.io/v1", {}),
    ("external-secrets", "external-secrets.io/v1alpha1",
     ("ExternalSecret", "SecretStore", "ClusterSecretStore"), "0.5", "0.16",
     "external-secrets.io/v1", {}),
    ("external-secrets", "external-secrets.io/v1beta1",
     ("ExternalSecret", "SecretStore", "ClusterSecretStore", "ClusterExternalSecret"), "0.16",
     "0.17", "external-secrets.io/v1", {}),
    ("karpenter", "karpenter.sh/v1alpha5", ("Provisioner", "Machine"), "0.32", "0.33",
     "karpenter.sh/v1", {"Provisioner": "NodePool", "Machine": "NodeClaim"}),
    ("karpenter", "karpenter.k8s.aws/v1alpha1", ("AWSNodeTemplate",), "0.32", "0.33",
     "karpenter.k8s.aws/v1", {"AWSNodeTemplate": "EC2NodeClass"}),
    ("karpenter", "karpenter.sh/v1beta1", ("NodePool", "NodeClaim"), "1.0", "1.1",
     "karpenter.sh/v1", {}),
    ("karpenter", "karpenter.k8s.aws/v1beta1", ("EC2NodeClass",), "1.0", "1.1",
     "karpenter.k8s.aws/v1", {}),
]
"""Argo CD has no row: every version its CRDs have listed (argoproj.io/v1alpha1) is served."""


def addon_rows(crds: pathlib.Path) -> tuple[list[dict], list[str]]:
    """The rows of ADDON_REMOVALS, checked against the add-on CRDs in `crds`."""
    rows = []
    for component, api_version, kinds, deprecated, removed, replacement, renamed in \
            ADDON_REMOVALS:
        for kind in kinds:
            rows.append({
                "api_version": api_version, "kind": kind, "component": component,
                "deprecated_in": deprecated, "removed_in": removed,
                "replacement": replacement, "replacement_kind": renamed.get(kind, kind),
                "replacement_available_in": None, "migration": None,
                "stability": _stability(api_version), "enabled_by_default": True,
                "planned": False, "unverified": False,
                "sources": [f"{component}-release-notes"]
                + (["shared-crds"] if (crds / component).is_dir() else []),
                "notes": ADDON_NOTES[component],
            })
    return rows, _check_against_crds(rows, crds)


def _check_against_crds(rows: list[dict], crds: pathlib.Path) -> list[str]:
    """Fail when the shipped CRDs of an add-on contradict a row; log what was checked."""
    served: dict[str, set[tuple[str, str]]] = {}
    listed: dict[str, set[str]] = {}
    for folder in sorted(p for p in crds.glob("*") if p.is_dir()):
        served[folder.name], listed[folder.name] = set(), set()
        for path in sorted(folder.glob("*.yaml")):
            for crd in yaml.safe_load_all(path.read_text(encoding="utf-8")):
                spec = (crd or {}).get("spec") or {}
                kind = spec.get("names", {}).get("kind")
                listed[folder.name].add(kind)
                served[folder.name].update((f"{spec['group']}/{v['name']}", kind)
                                           for v in spec.get("versions", []) if v.get("served"))
    log = []
    by_pair = {(r["api_version"], r["kind"]): r for r in rows}
    for row in rows:
        component, pair = row["component"], (row["api_version"], row["kind"])
        if component not in served or row["kind"] not in listed[component]:
            continue
        if pair in served[component]:
            raise SystemExit(f"{pair}: the {component} CRDs in {crds} still serve it")
        final = (row["replacement"], row["replacement_kind"])
        while final in by_pair:
            final = (by_pair[final]["replacement"], by_pair[final]["replacement_kind"])
        if final[1] in listed[component] and final not in served[component]:
            raise SystemExit(f"{pair}: its replacement {final} is not served by {component}")
        log.append(f"checked {component} {pair[0]} {pair[1]} against {crds / component}")
    return log


def _order(row: dict) -> tuple:
    removed = minor(row["removed_in"]) if row["removed_in"] else (999, 0)
    return (row["component"] != K8S, row["component"], removed, row["api_version"], row["kind"])


def lifecycle_table(source: pathlib.Path) -> tuple[dict, list[str]]:
    upstream = upstream_rows(load(source / "k8s-api-removals.yaml"))
    pairs = [(r["api_version"], r["kind"]) for r in upstream]
    duplicates = {p for p in pairs if pairs.count(p) > 1}
    if duplicates:
        raise SystemExit(f"k8s-api-removals.yaml repeats {sorted(duplicates)}")
    added, log = pluto_rows(load(source / "pluto-versions.yaml"),
                            {(r["api_version"], r["kind"]): r for r in upstream})
    addons, addon_log = addon_rows(source.parent / "crds")
    rows = sorted(upstream + added + addons, key=_order)
    log += addon_log
    for row in rows:
        _check_row(row)
    table = {
        "about": ("Deprecated and removed API versions for gitops-gen's API001/API002 rules. "
                  "Generated by scripts/gen_data.py; do not edit. See README.md here."),
        "sources": {
            "k8s-api-removals.yaml": ("gitops-gen shared data, upstream-derived (kubernetes/api "
                                      "lifecycle tags, migration guide, EKS notes); wins on "
                                      "conflict"),
            "pluto-versions.yaml": PLUTO,
            "scripts/gen_data.py ADDON_REMOVALS": (
                "add-on release notes (external-snapshotter, External Secrets, Karpenter), "
                "checked against the add-on CRDs of gitops-gen shared data (crds/)"),
        },
        "apis": [{key: row[key] for key in ROW_KEYS} for row in rows],
    }
    return table, log


def _check_row(row: dict) -> None:
    where = f"{row['api_version']} {row['kind']}"
    for key in ("deprecated_in", "removed_in", "replacement_available_in"):
        if row[key] is not None:
            minor(row[key])
    if row["deprecated_in"] and row["removed_in"]:
        if minor(row["removed_in"]) <= minor(row["deprecated_in"]):
            raise SystemExit(f"{where}: removed_in {row['removed_in']} is not after "
                             f"deprecated_in {row['deprecated_in']}")
    if not row["api_version"] or "/" not in row["api_version"] and row["api_version"] != "v1":
        raise SystemExit(f"{where}: malformed apiVersion")
    if not row["kind"]:
        raise SystemExit(f"{where}: no kind")


# -- field and behaviour changes

CHANGE_KEYS = ("id", "version", "applies_to", "change", "replacement", "unverified", "sources",
               "notes")


def field_changes(source: pathlib.Path) -> dict:
    """`field_and_behavior_changes` of k8s-api-removals.yaml: in version order (undated last)."""
    changes = []
    for entry in load(source / "k8s-api-removals.yaml")["field_and_behavior_changes"]:
        version = entry.get("version")
        if version is not None:
            minor(str(version))
        changes.append({"id": entry["id"], "version": None if version is None else str(version),
                        "applies_to": entry["applies_to"], "change": entry["change"],
                        "replacement": entry.get("replacement"),
                        "unverified": bool(entry.get("unverified", False)),
                        "sources": list(entry.get("sources") or []),
                        "notes": entry.get("notes") or ""})
    ids = [c["id"] for c in changes]
    if len(set(ids)) != len(ids):
        raise SystemExit("k8s-api-removals.yaml repeats a field_and_behavior_changes id")
    changes.sort(key=lambda c: (c["version"] is None, minor(c["version"] or "0.0"), c["id"]))
    return {
        "about": ("Field and behaviour changes of Kubernetes and EKS that are not apiVersion "
                  "removals, for upgrade-check and the API003/API004 rules. `version`: the "
                  "Kubernetes minor where the change lands (null: not tied to a version). "
                  "Generated by scripts/gen_data.py from k8s-api-removals.yaml; do not edit."),
        "changes": [{key: change[key] for key in CHANGE_KEYS} for change in changes],
    }


# -- the EKS calendar


def eks_calendar(source: pathlib.Path) -> dict:
    versions = []
    for entry in load(source / "eks-versions.yaml")["versions"]:
        offered = bool(entry.get("eks_release")) or "eks-notes" in (entry.get("sources") or [])
        versions.append({
            "version": str(entry["version"]),
            "eks_release": entry.get("eks_release"),
            "end_of_standard_support": entry.get("end_of_standard_support"),
            "end_of_extended_support": entry.get("end_of_extended_support"),
            "unverified": bool(entry.get("unverified", False)),
            "offered": offered,
        })
    versions.sort(key=lambda v: minor(v["version"]))
    offered = [v["version"] for v in versions if v["offered"]]
    if not offered:
        raise SystemExit("eks-versions.yaml: no version is offered")
    return {
        "about": ("Amazon EKS Kubernetes versions. `offered`: EKS has released it (a release date, "
                  "or AWS's release notes say it is available). `default_version`: the newest "
                  "offered one, fixed for this release of gitops-gen. Generated by "
                  "scripts/gen_data.py; do not edit."),
        "default_version": offered[-1],
        "versions": versions,
    }


# -- the add-on compatibility table

ADDON_SEMANTICS = {
    "supported": "the project supports these Kubernetes versions: outside them is an error",
    "tested": "the project's CI runs only these versions: outside them is a warning (untested, "
              "not unsupported)",
    "minimum": "only these bounds are documented (usually a minimum): outside them is an error",
}

ADDON_NAMES = {
    "karpenter": "karpenter", "cert-manager": "cert-manager", "external-dns": "external-dns",
    "external-secrets": "external-secrets", "metrics-server": "metrics-server",
    "aws-load-balancer-controller": "aws-load-balancer-controller", "cilium": "cilium",
    "kube-prometheus-stack": "kube-prometheus-stack", "argo-cd": "argo-cd",
}
"""The name of each add-on in addon-compat.yaml -> the add-on (and chart) name of the blueprint.
Every one is also the last word of the table's `chart:` (checked in `addon_compat`)."""

ADDON_K8S_TYPOS = {"1.3": "1.30"}
"""Kubernetes minors that lost a trailing zero as YAML numbers: karpenter 0.37.x and 1.0.x give
k8s_max "1.3", which the Karpenter matrix in the same row's source reads as 1.30 ("1.30 >= 0.37";
1.0.5 is the first 1.0 release for 1.31). No add-on ever supported Kubernetes 1.3."""

ADDON_CHART_IS_APP_VERSION = {"karpenter", "cert-manager", "cilium", "external-secrets"}
"""Projects that release the chart and the app under one version (karpenter 1.14.1 = 1.14.1,
cert-manager v1.21.1, external-secrets 2.9.0 = v2.9.0, cilium 1.18.14): any chart version places
itself. The other charts are versioned on their own (argo-cd 10.1.1 = Argo CD v3.4.4,
external-dns 1.21.1 = 0.21.0, metrics-server 3.13.1 = 0.8.1, ...): only the chart versions in
../shared/charts are placed, and a chart version the table cannot place is not checked."""

ADDON_KEYED_BY_CHART = {"kube-prometheus-stack"}
"""Rows keyed by the chart version ("chart >=73.0.0"): the chart's own kubeVersion changed there."""

_RELEASE = re.compile(r"(?:chart )?(<=|>=|<)?\s*v?(\d+(?:\.\d+){0,2})(\.x)?"
                      r"(?:\s*-\s*v?(\d+(?:\.\d+){0,2}))?(?:\s*\(.*\))?")


def _triple(text: str) -> list[int]:
    parts = [int(p) for p in text.split(".")]
    return parts + [0] * (3 - len(parts))


def _after(text: str) -> list[int]:
    """The first version after every release `text` names: 0.9 -> 0.10.0, 2.3.1 -> 2.3.2."""
    parts = [int(p) for p in text.split(".")]
    parts[-1] += 1
    return parts + [0] * (3 - len(parts))


def _dotted(parts: list[int] | None) -> str | None:
    return None if parts is None else ".".join(str(p) for p in parts)


def release_range(label: str) -> tuple[str, str | None]:
    """The versions a row's `app_version` names, as [from, below): `0.21.x` -> 0.21.0..0.22.0,
    `1.21` -> 1.21.0..1.22.0, `0.10-0.17` -> 0.10.0..0.18.0, `>=0.18` -> 0.18.0.., `<=0.9` ->
    0.0.0..0.10.0, `chart <73.0.0 (e.g. 67.8.0)` -> 0.0.0..73.0.0. A single patch release names
    the first patch of its minor with that range (Karpenter's matrix: "1.31 >= 1.0.5"), so
    `1.0.5` -> 1.0.5..1.1.0, and `_without_overlaps` ends `1.0.x` at 1.0.5."""
    match = _RELEASE.fullmatch(label.strip())
    if not match:
        raise SystemExit(f"addon-compat.yaml: cannot read app_version {label!r}")
    operator, first, _, last = match.groups()
    if operator == ">=":
        return _dotted(_triple(first)), None
    if operator == "<=":
        return "0.0.0", _dotted(_after(first))
    if operator == "<":
        return "0.0.0", _dotted(_triple(first))
    if not last and first.count(".") == 2:
        return first, _dotted(_after(first.rsplit(".", 1)[0]))
    return _dotted(_triple(first)), _dotted(_after(last or first))


def _k8s(value: Any, where: str, log: list[str]) -> str | None:
    if value is None:
        return None
    text = str(value)
    if text in ADDON_K8S_TYPOS:
        log.append(f"{where}: Kubernetes {text} read as {ADDON_K8S_TYPOS[text]}")
        text = ADDON_K8S_TYPOS[text]
    minor(text)
    return text


def _without_overlaps(rows: list[dict], where: str, log: list[str]) -> list[dict]:
    """Rows sorted by version; a row inside the one before it wins over it from its first version
    on (karpenter `1.0.5` within `1.0.x`: 1.0.0-1.0.4 keep 1.0.x's range)."""
    rows = sorted(rows, key=lambda r: _triple(r["from"]))
    for before, row in zip(rows, rows[1:]):
        end = before["below"]
        if end is None or _triple(end) > _triple(row["from"]):
            log.append(f"{where}: {before['app_version']} ends where {row['app_version']} begins")
            before["below"] = row["from"]
    return rows


def _chart_app_versions(charts: pathlib.Path, name: str) -> dict[str, str]:
    chart_file = charts / name / "Chart.yaml"
    if not chart_file.is_file():
        return {}
    chart = load(chart_file)
    return {str(chart["version"]): str(chart["appVersion"])}


def addon_compat(source: pathlib.Path) -> tuple[dict, list[str]]:
    log: list[str] = []
    addons = {}
    for entry in load(source / "addon-compat.yaml")["addons"]:
        name = ADDON_NAMES[entry["name"]]
        if entry["chart"].replace("/", " ").split()[-1] != name:
            raise SystemExit(f"addon-compat.yaml: {entry['name']}'s chart {entry['chart']!r} "
                             f"is not the blueprint's chart {name!r}")
        semantics = entry["semantics"]
        if semantics not in ADDON_SEMANTICS:
            raise SystemExit(f"addon-compat.yaml: {name}: unknown semantics {semantics!r}")
        rows = []
        for release in entry["releases"]:
            where = f"{name} {release['app_version']}"
            start, below = release_range(release["app_version"])
            rows.append({
                "app_version": release["app_version"], "from": start, "below": below,
                "k8s_min": _k8s(release.get("k8s_min"), where, log),
                "k8s_max": _k8s(release.get("k8s_max"), where, log),
                "unverified": bool(release.get("unverified", False)),
            })
        addons[name] = {
            "semantics": semantics,
            "keyed_by": "chart" if name in ADDON_KEYED_BY_CHART else "app",
            "chart_is_app_version": name in ADDON_CHART_IS_APP_VERSION,
            "chart_app_versions": _chart_app_versions(source.parent / "charts", name),
            "source": entry["source"],
            "releases": _without_overlaps(rows, name, log),
        }
    table = {
        "about": ("Kubernetes versions each add-on release supports, by app version (or chart "
                  "version where keyed_by is chart); a release covers versions from `from` up to, "
                  "not including, `below` (null: no end). Generated by scripts/gen_data.py from "
                  "addon-compat.yaml and ../shared/charts; do not edit. See README.md here."),
        "semantics": ADDON_SEMANTICS,
        "addons": dict(sorted(addons.items())),
    }
    return table, log


# -- output


def render(data: dict) -> str:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=True) + "\n"


def build(source: pathlib.Path) -> tuple[dict[str, str], list[str]]:
    """The generated files by name, and a log of what was dropped, added or fixed."""
    table, log = lifecycle_table(source)
    compat, compat_log = addon_compat(source)
    return {LIFECYCLE_FILE: render(table), EKS_FILE: render(eks_calendar(source)),
            COMPAT_FILE: render(compat), CHANGES_FILE: render(field_changes(source))}, \
        log + compat_log


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--shared", type=pathlib.Path, default=DEFAULT_SOURCE,
                        help="folder with the source YAML files (default: ../shared/data)")
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT,
                        help="where to write the JSON files (default: gitops_gen/data)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when a file differs from a fresh generation")
    parser.add_argument("-v", "--verbose", action="store_true", help="print the pluto merge log")
    args = parser.parse_args(list(argv) if argv is not None else None)
    files, log = build(args.shared)
    if args.verbose:
        print("\n".join(log))
    stale = 0
    for name, text in files.items():
        path = args.out / name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            print(f"{path} is stale: run scripts/gen_data.py", file=sys.stderr)
            stale = 1
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    return stale


if __name__ == "__main__":
    raise SystemExit(main())
