"""The input side of a lint run, through `gitops_gen.api.lint`: which files are read, how YAML is
read (errors, duplicate keys, aliases, YAML 1.1 scalars), which documents become objects, inline
ignores, config exclusions and config errors. Every position is 1-based and checked exactly.
"""

import dataclasses
import pathlib
import time

import pytest

from gitops_gen.api import LintOptions, lint
from gitops_gen.errors import ConfigError, UserError
from gitops_gen.lint import registry

# K8S202 (privileged-container) fires on line 8, column 37 of POD: a rule with an exact,
# easily counted position, used to show which documents were linted.
POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
    - name: app
      image: registry.example.com/app:1.0.0
      securityContext: {privileged: true}
"""
PRIVILEGED = ("K8S202",)


@pytest.fixture
def write(tmp_path, monkeypatch):
    """Write files under tmp_path; an empty config there stops the search for one above it."""
    (tmp_path / ".gitops-gen.yaml").write_text("")
    monkeypatch.chdir(tmp_path)

    def _write(name: str, content: str | bytes) -> pathlib.Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        return path

    return _write


def run(*paths, select=PRIVILEGED, **options):
    return lint(LintOptions(paths=tuple(str(p) for p in paths), select=select, **options)).result


def found(result):
    """(code, file name, line, column) of every problem, in report order."""
    return [(p.code, pathlib.PurePath(p.file).name, p.line, p.column) for p in result.problems]


# -- reading YAML


def test_parse_error_is_reported_where_reading_stopped_and_the_run_goes_on(write):
    bad = write("bad.yaml", POD + "---\n"
                "apiVersion: v1\n"
                "kind: Pod\n"
                "metadata:\n"
                "  name: two\n"
                "   bad: indent\n")                      # line 14: the ':' at column 7
    good = write("good.yaml", POD)
    result = run(bad, good, select=PRIVILEGED + ("GG001",))
    assert found(result) == [("K8S202", "bad.yaml", 8, 37),   # the document before the error
                             ("GG001", "bad.yaml", 14, 7),
                             ("K8S202", "good.yaml", 8, 37)]
    assert result.files == 2
    assert result.resources == 2
    parse_error = result.problems[1]
    assert parse_error.name == "parse-error"
    assert parse_error.message.startswith("invalid YAML: ")
    assert parse_error.resource is None


def test_unclosed_flow_mapping_is_a_parse_error(write):
    path = write("a.yaml", "apiVersion: v1\nkind: ConfigMap\ndata: {a: 1\n")
    # libyaml notices at the end of the stream: line 4, column 1
    assert found(run(path, select=("GG001",))) == [("GG001", "a.yaml", 4, 1)]


def test_duplicate_key_is_reported_at_the_second_key_and_the_last_value_wins(write):
    path = write("dup.yaml", POD.replace("{privileged: true}",
                                         "{privileged: false, privileged: true}")
                 .replace("metadata: {name: web, namespace: shop}",
                          "metadata:\n  name: web\n  name: api"))
    result = run(path, select=PRIVILEGED + ("GG002",))
    # metadata now spans lines 3-5 (`name: api` on line 5); securityContext is on line 10
    assert found(result) == [("GG002", "dup.yaml", 5, 3),
                             ("GG002", "dup.yaml", 10, 44),
                             ("K8S202", "dup.yaml", 10, 56)]
    assert "'name'" in result.problems[0].message
    assert result.problems[2].resource.name == "api"


def test_binary_file_is_unreadable(write):
    binary = write("logo.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    good = write("pod.yaml", POD)
    result = run(binary, good, select=PRIVILEGED + ("GG003",))
    assert found(result) == [("GG003", "logo.yaml", 1, 1), ("K8S202", "pod.yaml", 8, 37)]
    assert "binary" in result.problems[0].message
    assert result.problems[0].name == "unreadable-file"


def test_invalid_utf8_is_unreadable_and_names_the_byte(write):
    path = write("latin1.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n")
    result = run(path, select=("GG003",))
    assert found(result) == [("GG003", "latin1.yaml", 1, 1)]
    assert "not UTF-8" in result.problems[0].message
    assert "byte 51" in result.problems[0].message      # 15 + 16 + len("metadata: {name: caf")


def test_utf8_byte_order_mark_is_accepted_without_shifting_columns(write):
    path = write("bom.yaml", b"\xef\xbb\xbf" + POD.encode())
    assert found(run(path, select=PRIVILEGED + ("GG001", "GG003"))) == [
        ("K8S202", "bom.yaml", 8, 37)]


def _billion_laughs() -> str:
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: lol}", "data:",
             '  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"  {name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_quickly_and_later_documents_are_linted(write):
    path = write("bomb.yaml", _billion_laughs() + "---\n" + POD)
    started = time.perf_counter()
    result = run(path, select=PRIVILEGED + ("GG001", "GG005"))
    assert time.perf_counter() - started < 2
    # The refusal is reported at the anchored node whose expansion crosses the limit: `&d` on
    # line 8 (9**9 lols in all; each `*d` in `e` adds 7381 nodes to the 8289 already added).
    # The ConfigMap is not linted; the Pod after it (lines 15-22) is.
    assert found(result) == [("GG005", "bomb.yaml", 8, 6), ("K8S202", "bomb.yaml", 22, 37)]
    assert result.problems[0].name == "alias-bomb"
    assert result.resources == 1
    assert result.skipped_documents == 1


def test_ordinary_aliases_and_merge_keys_are_expanded(write):
    path = write("merge.yaml", """\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: {name: a}
    spec:
      containers:
        - &app {name: app, securityContext: &privileged {privileged: true}}
  - apiVersion: v1
    kind: Pod
    metadata: {name: b}
    spec:
      containers:
        - *app
        - <<: *app
          name: other
          securityContext: {<<: *privileged}
