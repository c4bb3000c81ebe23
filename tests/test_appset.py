"""ApplicationSet expansion, offline: each generator, both template languages, matrix, merge,
post-selectors, errors with their path inside the ApplicationSet, and speed."""

import base64
import json
import subprocess
import time

import pytest

from gitops_gen.argo.appset import ClusterInfo, ExpansionError, GeneratorContext, expand

REPO = "https://github.com/example/gitops.git"
FINALIZER = "resources-finalizer.argocd.argoproj.io"


def context(root, clusters=()):
    return GeneratorContext(root=root, is_local_repo=lambda url: url.rstrip("/") in (REPO, REPO[:-4]),
                            clusters=list(clusters))


def appset(generators, template, **spec):
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet",
            "metadata": {"name": "apps", "namespace": "argocd"},
            "spec": {"generators": generators, "template": template, **spec}}


def application(name, spec, **metadata):
    metadata.setdefault("finalizers", [FINALIZER])
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": name, "namespace": "argocd", **metadata}, "spec": spec}


def destination(server, namespace):
    return {"project": "default", "destination": {"server": server, "namespace": namespace}}


def applications(spec, ctx):
    return [generated.application for generated in expand(spec, ctx)]


def write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


# --- list -----------------------------------------------------------------------------------------

def test_list_fasttemplate_substitutes_strings_and_flattens_values(tmp_path):
    spec = appset(
        [{"list": {"elements": [{"cluster": "staging", "url": "https://1.2.3.4", "values": {"tier": "low"}},
                                {"cluster": "prod", "url": "https://5.6.7.8", "values": {"tier": "high"}}]}}],
        {"metadata": {"name": "{{cluster}}-web", "namespace": "ignored",
                      "labels": {"tier": "{{values.tier}}", "{{cluster}}": "yes"}},
         "spec": {"project": "default", "source": {"repoURL": REPO, "path": "apps/web/{{ cluster }}"},
                  "destination": {"server": "{{url}}", "namespace": "{{unknown}}"}}})
    generated = expand(spec, context(tmp_path))
    assert [g.application for g in generated] == [
        application("staging-web", {"project": "default",
                                    "source": {"repoURL": REPO, "path": "apps/web/staging"},
                                    "destination": {"server": "https://1.2.3.4", "namespace": "{{unknown}}"}},
                    labels={"tier": "low", "staging": "yes"}),
        application("prod-web", {"project": "default", "source": {"repoURL": REPO, "path": "apps/web/prod"},
                                 "destination": {"server": "https://5.6.7.8", "namespace": "{{unknown}}"}},
                    labels={"tier": "high", "prod": "yes"})]
    assert generated[1].params == {"cluster": "prod", "url": "https://5.6.7.8", "values.tier": "high"}


def test_list_fasttemplate_refuses_a_value_that_is_not_a_string(tmp_path):
    spec = appset([{"list": {"elements": [{"name": "a", "replicas": 3}]}}],
                  {"metadata": {"name": "{{name}}"}, "spec": {}})
    with pytest.raises(ExpansionError) as error:
        expand(spec, context(tmp_path))
    assert error.value.path == ("spec", "generators", 0, "list", "elements", 0, "replicas")
    assert "quote it" in error.value.message and not error.value.unsupported


def test_list_go_template_with_sprig_and_argo_functions(tmp_path):
    long_name = "Team_Payments.Service " * 3
    spec = appset(
        [{"list": {"elements": [{"app": {"name": "Web_API", "replicas": 2}, "env": "prod", "title": long_name}],
                   "elementsYaml": "- app: {name: worker, replicas: 1000000}\n  env: dev\n  title: x\n"}}],
        {"metadata": {"name": "{{ .app.name | normalize }}-{{ .env }}",
                      "annotations": {"replicas": "{{ .app.replicas }}", "slug": "{{ slugify .title }}",
                                      "upper": "{{ upper .env | quote }}", "plain": "no actions"}},
         "spec": destination("https://kubernetes.default.svc", "{{ .env }}")},
        goTemplate=True, goTemplateOptions=["missingkey=error"])
    assert applications(spec, context(tmp_path)) == [
        application("web-api-prod", destination("https://kubernetes.default.svc", "prod"),
                    annotations={"replicas": "2", "slug": "team-payments-service-team-payments-service-team",
                                 "upper": '"PROD"', "plain": "no actions"}),
        application("worker-dev", destination("https://kubernetes.default.svc", "dev"),
                    annotations={"replicas": "1e+06", "slug": "x", "upper": '"DEV"', "plain": "no actions"})]


