"""What the report templates share: the labels in each language, the template context, the
Jinja environment and Markdown escaping. The report itself is built by `pipeline.report`.

The lints speak the plan's language too: `lint` words a finding from the catalogue in
templates/labels.yaml (`lints:`, one template per message and per fix hint, in every
language), and `localized` turns findings into the report's language."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from . import quantities
from .defaults import LANGUAGES
from .errors import Finding, VenturePlanError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .budget import Month
    from .model import Plan
    from .results import Report


@cache
def labels(lang: str) -> dict[str, Any]:
    """Headings and labels in `lang` (templates/labels.yaml)."""
    from ruamel.yaml import YAML

    table = YAML(typ="safe", pure=True).load(
        (files("ventureplan.templates") / "labels.yaml").read_text("utf-8")
    )
    if lang not in table:
        raise VenturePlanError(
            f"no labels for language '{lang}'; choose one of: {', '.join(table)}"
        )
    return dict(table[lang])


# --- lint text in each language ----------------------------------------------------

# The attribute of a Finding made by `lint` that holds its text in every language:
# {lang: (message, hint)}. (Finding is the plain dataclass every check returns; the texts
# ride beside its fields, so `to_dict` and `==` see the finding as before.)
TEXTS = "texts_by_language"


def lint_text(lang: str, key: str, args: Mapping[str, Any] | None = None) -> str:
    """One template of the lint catalogue in `lang`, filled in. An argument given as a
    mapping holds a value per language ({"en": "data set", "zh": "数据集"})."""
    template = labels(lang)["lints"].get(key)
    if template is None:  # a text not translated yet: the English one
        template = labels("en")["lints"][key]
    values = {
        k: (v.get(lang, v["en"]) if isinstance(v, Mapping) else v) for k, v in (args or {}).items()
    }
    return str(template).format(**values)


def lint(
    code: str,
    lang: str,
    message: str,
    hint: str | None = None,
    args: Mapping[str, Any] | None = None,
    **fields: Any,
) -> Finding:
    """A finding worded from the lint catalogue: `message` and `hint` are its keys, `args`
    fill them in. It speaks `lang` (the plan's language) and knows its text in every
    language, for a report in another."""
    by_language = {
        language: (
            lint_text(language, message, args),
            None if hint is None else lint_text(language, hint, args),
        )
        for language in LANGUAGES
    }
    said, fix = by_language.get(lang, by_language["en"])
    return with_texts(Finding(code, said, hint=fix, **fields), by_language)


def texts(finding: Finding) -> dict[str, tuple[str, str | None]] | None:
    """The finding's text in every language, where a `lint` made it."""
    found: dict[str, tuple[str, str | None]] | None = getattr(finding, TEXTS, None)
    return found


def with_texts(finding: Finding, by_language: Mapping[str, tuple[str, str | None]]) -> Finding:
    """The finding, knowing its text in each language ({lang: (message, hint)})."""
    setattr(finding, TEXTS, dict(by_language))
    return finding


def keep_texts(copy: Finding, original: Finding) -> Finding:
    """A copy of a finding (dataclasses.replace) keeps the original's texts."""
    found = texts(original)
    return copy if found is None else with_texts(copy, found)


@cache
def _patterns(lang: str) -> list[tuple[re.Pattern[str], str]]:
    """The catalogue's English `fallback.*` templates as patterns, each with its
    translation: for the findings worded elsewhere in English (a plugin that raised)."""
    en, there = labels("en")["lints"], labels(lang)["lints"]
    out = []
    for key, template in en.items():
        if not key.startswith("fallback.") or key not in there:
            continue
        parts = re.split(r"\{(\w+)\}", str(template))
        pattern = "".join(
            re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts)
        )
        out.append((re.compile(pattern + r"\Z", re.DOTALL), str(there[key])))
    return out


def _translate(text: str, lang: str) -> str:
    if lang == "en":
        return text
    more = re.search(r" \(and (\d+) more times?\)\Z", text)  # analysis.once_per_plugin
    head = text[: more.start()] if more else text
    for pattern, template in _patterns(lang):
        m = pattern.match(head)
        if m:
            out = template.format(**m.groupdict())
            if more:
                out += lint_text(lang, "more-times", {"n": more.group(1)})
            return out
    return text