""")
    result = run(path, select=PRIVILEGED + ("GG001", "GG002", "GG005"))
    # an alias shares the anchored node, so its findings point at the anchor's text (line 9);
    # merged keys that the mapping does not spell out point at the deepest key that it does
    assert found(result) == [("K8S202", "merge.yaml", 9, 70),
                             ("K8S202", "merge.yaml", 9, 70),
                             ("K8S202", "merge.yaml", 18, 28)]
    assert result.resources == 2


@pytest.mark.parametrize(("text", "line", "column"), [
    ("apiVersion: v1\nkind: ConfigMap\ndata: &d {self: *d}\n", 3, 7),
    ("a: &a [1, [2, *a]]\n", 1, 4),
])
def test_recursive_alias_is_a_parse_error(write, text, line, column):
    path = write("loop.yaml", text + "---\n" + POD)
    result = run(path, select=PRIVILEGED + ("GG001", "GG005"))
    assert found(result) == [("GG001", "loop.yaml", line, column),
                             ("K8S202", "loop.yaml", text.count("\n") + 9, 37)]
    assert "recursive alias" in result.problems[0].message


def test_deep_nesting_is_a_parse_error_not_a_crash(write):
    path = write("deep.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n")
    result = run(path, select=("GG001",))
    assert [(p.code, p.line) for p in result.problems] == [("GG001", 1)]


CONTROL_CHARACTER = POD + ("---\n"
                           "apiVersion: v1\n"
                           "kind: ConfigMap\n"
                           "metadata: {name: \x07}\n")          # line 12, column 18


def test_control_character_is_a_parse_error_at_its_position(write):
    path = write("ctrl.yaml", CONTROL_CHARACTER)
    result = run(path, select=PRIVILEGED + ("GG001",))
    assert ("GG001", "ctrl.yaml", 12, 18) in found(result)
    assert "\n" not in result.problems[-1].message


@pytest.mark.parametrize(("text", "line", "column"), [
    ("name: caf\u00e9\nvalue: \x07\n", 2, 8),
    ("\u00e9\u00e9\u00e9\n\u00e9\u00e9\u00e9: \x07\n", 2, 6),
])
def test_control_character_after_non_ascii_text_is_placed_exactly(write, text, line, column):
    path = write("ctrl.yaml", text)
    assert found(run(path, select=("GG001",))) == [("GG001", "ctrl.yaml", line, column)]


def test_documents_before_a_control_character_are_still_linted(write):
    path = write("ctrl.yaml", CONTROL_CHARACTER)
    result = run(path, select=PRIVILEGED + ("GG001",))
    assert found(result) == [("K8S202", "ctrl.yaml", 8, 37), ("GG001", "ctrl.yaml", 12, 18)]


@pytest.mark.parametrize("value", ["!!int abc", "!!int", "!!float x", "!!bool maybe", "0x_",
                                   "-0b_"])
def test_scalar_that_cannot_be_constructed_does_not_stop_the_run(write, value):
    bad = write("bad.yaml", f"apiVersion: v1\nkind: ConfigMap\ndata:\n  size: {value}\n")
    good = write("good.yaml", POD)
    result = run(bad, good, select=PRIVILEGED + ("GG001",))
    # once these made api.lint raise (the YAML constructors' ValueError, IndexError, KeyError)
    assert found(result) == [("GG001", "bad.yaml", 4, 9), ("K8S202", "good.yaml", 8, 37)]
    assert "is not a valid" in result.problems[0].message


@pytest.mark.parametrize("value", ["on", "On", "ON", "yes", "Yes", "YES", "true", "True"])
def test_yaml_11_booleans_are_booleans(write, value):
    path = write("pod.yaml", POD.replace("privileged: true", f"privileged: {value}"))
    assert found(run(path)) == [("K8S202", "pod.yaml", 8, 37)]


@pytest.mark.parametrize("value", ['"on"', "'yes'", "enabled", "1"])
def test_strings_and_numbers_are_not_booleans(write, value):
    path = write("pod.yaml", POD.replace("privileged: true", f"privileged: {value}"))
    assert found(run(path)) == []


def test_yaml_11_booleans_in_the_config(write, tmp_path):
    (tmp_path / ".gitops-gen.yaml").write_text("inline-ignores: off\n")
    path = write("pod.yaml", POD.replace(
        "metadata: {name: web, namespace: shop}",
        "metadata:\n  name: web\n  annotations: {ignore.gitops-gen.io/K8S202: known}"))
    assert found(run(path)) == [("K8S202", "pod.yaml", 10, 37)]


# -- documents and objects


def test_documents_without_api_version_and_kind_are_skipped_and_counted(write):
    path = write("mixed.yaml", """\
