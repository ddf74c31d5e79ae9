"""Monte Carlo schedule and cost risk, vectorised across iterations.

Each iteration draws every task's duration (beta-PERT or triangular from its three
points) and every risk's occurrence (Bernoulli with its probability); a risk that occurs
adds its drawn schedule impact to each task it affects and its drawn cost impact to the
cost. The schedule is then propagated forward and backward to get the finish and each
task's slack. Iterations are processed in chunks so memory stays bounded, each chunk
with its own random stream spawned from the seed, so results are identical bit for bit
for the same seed, plan and iteration count.

Sampling is by inverse transform: a uniform draw is mapped through the distribution's
quantile function, tabulated at 2,049 points and interpolated linearly. That makes
durations continuous, costs one table look-up per draw (much cheaper than numpy's beta
sampler), and makes rank correlations exact: a draw's rank is the rank of its uniform.

One run simulates the plan as planned (each response in effect) and, from the same draws,
the plan with no responses, and prices each response: see `Simulation`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from ventureplan.planner import hookimpl
from ventureplan.planner.budget import BudgetModel
from ventureplan.planner.calendar import elapsed_months
from ventureplan.planner.errors import Finding
from ventureplan.planner.model import Plan, Risk
from ventureplan.planner.network import Network
from ventureplan.planner.report import lint
from ventureplan.planner.results import (
    PERCENTILES,
    ResponseEffect,
    Sensitivity,
    SimulationResult,
)
from ventureplan.planner.riskscore import (
    Three,
    inherent_impacts,
    planned_impacts,
    planned_probability,
    response_in_effect,
)

TABLE = 2049  # quantile-table points per distribution
GRID = 4097  # density grid used to build a beta-PERT table
CHUNK_ELEMENTS = 1 << 25  # task × iteration cells per chunk (128 MiB per float32 array)
CHUNK_ITERATIONS = 1 << 20  # and at most this many iterations per chunk
SAMPLE_ELEMENTS = 1 << 26  # uniforms kept for the rank correlations
MIN_SAMPLE = 10_000
MAX_ITERATIONS = 10_000_000
# What each response buys is computed over all iterations unless that means propagating more
# than RESPONSE_ELEMENTS task-iterations again or keeping more than RESPONSE_KEEP draws;
# then over the first iterations that fit, and never fewer than MIN_RESPONSE_SAMPLE.
RESPONSE_ELEMENTS = 1 << 28
RESPONSE_KEEP = 1 << 22
MIN_RESPONSE_SAMPLE = 10_000


def quantile_tables(
    kind: str, low: np.ndarray, mode: np.ndarray, high: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Quantile tables on [0, 1] (rows: distinct shapes; columns: u = 0 … 1), and for each
    (low, mode, high) the row of its shape. Scaling to [low, high] is left to the caller."""
    width = high - low
    if not len(width):
        return np.zeros((0, TABLE)), np.zeros(0, dtype=np.intp)
    r = np.divide(mode - low, width, out=np.full_like(width, 0.5), where=width > 0)
    shapes, inverse = np.unique(np.round(r, 12), return_inverse=True)
    u = np.linspace(0.0, 1.0, TABLE)
    if kind == "triangular":
        c = shapes[:, None]
        left = np.sqrt(u * c)
        right = 1.0 - np.sqrt((1.0 - u) * (1.0 - c))
        tables = np.where(u < c, left, right)
    else:  # beta-PERT: Beta(1 + 4r, 1 + 4(1 - r)) on [0, 1]
        x = np.linspace(0.0, 1.0, GRID)
        a = 1.0 + 4.0 * shapes[:, None]
        b = 1.0 + 4.0 * (1.0 - shapes[:, None])
        with np.errstate(divide="ignore", invalid="ignore"):
            logpdf = (a - 1.0) * np.log(x) + (b - 1.0) * np.log1p(-x)
        pdf = np.nan_to_num(np.exp(logpdf), nan=0.0, posinf=0.0)
        pdf[:, 0] = np.where(a[:, 0] == 1.0, 1.0, 0.0)
        pdf[:, -1] = np.where(b[:, 0] == 1.0, 1.0, 0.0)
        cdf = np.concatenate(
            [np.zeros((len(shapes), 1)), np.cumsum((pdf[:, 1:] + pdf[:, :-1]) / 2, axis=1)], axis=1
        )
        cdf /= cdf[:, -1:]
        tables = np.stack([np.interp(u, row, x) for row in cdf])
    return tables, inverse.reshape(-1)


