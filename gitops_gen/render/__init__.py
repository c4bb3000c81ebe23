"""Render a template tree into DEST: `render_tree` -> `plan` -> `apply` (-> `commit`).

Rendering never writes; planning decides every write (create, identical, update, conflict,
skip, delete) against the disk and the last render; applying writes atomically inside DEST and
records the new state in `DEST/.gitops-gen/` last. `render_lock` keeps renders of one DEST
apart.
"""

from gitops_gen.render.lock import render_lock
from gitops_gen.render.paths import SIDECAR_SUFFIX, STATE_DIR, normalise
from gitops_gen.render.plan import Action, FileOp, counts, plan
from gitops_gen.render.state import BlueprintRef, RenderState
from gitops_gen.render.templating import default_header, render_tree
from gitops_gen.render.write import (ApplyReport, apply, clean_interrupted, preflight,
                                     unified_diff)

__all__ = [
    "SIDECAR_SUFFIX", "STATE_DIR", "Action", "ApplyReport", "BlueprintRef", "FileOp",
    "RenderState", "apply", "clean_interrupted", "counts", "default_header", "normalise", "plan",
    "preflight", "render_lock", "render_tree", "unified_diff",
]