kind: Pod
---
apiVersion: v1
---
- a list
---
just a string
---
{apiVersion: "", kind: Pod}
---
{apiVersion: v1, kind: 3}
---
apiVersion: v1
kind: Pod
spec:
  containers: [{name: a, securityContext: {privileged: true}}]
""")
    result = run(path)
    assert found(result) == [("K8S202", "mixed.yaml", 16, 56)]
    assert result.skipped_documents == 6
    assert result.resources == 1


def test_multi_document_positions_count_from_the_start_of_the_file(write):
    path = write("multi.yaml", POD + "---\n" + POD.replace("name: web", "name: api") + "...\n---\n"
                 + POD.replace("name: web", "name: db"))
    result = run(path)
    # second Pod on lines 10-17, `...` 18, `---` 19, third Pod on lines 20-27
    assert found(result) == [("K8S202", "multi.yaml", 8, 37), ("K8S202", "multi.yaml", 17, 37),
                             ("K8S202", "multi.yaml", 27, 37)]
    assert [p.resource.name for p in result.problems] == ["web", "api", "db"]
    assert result.resources == 3


def test_list_is_expanded_with_positions_inside_its_items(write):
    path = write("list.yaml", """\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: c}
  - just a string
  - kind: NoApiVersion
  - apiVersion: v1
    kind: Pod
    metadata: {name: p}
    spec:
      containers:
        - name: app
          securityContext:
            privileged: true
