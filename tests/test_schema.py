"""Schema validation in the lint run: types, unknown fields, missing schemas, CRDs, versions."""

import json

import pytest

from gitops_gen.api import LintOptions, lint
from gitops_gen.errors import UserError

SCHEMA = ("SCH001", "SCH002", "SCH003")

SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports:
    - port: 80
      targetport: 8080
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: "3"
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27.3
          env:
            - {name: FEATURE, value: on}
"""
CERTIFICATE = """\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web, namespace: shop}
spec:
  secretName: web-tls
  dnsNames: [shop.example.com]
  issuerRef: {name: letsencrypt, kind: ClusterIssuer}
  duration: 2160h
  renewBefor: 360h
"""


@pytest.fixture
def write(tmp_path):
    def _write(name, text):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return str(path)
    return _write


def found(result):
    return [(p.code, p.line, p.column, p.message) for p in result.problems]


def run(*paths, **options):
    options.setdefault("select", SCHEMA)
    return lint(LintOptions(paths=paths, **options)).result


def test_unknown_field_under_strict_with_a_suggestion(write):
    problems = found(run(write("svc.yaml", SERVICE), k8s_version="1.30"))
    assert problems == [("SCH002", 8, 7, "unknown field spec.ports[0].targetport - "
                         "did you mean 'targetPort'?")]


def test_no_strict_accepts_unknown_fields(write):
    assert found(run(write("svc.yaml", SERVICE), k8s_version="1.30", strict=False)) == []


def test_type_errors_sit_on_the_value_and_explain_yaml_11_booleans(write):
    problems = found(run(write("d.yaml", DEPLOYMENT), k8s_version="1.30"))
    assert [(c, l, col) for c, l, col, _ in problems] == [("SCH001", 5, 13), ("SCH001", 14, 38)]
    assert "spec.replicas: expected integer, got string \"3\"" in problems[0][3]
    assert "unquoted 'on' is a boolean in YAML 1.1" in problems[1][3]


def test_valid_objects_pass_and_the_version_is_reported(write):
    ok = DEPLOYMENT.replace('replicas: "3"', "replicas: 3").replace("value: on", 'value: "on"')
    result = run(write("d.yaml", ok), k8s_version="1.31.4")
    assert found(result) == []
    assert result.k8s_version == "1.31"


def test_removed_api_is_reported_once_by_api001_with_its_replacement(write):
    pdb = "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: x}\n"
    problems = found(run(write("pdb.yaml", pdb), k8s_version="1.30",
                         select=SCHEMA + ("API001",)))
    assert [(c, l, col) for c, l, col, _ in problems] == [("API001", 1, 13)]
    assert "removed in 1.25" in problems[0][3] and "policy/v1" in problems[0][3]


def test_misspelt_kind_gets_a_suggestion(write):
    text = "apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: x}\n"
    (problem,) = found(run(write("x.yaml", text), k8s_version="1.30"))
    assert problem[0] == "SCH003" and "(Deployment)?" in problem[3]


def test_unknown_kubernetes_version_lists_the_available_ones(write):
    with pytest.raises(UserError) as error:
        run(write("svc.yaml", SERVICE), k8s_version="1.12")
    assert "1.30" in str(error.value) and "1.12" in str(error.value)


def test_multi_document_and_list_items_are_each_validated(write):
    text = ("apiVersion: v1\nkind: List\nitems:\n"
            "  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: a}\n    data: {n: 1}\n"
            "---\n" + SERVICE)
    problems = found(run(write("multi.yaml", text), k8s_version="1.30"))
    assert [(c, l, col) for c, l, col, _ in problems] == [("SCH001", 7, 15), ("SCH002", 16, 7)]


def test_bundled_crd_schemas_validate_custom_resources(write):
    problems = found(run(write("cert.yaml", CERTIFICATE), k8s_version="1.30"))
    assert [(c, l, col) for c, l, col, _ in problems] == [("SCH002", 9, 3)]
    assert "did you mean 'renewBefore'?" in problems[0][3]


def test_crds_in_the_linted_tree_are_picked_up(write):
    crd = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
"""
    widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: big}\n"
    folder = write("crds/widget-crd.yaml", crd)
    resource = write("app/widget.yaml", widget)
    without = found(run(resource, k8s_version="1.30"))
    assert [c for c, *_ in without] == ["SCH003"]
    with_tree = found(run(folder, resource, k8s_version="1.30"))
    assert [(c, l, col) for c, l, col, _ in with_tree] == [("SCH001", 4, 14)]
    with_flag = found(run(resource, k8s_version="1.30", crds=(folder,)))
    assert with_flag == with_tree


