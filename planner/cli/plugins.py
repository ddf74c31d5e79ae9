from __future__ import annotations

from ..plugin_manager import get_plugin_manager
from .options import JsonFlag, Width
from .output import Col, console, fit, print_json, safe


def plugins(
    json_: JsonFlag = False,
    width: Width = None,
) -> None:
    """List the installed plugins and the hooks each implements.

    Built-in features are plugins too; a plugin that failed to load is listed with its error.

    Example: ventureplan plugins
    """
    infos = get_plugin_manager().infos()
    if json_:
        print_json([vars(i) | {"builtin": i.builtin} for i in infos])
        return
    out = console(width)
    columns = [
        Col("name", wrap=True, breaks="-_"),
        Col("module", wrap=True, breaks="._", drop=1),
        Col("from", wrap=True, breaks="-_"),
        # hook names are long and whole: the column is wide enough for the longest
        Col("hooks", flex=True, want=36),
    ]
    rows = []
    for i in infos:
        origin = "built-in" if i.builtin else (i.distribution or "registered")
        hooks = f"[red]failed: {safe(i.error)}[/]" if i.error else ", ".join(i.hooks)
        rows.append([safe(i.name), safe(i.module), safe(origin), hooks])
    out.print(fit(out.width, columns, rows, title="ventureplan plugins", title_justify="left"))
