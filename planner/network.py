"""The task graph as arrays in topological order: what the schedule and the simulation walk."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import Plan


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

    @property
    def size(self) -> int:
        return len(self.ids)

    def position(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.ids)}


def build_network(plan: Plan) -> Network:
    """Topological order by networkx; ties keep the plan's order so results read naturally."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(range(len(plan.tasks)))
    index = {t.id: i for i, t in enumerate(plan.tasks)}
    graph.add_edges_from((index[d], i) for i, t in enumerate(plan.tasks) for d in t.depends_on)
    order = list(nx.lexicographical_topological_sort(graph))
    pos = {plan_i: p for p, plan_i in enumerate(order)}
    preds = [sorted({pos[index[d]] for d in plan.tasks[i].depends_on}) for i in order]
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
    )