def test_generator_template_overrides_the_appset_template_field_by_field(tmp_path):
    spec = appset([{"list": {"elements": [{"name": "a"}],
                             "template": {"metadata": {"labels": {"from": "generator"}},
                                          "spec": {"project": "team-{{name}}"}}}}],
                  {"metadata": {"name": "{{name}}", "labels": {"from": "appset", "kept": "yes"}},
                   "spec": destination("https://x", "{{name}}")},
                  syncPolicy={"preserveResourcesOnDeletion": True})
    assert applications(spec, context(tmp_path)) == [
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
         "metadata": {"name": "a", "namespace": "argocd", "labels": {"from": "generator", "kept": "yes"}},
         "spec": {"project": "team-a", "destination": {"server": "https://x", "namespace": "a"}}}]


# --- templates: missing keys, errors, templatePatch -----------------------------------------------

def test_missing_key_prints_no_value_by_default_and_fails_with_missingkey_error(tmp_path):
    generators = [{"list": {"elements": [{"name": "a"}]}}]
    template = {"metadata": {"name": "{{ .name }}"}, "spec": {"project": "{{ .team }}"}}
    assert applications(appset(generators, template, goTemplate=True), context(tmp_path)) == [
        application("a", {"project": "<no value>"})]
    with pytest.raises(ExpansionError) as error:
        expand(appset(generators, template, goTemplate=True, goTemplateOptions=["missingkey=error"]),
               context(tmp_path))
    assert error.value.path == ("spec", "template", "spec", "project")
    assert 'map has no entry for key "team"' in error.value.message
    assert '"name": "a"' in error.value.message


def test_missing_parent_key_is_an_error_naming_the_key(tmp_path):
    """Helm evaluates with missingkey=zero, where `.path.path` without `path` fails."""
    spec = appset([{"list": {"elements": [{"name": "a"}]}}],
                  {"metadata": {"name": "{{ .name }}"}, "spec": {"source": {"path": "{{ .path.path }}"}}},
                  goTemplate=True)
    with pytest.raises(ExpansionError) as error:
        expand(spec, context(tmp_path))
    assert error.value.path == ("spec", "template", "spec", "source", "path")
    assert error.value.message.startswith('template error: map has no entry for key "path"')


def test_unknown_go_template_option_is_an_error(tmp_path):
    spec = appset([{"list": {"elements": [{"name": "a"}]}}], {"metadata": {"name": "{{ .name }}"}, "spec": {}},
                  goTemplate=True, goTemplateOptions=["missingkey=error", "missingkey=panic"])
    with pytest.raises(ExpansionError) as error:
        expand(spec, context(tmp_path))
    assert error.value.path == ("spec", "goTemplateOptions", 1)


@pytest.mark.parametrize(("leaf", "message"), [
    ("{{ .name ", "parse error"),
    ("{{ nosuch .name }}", 'function "nosuch" not defined'),
    ('{{ required "name is needed" .name }}', 'function "required" not defined (Helm has it'),
    ('{{ fail "stop here" }}', "stop here"),
])
def test_go_template_errors_point_at_the_failing_string(tmp_path, leaf, message):
    spec = appset([{"list": {"elements": [{"name": "a"}, {"name": "b"}]}}],
                  {"metadata": {"name": "{{ .name }}"},
                   "spec": {"project": "default", "source": {"path": "x", "helm": {"releaseName": leaf}}}},
                  goTemplate=True)
    with pytest.raises(ExpansionError) as error:
        expand(spec, context(tmp_path))
    assert error.value.path == ("spec", "template", "spec", "source", "helm", "releaseName")
    assert message in error.value.message and "\n" not in error.value.message


