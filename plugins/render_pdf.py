"""`report -o plan.pdf`: the HTML report printed on A4 by WeasyPrint.

The page is built from someone else's plan, so the URL fetcher serves nothing: the
stylesheet and the charts are inline, fonts come from the system (fontconfig), and any
URL the page might name — http, file, data — is refused and counted.
"""

from __future__ import annotations

from typing import Any

from ventureplan.planner import hookimpl
from ventureplan.planner.errors import VenturePlanError
from ventureplan.planner.results import Report
from ventureplan.plugins.render_html import html


def _fetcher_class() -> Any:
    from weasyprint.urls import URLFetcher

    class RefusingFetcher(URLFetcher):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(allowed_protocols=())
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            self.refused.append(url)
            raise ValueError(f"ventureplan reports load nothing from outside: {url[:80]}")

    return RefusingFetcher


def render(report: Report) -> bytes:
    try:
        import weasyprint
    except ImportError:
        raise VenturePlanError(
            "PDF reports need WeasyPrint: pip install 'ventureplan[pdf]'"
        ) from None
    fetcher = _fetcher_class()()
    document = weasyprint.HTML(string=html(report), base_url="about:blank", url_fetcher=fetcher)
    pdf: bytes = document.write_pdf()
    report.extra["refused_urls"] = fetcher.refused
    return pdf


@hookimpl
def renderers() -> dict[str, object]:
    return {"pdf": render}
