"""`report -o plan.md`: GitHub-flavoured Markdown with the Mermaid diagrams in fenced blocks."""

from __future__ import annotations

from ventureplan.planner import hookimpl
from ventureplan.planner.report import jinja_env, template_context
from ventureplan.planner.results import Report


def render(report: Report) -> bytes:
    template = jinja_env(markdown=True).get_template("report.md.j2")
    return template.render(**template_context(report)).encode("utf-8")


@hookimpl
def renderers() -> dict[str, object]:
    return {"md": render}
