"""Money over time: monthly burn, revenue, the cash curve, runway and break-even.

Month m (1-based) covers the time [m-1, m) in months from the start. One-off items and
one-off revenue land at the start of their month; monthly amounts accrue evenly through it.
A role costs its headcount × monthly cost in its months from_month..until_month only.

The raise (`funding.ask` at the start of `funding.month`) lands like one-off revenue but is
not revenue (it never counts toward break-even) and is uncertain: the model keeps the cash
curve with it (the main curve, the plan as the founder hopes) and without it.

Grants and loans (`budget.inflows`) land at the start of their month in both curves; a
loan's repayments leave through the months `repay_from_month` (default the month after it
arrives) onwards, `repay` a month for `repay_months` months, accruing evenly like a monthly
cost. Neither is revenue (break-even ignores them) nor spending (the cost, the spend by
category and the simulation's cost leave them out): they move cash only.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from .model import Plan

HORIZON = 600  # months searched for the runway and break-even (50 years)


@dataclass
class Month:
    month: int
    starts: dt.date
    team: float
    items: float
    revenue: float
    cash: float  # at the end of the month
    inflows: float = 0.0  # grants, loans and the raise (the main curve) landing this month
    repayments: float = 0.0  # loan repayments this month


@dataclass
class BudgetResult:
    currency: str
    cash: float
    team_monthly: float
    monthly_burn: float  # recurring spending in month 1: team plus monthly items
    runway_months: float | None  # months until the cash runs out; None if it never does
    cash_out_date: dt.date | None
    break_even_month: int | None  # first month whose revenue covers its spending
    lowest_cash: float  # the bottom of the cash curve (within the horizon)
    lowest_cash_month: int
    months: list[Month] = field(default_factory=list)
    p_cash_out: float | None = None  # filled in from the simulation
    # The raise, when the plan gives funding.month (otherwise the fields below equal the main
    # ones and raise_probability is None): the main runway and cash curve count it; these
    # give the curve without it.
    runway_months_without_raise: float | None = None
    cash_out_date_without_raise: dt.date | None = None
    raise_probability: float | None = None
    p_cash_out_with_raise: float | None = None  # filled in from the simulation
    p_cash_out_without_raise: float | None = None


def month_start(start: dt.date, m: int) -> dt.date:
    """The date month m begins (month 1 begins on the start date)."""
    y, mo = divmod(start.month - 1 + (m - 1), 12)
    year, month = start.year + y, mo + 1
    last = [
        31,
        29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][month - 1]
    return dt.date(year, month, min(start.day, last))


class BudgetModel:
    """Monthly arrays (index 0 = month 1) that evaluate spend and cash at any time, vectorised."""

    def __init__(self, plan: Plan, horizon: int = HORIZON):
        self.plan = plan
        self.horizon = horizon
        months = np.arange(1, horizon + 1)
        self.team = np.zeros(horizon)  # team cost per month
        for role in plan.team:
            last = role.until_month or horizon
            self.team += np.where(
                (months >= role.from_month) & (months <= last),
                float(role.headcount * role.monthly_cost),
                0.0,
            )
        self.raise_once = np.zeros(horizon)  # the raise, if it has a month
        funding = plan.funding
        self.has_raise = funding is not None and funding.month is not None
        self.raise_probability = funding.probability if funding and self.has_raise else None
        if funding is not None and funding.month is not None and funding.month <= horizon:
            self.raise_once[funding.month - 1] = funding.ask
        self.items = np.zeros(horizon)  # monthly items
        self.once = np.zeros(horizon)  # one-off items
        self.revenue_rate = np.zeros(horizon)
        self.revenue_once = np.zeros(horizon)
        for item in plan.budget.items:
            if item.per == "once":
                if item.month is not None and item.month <= horizon:
                    self.once[item.month - 1] += item.amount
            else:
                last = item.until_month or horizon
                self.items += np.where(
                    (months >= item.from_month) & (months <= last), item.amount, 0.0
                )
        for rev in plan.budget.revenue:
            if rev.per == "once":
                if rev.from_month <= horizon:
                    self.revenue_once[rev.from_month - 1] += rev.amount
            elif rev.amount > 0:  # nothing grows from 0 (and 0 × an overflow is NaN)
                k = months - rev.from_month
                with np.errstate(over="ignore"):
                    grown = rev.amount * (1.0 + rev.growth) ** np.maximum(k, 0)
                self.revenue_rate += np.where(k >= 0, np.minimum(grown, 1e15), 0.0)
        self.inflow_once = np.zeros(horizon)  # grants and loans
        self.repay = np.zeros(horizon)  # loan repayments per month
        for flow in plan.budget.inflows:
            if flow.month <= horizon:
                self.inflow_once[flow.month - 1] += flow.amount
            first = flow.first_repayment
            self.repay += np.where(
                (months >= first) & (months < first + flow.repay_months), flow.repay, 0.0
            )
        # net outflow per month
        rate = self.team + self.items + self.repay - self.revenue_rate
        income_once = self.revenue_once + self.inflow_once
        # without the raise: cash just after the month's one-offs, and at its end
        self.cash_start0, self.cash_end0 = self._curve(rate, income_once)
        self.running_min0 = np.minimum.accumulate(np.minimum(self.cash_start0, self.cash_end0))
        if self.has_raise:  # the main curve counts the raise
            self.cash_start, self.cash_end = self._curve(rate, income_once + self.raise_once)
            self.running_min = np.minimum.accumulate(np.minimum(self.cash_start, self.cash_end))
        else:
            self.cash_start, self.cash_end = self.cash_start0, self.cash_end0
            self.running_min = self.running_min0
        spend_rate = self.team + self.items
        self.spend_before = np.concatenate([[0.0], np.cumsum(spend_rate + self.once)])

    def _curve(self, rate: np.ndarray, income_once: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        start, end = np.empty(self.horizon), np.empty(self.horizon)
        cash = self.plan.budget.cash
        for m in range(self.horizon):
            cash = cash - self.once[m] + income_once[m]
            start[m] = cash
            cash -= rate[m]
            end[m] = cash
        return start, end

    def spend(self, t: np.ndarray) -> np.ndarray:
        """Money spent (team and items, not revenue) from the start to time t in months."""
        t = np.clip(np.asarray(t, dtype=np.float64), 0.0, self.horizon - 1e-9)
        m = np.floor(t).astype(np.int64)
        spent: np.ndarray = (
            self.spend_before[m] + self.once[m] + (t - m) * (self.team[m] + self.items[m])
        )
        return spent

    def cash_out_time(
        self, extra: np.ndarray | float = 0.0, raised: np.ndarray | bool | None = None
    ) -> np.ndarray:
        """First time (months) at which cash minus `extra` drops below zero; inf if never.

        `raised` picks the curve per element (broadcast against `extra`): True counts the
        raise, False does not; None is the main curve (with the raise when it has a month)."""
        k = np.atleast_1d(np.asarray(extra, dtype=np.float64))
        if raised is None or not self.has_raise:
            return self._cash_out(k, self.cash_start, self.cash_end, self.running_min)
        pick = np.broadcast_to(np.asarray(raised, dtype=bool), k.shape)
        kb = np.broadcast_to(k, pick.shape)
        out = np.empty(pick.shape)
        out[pick] = self._cash_out(kb[pick], self.cash_start, self.cash_end, self.running_min)
        out[~pick] = self._cash_out(kb[~pick], self.cash_start0, self.cash_end0, self.running_min0)
        return out

    def _cash_out(
        self, k: np.ndarray, cash_start: np.ndarray, cash_end: np.ndarray, running_min: np.ndarray
    ) -> np.ndarray:
        # running_min is non-increasing; find the first month whose minimum is below k
        idx = np.searchsorted(-running_min, -k, side="right")
        out = np.full(k.shape, np.inf)
        hit = idx < self.horizon
        m = idx[hit]
        start, end, kk = cash_start[m], cash_end[m], k[hit]
        drop = np.where(start > end, start - end, 1.0)
        frac = np.where(start < kk, 0.0, np.clip((start - kk) / drop, 0.0, 1.0))
        out[hit] = m + frac
        return out

    def break_even_month(self) -> int | None:
        burn = self.team + self.items + self.once
        income = self.revenue_rate + self.revenue_once
        hits = np.nonzero((income >= burn) & (income > 0))[0]
        return int(hits[0]) + 1 if hits.size else None

    def _runway(self, raised: bool | None) -> tuple[float | None, dt.date | None]:
        runway = float(self.cash_out_time(0.0, raised)[0])
        if math.isinf(runway):
            return None, None
        days = runway * 365.2425 / 12
        return runway, self.plan.start + dt.timedelta(days=math.floor(days))

    def result(self, display_months: int) -> BudgetResult:
        plan = self.plan
        runway_months, cash_out_date = self._runway(None)
        runway0, cash_out0 = self._runway(False)
        months = [
            Month(
                month=m + 1,
                starts=month_start(plan.start, m + 1),
                team=float(self.team[m]),
                items=float(self.items[m] + self.once[m]),
                revenue=float(self.revenue_rate[m] + self.revenue_once[m]),
                cash=float(self.cash_end[m]),
                inflows=float(self.inflow_once[m] + (self.raise_once[m] if self.has_raise else 0)),
                repayments=float(self.repay[m]),
            )
            for m in range(min(display_months, self.horizon))
        ]
        return BudgetResult(
            currency=plan.currency,
            cash=plan.budget.cash,
            team_monthly=float(self.team[0]) if self.horizon else 0.0,
            monthly_burn=float(self.team[0] + self.items[0]),
            runway_months=runway_months,
            cash_out_date=cash_out_date,
            break_even_month=self.break_even_month(),
            lowest_cash=float(self.running_min[-1]),
            lowest_cash_month=int(np.argmin(np.minimum(self.cash_start, self.cash_end))) + 1,
            months=months,
            runway_months_without_raise=runway0,
            cash_out_date_without_raise=cash_out0,
            raise_probability=self.raise_probability,
        )

    def spend_by_category(self, t: float) -> dict[str, float]:
        """Spending from the start to time t (months), by category; the team is 'team'."""
        t = max(0.0, min(t, self.horizon - 1e-9))
        out: dict[str, float] = {}
        if not self.horizon or (self.team == self.team[0]).all():  # the same every month
            team = float(self.team[0]) * t if self.horizon else 0.0
        else:  # whole months, then the part of the month t falls in
            whole = math.floor(t)
            team = float(self.team[:whole].sum()) + float(self.team[whole]) * (t - whole)
        if team > 0:
            out["team"] = team
        for item in self.plan.budget.items:
            if item.per == "once":
                amount = item.amount if item.month is not None and t >= item.month - 1 else 0.0
            else:
                first = item.from_month - 1
                last = item.until_month if item.until_month is not None else self.horizon
                amount = item.amount * max(0.0, min(t, last) - first)
            if amount > 0:
                out[item.category] = out.get(item.category, 0.0) + amount
        return out
