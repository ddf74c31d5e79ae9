from __future__ import annotations

from ..plugin_manager import get_plugin_manager
from .options import JsonFlag
from .output import print_json, safe


def plugins(
    json_: JsonFlag = False,
) -> None:
    """List the installed plugins and the hooks each implements.

    Built-in features are plugins too; a plugin that failed to load is listed with its error.

    Example: ventureplan plugins
    """
    infos = get_plugin_manager().infos()
    if json_:
        print_json([vars(i) | {"builtin": i.builtin} for i in infos])
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="ventureplan plugins", title_justify="left")
    table.add_column("name", no_wrap=True)
    table.add_column("module", no_wrap=True)
    table.add_column("from", no_wrap=True)
    table.add_column("hooks", overflow="fold")
    for i in infos:
        origin = "built-in" if i.builtin else (i.distribution or "registered")
        hooks = f"[red]failed: {safe(i.error)}[/]" if i.error else ", ".join(i.hooks)
        table.add_row(safe(i.name), safe(i.module), safe(origin), hooks)
    Console().print(table)
