"""Render a template tree into DEST: `render_tree` -> `plan` -> `apply` (-> `commit`).

Rendering never writes; planning decides every write (create, identical, update, conflict,
skip, delete) against the disk and the last render; applying writes atomically inside DEST and
records the new state in `DEST/.gitops-gen/`.
"""

from gitops_gen.render.plan import (SIDECAR_SUFFIX, STATE_DIR, Action, BlueprintRef, FileOp,
                                    RenderState, counts, normalise, plan)
from gitops_gen.render.templating import default_header, render_tree
from gitops_gen.render.write import ApplyReport, apply, unified_diff

__all__ = [
    "SIDECAR_SUFFIX", "STATE_DIR", "Action", "ApplyReport", "BlueprintRef", "FileOp",
    "RenderState", "apply", "counts", "default_header", "normalise", "plan", "render_tree",
    "unified_diff",
]
