"""The task graph as arrays in topological order: what the schedule and the simulation walk."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from .model import Plan

EPS = 1e-9


@dataclass(frozen=True)
class Network:
    ids: list[str]  # task ids in topological order
    order: list[int]  # position in topological order -> index in plan.tasks
    preds: list[list[int]]  # by topological position
    succs: list[list[int]]
    optimistic: np.ndarray
    likely: np.ndarray
    pessimistic: np.ndarray
    milestone: np.ndarray  # bool
    # the earliest offset each task may start at (0 unless levelling or progress says so)
    release: np.ndarray | None = None

    @property
    def size(self) -> int:
        return len(self.ids)

    def position(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.ids)}

    def releases(self) -> np.ndarray:
        return self.release if self.release is not None else np.zeros(self.size)


def build_network(
    plan: Plan,
    extra: list[list[int]] | None = None,
    release: list[float] | None = None,
) -> Network:
    """Tasks in topological order (Kahn's algorithm; ready tasks keep the plan's order).

    `extra` adds precedences (per task, by index in plan.tasks, more tasks it must wait for:
    the resource levelling's) and `release` the earliest offset of each task (plan order).

    The plan was checked for cycles when it was loaded. This runs on every analysis, so it
    is plain Python rather than networkx, whose import alone costs more than the sort.
    """
    index = {t.id: i for i, t in enumerate(plan.tasks)}
    deps = [sorted({index[d] for d in t.depends_on}) for t in plan.tasks]
    if extra is not None:
        deps = [sorted({*ds, *more}) for ds, more in zip(deps, extra, strict=True)]
    users: list[list[int]] = [[] for _ in plan.tasks]
    for i, ds in enumerate(deps):
        for d in ds:
            users[d].append(i)
    waiting = [len(ds) for ds in deps]
    ready = deque(i for i, w in enumerate(waiting) if w == 0)
    order = []
    while ready:
        i = ready.popleft()
        order.append(i)
        for j in users[i]:
            waiting[j] -= 1
            if waiting[j] == 0:
                ready.append(j)
    if len(order) != len(plan.tasks):
        raise ValueError("the task graph has a cycle; load plans with load_plan() to get it named")
    pos = {plan_i: p for p, plan_i in enumerate(order)}
    preds = [sorted(pos[d] for d in deps[i]) for i in order]
    succs: list[list[int]] = [[] for _ in order]
    for p, ps in enumerate(preds):
        for q in ps:
            succs[q].append(p)

    def three(attr: str) -> np.ndarray:
        est = [plan.tasks[i].estimate for i in order]
        return np.array([getattr(e, attr) if e else 0.0 for e in est], dtype=np.float64)

    return Network(
        ids=[plan.tasks[i].id for i in order],
        order=order,
        preds=preds,
        succs=succs,
        optimistic=three("optimistic"),
        likely=three("likely"),
        pessimistic=three("pessimistic"),
        milestone=np.array([plan.tasks[i].milestone for i in order], dtype=bool),
        release=None if release is None else np.array([release[i] for i in order], float),
    )


def passes(net: Network, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Forward and backward pass over durations `d` (topological order)."""
    n = net.size
    es, ef = np.zeros(n), np.zeros(n)
    release = net.releases().tolist()
    for i in range(n):
        es[i] = max((ef[p] for p in net.preds[i]), default=release[i])
        if release[i] > es[i]:
            es[i] = release[i]
        ef[i] = es[i] + d[i]
    finish = float(ef.max()) if n else 0.0
    lf, ls = np.zeros(n), np.zeros(n)
    for i in reversed(range(n)):
        lf[i] = min((ls[s] for s in net.succs[i]), default=finish)
        ls[i] = lf[i] - d[i]
    return es, ef, ls, lf
