"""The rendering machinery: templates -> plan -> atomic writes -> git commit."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import git
import pytest
import yaml
from ruamel.yaml import YAML

from gitops_gen.errors import UserError
from gitops_gen.render import (BlueprintRef, RenderState, apply, counts, default_header,
                               plan, render_tree, unified_diff)
from gitops_gen.render import write as write_module
from gitops_gen.render.gitrepo import FALLBACK_EMAIL, FALLBACK_NAME, commit
from gitops_gen.render.templating import quote, to_yaml

YAML12 = YAML(typ="safe", pure=True)
LINES = [f"line{n}: {n}\n" for n in range(1, 13)]


@pytest.fixture(autouse=True)
def isolated_git(tmp_path, monkeypatch) -> Path:
    """git sees no user or system config: HOME and GIT_CONFIG_GLOBAL point into tmp_path."""
    home = tmp_path / "home"
    home.mkdir()
    config = home / ".gitconfig"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                 "GIT_COMMITTER_EMAIL", "EMAIL", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)
    return config


@pytest.fixture
def dest(tmp_path) -> Path:
    return tmp_path / "out"


def tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for path, content in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            target.write_text(content, encoding="utf-8")
        else:
            target.write_bytes(content)
    return root


def render(dest: Path, files: dict[str, bytes], *, dry_run: bool = False):
    ops = plan(files, dest, RenderState.load(dest))
    return ops, apply(ops, dest, dry_run=dry_run)


def actions(ops) -> dict[str, str]:
    return {op.path: op.action.value for op in ops}


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file() and ".git/" not in p.as_posix() + "/"
            and not p.relative_to(root).as_posix().startswith(".git/")}


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def base_of(content: bytes) -> str:
    """Where the state keeps a merge base: by its sha256."""
    return ".gitops-gen/base/" + sha256(content)


def edited(lines: list[str], **changes: str) -> bytes:
    """`lines` with line N replaced: edited(LINES, l2="x: y\n")."""
    out = list(lines)
    for key, value in changes.items():
        out[int(key[1:]) - 1] = value
    return "".join(out).encode()


# --------------------------------------------------------------------------- plan actions


def test_create_then_identical_rerender_touches_nothing(dest):
    files = {"apps/a.yaml": b"a: 1\n", "b.txt": b"b\n"}
    ops, report = render(dest, files)
    assert actions(ops) == {"apps/a.yaml": "create", "b.txt": "create"}
    assert report.written == ("apps/a.yaml", "b.txt")
    assert (dest / "apps/a.yaml").read_bytes() == b"a: 1\n"
    before = snapshot(dest)
    assert ".gitops-gen/state.json" in before and base_of(b"a: 1\n") in before

    ops, report = render(dest, files)
    assert actions(ops) == {"apps/a.yaml": "identical", "b.txt": "identical"}
    assert not report.changed
    assert snapshot(dest) == before  # same bytes, same mtimes, state included


def test_update_when_the_file_is_as_last_rendered(dest):
    render(dest, {"a.yaml": b"a: 1\n"})
    ops, report = render(dest, {"a.yaml": b"a: 2\n"})
    assert actions(ops) == {"a.yaml": "update"}
    assert ops[0].merged is None
    assert (dest / "a.yaml").read_bytes() == b"a: 2\n"
    assert RenderState.load(dest).files == {"a.yaml": b"a: 2\n"}


def test_hand_edit_kept_when_the_render_did_not_change(dest):
    render(dest, {"a.yaml": "".join(LINES).encode()})
    (dest / "a.yaml").write_bytes(edited(LINES, l2="line2: mine\n"))
    ops, _ = render(dest, {"a.yaml": "".join(LINES).encode()})
    assert actions(ops) == {"a.yaml": "skip"}
    assert (dest / "a.yaml").read_bytes() == edited(LINES, l2="line2: mine\n")


def test_hand_edit_merged_with_a_render_change_elsewhere(dest):
    render(dest, {"a.yaml": "".join(LINES).encode()})
    (dest / "a.yaml").write_bytes(edited(LINES, l2="line2: mine\n"))
    new = edited(LINES, l11="line11: upstream\n")
    ops, report = render(dest, {"a.yaml": new})
    assert actions(ops) == {"a.yaml": "update"}
    assert ops[0].reason == "merged with the hand edit"
    both = edited(LINES, l2="line2: mine\n", l11="line11: upstream\n")
    assert ops[0].merged == both
    assert (dest / "a.yaml").read_bytes() == both
    assert report.written == ("a.yaml",)
    # the new render is the next merge base: rendering it again keeps the file as it is
    ops, report = render(dest, {"a.yaml": new})
    assert actions(ops) == {"a.yaml": "skip"}
    assert not report.changed


def test_hand_edit_on_the_changed_line_is_a_conflict(dest):
    original = "".join(LINES).encode()
    render(dest, {"a.yaml": original})
    mine = edited(LINES, l2="line2: mine\n", l8="line8: also mine\n")
    (dest / "a.yaml").write_bytes(mine)
    new = edited(LINES, l2="line2: upstream\n")
    ops, report = render(dest, {"a.yaml": new})
    assert actions(ops) == {"a.yaml": "conflict"}
    assert b"<<<<<<< a.yaml (edited)" in ops[0].merged
    assert b">>>>>>> a.yaml (new render)" in ops[0].merged
    assert (dest / "a.yaml").read_bytes() == mine  # untouched
    assert (dest / "a.yaml.gitops-gen-new").read_bytes() == new
    assert report.sidecars == ("a.yaml.gitops-gen-new",) and report.conflicts == ("a.yaml",)
    assert RenderState.load(dest).files == {"a.yaml": original}  # the base stays until resolved

    ops, _ = render(dest, {"a.yaml": new})
    assert actions(ops) == {"a.yaml": "conflict"}  # reported again, not forgotten

    # the user takes the upstream line and keeps the other edit: merges cleanly, nothing to write
    resolved = edited(LINES, l2="line2: upstream\n", l8="line8: also mine\n")
    (dest / "a.yaml").write_bytes(resolved)
    ops, report = render(dest, {"a.yaml": new})
    assert actions(ops) == {"a.yaml": "skip"}
    assert report.removed_sidecars == ("a.yaml.gitops-gen-new",)
    assert not (dest / "a.yaml.gitops-gen-new").exists()
    assert (dest / "a.yaml").read_bytes() == resolved
    assert RenderState.load(dest).files == {"a.yaml": new}


def test_existing_file_gitops_gen_did_not_write_is_never_overwritten(dest):
    tree(dest, {"README.md": "mine\n", "same.txt": "same\n"})
    ops, report = render(dest, {"README.md": b"rendered\n", "same.txt": b"same\n"})
    assert actions(ops) == {"README.md": "conflict", "same.txt": "identical"}
    assert (dest / "README.md").read_text() == "mine\n"
    assert (dest / "README.md.gitops-gen-new").read_text() == "rendered\n"
    assert set(RenderState.load(dest).files) == {"same.txt"}


def test_files_no_longer_rendered_are_deleted_unless_edited(dest):
    render(dest, {"apps/old/a.yaml": b"a\n", "apps/kept.yaml": b"k\n", "gone.yaml": b"g\n",
                  "x.yaml": b"x\n"})
    (dest / "apps/kept.yaml").write_bytes(b"k\nmine\n")
    (dest / "gone.yaml").unlink()
    ops, report = render(dest, {"x.yaml": b"x\n"})
    assert actions(ops) == {"apps/kept.yaml": "skip", "apps/old/a.yaml": "delete",
                            "x.yaml": "identical"}
    assert report.deleted == ("apps/old/a.yaml",)
    assert not (dest / "apps/old").exists()  # emptied folders go too
    assert (dest / "apps/kept.yaml").read_bytes() == b"k\nmine\n"
    assert set(RenderState.load(dest).files) == {"x.yaml"}
    assert sorted(p.name for p in (dest / ".gitops-gen/base").iterdir()) == [sha256(b"x\n")]


def test_a_deleted_rendered_file_stays_deleted_until_restored(dest):
    render(dest, {"a.yaml": b"a\n"})
    (dest / "a.yaml").unlink()
    for new in (b"a\n", b"a: changed\n"):  # whether or not the render changes
        ops, _ = render(dest, {"a.yaml": new})
        assert actions(ops) == {"a.yaml": "skip"} and ops[0].reason == "deleted by you"
        assert not (dest / "a.yaml").exists()
    ops = plan({"a.yaml": b"a: changed\n"}, dest, RenderState.load(dest), restore=["a.yaml"])
    apply(ops, dest)
    assert actions(ops) == {"a.yaml": "create"} and ops[0].reason == "restored"
    assert (dest / "a.yaml").read_bytes() == b"a: changed\n"


def test_counts_list_every_action():
    assert list(counts([])) == ["create", "identical", "update", "conflict", "skip", "delete"]


def test_paths_are_normalised(dest):
    ops = plan({"./apps//a.yaml": b"a\n"}, dest, None)
    assert [op.path for op in ops] == ["apps/a.yaml"]
    with pytest.raises(UserError, match="two rendered files"):
        plan({"a/b": b"", "a/./b": b""}, dest, None)


# --------------------------------------------------------------------------- safety


@pytest.mark.parametrize("path", ["../x", "/etc/x", "a/../../x", "a/../b", "C:/x", "",
                                  ".git/hooks/pre-commit", "sub/.git/config",
                                  ".gitops-gen/state.json", "a.yaml.gitops-gen-new", "a\\..\\x"])
def test_unsafe_paths_are_refused(dest, path):
    with pytest.raises(UserError, match="refusing"):
        plan({path: b"x"}, dest, None)
    assert not dest.exists()


def test_symlink_in_dest_pointing_outside_is_refused(tmp_path, dest):
    outside = tmp_path / "outside"
    outside.mkdir()
    dest.mkdir()
    (dest / "link").symlink_to(outside, target_is_directory=True)
    (dest / "dangling").symlink_to(outside / "new-file")
    with pytest.raises(UserError, match="outside"):
        plan({"link/x.yaml": b"x"}, dest, None)
    with pytest.raises(UserError, match="outside"):
        plan({"dangling": b"x"}, dest, None)
    assert list(outside.iterdir()) == []


def test_state_naming_paths_outside_dest_is_refused(tmp_path, dest):
    render(dest, {"a.yaml": b"a\n"})
    state = dest / ".gitops-gen/state.json"
    document = json.loads(state.read_text())
    document["files"]["../victim"] = document["files"].pop("a.yaml")
    state.write_text(json.dumps(document))
    (tmp_path / "victim").write_text("a\n")
    with pytest.raises(UserError, match="refusing"):
        RenderState.load(dest)
    assert (tmp_path / "victim").exists()


def test_template_file_name_rendering_outside_is_refused(tmp_path, dest):
    root = tree(tmp_path / "t", {"apps/{{ name }}.yaml.j2": "a: 1\n"})
    with pytest.raises(UserError, match="unsafe path") as error:
        render_tree(root, {"name": "../../etc/x"}, header=None)
    assert error.value.file.endswith("{{ name }}.yaml.j2")


def test_atomic_write_leaves_no_temporary_files(dest, monkeypatch):
    render(dest, {"a.yaml": b"one\n", "b/c.yaml": b"c\n"})
    temps = [p for p in dest.rglob("*") if "gitops-gen-tmp" in p.name]
    assert temps == []

    def crash(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(write_module.os, "replace", crash)
    with pytest.raises(UserError, match="No space left on device"):
        render(dest, {"a.yaml": b"two\n", "b/c.yaml": b"c\n"})
    assert (dest / "a.yaml").read_bytes() == b"one\n"
    assert [p for p in dest.rglob("*") if "gitops-gen-tmp" in p.name] == []


def test_update_keeps_the_file_mode(dest):
    render(dest, {"run.sh": b"echo 1\n"})
    (dest / "run.sh").chmod(0o755)
    render(dest, {"run.sh": b"echo 2\n"})
    assert (dest / "run.sh").stat().st_mode & 0o777 == 0o755


def test_dry_run_writes_nothing_and_the_diff_shows_the_change(dest):
    render(dest, {"a.yaml": b"a: 1\nb: 2\n", "old.yaml": b"o\n"})
    before = snapshot(dest)
    ops, report = render(dest, {"a.yaml": b"a: 1\nb: 3\n", "new.yaml": b"n"}, dry_run=True)
    assert report.dry_run and report.written == ("a.yaml", "new.yaml")
    assert report.deleted == ("old.yaml",)
    assert snapshot(dest) == before
    diff = unified_diff(ops)
    assert "--- a/a.yaml\n+++ b/a.yaml\n@@ -1,2 +1,2 @@\n a: 1\n-b: 2\n+b: 3\n" in diff
    assert ("--- /dev/null\n+++ b/new.yaml\n@@ -0,0 +1 @@\n+n\n"
            "\\ No newline at end of file\n") in diff
    assert "--- a/old.yaml\n+++ /dev/null\n@@ -1 +0,0 @@\n-o\n" in diff


def test_dry_run_into_a_missing_destination_creates_nothing(dest):
    ops, report = render(dest, {"a.yaml": b"a\n"}, dry_run=True)
    assert report.written == ("a.yaml",) and ".gitops-gen/state.json" in report.state_files
    assert not dest.exists()


def test_conflict_diff_compares_the_file_with_the_new_render(dest):
    tree(dest, {"a.yaml": "mine\n"})
    ops = plan({"a.yaml": b"theirs\n"}, dest, None)
    assert "--- a/a.yaml\n+++ b/a.yaml.gitops-gen-new\n" in unified_diff(ops)


# --------------------------------------------------------------------------- state


def test_state_format(tmp_path, dest):
    blueprint = tmp_path / "blueprint.yaml"
    blueprint.write_text("name: shop\n")
    ops = plan({"b.yaml": b"b\n", "a/x.yaml": b"x\n"}, dest, None)
    apply(ops, dest, blueprint=BlueprintRef.of(blueprint, dest))
    document = json.loads((dest / ".gitops-gen/state.json").read_text())
    assert document == {
        "format": 2,
        "gitops_gen_version": document["gitops_gen_version"],
        "blueprint": {"path": "../blueprint.yaml", "sha256": sha256(b"name: shop\n")},
        "files": {"a/x.yaml": {"sha256": sha256(b"x\n")}, "b.yaml": {"sha256": sha256(b"b\n")}},
        "conflicts": {},
    }
    assert list(document["files"]) == sorted(document["files"])
    assert (dest / base_of(b"x\n")).read_bytes() == b"x\n"
    loaded = RenderState.load(dest)
    assert loaded.files == {"a/x.yaml": b"x\n", "b.yaml": b"b\n"}
    assert loaded.blueprint == BlueprintRef.of(blueprint, dest)


def test_damaged_or_newer_state_is_an_error(dest):
    render(dest, {"a.yaml": b"a\n"})
    (dest / base_of(b"a\n")).write_bytes(b"changed\n")
    with pytest.raises(UserError, match="does not match its sha256"):
        RenderState.load(dest)
    (dest / ".gitops-gen/state.json").write_text('{"format": 99, "files": {}}')
    with pytest.raises(UserError, match="newer gitops-gen"):
        RenderState.load(dest)
    (dest / ".gitops-gen/state.json").write_text('{"format": 1,\n "files": }')
    with pytest.raises(UserError) as error:
        RenderState.load(dest)
    assert error.value.line == 2


# --------------------------------------------------------------------------- templating


def test_render_tree(tmp_path):
    root = tree(tmp_path / "t", {
        "apps/{{ app }}/values.yaml.j2": "name: {{ app }}\n",
        "apps/{{ app }}/notes.txt.j2": "{{ app }}\n",
        "{% if optional %}optional.yaml{% endif %}.j2": "x: 1\n",
        "static.yaml": "a: b\n",
    })
    header = default_header()
    files = render_tree(root, {"app": "shop", "optional": False}, header=header)
    assert list(files) == ["apps/shop/notes.txt", "apps/shop/values.yaml", "static.yaml"]
    assert files["apps/shop/values.yaml"] == (
        "# Generated by gitops-gen — edit the blueprint, or edit here: "
        "re-rendering keeps hand edits.\nname: shop\n").encode()
    assert files["apps/shop/notes.txt"] == b"shop\n"  # not YAML: no header
    assert files["static.yaml"] == b"a: b\n"  # copied: no header
    assert render_tree(root, {"app": "shop", "optional": False}, header=header) == files


def test_go_templates_are_copied_byte_for_byte(tmp_path):
    chart = (b'{{- define "app.labels" -}}\r\napp: {{ .Values.name | quote }}\r\n{{- end }}\n'
             b'image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"\n'
             b'{{ include "app.labels" . | nindent 4 }}\n\xff\xfe not utf-8 {{ end }')
    root = tree(tmp_path / "t", {"charts/app/templates/deployment.yaml": chart,
                                 "charts/app/templates/_helpers.tpl": chart})
    files = render_tree(root, {}, header="header")
    assert files == {"charts/app/templates/_helpers.tpl": chart,
                     "charts/app/templates/deployment.yaml": chart}


def test_context_values_are_data_not_templates(tmp_path):
    root = tree(tmp_path / "t",
                {"a.yaml.j2": "v: {{ v }}\nq: {{ v | quote }}\ny: {{ v | to_yaml }}\n"})
    files = render_tree(root, {"v": "{{ 7*7 }}"}, header=None)
    text = files["a.yaml"].decode()
    assert text.startswith("v: {{ 7*7 }}\n") and "49" not in text
    quoted = yaml.safe_load(text.split("\n", 1)[1])
    assert quoted == {"q": "{{ 7*7 }}", "y": "{{ 7*7 }}"}


def test_templates_load_from_a_resources_traversable(tmp_path):
    root = tree(tmp_path / "t", {"apps/{{ app }}.yaml.j2": "{% include 'parts/name.j2' %}",
                                 "parts/name.j2": "name: {{ app }}\n", "raw.bin": b"\x00\x01"})
    archive = tmp_path / "templates.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(root).as_posix())
    from_zip = render_tree(zipfile.Path(archive), {"app": "shop"}, header=None)
    assert from_zip == render_tree(root, {"app": "shop"}, header=None)
    assert from_zip["apps/shop.yaml"] == b"name: shop\n"


@pytest.mark.parametrize("template", [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ v.__class__ }}",
    "{{ items.append(1) }}",
])
def test_sandbox_refuses_unsafe_access(tmp_path, template):
    root = tree(tmp_path / "t", {"a.yaml.j2": f"a: 1\nb: {template}\n"})
    with pytest.raises(UserError) as error:
        render_tree(root, {"v": "x", "items": []}, header=None)
    assert error.value.file.endswith("a.yaml.j2") and error.value.line == 2


def test_template_errors_point_at_file_and_line(tmp_path):
    root = tree(tmp_path / "t", {"a.yaml.j2": "a: 1\n\nb: {{ missing }}\n"})
    with pytest.raises(UserError, match="'missing' is undefined") as error:
        render_tree(root, {}, header=None)
    assert (error.value.file, error.value.line) == (str(root / "a.yaml.j2"), 3)

    root = tree(tmp_path / "s", {"a.yaml.j2": "a: 1\n{% if x %}\n"})
    with pytest.raises(UserError) as error:
        render_tree(root, {"x": 1}, header=None)
    assert error.value.file == str(root / "a.yaml.j2") and error.value.line == 2

    root = tree(tmp_path / "i", {"a.yaml.j2": "a: 1\n{% include 'p.j2' %}\n",
                                 "p.j2": "\n{{ 1 / 0 }}\n"})
    with pytest.raises(UserError, match="ZeroDivisionError") as error:
        render_tree(root, {}, header=None)
    assert error.value.file == str(root / "p.j2") and error.value.line == 2

    root = tree(tmp_path / "n", {"{{ nope }}.yaml.j2": "a: 1\n"})
    with pytest.raises(UserError, match="in the file name") as error:
        render_tree(root, {}, header=None)


def test_two_templates_rendering_to_one_path_is_an_error(tmp_path):
    root = tree(tmp_path / "t", {"a.yaml": "a\n", "a.yaml.j2": "a\n"})
    with pytest.raises(UserError, match="renders to 'a.yaml'"):
        render_tree(root, {}, header=None)


NASTY = ["{{ x }}", "on", "off", "yes", "No", "y", "N", "0755", "0o17", "0x1F", "1e3", "1E+3",
         "-.5", "1_000", "12:30", "2024-01-01", ".inf", ".NaN", "null", "~", "", " ", "true",
         "False", ": ", "a: b", "key: value #c", "#comment", "- item", "  leading spaces",
         "trailing ", "multi\nline\n", "multi\nline", "  indented\nfirst\n", "keep\n\n",
         "tab\there", "'single'", '"double"', "@at", "`tick", "*alias", "&anchor", "!tag",
         "%percent", "|", ">", "=", "<<", "?", "ünïcödé — ok", "line\u2028sep", "\x85nel",
         "para\u2029", "\ufeffbom", "crlf\r\nline"]


@pytest.mark.parametrize("value", NASTY)
def test_to_yaml_round_trips(value):
    data = {"s": value, value: [value, {"k": value}], "n": 1, "f": 1.5, "b": True, "z": None}
    assert yaml.safe_load(to_yaml(value) + "\n") == value
    assert yaml.safe_load(to_yaml(data) + "\n") == data
    assert YAML12.load(to_yaml(data) + "\n") == data  # ruamel reads YAML 1.2


def test_to_yaml_style(tmp_path):
    data = {"b": "on", "a": [1, {"x": "multi\nline\n"}], "empty": {}, "none": None}
    assert to_yaml(data) == ("b: 'on'\n"
                             "a:\n"
                             "  - 1\n"
                             "  - x: |\n"
                             "      multi\n"
                             "      line\n"
                             "empty: {}\n"
                             "none: null")
    assert to_yaml("word") == "word" and to_yaml(5) == "5"
    root = tree(tmp_path / "t", {
        "a.yaml.j2": "spec:\n  values:\n    {{ v | to_yaml | indent(4) }}\nafter: 1\n"})
    text = render_tree(root, {"v": data}, header=None)["a.yaml"].decode()
    assert yaml.safe_load(text) == {"spec": {"values": data}, "after": 1}


def test_to_yaml_accepts_ruamel_data():
    loaded = YAML().load("b: 1\na: [x, 'on', {c: 2.5}]\n")
    assert yaml.safe_load(to_yaml(loaded)) == {"b": 1, "a": ["x", "on", {"c": 2.5}]}
    assert to_yaml(loaded).startswith("b: 1\n")


@pytest.mark.parametrize("value", NASTY + [5, 1.5, True])
def test_quote_is_a_json_and_yaml_string(value):
    quoted = quote(value)
    expected = value if isinstance(value, str) else json.dumps(value)
    assert json.loads(quoted) == expected
    assert yaml.safe_load(f"k: {quoted}\n") == {"k": expected}


def test_indent():
    from gitops_gen.render.templating import indent

    assert indent("a\nb\n\nc") == "a\n  b\n\n  c"
    assert indent("a\nb", 4, first=True) == "    a\n    b"


# --------------------------------------------------------------------------- git


def log(dest: Path) -> list[str]:
    return git.Repo(dest).git.log("--format=%an <%ae> %s").splitlines()


def test_commit_contains_the_render_and_identical_render_makes_no_commit(dest, isolated_git):
    files = {"apps/a.yaml": b"a\n", "b.yaml": b"b\n"}
    _, report = render(dest, files)
    sha = commit(dest, "gitops-gen: render shop", report=report, init=True)
    repo = git.Repo(dest)
    assert repo.head.commit.hexsha == sha
    assert repo.active_branch.name == "main"
    tracked = repo.git.ls_files().splitlines()
    assert tracked == [".gitops-gen/.gitignore", *sorted([base_of(b"a\n"), base_of(b"b\n")]),
                       ".gitops-gen/state.json", "apps/a.yaml", "b.yaml"]
    assert log(dest) == [f"{FALLBACK_NAME} <{FALLBACK_EMAIL}> gitops-gen: render shop"]
    assert not isolated_git.exists()  # the fallback identity was not written to any config
    assert "user" not in (dest / ".git/config").read_text()

    _, report = render(dest, files)
    assert commit(dest, "again", report=report) is None
    assert len(log(dest)) == 1


def test_commit_stages_only_what_the_render_wrote(dest, isolated_git):
    isolated_git.write_text("[user]\n\tname = Ada\n\temail = ada@example.com\n")
    _, report = render(dest, {"a.yaml": "".join(LINES).encode(), "old.yaml": b"o\n"})
    commit(dest, "first", report=report, init=True)
    (dest / "a.yaml").write_bytes(edited(LINES, l2="line2: mine\n"))  # a hand edit, not committed
    (dest / "notes.txt").write_text("untracked, not ours\n")
    _, report = render(dest, {"a.yaml": "".join(LINES).encode(), "c.yaml": b"c\n"})
    sha = commit(dest, "second", report=report)
    repo = git.Repo(dest)
    changed = repo.git.show("--name-status", "--format=", sha).splitlines()
    assert changed == sorted(["A\t" + base_of(b"c\n"), "D\t" + base_of(b"o\n")],
                               key=lambda line: line.split("\t")[1]) + [
        "M\t.gitops-gen/state.json", "A\tc.yaml", "D\told.yaml"]
    assert log(dest)[0] == "Ada <ada@example.com> second"
    assert sorted(repo.untracked_files) == ["notes.txt"]
    assert [d.a_path for d in repo.index.diff(None)] == ["a.yaml"]  # hand edit left unstaged


def test_commit_refuses_unrelated_staged_changes(dest):
    _, report = render(dest, {"a.yaml": b"a\n"})
    commit(dest, "first", report=report, init=True)
    (dest / "other.txt").write_text("x\n")
    git.Repo(dest).index.add(["other.txt"])
    _, report = render(dest, {"a.yaml": b"b\n"})
    with pytest.raises(UserError, match="staged changes gitops-gen did not make: other.txt"):
        commit(dest, "second", report=report)


def test_commit_in_a_subfolder_of_a_repository(tmp_path):
    repo = git.Repo.init(tmp_path / "mono", initial_branch="main")
    dest = tmp_path / "mono" / "gitops"
    _, report = render(dest, {"a.yaml": b"a\n"})
    commit(dest, "render", report=report)  # uses the enclosing repository
    assert not (dest / ".git").exists()
    assert repo.git.ls_files().splitlines() == [
        "gitops/.gitops-gen/.gitignore", "gitops/" + base_of(b"a\n"),
        "gitops/.gitops-gen/state.json", "gitops/a.yaml"]


def test_init_makes_a_new_destination_its_own_repository_inside_another(tmp_path):
    outer = git.Repo.init(tmp_path / "project", initial_branch="main")
    (tmp_path / "project" / ".gitignore").write_text("out/\n")
    dest = tmp_path / "project" / "out" / "gitops"
    _, report = render(dest, {"a.yaml": b"a\n"})
    assert commit(dest, "render", report=report, init=True)
    assert git.Repo(dest).git.ls_files().splitlines() == [
        ".gitops-gen/.gitignore", base_of(b"a\n"), ".gitops-gen/state.json", "a.yaml"]
    assert outer.git.ls_files() == ""


def test_commit_outside_a_repository_without_init_is_an_error(dest):
    _, report = render(dest, {"a.yaml": b"a\n"})
    with pytest.raises(UserError, match="not in a git repository"):
        commit(dest, "render", report=report)
    assert sorted(os.listdir(dest)) == [".gitops-gen", "a.yaml"]
