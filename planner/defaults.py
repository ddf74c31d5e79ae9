"""The numbers and codes several commands share, said once: iterations, seeds, languages."""

from __future__ import annotations

import typing
from typing import Literal

DEFAULT_ITERATIONS = 10_000  # analyze, report, roadmap, diff
LIVE_ITERATIONS = 2_000  # serve: a save shows on the projector within a second or two
DEFAULT_SEED = 0
MAX_ITERATIONS = 10_000_000

Language = Literal["en", "zh"]
LANGUAGES: tuple[str, ...] = typing.get_args(Language)