def test_slugify_with_arguments_as_argo_cds_own_tests_expect(tmp_path):
    """The cases of argo-cd's TestSlugify and template_test.go (pull-request branch names)."""
    long_branch = "feat/a_really+long_pull_request_name_to_test_argo_slugification_and_branch_name_shortening_feature"
    one_word = "feat/areallylongpullrequestnametotestargoslugificationandbranchnameshorteningfeature"
    spec = appset([{"list": {"elements": [{"a": long_branch, "b": one_word,
                                           "c": "feat/testwithsmarttruncateenabledramdomlonglistofcharacters"}]}}],
                  {"metadata": {"name": "app", "labels": {
                      "1": "{{ slugify 50 false .a }}", "2": "{{ slugify 53 true .a }}",
                      "3": "{{ slugify 50 true .b }}", "4": "{{ slugify 50 false .b }}",
                      "5": "AppSet-{{ .a | slugify }}", "6": "AppSet-{{ .b | slugify 49 false }}",
                      "7": "AppSet-{{ .c | slugify 50 true }}"}}, "spec": {}}, goTemplate=True)
    assert applications(spec, context(tmp_path))[0]["metadata"]["labels"] == {
        "1": "feat-a-really-long-pull-request-name-to-test-argo", "2": "feat-a-really-long-pull-request-name-to-test-argo",
        "3": "feat", "4": "feat-areallylongpullrequestnametotestargoslugifica",
        "5": "AppSet-feat-a-really-long-pull-request-name-to-test-argo",
        "6": "AppSet-feat-areallylongpullrequestnametotestargoslugific", "7": "AppSet-feat"}


def test_template_patch_merges_into_the_application_but_never_changes_the_project(tmp_path):
    patch = """
    spec:
      project: other
      source:
        helm:
          valueFiles:
          {{- range .files }}
          - {{ . }}
          {{- end }}
    {{- if .autoSync }}
      syncPolicy: {automated: {prune: true}}
    {{- end }}
    """
    spec = appset([{"list": {"elements": [{"name": "a", "files": ["v1.yaml", "v2.yaml"], "autoSync": True},
                                          {"name": "b", "files": [], "autoSync": False}]}}],
                  {"metadata": {"name": "{{ .name }}"},
                   "spec": {"project": "default", "source": {"repoURL": REPO, "path": "charts/{{ .name }}"}}},
                  goTemplate=True, templatePatch=patch)
    assert applications(spec, context(tmp_path)) == [
        application("a", {"project": "default", "syncPolicy": {"automated": {"prune": True}},
                          "source": {"repoURL": REPO, "path": "charts/a",
                                     "helm": {"valueFiles": ["v1.yaml", "v2.yaml"]}}}),
        application("b", {"project": "default",
                          "source": {"repoURL": REPO, "path": "charts/b", "helm": {}}})]


# --- clusters -------------------------------------------------------------------------------------

def cluster_secret(name, server, labels, encode=False, **extra):
    fields = {"name": name, "server": server, **extra}
    data = ({"data": {k: base64.b64encode(v.encode()).decode() for k, v in fields.items()}}
            if encode else {"stringData": fields})
    return {"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": f"cluster-{name}", "namespace": "argocd",
                         "labels": {"argocd.argoproj.io/secret-type": "cluster", **labels},
                         "annotations": {"owner": "platform"}}, **data}


def test_cluster_info_reads_string_data_and_base64_data():
    plain = ClusterInfo.from_secret(cluster_secret("prod", "https://prod.eks", {"env": "prod"}, project="core"))
    encoded = ClusterInfo.from_secret(cluster_secret("prod", "https://prod.eks", {"env": "prod"}, encode=True,
                                                     project="core"))
    expected = ClusterInfo("prod", "https://prod.eks",
                           {"argocd.argoproj.io/secret-type": "cluster", "env": "prod"}, {"owner": "platform"},
                           "core")
    assert plain == encoded == expected
    not_a_cluster = cluster_secret("x", "https://x", {})
    not_a_cluster["metadata"]["labels"]["argocd.argoproj.io/secret-type"] = "repository"
    assert ClusterInfo.from_secret(not_a_cluster) is None
    broken = cluster_secret("x", "https://x", {}, encode=True)
    broken["data"]["server"] = "%%%"
    assert ClusterInfo.from_secret(broken) is None


def clusters():
    return [ClusterInfo.from_secret(cluster_secret("staging", "https://staging.eks", {"env": "staging"})),
            ClusterInfo.from_secret(cluster_secret("prod_eu", "https://prod.eks", {"env": "prod"}, encode=True))]


