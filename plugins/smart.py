"""SMART lints on goals and risks: each finding names its letter and how to fix it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ventureplan.planner import hookimpl
from ventureplan.planner.defaults import LANGUAGES
from ventureplan.planner.errors import Finding
from ventureplan.planner.evidence import MANUAL
from ventureplan.planner.model import Plan
from ventureplan.planner.records import METRICS
from ventureplan.planner.report import labels, lint
from ventureplan.planner.riskscore import level, score

if TYPE_CHECKING:
    import datetime as dt

    from ventureplan.planner.budget import BudgetResult
    from ventureplan.planner.evidence import Evidence, GoalEvidence
    from ventureplan.planner.results import Analysis


def _lint(
    code: str,
    letter: str | None,
    lang: str,
    path: tuple[str | int, ...],
    text: str | None = None,
    **args: Any,
) -> Finding:
    """A SMART warning in the plan's language, worded by the lint catalogue (templates/
    labels.yaml): `text` is the message's key (the code unless given), its hint `text.fix`."""
    text = text or code
    return lint(code, lang, text, f"{text}.fix", args, severity="warning", path=path, letter=letter)


def _vague(statement: str) -> bool:
    # Chinese has no spaces between words: count characters instead.
    cjk = sum("\u4e00" <= c <= "\u9fff" for c in statement)
    return cjk < 8 if cjk else len(statement.split()) < 5


def _empty(plan: Plan) -> list[Finding]:
    """What a plan has nothing of yet: a reviewer's first questions (what is the work, what is
    it for, who does it, what does it cost), each with what to add."""
    lang, out = plan.language, []
    if not plan.tasks:
        out.append(_lint("plan-no-tasks", "T", lang, ("tasks",)))
    if not plan.goals:
        out.append(_lint("plan-no-goals", "S", lang, ("goals",)))
    if not plan.team:
        out.append(_lint("plan-no-team", "A", lang, ("team",)))
    if _no_budget(plan):
        out.append(_lint("plan-no-budget", "A", lang, ("budget",)))
    return out


def _no_budget(plan: Plan) -> bool:
    b = plan.budget
    return not b.cash and not b.items and not b.revenue and not b.inflows


def _funding(plan: Plan) -> list[Finding]:
    """The use of funds adds up to the ask (within a cent)."""
    f = plan.funding
    if f is None or not f.use_of_funds:
        return []
    used = sum(u.amount for u in f.use_of_funds)
    if abs(used - f.ask) < 0.005:
        return []
    cur = plan.currency
    return [
        _lint(
            "funding-use-mismatch",
            None,
            plan.language,
            ("funding", "use_of_funds"),
            used=_amount(used, cur),
            ask=_amount(f.ask, cur),
            gap=_amount(abs(f.ask - used), cur),
            n=len(f.use_of_funds),
        )
    ]


def _amount(x: float, currency: str) -> str:
    """Whole amounts without cents, others with them: "250,000 USD", "1,000.50 USD"."""
    return f"{x:,.0f} {currency}" if float(x).is_integer() else f"{x:,.2f} {currency}"


@hookimpl
def plan_checks(plan: Plan) -> list[Finding]:
    out = _empty(plan) + _funding(plan)
    lang = plan.language
    measured = {g for r in plan.routes for g in r.measures}
    for i, g in enumerate(plan.goals):
        at = ("goals", i)
        if _vague(g.statement):
            out.append(_lint("goal-vague", "S", lang, (*at, "statement"), goal=g.id))
        if g.metric is None or g.target is None:
            names = [n for n, v in (("metric", g.metric), ("target", g.target)) if v is None]
            missing = {k: _join(k, names) for k in LANGUAGES}
            out.append(_lint("goal-no-metric", "M", lang, at, goal=g.id, missing=missing))
        elif g.metric in METRICS and g.id not in measured:
            out.append(_lint("goal-unmeasured", "M", lang, at, goal=g.id, metric=g.metric))
        if g.owner is None:
            out.append(_lint("goal-no-owner", "A", lang, at, goal=g.id))
        if g.relevant_to is None:
            out.append(_lint("goal-no-relevance", "R", lang, at, goal=g.id))
        if g.deadline is None:
            out.append(_lint("goal-no-deadline", "T", lang, at, goal=g.id))
    for i, r in enumerate(plan.risks):
        at = ("risks", i)
        if r.owner is None:
            out.append(_lint("risk-no-owner", "A", lang, at, risk=r.id))
        if r.response is None:
            out.append(_lint("risk-no-response", "A", lang, at, risk=r.id))
        lvl = level(score(r.probability, r.impact))
        if r.response == "accept" and lvl in ("high", "critical") and not r.trigger:
            words = {k: labels(k)["values"][lvl] for k in LANGUAGES}
            out.append(_lint("risk-accepted-blind", "A", lang, at, risk=r.id, level=words))
    return out


def _join(lang: str, names: list[str]) -> str:
    """Field names (they stay as the plan spells them) joined with the language's "and"."""
    return labels(lang)["lints"]["and"].join(names)


@hookimpl
def analysis_checks(analysis: Analysis) -> list[Finding]:
    """The SMART lints that need the simulated schedule, the cash curve or the evidence."""
    out = []
    sim, plan = analysis.simulation, analysis.plan
    lang = plan.language
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
                        lang,
                        ("goals", i, "deadline"),
                        "deadline-before-task",
                        goal=g.id,
                        deadline=g.deadline,
                        task=names[str(g.delivered_by)],
                        due=due,
                    )
                )
        elif g.deadline < p80:
            out.append(
                _lint(
                    "deadline-before-p80",
                    "T",
                    lang,
                    ("goals", i, "deadline"),
                    goal=g.id,
                    deadline=g.deadline,
                    p80=p80,
                )
            )
    out += _measured_misses(analysis)
    budget = analysis.budget
    # with no budget at all, plan-no-budget says so: "the cash runs out in month 0" is noise
    if not _no_budget(plan):
        out += _cash_lints(budget, analysis.months(sim.finish["p80"]), p80, lang)
    return out


def _cash_lints(budget: BudgetResult, p80_months: float, p80: dt.date, lang: str) -> list[Finding]:
    """Cash runs out before the P80 finish, or would if a raise that may not close did not."""
    out: list[Finding] = []
    if budget.runway_months is not None and budget.runway_months < p80_months:
        out.append(
            _lint(
                "cash-out-before-p80",
                "A",
                lang,
                ("budget", "cash"),
                date=budget.cash_out_date,
                months=budget.runway_months,
                p80=p80,
            )
        )
    elif (  # the plan holds only if a raise that may not close does
        budget.raise_probability is not None
        and budget.raise_probability < 1
        and budget.runway_months_without_raise is not None
        and budget.runway_months_without_raise < p80_months
    ):
        out.append(
            _lint(
                "cash-out-without-raise",
                "A",
                lang,
                ("funding", "month"),
                date=budget.cash_out_date_without_raise,
                months=budget.runway_months_without_raise,
                p80=p80,
                p=budget.raise_probability,
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
        by_hand = ev.kind == MANUAL  # a measurement, not a route's run
        out.append(
            _lint(
                "goal-measured-missed",
                "A",
                analysis.plan.language,
                ("goals", i, "target"),
                "goal-measured-missed-manual" if by_hand else None,
                goal=goal.id,
                metric=g.metric,
                value=g.value,
                direction=g.direction,
                target=g.target,
                route=ev.route,
                run=ev.run,
            )
        )
    return out
