"""Random but valid plans of any size, for tests and benchmarks (deterministic per seed)."""

from __future__ import annotations

import random


def random_plan_yaml(n_tasks: int, seed: int = 0, n_risks: int | None = None) -> str:
    """A plan whose tasks form a random DAG: each depends on up to three earlier tasks."""
    rng = random.Random(seed)
    n_risks = max(1, n_tasks // 20) if n_risks is None else n_risks
    out = [
        "schema: ventureplan/1",
        f"name: Random plan of {n_tasks} tasks",
        "start: 2027-01-04",
        "team:",
        "  - {id: eng, title: Engineer, headcount: 5, monthly_cost: 10000}",
        "goals:",
        "  - id: g-quality",
        "    statement: Reach macro-F1 of at least 0.9 on the held-out test set",
        "    metric: macro_f1",
        "    target: 0.9",
        "    deadline: 2099-12-31",
        "    owner: eng",
        "    relevant_to: Customers need it",
        "routes:",
        "  - id: r",
        "    chosen: true",
        "    model: builtin:minilm-l6",
        "    dataset: {source: data.csv}",
        "    measures: [g-quality]",
        "tasks:",
    ]
    for i in range(n_tasks):
        a = rng.randint(1, 10)
        m = a + rng.randint(0, 10)
        b = m + rng.randint(0, 20)
        deps = sorted(rng.sample(range(max(0, i - 50), i), min(i, rng.randint(0, 3)))) if i else []
        out += [
            f"  - id: t{i}",
            f"    name: Task {i}",
            "    owner: eng",
            f"    estimate: {{optimistic: {a}, likely: {m}, pessimistic: {b}}}",
            f"    depends_on: [{', '.join(f't{d}' for d in deps)}]",
            f"    phase: phase-{i * 5 // max(n_tasks, 1)}",
        ]
    out.append("risks:" if n_risks else "risks: []")
    for j in range(n_risks):
        affected = sorted(rng.sample(range(n_tasks), min(n_tasks, 3)))
        out += [
            f"  - id: r{j}",
            f"    title: Risk {j}",
            "    category: technical",
            f"    probability: {rng.choice([0.1, 0.2, 0.3, 0.5])}",
            f"    impact: {rng.randint(1, 5)}",
            f"    affects: [{', '.join(f't{t}' for t in affected)}]",
            f"    schedule_impact: {{low: 1, likely: 3, high: {rng.randint(3, 15)}}}",
            "    cost_impact: {low: 1000, likely: 5000, high: 20000}",
            "    response: mitigate",
            "    owner: eng",
            "    trigger: Task overruns by a week",
        ]
    out += ["budget:", "  cash: 5000000", "measured: []"]
    return "\n".join(out) + "\n"