class _Sampler:
    """Draws from a set of three-point distributions; distributions of one shape share a table
    (estimates in whole days repeat shapes a lot, so the tables stay in the CPU cache)."""

    def __init__(self, kind: str, low: np.ndarray, mode: np.ndarray, high: np.ndarray):
        tables, shape = quantile_tables(kind, low, mode, high)
        table = tables.astype(np.float32)
        slope = np.diff(table, axis=1, append=table[:, -1:])
        self.low = low.astype(np.float32)
        self.width = (high - low).astype(np.float32)
        # per row, looked up once: (quantiles, slopes, width, low); None for a fixed value
        self.rows = [
            (table[k], slope[k], w, lo) if w > 0 else None
            for k, w, lo in zip(shape.tolist(), self.width.tolist(), self.low.tolist(), strict=True)
        ]

    def draw(
        self,
        row: int,
        u: np.ndarray,
        out: np.ndarray,
        x: np.ndarray,
        idx: np.ndarray,
        y: np.ndarray,
    ) -> None:
        """out = quantile(u) for distribution `row`; `out` may be `u` (x, idx, y: scratch)."""
        spec = self.rows[row]
        if spec is None:
            out.fill(self.low[row])
            return
        table, slope, width, low = spec
        np.multiply(u, TABLE - 1, out=x)
        idx[:] = x
        x -= idx
        np.take(slope, idx, out=out, mode="clip")
        out *= x
        np.take(table, idx, out=y, mode="clip")
        out += y
        out *= width
        out += low


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (ties share the mean of their ranks), as scipy's rankdata."""
    order = np.argsort(x, kind="stable")
    xs = x[order]
    new = np.concatenate([[True], xs[1:] != xs[:-1]])
    group = np.cumsum(new) - 1
    starts = np.nonzero(new)[0]
    ends = np.append(starts[1:], len(x))
    avg = (starts + ends - 1) / 2.0
    ranks = np.empty(len(x))
    ranks[order] = avg[group]
    return ranks


