"""The linter never crashes or hangs: odd files, odd folders, odd input and odd YAML are findings
with a position (or a clean exit code), never a traceback, a hang or a silent pass."""

import os
import pathlib

import pytest
from click.testing import CliRunner

from gitops_gen import cli
from gitops_gen.api import LintOptions, lint
from gitops_gen.lint import sources
from gitops_gen.lint.yamlcompose import parse_composed
from gitops_gen.lint.yamlnorm import MAX_DEPTH, nesting_depth

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


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A folder with an empty config, as the current folder (no config above it counts)."""
    (tmp_path / ".gitops-gen.yaml").write_text("")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*paths, select=("GG003", "K8S202"), **options):
    return lint(LintOptions(paths=tuple(str(p) for p in paths), select=select or (), render=False,
                            **options)).result


def found(result):
    return [(p.code, pathlib.PurePath(p.file).name, p.line, p.column) for p in result.problems]


# -- what is read


def test_a_named_pipe_behind_a_yaml_name_is_a_finding_not_a_hang(folder):
    (folder / "manifests").mkdir()
    os.mkfifo(folder / "manifests" / "pipe.yaml")       # opening it would block forever
    (folder / "manifests" / "pod.yaml").write_text(POD)
    result = run(folder / "manifests")
    assert found(result) == [("GG003", "pipe.yaml", 1, 1), ("K8S202", "pod.yaml", 8, 37)]
    assert "named pipe" in result.problems[0].message


def test_a_device_is_a_finding_not_endless_reading(folder):
    (folder / "zero.yaml").symlink_to("/dev/zero")      # reading it never ends
    result = run("zero.yaml", "/dev/null")
    assert found(result) == [("GG003", "null", 1, 1), ("GG003", "zero.yaml", 1, 1)]
    assert all("character device" in p.message for p in result.problems)


def test_a_file_over_the_size_limit_is_a_finding(folder, monkeypatch):
    monkeypatch.setattr(sources, "MAX_FILE_BYTES", len(POD) - 1)
    (folder / "big.yaml").write_text(POD)
    (folder / "small.yaml").write_text(POD[:40])
    result = run(folder)
    assert found(result) == [("GG003", "big.yaml", 1, 1)]
    assert f"larger than the limit of {len(POD) - 1} bytes" in result.problems[0].message


def test_a_file_that_grows_after_its_size_is_read_is_read_to_its_end_or_the_limit(
        folder, monkeypatch):
    """The size stat gives is a first guess: a file written meanwhile (or a special file of
    size 0) is read on, a part at a time, up to the limit."""
    real_stat = os.stat

    def stale_stat(path, *args, **kwargs):  # as if each file was 10 bytes when looked at
        info = real_stat(path, *args, **kwargs)
        return os.stat_result((*info[:6], 10, *info[7:]))

    (folder / "pod.yaml").write_text(POD * 3)
    monkeypatch.setattr(sources.os, "stat", stale_stat)
    monkeypatch.setattr(sources, "_MORE", 7)
    assert sources.read_file("pod.yaml") == POD * 3
    monkeypatch.setattr(sources, "MAX_FILE_BYTES", len(POD) * 2)
    result = run("pod.yaml")
    assert found(result) == [("GG003", "pod.yaml", 1, 1)]
    assert f"larger than the limit of {len(POD) * 2} bytes" in result.problems[0].message


def test_a_file_of_the_size_stat_gives_is_read_in_one_read_and_a_shrunk_one_to_its_end(
        folder, monkeypatch):
    """Asking for a byte more than the size reads to the end: no second read to see it. A
    file shorter than stat said (cut meanwhile) is read on until a read returns nothing."""
    (folder / "pod.yaml").write_text(POD)
    reads = []
    real_read = os.read

    def counted_read(descriptor, size):
        reads.append(size)
        return real_read(descriptor, size)

    monkeypatch.setattr(sources.os, "read", counted_read)
    assert sources.read_file("pod.yaml") == POD
    assert reads == [len(POD) + 1]
    real_stat = os.stat

    def stale_stat(path, *args, **kwargs):  # as if the file was 10 bytes longer
        info = real_stat(path, *args, **kwargs)
        return os.stat_result((*info[:6], info.st_size + 10, *info[7:]))

    monkeypatch.setattr(sources.os, "stat", stale_stat)
    reads.clear()
    assert sources.read_file("pod.yaml") == POD
    assert len(reads) == 2


def test_a_byte_order_mark_is_dropped_once_and_bad_bytes_after_it_are_not_text(folder):
    assert sources.decode(b"\xef\xbb\xbf\xef\xbb\xbfa: 1\n") == ("\ufeffa: 1\n", None)
    assert sources.decode("a: é\n".encode()) == ("a: é\n", None)
    text, why = sources.decode(b"\xef\xbb\xbfa: caf\xe9\n")
    assert text is None and why == "not UTF-8 text (byte 9: b'\\xe9')"  # counted in the file


def test_stdin_over_the_size_limit_is_a_finding(folder, monkeypatch):
    monkeypatch.setattr(sources, "MAX_FILE_BYTES", 100)
    result = run("-", stdin_text=POD.encode())
    assert found(result) == [("GG003", "<stdin>", 1, 1)]


def test_a_folder_that_cannot_be_listed_is_a_finding(folder, monkeypatch):
    (folder / "ok").mkdir()
    (folder / "ok" / "pod.yaml").write_text(POD)
    (folder / "locked").mkdir()
    (folder / "locked" / "pod.yaml").write_text(POD)
    real_scandir = os.scandir

    def scandir(path="."):  # chmod 000 does not stop root, who may run the tests
        if os.path.basename(os.fspath(path)) == "locked":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = run(".")
    assert found(result) == [("GG003", "locked", 1, 1), ("K8S202", "pod.yaml", 8, 37)]
    assert result.problems[0].message == "cannot read folder: Permission denied"
    assert run(".", fail_on=None).problems  # the gate fails: nothing passes unread


# -- standard input and the command line


def test_non_utf8_stdin_is_a_finding(folder):
    outcome = CliRunner().invoke(cli.main, ["lint", "--no-render", "-"],
                                 input=b"apiVersion: v1\nkind: \xff\n")
    assert outcome.exit_code == 1, outcome.output
    assert "<stdin>" in outcome.output and "GG003" in outcome.output
    assert "not UTF-8 text (byte 21" in outcome.output


def test_utf8_stdin_with_a_byte_order_mark_is_read(folder):
    outcome = CliRunner().invoke(cli.main, ["lint", "--no-render", "--select", "K8S202", "-"],
                                 input="\ufeff".encode() + POD.encode())
    assert outcome.exit_code == 1
    assert "8:37" in outcome.output


def test_ctrl_c_exits_130_with_one_line(folder, monkeypatch):
    from gitops_gen import api

    def interrupted(options):
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "lint_streamed", interrupted)
    (folder / "pod.yaml").write_text(POD)
    outcome = CliRunner().invoke(cli.main, ["lint", "pod.yaml"])
    assert outcome.exit_code == 130
    assert outcome.stderr == "gitops-gen: interrupted\n"


# -- objects


@pytest.mark.parametrize("text, message, line, column", [
    ("apiVersion: 1\nkind: Pod\n", "apiVersion must be a string, not an integer 1", 1, 13),
    ("apiVersion: v1\nkind: [Pod]\n", "kind must be a string, not a list", 2, 7),
    ("apiVersion: v1\nmetadata: {}\nkind: yes\n", "kind must be a string, not a boolean true",
     3, 7),
    ("apiVersion: {v: 1}\nkind: Pod\n", "apiVersion must be a string, not a mapping", 1, 13),
])
def test_a_non_string_api_version_or_kind_is_an_error_at_its_value(folder, text, message, line,
                                                                     column):
    (folder / "odd.yaml").write_text(POD + "---\n" + text)
    result = run("odd.yaml", select=("GG006", "K8S202"))
    assert found(result) == [("K8S202", "odd.yaml", 8, 37),
                             ("GG006", "odd.yaml", 9 + line, column)]
    assert result.problems[1].message.startswith(message)
    assert result.problems[1].severity.value == "error"


# -- schema locations


def test_schema_location_never_reads_outside_its_folder(folder):
    """A kind is part of the schema's path: `kind: ../secret/x` must not read secret/x.json."""
    (folder / "schemas").mkdir()
    (folder / "secret").mkdir()
    closed = '{"type": "object", "properties": {"spec": {"type": "string"}}}'
    (folder / "secret" / "x_v1.json").write_text(closed)
    (folder / "schemas" / "foo_v1.json").write_text(closed)
    (folder / "objects.yaml").write_text(
        "apiVersion: example.com/v1\nkind: ../secret/x\nmetadata: {name: a}\nspec: {}\n---\n"
        "apiVersion: example.com/v1\nkind: Foo\nmetadata: {name: a}\nspec: {}\n---\n"
        "apiVersion: ../v1\nkind: Foo\nmetadata: {name: a}\nspec: {}\n")
    result = run("objects.yaml", select=("SCH001", "SCH003"),
                 schema_locations=("schemas/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json",))
    assert [(p.code, p.line) for p in result.problems] == [
        ("SCH003", 1), ("SCH001", 9), ("SCH003", 11)]


