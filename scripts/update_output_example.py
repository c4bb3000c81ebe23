#!/usr/bin/env python3
"""Re-render output-example/ from blueprints/eks-platform.yaml (a test fails when it is stale).

Usage: python scripts/update_output_example.py
"""

import pathlib
import shutil
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gitops_gen.api import RenderOptions, render  # noqa: E402

OUTPUT = REPO / "output-example"
BLUEPRINT = REPO / "blueprints" / "eks-platform.yaml"


def main() -> None:
    shutil.rmtree(OUTPUT, ignore_errors=True)
    run = render(RenderOptions(blueprint=str(BLUEPRINT.relative_to(REPO)),
                               output=str(OUTPUT.relative_to(REPO)), git=False))
    print(f"rendered {len(run.ops)} files into {OUTPUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