def localized(findings: Iterable[Finding], lang: str) -> list[Finding]:
    """The findings in `lang`: each made by `lint` in its text for that language, any other
    translated where the catalogue knows its English wording, else as it is."""
    out = []
    for f in findings:
        found = texts(f)
        if found is not None:
            message, hint = found.get(lang, (f.message, f.hint))
        else:
            message = _translate(f.message, lang)
            hint = None if f.hint is None else _translate(f.hint, lang)
        if (message, hint) == (f.message, f.hint):
            out.append(f)
        else:
            out.append(keep_texts(dataclasses.replace(f, message=message, hint=hint), f))
    return out


# --- the template context ----------------------------------------------------------

MAX_SCHEDULE_ROWS = 60


def template_context(report: Report) -> dict[str, Any]:
    """What every template needs beyond the report itself."""
    a, words = report.analysis, report.labels
    plan = a.plan
    tasks = a.schedule.tasks
    crit = set(a.schedule.critical_path)
    rows = (
        tasks
        if len(tasks) <= MAX_SCHEDULE_ROWS
        else [t for t in tasks if t.id in crit][:MAX_SCHEDULE_ROWS]
    )
    names = {t.id: t.name or t.id for t in plan.tasks} | {r.id: r.title for r in plan.risks}
    toc = [("summary", words["summary"])]
    market = plan.business.market if plan.business else None
    if market and (market.trends or market.competitors or market.customers or market.size):
        toc.append(("market", words["market"]))
    if plan.stack:
        toc.append(("stack", words["stack"]))
    toc += [
        ("goals", words["goals"]),
        ("team-budget", words["team_budget"]),
        ("schedule", words["schedule"]),
        ("risks", words["risks"]),
        ("monte-carlo", words["monte_carlo"]),
        ("route", words["route"]),
    ]
    if report.appendix:
        toc.append(("appendix", words["appendix"]))
    # the headline is a route's measurement; manual ones have their own line
    ev = next((x for x in a.evidence if x.kind != "manual"), None)
    rh = next(
        (x for x in a.rehearsals if ev is None or x.route == ev.route),
        None,
    )
    return {
        "r": report,
        "appendix": report.appendix,
        # a plan with no money in it at all: no cash curve or revenue table of zeros
        "has_budget": bool(
            plan.budget.cash or plan.budget.items or plan.budget.revenue or plan.team
        ),
        "periods": periods(a.budget.months, words),
        "periods_title": words[
            "revenue_by_quarter" if len(a.budget.months) <= 3 * MAX_QUARTERS else "revenue_by_year"
        ],
        "first_revenue": next((m.month for m in a.budget.months if m.revenue > 0), None),
        "funds": funds(plan),
        # the raise counted in the cash model (funding.month): the runway without it beside
        "raising": a.budget.raise_probability is not None,
        "runway0": (
            f"{a.budget.runway_months_without_raise:.1f} {words['months']} "
            f"({a.budget.cash_out_date_without_raise.isoformat()})"
            if a.budget.runway_months_without_raise is not None
            and a.budget.cash_out_date_without_raise is not None
            else words["runway_never"]
        ),
        "pct": lambda p: f"{(p or 0) * 100:.0f}%",
        "measured_rows": lambda values: measured_rows(values, plan.currency, report.lang),
        "findings": localized(report.findings, report.lang),
        # the summary's measurement: the chosen route's evidence (or the first route's), and
        # a newer rehearsal of the same route beside it; with no evidence, the first rehearsal
        "headline": (ev, rh),
        # the newest manual measurement of each goal (`ventureplan measure`)
        "manual": [x for x in a.evidence if x.kind == "manual"],
        "toc": toc,
        "schedule_rows": rows,
        "names": names,
        "phases": {t.id: t.phase for t in plan.tasks},
        "critical_names": [names[t] for t in a.schedule.critical_path],
        "risk_by_id": {r.id: r for r in plan.risks},
    }


@dataclasses.dataclass
class Period:
    """A quarter or a year of the cash model, for the revenue table."""

    label: str
    revenue: float
    spending: float
    cash: float  # at the end of the period

    @property
    def net(self) -> float:
        return self.revenue - self.spending


MAX_QUARTERS = 12  # longer horizons are shown by year