def test_clusters_generator_adds_in_cluster_without_a_selector(tmp_path):
    spec = appset([{"clusters": {"values": {"revision": "{{name}}-branch"}}}],
                  {"metadata": {"name": "guestbook-{{nameNormalized}}",
                                "labels": {"env": "{{metadata.labels.env}}"}},
                   "spec": {"project": "default", "source": {"targetRevision": "{{values.revision}}"},
                            "destination": {"server": "{{server}}", "namespace": "guestbook"}}})
    apps = applications(spec, context(tmp_path, clusters()))
    assert [(a["metadata"]["name"], a["metadata"]["labels"], a["spec"]["destination"]["server"],
             a["spec"]["source"]["targetRevision"]) for a in apps] == [
        ("guestbook-staging", {"env": "staging"}, "https://staging.eks", "staging-branch"),
        ("guestbook-prod-eu", {"env": "prod"}, "https://prod.eks", "prod_eu-branch"),
        ("guestbook-in-cluster", {"env": "{{metadata.labels.env}}"}, "https://kubernetes.default.svc",
         "in-cluster-branch")]


def test_clusters_generator_without_in_cluster_when_a_secret_declares_it(tmp_path):
    local = ClusterInfo.from_secret(cluster_secret("local", "https://kubernetes.default.svc", {}))
    spec = appset([{"clusters": {}}], {"metadata": {"name": "{{name}}"}, "spec": {}})
    assert [a["metadata"]["name"] for a in applications(spec, context(tmp_path, clusters() + [local]))] == [
        "staging", "prod_eu", "local"]


def test_clusters_generator_selector_go_template_and_metadata(tmp_path):
    spec = appset([{"clusters": {"selector": {"matchExpressions": [
        {"key": "env", "operator": "In", "values": ["prod", "qa"]}]}, "values": {"size": "large"}}}],
        {"metadata": {"name": "{{ .nameNormalized }}",
                      "annotations": {"owner": "{{ .metadata.annotations.owner }}", "size": "{{ .values.size }}"}},
         "spec": destination("{{ .server }}", "{{ index .metadata.labels \"env\" }}")},
        goTemplate=True, goTemplateOptions=["missingkey=error"])
    assert applications(spec, context(tmp_path, clusters())) == [
        application("prod-eu", destination("https://prod.eks", "prod"),
                    annotations={"owner": "platform", "size": "large"})]


# --- git ------------------------------------------------------------------------------------------

@pytest.fixture
def repo(tmp_path):
    write(tmp_path, {
        "apps/web/kustomization.yaml": "", "apps/payments_api/kustomization.yaml": "",
        "apps/legacy/kustomization.yaml": "", "apps/.hidden/kustomization.yaml": "",
        "apps/web/overlays/prod/kustomization.yaml": "",
        "clusters/staging/config.json": json.dumps({"cluster": {"name": "staging", "address": "https://s"},
                                                    "replicas": 2}),
        "clusters/prod/eu/config.json": json.dumps({"cluster": {"name": "prod-eu", "address": "https://p"},
                                                    "replicas": 1000000}),
        "clusters/old/config.json": json.dumps({"cluster": {"name": "old", "address": "https://o"}}),
        "teams/teams.yaml": "- team: red\n  owner: alice\n- team: blue\n  owner: bob\n",
    })
    return tmp_path


def test_git_directories_fasttemplate(repo):
    spec = appset([{"git": {"repoURL": REPO, "revision": "HEAD", "directories": [
        {"path": "apps/*"}, {"path": "apps/legacy", "exclude": True}]}}],
        {"metadata": {"name": "{{path.basename}}", "labels": {"top": "{{path[0]}}", "n": "{{path.basenameNormalized}}"}},
         "spec": {"project": "default", "source": {"repoURL": REPO, "path": "{{path}}"},
                  "destination": {"server": "https://kubernetes.default.svc", "namespace": "{{path[1]}}"}}})
    generated = expand(spec, context(repo))
    assert [g.application for g in generated] == [
        application("payments_api", {"project": "default", "source": {"repoURL": REPO, "path": "apps/payments_api"},
                                     "destination": {"server": "https://kubernetes.default.svc",
                                                     "namespace": "payments_api"}},
                    labels={"top": "apps", "n": "payments-api"}),
        application("web", {"project": "default", "source": {"repoURL": REPO, "path": "apps/web"},
                            "destination": {"server": "https://kubernetes.default.svc", "namespace": "web"}},
                    labels={"top": "apps", "n": "web"})]
    assert generated[1].params == {"path": "apps/web", "path.basename": "web", "path.basenameNormalized": "web",
                                   "path[0]": "apps", "path[1]": "web"}


