"""The `gitops-gen` command (and `python -m gitops_gen`): the CLI, with the cyclic garbage
collector kept off its start-up and its exit.

Loading the CLI creates tens of thousands of objects that live as long as the process
(modules, classes, functions) and no garbage, so collecting then only costs time (about a tenth
of linting one file). They are loaded with the collector off, then frozen out of its reach
(`gc.freeze`); the command itself runs with the collector on, as usual. When it ends, what it
made is frozen too: the interpreter's last collections at exit would otherwise walk every object
left (the schemas, rules and modules a lint loaded: about a tenth of linting one file again),
only for the process to end.
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
    try:
        cli()
    finally:
        gc.freeze()
