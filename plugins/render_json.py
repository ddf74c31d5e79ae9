"""`report -o plan.json`: the analysis and the plan, for other tools."""

from __future__ import annotations

import json

from ventureplan.planner import hookimpl
from ventureplan.planner.analysis import to_dict
from ventureplan.planner.errors import VenturePlanError
from ventureplan.planner.results import Report


def render(report: Report) -> bytes:
    doc = {
        "plan": report.plan.model_dump(mode="json", by_alias=True),
        "analysis": to_dict(report.analysis),
        "findings": [f.to_dict() for f in report.findings],
        "diagrams": report.diagrams,
        "language": report.lang,
        "generated": report.generated.isoformat(),
    }
    try:
        text = json.dumps(doc, ensure_ascii=False, indent=2, default=str, allow_nan=False)
    except ValueError:  # strict JSON: NaN or infinity is a bug to report, not output
        raise VenturePlanError(
            "a number in the report came out not finite (NaN or infinity); nothing was written"
        ) from None
    return (text + "\n").encode("utf-8")


@hookimpl
def renderers() -> dict[str, object]:
    return {"json": render}