def test_git_directories_go_template_with_path_param_prefix(repo):
    spec = appset([{"git": {"repoURL": REPO + "/", "revision": "HEAD", "pathParamPrefix": "app",
                            "directories": [{"path": "apps/*/overlays/*"}]}}],
                  {"metadata": {"name": "{{ index .app.path.segments 1 }}-{{ .app.path.basename }}"},
                   "spec": {"project": "default", "source": {"path": "{{ .app.path.path }}"}}},
                  goTemplate=True)
    assert applications(spec, context(repo)) == [
        application("web-prod", {"project": "default", "source": {"path": "apps/web/overlays/prod"}})]


def test_git_generators_in_a_work_tree_skip_what_git_ignores(repo):
    write(repo, {".gitignore": "build/\n*.tmp.json\n", "apps/build/kustomization.yaml": "",
                 "clusters/staging/config.tmp.json": "{}"})
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    spec = appset([{"git": {"repoURL": REPO, "revision": "HEAD", "directories": [{"path": "apps/*"}]}},
                   {"git": {"repoURL": REPO, "revision": "HEAD", "files": [{"path": "clusters/staging/*"}]}}],
                  {"metadata": {"name": "{{path.basename}}-{{path.filename}}"}, "spec": {}})
    assert [a["metadata"]["name"] for a in applications(spec, context(repo))] == [
        "legacy-{{path.filename}}", "payments_api-{{path.filename}}", "web-{{path.filename}}",
        "staging-config.json"]


def test_git_files_flattened_for_fasttemplate_and_globs_cross_folders(repo):
    spec = appset([{"git": {"repoURL": REPO, "revision": "HEAD", "files": [
        {"path": "clusters/*/config.json"}, {"path": "clusters/old/*", "exclude": True}]}}],
        {"metadata": {"name": "{{cluster.name}}", "annotations": {"replicas": "{{replicas}}", "dir": "{{path}}",
                                                                  "base": "{{path.basename}}", "file": "{{path.filename}}"}},
         "spec": destination("{{cluster.address}}", "{{path[1]}}")})
    generated = expand(spec, context(repo))
    assert [g.application for g in generated] == [
        application("prod-eu", destination("https://p", "prod"), annotations={
            "replicas": "1e+06", "dir": "clusters/prod/eu", "base": "eu", "file": "config.json"}),
        application("staging", destination("https://s", "staging"), annotations={
            "replicas": "2", "dir": "clusters/staging", "base": "staging", "file": "config.json"})]
    assert generated[1].params == {
        "cluster.name": "staging", "cluster.address": "https://s", "replicas": "2", "path": "clusters/staging",
        "path.basename": "staging", "path.filename": "config.json", "path.basenameNormalized": "staging",
        "path.filenameNormalized": "config.json", "path[0]": "clusters", "path[1]": "staging"}


def test_git_file_holding_a_list_gives_one_application_per_item(repo):
    spec = appset([{"git": {"repoURL": REPO, "revision": "HEAD", "files": [{"path": "teams/teams.yaml"}]}}],
                  {"metadata": {"name": "{{ .team }}", "labels": {"owner": "{{ .owner }}",
                                                                 "from": "{{ .path.filename }}"}},
                   "spec": {"project": "{{ .team }}"}},
                  goTemplate=True, goTemplateOptions=["missingkey=error"])
    assert applications(spec, context(repo)) == [
        application("red", {"project": "red"}, labels={"owner": "alice", "from": "teams.yaml"}),
        application("blue", {"project": "blue"}, labels={"owner": "bob", "from": "teams.yaml"})]


def test_git_file_that_is_not_a_mapping_is_an_error_at_its_pattern(repo):
    write(repo, {"clusters/broken/config.json": "just text"})
    spec = appset([{"git": {"repoURL": REPO, "revision": "HEAD", "files": [
        {"path": "teams/*.yaml"}, {"path": "clusters/*/config.json"}]}}], {"metadata": {"name": "x"}, "spec": {}})
    with pytest.raises(ExpansionError) as error:
        expand(spec, context(repo))
    assert error.value.path == ("spec", "generators", 0, "git", "files", 1, "path")
    assert "clusters/broken/config.json" in error.value.message