def test_schema_location_template(write, tmp_path):
    schema = {"type": "object", "required": ["spec"],
              "properties": {"spec": {"type": "object"}}}
    folder = tmp_path / "schemas" / "example.com"
    folder.mkdir(parents=True)
    (folder / "gadget_v1.json").write_text(json.dumps(schema))
    gadget = write("g.yaml", "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\n")
    template = str(tmp_path / "schemas" / "{{ .Group }}" / "{{.ResourceKind}}_{{.ResourceAPIVersion}}.json")
    problems = found(run(gadget, k8s_version="1.30", schema_locations=(template,)))
    assert [(c, l, col) for c, l, col, _ in problems] == [("SCH001", 1, 1)]
    assert "missing required field spec" in problems[0][3]


def test_remote_schema_location_is_refused(write):
    with pytest.raises(UserError):
        run(write("svc.yaml", SERVICE), schema_locations=("https://example.com/{{.ResourceKind}}.json",))


def test_kustomization_is_not_schema_checked(write):
    assert found(run(write("kustomization.yaml", "resources: [a.yaml]\n"))) == []


def test_default_version_is_the_newest_eks_offers(write):
    from gitops_gen.versions import default_k8s_version

    assert run(write("svc.yaml", SERVICE)).k8s_version == default_k8s_version()


def test_config_sets_versions_and_strictness_and_the_cli_wins(write, tmp_path):
    svc = write("m/svc.yaml", SERVICE)
    (tmp_path / ".gitops-gen.yaml").write_text(
        'k8s-version: "1.31"\ntarget-version: "1.33"\nstrict: false\n')
    result = run(svc)
    assert (result.k8s_version, result.target_version) == ("1.31", "1.33")
    assert found(result) == []                                  # strict: false from config
    assert [c for c, *_ in found(run(svc, strict=True, k8s_version="1.30"))] == ["SCH002"]


def test_config_version_must_be_a_quoted_string(write, tmp_path):
    svc = write("m/svc.yaml", SERVICE)
    (tmp_path / ".gitops-gen.yaml").write_text("k8s-version: 1.30\n")
    with pytest.raises(UserError) as error:
        run(svc)
    assert (error.value.line, error.value.column) == (1, 14)


@pytest.mark.parametrize(("text", "wanted"), [
    ("apiVersion: storage.k8s.io/v1beta1\nkind: VolumeAttributesClass\nmetadata: {name: x}\n",
     "not served yet in 1.30 (served from Kubernetes 1.31)"),
    ("apiVersion: gateway.networking.k8s.io/v1alpha9\nkind: HTTPRoute\nmetadata: {name: x}\n",
     "a custom resource; give its CRD"),
    ("apiVersion: v1\nkind: PodSpec\ncontainers: []\n",
     "PodSpec is a type inside other objects, not a kind the API serves"),
    ("apiVersion: apps/v1\nkind: DeploymentConditon\n", "check the apiVersion and kind"),
    ("apiVersion: apps/v2\nkind: Deployment\nmetadata: {name: x}\n",
     "Deployment is served as apps/v1"),
    ("apiVersion: apps/v1\nkind: deployment\nmetadata: {name: x}\n",
     "did you mean a different kind (Deployment)?"),
])
def test_unknown_kind_messages_say_what_is_wrong(write, text, wanted):
    (problem,) = found(run(write("x.yaml", text), k8s_version="1.30"))
    assert problem[0] == "SCH003" and wanted in problem[3], problem


