"""K8S115 nodepool-budget-blocks-disruption

## What it does
Flags Karpenter NodePools (`karpenter.sh`) with a disruption budget of `nodes: "0"` (or `"0%"`)
that is always active, for every disruption reason or for `Drifted`: a budget without a
`schedule`, or one whose `duration` covers the whole period of its schedule (`@daily` for `24h`,
`0 * * * *` for `1h`, ...). A zero budget limited to a window (`0 9 * * 1-5` for `8h`), or to
the `Empty` and `Underutilized` reasons, is a maintenance window, not a block.

## Why it matters
After an EKS control plane upgrade Karpenter replaces the nodes through drift (their AMI no
longer matches). A budget that never allows a node to be disrupted keeps every node on the old
kubelet: the upgrade is never finished, and the next one is refused once the skew is too wide.

## Example
    apiVersion: karpenter.sh/v1
    kind: NodePool
    spec:
      disruption:
        budgets:
          - nodes: "0"

## Use instead
    apiVersion: karpenter.sh/v1
    kind: NodePool
    spec:
      disruption:
        budgets:
          - nodes: "10%"
          - nodes: "0"            # no disruption during business hours
            schedule: "0 9 * * 1-5"
            duration: 8h
"""

import re

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.k8s import get, mapping, sequence, yaml_value

_MACROS = {"@hourly": 60, "@daily": 1440, "@midnight": 1440, "@weekly": 10080,
           "@monthly": 31 * 1440, "@yearly": 366 * 1440, "@annually": 366 * 1440}
"""Minutes between two hits of a cron macro (the longest gap, for months and years)."""
_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:0s)?")
_STEP = re.compile(r"\*/(\d+)")


@rule(code="K8S115", name="nodepool-budget-blocks-disruption", severity=Severity.WARNING,
      kinds=("NodePool",),
      remediation="Allow some nodes (e.g. nodes: \"10%\"), and keep zero budgets to a schedule.")
def check(obj, opts):
    if not str(obj.get("apiVersion", "")).startswith("karpenter.sh/"):
        return
    budgets = sequence(get(obj, ("spec", "disruption", "budgets")))
    for index, budget in enumerate(budgets):
        budget = mapping(budget)
        nodes, schedule = budget.get("nodes"), budget.get("schedule")
        reasons = sequence(budget.get("reasons"))
        if nodes not in ("0", "0%") or (reasons and "Drifted" not in reasons):
            continue
        if schedule is None:
            why = "has no schedule, so it is always active"
        elif always_active(schedule, budget.get("duration")):
            why = f"is always active (schedule {schedule!r} for {budget.get('duration')})"
        else:
            continue
        blocked = "drift" if reasons else "every disruption"
        yield Finding(f"budget nodes {yaml_value(nodes)} {why}: it blocks {blocked}, so "
                      "Karpenter never replaces the nodes after a Kubernetes upgrade",
                      ("spec", "disruption", "budgets", index, "nodes"))


def always_active(schedule: object, duration: object) -> bool:
    """Whether a budget active for `duration` from each hit of cron `schedule` never ends."""
    period, length = _period_minutes(schedule), _minutes(duration)
    return period is not None and length is not None and length >= period


def _period_minutes(schedule: object) -> int | None:
    """Minutes between hits of a cron schedule that fires at a fixed rate; None otherwise."""
    if not isinstance(schedule, str):
        return None
    if schedule.strip() in _MACROS:
        return _MACROS[schedule.strip()]
    fields = schedule.split()
    if len(fields) != 5 or fields[2:] != ["*", "*", "*"]:
        return None
    minute, hour = fields[:2]
    if hour == "*":
        return _every(minute, 60)
    if not minute.isdigit():
        return None
    hours = _every(hour, 24)
    return hours * 60 if hours is not None else None


def _every(field: str, cycle: int) -> int | None:
    """The step of a cron field (`*` 1, `*/15` 15, a single value the whole cycle)."""
    if field == "*":
        return 1
    step = _STEP.fullmatch(field)
    if step and 0 < int(step[1]) and cycle % int(step[1]) == 0:
        return int(step[1])
    return cycle if field.isdigit() else None


def _minutes(duration: object) -> int | None:
    match = _DURATION.fullmatch(duration) if isinstance(duration, str) and duration else None
    if not match or not (match[1] or match[2]):
        return None
    return int(match[1] or 0) * 60 + int(match[2] or 0)