def test_git_generator_on_another_repository_is_unsupported(repo):
    spec = appset([{"list": {"elements": [{"a": "b"}]}},
                   {"git": {"repoURL": "https://github.com/other/repo.git", "revision": "HEAD",
                            "directories": [{"path": "*"}]}}], {"metadata": {"name": "x"}, "spec": {}})
    with pytest.raises(ExpansionError) as error:
        expand(spec, context(repo))
    assert error.value.unsupported and error.value.path == ("spec", "generators", 1, "git", "repoURL")


def test_network_generators_are_unsupported(tmp_path):
    spec = appset([{"pullRequest": {"github": {"owner": "o", "repo": "r"}}}], {"metadata": {"name": "x"}, "spec": {}})
    with pytest.raises(ExpansionError) as error:
        expand(spec, context(tmp_path))
    assert error.value.unsupported and error.value.path == ("spec", "generators", 0, "pullRequest")


# --- matrix, merge, selector ----------------------------------------------------------------------

def test_matrix_second_child_uses_the_first_childs_parameters(repo):
    spec = appset([{"matrix": {"generators": [
        {"git": {"repoURL": REPO, "revision": "HEAD", "files": [{"path": "clusters/**/config.json"}]}},
        {"git": {"repoURL": REPO, "revision": "HEAD", "pathParamPrefix": "app",
                 "directories": [{"path": "apps/*"}, {"path": "apps/{{ .cluster.name }}", "exclude": True}]}},
    ]}}], {"metadata": {"name": "{{ .app.path.basename }}-{{ .cluster.name }}"},
           "spec": destination("{{ .cluster.address }}", "{{ .app.path.basename }}")},
        goTemplate=True, goTemplateOptions=["missingkey=error"])
    write(repo, {"apps/staging/kustomization.yaml": ""})
    names = [a["metadata"]["name"] for a in applications(spec, context(repo))]
    assert names == ["legacy-old", "payments_api-old", "staging-old", "web-old",
                     "legacy-prod-eu", "payments_api-prod-eu", "staging-prod-eu", "web-prod-eu",
                     "legacy-staging", "payments_api-staging", "web-staging"]


def test_matrix_fasttemplate_combines_string_parameters(tmp_path):
    spec = appset([{"matrix": {"generators": [
        {"clusters": {"selector": {"matchLabels": {"env": "prod"}}}},
        {"list": {"elements": [{"app": "web", "path": "apps/web/{{name}}"}, {"app": "api", "path": "apps/api"}]}},
    ]}}], {"metadata": {"name": "{{app}}-{{name}}"},
           "spec": {"project": "default", "source": {"path": "{{path}}"},
                    "destination": {"server": "{{server}}", "namespace": "{{app}}"}}})
    assert applications(spec, context(tmp_path, clusters())) == [
        application("web-prod_eu", {"project": "default", "source": {"path": "apps/web/prod_eu"},
                                    "destination": {"server": "https://prod.eks", "namespace": "web"}}),
        application("api-prod_eu", {"project": "default", "source": {"path": "apps/api"},
                                    "destination": {"server": "https://prod.eks", "namespace": "api"}})]


def test_matrix_fasttemplate_refuses_one_key_with_two_values(tmp_path):
    spec = appset([{"matrix": {"generators": [{"list": {"elements": [{"env": "a"}]}},
                                              {"list": {"elements": [{"env": "b"}]}}]}}],
                  {"metadata": {"name": "{{env}}"}, "spec": {}})
    with pytest.raises(ExpansionError) as error:
        expand(spec, context(tmp_path))
    assert error.value.path == ("spec", "generators", 0, "matrix", "generators")
    assert "'env'" in error.value.message


