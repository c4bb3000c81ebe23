"""ARGO008 sync-wave-without-health-check

## What it does
Flags an Application that deploys child Applications in more than one sync wave while Argo CD
has no health check for Applications. The waves are the children's
`argocd.argoproj.io/sync-wave` annotations (none is wave 0); the health check is missing when
the `argocd-cm` ConfigMap has neither a
`resource.customizations.health.argoproj.io_Application` key (or a key whose glob, such as
`argoproj.io_*`, matches) nor an `argoproj.io/Application` entry with `health.lua` in
`resource.customizations`. The `argocd-cm` is looked for among the objects the Applications of
the same root render (the argo-cd chart's, for instance), else among those of every Application
of the repository; when no Application renders one, Argo CD is installed outside the repository
and nothing is judged.

## Why it matters
Argo CD 1.8 removed the built-in health assessment of `argoproj.io/Application` (argo-cd
issue #3781), and 3.x still has none: `gitops-engine/pkg/health` knows only `Workflow` in the
`argoproj.io` group, `resource_customizations/argoproj.io/Application` holds no
`health.lua`, and the "Argocd App" section of docs/operator-manual/health.md (v3.4 to
master) tells app-of-apps users who order children with sync waves to add the
customization. Without it, a child Application counts as healthy as soon as it exists, so the
parent starts the next wave at once: the waves order nothing, and an add-on that needs the
CRDs or webhooks of an earlier one fails its first syncs.

## Example
    # a child of the app-of-apps; argocd-cm has no Application health check
    metadata:
      name: prod-cert-manager
      annotations:
        argocd.argoproj.io/sync-wave: "-1"

## Use instead
    # argo-cd chart values (configs.cm), i.e. argocd-cm
    configs:
      cm:
        resource.customizations.health.argoproj.io_Application: |
          hs = {}
          hs.status = "Progressing"
          hs.message = ""
          if obj.status ~= nil and obj.status.health ~= nil then
            hs.status = obj.status.health.status
            if obj.status.health.message ~= nil then
              hs.message = obj.status.health.message
            end
          end
          return hs
"""

from gitops_gen.argo.apps import is_argo_kind
from gitops_gen.argo.matching import glob_match
from gitops_gen.lint import APP, Finding, Severity, rule
from gitops_gen.lint.k8s import mapping

SYNC_WAVE = "argocd.argoproj.io/sync-wave"
APPLICATION_KEY = "argoproj.io/Application"
SPLIT_KEY_PREFIX = "resource.customizations.health."
CUSTOMIZATIONS = "resource.customizations"


@rule(code="ARGO008", name="sync-wave-without-health-check", severity=Severity.ERROR,
      scope=APP, kinds=("Application",),
      remediation="Add the Application health check (resource.customizations.health."
                  "argoproj.io_Application) to argocd-cm, e.g. in the argo-cd chart's "
                  "configs.cm.")
def check(view, opts):
    children = [d for d in view.objects if is_argo_kind(d.obj, "Application")]
    waves = {str(_annotations(d.obj).get(SYNC_WAVE, "0")).strip() for d in children}
    if len(waves) < 2:
        return
    config_maps = _argocd_cms(view.tree_renders()) or _argocd_cms(view.deployment.renders)
    if not config_maps or any(_checks_application_health(cm) for _, cm in config_maps):
        return
    app_name, _ = config_maps[0]
    yield Finding(f"Application {view.app.name} deploys child Applications in sync waves "
                  f"{', '.join(sorted(waves, key=_wave_order))}, but argocd-cm (rendered by "
                  f"{app_name}) has no health check for Applications: each wave starts "
                  "without waiting for the previous one", children[0].doc.source.yaml_path)


def _annotations(obj: dict) -> dict:
    return mapping(mapping(obj.get("metadata")).get("annotations"))


def _wave_order(wave: str) -> tuple[int, str]:
    try:
        return int(wave), wave
    except ValueError:
        return 0, wave


def _argocd_cms(renders) -> list[tuple[str, dict]]:
    return [(r.app.name, d.obj) for r in renders for d in r.objects
            if d.obj.get("kind") == "ConfigMap" and d.obj.get("apiVersion") == "v1"
            and mapping(d.obj.get("metadata")).get("name") == "argocd-cm"]


def _checks_application_health(config_map: dict) -> bool:
    """Whether argocd-cm holds a health script for Applications, as Argo CD's settings read
    it: split keys `resource.customizations.health.<group>_<kind>` (`all` is `*/*`) and the
    `resource.customizations` block, each key a glob over `argoproj.io/Application`."""
    data = mapping(config_map.get("data"))
    keys = []
    for key, value in data.items():
        if isinstance(key, str) and key.startswith(SPLIT_KEY_PREFIX) and str(value).strip():
            parts = key[len(SPLIT_KEY_PREFIX):].split("_")
            if len(parts) <= 2:  # Argo CD refuses more
                keys.append("*/*" if parts == ["all"] else "/".join(parts))
    import yaml  # here: a lint without Applications never needs PyYAML

    try:
        block = mapping(yaml.safe_load(str(data.get(CUSTOMIZATIONS) or "")))
    except yaml.YAMLError:
        block = {}
    keys += [str(k) for k, v in block.items() if str(mapping(v).get("health.lua") or "").strip()]
    return any(glob_match(key, APPLICATION_KEY) for key in keys)