def test_a_null_optional_field_of_a_custom_resource_is_pruned_not_an_error(write):
    text = CERTIFICATE.replace("  renewBefor: 360h\n", "  renewBefore: null\n  usages: ~\n")
    assert found(run(write("cert.yaml", text), k8s_version="1.30")) == []
    typed = CERTIFICATE.replace("  renewBefor: 360h\n",
                                "  usages: [null]\n  revisionHistoryLimit: \"5\"\n")
    problems = found(run(write("cert.yaml", typed), k8s_version="1.30"))
    assert {(c, l) for c, l, _, _ in problems} == {("SCH001", 9), ("SCH001", 10)}


def test_files_mentioning_reads_each_file_once_for_every_mark(tmp_path, monkeypatch):
    import os

    from gitops_gen.lint import sources as source_files

    (tmp_path / "crd.yaml").write_text("kind: CustomResourceDefinition\n")
    (tmp_path / "app.yaml").write_text("apiVersion: argoproj.io/v1alpha1\nkind: Application\n")
    (tmp_path / "plain.yaml").write_text("kind: ConfigMap\n")
    os.mkfifo(tmp_path / "pipe.yaml")  # never opened: counted as holding every mark
    found, skipped = source_files.discover([str(tmp_path)])
    reads = []
    real_read = source_files._read_regular
    monkeypatch.setattr(source_files, "_read_regular", lambda p: reads.append(p) or real_read(p))
    marked = source_files.files_mentioning(found, ("CustomResourceDefinition", "argoproj.io"))
    names = {mark: sorted(os.path.basename(p) for p in paths) for mark, paths in marked.items()}
    assert names == {"CustomResourceDefinition": ["crd.yaml", "pipe.yaml"],
                     "argoproj.io": ["app.yaml", "pipe.yaml"]}
    assert sorted(reads) == sorted(s.path for s in found)


def test_each_object_of_a_kind_is_checked_after_the_first_passes(write):
    """Objects of a kind whose schema is known are checked on their own: an invalid one after a
    valid one, and keys that are not strings (read as Kubernetes reads them)."""
    configmaps = "---\n".join(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {data}\n"
        for name, data in (("a", "{n: '1'}"), ("b", "{n: 1}"), ("c", "{1: x}"), ("d", "{2: 2}"),
                           ("e", "{n: x}")))
    problems = found(run(write("configmaps.yaml", configmaps), k8s_version="1.30"))
    assert [(c, l, col) for c, l, col, _ in problems] == [("SCH001", 9, 11), ("SCH001", 19, 7)]


def test_a_crd_registered_later_replaces_the_schema_checked_before():
    from gitops_gen.schema.validate import SchemaSettings, SchemaStore

    def crd(size_type):
        return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": "widgets.example.com"},
                "spec": {"group": "example.com", "scope": "Namespaced",
                         "names": {"kind": "Widget", "plural": "widgets"},
                         "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                             "openAPIV3Schema": {"type": "object", "properties": {"spec": {
                                 "type": "object",
                                 "properties": {"size": {"type": size_type}}}}}}}]}}

    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
              "spec": {"size": 3}}
    store = SchemaStore(SchemaSettings("1.30"))
    store.add_crds([crd("integer")])
    assert list(store.check("example.com/v1", "Widget", widget, lambda _: None)) == []
    assert list(store.check("example.com/v1", "Widget", widget, lambda _: None)) == []
    store.add_crds([crd("string")])
    assert [p.code for p in store.check("example.com/v1", "Widget", widget,
                                        lambda _: None)] == ["SCH001"]