def test_merge_overrides_parameters_by_merge_key(tmp_path):
    spec = appset([{"merge": {"mergeKeys": ["server"], "generators": [
        {"clusters": {"values": {"revision": "main", "replicas": "1"}}},
        {"list": {"elements": [{"server": "https://prod.eks", "values.revision": "v2.0.0"},
                               {"server": "https://nowhere", "values.revision": "v9"}]}},
    ]}}], {"metadata": {"name": "{{name}}"},
           "spec": {"project": "default", "source": {"targetRevision": "{{values.revision}}"}}})
    assert [(a["metadata"]["name"], a["spec"]["source"]["targetRevision"])
            for a in applications(spec, context(tmp_path, clusters()))] == [
        ("staging", "main"), ("prod_eu", "v2.0.0"), ("in-cluster", "main")]


def test_merge_go_template_merges_nested_parameters(tmp_path):
    spec = appset([{"merge": {"mergeKeys": ["app"], "generators": [
        {"list": {"elements": [{"app": "web", "helm": {"chart": "web", "version": "1.0.0"}},
                               {"app": "api", "helm": {"chart": "api", "version": "1.0.0"}}]}},
        {"list": {"elements": [{"app": "api", "helm": {"version": "2.0.0"}}]}},
    ]}}], {"metadata": {"name": "{{ .app }}"},
           "spec": {"project": "default", "source": {"chart": "{{ .helm.chart }}",
                                                     "targetRevision": "{{ .helm.version }}"}}}, goTemplate=True)
    assert applications(spec, context(tmp_path)) == [
        application("web", {"project": "default", "source": {"chart": "web", "targetRevision": "1.0.0"}}),
        application("api", {"project": "default", "source": {"chart": "api", "targetRevision": "2.0.0"}})]


def test_merge_refuses_parameters_that_repeat_a_merge_key(tmp_path):
    spec = appset([{"merge": {"mergeKeys": ["app"], "generators": [
        {"list": {"elements": [{"app": "web"}, {"app": "web"}]}}, {"list": {"elements": []}}]}}],
        {"metadata": {"name": "{{app}}"}, "spec": {}})
    with pytest.raises(ExpansionError) as error:
        expand(spec, context(tmp_path))
    assert error.value.path == ("spec", "generators", 0, "merge", "generators", 0)


def test_post_selector_filters_on_flattened_parameters(repo):
    spec = appset([{"git": {"repoURL": REPO, "revision": "HEAD", "files": [{"path": "clusters/*/config.json"}],
                            "template": {"metadata": {"name": "{{cluster.name}}"}}},
                    "selector": {"matchLabels": {"cluster.name": "staging"}}},
                   {"list": {"elements": [{"env": "a", "tier": "1"}, {"env": "b", "tier": "2"}, {"env": "c"}],
                             "template": {"metadata": {"name": "{{env}}"}}},
                    "selector": {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["1"]}]}}],
                  {"metadata": {"name": "unused"}, "spec": {}})
    assert [a["metadata"]["name"] for a in applications(spec, context(repo))] == ["staging", "b", "c"]


def test_selector_with_an_unknown_operator_is_an_error(tmp_path):
    spec = appset([{"list": {"elements": [{"env": "a"}]},
                    "selector": {"matchExpressions": [{"key": "env", "operator": "Equals", "values": ["a"]}]}}],
                  {"metadata": {"name": "{{env}}"}, "spec": {}})
    with pytest.raises(ExpansionError) as error:
        expand(spec, context(tmp_path))
    assert error.value.path == ("spec", "generators", 0, "selector", "matchExpressions", 0, "operator")


# --- speed ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("go", [False, True])
def test_fifty_elements_expand_well_under_a_second(tmp_path, go):
    fields = ("{{ .name }}", "{{ .url }}") if go else ("{{name}}", "{{url}}")
    spec = appset([{"list": {"elements": [{"name": f"app{i}", "url": f"https://c{i}"} for i in range(50)]}}],
                  {"metadata": {"name": fields[0], "labels": {"app": fields[0]}},
                   "spec": {"project": "default", "source": {"repoURL": REPO, "path": f"apps/{fields[0]}"},
                            "destination": {"server": fields[1], "namespace": fields[0]}}}, goTemplate=go)
    expand(spec, context(tmp_path))  # loads the Helm library once
    start = time.perf_counter()
    apps = applications(spec, context(tmp_path))
    assert time.perf_counter() - start < 0.5
    assert apps[49]["metadata"]["name"] == "app49" and apps[49]["spec"]["destination"]["server"] == "https://c49"
