"""output-example/ is the render of blueprints/eks-platform.yaml, committed: it must not be stale,
and it must lint clean."""

import os
import pathlib

from gitops_gen.api import LintOptions, RenderOptions, lint, render

REPO = pathlib.Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "output-example"


def _tree(root: pathlib.Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".gitops-gen" not in p.relative_to(root).parts}


def test_output_example_is_the_render_of_eks_platform(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)  # the header names the blueprint as given: blueprints/eks-platform.yaml
    fresh = tmp_path / "output-example"
    render(RenderOptions(blueprint=os.path.join("blueprints", "eks-platform.yaml"),
                         output=str(fresh), git=False))
    committed, rendered = _tree(EXAMPLE), _tree(fresh)
    stale = sorted(p for p in committed.keys() | rendered.keys()
                   if committed.get(p) != rendered.get(p))
    assert not stale, f"output-example is stale ({stale[:5]}...): run scripts/update_output_example.py"


def test_output_example_files_lint_clean_as_they_are():
    """The files alone (what Argo CD deploys is tests/test_lint_rendered_repo.py's)."""
    run = lint(LintOptions(paths=(str(EXAMPLE),), render=False))
    assert run.result.problems == []
    assert run.result.resources > 50