""")
    result = run(path)
    assert found(result) == [("K8S202", "list.yaml", 16, 25)]
    assert result.problems[0].path == "items[3].spec.containers[0].securityContext.privileged"
    assert result.problems[0].resource.name == "p"
    assert result.resources == 2               # the ConfigMap and the Pod, not the List
    assert result.skipped_documents == 2       # the string and the item without apiVersion


def test_empty_documents_and_empty_files(write):
    empties = write("empties.yaml", "---\n---\n# only a comment\n---\n\n...\n---\n" + POD)
    empty = write("empty.yaml", "")
    comment = write("comment.yaml", "# nothing here\n")
    result = run(empties, empty, comment, select=PRIVILEGED + ("GG001",))
    assert found(result) == [("K8S202", "empties.yaml", 15, 37)]
    assert result.files == 3
    assert result.resources == 1
    assert result.skipped_documents == 3       # the three null documents of empties.yaml


# -- which files are read


def test_walking_a_folder_skips_hidden_entries_helm_templates_and_other_suffixes(write, tmp_path):
    for name in ("apps/web.yaml", "apps/api.yml", "apps/notes.txt", "apps/upper.json",
                 "apps/.draft.yaml", ".git/config.yaml", "apps/.cache/old.yaml",
                 "chart/templates/deployment.yaml", "chart/values.yaml",
                 "notachart/templates/pod.yaml"):
        write(name, POD)
    write("chart/Chart.yaml", "apiVersion: v2\nname: chart\nversion: 1.0.0\n")
    result = run(tmp_path)
    assert sorted(pathlib.Path(p.file).relative_to(tmp_path).as_posix()
                  for p in result.problems) == ["apps/api.yml", "apps/web.yaml",
                                                "chart/values.yaml",
                                                "notachart/templates/pod.yaml"]
    assert result.skipped_files == [(str(tmp_path / "chart" / "templates"),
                                     "Helm chart templates are not plain manifests")]
    # the four files above and Chart.yaml; the dot-named config file is not walked
    assert result.files == 5
    assert result.skipped_documents == 1       # Chart.yaml has no kind


def test_files_named_explicitly_are_read_whatever_their_name(write):
    hidden = write("apps/.draft.yaml", POD)
    text = write("apps/notes.txt", POD)
    result = run(hidden, text)
    assert found(result) == [("K8S202", ".draft.yaml", 8, 37), ("K8S202", "notes.txt", 8, 37)]


def test_a_file_given_twice_is_read_once(write, tmp_path):
    path = write("pod.yaml", POD)
    result = run(path, "pod.yaml", tmp_path)
    assert len(result.problems) == 1
    assert result.files == 1


def test_relative_paths_are_reported_as_given(write):
    write("apps/pod.yaml", POD)
    assert [p.file for p in run("apps").problems] == ["apps/pod.yaml"]
    assert [p.file for p in run("./apps/pod.yaml").problems] == ["apps/pod.yaml"]


def test_nonexistent_path_is_a_user_error(write):
    write("pod.yaml", POD)
    with pytest.raises(UserError, match="no such file or folder: missing.yaml") as error:
        run("pod.yaml", "missing.yaml")
    assert error.value.hint and "stdin" in error.value.hint


def test_stdin(write):
    result = run("-", stdin_text=POD)
    assert [(p.code, p.file, p.line, p.column) for p in result.problems] == [
        ("K8S202", "<stdin>", 8, 37)]
    named = run("-", stdin_text=POD, stdin_name="apps/web.yaml")
    assert [p.file for p in named.problems] == ["apps/web.yaml"]
    assert run("-", stdin_text=None).files == 1


def test_stdin_positions_for_cross_resource_rules(write):
    deployment = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
"""
    result = run("-", stdin_text="---\n" + deployment, select=("K8S107",))
    assert [(p.code, p.file, p.line, p.column) for p in result.problems] == [
        ("K8S107", "<stdin>", 6, 13)]


