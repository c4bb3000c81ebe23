"""The `gitops-gen` command (and `python -m gitops_gen`): the CLI, with the cyclic garbage
collector kept off its start-up.

Loading the CLI creates tens of thousands of objects that live as long as the process
(modules, classes, functions) and no garbage, so collecting then only costs time (about a tenth
of linting one file). They are loaded with the collector off, then frozen out of its reach
(`gc.freeze`); the command itself runs with the collector on, as usual.
"""

from __future__ import annotations

import gc


def main() -> None:
    gc.disable()
    try:
        from gitops_gen.cli import main as cli
    finally:
        gc.freeze()
        gc.enable()
    cli()
