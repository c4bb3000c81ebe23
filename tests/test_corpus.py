"""The shared benchmark corpus: every injected schema defect and removed API is reported, at its
exact position, once, and no other schema or API finding appears."""

import re
import subprocess
import sys

from gitops_gen.api import LintOptions, lint


def test_injected_defects_are_found_at_their_positions(shared, tmp_path):
    made = subprocess.run([sys.executable, str(shared / "bench" / "make_corpus.py"),
                           str(tmp_path), "1500"], check=True, capture_output=True, text=True)
    injected = dict(re.findall(r"defect ([\w-]+): (\d+)", made.stdout))
    removed = sum(int(n) for n, api in re.findall(r"^\s+(\d+)\s+\w+ (\S+)", made.stdout, re.M)
                  if api in ("batch/v1beta1", "autoscaling/v2beta2", "extensions/v1beta1",
                             "policy/v1beta1"))
    run = lint(LintOptions(paths=(str(tmp_path),), k8s_version="1.30", jobs=2,
                           select=("SCH001", "SCH002", "SCH003", "API001", "API002")))
    by_code: dict[str, list] = {}
    for problem in run.result.problems:
        by_code.setdefault(problem.code, []).append(problem)
    assert len(by_code["SCH001"]) == int(injected["deployment-replicas-string"])
    assert len(by_code["SCH002"]) == int(injected["service-unknown-field"])
    assert len(by_code["API001"]) == removed > 0  # once: not also an unknown kind (SCH003)
    assert set(by_code) == {"SCH001", "SCH002", "API001"}
    lines = {}
    for problem in run.result.problems:
        text = lines.setdefault(problem.file, open(problem.file).read().splitlines())
        at = text[problem.line - 1][problem.column - 1:]
        if problem.code == "SCH001":
            assert re.match(r"'\d+'", at) and "replicas:" in text[problem.line - 1], at
        elif problem.code == "SCH002":
            assert at.startswith("targetport:"), at
        else:
            assert text[problem.line - 1].startswith("apiVersion: ") and problem.column == 13
