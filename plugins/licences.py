"""Flags technology, models and data whose licence forbids the venture's commercial use,
unless a legal risk in the register names them."""

from __future__ import annotations

import re

from ventureplan.planner import hookimpl
from ventureplan.planner.builtins import DATASETS, MODELS, builtin_name
from ventureplan.planner.errors import Finding
from ventureplan.planner.model import Plan

NON_COMMERCIAL = re.compile(
    r"non[- ]?commercial|\bNC\b|research[- ]only|academic[- ]only|personal[- ]use|非商业|仅限研究",
    re.IGNORECASE,
)


def forbids_commercial_use(licence: str | None) -> bool:
    return bool(licence and NON_COMMERCIAL.search(licence))


def _covered(plan: Plan, names: tuple[str, ...]) -> bool:
    texts = [
        " ".join(filter(None, (r.title, r.trigger, r.mitigation))).lower()
        for r in plan.risks
        if r.category == "legal"
    ]
    return any(n.lower() in t for n in names for t in texts)


@hookimpl
def plan_checks(plan: Plan) -> list[Finding]:
    suspects: list[tuple[tuple[str | int, ...], str, str, tuple[str, ...]]] = []
    for i, s in enumerate(plan.stack):
        if forbids_commercial_use(s.licence):
            suspects.append((("stack", i), s.name, s.licence or "", (s.name,)))
    route = plan.chosen_route
    if route is not None:
        i = plan.routes.index(route)
        for ref, table, path in (
            (route.model, MODELS, ("model",)),
            (route.dataset.source, DATASETS, ("dataset", "source")),
        ):
            b = table.get(builtin_name(ref) or "")
            if b is not None and not b.commercial_use:
                suspects.append((("routes", i, *path), b.name, b.licence, (b.name, *b.aliases)))
    out = []
    for where, name, licence, names in suspects:
        if not _covered(plan, names):
            out.append(
                Finding(
                    "licence-non-commercial",
                    f"{name} is licensed '{licence}', which forbids commercial use, "
                    "and no legal risk covers it",
                    severity="warning",
                    path=where,
                    letter="A",
                    hint=f"add a risk with category: legal that names {name} "
                    "and how you will replace or license it",
                )
            )
    return out