# -- YAML


APPLICATION = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: deep, namespace: argocd}
spec:
  project: default
  destination: {server: https://kubernetes.default.svc, namespace: web}
  source:
    repoURL: https://example.com/charts
    chart: web
    targetRevision: 1.0.0
    helm:
      valuesObject:
"""


def _nested(levels: int, style: str) -> tuple[str, int, int]:
    """An Application whose valuesObject (level 5) holds `levels` nested collections, and the
    1-based line and column of the first collection past MAX_DEPTH (level 101)."""
    past = MAX_DEPTH + 1 - 5  # how far into valuesObject that collection is
    if style == "block":
        text = "".join(" " * (8 + i) + f"k{i}:\n" for i in range(levels - 1)) \
            + " " * (7 + levels) + "x: 1\n"
        return APPLICATION + text, 13 + past, 9 + past
    if style == "flow map":
        return APPLICATION + "        " + "{a: " * levels + "1" + "}" * levels + "\n", 13, \
            9 + 4 * past
    return APPLICATION + "        " + "[" * levels + "1" + "]" * levels + "\n", 13, 9 + past


@pytest.mark.parametrize("style, levels, report", [
    ("block", 200, "json"), ("block", 1000, "sarif"), ("flow map", 200, "text"),
    ("flow map", 1000, "json"), ("flow map", 100_000, "sarif"), ("flow seq", 300, "sarif"),
    ("flow seq", 100_000, "text")])
def test_deep_nesting_is_a_parse_error_at_its_position_in_every_report(folder, style, levels,
                                                                      report):
    text, line, column = _nested(levels, style)
    (folder / "deep.yaml").write_text(text)
    outcome = CliRunner().invoke(cli.main, ["lint", "--no-render", "-f", report, "deep.yaml"])
    assert outcome.exit_code == 1, outcome.output
    assert "GG001" in outcome.output and "internal error" not in outcome.stderr
    result = run("deep.yaml", select=None)
    assert [p.code for p in result.problems] == ["GG001"]
    problem = result.problems[0]
    if levels < 1000 - 5:  # past 1,000 levels libyaml stops first, at its own position
        assert (problem.line, problem.column) == (line, column)
        assert problem.message == ("collections nested deeper than 100 levels; the document "
                                   "is not read")


@pytest.mark.parametrize("style", ["block", "flow map", "flow seq"])
def test_nesting_up_to_the_limit_is_linted_by_every_rule(folder, style):
    text, _, _ = _nested(MAX_DEPTH - 4, style)
    assert nesting_depth(parse_composed(text).documents) == MAX_DEPTH
    (folder / "deep.yaml").write_text(text)
    result = run("deep.yaml", select=None)
    assert result.resources == 1
    assert not [p for p in result.problems if p.code in ("GG000", "GG001")], result.problems
    for report in ("json", "sarif", "text", "github", "junit"):
        outcome = CliRunner().invoke(cli.main, ["lint", "--no-render", "-f", report,
                                                "deep.yaml"])
        assert outcome.exit_code in (0, 1) and "internal error" not in outcome.stderr


def test_an_alias_that_nests_past_the_limit_is_refused(folder):
    anchor = "deep: &deep " + "[" * 60 + "]" * 60 + "\n"
    (folder / "alias.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n" + anchor
        + "data: " + "{a: " * 50 + "*deep" + "}" * 50 + "\n")
    result = run("alias.yaml", select=("GG001",))
    assert found(result) == [("GG001", "alias.yaml", 4, 7)]     # the anchor it repeats


def test_keys_1_and_true_are_two_keys(folder):
    (folder / "keys.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  1: one\n  true: 'yes'\n"
        "  '2': two\n  2: again\n")
    result = run("keys.yaml", select=("GG002", "SCH001", "SCH002"))
    assert found(result) == [("GG002", "keys.yaml", 8, 3)]   # "2" and 2 are one key to Kubernetes


@pytest.mark.parametrize("odd", ["\u2028", "\x85", "\u2029", "\u2028\x85\u2028"])
def test_positions_count_lines_as_editors_do_after_yaml_11_line_breaks(folder, odd):
    """libyaml breaks lines at U+0085, U+2028 and U+2029 too; editors and GitHub do not."""
    head = f'apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: "a{odd}b", labels: {{x: "{odd}"}}}}\n'
    (folder / "odd.yaml").write_text(head + "data:\n  a: 1\n" + "---\n" + POD
                                     + "---\nkey: [" + odd + "\n")
    result = run("odd.yaml", select=("GG001", "SCH001", "K8S202"))
    assert found(result) == [("SCH001", "odd.yaml", 5, 6), ("K8S202", "odd.yaml", 14, 37),
                             ("GG001", "odd.yaml", 17, 1)]


# -- CRD patterns (Go RE2 syntax)

CRD = """\
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
                name: {type: string, pattern: '^[[:alpha:]][[:alnum:]_]*$'}
                raw: {type: string, pattern: '^\\C+$'}
                quoted: {type: string, pattern: '^\\Qv1.0\\E$'}
                words: {type: string, pattern: '^\\S+(\\s\\S+)*$'}
                line: {type: string, pattern: '^.+$'}
"""


def _widget(name: str, spec: str) -> str:
    return f"---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: {name}}}\nspec: {spec}\n"


@pytest.mark.parametrize("how", ["in the tree", "--crd"])
def test_crd_patterns_match_what_go_matches_and_an_untranslatable_one_is_reported_once(
        folder, how):
    widgets = (_widget("good", '{name: a_1, raw: x, quoted: v1.0, words: "a\\u00a0", '
                               'line: "a\\rb"}')              # U+00A0 is not \\s in Go
               + _widget("bad", '{name: 1a, raw: y, quoted: v1x0, words: "a  b", '
                                'line: "a\\nb"}'))
    if how == "--crd":
        (folder / "crd.yaml").write_text(CRD)
        (folder / "widgets.yaml").write_text(widgets)
        result = run("widgets.yaml", select=("SCH001", "SCH004"), crds=("crd.yaml",))
        offset = 0
    else:
        (folder / "widgets.yaml").write_text(CRD + widgets)
        result = run("widgets.yaml", select=("SCH001", "SCH004"))
        offset = CRD.count("\n")
    assert sorted(found(result), key=lambda f: (f[1], f[2])) == sorted([
        ("SCH004", "crd.yaml" if how == "--crd" else "widgets.yaml", 20, 46),
        ("SCH001", "widgets.yaml", offset + 10, 14),     # name: 1a
        ("SCH001", "widgets.yaml", offset + 10, 34),     # quoted: v1x0
        ("SCH001", "widgets.yaml", offset + 10, 47),     # words: two spaces
        ("SCH001", "widgets.yaml", offset + 10, 61),     # line: a, newline, b
    ], key=lambda f: (f[1], f[2]))
    messages = [p.message for p in result.problems]
    assert any('does not match "^[[:alpha:]][[:alnum:]_]*$"' in m for m in messages)


def test_a_crd_schema_that_does_not_compile_is_a_finding_on_its_objects(folder):
    (folder / "widgets.yaml").write_text(
        CRD.replace("type: string, pattern: '^.+$'", "type: string, maxLength: abc")
        + _widget("a", "{name: a}"))
    result = run("widgets.yaml", select=("SCH001", "SCH003"))
    assert [(p.code, p.line) for p in result.problems] == [("SCH001", 23), ("SCH003", 25)]
    assert "no usable schema for example.com/v1 Widget" in result.problems[1].message