def periods(months: Sequence[Month], words: Mapping[str, Any]) -> list[Period]:
    """The monthly cash model summed by quarter (by year beyond three years); a period
    cut short by the horizon is labelled by its real months."""
    size = 3 if len(months) <= 3 * MAX_QUARTERS else 12
    key = "quarter_n" if size == 3 else "year_n"
    out = []
    for i in range(0, len(months), size):
        chunk = months[i : i + size]
        out.append(
            Period(
                label=str(words[key if len(chunk) > 1 else "month_n"]).format(
                    n=i // size + 1 if len(chunk) > 1 else chunk[0].month,
                    first=chunk[0].month,
                    last=chunk[-1].month,
                ),
                revenue=sum(m.revenue for m in chunk),
                spending=sum(m.team + m.items for m in chunk),
                cash=chunk[-1].cash,
            )
        )
    return out


def funds(plan: Plan) -> list[tuple[str, float, float | None]]:
    """The use of funds as (category, amount, share of the ask)."""
    if plan.funding is None:
        return []
    ask = plan.funding.ask
    return [
        (u.category, u.amount, u.amount / ask if ask else None) for u in plan.funding.use_of_funds
    ]


def measured_rows(values: Mapping[str, Any], currency: str, lang: str) -> list[tuple[str, str]]:
    """A record's training figures or forecast as (label, value with its unit), in the
    catalogue's order (planner/quantities.py), the keys it does not know last."""
    order = list(quantities.CATALOGUE)
    keys = sorted(
        (k for k, v in values.items() if isinstance(v, int | float) and not isinstance(v, bool)),
        key=lambda k: (order.index(k) if k in order else len(order), k),
    )
    return [
        (quantities.label(k, lang), quantities.value(k, values[k], currency, lang)) for k in keys
    ]


def jinja_env(markdown: bool = False) -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ventureplan.templates", "."),
        autoescape=not markdown,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )
    env.filters["md"] = markdown_text
    env.filters["cell"] = lambda text: markdown_text(text).replace("|", "\\|")
    env.filters["phrase"] = phrase
    env.globals["quantity"] = quantities.value  # a measured value with its unit
    env.globals["target"] = quantities.target  # a goal's target as written, with its unit
    env.filters["moment"] = moment
    return env


def moment(at: Any) -> str:
    """A record's time as a person reads it: 2027-02-10 09:15 UTC."""
    import datetime as dt

    when: object = at
    if isinstance(at, str) and len(at) == 10:  # a day (a manual record's): shown as it is
        return at
    if isinstance(at, str):
        try:
            when = dt.datetime.fromisoformat(at)
        except ValueError:
            return at
    if isinstance(when, dt.datetime):
        zone = "UTC"  # a record's time without a zone is UTC (records.py)
        if when.tzinfo is not None:
            try:
                when = when.astimezone(dt.UTC)
            except OverflowError:  # 0001-01-01T00:00+01:00 has no UTC day: keep its zone
                zone = when.isoformat()[-6:]
        return when.replace(tzinfo=None).isoformat(sep=" ", timespec="minutes") + " " + zone
    return str(at)


_CJK = re.compile("[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
# where a Chinese heading may wrap besides a space: before a full-width opening bracket
_BRACKET = re.compile("(?=[（《「『【])")


def phrase(text: Any) -> Any:
    """A heading for HTML that wraps only between its phrases. A line may break between
    any two Chinese characters, which splits words ("影" / "响"); WeasyPrint has no
    `word-break: keep-all`, so each phrase of a Chinese heading is kept on one line
    (class nowrap) and the heading wraps only at a space or before a full-width bracket.
    Text with no Chinese in it comes back as it is (escaped by the template)."""
    from markupsafe import Markup, escape

    text = str(text)
    if not _CJK.search(text):
        return text
    words = []
    for word in re.split(r"[ \t\r\n]+", text.strip()):  # a no-break space joins
        parts = [p for p in _BRACKET.split(word) if p]
        words.append(
            Markup("<wbr>").join(Markup('<span class="nowrap">%s</span>') % p for p in parts)
        )
    return Markup(" ").join(words) if text.strip() else escape(text)


def markdown_text(text: Any) -> str:
    """Plan text made inert in Markdown: HTML characters escaped, Markdown syntax backslashed,
    newlines folded so a value stays on its line."""
    s = " ".join(str(text).split())
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = []
    for ch in s:
        out.append("\\" + ch if ch in "\\`*_{}[]()#+!~" else ch)
    return "".join(out)
