"""What a first sync on EKS needs from the render, beyond lint: the CI gate, traffic behind the
ALB, DNS and certificates, secrets per app, and where alerts go.

For both presets (and a variant of eks-platform with a generic webhook receiver), each rendered
repository must: install gitops-gen at the version that rendered it, from the project's Git tag,
pull charts and lint before the SARIF upload, which cannot fail the job; label app namespaces
for the load balancer controller's readiness gate; give pods a preStop pause as long as the
ALB's explicit deregistration delay and a longer grace period; group Ingresses into one ALB per
environment and visibility; keep internal hosts out of public zones; answer ACME with DNS-01
only; give each app a SecretStore of its own with a role limited to its keys; and route alerts
and Argo CD's sync failures to the blueprint's receiver, whose URL comes from Secrets Manager.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from gitops_gen import __version__
from gitops_gen.blueprint import BlueprintError, parse_blueprint
from gitops_gen.blueprint.apps import AppEnvironment
from gitops_gen.blueprint.model import Blueprint, Environment
from test_render_apps import helm_template, kustomize_build, render_blueprint

REPO = Path(__file__).resolve().parent.parent
BLUEPRINTS = REPO / "blueprints"
PROJECT_GIT = "https://github.com/gitops-gen/gitops-gen"
PIP_SPEC = f"gitops-gen @ git+{PROJECT_GIT}@v{__version__}"
READINESS_GATE = "elbv2.k8s.aws/pod-readiness-gate-inject"
DELAY = re.compile(r"deregistration_delay\.timeout_seconds=(\d+)")


def webhook_variant(tmp_path: Path) -> Path:
    """eks-platform with a generic webhook receiver and the whole secret value as its URL."""
    data = yaml.safe_load((BLUEPRINTS / "eks-platform.yaml").read_text())
    data["alerting"] = {"receiver": "ops-hook", "type": "webhook",
                        "webhookUrl": {"key": "shared/alerting/ops-hook"}}
    path = tmp_path / "webhook.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module", params=["eks-platform", "eks-minimal", "webhook"])
def rendered(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    blueprint = (webhook_variant(folder) if request.param == "webhook"
                 else BLUEPRINTS / f"{request.param}.yaml")
    return render_blueprint(blueprint, folder / "repo")


def docs(out: Path, path: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all((out / path).read_text()) if doc]


def app_objects(out: Path, app: AppEnvironment, env: str) -> list[dict]:
    """The app's objects in `env`, built as Argo CD builds them."""
    text = (kustomize_build(out / "apps" / app.name / "overlays" / env) if app.kind == "kustomize"
            else helm_template(out, app, env))
    return [doc for doc in yaml.safe_load_all(text) if doc]


def deployed(blueprint: Blueprint):
    for env in blueprint.environments:
        for app in env.apps():
            yield env, app


# --------------------------------------------------------------------------- 2. CI


