"""Calendar units (working days or days from the start) to dates, and back.

Durations stay continuous; they become whole days only when a date is shown. Unit
offset x means "x units of work done": the work of unit k (k = 0, 1, ...) happens on
the k-th working day, so a task spanning [0, 5) workdays from a Monday ends on Friday.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

import numpy as np

Calendar = Literal["workdays", "days"]
DAYS_PER_MONTH = 365.2425 / 12
_EPS = 1e-9


def day(start: dt.date, calendar: Calendar, k: int) -> dt.date:
    """The date of unit k (0 = the first working day on or after `start`)."""
    if calendar == "days":
        return start + dt.timedelta(days=k)
    return dt.date.fromisoformat(str(np.busday_offset(np.datetime64(start), k, roll="forward")))


def start_date(start: dt.date, calendar: Calendar, x: float) -> dt.date:
    """The day on which work beginning at offset x takes place."""
    return day(start, calendar, math.floor(x + _EPS))


def finish_date(start: dt.date, calendar: Calendar, x: float) -> dt.date:
    """The last day on which work ending at offset x takes place (the start day for x = 0)."""
    return day(start, calendar, max(math.ceil(x - _EPS) - 1, 0))


def days(start: dt.date, calendar: Calendar, k: np.ndarray) -> list[dt.date]:
    """`day` for many unit indexes at once."""
    k = np.asarray(k, dtype=np.int64)
    origin = np.datetime64(start, "D")
    dates = origin + k if calendar == "days" else np.busday_offset(origin, k, roll="forward")
    return dates.astype("datetime64[D]").astype(object).tolist()  # type: ignore[no-any-return]


def start_dates(start: dt.date, calendar: Calendar, x: np.ndarray) -> list[dt.date]:
    return days(start, calendar, np.floor(np.asarray(x) + _EPS))


def finish_dates(start: dt.date, calendar: Calendar, x: np.ndarray) -> list[dt.date]:
    return days(start, calendar, np.maximum(np.ceil(np.asarray(x) - _EPS) - 1, 0))


def elapsed_days(start: dt.date, calendar: Calendar, x: np.ndarray) -> np.ndarray:
    """Calendar days from `start` to the end of offset x, vectorised (for money over time)."""
    x = np.asarray(x, dtype=np.float64)
    if calendar == "days":
        return x
    whole = np.floor(x + _EPS).astype(np.int64)
    origin = np.datetime64(start, "D")
    dates = np.busday_offset(origin, whole, roll="forward")
    return (dates - origin).astype(np.float64) + (x - whole)


def elapsed_months(start: dt.date, calendar: Calendar, x: np.ndarray) -> np.ndarray:
    return elapsed_days(start, calendar, x) / DAYS_PER_MONTH


def offset_of(start: dt.date, calendar: Calendar, day: dt.date) -> float:
    """The offset at which `day` begins: working days (or days) from `start` to it."""
    if day <= start:
        return 0.0
    if calendar == "days":
        return float((day - start).days)
    return float(np.busday_count(start, day))
