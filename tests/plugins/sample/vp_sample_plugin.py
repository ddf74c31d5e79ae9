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