def test_stdin_with_files(write):
    path = write("pod.yaml", POD)
    result = run("-", path, stdin_text=POD)
    assert sorted(pathlib.PurePath(p.file).name for p in result.problems) == [
        "<stdin>", "pod.yaml"]
    assert result.files == 2


# -- inline ignores

IGNORED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    ignore.gitops-gen.io/privileged-container: "node agent, needs the host network stack"
    ignore.gitops-gen.io/no-such-rule: "typo"
    ignore.gitops-gen.io/K8S101: ""
    ignore.gitops-gen.io/liveness-probe-missing: "   "
    not-an-ignore: "x"
spec:
  template:
    metadata:
      annotations:
        ignore.gitops-gen.io/k8s209: "pinned by digest in the overlay"
        ignore.gitops-gen.io/k8s21: "reason"
    spec:
      containers:
        - name: app
          image: nginx
          securityContext: {privileged: true}
---
apiVersion: v1
kind: Pod
metadata: {name: other}
spec:
  containers: [{name: app, image: nginx, securityContext: {privileged: true}}]
"""
IGNORE_RULES = ("K8S101", "K8S202", "K8S209", "GG004")


def test_inline_ignores_suppress_their_rule_for_the_object(write):
    path = write("ignored.yaml", IGNORED)
    result = run(path, select=IGNORE_RULES)
    assert found(result) == [
        ("GG004", "ignored.yaml", 7, 5),       # unknown rule
        ("GG004", "ignored.yaml", 8, 5),       # empty reason
        ("GG004", "ignored.yaml", 9, 5),       # blank reason
        ("GG004", "ignored.yaml", 16, 9),      # unknown rule in the pod template
        ("K8S101", "ignored.yaml", 19, 11),    # its ignores give no reason, so they do not count
        ("K8S101", "ignored.yaml", 27, 16),    # the ignores of the Deployment stop at it
        ("K8S209", "ignored.yaml", 27, 35),
        ("K8S202", "ignored.yaml", 27, 72),
    ]
    assert result.suppressed == 2              # K8S202 and K8S209 on the Deployment
    messages = [p.message for p in result.problems[:4]]
    assert "unknown rule 'no-such-rule'" in messages[0]
    assert "K8S101 (liveness-probe-missing) gives no reason" in messages[1]
    assert result.problems[0].path == "metadata.annotations.ignore.gitops-gen.io/no-such-rule"


def test_inline_ignores_can_be_turned_off(write, tmp_path):
    path = write("ignored.yaml", IGNORED)
    result = run(path, select=IGNORE_RULES, inline_ignores=False)
    codes = [(p.code, p.line) for p in result.problems if p.code != "GG004"]
    assert codes == [("K8S101", 19), ("K8S209", 20), ("K8S202", 21), ("K8S101", 27),
                     ("K8S209", 27), ("K8S202", 27)]
    assert result.suppressed == 0
    (tmp_path / ".gitops-gen.yaml").write_text("inline-ignores: false\n")
    from_config = run(path, select=IGNORE_RULES)
    assert [(p.code, p.line) for p in from_config.problems if p.code != "GG004"] == codes
    assert from_config.suppressed == 0


def test_invalid_ignore_is_only_reported_when_its_rule_is_active(write):
    path = write("ignored.yaml", IGNORED)
    result = run(path, select=("K8S202",))
    assert found(result) == [("K8S202", "ignored.yaml", 27, 72)]
    assert result.suppressed == 1


# -- config exclusions


def test_config_exclusions(write, tmp_path):
    (tmp_path / ".gitops-gen.yaml").write_text("""\
exclude:
  - paths: [legacy/broken.yaml, "vendor/**"]
    reason: vendored, never applied
  - namespaces: [kube-system]
    rules: [privileged-container]
    reason: system agents
  - kinds: [DaemonSet]
    names: ["debug-*"]
    reason: debugging tools
  - paths: [generated]
    rules: [GG001, K8S209]
    reason: generated, fixed upstream