def test_workflow_installs_the_rendering_version_and_gates_before_sarif(rendered):
    workflow = yaml.load((rendered.out / ".github/workflows/gitops-gen.yaml").read_text(),
                         Loader=yaml.BaseLoader)
    assert workflow["permissions"] == {"contents": "read"}
    assert set(workflow["jobs"]) == {"lint", "upgrade-check"}
    job = workflow["jobs"]["lint"]
    assert job["permissions"] == {"contents": "read", "security-events": "write",
                                  "actions": "read"}
    upgrade = workflow["jobs"]["upgrade-check"]
    assert upgrade["continue-on-error"] == "true"   # a warning, never the gate
    upgrade_runs = [step.get("run", "") for step in upgrade["steps"]]
    assert upgrade_runs.index(f'pip install "{PIP_SPEC}"') < upgrade_runs.index(
        "gitops-gen charts pull .")
    steps = job["steps"]
    uses = [step["uses"] for step in steps if "uses" in step]
    assert all(re.fullmatch(r"[\w.-]+/[\w./-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})", u) for u in uses)
    runs = [step.get("run", "") for step in steps]
    install = runs.index(f'pip install "{PIP_SPEC}"')
    pull = runs.index("gitops-gen charts pull .")
    gate = runs.index('gitops-gen lint . --changed-since "origin/$BASE_REF"')
    assert steps[gate]["env"] == {"BASE_REF": "${{ github.base_ref }}"}
    [checkout] = [s for s in steps if s.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"]["fetch-depth"] == "0"  # the base branch's history: its merge base
    # render --check needs the blueprint, which the documented layout keeps outside the repo
    assert not any("render --check" in run for run in runs)
    [sarif] = [i for i, run in enumerate(runs) if "--format sarif -o gitops-gen.sarif" in run]
    [upload] = [i for i, step in enumerate(steps)
                if step.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert install < pull < gate < sarif < upload
    [cache] = [i for i, u in enumerate(steps) if u.get("uses", "").startswith("actions/cache@")]
    assert cache < pull and "hashFiles('environments/**')" in steps[cache]["with"]["key"]
    assert steps[cache]["with"]["path"] == "~/.cache/gitops-gen/charts"
    # The report still goes up when the gate failed; the upload never fails the job.
    assert "!cancelled()" in steps[sarif]["if"] and "!cancelled()" in steps[upload]["if"]
    assert "--fail-on never" in runs[sarif]
    assert steps[upload]["continue-on-error"] == "true"
    assert "continue-on-error" not in steps[gate]


def test_pre_commit_and_readmes_say_the_same_thing_as_the_workflow(rendered):
    config = yaml.safe_load((rendered.out / ".pre-commit-config.yaml").read_text())
    [repo] = config["repos"]
    assert (repo["repo"], repo["rev"]) == (PROJECT_GIT, f"v{__version__}")
    [hook] = repo["hooks"]
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    workflow = yaml.safe_load((rendered.out / ".github/workflows/gitops-gen.yaml").read_text())
    runs = [step.get("run") for step in workflow["jobs"]["lint"]["steps"]]
    assert hooks[hook["id"]]["entry"] == "gitops-gen lint ."
    assert any(run and run.startswith("gitops-gen lint . --changed-since ") for run in runs)
    assert hooks["gitops-gen-render-check"]["entry"] == "gitops-gen render --check -o ."
    assert hooks["gitops-gen-render-check"]["pass_filenames"] is False
    assert PIP_SPEC in (rendered.out / "README.md").read_text()
    project_readme = (REPO / "README.md").read_text()
    assert f'pip install "{PIP_SPEC}"' in project_readme
    assert f"repo: {PROJECT_GIT}\n    rev: v{__version__}" in project_readme


# --------------------------------------------------------------------------- 5. rollouts


def test_app_namespaces_carry_the_readiness_gate_label(rendered):
    for env, app in deployed(rendered.blueprint):
        path = f"environments/{env.name}/bootstrap/apps/{app.name}.yaml"
        [application] = docs(rendered.out, path)
        policy = application["spec"]["syncPolicy"]
        assert "CreateNamespace=true" in policy["syncOptions"]
        assert policy["managedNamespaceMetadata"]["labels"][READINESS_GATE] == "enabled"


def test_pods_outlive_the_alb_deregistration_delay_and_share_one_alb(rendered):
    for env in rendered.blueprint.environments:
        groups: dict[str, set[str]] = {}
        for app in env.apps():
            objects = app_objects(rendered.out, app, env.name)
            [deployment] = [o for o in objects if o["kind"] == "Deployment"]
            pod = deployment["spec"]["template"]["spec"]
            [container] = pod["containers"]
            pause = container["lifecycle"]["preStop"]["sleep"]["seconds"]
            ingresses = [o for o in objects if o["kind"] == "Ingress"]
            if not app.ingress:
                assert not ingresses and 0 < pause < pod["terminationGracePeriodSeconds"]
                continue
            [ingress] = ingresses
            annotations = ingress["metadata"]["annotations"]
            attributes = annotations["alb.ingress.kubernetes.io/target-group-attributes"]
            [delay] = DELAY.findall(attributes)
            assert int(delay) == app.ingress.deregistration_delay
            assert pause >= int(delay) and pod["terminationGracePeriodSeconds"] > pause
            assert annotations["alb.ingress.kubernetes.io/target-type"] == "ip"
            scheme = annotations["alb.ingress.kubernetes.io/scheme"]
            group = annotations["alb.ingress.kubernetes.io/group.name"]
            groups.setdefault(scheme, set()).add(group)
            assert annotations.get("alb.ingress.kubernetes.io/certificate-arn") == \
                app.ingress.certificate_arn
        assert all(len(names) == 1 for names in groups.values()), groups
        named = [name for names in groups.values() for name in names]
        assert len(set(named)) == len(named)  # one ALB per visibility, not shared across them


# --------------------------------------------------------------------------- 6. DNS, TLS


def external_dns_values(out: Path, env: Environment) -> dict:
    return yaml.safe_load((out / f"platform/external-dns/values-{env.name}.yaml").read_text())


def test_external_dns_is_scoped_and_internal_hosts_stay_out_of_public_zones(rendered):
    owners = []
    for env in rendered.blueprint.environments:
        if not env.addon("external-dns"):
            continue
        values = external_dns_values(rendered.out, env)
        owners.append(values["txtOwnerId"])
        assert values["txtOwnerId"] == env.cluster.name
        assert values["extraArgs"]["zone-id-filter"] == list(env.dns.zone_ids)
        internal = [app.ingress.host for app in env.apps()
                    if app.ingress and not app.ingress.public]
        if env.dns.private_zone_id:
            # Only the private zone covers an internal host: no public zone is a suffix of it.
            assert all(host.endswith("." + env.dns.private_domain) for host in internal)
            assert not any(host == env.domain or host.endswith("." + env.domain)
                           for host in internal)
        else:
            assert values["annotationFilter"] == \
                "alb.ingress.kubernetes.io/scheme in (internet-facing)"
            assert values["extraArgs"]["aws-zone-type"] == "public"
    assert len(owners) == len(set(owners))


def test_no_http01_solver_and_dns01_with_cert_managers_own_role(rendered):
    for path in rendered.out.rglob("*.yaml"):
        assert "http01" not in path.read_text(), path
    for env in rendered.blueprint.environments:
        cert_manager = env.addon("cert-manager")
        if not (cert_manager and cert_manager.cluster_issuer):
            continue
        assert cert_manager.iam is not None
        path = f"platform/cert-manager/manifests/{env.name}/clusterissuer.yaml"
        [issuer] = docs(rendered.out, path)
        [solver] = issuer["spec"]["acme"]["solvers"]
        assert solver["dns01"]["route53"]["hostedZoneID"] == env.dns.public_zone_id
        assert solver["selector"]["dnsZones"] == [env.domain]


def zone_arns(statement: dict) -> list[str]:
    resource = statement["Resource"]
    return [resource] if isinstance(resource, str) else resource


def test_route53_roles_change_only_the_blueprints_zones(rendered):
    """external-dns may change records in the zones its zone-id-filter names, cert-manager TXT
    records in the public zone it answers DNS-01 in; any zone only when the blueprint names none."""
    checked = 0
    for env in rendered.blueprint.environments:
        external_dns = env.addon("external-dns")
        if external_dns and external_dns.iam:
            checked += 1
            policy = json.loads((rendered.out / f"platform/external-dns/iam-policy-{env.name}"
                                 ".json").read_text())
            [change] = [s for s in policy["Statement"]
                        if "route53:ChangeResourceRecordSets" in s["Action"]]
            assert zone_arns(change) == [f"arn:aws:route53:::hostedzone/{zone}"
                                         for zone in env.dns.zone_ids or ("*",)]
        cert_manager = env.addon("cert-manager")
        if cert_manager and cert_manager.iam:
            checked += 1
            policy = json.loads((rendered.out / f"platform/cert-manager/iam-policy-{env.name}"
                                 ".json").read_text())
            [change] = [s for s in policy["Statement"]
                        if "route53:ChangeResourceRecordSets" in s["Action"]]
            assert zone_arns(change) == [
                f"arn:aws:route53:::hostedzone/{env.dns.public_zone_id or '*'}"]
            assert change["Condition"]["ForAllValues:StringEquals"][
                "route53:ChangeResourceRecordSetsRecordTypes"] == ["TXT"]
    assert checked


# --------------------------------------------------------------------------- 7. secrets


def test_no_secret_store_is_readable_from_every_namespace(rendered):
    for env in rendered.blueprint.environments:
        app_namespaces = {app.namespace for app in env.apps()}
        for path in (rendered.out / "platform").rglob(f"manifests/{env.name}/*.yaml"):
            for obj in docs(rendered.out, str(path.relative_to(rendered.out))):
                if obj["kind"] == "ClusterSecretStore":
                    [condition] = obj["spec"]["conditions"]
                    assert condition["namespaces"] and not app_namespaces & set(
                        condition["namespaces"])
        for app in env.apps():
            if not app.secrets:
                continue
            objects = app_objects(rendered.out, app, env.name)
            [store] = [o for o in objects if o["kind"] == "SecretStore"]
            [external] = [o for o in objects if o["kind"] == "ExternalSecret"]
            assert external["spec"]["secretStoreRef"] == {"kind": "SecretStore",
                                                          "name": store["metadata"]["name"]}
            assert store["spec"]["provider"]["aws"]["role"] == app.secret_role_arn


def test_each_app_role_reads_only_its_own_keys(rendered):
    for env, app in deployed(rendered.blueprint):
        folder = rendered.out / "environments" / env.name / "iam"
        policy_file = folder / f"{app.name}-secrets-policy.json"
        if not app.secrets:
            assert not policy_file.exists()
            continue
        [statement] = json.loads(policy_file.read_text())["Statement"]
        prefix = (f"arn:aws:secretsmanager:{app.secret_region}:{env.cluster.account_id}:secret:")
        assert statement["Resource"] == sorted(f"{prefix}{s.key}-??????" for s in app.secrets)
        assert "*" not in "".join(statement["Resource"])
        [trust] = json.loads((folder / f"{app.name}-secrets-trust.json").read_text())["Statement"]
        assert trust["Principal"] == {"AWS": env.addon("external-secrets").iam.arn}
        assert app.secret_role_arn.endswith(
            f":role/{env.addon('external-secrets').secret_store.app_role_prefix}{app.name}")


# --------------------------------------------------------------------------- 8. alerts


def test_alerts_and_sync_failures_reach_the_same_receiver(rendered):
    alerting = rendered.blueprint.alerting
    assert alerting is not None  # every blueprint here routes alerts
    for env in rendered.blueprint.environments:
        manifests = rendered.out / "platform"
        [secret] = docs(rendered.out, f"platform/external-secrets/manifests/{env.name}/"
                                      "argocd-notifications.yaml")
        [url] = secret["spec"]["data"]
        expected = {"key": alerting.key}
        if alerting.property:
            expected["property"] = alerting.property
        assert url["remoteRef"] == expected
        if env.addon("kube-prometheus-stack"):
            check_alertmanager(rendered.out, env, alerting, expected)
        else:
            assert not (manifests / "kube-prometheus-stack").exists()
        # Argo CD: the same secret, for failed syncs and degraded apps.
        argocd = yaml.safe_load((manifests / f"argo-cd/values-{env.name}.yaml").read_text())
        notifications = argocd["notifications"]
        assert notifications["enabled"] is True and notifications["secret"]["create"] is False
        [subscription] = notifications["subscriptions"]
        assert subscription == {"recipients": [alerting.receiver],
                                "triggers": ["on-sync-failed", "on-health-degraded"]}
        service = yaml.safe_load(notifications["notifiers"][f"service.webhook.{alerting.receiver}"])
        assert service["url"] == f"${alerting.receiver}-url"
        for trigger in subscription["triggers"]:
            [rule] = yaml.safe_load(notifications["triggers"][f"trigger.{trigger}"])
            [template] = rule["send"]
            body = yaml.safe_load(notifications["templates"][f"template.{template}"])
            assert list(body["webhook"]) == [alerting.receiver]
        assert secret["metadata"]["namespace"] == env.argocd.namespace
        assert secret["spec"]["target"]["name"] == "argocd-notifications-secret"
        assert url["secretKey"] == f"{alerting.receiver}-url"


def check_alertmanager(out: Path, env: Environment, alerting, remote_ref: dict) -> None:
    """Alertmanager's configuration Secret: every alert to the receiver, the URL from the same
    Secrets Manager secret as Argo CD's."""
    [config] = docs(out, f"platform/kube-prometheus-stack/manifests/{env.name}/"
                         "alertmanager-config.yaml")
    values = yaml.safe_load(
        (out / f"platform/kube-prometheus-stack/values-{env.name}.yaml").read_text())
    assert values["alertmanager"]["alertmanagerSpec"]["configSecret"] == \
        config["spec"]["target"]["name"]
    [url] = config["spec"]["data"]
    assert url["remoteRef"] == remote_ref
    # External Secrets fills {{ .url }}: what Alertmanager reads, with a sample URL.
    text = config["spec"]["target"]["template"]["data"]["alertmanager.yaml"]
    assert "https://" not in text
    alertmanager = yaml.safe_load(text.replace("{{ .url | quote }}", '"https://hook.test/x"'))
    assert alertmanager["route"]["receiver"] == alerting.receiver
    [receiver] = [r for r in alertmanager["receivers"] if r["name"] == alerting.receiver]
    key = "slack_configs" if alerting.type == "slack" else "webhook_configs"
    field = "api_url" if alerting.type == "slack" else "url"
    assert receiver[key][0][field] == "https://hook.test/x"


# --------------------------------------------------------------------------- blueprint errors


PLATFORM = (BLUEPRINTS / "eks-platform.yaml").read_text()


def error_of(text: str) -> BlueprintError:
    with pytest.raises(BlueprintError) as caught:
        parse_blueprint(text, file="bp.yaml")
    return caught.value


def line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


@pytest.mark.parametrize(("old", "new", "needle", "message"), [
    ("      solver: dns01\n", "      solver: http01\n", "solver: http01",
     "invalid solver 'http01'"),
    ("      privateDomain: staging.acme-internal.example ",
     "      privateDomain: int.staging.acme.example ",
     "privateDomain: int.staging", "privateDomain 'int.staging.acme.example' is within the public "
                                   "domain"),
    ("      subdomain: orders ", "      host: orders.staging.acme.example ",
     "host: orders.staging", "ingress host 'orders.staging.acme.example' of app 'orders' is "
                             "outside the domain "
                             "'staging.acme-internal.example'"),
    ("      deregistrationDelay: 30 ", "      deregistrationDelay: 7200 ",
     "deregistrationDelay: 7200", "deregistrationDelay"),
    ("      publicZoneId: Z0111111111111PUBSTG ", "      publicZoneId: staging.acme.example ",
     "publicZoneId: staging", "Route 53 hosted zone ID"),
])
def test_blueprint_refuses_what_cannot_work_at_its_position(old, new, needle, message):
    assert PLATFORM.count(old) == 1
    text = PLATFORM.replace(old, new)
    error = error_of(text)
    line = line_of(text, needle)
    assert any(f"bp.yaml:{line}:" in entry and message in entry for entry in error.lines()), \
        error.lines()


def test_cluster_issuer_needs_its_own_role_and_alerting_needs_external_secrets():
    no_role = PLATFORM.replace("      roleName: acme-cert-manager ", "      roleName: x ")
    no_role = re.sub(r"    iam:\n      mode: pod-identity\n      roleName: x .*\n", "", no_role)
    assert "add-on 'cert-manager' uses Route 53 for dns01 but has no IAM role" in str(
        error_of(no_role))
    data = yaml.safe_load(PLATFORM)
    data["addons"]["external-secrets"]["enabled"] = False
    data["apps"] = [app for app in data["apps"] if not app.get("secrets")]
    error = error_of(yaml.safe_dump(data, sort_keys=False))
    assert "the alert receiver's webhook URL is read through external-secrets" in "\n".join(
        error.lines())
