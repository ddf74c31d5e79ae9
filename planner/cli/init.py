from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import planfile
from ..defaults import LANGUAGES
from ..errors import VenturePlanError
from ..starters import examples, starter_text
from .output import echo


def init(
    path: Annotated[Path, typer.Argument(help="Where to write the plan.")] = Path("plan.yaml"),
    example: Annotated[
        str, typer.Option("--example", "-e", help="Which starter plan.")
    ] = "newslens",
    lang: Annotated[
        str, typer.Option("--lang", help="Language of the plan's text: en or zh.")
    ] = "en",
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a complete, valid starter plan to edit.

    The starter describes an AI text-classification venture, commented field by field.
    Starters: newslens (complete) and minimal (the least a valid plan needs).

    Example: ventureplan init plan.yaml --lang zh
    """
    if lang not in LANGUAGES:
        raise typer.BadParameter(f"choose one of: {', '.join(LANGUAGES)}", param_hint="--lang")
    if example not in examples():
        raise typer.BadParameter(f"choose one of: {', '.join(examples())}", param_hint="--example")
    if not path.parent.is_dir():
        raise VenturePlanError(f"folder {path.parent} does not exist")
    planfile.create(path, starter_text(example, lang), force=force)
    echo(f"Wrote {path} ({example}, {lang}). Next: ventureplan check {path}")
