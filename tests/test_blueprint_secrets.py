"""No secret is rendered in clear: credentials in the add-ons' and Argo CD's `values` and in the
apps' `config` are refused at their value (file:line:col), naming the blueprint's `secrets`
mapping, which renders ExternalSecrets into the Secrets the charts read."""

from __future__ import annotations

import datetime
import json
import textwrap

import pytest
import yaml
from click.testing import CliRunner

from gitops_gen.blueprint import BlueprintError, parse_blueprint
from gitops_gen.cli import main
from gitops_gen.render.repo import render_repo

TODAY = datetime.date(2026, 12, 4)

BASE = textwrap.dedent("""\
    apiVersion: gitops-gen/v1alpha1
    kind: Blueprint
    metadata:
      name: acme
    repo:
      url: https://github.com/acme/gitops.git
    argocd:
      version: 10.1.1
      values:
        configs:
          params: {server.insecure: true}
    environments:
      - name: staging
        cluster:
          name: acme-staging
          accountId: "111111111111"
          region: eu-west-1
          kubernetesVersion: "1.35"
        domain: staging.acme.example
      - name: prod
        cluster:
          name: acme-prod
          accountId: "222222222222"
          region: eu-west-1
          kubernetesVersion: "1.35"
        domain: acme.example
    addons:
      external-secrets:
        version: 2.9.0
        iam: {mode: pod-identity, roleName: eso}
      kube-prometheus-stack:
        version: 88.5.3
        values:
          grafana:
            admin: {existingSecret: grafana-admin, passwordKey: admin-password}
      external-dns:
        version: 1.21.1
        iam: {mode: pod-identity, roleName: dns}
    apps:
      - name: web
        kind: kustomize
        port: 8080
        image: {repository: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/web, tag: "1.0"}
        config:
          LOG_LEVEL: info
    """)


