"""Write gitops_gen/data/rule_catalog.json, the rules as their modules define them, which a lint
run reads instead of importing every rule module (see gitops_gen/lint/registry.py).

    python scripts/gen_rule_catalog.py            # write the catalog
    python scripts/gen_rule_catalog.py --check    # exit 1 when the committed catalog is stale

Run it after adding a rule or changing a rule's code, name, severity, remediation, scope, kinds,
options or documentation; tests/test_registry.py fails while the catalog is stale.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

from gitops_gen.lint.registry import CATALOG_FILE, catalog, defined_rules


def catalog_text() -> str:
    return json.dumps(catalog(defined_rules()), indent=1, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether the file is stale")
    args = parser.parse_args()
    path = pathlib.Path(CATALOG_FILE)
    text = catalog_text()
    if args.check:
        stale = not path.is_file() or path.read_text(encoding="utf-8") != text
        print(f"{path} is {'stale' if stale else 'up to date'}")
        return 1 if stale else 0
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
