"""The starter plans that `ventureplan init` writes, shipped in ventureplan.templates."""

from __future__ import annotations

from importlib.resources import files

from .defaults import LANGUAGES
from .errors import VenturePlanError


def examples() -> list[str]:
    folder = files("ventureplan.templates") / "starters"
    names = {p.name.split(".")[0] for p in folder.iterdir() if p.name.endswith(".yaml")}
    return sorted(names)


def starter_text(example: str, lang: str) -> str:
    if lang not in LANGUAGES:
        raise VenturePlanError(f"unknown language '{lang}'; choose one of: {', '.join(LANGUAGES)}")
    if example not in examples():
        raise VenturePlanError(
            f"unknown example '{example}'; choose one of: {', '.join(examples())}"
        )
    return (files("ventureplan.templates") / "starters" / f"{example}.{lang}.yaml").read_text(
        "utf-8"
    )
