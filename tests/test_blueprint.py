"""The blueprint: presets, the schema, errors at exact positions, resolution, and scale."""

from __future__ import annotations

import json
import pathlib
import re
import textwrap

import pytest

from gitops_gen.blueprint import (ADDON_CATALOG, PRESETS, BlueprintError, load_blueprint,
                                  parse_blueprint, preset_text, schema)
from gitops_gen.blueprint.schema_words import PATTERN_WORDS
from gitops_gen.errors import UserError

REPO = pathlib.Path(__file__).resolve().parent.parent

BASE = textwrap.dedent("""\
    apiVersion: gitops-gen/v1alpha1
    kind: Blueprint
    metadata:
      name: acme
    repo:
      url: https://github.com/acme/gitops.git
    argocd:
      version: 10.1.1
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
        iam: {mode: irsa, roleName: eso}
    apps:
      - name: web
        kind: kustomize
        image: {repository: ghcr.io/acme/web, tag: "1.0.0"}
        port: 8080
      - name: api
        kind: helm
        image: {repository: ghcr.io/acme/api, tag: "2.0.0"}
        port: 9000
    """)


def edit(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, f"{old!r} must occur once"
    return text.replace(old, new)


def position(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the first occurrence of `needle`."""
    offset = text.index(needle)
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def error_of(text: str) -> BlueprintError:
    with pytest.raises(BlueprintError) as caught:
        parse_blueprint(text, file="bp.yaml")
    return caught.value


# -- presets


@pytest.mark.parametrize("name", PRESETS)
def test_presets_load(name, tmp_path):
    path = tmp_path / "blueprint.yaml"
    path.write_text(preset_text(name), encoding="utf-8")
    blueprint = load_blueprint(str(path))
    assert blueprint.environments
    for environment in blueprint.environments:
        assert environment.apps()
        assert environment.addon("argo-cd") is not None


@pytest.mark.parametrize("name", PRESETS)
def test_blueprints_folder_holds_the_presets(name):
    assert (REPO / "blueprints" / f"{name}.yaml").read_text(encoding="utf-8") == \
        preset_text(name)


def test_platform_preset_covers_every_addon_and_both_app_kinds():
    blueprint = parse_blueprint(preset_text("eks-platform"))
    assert blueprint.environment_names == ("staging", "prod")
    assert set(blueprint.addon_names) | {"argo-cd"} == set(ADDON_CATALOG)
    kinds = [app.kind for app in blueprint.apps]
    assert kinds.count("kustomize") == 2 and kinds.count("helm") == 2
    for environment in blueprint.environments:
        installed = {addon.name for addon in environment.addons()}
        assert installed == set(ADDON_CATALOG) - {"cilium"}
        store = environment.addon("external-secrets").secret_store
        assert store.name == "aws-secrets-manager" and store.region == "eu-west-1"
        for addon in environment.addons():
            assert addon.chart.version == ADDON_CATALOG[addon.name].pinned_version
            if addon.info.needs_iam:
                assert addon.iam.arn.startswith(
                    f"arn:aws:iam::{environment.cluster.account_id}:role/")
    karpenter = blueprint.environment("prod").addon("karpenter")
    assert karpenter.crd_chart.chart == "karpenter-crd" and karpenter.crd_chart.version == "1.14.1"
    assert karpenter.chart.oci


def test_unknown_preset_is_a_user_error():
    with pytest.raises(UserError, match="unknown preset 'eks-large'"):
        preset_text("eks-large")


# -- the schema


def _walk(node, path=()):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, path + (index,))


def test_schema_is_draft_2020_12_and_strict():
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(schema())
    for path, node in _walk(schema()):
        if isinstance(node.get("properties"), dict):
            assert node.get("additionalProperties") is False, path
            for name, prop in node["properties"].items():
                assert prop.get("description") or "$ref" in prop, (path, name)
        if "pattern" in node:
            assert node["pattern"] in PATTERN_WORDS, path
    for name, definition in schema()["$defs"].items():
        assert definition.get("description") or "pattern" in definition, name


def test_no_field_can_hold_a_secret_value():
    secret_ref = schema()["$defs"]["secretRef"]
    assert set(secret_ref["properties"]) == {"name", "key", "property"}
    assert secret_ref["additionalProperties"] is False


# -- errors at exact positions


CASES = [
    # (id, old, new, needle at the error, message, hint)
    ("unknown-key", "    port: 8080\n", "    port: 8080\n    replicaz: 3\n", "replicaz",
     "unknown key 'replicaz' in apps[0]", "did you mean 'replicas'?"),
    ("bad-enum", "kind: helm", "kind: helmchart", "helmchart",
     "invalid kind 'helmchart' in apps[1].kind", "allowed: kustomize, helm; did you mean 'helm'?"),
    ("traversal-app-name", "name: web", "name: ../x", "../x",
     "invalid name '../x' in apps[0].name", "DNS-1123 label"),
    ("uppercase-env-name", "name: prod", "name: Prod", "Prod",
     "invalid name 'Prod' in environments[1].name", "lowercase letters"),
    ("account-11-digits", '"222222222222"', '"22222222222"', '"22222222222"',
     "invalid accountId '22222222222' in environments[1].cluster.accountId", "exactly 12 digits"),
    ("account-unquoted", '"222222222222"', "222222222222", "222222222222",
     "environments[1].cluster.accountId must be a string", 'quote it: "222222222222"'),
    ("k8s-version-number", 'kubernetesVersion: "1.35"\n    domain: acme',
     "kubernetesVersion: 1.30\n    domain: acme", "1.30",
     "kubernetesVersion must be a string, got a number 1.3",
     'YAML reads 1.30 as the number 1.3; quote it: "1.30"'),
    ("k8s-version-not-on-eks", 'kubernetesVersion: "1.35"\n    domain: acme',
     'kubernetesVersion: "1.19"\n    domain: acme', '"1.19"',
     "EKS does not offer Kubernetes 1.19", "offered: 1.23 to"),
    ("image-tag-latest", 'tag: "1.0.0"', "tag: latest", "latest",
     "invalid tag 'latest' in apps[0].image.tag", "'latest' is mutable"),
    ("tag-in-repository", "repository: ghcr.io/acme/web,", "repository: ghcr.io/acme/web:1.0,",
     "ghcr.io/acme/web:1.0", "invalid repository", "give the tag in image.tag"),
    ("duplicate-env", "  - name: prod", "  - name: staging",
     "staging\n    cluster:\n      name: acme-prod",
     "duplicate environment name 'staging'", "first defined on line 10"),
    ("duplicate-app", "name: api", "name: web", "web\n    kind: helm",
     "duplicate app name 'web'", "first defined on line"),
    ("override-unknown-app", "  domain: acme.example\n",
     "  domain: acme.example\n    apps:\n      wbe: {replicas: 3}\n", "wbe",
     "unknown app 'wbe' in environments[1].apps", "did you mean 'web'?"),
    ("override-undeclared-addon", "  domain: acme.example\n",
     "  domain: acme.example\n    addons:\n      karpenter: {enabled: true}\n", "karpenter",
     "add-on 'karpenter' is not declared under addons", "declare it under addons"),
    ("unknown-addon", "  external-secrets:\n", "  external-secret:\n", "external-secret:",
     "unknown add-on 'external-secret' in addons", "did you mean 'external-secrets'?"),
    ("app-env-unknown", "    port: 8080\n",
     "    port: 8080\n    environments:\n      prd: {replicas: 1}\n", "prd",
     "unknown environment 'prd' in apps[0].environments", "did you mean 'prod'?"),
    ("addon-env-unknown", "    iam: {mode: irsa, roleName: eso}\n",
     "    iam: {mode: irsa, roleName: eso}\n    environments:\n      stagin: {}\n", "stagin:",
     "unknown environment 'stagin' in addons.external-secrets.environments",
     "did you mean 'staging'?"),
    ("hpa-min-above-max", "    port: 8080\n",
     "    port: 8080\n    hpa: {minReplicas: 6}\n", "6}",
     "hpa.minReplicas 6 is above maxReplicas 5 for app 'web' in environments staging, prod",
     "maxReplicas defaults to 5"),
    ("hpa-per-env", "    port: 8080\n",
     "    port: 8080\n    hpa: {minReplicas: 2, maxReplicas: 4}\n    environments:\n"
     "      prod: {hpa: {minReplicas: 8}}\n", "8}}",
     "hpa.minReplicas 8 is above maxReplicas 4 for app 'web' in environment prod",
     "at most maxReplicas"),
    ("replicas-and-hpa", "    port: 8080\n",
     "    port: 8080\n    replicas: 3\n    hpa: {}\n", "hpa: {}",
     "replicas and hpa are both set in apps[0]", "not both"),
    ("secret-as-value", "    port: 8080\n",
     "    port: 8080\n    secrets:\n      - {name: DB_PASSWORD, key: x, value: hunter2}\n",
     "value: hunter2", "unknown key 'value' in apps[0].secrets[0]",
     "a secret is a reference, never a value"),
    ("secrets-as-mapping", "    port: 8080\n",
     "    port: 8080\n    secrets:\n      DB_PASSWORD: hunter2\n", "DB_PASSWORD",
     "apps[0].secrets must be a list, got a mapping", "a secret is a reference"),
    ("secret-in-config", "    port: 8080\n",
     "    port: 8080\n    config: {DB_PASSWORD: hunter2}\n", "hunter2",
     "config DB_PASSWORD is set to a literal value", "AWS Secrets Manager"),
    ("host-outside-domain", "    port: 9000\n",
     "    port: 9000\n    environments:\n      prod: {ingress: {host: api.evil.example}}\n",
     "api.evil.example",
     "ingress host 'api.evil.example' of app 'api' is outside the domain 'acme.example' in "
     "environment prod", "use a host ending in .acme.example"),
    ("missing-required", "    kind: kustomize\n", "", "name: web",
     "missing required key 'kind' in apps[0]", "kind: kustomize or helm"),
    ("addon-without-iam", "    iam: {mode: irsa, roleName: eso}\n", "", "version: 2.9.0",
     "add-on 'external-secrets' calls AWS but has no IAM role in environments staging, prod",
     "iam: {mode: pod-identity"),
    ("port-out-of-range", "port: 9000", "port: 70000", "70000",
     "invalid port 70000 in apps[1].port", "must be at most 65535"),
    ("unsupported-api-version", "gitops-gen/v1alpha1", "gitops-gen/v2", "gitops-gen/v2",
     "unsupported apiVersion 'gitops-gen/v2'", "gitops-gen/v1alpha1"),
    ("duplicate-key", "  name: acme\n", "  name: acme\n  name: other\n", "name: other",
     "duplicate key 'name'", "only once"),
    ("memory-limit-below-request", "    port: 8080\n",
     "    port: 8080\n    resources: {requests: {memory: 1Gi}, limits: {memory: 512Mi}}\n",
     "512Mi", "memory limit 512Mi is below the request 1Gi", "1Gi or more"),
]


@pytest.mark.parametrize("old, new, needle, message, hint",
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_error_position_message_and_hint(old, new, needle, message, hint):
    text = edit(old, new)
    error = error_of(text)
    assert (error.line, error.column) == position(text, needle), str(error)
    assert message in error.message
    assert hint in error.hint
    assert str(error).startswith(f"bp.yaml:{error.line}:{error.column}: ")
    assert len(error.errors) == 1, error.lines()


@pytest.mark.parametrize("edits, needle, message, hint", [
    ([("    port: 8080\n", "    port: 8080\n    ingress: {subdomain: www}\n"),
      ("    port: 9000\n",
       "    port: 9000\n    environments:\n      prod: {ingress: {host: www.acme.example}}\n")],
     "www.acme.example", "app 'api' serves www.acme.example/ like app 'web' in environment prod",
     "its own host or path"),
    ([("    port: 8080\n", "    port: 8080\n    ingress: {public: true}\n")],
     "{public: true}", "ingress of app 'web' has no host in environments staging, prod",
     "give ingress.subdomain"),
    ([("    port: 8080\n",
       "    port: 8080\n    ingress: {host: www.acme.example, subdomain: w}\n")],
     "subdomain: w", "ingress has both host and subdomain in apps[0]", "host is a full name"),
    ([("    iam: {mode: irsa, roleName: eso}\n",
       "    iam: {mode: irsa, roleName: eso, roleArn: 'arn:aws:iam::111111111111:role/x'}\n")],
     "roleArn", "iam has both roleName and roleArn in addons.external-secrets", "give one"),
    ([("    iam: {mode: irsa, roleName: eso}\n", "    iam: {roleName: eso}\n")],
     "{roleName", "add-on 'external-secrets' calls AWS but has an incomplete IAM role",
     "set iam.mode to pod-identity or irsa"),
    ([("      kubernetesVersion: \"1.35\"\n    domain: acme",
       "      kubernetesVersion: \"1.35\"\n      inCluster: false\n    domain: acme")],
     "false", "cluster has inCluster: false but no apiServer", "give apiServer"),
    ([("name: acme-prod\n      accountId: \"222222222222\"",
       "name: \"acme-staging\"\n      accountId: \"111111111111\"")],
     "\"acme-staging\"",
     "environments 'staging' and 'prod' use the same cluster 'acme-staging'",
     "namespaces would collide"),
    ([("    port: 8080\n",
       "    port: 8080\n    secrets: [{name: DB, key: a}, {name: DB, key: b}]\n")],
     "DB, key: b", "duplicate secret name 'DB' in apps[0].secrets", "one secret"),
    ([("  external-secrets:\n    version: 2.9.0\n",
       "  external-secrets:\n    enabled: false\n    version: 2.9.0\n"),
      ("    port: 8080\n", "    port: 8080\n    secrets: [{name: DB, key: a}]\n")],
     "{name: DB", "app 'web' reads secrets but the external-secrets add-on is not installed in "
     "environments staging, prod", "declare external-secrets"),
])
def test_semantic_errors(edits, needle, message, hint):
    text = BASE
    for old, new in edits:
        text = edit(old, new, text)
    error = error_of(text)
    assert (error.line, error.column) == position(text, needle), str(error)
    assert message in error.message and hint in error.hint, str(error)
    assert len(error.errors) == 1, error.lines()


@pytest.mark.parametrize("old, new, needle", [
    ("name: web", "name: ../x", "../x"),
    ("name: prod", "name: ../prod", "../prod"),
    ("  name: acme\n", "  name: ../acme\n", "../acme"),
    ("    port: 8080\n", "    port: 8080\n    namespace: ../etc\n", "../etc"),
    ("  url: https://github.com/acme/gitops.git\n",
     "  url: https://github.com/acme/gitops.git\n  path: ../outside\n", "../outside"),
    ("  url: https://github.com/acme/gitops.git\n",
     "  url: https://github.com/acme/gitops.git\n  path: /etc\n", "/etc"),
    ("    port: 8080\n", "    port: 8080\n    environments:\n      ../prod: {}\n", "../prod"),
    ("  domain: acme.example\n", "  domain: acme.example\n    apps:\n      ../web: {}\n",
     "../web"),
    ("name: acme-prod", "name: ../acme-prod", "../acme-prod"),
])
def test_traversal_names_are_refused(old, new, needle):
    text = edit(old, new)
    error = error_of(text)
    assert (error.line, error.column) == position(text, needle), str(error)
    assert "invalid" in error.message


def test_every_error_is_listed_in_file_order():
    text = edit("kind: helm", "kind: helmchart", edit("    port: 8080\n",
                                                      "    port: 8080\n    replicaz: 3\n"))
    text = edit("name: prod", "name: Prod", text)
    error = error_of(text)
    lines = [(p.line, p.column) for p in error.errors]
    assert lines == sorted(lines) and len(lines) == 3
    assert [p.message.split(" ")[0:2] for p in error.errors] == [
        ["invalid", "name"], ["unknown", "key"], ["invalid", "kind"]]
    assert str(error) == error.lines()[0]
    assert all(re.match(r"bp\.yaml:\d+:\d+: ", line) for line in error.lines())


@pytest.mark.parametrize("text, message, where", [
    ("", "the blueprint is empty", (1, 1)),
    ("# only a comment\n", "the blueprint is empty", (1, 1)),
    ("- a\n- b\n", "must be a mapping", (1, 1)),
    ("apiVersion: v1\nkind: ConfigMap\n", "unsupported apiVersion 'v1'", (1, 13)),
    ("apiVersion: gitops-gen/v1alpha1\nkind: [\n", "invalid YAML", None),
    (BASE + "---\nkind: Extra\n", "a blueprint is a single YAML document", None),
])
def test_yaml_level_errors(text, message, where):
    error = error_of(text)
    assert message in error.message
    if where:
        assert (error.line, error.column) == where
    assert error.line is not None


def test_unreadable_file(tmp_path):
    with pytest.raises(BlueprintError, match="cannot read blueprint"):
        load_blueprint(str(tmp_path / "missing.yaml"))


# -- resolution


def test_values_are_data_not_templates():
    text = edit("    iam: {mode: irsa, roleName: eso}\n", textwrap.indent(textwrap.dedent("""\
        iam: {mode: irsa, roleName: eso}
        values:
          annotation: "{{ .Values.x }}"
          nested: {greeting: "{{ foo }}", list: ["{{ a }}", "{% raw %}"]}
        environments:
          prod:
            values:
              nested: {extra: "${HOME} {{ env }}"}
        """), "    "))
    text = edit("    port: 8080\n", "    port: 8080\n    config:\n"
                "      GREETING: \"Hello {{ .User }}\"\n      RAW: '{{ foo }}'\n", text)
    blueprint = parse_blueprint(text)
    prod = blueprint.environment("prod")
    assert prod.addon("external-secrets").values == {
        "annotation": "{{ .Values.x }}",
        "nested": {"greeting": "{{ foo }}", "list": ["{{ a }}", "{% raw %}"],
                   "extra": "${HOME} {{ env }}"}}
    assert prod.app("web").config == {"GREETING": "Hello {{ .User }}", "RAW": "{{ foo }}"}
    staging = blueprint.environment("staging")
    assert "extra" not in staging.addon("external-secrets").values["nested"]


def test_defaults():
    blueprint = parse_blueprint(BASE)
    web = blueprint.environment("staging").app("web")
    assert (web.replicas, web.hpa, web.health_path, web.namespace) == (2, None, "/healthz", "web")
    assert web.resources.as_dict() == {"requests": {"cpu": "100m", "memory": "128Mi"},
                                       "limits": {"memory": "256Mi"}}
    assert web.ingress is None and web.secrets == () and web.config == {}
    assert web.secret_store == "web-secrets-manager"  # the app's own SecretStore
    assert web.secret_role_arn == "arn:aws:iam::111111111111:role/acme-secrets-web"
    assert web.secret_region == "eu-west-1"
    assert blueprint.repo.revision == "main" and blueprint.repo.path == ""
    assert blueprint.argocd.self_managed and blueprint.argocd.namespace == "argocd"
    cluster = blueprint.environment("prod").cluster
    assert cluster.in_cluster and cluster.server == "https://kubernetes.default.svc"
    with_hpa = parse_blueprint(edit("    port: 8080\n", "    port: 8080\n    hpa: {}\n"))
    hpa = with_hpa.environment("prod").app("web").hpa
    assert (hpa.min_replicas, hpa.max_replicas, hpa.target_cpu_utilization_percentage) == \
        (2, 5, 70)


def test_levels_merge_from_common_to_environment():
    text = edit("    port: 8080\n", textwrap.indent(textwrap.dedent("""\
        port: 8080
        hpa: {minReplicas: 3, maxReplicas: 6}
        ingress: {subdomain: www, public: true}
        config: {A: "1", B: "2"}
        secrets:
          - {name: DB, key: common/db}
          - {name: API, key: common/api, property: token}
        environments:
          staging:
            replicas: 1
            image: {tag: "1.1.0"}
          prod:
            hpa: {maxReplicas: 12}
            config: {B: "prod"}
            secrets:
              - {name: DB, key: prod/db, property: password}
        """), "    "))
    text = edit("  domain: acme.example\n", "  domain: acme.example\n    apps:\n"
                "      web: {image: {tag: \"9.9.9\"}, ingress: {host: shop.acme.example}}\n", text)
    blueprint = parse_blueprint(text)
    staging = blueprint.environment("staging").app("web")
    assert (staging.replicas, staging.hpa, staging.image.reference) == \
        (1, None, "ghcr.io/acme/web:1.1.0")
    assert staging.ingress.host == "www.staging.acme.example" and staging.ingress.public
    prod = blueprint.environment("prod").app("web")
    assert prod.replicas is None and (prod.hpa.min_replicas, prod.hpa.max_replicas) == (3, 12)
    assert prod.image.tag == "9.9.9"
    assert prod.ingress.host == "shop.acme.example" and prod.ingress.public
    assert prod.config == {"A": "1", "B": "prod"}
    assert [(s.name, s.key, s.property) for s in prod.secrets] == [
        ("DB", "prod/db", "password"), ("API", "common/api", "token")]
    assert prod.origin["image.tag"] == ("environments", 1, "apps", "web", "image", "tag")
    assert blueprint.locate(prod.origin["image.tag"]) == position(text, '"9.9.9"')


def test_disabled_apps_and_addons_are_left_out():
    text = edit("  domain: acme.example\n", "  domain: acme.example\n    apps:\n"
                "      api: {enabled: false}\n"
                "    addons:\n      external-secrets: {enabled: false}\n")
    prod = parse_blueprint(text).environment("prod")
    assert [app.name for app in prod.apps()] == ["web"]
    assert [addon.name for addon in prod.addons()] == ["argo-cd"]
    assert prod.app("web").secret_store is None


def test_apps_and_addons_are_sorted_by_name():
    blueprint = parse_blueprint(preset_text("eks-platform"))
    for environment in blueprint.environments:
        names = [app.name for app in environment.apps()]
        assert names == sorted(names)
        addons = [addon.name for addon in environment.addons()]
        assert addons == sorted(addons)


def test_iam_role_arn_per_environment_and_partition():
    text = edit('region: eu-west-1\n      kubernetesVersion: "1.35"\n    domain: acme',
                'region: cn-north-1\n      kubernetesVersion: "1.35"\n    domain: acme')
    text = edit("  domain: acme.example\n", "  domain: acme.example\n    addons:\n"
                "      external-secrets:\n        iam: {mode: pod-identity}\n", text)
    blueprint = parse_blueprint(text)
    assert blueprint.environment("staging").addon("external-secrets").iam.arn == \
        "arn:aws:iam::111111111111:role/eso"
    prod = blueprint.environment("prod").addon("external-secrets").iam
    assert prod.arn == "arn:aws-cn:iam::222222222222:role/eso" and prod.mode == "pod-identity"
    assert prod.service_account_annotations == {}


# -- scale


def test_large_blueprint_loads_every_app_in_every_environment():
    environments = "".join(textwrap.dedent(f"""\
          - name: env{e}
            cluster: {{name: c{e}, accountId: "{e + 1:012d}", region: eu-west-1,
                       kubernetesVersion: "1.35"}}
            domain: env{e}.acme.example
            apps:
              app{e * 7:03d}: {{replicas: {e + 1}}}
        """) for e in range(10))
    apps = "".join(textwrap.dedent(f"""\
          - name: app{a:03d}
            kind: {"helm" if a % 2 else "kustomize"}
            image: {{repository: ghcr.io/acme/app{a:03d}, tag: "1.{a}.0"}}
            port: {8000 + a}
            ingress: {{subdomain: app{a:03d}}}
            config: {{TEMPLATE: "{{{{ .Values.app{a} }}}}"}}
            environments:
              env{a % 10}: {{image: {{tag: "2.{a}.0"}}}}
        """) for a in range(100))
    text = (f"apiVersion: gitops-gen/v1alpha1\nkind: Blueprint\nmetadata: {{name: big}}\n"
            f"repo: {{url: https://github.com/acme/big.git}}\nargocd: {{version: 10.1.1}}\n"
            f"environments:\n{environments}apps:\n{apps}")
    blueprint = parse_blueprint(text)
    assert len(blueprint.environments) == 10
    for e, environment in enumerate(blueprint.environments):
        apps = environment.apps()
        assert [app.name for app in apps] == [f"app{a:03d}" for a in range(100)]
        for a, app in enumerate(apps):
            assert app.image.tag == (f"2.{a}.0" if a % 10 == e else f"1.{a}.0")
            assert app.ingress.host == f"app{a:03d}.env{e}.acme.example"
            assert app.replicas == (e + 1 if a == e * 7 else 2)
            assert app.config == {"TEMPLATE": f"{{{{ .Values.app{a} }}}}"}
            assert app.port == 8000 + a

    # and an error deep inside it is still found at its exact place
    broken = edit("  port: 8099\n", "  port: 8099\n  replicaz: 1\n", text)
    error = error_of(broken)
    assert (error.line, error.column) == position(broken, "replicaz")
    assert error.message == "unknown key 'replicaz' in apps[99]"


def test_schema_file_is_json():
    path = REPO / "gitops_gen" / "blueprint" / "schema.json"
    assert json.loads(path.read_text(encoding="utf-8"))["$schema"].endswith("2020-12/schema")
