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
"""

from __future__ import annotations

import numpy as np
from ventureplan.planner import hookimpl
from ventureplan.planner.budget import BudgetModel
from ventureplan.planner.calendar import elapsed_months
from ventureplan.planner.model import Plan
from ventureplan.planner.network import Network
from ventureplan.planner.results import PERCENTILES, Sensitivity, SimulationResult

TABLE = 2049  # quantile-table points per distribution
GRID = 4097  # density grid used to build a beta-PERT table
CHUNK_ELEMENTS = 1 << 25  # task × iteration cells per chunk (128 MiB per float32 array)
CHUNK_ITERATIONS = 1 << 20  # and at most this many iterations per chunk
SAMPLE_ELEMENTS = 1 << 26  # uniforms kept for the rank correlations
MIN_SAMPLE = 10_000
MAX_ITERATIONS = 10_000_000


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

    def __init__(self, n: int, nr: int, c: int, parent: _Buffers | None = None):
        if parent is None:
            self.d = np.empty((n, c), np.float32)  # uniforms, then durations, then late starts
            self.ef = np.empty((n, c), np.float32)
            self.ur = np.empty((3 * nr, c), np.float32)
            self.f = np.empty((nr, c), np.float32)
        self.x, self.tmp, self.lf, self.y = (np.empty(c, np.float32) for _ in range(4))
        self.idx = np.empty(c, np.intp)
        self.hit = np.empty(c, bool)

    def narrow(self, c: int) -> _Buffers:
        """Contiguous buffers for a shorter chunk (the generator fills whole arrays)."""
        if c == self.d.shape[1]:
            return self
        w = _Buffers(0, 0, c, parent=self)
        for name in ("d", "ef", "ur", "f"):
            big = getattr(self, name)
            setattr(w, name, big.reshape(-1)[: big.shape[0] * c].reshape(big.shape[0], c))
        return w


class Simulation:
    def __init__(self, plan: Plan, net: Network, probabilities: dict[str, float]):
        self.plan, self.net = plan, net
        pos = net.position()
        self.risks = [r for r in plan.risks]
        self.p = np.array([probabilities.get(r.id, r.probability) for r in self.risks])
        self.affects = [
            np.array(sorted({pos[a] for a in r.affects}), dtype=np.intp) for r in self.risks
        ]
        kind = plan.distribution
        self.tasks = _Sampler(kind, net.optimistic, net.likely, net.pessimistic)
        self.degenerate = self.tasks.width == 0

        def ranges(attr: str) -> list[np.ndarray]:
            vals = [getattr(r, attr) for r in self.risks]
            return [
                np.array([getattr(v, k) if v else 0.0 for v in vals])
                for k in ("low", "likely", "high")
            ]

        self.sched = _Sampler(kind, *ranges("schedule_impact"))
        self.cost = _Sampler(kind, *ranges("cost_impact"))
        self.has_sched = np.array(
            [
                r.schedule_impact is not None and len(a) > 0
                for r, a in zip(self.risks, self.affects, strict=True)
            ]
        )
        self.planned_cost = sum(r.mitigation_cost or 0.0 for r in self.risks)
        self.budget = BudgetModel(plan)

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
        finish = np.empty(iterations)
        risk_cost = np.empty(iterations)
        crit = np.zeros(n, dtype=np.int64)
        occurred = np.zeros(nr, dtype=np.int64)
        keep_f = np.empty((nr, sample), np.float32)
        work = _Buffers(n, nr, chunk)
        for lo, hi, ss in spans:
            w = work.narrow(hi - lo)
            self._chunk(
                w,
                np.random.Generator(np.random.SFC64(ss)),
                finish[lo:hi],
                risk_cost[lo:hi],
                crit,
                occurred,
            )
            if lo < sample:
                keep_f[:, lo : min(hi, sample)] = w.f[:, : min(hi, sample) - lo]
        # Rank correlations over the first `sample` iterations. The task draws are monotone in
        # their uniforms, so the uniforms are regenerated from the same streams (cheaper than
        # keeping them) and correlated, chunk by chunk, with the ranks of the finish.
        target = _ranks(finish[:sample])
        target -= target.mean()
        cov, total, squares = np.zeros(n), np.zeros(n), np.zeros(n)
        for lo, hi, ss in spans:
            if lo >= sample or not n:
                break
            w = work.narrow(hi - lo)
            np.random.Generator(np.random.SFC64(ss)).random(out=w.d, dtype=np.float32)
            block = w.d[:, : min(hi, sample) - lo]
            cov += block @ target[lo : min(hi, sample)].astype(np.float32)
            total += block.sum(axis=1, dtype=np.float64)
            squares += np.einsum("ij,ij->i", block, block, dtype=np.float64)
        mean = total / sample
        var = np.clip(squares / sample - mean * mean, 0.0, None)
        denom = np.sqrt(var * (target @ target / sample))
        task_rho = np.divide(cov / sample, denom, out=np.zeros(n), where=denom > 1e-12)
        risk_rho = _correlate(keep_f, target) if nr else np.zeros(0)
        months = elapsed_months(self.plan.start, self.plan.calendar, finish)
        cost = self.budget.spend(months) + risk_cost + self.planned_cost
        cash_out = self.budget.cash_out_time(risk_cost)
        return self._result(
            iterations,
            seed,
            finish,
            cost,
            crit,
            occurred,
            sample,
            task_rho,
            risk_rho,
            float(np.mean(cash_out < months)),
        )

    def _chunk(
        self,
        w: _Buffers,
        rng: np.random.Generator,
        finish: np.ndarray,
        risk_cost: np.ndarray,
        crit: np.ndarray,
        occurred: np.ndarray,
    ) -> None:
        """Simulate one chunk in the work buffers (the risks' rank transforms land in w.f);
        finish, risk cost, criticality and occurrence counts go into the arguments."""
        net, n, nr = self.net, self.net.size, len(self.risks)
        ur, d, ef, f = w.ur, w.d, w.ef, w.f
        c = d.shape[1]
        rng.random(out=d, dtype=np.float32)  # uniforms, turned into durations in place
        rng.random(out=ur, dtype=np.float32)
        x, idx, tmp, y = w.x, w.idx, w.tmp, w.y
        for i in range(n):
            self.tasks.draw(i, d[i], d[i], x, idx, y)
        risk_cost.fill(0.0)
        for j in range(nr):
            p = self.p[j]
            occ = ur[3 * j] < p
            occurred[j] += int(occ.sum())
            if self.has_sched[j]:
                self.sched.draw(j, ur[3 * j + 1], tmp, x, idx, y)
                tmp *= occ
                d[self.affects[j]] += tmp
                varies = self.sched.width[j] > 0
                hit = (1 - p) + (p * ur[3 * j + 1] if varies else p / 2)
                f[j] = np.where(occ, hit, (1 - p) / 2)
            else:
                f[j] = 0.5
            if self.risks[j].cost_impact is not None:
                self.cost.draw(j, ur[3 * j + 2], tmp, x, idx, y)
                risk_cost += tmp * occ
        # Forward pass. Slack is late finish minus early finish, so early starts are not kept.
        # (Row views are taken once: indexing a 2-D array per use costs more than the add.)
        add, maximum, minimum, subtract = np.add, np.maximum, np.minimum, np.subtract
        efr, dr = list(ef), list(d)
        for i, preds in enumerate(net.preds):
            if not preds:
                np.copyto(efr[i], dr[i])
            elif len(preds) == 1:
                add(efr[preds[0]], dr[i], out=efr[i])
            else:
                maximum(efr[preds[0]], efr[preds[1]], out=efr[i])
                for q in preds[2:]:
                    maximum(efr[i], efr[q], out=efr[i])
                efr[i] += dr[i]
        end = ef.max(axis=0) if n else np.zeros(c, np.float32)
        finish[:] = end
        # float32 sums along a long chain differ from the backward pass by rounding only
        tol = np.float32(1e-5) * np.maximum(end, np.float32(1.0))
        lsr = dr  # late starts overwrite the durations, row by row, once used
        hit = w.hit
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
            np.less_equal(x, tol, out=hit)
            counts[i] = int(np.count_nonzero(hit))
            subtract(lf, dr[i], out=lsr[i])
        crit += np.array(counts, dtype=np.int64)

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
        p_cash_out: float,
    ) -> SimulationResult:
        net = self.net
        pct = np.percentile(finish, PERCENTILES)
        cost_pct = np.percentile(cost, (50, 80, 95))
        sens = [
            Sensitivity(net.ids[i], "task", float(task_rho[i]))
            for i in range(net.size)
            if not net.milestone[i] and not self.degenerate[i]
        ]
        if self.risks:
            sens += [
                Sensitivity(r.id, "risk", float(risk_rho[j]))
                for j, r in enumerate(self.risks)
                if self.has_sched[j]
            ]
        sens.sort(key=lambda s: (-abs(s.rho), s.id))
        levels = np.linspace(0, 100, 101)
        curve = np.percentile(finish, levels)
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
        )


@hookimpl(trylast=True)
def simulate(
    plan: Plan, network: Network, iterations: int, seed: int, probabilities: dict[str, float]
) -> SimulationResult:
    return Simulation(plan, network, probabilities).run(iterations, seed)
