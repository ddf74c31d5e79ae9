"""Legal lints: technology, models and data whose licence forbids the venture's commercial
use, unless a legal risk in the register names them; and personal data (a route's
`dataset.personal_data` or `serve.personal_data`, GDPR/CCPA) without a legal risk, a data
protection impact assessment task, or a retention rule."""

from __future__ import annotations

import re

from ventureplan.planner import hookimpl
from ventureplan.planner.builtins import DATASETS, MODELS, builtin_name
from ventureplan.planner.defaults import LANGUAGES
from ventureplan.planner.errors import Finding
from ventureplan.planner.model import Plan
from ventureplan.planner.report import labels, lint

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


# A task that is a data protection impact assessment (GDPR art. 35), in English or Chinese.
DPIA = re.compile(
    r"\bDPIA\b|\bPIA\b|data[- ]protection impact|privacy impact|数据保护影响评估|隐私影响评估",
    re.IGNORECASE,
)


def privacy_checks(plan: Plan) -> list[Finding]:
    """For each route whose data set or service holds personal data: a legal risk, a
    DPIA task and a retention rule, each a warning where the plan marks the data."""
    out = []
    legal = any(r.category == "legal" for r in plan.risks)
    dpia = any(DPIA.search(" ".join(filter(None, (t.name, t.id)))) for t in plan.tasks)
    for i, route in enumerate(plan.routes):
        marked: list[tuple[tuple[str | int, ...], str, int | None]] = []
        if route.dataset.personal_data:
            marked.append((("routes", i, "dataset"), "data-set", route.dataset.retention_days))
        if route.serve is not None and route.serve.personal_data:
            marked.append((("routes", i, "serve"), "service", route.serve.retention_days))
        for where, what, retention in marked:
            args = {"route": route.id, "what": _words(what), "i": i, "part": where[2]}
            lacks = [
                ("privacy-no-legal-risk", not legal),
                ("privacy-no-dpia", not dpia),
                ("privacy-no-retention", retention is None),
            ]
            for code, missing in lacks:
                if missing:
                    out.append(_privacy(plan, code, (*where, "personal_data"), args))
    return out


def _words(key: str) -> dict[str, str]:
    """A word of the lint catalogue in every language."""
    return {lang: labels(lang)["lints"][key] for lang in LANGUAGES}


def _privacy(
    plan: Plan, code: str, path: tuple[str | int, ...], args: dict[str, object]
) -> Finding:
    return lint(
        code, plan.language, code, f"{code}.fix", args, severity="warning", path=path, letter="A"
    )


@hookimpl
def plan_checks(plan: Plan) -> list[Finding]:
    return licence_checks(plan) + privacy_checks(plan)


def licence_checks(plan: Plan) -> list[Finding]:
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
                lint(
                    "licence-non-commercial",
                    plan.language,
                    "licence-non-commercial",
                    "licence-non-commercial.fix",
                    {"name": name, "licence": licence},
                    severity="warning",
                    path=where,
                    letter="A",
                )
            )
    return out