""")
    write("legacy/broken.yaml", "garbage: [\n")
    write("vendor/a/b.yaml", POD)
    write("apps/web.yaml", POD)
    write("apps/agent.yaml", POD.replace("namespace: shop", "namespace: kube-system"))
    write("apps/debug.yaml", """\
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: debug-net, namespace: shop}
spec:
  template:
    spec:
      containers:
        - name: app
          image: registry.example.com/app:1.0.0
          securityContext: {privileged: true}
""")
    write("generated/pod.yaml", POD.replace("registry.example.com/app:1.0.0", "nginx")
          + "---\nbroken: [\n")
    result = run(tmp_path, select=("K8S202", "K8S209", "GG001"))
    assert found(result) == [("K8S202", "web.yaml", 8, 37), ("K8S202", "pod.yaml", 8, 37)]
    assert (str(tmp_path / "legacy" / "broken.yaml"), "excluded by config") in result.skipped_files
    assert (str(tmp_path / "vendor" / "a" / "b.yaml"), "excluded by config") in result.skipped_files
    # agent (K8S202), debug-net (K8S202), generated/pod.yaml (K8S209 and GG001)
    assert result.suppressed == 4
    assert result.files == 4


def test_config_exclusion_paths_are_relative_to_the_config(write, tmp_path, monkeypatch):
    (tmp_path / ".gitops-gen.yaml").write_text("exclude:\n  - paths: [apps/skip.yaml]\n")
    write("apps/skip.yaml", POD)
    keep = write("apps/keep.yaml", POD)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = run(tmp_path / "apps")
    assert [pathlib.Path(p.file) for p in result.problems] == [keep]


def test_config_given_explicitly_wins_over_the_one_found(write, tmp_path):
    explicit = tmp_path / "strict.yaml"
    explicit.write_text("rules:\n  privileged-container: {severity: info}\n")
    path = write("pod.yaml", POD)
    run_ = lint(LintOptions(paths=(str(path),), select=PRIVILEGED, config=str(explicit)))
    assert run_.config_file == str(explicit)
    assert [p.severity.value for p in run_.result.problems] == ["info"]


# -- config errors


def _config_error(tmp_path, text) -> ConfigError:
    (tmp_path / ".gitops-gen.yaml").write_text(text)
    with pytest.raises(ConfigError) as error:
        run(tmp_path / "pod.yaml")
    assert isinstance(error.value, UserError)
    assert error.value.file == str(tmp_path / ".gitops-gen.yaml")
    return error.value


@pytest.mark.parametrize(("text", "line", "column", "message", "hint"), [
    ("fail-on: error\nexclud:\n  - paths: [x]\n", 2, 1,
     "unknown key 'exclud' in the config", "did you mean 'exclude'?"),
    ("rules:\n  K8S110:\n    option:\n      min-replicas: 3\n", 3, 5,
     "unknown key 'option' in rule K8S110 (hpa-min-replicas-too-low)", "did you mean 'options'?"),
    ("rules:\n  K8S110:\n    options: {min-replica: 3}\n", 3, 15,
     "unknown key 'min-replica' in options of K8S110", "did you mean 'min-replicas'?"),
    ("exclude:\n  - rules: [privileged-containr]\n", 2, 13,
     "unknown rule 'privileged-containr'", "did you mean 'privileged-container'?"),
    ("exclude:\n  - namespace: [kube-system]\n", 2, 5,
     "unknown key 'namespace' in an exclusion", "did you mean 'namespaces'?"),
])
def test_unknown_config_keys_are_errors_with_a_hint(write, tmp_path, text, line, column,
                                                    message, hint):
    write("pod.yaml", POD)
    error = _config_error(tmp_path, text)
    assert (error.line, error.column) == (line, column)
    assert error.message == message
    assert error.hint == hint
    assert str(error) == f"{tmp_path / '.gitops-gen.yaml'}:{line}:{column}: {message} ({hint})"


@pytest.mark.parametrize(("text", "line", "column", "message"), [
    ("rules:\n  hpa-min-replicas-too-low:\n    severity: critical\n", 3, 15,
     "invalid severity 'critical'"),
    ("rules:\n  K8S110: {severity: 2}\n", 2, 22, "invalid severity 2"),
    ("fail-on: always\n", 1, 10, "invalid fail-on 'always'"),
    ("rules:\n  K8S110:\n    options:\n      min-replicas: \"3\"\n", 4, 21,
     "option min-replicas of K8S110: expected an integer, got '3'"),
    ("rules:\n  K8S110:\n    options: {min-replicas: true}\n", 3, 29,
     "option min-replicas of K8S110: expected an integer, got True"),
    ("rules:\n  K8S110:\n    options: {min-replicas: 0}\n", 3, 29,
     "option min-replicas of K8S110: must be at least 1, got 0"),
    ("rules:\n  K8S209:\n    options: {allowed-tags: stable}\n", 3, 29,
     "option allowed-tags of K8S209: expected a list of strings, got 'stable'"),
    ("rules:\n  K8S110: {enabled: maybe}\n", 2, 21, "enabled must be true or false"),
    ("inline-ignores: sometimes\n", 1, 17, "inline-ignores must be true or false"),
    ("exclude: {paths: [x]}\n", 1, 10, "exclude must be a list of exclusions"),
    ("exclude:\n  - reason: nothing to match\n", 2, 5,
     "an exclusion needs at least one of paths, kinds, namespaces, names, rules"),
    ("exclude:\n  - paths: [x]\n    reason: [not, text]\n", 3, 13, "reason must be a string"),
    ("rules: [K8S110]\n", 1, 8, "rules must be a mapping, got a list"),
    ("- just\n- a list\n", 1, 1, "the config must be a mapping, got a list"),
])
def test_invalid_config_values_are_errors_at_their_position(write, tmp_path, text, line, column,
                                                            message):
    write("pod.yaml", POD)
    error = _config_error(tmp_path, text)
    assert (error.line, error.column, error.message) == (line, column, message)


def test_config_yaml_errors_are_config_errors(write, tmp_path):
    write("pod.yaml", POD)
    error = _config_error(tmp_path, "rules:\n  K8S110: {enabled: true}\nrules: {}\n")
    assert (error.line, error.column) == (3, 1)
    assert "duplicate key 'rules'" in error.message
    error = _config_error(tmp_path, "rules: [\n")
    assert error.line == 2 and error.hint == "fix the YAML"


def test_config_options_reach_the_rule(write, tmp_path):
    (tmp_path / ".gitops-gen.yaml").write_text(
        "rules:\n  hpa-min-replicas-too-low:\n    severity: error\n"
        "    options: {min-replicas: 3}\n")
    path = write("hpa.yaml", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
                 "metadata: {name: web}\nspec: {minReplicas: 2, maxReplicas: 5}\n")
    result = run(path, select=("K8S110",))
    assert [(p.code, p.severity.value, p.line, p.column, p.message) for p in result.problems] == [
        ("K8S110", "error", 4, 21, "minReplicas is 2; at least 3 expected")]


# -- rules that fail


def _failing(rule_code, monkeypatch):
    def boom(*_args):
        raise RuntimeError("boom")
        yield  # pragma: no cover

    rule = registry.load_rules()[rule_code]
    monkeypatch.setitem(registry.REGISTRY, rule_code, dataclasses.replace(rule, check=boom))


def test_a_failing_object_rule_is_an_internal_error_on_the_object(write, monkeypatch):
    _failing("K8S202", monkeypatch)
    path = write("pod.yaml", "# leading comment\n" + POD)
    result = run(path, select=("K8S202", "K8S209"))
    assert found(result) == [("GG000", "pod.yaml", 2, 1)]
    assert "rule K8S202 (privileged-container) failed on this object: RuntimeError: boom" \
        in result.problems[0].message


def test_a_failing_set_rule_is_reported_even_when_only_it_is_selected(write, monkeypatch):
    _failing("K8S107", monkeypatch)
    path = write("deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n")
    result = run(path, select=("K8S107",))
    assert [p.code for p in result.problems] == ["GG000"]
