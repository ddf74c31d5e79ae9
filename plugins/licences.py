"""Legal lints: technology, models and data whose licence forbids the venture's commercial
use, unless a legal risk in the register names them; and personal data (a route's
`dataset.personal_data` or `serve.personal_data`, GDPR/CCPA) without a legal risk, a data
protection impact assessment task, or a retention rule."""

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
            marked.append((("routes", i, "dataset"), "data set", route.dataset.retention_days))
        if route.serve is not None and route.serve.personal_data:
            marked.append((("routes", i, "serve"), "service", route.serve.retention_days))
        for where, what, retention in marked:
            subject = f"route '{route.id}''s {what} holds personal data"
            if not legal:
                out.append(_privacy(
                    "privacy-no-legal-risk", f"{subject} and no legal risk is in the register",
                    (*where, "personal_data"),
                    "add a risk with category: legal for data protection (GDPR/CCPA): "
                    "consent, access and deletion requests, breaches",
                ))  # fmt: skip
            if not dpia:
                out.append(_privacy(
                    "privacy-no-dpia",
                    f"{subject} and no task is a data protection impact assessment",
                    (*where, "personal_data"),
                    "add a task such as 'Data protection impact assessment (DPIA)' before "
                    "the data is collected or the service launches",
                ))  # fmt: skip
            if retention is None:
                out.append(_privacy(
                    "privacy-no-retention", f"{subject} and no retention rule says how long",
                    (*where, "personal_data"),
                    f"set routes[{i}].{where[2]}.retention_days: how many days it is kept",
                ))  # fmt: skip
    return out


def _privacy(code: str, message: str, path: tuple[str | int, ...], hint: str) -> Finding:
    return Finding(code, message, severity="warning", path=path, letter="A", hint=hint)


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
