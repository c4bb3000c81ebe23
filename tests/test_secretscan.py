"""The detector of credentials in clear that the lint rules and the blueprint share: what it
takes for a secret, and the references, placeholders and names it must leave alone."""

import pytest

from gitops_gen.lint.secretscan import (chart_setting, scan, secret_setting, setting_reason,
                                        value_form)


@pytest.mark.parametrize("key", [
    "password", "adminPassword", "client_secret", "api-key", "apiKey", "bearerToken",
    "sshPrivateKey", "GF_SECURITY_ADMIN_PASSWORD", "AWS_SECRET_ACCESS_KEY", "auth.token",
    "githubSecret", "passphrase", "smtp_auth_password", "credentials"])
def test_settings_named_like_a_secret(key):
    assert secret_setting(key)


@pytest.mark.parametrize("key", [
    "existingSecret", "passwordSecretRef", "secretName", "passwordKey", "userKey", "createSecret",
    "password-file", "token_path", "argocdServerAdminPasswordMtime", "routingKey", "publicKey",
    "tokenizer", "secretsEnabled", "KEYCLOAK_URL", "secret.annotations", ""])
def test_settings_that_name_point_at_or_qualify_a_secret(key):
    assert not secret_setting(key)


@pytest.mark.parametrize("key, value, expected", [
    ("githubSecret", "8f14e45fceea167a5a36dedd4bea2543", "a literal value"),
    ("githubSecret", "hunter2", "a literal value"),
    ("configSecret", "alertmanager-config", None),     # the name of a Secret
    ("tlsSecret", "ingress", None),
    ("password", "changeme", None),
    ("password", "${DB_PASSWORD}", None),
    ("password", "<password>", None),
    ("password", "ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]", None),
    ("clientSecret", "$oidc.okta.clientSecret", None),  # Argo CD's reference to argocd-secret
    ("password", "", None),
    ("password", True, None),
    ("password", 123456, "a literal value"),
    ("url", "postgres://app:hunter2@db/orders", "a URL with a password"),
    ("url", "postgres://db:5432/orders", None),
    ("note", "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX",
     "a Slack webhook URL"),
])
def test_what_a_setting_holds(key, value, expected):
    assert setting_reason(key, value) == expected


@pytest.mark.parametrize("value, expected", [
    ("postgres://app:${DB_PASSWORD}@db/orders", None),
    ("postgres://app:$(DB_PASSWORD)@db/orders", None),
    ("jdbc:mysql://orders:s3cret@db:3306/orders", "a URL with a password"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA", "a PEM private key"),
    ("-----BEGIN CERTIFICATE-----\nMIIB", None),
    ("token: ghp_0123456789abcdefghijABCDEFGHIJ0123456789", "a GitHub token"),
    ("AKIAIOSFODNN7EXAMPLE", "an AWS access key ID"),
    ("AKIA$(SUFFIX)IOSFODNN7EXAMPLE", "an AWS access key ID"),  # judged without the reference
    ("upstreams: [http://a.svc:8080, https://b.svc/x]", None),
    ("a" * 200_000, None),
])
def test_values_that_are_secrets_by_their_form(value, expected):
    assert value_form(value) == expected


def test_known_chart_settings_match_whole_paths_with_dotted_keys():
    assert chart_setting("argo-cd", ("configs", "secret", "extra", "oidc.okta.clientSecret")) == (
        "configs.secret.extra.*", "oidc.okta.clientSecret")
    assert chart_setting("argo-cd", ("configs", "secret", "githubSecret")) == (
        "configs.secret.githubSecret", "webhook.github.secret")
    assert chart_setting("argo-cd", ("configs", "secret", "createSecret")) is None
    assert chart_setting("kube-prometheus-stack", ("grafana", "adminPassword")) == (
        "grafana.adminPassword", "admin-password")
    assert chart_setting("kube-prometheus-stack", ("configs", "secret", "githubSecret")) is None


def test_scan_finds_env_entries_known_settings_and_forms_in_nested_values():
    values = {
        "configs": {"secret": {"githubSecret": "changeme", "createSecret": True}},
        "controller": {"env": [{"name": "AWS_SECRET_ACCESS_KEY", "value": "wJalrXUtnFEMI"},
                               {"name": "AWS_REGION", "value": "eu-west-1"},
                               {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {}}}]},
        "extraArgs": ["--db=postgres://u:p@h/db", "--verbose"],
        "admin": {"existingSecret": "argocd-admin", "passwordKey": "password"},
    }
    assert dict(scan(values, "argo-cd")) == {
        ("configs", "secret", "githubSecret"): "a secret setting of the argo-cd chart",
        ("controller", "env", 0, "value"): "AWS_SECRET_ACCESS_KEY set to a literal value",
        ("extraArgs", 0): "a URL with a password"}
    # without the chart, a placeholder at a known setting is not a finding
    assert ("configs", "secret", "githubSecret") not in dict(scan(values))
