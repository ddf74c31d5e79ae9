from ventureplan.planner import hookimpl


@hookimpl
def plan_checks(plan):
    raise RuntimeError("boom")
