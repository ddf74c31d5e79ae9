"""Goals tied to their delivery: the deadline lint compares a goal with the P80 finish of the
task that delivers it (`goals[].delivered_by`), and a goal measured as missed is a warning."""

from __future__ import annotations

from ventureplan.planner.analysis import analyze, to_dict
from ventureplan.planner.load import load_plan
from ventureplan.planner.pipeline import check as check_file

PLAN = """\
schema: ventureplan/1
name: Delivery test
start: 2027-01-04
calendar: days
team:
  - {id: ml, title: ML engineer, headcount: 1, monthly_cost: 10000}
goals:
  - id: g-quality
    statement: Tag news articles into five topics at macro-F1 of at least 0.9
    metric: macro_f1
    target: 0.9
    deadline: 2027-03-31
    owner: ml
    relevant_to: Pilot customers need 0.9 before they stop tagging by hand
    delivered_by: train
routes:
  - id: r
    chosen: true
    model: builtin:minilm-l6
    dataset: {source: d.csv}
    measures: [g-quality]
tasks:
  - id: train
    name: Fine-tune the model
    owner: ml
    estimate: {optimistic: 30, likely: 30, pessimistic: 30}
  - id: pilot
    name: Run the pilot
    owner: ml
    estimate: {optimistic: 100, likely: 100, pessimistic: 100}
    depends_on: [train]
  - {id: launch, name: Launch, milestone: true, depends_on: [pilot]}
risks: []
budget: {cash: 1000000}
measured: []
"""
DEADLINE = (12, 15)  # line and column of the goal's deadline in PLAN


def lints(path, code="deadline-before-p80"):
    result = check_file(path)
    assert result.valid
    return [(f.line, f.column, f.letter, f.message) for f in result.findings if f.code == code]


def write(tmp_path, text=PLAN):
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    return path


def test_the_simulation_gives_each_delivering_task_its_finish(tmp_path):
    a = analyze(load_plan(write(tmp_path)).plan, iterations=500)
    assert a.simulation.task_finish == {"train": dict.fromkeys(("p10", "p50", "p80", "p95"), 30.0)}
    assert a.date(a.simulation.task_finish["train"]["p80"]).isoformat() == "2027-02-02"
    assert a.date(a.simulation.finish["p80"]).isoformat() == "2027-05-13"
    doc = to_dict(a)
    assert doc["simulation"]["task_finish_dates"] == {
        "train": dict.fromkeys(("p10", "p50", "p80", "p95"), "2027-02-02")
    }
    assert doc["inherent"]["task_finish"] == doc["simulation"]["task_finish"]


def test_a_goal_delivered_before_its_deadline_is_not_flagged(tmp_path):
    # due in March, delivered by training that finishes in February; the plan ends in May
    assert lints(write(tmp_path)) == []


def test_a_goal_delivered_after_its_deadline_is_flagged_at_its_deadline(tmp_path):
    path = write(tmp_path, PLAN.replace("delivered_by: train", "delivered_by: pilot"))
    assert lints(path) == [
        (
            *DEADLINE,
            "T",
            "goal 'g-quality' is due 2027-03-31, but 'Run the pilot', which delivers it, "
            "finishes by 2027-05-13 only with 80% confidence",
        )
    ]


def test_a_milestone_can_deliver_a_goal(tmp_path):
    path = write(tmp_path, PLAN.replace("delivered_by: train", "delivered_by: launch"))
    ((line, column, letter, message),) = lints(path)
    assert (line, column, letter) == (*DEADLINE, "T")
    assert "'Launch', which delivers it, finishes by 2027-05-13" in message


def test_without_delivered_by_the_whole_plan_counts(tmp_path):
    path = write(tmp_path, PLAN.replace("    delivered_by: train\n", ""))
    assert lints(path) == [
        (
            *DEADLINE,
            "T",
            "goal 'g-quality' is due 2027-03-31, but the plan finishes by 2027-05-13 only with "
            "80% confidence",
        )
    ]


def measured(*records: str) -> str:
    return PLAN.replace("measured: []\n", "measured:\n" + "".join(records))


def record(run: str, at: str, value: float, **more: str) -> str:
    extra = "".join(f", {k}: {v}" for k, v in more.items())
    return (
        f"  - {{run: {run}, route: r, at: {at}, metrics: {{macro_f1: {value}}}, "
        f"goals: {{g-quality: {{value: {value}, target: 0.9, met: {str(value >= 0.9).lower()}}}}}"
        f"{extra}}}\n"
    )


MISSED = (
    "goal 'g-quality' was measured as missed: macro_f1 = 0.82, target >= 0.9 (route 'r', run run-2)"
)


def test_a_goal_measured_as_missed_is_a_warning_at_its_target(tmp_path):
    path = write(
        tmp_path,
        measured(
            record("run-1", "2027-02-01T08:00:00Z", 0.95),
            record("run-2", "2027-02-10T08:00:00Z", 0.82),
        ),
    )
    assert lints(path, "goal-measured-missed") == [(11, 13, "A", MISSED)]


def test_only_the_latest_evidence_counts(tmp_path):
    newer_met = measured(
        record("run-1", "2027-02-01T08:00:00Z", 0.82),
        record("run-2", "2027-02-10T08:00:00Z", 0.95),
    )
    assert lints(write(tmp_path, newer_met), "goal-measured-missed") == []
    # a rehearsal or a record set aside is not evidence, however new
    for mark in ({"rehearsal": "true"}, {"ignored": "true"}):
        text = measured(
            record("run-2", "2027-02-01T08:00:00Z", 0.95),
            record("run-3", "2027-02-10T08:00:00Z", 0.82, **mark),
        )
        assert lints(write(tmp_path, text), "goal-measured-missed") == []


def test_a_goal_met_raises_nothing(tmp_path):
    path = write(tmp_path, measured(record("run-1", "2027-02-01T08:00:00Z", 0.95)))
    assert lints(path, "goal-measured-missed") == []
