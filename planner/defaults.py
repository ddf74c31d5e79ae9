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

# The limits of a plan, so every number the tool computes from it stays finite and every
# date stays on the calendar (README, "Limits").
MAX_DAYS = 36_500  # one estimate or risk delay, in calendar units (100 years of days)
MAX_SPAN = 100_000  # the worst case of a whole plan (all pessimistic, every risk at its high)
MAX_MONEY = 1e15  # any amount of money
EARLIEST_START = "1900-01-01"
LATEST_START = "2999-12-31"
