"""A third-party plugin as an outside author would write it."""

from ventureplan.planner import hookimpl
from ventureplan.planner.errors import Finding


@hookimpl
def plan_checks(plan):
    if plan.business is None or "price" not in plan.business.summary.lower():
        return [
            Finding(
                "sample-pricing",
                "the business summary never mentions a price",
                severity="warning",
                path=("business",),
                letter="S",
                hint="say what a customer pays",
            )
        ]
    return []


@hookimpl
def analysis_sections(analysis):
    return {
        "sample": {
            "tasks": len(analysis.plan.tasks),
            "p80": round(analysis.simulation.finish["p80"], 3),
        }
    }


@hookimpl
def mermaid_diagrams(analysis, labels):
    return {
        "timeline": "timeline\n    title Milestones\n"
        + "".join(
            f"    {t.finish_date.isoformat()} : {t.id}\n"
            for t in analysis.schedule.tasks
            if t.milestone
        )
    }


def _text_report(report):
    lines = [report.plan.name, *(f"{k}: {v}" for k, v in report.analysis.simulation.finish.items())]
    return ("\n".join(lines) + "\n").encode()


@hookimpl
def renderers():
    return {"txt": _text_report}
