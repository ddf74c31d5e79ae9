"""SMART lints on goals and risks: each finding names its letter and how to fix it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ventureplan.planner import hookimpl
from ventureplan.planner.errors import Finding
from ventureplan.planner.model import Plan
from ventureplan.planner.records import METRICS
from ventureplan.planner.riskscore import level, score

if TYPE_CHECKING:
    from ventureplan.planner.evidence import Evidence, GoalEvidence
    from ventureplan.planner.results import Analysis


def _lint(code: str, letter: str, message: str, path: tuple[str | int, ...], hint: str) -> Finding:
    return Finding(code, message, severity="warning", path=path, letter=letter, hint=hint)


def _vague(statement: str) -> bool:
    # Chinese has no spaces between words: count characters instead.
    cjk = sum("\u4e00" <= c <= "\u9fff" for c in statement)
    return cjk < 8 if cjk else len(statement.split()) < 5


@hookimpl
def plan_checks(plan: Plan) -> list[Finding]:
    out = []
    measured = {g for r in plan.routes for g in r.measures}
    for i, g in enumerate(plan.goals):
        at = ("goals", i)
        if _vague(g.statement):
            out.append(
                _lint(
                    "goal-vague",
                    "S",
                    f"goal '{g.id}' is too short to be specific",
                    (*at, "statement"),
                    "say what will be true, for whom, and how it is measured",
                )
            )
        if g.metric is None or g.target is None:
            missing = " and ".join(
                n for n, v in (("metric", g.metric), ("target", g.target)) if v is None
            )
            out.append(
                _lint(
                    "goal-no-metric",
                    "M",
                    f"goal '{g.id}' has no {missing}",
                    at,
                    "add metric (e.g. macro_f1) and target (e.g. 0.9)",
                )
            )
        elif g.metric in METRICS and g.id not in measured:
            out.append(
                _lint(
                    "goal-unmeasured",
                    "M",
                    f"no route measures goal '{g.id}' ({g.metric})",
                    at,
                    f"add '{g.id}' to the chosen route's measures",
                )
            )
        if g.owner is None:
            out.append(
                _lint(
                    "goal-no-owner",
                    "A",
                    f"goal '{g.id}' has no owner",
                    at,
                    "set owner to the team role accountable for it",
                )
            )
        if g.relevant_to is None:
            out.append(
                _lint(
                    "goal-no-relevance",
                    "R",
                    f"goal '{g.id}' does not say why it matters",
                    at,
                    "add relevant_to: the customer or business reason",
                )
            )
        if g.deadline is None:
            out.append(
                _lint(
                    "goal-no-deadline",
                    "T",
                    f"goal '{g.id}' has no deadline",
                    at,
                    "add deadline: YYYY-MM-DD",
                )
            )
    for i, r in enumerate(plan.risks):
        at = ("risks", i)
        if r.owner is None:
            out.append(
                _lint(
                    "risk-no-owner",
                    "A",
                    f"risk '{r.id}' has no owner",
                    at,
                    "set owner to the team role that watches it",
                )
            )
        if r.response is None:
            out.append(
                _lint(
                    "risk-no-response",
                    "A",
                    f"risk '{r.id}' has no response",
                    at,
                    "set response: avoid, transfer, mitigate, accept or escalate",
                )
            )
        lvl = level(score(r.probability, r.impact))
        if r.response == "accept" and lvl in ("high", "critical") and not r.trigger:
            out.append(
                _lint(
                    "risk-accepted-blind",
                    "A",
                    f"{lvl} risk '{r.id}' is accepted with no trigger to watch",
                    at,
                    "add trigger: the early sign that it is happening",
                )
            )
    return out


@hookimpl
def analysis_checks(analysis: Analysis) -> list[Finding]:
    """The SMART lints that need the simulated schedule, the cash curve or the evidence."""
    out = []
    sim, plan = analysis.simulation, analysis.plan
    p80 = analysis.date(sim.finish["p80"])
    names = {t.id: t.name or t.id for t in plan.tasks}
    for i, g in enumerate(plan.goals):
        if g.deadline is None:
            continue
        # a goal delivered by a task is due when that task finishes, not the whole plan
        task = sim.task_finish.get(g.delivered_by or "")
        if task is not None:
            due = analysis.date(task["p80"])
            if g.deadline < due:
                out.append(
                    _lint(
                        "deadline-before-p80",
                        "T",
                        f"goal '{g.id}' is due {g.deadline}, but '{names[str(g.delivered_by)]}', "
                        f"which delivers it, finishes by {due} only with 80% confidence",
                        ("goals", i, "deadline"),
                        "move the deadline, cut scope, or shorten the path to that task",
                    )
                )
        elif g.deadline < p80:
            out.append(
                _lint(
                    "deadline-before-p80",
                    "T",
                    f"goal '{g.id}' is due {g.deadline}, but the plan finishes by {p80} "
                    "only with 80% confidence",
                    ("goals", i, "deadline"),
                    "move the deadline, cut scope, shorten the critical path, or name the "
                    "task that delivers it (delivered_by)",
                )
            )
    out += _measured_misses(analysis)
    budget = analysis.budget
    if budget.runway_months is not None and budget.runway_months < analysis.months(
        sim.finish["p80"]
    ):
        out.append(
            _lint(
                "cash-out-before-p80",
                "A",
                f"the cash runs out around {budget.cash_out_date} (month "
                f"{budget.runway_months:.1f}), before the P80 finish {p80}",
                ("budget", "cash"),
                "raise more, spend less per month, or finish sooner",
            )
        )
    return out


def _measured_misses(analysis: Analysis) -> list[Finding]:
    """A goal whose latest evidence says missed. The evidence is what `evidence.gather` makes
    of the plan's records (for each route its newest record that counts as evidence: no
    rehearsal, not ignored; the chosen route first); a goal's verdict is the first in that
    order that settles it (a run on the goal's own data set, where it names one)."""
    verdicts: dict[str, tuple[GoalEvidence, Evidence]] = {}
    for ev in analysis.evidence:
        for g in ev.goals:
            if g.met is not None and g.settles:
                verdicts.setdefault(g.goal, (g, ev))
    out = []
    for i, goal in enumerate(analysis.plan.goals):
        found = verdicts.get(goal.id)
        if found is None or found[0].met:
            continue
        g, ev = found
        out.append(
            _lint(
                "goal-measured-missed",
                "A",
                f"goal '{goal.id}' was measured as missed: {g.metric} = {g.value:.4g}, "
                f"target {g.direction} {g.target:g} (route '{ev.route}', run {ev.run})",
                ("goals", i, "target"),
                "act on the risks linked to this goal, change the route, or revise the target",
            )
        )
    return out