def edit(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, f"{old!r} must occur once"
    return text.replace(old, new)


def position(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the only occurrence of `needle`."""
    assert text.count(needle) == 1, f"{needle!r} must occur once"
    offset = text.index(needle)
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def errors_of(text: str) -> list:
    with pytest.raises(BlueprintError) as caught:
        parse_blueprint(text, file="bp.yaml", today=TODAY)
    return caught.value.errors


def test_the_base_blueprint_has_no_secret():
    parse_blueprint(BASE, file="bp.yaml", today=TODAY)


@pytest.mark.parametrize("old, new, needle, message, hint", [
    ("      params: {server.insecure: true}\n",
     "      params: {server.insecure: true}\n      secret: {argocdServerAdminPassword: "
     "\"$2a$10$0123456789abcdefghijkl\"}\n", "\"$2a$10",
     "argo-cd values configs.secret.argocdServerAdminPassword: a secret setting of the argo-cd "
     "chart, which the render would write to Git in clear",
     "argocd.secrets: {admin.password: {key: prod/argocd"),
    ("      params: {server.insecure: true}\n",
     "      params: {server.insecure: true}\n      secret:\n        createSecret: true\n"
     "        githubSecret: changeme\n", "changeme",
     "argo-cd values configs.secret.githubSecret: a secret setting of the argo-cd chart",
     "argocd.secrets: {webhook.github.secret: {key:"),
    ("        admin: {existingSecret: grafana-admin, passwordKey: admin-password}\n",
     "        admin: {existingSecret: grafana-admin, passwordKey: admin-password}\n"
     "        adminPassword: prom-operator\n", "prom-operator",
     "kube-prometheus-stack values grafana.adminPassword: a secret setting of the "
     "kube-prometheus-stack chart", "addons.kube-prometheus-stack.secrets: {admin-password:"),
    ("    iam: {mode: pod-identity, roleName: dns}\n",
     "    iam: {mode: pod-identity, roleName: dns}\n    values:\n      env:\n"
     "        - {name: AWS_SECRET_ACCESS_KEY, value: wJalrXUtnFEMI/K7MDENG}\n",
     "wJalrXUtnFEMI", "external-dns values env[0].value: AWS_SECRET_ACCESS_KEY set to a "
     "literal value", "existingSecret or secretKeyRef"),
    ("      LOG_LEVEL: info\n", "      LOG_LEVEL: info\n      DATABASE_URL: "
     "postgres://orders:hunter2@db.internal/orders\n", "postgres://",
     "config DATABASE_URL is set to a URL with a password in clear",
     "secrets: {name: DATABASE_URL, key: ...}"),
    ("      LOG_LEVEL: info\n", "      LOG_LEVEL: info\n      DB_PASSWORD: hunter2\n", "hunter2",
     "config DB_PASSWORD is set to a literal value", "AWS Secrets Manager"),
])
def test_a_credential_is_refused_at_its_value(old, new, needle, message, hint):
    text = edit(old, new)
    [error] = errors_of(text)
    assert (error.line, error.column) == position(text, needle)
    assert error.message.startswith(message)
    assert hint in error.hint


def test_credentials_are_found_at_every_level_of_values_and_config():
    text = edit("    domain: acme.example\n", textwrap.indent(textwrap.dedent("""\
        domain: acme.example
        addons:
          argo-cd:
            values:
              configs: {secret: {gitlabSecret: s3cr3t-gl}}
          kube-prometheus-stack:
            values:
              alertmanager:
                config:
                  global:
                    slack_api_url: "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX"
        apps:
          web:
            config: {GITHUB: ghp_0123456789abcdefghijABCDEFGHIJ0123456789}
        """), "    "))
    text = edit("      params: {server.insecure: true}\n", "      params: {server.insecure: true}\n"
                "  environments:\n    staging:\n      values:\n"
                "        notifications: {secret: {items: {slack-token: xoxb-0123456789-abcdef}}}\n",
                text)
    text = edit("      LOG_LEVEL: info\n", "      LOG_LEVEL: info\n    environments:\n"
                "      staging:\n        config:\n"
                "          SIGNING_KEY: \"-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEE\"\n", text)
    found = sorted((e.line, e.column) for e in errors_of(text))
    assert found == sorted(position(text, needle) for needle in (
        "s3cr3t-gl", "\"https://hooks", "ghp_", "xoxb-", "\"-----BEGIN"))


def test_references_placeholders_and_settings_that_name_secrets_pass():
    text = edit("      params: {server.insecure: true}\n", textwrap.indent(textwrap.dedent("""\
        params: {server.insecure: true}
        secret: {createSecret: true, githubSecret: ""}
        cm:
          oidc.config: |
            clientSecret: $oidc.okta.clientSecret
        """), "      "))
    text = edit("      LOG_LEVEL: info\n", "      LOG_LEVEL: info\n"
                "      DATABASE_URL: postgres://db.internal:5432/orders\n"
                "      DB_PASSWORD_FILE: /run/secrets/db\n      API_TOKEN: ${API_TOKEN}\n", text)
    text = edit("        admin: {existingSecret: grafana-admin, passwordKey: admin-password}\n",
                "        admin: {existingSecret: grafana-admin, passwordKey: admin-password}\n"
                "      alertmanager:\n"
                "        alertmanagerSpec: {configSecret: alertmanager-config}\n",
                text)
    parse_blueprint(text, file="bp.yaml", today=TODAY)


def test_render_exits_2_naming_the_value_and_the_external_secrets_way(tmp_path):
    blueprint = tmp_path / "bp.yaml"
    text = edit("      params: {server.insecure: true}\n",
                "      params: {server.insecure: true}\n      secret: {githubSecret: hunter2}\n")
    blueprint.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["render", str(blueprint), "-o", str(tmp_path / "out"),
                                       "--no-git"])
    assert result.exit_code == 2
    line, column = position(text, "hunter2")
    [printed] = result.stderr.splitlines()
    assert printed.startswith(f"gitops-gen: error: {blueprint}:{line}:{column}: argo-cd values "
                              "configs.secret.githubSecret")
    assert "External Secrets" in printed and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


MAPPED = edit("      params: {server.insecure: true}\n",
              "      params: {server.insecure: true}\n"
              "  secrets:\n"
              "    admin.password: {key: shared/argocd, property: admin-password-bcrypt}\n"
              "    webhook.github.secret: {key: shared/argocd, property: github}\n"
              "  environments:\n"
              "    prod:\n"
              "      secrets:\n"
              "        webhook.github.secret: {key: prod/argocd-github}\n")
MAPPED = edit("        admin: {existingSecret: grafana-admin, passwordKey: admin-password}\n",
              "        admin: {existingSecret: grafana-admin, passwordKey: admin-password}\n"
              "    secrets:\n      admin-password: {key: shared/grafana, property: password}\n",
              MAPPED)


def documents(files: dict[str, bytes], path: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(files[path].decode()) if d]


def test_the_secrets_mapping_renders_external_secrets_into_the_charts_secrets():
    files = render_repo(parse_blueprint(MAPPED, file="bp.yaml", today=TODAY))
    for env, github in (("staging", {"key": "shared/argocd", "property": "github"}),
                        ("prod", {"key": "prod/argocd-github"})):
        manifests = f"platform/external-secrets/manifests/{env}"
        [argocd] = documents(files, f"{manifests}/argocd-secret.yaml")
        assert argocd["kind"] == "ExternalSecret"
        assert argocd["metadata"]["namespace"] == "argocd"
        assert argocd["spec"]["target"] == {"name": "argocd-secret", "creationPolicy": "Merge"}
        assert argocd["spec"]["data"] == [
            {"secretKey": "admin.password",
             "remoteRef": {"key": "shared/argocd", "property": "admin-password-bcrypt"}},
            {"secretKey": "webhook.github.secret", "remoteRef": github}]
        [store] = documents(files, f"{manifests}/clustersecretstore.yaml")
        assert store["spec"]["conditions"][0]["namespaces"] == ["monitoring", "argocd"]
        [grafana] = documents(files,
                              f"platform/kube-prometheus-stack/manifests/{env}/grafana-admin.yaml")
        assert grafana["spec"]["data"] == [
            {"secretKey": "admin-user", "remoteRef": {
                "key": f"{env}/kube-prometheus-stack/grafana-admin", "property": "admin-user"}},
            {"secretKey": "admin-password",
             "remoteRef": {"key": "shared/grafana", "property": "password"}}]
        [values] = documents(files, "platform/kube-prometheus-stack/values.yaml")
        assert values["grafana"]["admin"]["existingSecret"] == "grafana-admin"
        policy = json.loads(files[f"platform/external-secrets/iam-policy-{env}.json"])
        readable = {arn.split(":secret:")[1] for arn in policy["Statement"][0]["Resource"]}
        assert readable == {"shared/argocd-??????", "shared/grafana-??????",
                            f"{env}/kube-prometheus-stack/grafana-admin-??????",
                            github["key"] + "-??????"}
    readme = files["README.md"].decode()
    assert ("`admin.password` from `shared/argocd` (JSON key `admin-password-bcrypt`), "
            "`webhook.github.secret` from `prod/argocd-github` (admin.password is a bcrypt "
            "hash)") in readme


def test_without_a_mapping_argocd_secret_is_not_managed_and_grafana_keeps_its_default():
    files = render_repo(parse_blueprint(BASE, file="bp.yaml", today=TODAY))
    manifests = "platform/external-secrets/manifests/prod"
    assert f"{manifests}/argocd-secret.yaml" not in files
    [store] = documents(files, f"{manifests}/clustersecretstore.yaml")
    assert store["spec"]["conditions"][0]["namespaces"] == ["monitoring"]
    [grafana] = documents(files, "platform/kube-prometheus-stack/manifests/prod/grafana-admin.yaml")
    assert {d["remoteRef"]["key"] for d in grafana["spec"]["data"]} == {
        "prod/kube-prometheus-stack/grafana-admin"}


def test_a_mapping_without_external_secrets_is_refused_at_the_secrets_key():
    text = edit("  external-secrets:\n    version: 2.9.0\n",
                "  external-secrets:\n    version: 2.9.0\n    enabled: false\n", MAPPED)
    errors = errors_of(text)
    assert [(e.line, e.column) for e in errors] == [
        position(text, "secrets:\n    admin.password"),
        position(text, "secrets:\n      admin-password")]
    assert errors[0].message == ("argo-cd's secrets are read from AWS Secrets Manager by "
                                 "external-secrets, which is not installed in environments "
                                 "staging, prod")


@pytest.mark.parametrize("old, new, needle, hint", [
    ("    webhook.github.secret: {key: shared/argocd, property: github}\n",
     "    webhook-github: {key: shared/argocd}\n", "webhook-github", "a key of argocd-secret"),
    ("      admin-password: {key: shared/grafana, property: password}\n",
     "      admin-pasword: {key: shared/grafana}\n", "admin-pasword", "admin-password"),
    ("    admin.password: {key: shared/argocd, property: admin-password-bcrypt}\n",
     "    admin.password: hunter2\n", "hunter2", "a secret is a reference, never a value: give "
     "key"),
])
def test_the_mapping_is_validated_by_the_schema(old, new, needle, hint):
    text = edit(old, new, MAPPED)
    [error] = errors_of(text)
    assert (error.line, error.column) == position(text, needle)
    assert hint in f"{error.message} {error.hint}"


def test_the_platform_project_lets_external_secrets_write_into_argocd_for_the_mapping():
    text = edit("  version: 10.1.1\n", "  version: 10.1.1\n  selfManaged: false\n", MAPPED)
    text = edit("    version: 88.5.3\n", "    version: 88.5.3\n    enabled: false\n", text)
    files = render_repo(parse_blueprint(text, file="bp.yaml", today=TODAY))
    projects = {p["metadata"]["name"]: p["spec"]
                for p in documents(files, "environments/prod/bootstrap/appprojects.yaml")}
    platform = projects["prod-platform"]
    assert "argocd" in {d["namespace"] for d in platform["destinations"]}
    assert {"group": "external-secrets.io", "kind": "ClusterSecretStore"} in platform[
        "clusterResourceWhitelist"]
    [store] = documents(files, "platform/external-secrets/manifests/prod/clustersecretstore.yaml")
    assert store["spec"]["conditions"][0]["namespaces"] == ["argocd"]
