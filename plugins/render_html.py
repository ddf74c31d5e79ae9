"""`report -o plan.html`: one self-contained page, charts inline as SVG (no scripts)."""

from __future__ import annotations

from importlib.resources import files

from markupsafe import Markup
from ventureplan.planner import hookimpl
from ventureplan.planner.report import jinja_env, template_context
from ventureplan.planner.results import Report


def charts(report: Report) -> dict[str, Markup]:
    from ventureplan.plugins import charts as draw

    a, words = report.analysis, report.labels
    # matplotlib escapes the plan's text inside the SVG it writes
    return {
        name: Markup(getattr(draw, name)(a, words))
        for name in ("gantt", "baseline", "heatmap", "s_curve", "tornado", "cash", "variants")
    }


def html(report: Report) -> str:
    css = (files("ventureplan.templates") / "report.css").read_text("utf-8")
    template = jinja_env().get_template("report.html.j2")
    return template.render(**template_context(report), charts=charts(report), css=Markup(css))


def render(report: Report) -> bytes:
    return html(report).encode("utf-8")


@hookimpl
def renderers() -> dict[str, object]:
    return {"html": render}