def _correlate(rows: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row with `target`; 0 for a row with no variance.

    Written to avoid copies of `rows` (it can be large): the covariance is the dot
    product with the centred target, and the variance comes from the sum of squares.
    """
    n = rows.shape[1]
    if n < 2:
        return np.zeros(len(rows))
    tc = target - target.mean()
    cov = (rows @ tc.astype(rows.dtype)).astype(np.float64) / n
    mean = rows.mean(axis=1, dtype=np.float64)
    var = np.einsum("ij,ij->i", rows, rows, dtype=np.float64) / n - mean * mean
    denom = np.sqrt(np.clip(var, 0.0, None) * (tc @ tc / n))
    ok = denom > 1e-12
    return np.where(ok, cov / np.where(ok, denom, 1.0), 0.0)


class _Buffers:
    """Work arrays for one chunk, allocated once per run and reused: touching fresh memory
    costs more than the arithmetic done in it."""

    ROWS = ("d", "ef", "ur", "f", "ef2", "delta", "f2", "slack")

    def __init__(
        self,
        n: int,
        nr: int,
        c: int,
        moves: int = 0,
        slots: int = 0,
        parent: _Buffers | None = None,
    ):
        if parent is None:
            self.d = np.empty((n, c), np.float32)  # uniforms, then durations
            self.ef = np.empty((n, c), np.float32)  # early finishes, then late starts
            self.ur = np.empty((3 * nr, c), np.float32)
            self.f = np.empty((nr, c), np.float32)
            # only where a response changes the schedule: a second n × c array (late starts
            # as planned, then early finishes without the responses), and per such risk its
            # change to the durations and its rank transform without the response, and the
            # slack as planned of each task such a risk affects
            self.ef2 = np.empty((n if moves else 0, c), np.float32)
            self.delta = np.empty((moves, c), np.float32)
            self.f2 = np.empty((moves, c), np.float32)
            self.slack = np.empty((slots, c), np.float32)
        self.x, self.tmp, self.lf, self.y = (np.empty(c, np.float32) for _ in range(4))
        self.idx = np.empty(c, np.intp)
        self.hit = np.empty(c, bool)

    def narrow(self, c: int) -> _Buffers:
        """Contiguous buffers for a shorter chunk (the generator fills whole arrays)."""
        if c == self.d.shape[1]:
            return self
        w = _Buffers(0, 0, c, parent=self)
        for name in self.ROWS:
            big = getattr(self, name)
            setattr(w, name, big.reshape(-1)[: big.shape[0] * c].reshape(big.shape[0], c))
        return w


class _Totals:
    """What the chunks accumulate, over all iterations."""

    def __init__(self, sim: Simulation, iterations: int, sample: int, rsample: int):
        n, nr, g = sim.net.size, len(sim.risks), len(sim.delivered)
        self.finish = np.empty(iterations)
        self.risk_cost = np.empty(iterations)
        self.crit = np.zeros(n, dtype=np.int64)
        self.occurred = np.zeros(nr, dtype=np.int64)
        self.keep_f = np.empty((nr, sample), np.float32)
        self.task_finish = np.empty((g, iterations), np.float32)
        self.rsample = rsample
        responded, moves = len(sim.responded), len(sim.moves)
        # the plan without responses: its own finish only where a response moves the schedule
        self.finish2 = np.empty(iterations if moves else 0)
        self.risk_cost2 = np.empty(iterations if responded else 0)
        self.crit2 = np.zeros(n, dtype=np.int64)
        self.occurred2 = np.zeros(nr, dtype=np.int64)
        self.keep_f2 = np.empty((moves, sample), np.float32)
        self.task_finish2 = np.empty((g if moves else 0, iterations), np.float32)
        # per responded risk, over the first `rsample` iterations: the finish and the change
        # in risk cost without that one response, and whether the finish changed at all
        self.resp_finish = np.empty((moves, rsample), np.float32)
        self.resp_moved = [False] * moves
        self.resp_cost = np.empty((responded, rsample), np.float32)


@dataclass
class _Region:
    """Tasks to propagate again (topological order), with the program that does it: the
    predecessors of each row as rows of a stack that holds first the early finishes of the
    predecessors outside the region, then the region's rows. Built when first needed."""

    rows: np.ndarray
    changed: np.ndarray  # indices into rows of the tasks the risk affects
    program: tuple[np.ndarray, list[int], list[int]] | None = None


@dataclass
class _Downstream:
    """What taking one response away can change: the tasks it affects and all that follow
    them (`after`), the part of those that also leads to an affected task (`between`), and
    the plan's last tasks inside and outside `after`."""

    after: _Region
    between: _Region
    sinks_in: np.ndarray  # indices into after.rows
    sinks_out: np.ndarray  # task positions
    slots: np.ndarray  # rows of _Buffers.slack of the tasks the risk affects
    # Bounds on how much a path through several affected tasks can gain: (c, members) says
    # such a path passes at most c affected tasks and at least one of `members` (indices
    # into the affected tasks), so it gains at most c * delta - the largest of their slacks.
    bounds: list[tuple[int, np.ndarray]]


class Simulation:
    """The plan as planned, and beside it the same plan with no responses (`inherent`).

    As planned, a risk whose response is in effect (avoid, transfer or mitigate, with a
    `residual`: `riskscore.response_in_effect`) is drawn with the residual probability and
    the residual impacts (`riskscore.planned_impacts`), and every mitigation cost is paid.
    Without responses, every risk is drawn at its own probability and impacts and no
    mitigation cost is paid. Both use the same random numbers (common random numbers): the
    task draws are shared, and a risk occurs in an iteration when one uniform falls below
    its probability, so a response that lowers the probability removes occurrences and adds
    none; the difference between the two is the responses' effect, not sampling noise.
    A measured probability (`probabilities`) replaces the probability in both.

    What one response buys (`responses`) is the plan as planned with just that response
    taken away, against the plan as planned, at P80: mostly worked out from the planned
    slack of the tasks the risk affects, and propagated again only where that cannot settle
    it, over the tasks it can change (`_without`).
    """

    def __init__(self, plan: Plan, net: Network, probabilities: dict[str, float]):
        self.plan, self.net = plan, net
        # the earliest start of each task (levelling, progress): 0.0 for most
        self.release: list[float] = net.releases().astype(np.float32).tolist()
        pos = net.position()
        self.risks = list(plan.risks)
        self.effective = [response_in_effect(r) for r in self.risks]
        self.p = np.array([probabilities.get(r.id, planned_probability(r)) for r in self.risks])
        self.p2 = np.array([probabilities.get(r.id, r.probability) for r in self.risks])
        self.affects = [
            np.array(sorted({pos[a] for a in r.affects}), dtype=np.intp) for r in self.risks
        ]
        kind = plan.distribution
        self.tasks = _Sampler(kind, net.optimistic, net.likely, net.pessimistic)
        self.degenerate = self.tasks.width == 0

        def sampler(threes: list[Three | None]) -> _Sampler:
            cols = [np.array([t[k] if t else 0.0 for t in threes]) for k in range(3)]
            return _Sampler(kind, *cols)

        planned = [planned_impacts(r) for r in self.risks]
        inherent = [inherent_impacts(r) for r in self.risks]
        # one sampler per kind of impact: a row per risk as planned, then a row per risk whose
        # response is in effect as it is without (the shapes, and so the tables, are shared)
        self.responded = [j for j, e in enumerate(self.effective) if e]
        self.row2 = dict.fromkeys(range(len(self.risks)), -1)
        for r, j in enumerate(self.responded):
            self.row2[j] = len(self.risks) + r
        self.sched = sampler([s for s, _ in planned] + [inherent[j][0] for j in self.responded])
        self.cost = sampler([c for _, c in planned] + [inherent[j][1] for j in self.responded])
        self.has_sched = [
            s is not None and len(a) > 0 for (s, _), a in zip(planned, self.affects, strict=True)
        ]
        self.has_sched2 = [
            s is not None and len(a) > 0 for (s, _), a in zip(inherent, self.affects, strict=True)
        ]
        self.has_cost = [c is not None for _, c in planned]
        self.has_cost2 = [c is not None for _, c in inherent]
        self.mitigation = [r.mitigation_cost or 0.0 for r in self.risks]
        self.planned_cost = sum(self.mitigation)
        self.budget = BudgetModel(plan)
        # the risks whose response is in effect that change the schedule
        self.moves = [j for j in self.responded if self.has_sched[j] or self.has_sched2[j]]
        self.move_of = {j: k for k, j in enumerate(self.moves)}
        self.delivered = sorted({pos[g.delivered_by] for g in plan.goals if g.delivered_by in pos})
        self.sinks = [i for i in range(net.size) if not net.succs[i]]
        # the tasks a moving response affects get a slot for their planned slack
        touched = sorted({int(i) for j in self.moves for i in self.affects[j]})
        self.slot_of = [-1] * net.size
        for k, i in enumerate(touched):
            self.slot_of[i] = k
        self.slots = len(touched)
        self.downstream: list[_Downstream] = []
        self.changed_rows: list[int] = []  # tasks downstream of any moving response
        if self.moves:
            self._find_downstream()

    def _find_downstream(self) -> None:
        net, n = self.net, self.net.size
        down, up = [0] * n, [0] * n  # bit sets: each task and all after it, and before it
        for i in range(n - 1, -1, -1):
            r = 1 << i
            for s in net.succs[i]:
                r |= down[s]
            down[i] = r
        for i in range(n):
            r = 1 << i
            for q in net.preds[i]:
                r |= up[q]
            up[i] = r

        def members(bits: int) -> np.ndarray:
            raw = np.frombuffer(bits.to_bytes((n + 7) // 8, "little"), dtype=np.uint8)
            return np.unpackbits(raw, bitorder="little")[:n].astype(bool)

        def region(bits: int, affects: np.ndarray) -> _Region:
            rows = np.flatnonzero(members(bits))
            return _Region(rows, np.searchsorted(rows, affects))

        sinks = np.array(self.sinks, dtype=np.intp)
        every = 0
        for j in self.moves:
            after = before = aff = 0
            affects = self.affects[j]
            for a in affects.tolist():
                after |= down[a]
                before |= up[a]
                aff |= 1 << a
            every |= after
            mask = members(after)
            rows = np.flatnonzero(mask)
            inside = mask[sinks]
            ds = _Downstream(
                after=_Region(rows, np.searchsorted(rows, affects)),
                between=region(after & before, affects),
                sinks_in=np.searchsorted(rows, sinks[inside]),
                sinks_out=sinks[~inside],
                slots=np.array([self.slot_of[i] for i in affects], dtype=np.intp),
                bounds=_bounds([down[a] & aff for a in affects.tolist()], affects.tolist()),
            )
            self.downstream.append(ds)
        self.changed_rows = np.flatnonzero(members(every)).tolist()
        self.pred_ptr = np.cumsum([0] + [len(p) for p in net.preds])
        self.pred_idx = np.array([q for p in net.preds for q in p], dtype=np.intp)

    def _program(self, region: _Region) -> tuple[np.ndarray, list[int], list[int]]:
        if region.program is None:
            rows = region.rows
            local = np.full(self.net.size, -1, np.intp)
            local[rows] = np.arange(len(rows))
            starts, counts = self.pred_ptr[rows], np.diff(self.pred_ptr)[rows]
            ends = np.cumsum(counts)
            total = int(ends[-1]) if len(ends) else 0
            preds = self.pred_idx[np.repeat(starts - ends + counts, counts) + np.arange(total)]
            loc = local[preds]
            inside = loc >= 0
            boundary = np.unique(preds[~inside])
            where = np.where(inside, len(boundary) + loc, np.searchsorted(boundary, preds))
            region.program = (boundary, [0, *ends.tolist()], where.tolist())
        return region.program

    def _repropagate(
        self, region: _Region, w: _Buffers, cols: np.ndarray, change: np.ndarray
    ) -> tuple[np.ndarray, int]:
        """Early finishes of the region's tasks in iterations `cols` of the chunk, with
        `change` added to the duration of each affected task; the rest as planned (w.ef,
        w.d). Returns the stack and where the region's rows start in it."""
        boundary, ptr, where = self._program(region)
        nb = len(boundary)
        stack = np.empty((nb + len(region.rows), len(cols)), np.float32)
        if nb:
            stack[:nb] = w.ef[np.ix_(boundary, cols)]
        stack[nb:] = w.d[np.ix_(region.rows, cols)]
        stack[nb + region.changed] += change
        most = np.empty(len(cols), np.float32)
        maximum = np.maximum
        release = self.release
        for li, task in enumerate(region.rows.tolist()):
            a, b = ptr[li], ptr[li + 1]
            row = stack[nb + li]
            if a == b:
                row += release[task]
                continue
            if b == a + 1 and not release[task]:
                row += stack[where[a]]
                continue
            if b == a + 1:
                maximum(stack[where[a]], release[task], out=most)
            else:
                maximum(stack[where[a]], stack[where[a + 1]], out=most)
            for q in where[a + 2 : b]:
                maximum(most, stack[q], out=most)
            if release[task]:
                maximum(most, release[task], out=most)
            row += most
        return stack, nb

    def run(self, iterations: int, seed: int) -> SimulationResult:
        if iterations < 1:
            raise ValueError("iterations must be at least 1")
        if iterations > MAX_ITERATIONS:
            raise ValueError(f"at most {MAX_ITERATIONS:,} iterations are supported")
        n, nr = self.net.size, len(self.risks)
        chunk = min(iterations, CHUNK_ITERATIONS, max(256, CHUNK_ELEMENTS // max(n, 1)))
        bounds = [*range(0, iterations, chunk), iterations]
        spans = list(
            zip(
                bounds[:-1],
                bounds[1:],
                np.random.SeedSequence(seed).spawn(len(bounds) - 1),
                strict=True,
            )
        )
        sample = min(
            iterations, CHUNK_ITERATIONS, max(MIN_SAMPLE, SAMPLE_ELEMENTS // max(n + nr, 1))
        )
        rsample = 0
        if self.responded:
            # at most this many tasks are propagated again per iteration
            work = sum(len(ds.between.rows) + len(ds.after.rows) for ds in self.downstream)
            rsample = min(
                iterations,
                max(
                    MIN_RESPONSE_SAMPLE,
                    min(
                        RESPONSE_ELEMENTS // max(work, 1),
                        RESPONSE_KEEP // len(self.responded),
                    ),
                ),
            )
        t = _Totals(self, iterations, sample, rsample)
        work_buffers = _Buffers(n, nr, chunk, len(self.moves), self.slots)
        for lo, hi, ss in spans:
            w = work_buffers.narrow(hi - lo)
            self._chunk(w, np.random.Generator(np.random.SFC64(ss)), lo, hi, t)
            if lo < sample:
                keep = min(hi, sample) - lo
                t.keep_f[:, lo : lo + keep] = w.f[:, :keep]
                t.keep_f2[:, lo : lo + keep] = w.f2[:, :keep]
        finish2 = t.finish2 if self.moves else t.finish
        # Rank correlations over the first `sample` iterations. The task draws are monotone in
        # their uniforms, so the uniforms are regenerated from the same streams (cheaper than
        # keeping them) and correlated, chunk by chunk, with the ranks of the finish.
        targets = [_ranks(t.finish[:sample])] + ([_ranks(finish2[:sample])] if self.moves else [])
        for target in targets:
            target -= target.mean()
        covs = [np.zeros(n) for _ in targets]
        total, squares = np.zeros(n), np.zeros(n)
        for lo, hi, ss in spans:
            if lo >= sample or not n:
                break
            w = work_buffers.narrow(hi - lo)
            np.random.Generator(np.random.SFC64(ss)).random(out=w.d, dtype=np.float32)
            block = w.d[:, : min(hi, sample) - lo]
            for cov, target in zip(covs, targets, strict=True):
                cov += block @ target[lo : min(hi, sample)].astype(np.float32)
            total += block.sum(axis=1, dtype=np.float64)
            squares += np.einsum("ij,ij->i", block, block, dtype=np.float64)
        mean = total / sample
        var = np.clip(squares / sample - mean * mean, 0.0, None)
        rhos = []
        for cov, target in zip(covs, targets, strict=True):
            denom = np.sqrt(var * (target @ target / sample))
            rhos.append(np.divide(cov / sample, denom, out=np.zeros(n), where=denom > 1e-12))
        del work_buffers, w  # memory for what follows (10,000,000 iterations stay in 2 GiB)
        risk_rho = _correlate(t.keep_f, targets[0]) if nr else np.zeros(0)
        # mitigation costs are paid from the start, like the risk costs (the cautious reading)
        # whether the raise closes, per iteration (its own stream: the others stay as they are)
        raised = None
        funding = self.plan.funding
        if funding is not None and funding.month is not None:
            stream = np.random.Generator(np.random.SFC64(np.random.SeedSequence([seed, 1])))
            raised = stream.random(iterations) < funding.probability
        cost, cash, spend = self._money(t.finish, t.risk_cost, self.planned_cost, rsample, raised)
        planned = self._result(
            iterations,
            seed,
            t.finish,
            cost,
            t.crit,
            t.occurred,
            sample,
            rhos[0],
            risk_rho,
            self.has_sched,
            cash[0],
            t.task_finish,
        )
        planned.p_cash_out_with_raise, planned.p_cash_out_without_raise = cash[1:]
        del cost
        # the plan without responses
        risk_cost2 = t.risk_cost2 if self.responded else t.risk_cost
        if self.moves:
            keep_f2 = t.keep_f.copy()
            keep_f2[self.moves] = t.keep_f2
            risk_rho2 = _correlate(keep_f2, targets[1])
            task_rho2, crit2, task_finish2 = rhos[1], t.crit2, t.task_finish2
        else:
            risk_rho2, task_rho2, crit2, task_finish2 = risk_rho, rhos[0], t.crit, t.task_finish
        cost2, cash2, _ = self._money(finish2, risk_cost2, 0.0, 0, raised)
        occurred2 = t.occurred.copy()
        for j in self.responded:
            occurred2[j] = t.occurred2[j]
        planned.inherent = self._result(
            iterations,
            seed,
            finish2,
            cost2,
            crit2,
            occurred2,
            sample,
            task_rho2,
            risk_rho2,
            self.has_sched2,
            cash2[0],
            task_finish2,
        )
        inherent = planned.inherent
        inherent.p_cash_out_with_raise, inherent.p_cash_out_without_raise = cash2[1:]
        del cost2
        planned.responses = self._responses(t, spend)
        planned.responses_sample = planned.inherent.responses_sample = rsample
        return planned

    def _money(
        self,
        finish: np.ndarray,
        risk_cost: np.ndarray,
        paid: float,
        head: int,
        raised: np.ndarray | None = None,
    ) -> tuple[np.ndarray, tuple[float, float | None, float | None], np.ndarray]:
        """The cost of each iteration (team and items until its finish, risk costs, `paid`),
        the chance the cash runs out before the finish (risk costs and `paid` counted from
        the start), and the spending until the finish of the first `head` iterations.

        The chance is (mixed, with the raise, without it): `raised` says per iteration
        whether the raise closed (None: the plan counts no raise; the last two are None)."""
        months = elapsed_months(self.plan.start, self.plan.calendar, finish)
        cost = self.budget.spend(months)
        extra = risk_cost + paid
        if raised is None:
            cash: tuple[float, float | None, float | None] = (
                float(np.mean(self.budget.cash_out_time(extra) < months)),
                None,
                None,
            )
        else:
            out_with = self.budget.cash_out_time(extra, True) < months
            out_without = self.budget.cash_out_time(extra, False) < months
            cash = (
                float(np.mean(np.where(raised, out_with, out_without))),
                float(np.mean(out_with)),
                float(np.mean(out_without)),
            )
            del out_with, out_without
        del months, extra
        spend = cost[:head].copy()
        cost += risk_cost
        cost += paid
        return cost, cash, spend

    def _responses(self, t: _Totals, spend: np.ndarray) -> list[ResponseEffect]:
        """P80 finish and cost without each response in effect, minus the planned P80s, over
        the first `rsample` iterations (the mitigation costs are in neither)."""
        m = t.rsample
        if not self.responded:
            return []
        finish, cost = t.finish[:m], spend + t.risk_cost[:m]
        p80_finish, p80_cost = _p80(finish), _p80(cost)
        out = []
        for r, j in enumerate(self.responded):
            k = self.move_of.get(j)
            days = 0.0
            cost_j = cost + t.resp_cost[r]
            if k is not None and t.resp_moved[k]:
                finish_j = t.resp_finish[k].astype(np.float64)
                days = _p80(finish_j) - p80_finish
                moved = np.flatnonzero(finish_j != finish)
                months = elapsed_months(self.plan.start, self.plan.calendar, finish_j[moved])
                cost_j[moved] += self.budget.spend(months) - spend[moved]
            risk = self.risks[j]
            out.append(
                ResponseEffect(
                    risk=risk.id,
                    response=str(risk.response),
                    p80_days_saved=days,
                    p80_cost_saved=_p80(cost_j) - p80_cost,
                    mitigation_cost=self.mitigation[j],
                )
            )
        return out

    def _chunk(self, w: _Buffers, rng: np.random.Generator, lo: int, hi: int, t: _Totals) -> None:
        """Simulate one chunk in the work buffers (the risks' rank transforms land in w.f and
        w.f2) and add what it found to the totals."""
        n, nr = self.net.size, len(self.risks)
        ur, d, ef, f = w.ur, w.d, w.ef, w.f
        m = max(0, min(hi, t.rsample) - lo)  # columns in the sample of the response effects
        rng.random(out=d, dtype=np.float32)  # uniforms, turned into durations in place
        rng.random(out=ur, dtype=np.float32)
        x, idx, tmp, y, tmp2 = w.x, w.idx, w.tmp, w.y, w.lf
        for i in range(n):
            self.tasks.draw(i, d[i], d[i], x, idx, y)
        risk_cost = t.risk_cost[lo:hi]
        risk_cost.fill(0.0)
        risk_cost2 = t.risk_cost2[lo:hi]
        risk_cost2.fill(0.0)
        responded = 0
        for j in range(nr):
            p = self.p[j]
            occ = ur[3 * j] < p
            t.occurred[j] += int(occ.sum())
            if self.has_sched[j]:
                self.sched.draw(j, ur[3 * j + 1], tmp, x, idx, y)
                tmp *= occ
                d[self.affects[j]] += tmp
                f[j] = _rank_transform(p, occ, ur[3 * j + 1], self.sched.width[j] > 0)
            else:
                f[j] = 0.5
            if not self.effective[j]:
                if self.has_cost[j]:
                    self.cost.draw(j, ur[3 * j + 2], tmp, x, idx, y)
                    tmp *= occ
                    risk_cost += tmp
                    if len(risk_cost2):
                        risk_cost2 += tmp
                continue
            # the response is in effect: the same risk without it, from the same uniforms
            p2 = self.p2[j]
            occ2 = ur[3 * j] < p2
            t.occurred2[j] += int(occ2.sum())
            k = self.move_of.get(j)
            if k is not None:
                delta = w.delta[k]  # inherent minus planned delay of each affected task
                if self.has_sched[j]:
                    np.negative(tmp, out=delta)
                else:
                    delta.fill(0.0)
                if self.has_sched2[j]:
                    self.sched.draw(self.row2[j], ur[3 * j + 1], tmp, x, idx, y)
                    tmp *= occ2
                    delta += tmp
                    varies = self.sched.width[self.row2[j]] > 0
                    w.f2[k] = _rank_transform(p2, occ2, ur[3 * j + 1], varies)
                else:
                    w.f2[k] = 0.5
            tmp.fill(0.0)
            tmp2.fill(0.0)
            if self.has_cost[j]:
                self.cost.draw(j, ur[3 * j + 2], tmp, x, idx, y)
                tmp *= occ
                risk_cost += tmp
            if self.has_cost2[j]:
                self.cost.draw(self.row2[j], ur[3 * j + 2], tmp2, x, idx, y)
                tmp2 *= occ2
                risk_cost2 += tmp2
            if m:
                np.subtract(tmp2[:m], tmp[:m], out=t.resp_cost[responded, lo : lo + m])
            responded += 1
        efr, dr = list(ef), list(d)
        self._forward(dr, efr, range(n))
        end = ef.max(axis=0) if n else np.zeros(hi - lo, np.float32)
        t.finish[lo:hi] = end
        for g, i in enumerate(self.delivered):
            t.task_finish[g, lo:hi] = ef[i]
        if not self.moves:
            t.crit += self._backward(dr, efr, efr, end, w)  # late starts overwrite ef
            return
        # late starts into ef2, so that the early finishes and the durations stay for the
        # responses taken away one at a time, and the slack of the tasks they affect is kept
        t.crit += self._backward(dr, efr, list(w.ef2), end, w, w.slack)
        if m:
            tol = np.float32(1e-5) * np.maximum(end[:m], np.float32(1.0))
            for k, ds in enumerate(self.downstream):
                t.resp_finish[k, lo : lo + m] = self._without(k, ds, w, end, m, tol, t)
        for k, j in enumerate(self.moves):
            d[self.affects[j]] += w.delta[k]  # now the durations without the responses
        # without the responses: only the tasks downstream of a change get new early
        # finishes (in ef2); the others are as planned (in ef)
        efr2 = list(efr)
        for i in self.changed_rows:
            efr2[i] = w.ef2[i]
        self._forward(dr, efr2, self.changed_rows)
        end2 = np.zeros(hi - lo, np.float32)
        for i in self.sinks:
            np.maximum(end2, efr2[i], out=end2)
        t.finish2[lo:hi] = end2
        for g, i in enumerate(self.delivered):
            t.task_finish2[g, lo:hi] = efr2[i]
        t.crit2 += self._backward(dr, efr2, efr2, end2, w)

    def _forward(self, dr: list[np.ndarray], efr: list[np.ndarray], rows: Iterable[int]) -> None:
        """Early finishes of `rows` (in topological order) from the durations and the early
        finishes before them. (Row views are taken once: indexing a 2-D array per use costs
        more than the add.)"""
        add, maximum, preds_of, release = np.add, np.maximum, self.net.preds, self.release
        for i in rows:
            preds = preds_of[i]
            if not preds:
                add(dr[i], release[i], out=efr[i])
            elif len(preds) == 1 and not release[i]:
                add(efr[preds[0]], dr[i], out=efr[i])
            else:
                if len(preds) == 1:
                    maximum(efr[preds[0]], release[i], out=efr[i])
                else:
                    maximum(efr[preds[0]], efr[preds[1]], out=efr[i])
                for q in preds[2:]:
                    maximum(efr[i], efr[q], out=efr[i])
                if release[i]:
                    maximum(efr[i], release[i], out=efr[i])
                efr[i] += dr[i]

    def _backward(
        self,
        dr: list[np.ndarray],
        efr: list[np.ndarray],
        lsr: list[np.ndarray],
        end: np.ndarray,
        w: _Buffers,
        slack: np.ndarray | None = None,
    ) -> np.ndarray:
        """How many iterations each task is critical in. Slack is late finish minus early
        finish, so early starts are never kept; each task's late start goes into `lsr` (which
        may be `efr`: a task's early finish is not used once its late start is known), and
        the slack of the tasks with a slot goes into `slack`."""
        net, n, x, hit, slot_of = self.net, self.net.size, w.x, w.hit, self.slot_of
        minimum, subtract = np.minimum, np.subtract
        # float32 sums along a long chain differ from the backward pass by rounding only
        tol = np.float32(1e-5) * np.maximum(end, np.float32(1.0))
        counts = [0] * n
        for i in range(n - 1, -1, -1):
            succ = net.succs[i]
            if not succ:
                lf = end
            elif len(succ) == 1:
                lf = lsr[succ[0]]
            else:
                lf = w.lf
                minimum(lsr[succ[0]], lsr[succ[1]], out=lf)
                for s in succ[2:]:
                    minimum(lf, lsr[s], out=lf)
            subtract(lf, efr[i], out=x)
            if slack is not None and slot_of[i] >= 0:
                np.copyto(slack[slot_of[i]], x)
            np.less_equal(x, tol, out=hit)
            counts[i] = int(np.count_nonzero(hit))
            subtract(lf, dr[i], out=lsr[i])
        return np.array(counts, dtype=np.int64)

    def _without(
        self,
        k: int,
        ds: _Downstream,
        w: _Buffers,
        end: np.ndarray,
        m: int,
        tol: np.ndarray,
        t: _Totals,
    ) -> np.ndarray:
        """The finish of the first m iterations of the chunk with the response of moves[k]
        taken away, from the planned early finishes (w.ef), durations (w.d) and slack.

        Taking the response away changes the delay of each affected task by `delta`.
        Where it gets longer, the finish is the planned one or, if longer, the longest path
        through an affected task b, the last affected one on it: b's new early finish plus
        the planned time from b's late finish to the end, that is `end + gain` with
        `gain = new early finish - planned early finish - slack`. A path through one affected
        task gains `delta`, so the gain is at least `delta - the smallest slack`; a path
        through several gains at most their number times `delta`, less the largest of their
        slacks (`ds.bounds`). Where no bound beats the least gain, that settles it; the
        other iterations are propagated again over the tasks that lie both after and before
        an affected one. Where it gets shorter, the finish stays as planned unless an
        affected task was critical; those iterations are propagated again over all the
        tasks after them."""
        delta = w.delta[k, :m]
        slack = w.slack[ds.slots, :m]
        out = end[:m].copy()
        gain = delta - slack.min(axis=0)
        bound = np.full(m, -np.inf, np.float32)
        for c, members in ds.bounds:
            np.maximum(bound, c * delta - slack[members].max(axis=0), out=bound)
        up = delta > 0
        np.add(out, np.maximum(gain, np.float32(0.0)), out=out, where=up)
        cols = np.flatnonzero(up & (bound > np.maximum(gain, np.float32(0.0)) - tol))
        if len(cols):
            stack, nb = self._repropagate(ds.between, w, cols, delta[cols])
            affects = self.affects[self.moves[k]]
            exact = (
                stack[nb + ds.between.changed]
                - w.ef[np.ix_(affects, cols)]
                - w.slack[np.ix_(ds.slots, cols)]
            ).max(axis=0)
            out[cols] = end[cols] + np.maximum(exact, np.float32(0.0))
        room = slack.min(axis=0)
        cols = np.flatnonzero((delta < 0) & (room <= tol))
        if len(cols):
            stack, nb = self._repropagate(ds.after, w, cols, delta[cols])
            new = stack[nb + ds.sinks_in].max(axis=0)
            if len(ds.sinks_out):
                new = np.maximum(w.ef[np.ix_(ds.sinks_out, cols)].max(axis=0), new)
            out[cols] = new
        if not t.resp_moved[k]:
            t.resp_moved[k] = bool((out != end[:m]).any())
        return out

    def _result(
        self,
        iterations: int,
        seed: int,
        finish: np.ndarray,
        cost: np.ndarray,
        crit: np.ndarray,
        occurred: np.ndarray,
        sample: int,
        task_rho: np.ndarray,
        risk_rho: np.ndarray,
        has_sched: list[bool],
        p_cash_out: float,
        task_finish: np.ndarray,
    ) -> SimulationResult:
        net = self.net
        ordered = np.sort(finish)  # percentiles of a sorted array are the same, found faster
        pct = np.percentile(ordered, PERCENTILES)
        cost_pct = np.percentile(np.sort(cost), (50, 80, 95))
        sens = [
            Sensitivity(net.ids[i], "task", float(task_rho[i]))
            for i in range(net.size)
            if not net.milestone[i] and not self.degenerate[i]
        ]
        if self.risks:
            sens += [
                Sensitivity(r.id, "risk", float(risk_rho[j]))
                for j, r in enumerate(self.risks)
                if has_sched[j]
            ]
        sens.sort(key=lambda s: (-abs(s.rho), s.id))
        levels = np.linspace(0, 100, 101)
        curve = np.percentile(ordered, levels)
        return SimulationResult(
            iterations=iterations,
            seed=seed,
            finish={f"p{q}": float(v) for q, v in zip(PERCENTILES, pct, strict=True)},
            cost={f"p{q}": float(v) for q, v in zip((50, 80, 95), cost_pct, strict=True)},
            mean_finish=float(finish.mean()),
            criticality={net.ids[i]: float(crit[i] / iterations) for i in range(net.size)},
            sensitivity=sens,
            sensitivity_sample=int(sample),
            risk_occurrence={
                r.id: float(occurred[j] / iterations) for j, r in enumerate(self.risks)
            },
            s_curve=[(float(v), float(q / 100)) for q, v in zip(levels, curve, strict=True)],
            p_cash_out=p_cash_out,
            finish_samples=finish,
            task_finish={
                net.ids[i]: {
                    f"p{q}": float(v)
                    for q, v in zip(
                        PERCENTILES,
                        np.percentile(np.sort(task_finish[g]).astype(np.float64), PERCENTILES),
                        strict=True,
                    )
                }
                for g, i in enumerate(self.delivered)
            },
        )


MAX_CHAIN_TASKS = 6  # up to this many affected tasks, every chain of them is bounded


def _bounds(after: list[int], affects: list[int]) -> list[tuple[int, np.ndarray]]:
    """`_Downstream.bounds` for a risk's affected tasks (topological order), given for each
    the bit set of the affected tasks at or after it. Up to MAX_CHAIN_TASKS tasks: one bound
    per chain of two or more (tasks one path can pass in turn); beyond, per task, the most
    affected tasks on one path up to it."""
    k = len(affects)
    bit = [1 << a for a in affects]
    if k <= MAX_CHAIN_TASKS:
        out = []
        for subset in range(1, 1 << k):
            members = [x for x in range(k) if subset >> x & 1]
            # a chain: each member reaches the next (topological order keeps them in turn)
            if len(members) > 1 and all(after[x] & bit[y] for x, y in itertools.pairwise(members)):
                out.append((len(members), np.array(members, dtype=np.intp)))
        return out
    most = [1] * k
    for x in range(k):
        for y in range(x):
            if after[y] & bit[x]:
                most[x] = max(most[x], most[y] + 1)
    return [(c, np.array([x], dtype=np.intp)) for x, c in enumerate(most) if c > 1]


def _p80(x: np.ndarray) -> float:
    return float(np.percentile(np.sort(x), 80))


def _rank_transform(p: float, occ: np.ndarray, u: np.ndarray, varies: bool) -> np.ndarray:
    """A risk's draw as one number whose ranks are those of the delay it adds: (1 - p) / 2
    where it did not occur, above 1 - p where it did (ordered by the delay when it varies)."""
    hit = (1 - p) + (p * u if varies else p / 2)
    out: np.ndarray = np.where(occ, hit, (1 - p) / 2)
    return out


@hookimpl(trylast=True)
def simulate(
    plan: Plan, network: Network, iterations: int, seed: int, probabilities: dict[str, float]
) -> SimulationResult:
    return Simulation(plan, network, probabilities).run(iterations, seed)


# --- the risks the simulation ignores ---------------------------------------------


def _adds(three: Three | None) -> bool:
    return three is not None and three[2] > 0  # a range that is 0 throughout adds 0


def affects_nothing(risk: Risk) -> bool:
    """Whether the simulation draws nothing from the risk, as planned and without its
    response: a schedule impact is added only to the tasks the risk affects (`has_sched`,
    `has_sched2` in `Simulation`) and a cost impact only where there is one (`has_cost`,
    `has_cost2`); a range whose high is 0 adds nothing either. So a risk with no tasks and
    no cost impact, or with tasks but neither impact (its residual's counting), moves neither
    the finish nor the cost, however likely it is."""
    for schedule, cost in (planned_impacts(risk), inherent_impacts(risk)):
        if (risk.affects and _adds(schedule)) or _adds(cost):
            return False
    return True


@hookimpl
def plan_checks(plan: Plan) -> list[Finding]:
    """A risk the simulation ignores is a warning at the risk: its probability and impact
    score it in the register, but it adds no delay and no cost to any iteration."""
    return [
        lint(
            "risk-affects-nothing",
            plan.language,
            "risk-affects-nothing",
            "risk-affects-nothing.fix",
            {"risk": r.id},
            severity="warning",
            path=("risks", i),
            letter="M",
        )
        for i, r in enumerate(plan.risks)
        if affects_nothing(r)
    ]
