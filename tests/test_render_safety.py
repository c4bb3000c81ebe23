"""Re-rendering never loses an edit: deletions, renames, CRLF, resolved conflicts, a render
stopped at any write, a second render at the same time, and randomized edit sequences."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitops_gen.errors import UserError
from gitops_gen.render import (RenderState, apply, clean_interrupted, plan, preflight,
                               render_lock, unified_diff)
from gitops_gen.render import write as write_module
from gitops_gen.render.state import LOCK_FILE

LINES = [f"line{n}: {n}\n" for n in range(1, 11)]
TEXT = "".join(LINES).encode()


def render(dest: Path, files: dict[str, bytes], **options):
    ops = plan(files, dest, RenderState.load(dest), **options)
    preflight(ops, dest)
    return ops, apply(ops, dest)


def actions(ops) -> dict[str, str]:
    return {op.path: op.action.value for op in ops}


def changed(text: bytes, index: int, line: str) -> bytes:
    lines = text.decode().splitlines(keepends=True)
    lines[index] = line
    return "".join(lines).encode()


def tree(dest: Path) -> dict[str, bytes]:
    """Every file in DEST but the state folder."""
    return {p.relative_to(dest).as_posix(): p.read_bytes() for p in sorted(dest.rglob("*"))
            if p.is_file() and ".gitops-gen" not in p.relative_to(dest).parts}


# --------------------------------------------------------------------------- deletions, renames


def test_a_renamed_file_is_not_created_again_and_gets_the_renders_changes(tmp_path):
    dest = tmp_path / "out"
    render(dest, {"apps/orders.yaml": TEXT, "apps/other.yaml": b"o\n"})
    (dest / "apps/orders.yaml").rename(dest / "apps/orders-eu.yaml")
    new = changed(TEXT, 3, "line4: new\n")
    ops, _ = render(dest, {"apps/orders.yaml": new, "apps/other.yaml": b"o\n"})
    assert actions(ops)["apps/orders-eu.yaml"] == "update"
    assert ops[0].reason == "renamed by you from apps/orders.yaml"
    assert sorted(tree(dest)) == ["apps/orders-eu.yaml", "apps/other.yaml"]
    assert (dest / "apps/orders-eu.yaml").read_bytes() == new


def test_a_rename_with_an_edit_is_followed_by_every_later_render(tmp_path):
    dest = tmp_path / "out"
    render(dest, {"a.yaml": TEXT})
    (dest / "a.yaml").rename(dest / "b.yaml")
    mine = changed(TEXT, 0, "line1: mine\n")
    (dest / "b.yaml").write_bytes(mine)  # content no longer matches: only Git saw the rename
    first = changed(TEXT, 5, "line6: first\n")
    ops, _ = render(dest, {"a.yaml": first}, renames={"a.yaml": "b.yaml"})
    assert [(op.path, op.action.value) for op in ops] == [("b.yaml", "update")]
    assert ops[0].reason == "renamed by you from a.yaml; merged with the hand edit"
    assert RenderState.load(dest).renames == {"a.yaml": "b.yaml"}
    second = changed(first, 9, "line10: second\n")
    ops, _ = render(dest, {"a.yaml": second})  # Git no longer reports it: the state does
    assert actions(ops) == {"b.yaml": "update"}
    assert (dest / "b.yaml").read_bytes() == changed(changed(mine, 5, "line6: first\n"),
                                                     9, "line10: second\n")
    assert not (dest / "a.yaml").exists()
    (dest / "b.yaml").unlink()  # deleting the renamed file deletes it for good
    ops, _ = render(dest, {"a.yaml": changed(second, 2, "line3: third\n")})
    assert actions(ops) == {"a.yaml": "skip"} and ops[0].reason == "deleted by you"
    assert tree(dest) == {}


def test_a_conflict_in_a_renamed_file_is_written_beside_it_and_clears(tmp_path):
    dest = tmp_path / "out"
    render(dest, {"a.yaml": TEXT})
    (dest / "a.yaml").rename(dest / "b.yaml")
    (dest / "b.yaml").write_bytes(changed(TEXT, 4, "line5: mine\n"))
    new = changed(TEXT, 4, "line5: new\n")
    ops, report = render(dest, {"a.yaml": new}, renames={"a.yaml": "b.yaml"})
    assert actions(ops) == {"b.yaml": "conflict"}
    assert report.sidecars == ("b.yaml.gitops-gen-new",)
    assert (dest / "b.yaml.gitops-gen-new").read_bytes() == new
    (dest / "b.yaml").write_bytes(changed(TEXT, 4, "line5: new  # taken\n"))
    (dest / "b.yaml.gitops-gen-new").unlink()
    ops, _ = render(dest, {"a.yaml": new})
    assert actions(ops) == {"b.yaml": "skip"} and RenderState.load(dest).conflicts == {}
    assert sorted(tree(dest)) == ["b.yaml"]


def test_a_deleted_file_is_never_taken_for_a_rename_to_a_conflict_file(tmp_path):
    dest = tmp_path / "out"
    render(dest, {"a.yaml": b"a\n", "b.yaml": TEXT})
    (dest / "a.yaml").write_bytes(b"mine\n")
    render(dest, {"a.yaml": TEXT, "b.yaml": TEXT})  # a conflict: a.yaml.gitops-gen-new is TEXT
    (dest / "b.yaml").unlink()
    ops, _ = render(dest, {"a.yaml": TEXT, "b.yaml": TEXT})
    assert actions(ops) == {"a.yaml": "conflict", "b.yaml": "skip"}
    assert ops[1].reason == "deleted by you"


def test_deleting_a_file_in_conflict_deletes_it_for_good(tmp_path):
    dest = tmp_path / "out"
    render(dest, {"a.yaml": TEXT})
    (dest / "a.yaml").write_bytes(changed(TEXT, 2, "line3: mine\n"))
    ops, _ = render(dest, {"a.yaml": changed(TEXT, 2, "line3: new\n")})
    assert actions(ops) == {"a.yaml": "conflict"}
    (dest / "a.yaml").unlink()
    ops, _ = render(dest, {"a.yaml": changed(TEXT, 2, "line3: new\n")})
    assert actions(ops) == {"a.yaml": "skip"} and ops[0].reason == "deleted by you"
    assert tree(dest) == {}  # the conflict's .gitops-gen-new file goes too
    ops, _ = render(dest, {"a.yaml": changed(TEXT, 2, "line3: newer\n")})
    assert actions(ops) == {"a.yaml": "skip"} and tree(dest) == {}


def test_restore_brings_a_renamed_file_back_at_its_rendered_path(tmp_path):
    dest = tmp_path / "out"
    render(dest, {"a.yaml": TEXT})
    (dest / "a.yaml").rename(dest / "b.yaml")
    render(dest, {"a.yaml": TEXT})
    ops, _ = render(dest, {"a.yaml": TEXT}, restore=["a.yaml"])
    assert actions(ops) == {"a.yaml": "create"}
    assert sorted(tree(dest)) == ["a.yaml", "b.yaml"] and RenderState.load(dest).renames == {}


def test_restore_and_resolved_refuse_unknown_paths(tmp_path):
    dest = tmp_path / "out"
    render(dest, {"a.yaml": TEXT})
    with pytest.raises(UserError, match="'b.yaml' is not a file this blueprint renders"):
        plan({"a.yaml": TEXT}, dest, RenderState.load(dest), restore=["b.yaml"])
    with pytest.raises(UserError, match="'a.yaml' is not an open conflict"):
        plan({"a.yaml": TEXT}, dest, RenderState.load(dest), resolved=["a.yaml"])


# --------------------------------------------------------------------------- line endings


def test_crlf_line_endings_are_kept_and_never_conflict(tmp_path):
    dest = tmp_path / "out"
    render(dest, {"a.yaml": TEXT, "b.yaml": TEXT})
    crlf = TEXT.replace(b"\n", b"\r\n")
    (dest / "a.yaml").write_bytes(crlf)                                   # an editor's CRLF
    (dest / "b.yaml").write_bytes(changed(TEXT, 1, "line2: mine\n").replace(b"\n", b"\r\n"))
    ops, _ = render(dest, {"a.yaml": TEXT, "b.yaml": TEXT})
    assert actions(ops) == {"a.yaml": "identical", "b.yaml": "skip"}
    new = changed(TEXT, 8, "line9: new\n")
    ops, _ = render(dest, {"a.yaml": new, "b.yaml": new})
    assert actions(ops) == {"a.yaml": "update", "b.yaml": "update"}
    assert (dest / "a.yaml").read_bytes() == new.replace(b"\n", b"\r\n")
    assert (dest / "b.yaml").read_bytes() == changed(new, 1, "line2: mine\n").replace(b"\n", b"\r\n")
    assert RenderState.load(dest).files["a.yaml"] == new  # the base stays as rendered


def test_a_crlf_conflict_writes_and_shows_the_render_in_crlf(tmp_path):
    dest = tmp_path / "out"
    render(dest, {"a.yaml": TEXT})
    (dest / "a.yaml").write_bytes(changed(TEXT, 1, "line2: mine\n").replace(b"\n", b"\r\n"))
    new = changed(TEXT, 1, "line2: new\n")
    ops, _ = render(dest, {"a.yaml": new})
    assert actions(ops) == {"a.yaml": "conflict"}
    assert (dest / "a.yaml.gitops-gen-new").read_bytes() == new.replace(b"\n", b"\r\n")
    changes = [line for line in unified_diff(ops).split("\n")
               if line[:1] in ("+", "-") and not line.startswith(("---", "+++"))]
    assert changes == ["-line2: mine\r", "+line2: new\r"]


# --------------------------------------------------------------------------- conflicts resolved


@pytest.mark.parametrize("how", ["delete the sidecar", "resolved"])
def test_a_resolved_conflict_clears(tmp_path, how):
    dest = tmp_path / "out"
    render(dest, {"a.yaml": TEXT})
    (dest / "a.yaml").write_bytes(changed(TEXT, 4, "line5: mine\n"))
    new = changed(TEXT, 4, "line5: new\n")
    ops, report = render(dest, {"a.yaml": new})
    assert actions(ops) == {"a.yaml": "conflict"} and report.sidecars == ("a.yaml.gitops-gen-new",)
    ops, _ = render(dest, {"a.yaml": new})                      # not resolved yet: still reported
    assert actions(ops) == {"a.yaml": "conflict"}
    resolution = changed(TEXT, 4, "line5: new  # we took the new value\n")
    (dest / "a.yaml").write_bytes(resolution)
    if how == "resolved":
        ops, _ = render(dest, {"a.yaml": new}, resolved=["a.yaml"])
    else:
        (dest / "a.yaml.gitops-gen-new").unlink()
        ops, _ = render(dest, {"a.yaml": new})
    assert actions(ops) == {"a.yaml": "skip"}
    assert not (dest / "a.yaml.gitops-gen-new").exists()
    assert (dest / "a.yaml").read_bytes() == resolution
    ops, _ = render(dest, {"a.yaml": new})
    assert actions(ops) == {"a.yaml": "skip"} and RenderState.load(dest).conflicts == {}
    newer = changed(new, 9, "line10: newer\n")                  # later changes still merge in
    ops, _ = render(dest, {"a.yaml": newer})
    assert actions(ops) == {"a.yaml": "update"}
    assert (dest / "a.yaml").read_bytes() == changed(resolution, 9, "line10: newer\n")


# --------------------------------------------------------------------------- interruptions


class Stop(Exception):
    """Stands for a kill: raised at one write of a render."""


def _stop_at(monkeypatch, step: int) -> list[int]:
    calls = [0]
    for name in ("_write", "_remove"):
        original = getattr(write_module, name)

        def wrapped(*args, _original=original):
            calls[0] += 1
            if calls[0] == step:
                raise Stop
            return _original(*args)

        monkeypatch.setattr(write_module, name, wrapped)
    return calls


def _history(dest: Path):
    """A repo with a hand edit, a deleted file and an orphan, then a blueprint change."""
    first = {"a.yaml": TEXT, "b.yaml": TEXT, "gone.yaml": b"g\n", "c/d.yaml": b"d\n",
             "old.yaml": b"o\n"}
    render(dest, first)
    (dest / "b.yaml").write_bytes(changed(TEXT, 0, "line1: mine\n"))
    (dest / "gone.yaml").unlink()
    return {"a.yaml": changed(TEXT, 5, "line6: new\n"), "b.yaml": changed(TEXT, 7, "line8: x\n"),
            "gone.yaml": b"g2\n", "c/d.yaml": b"d2\n", "e/f.yaml": b"f\n"}


def test_a_render_stopped_at_any_write_is_completed_by_the_next(tmp_path, monkeypatch):
    reference = tmp_path / "reference"
    second = _history(reference)
    render(reference, second)
    expected, expected_state = tree(reference), RenderState.load(reference)
    step = 1
    while True:
        dest = tmp_path / f"run{step}"
        second = _history(dest)
        with monkeypatch.context() as patch:
            calls = _stop_at(patch, step)
            try:
                render(dest, second)
            except Stop:
                pass
            else:
                break
        assert RenderState.load(dest) is not None   # never damaged
        clean_interrupted(dest)
        ops, _ = render(dest, second)
        assert tree(dest) == expected, f"stopped at write {step}"
        assert RenderState.load(dest) == expected_state
        assert set(actions(render(dest, second)[0]).values()) <= {"identical", "skip"}
        step += 1
    assert step == calls[0] + 1 > 8  # every write of the render was a stopping point


def test_interrupted_temporary_files_are_removed(tmp_path):
    dest = tmp_path / "out"
    render(dest, {"a.yaml": TEXT})
    (dest / ".a.yaml.x1.gitops-gen-tmp").write_bytes(b"half")
    (dest / ".gitops-gen/.state.json.x2.gitops-gen-tmp").write_bytes(b"half")
    assert sorted(clean_interrupted(dest)) == [".a.yaml.x1.gitops-gen-tmp",
                                               ".gitops-gen/.state.json.x2.gitops-gen-tmp"]


# --------------------------------------------------------------------------- preconditions


def test_a_read_only_destination_is_refused_before_any_write(tmp_path, monkeypatch):
    dest = tmp_path / "out"
    render(dest, {"a.yaml": TEXT})
    before = tree(dest)
    monkeypatch.setattr(write_module, "_read_only", lambda folder: True)
    with pytest.raises(UserError, match="read-only file system"):
        render(dest, {"a.yaml": b"new\n", "b/c.yaml": b"c\n"})
    assert tree(dest) == before


def test_a_full_disk_is_a_one_line_error_and_the_next_render_completes(tmp_path, monkeypatch):
    dest = tmp_path / "out"
    render(dest, {"a.yaml": TEXT})

    def full(src, dst):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(write_module.os, "replace", full)
        with pytest.raises(UserError, match="No space left on device.*free some space"):
            render(dest, {"a.yaml": b"new\n"})
    render(dest, {"a.yaml": b"new\n"})
    assert (dest / "a.yaml").read_bytes() == b"new\n"


def test_a_second_render_waits_then_is_refused(tmp_path):
    dest = tmp_path / "out"
    render(dest, {"a.yaml": TEXT})
    with open(dest / LOCK_FILE, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(UserError, match="another gitops-gen render is running"):
            with render_lock(dest, wait=0.2):
                pass
        with pytest.raises(UserError, match="another gitops-gen render is running"):
            with render_lock(dest, shared=True, wait=0.2):  # a check never reads half a render
                pass
    with render_lock(dest, wait=0.2):  # released with its file, however the holder ended
        pass


def test_a_render_lends_its_lock_to_the_checks_its_commit_runs(tmp_path):
    from gitops_gen.render.lock import lend_lock

    dest = tmp_path / "out"
    render(dest, {"a.yaml": TEXT})
    with render_lock(dest, wait=0.2), lend_lock(dest):
        with render_lock(dest, shared=True, wait=0.2):  # a render-check hook reads
            pass
        with pytest.raises(UserError, match="another gitops-gen render is running"):
            with render_lock(dest, wait=0.2):  # another render still waits
                pass
    with render_lock(dest, wait=0.2):
        with pytest.raises(UserError, match="another gitops-gen render is running"):
            with render_lock(dest, shared=True, wait=0.2):  # lent only meanwhile
                pass


# --------------------------------------------------------------------------- randomized histories

EVENTS = st.lists(st.one_of(
    st.tuples(st.just("blueprint"), st.integers(0, 2), st.integers(0, 9)),
    st.tuples(st.just("edit"), st.integers(0, 2), st.integers(0, 9)),
    st.tuples(st.just("delete"), st.integers(0, 2), st.just(0)),
    st.tuples(st.just("rename"), st.integers(0, 2), st.just(0)),
    st.tuples(st.just("crlf"), st.integers(0, 2), st.just(0)),
    st.tuples(st.just("resolve"), st.integers(0, 2), st.just(0)),
    st.tuples(st.just("drop"), st.integers(0, 2), st.just(0)),
), min_size=1, max_size=14)


@settings(max_examples=int(os.environ.get("GITOPS_GEN_PROPERTY_EXAMPLES", 60)), deadline=None,
          derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=EVENTS)
def test_no_user_line_and_no_deletion_is_lost_without_a_conflict(tmp_path_factory, events):
    """After every render: each line the user wrote is still on disk (in its file or the file
    it was renamed to), and no file the user deleted or renamed is back."""
    dest = tmp_path_factory.mktemp("history") / "out"
    rendered = {f"f{n}.yaml": TEXT for n in range(3)}
    render(dest, rendered)
    user_lines: dict[str, set[str]] = {}   # path on disk -> lines the user wrote there
    removed: set[str] = set()              # rendered paths the user deleted or renamed
    for number, (kind, file, line) in enumerate(events):
        path = f"f{file}.yaml"
        target = dest / path
        if kind == "blueprint":
            if path in rendered:
                rendered[path] = changed(rendered[path], line, f"line{line + 1}: bp{number}\n")
            else:
                rendered[path] = TEXT
        elif kind == "drop":  # a file the blueprint drops and adds back later is a new file
            rendered.pop(path, None)
            removed.discard(path)
        elif not target.is_file():
            continue
        elif kind == "edit":
            text = target.read_bytes()
            eol = "\r\n" if b"\r\n" in text else "\n"
            lines = text.decode().splitlines(keepends=True)
            marker = f"user{number}: mine"
            lines[min(line, len(lines) - 1)] = marker + eol
            target.write_bytes("".join(lines).encode())
            kept = {m for m in user_lines.get(path, set()) if m in "".join(lines)}
            user_lines[path] = kept | {marker}
        elif kind == "crlf":
            target.write_bytes(target.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        elif kind == "delete":
            target.unlink()
            user_lines.pop(path, None)
            if path in rendered:  # an orphan the blueprint adds back later is a new file
                removed.add(path)
        elif kind == "rename":
            moved = f"mine-{number}.yaml"
            target.rename(dest / moved)
            user_lines[moved] = user_lines.pop(path, set())
            if path in rendered:
                removed.add(path)
        elif kind == "resolve":
            sidecar = dest / (path + ".gitops-gen-new")
            if sidecar.exists():
                sidecar.unlink()
        render(dest, rendered)
        for where, markers in user_lines.items():
            text = (dest / where).read_text()
            assert all(marker in text for marker in markers), (where, markers, events)
        for path_removed in removed:
            assert not (dest / path_removed).exists(), (path_removed, events)
        state = RenderState.load(dest)
        assert state is not None
        for op in plan(rendered, dest, state):
            if op.path not in user_lines and op.path not in removed and op.path in rendered:
                assert op.action.value in ("identical", "conflict", "skip"), (op, events)


def test_a_state_of_format_1_is_read_and_rewritten_by_content(tmp_path):
    import hashlib
    import json

    dest = tmp_path / "out"
    (dest / ".gitops-gen/base/apps").mkdir(parents=True)
    (dest / ".gitops-gen/base/apps/a.yaml").write_bytes(TEXT)
    (dest / "apps").mkdir()
    (dest / "apps/a.yaml").write_bytes(changed(TEXT, 0, "line1: mine\n"))
    (dest / ".gitops-gen/state.json").write_text(json.dumps({
        "format": 1, "gitops_gen_version": "0.1.0", "blueprint": None,
        "files": {"apps/a.yaml": {"sha256": hashlib.sha256(TEXT).hexdigest()}}}))
    ops, _ = render(dest, {"apps/a.yaml": changed(TEXT, 9, "line10: new\n")})
    assert actions(ops) == {"apps/a.yaml": "update"}  # the old base still merges the hand edit
    assert (dest / "apps/a.yaml").read_bytes() == changed(
        changed(TEXT, 9, "line10: new\n"), 0, "line1: mine\n")
    state = json.loads((dest / ".gitops-gen/state.json").read_text())
    assert state["format"] == 2 and not (dest / ".gitops-gen/base/apps").exists()
