from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BAD, GOOD

ITER = "2000"


@pytest.fixture
def diff_cli(cli):
    """`ventureplan diff ARGS`: through the real app once the command is registered there,
    otherwise through an app holding only this command."""
    import typer
    from ventureplan.planner.cli import main
    from ventureplan.planner.cli.diff import diff

    if any(getattr(c.callback, "__wrapped__", None) is diff for c in main.app.registered_commands):
        return lambda *args: cli("diff", *args)
    from typer.testing import CliRunner

    app = typer.Typer()
    app.command()(diff)
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return run


def edited(small_plan: Path, name: str, *replacements: tuple[str, str]) -> Path:
    """A copy of the small plan with each (old, new) text replaced exactly once."""
    text = small_plan.read_text("utf-8")
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = small_plan.with_name(name)
    path.write_text(text, "utf-8")
    return path


def as_json(diff_cli, old: Path, new: Path, *args: str) -> dict:
    code, out, err = diff_cli(old, new, "--json", "--iterations", ITER, *args)
    assert code == 0, err
    return json.loads(out)


LIKELY_8_TO_12 = (
    "estimate: {optimistic: 5, likely: 8, pessimistic: 15}",
    "estimate: {optimistic: 5, likely: 12, pessimistic: 15}",
)


def test_identical_files_have_no_changes_and_zero_deltas(diff_cli, small_plan):
    code, out, err = diff_cli(small_plan, small_plan, "--iterations", ITER)
    assert (code, out, err) == (0, "No changes.\n", "")

    doc = as_json(diff_cli, small_plan, small_plan)
    assert doc["changed"] is False and doc["plan"] == []
    assert all(
        c == {"added": [], "removed": [], "changed": []} for c in doc["collections"].values()
    )
    assert doc["measured"] == {"added": 0, "removed": 0}
    e = doc["effect"]
    for key in ("finish_p50", "finish_p80", "deterministic_finish"):
        assert e[key]["delta"] == 0 and e[key]["delta_days"] == 0
        assert e[key]["old_date"] == e[key]["new_date"]
    for key in ("cost_p50", "cost_p80", "runway_months", "p_cash_out"):
        assert e[key]["delta"] == 0 and e[key]["old"] == e[key]["new"]
    assert e["break_even_month"] == {"old": None, "new": None, "delta": None}
    assert e["critical_path"]["changed"] is False


def test_changed_estimate_moves_the_finish_later(diff_cli, small_plan):
    new = edited(small_plan, "new.yaml", LIKELY_8_TO_12)
    doc = as_json(diff_cli, small_plan, new, "--seed", "11")
    assert doc["collections"]["tasks"]["changed"] == [
        {"id": "data", "changes": [{"path": "estimate.likely", "old": 8.0, "new": 12.0}]}
    ]
    assert doc["plan"] == [] and doc["changed"] is True
    e = doc["effect"]
    assert (e["iterations"], e["seed"]) == (2000, 11)
    # `data` is always critical; its PERT mean moves by (12 - 8) * 4 / 6 = 2.7 workdays.
    for key in ("finish_p50", "finish_p80"):
        assert 1.5 < e[key]["delta"] < 4.0, e[key]
        assert e[key]["new_date"] > e[key]["old_date"]
    assert e["deterministic_finish"]["delta"] == 4
    assert e["cost_p50"]["delta"] > 0 and e["cost_p80"]["delta"] > 0

    code, out, err = diff_cli(small_plan, new, "--iterations", ITER, "--seed", "11")
    assert code == 0, err
    assert "tasks\n  ~ data\n      estimate.likely: 8 → 12\n" in out
    rows = [" ".join(line.split()) for line in out.splitlines()]  # integers as integers
    assert "│ deterministic finish │ 2027-01-20 (13) │ 2027-01-26 (17) │ +4 workdays │" in rows
    assert "Critical path (unchanged): data → train → launch" in out


def test_added_task_and_removed_risk(diff_cli, small_plan):
    risk = small_plan.read_text("utf-8").split("risks:\n")[1].split("budget:")[0]
    new = edited(
        small_plan,
        "new.yaml",
        (
            "  - id: launch\n",
            "  - id: api\n    name: Build the API\n    owner: founder\n"
            "    estimate: {optimistic: 20, likely: 25, pessimistic: 30}\n  - id: launch\n",
        ),
        ("depends_on: [train]", "depends_on: [train, api]"),
        ("risks:\n" + risk, "risks: []\n"),
    )
    doc = as_json(diff_cli, small_plan, new)
    tasks, risks = doc["collections"]["tasks"], doc["collections"]["risks"]
    assert tasks["added"] == ["api"] and tasks["removed"] == []
    assert tasks["changed"] == [
        {
            "id": "launch",
            "changes": [{"path": "depends_on", "old": ["train"], "new": ["train", "api"]}],
        }
    ]
    assert risks == {"added": [], "removed": ["r-quality"], "changed": []}
    cp = doc["effect"]["critical_path"]
    assert cp == {"old": ["data", "train", "launch"], "new": ["api", "launch"], "changed": True}
    assert doc["effect"]["deterministic_finish"]["new"] == 25

    code, out, err = diff_cli(small_plan, new, "--iterations", ITER)
    assert code == 0, err
    assert "  + api  Build the API\n" in out
    assert "  ~ launch\n      depends_on: [train] → [train, api]\n" in out
    assert "risks\n  - r-quality  Model misses the target\n" in out
    assert "Critical path: was data → train → launch\n" in out
    assert "now api → launch" in out


def test_less_cash_shortens_the_runway(diff_cli, small_plan):
    new = edited(small_plan, "new.yaml", ("cash: 200000", "cash: 100000"))
    doc = as_json(diff_cli, small_plan, new)
    assert doc["plan"] == [{"path": "budget.cash", "old": 200000.0, "new": 100000.0}]
    runway = doc["effect"]["runway_months"]
    # burn 18,500/month: 200,000 lasts 10.8 months, 100,000 half that
    assert runway["old"] == pytest.approx(200000 / 18500, abs=0.05)
    assert runway["new"] == pytest.approx(100000 / 18500, abs=0.05)
    assert runway["delta"] == pytest.approx(runway["new"] - runway["old"])
    # the schedule does not depend on the cash
    assert doc["effect"]["finish_p80"]["delta"] == 0

    code, out, err = diff_cli(small_plan, new, "--iterations", ITER)
    assert code == 0, err
    assert "plan\n  ~ budget.cash: 200000 → 100000\n" in out
    assert "runway" in out and "-5.4 months" in out


def test_json_document_for_a_small_change(diff_cli, small_plan):
    new = edited(
        small_plan,
        "new.yaml",
        (
            "estimate: {optimistic: 5, likely: 8, pessimistic: 15}",
            "estimate: {optimistic: 5, likely: 10, pessimistic: 15}",
        ),
        ("probability: 0.3", "probability: 0.5"),
    )
    doc = as_json(diff_cli, small_plan, new, "--seed", "3")
    assert set(doc) == {"files", "changed", "plan", "collections", "measured", "verdicts", "effect"}
    assert doc["files"] == {"old": str(small_plan), "new": str(new)}
    assert doc["changed"] is True and doc["plan"] == []
    assert list(doc["collections"]) == [
        "tasks",
        "risks",
        "goals",
        "team",
        "routes",
        "budget.items",
        "budget.revenue",
        "stack",
    ]
    assert doc["collections"]["tasks"] == {
        "added": [],
        "removed": [],
        "changed": [
            {"id": "data", "changes": [{"path": "estimate.likely", "old": 8.0, "new": 10.0}]}
        ],
    }
    assert doc["collections"]["risks"] == {
        "added": [],
        "removed": [],
        "changed": [
            {"id": "r-quality", "changes": [{"path": "probability", "old": 0.3, "new": 0.5}]}
        ],
    }
    assert doc["measured"] == {"added": 0, "removed": 0}
    e = doc["effect"]
    assert set(e) == {
        "iterations",
        "seed",
        "calendar",
        "currency",
        "finish_p50",
        "finish_p80",
        "deterministic_finish",
        "cost_p50",
        "cost_p80",
        "runway_months",
        "break_even_month",
        "p_cash_out",
        "critical_path",
    }
    assert (e["iterations"], e["seed"], e["calendar"], e["currency"]) == (
        2000,
        3,
        "workdays",
        "USD",
    )
    assert e["deterministic_finish"] == {
        "old": 13.0,
        "new": 15.0,
        "delta": 2.0,
        "old_date": "2027-01-20",
        "new_date": "2027-01-22",
        "delta_days": 2,
    }
    assert set(e["finish_p50"]) == set(e["deterministic_finish"])
    assert e["runway_months"]["delta"] == 0  # the cash does not depend on the schedule
    assert e["break_even_month"] == {"old": None, "new": None, "delta": None}
    assert e["critical_path"] == {
        "old": ["data", "train", "launch"],
        "new": ["data", "train", "launch"],
        "changed": False,
    }
    # the same seed for both: the old side equals what `analyze` says about the old file
    code, out, err = diff_cli(small_plan, small_plan, "--json", "--iterations", ITER, "--seed", "3")
    assert json.loads(out)["effect"]["finish_p50"]["old"] == e["finish_p50"]["old"]


def test_invalid_new_file_fails_with_its_located_error(diff_cli, small_plan):
    for args in ((), ("--json",)):
        code, out, err = diff_cli(small_plan, BAD / "cycle.yaml", "--iterations", ITER, *args)
        assert code == 1 and out == ""
        assert err == (
            f"{BAD / 'cycle.yaml'}:47:18: error: tasks[1].depends_on[0]: dependency cycle: "
            "data → launch → train → data (fix: each arrow reads 'depends on'; "
            "remove one of these dependencies)\n"
        )


def test_missing_old_file_fails(diff_cli, tmp_path):
    code, out, err = diff_cli(tmp_path / "nope.yaml", GOOD / "small.yaml")
    assert code == 1 and out == "" and "nope.yaml" in err and "no such file" in err


def test_reordering_is_not_a_change_and_nested_fields_have_paths():
    from ventureplan.planner.load import load_plan
    from ventureplan.planner.workshop.diff import diff_plans, format_value

    old = load_plan(GOOD / "small.yaml").plan
    new = old.model_copy(deep=True)
    new.tasks.reverse()
    new.team.reverse()
    assert not diff_plans(old, new, iterations=200).changed

    route = new.routes[0]
    route.hyperparameters["epochs"] = True  # 2 -> true, and True == 1 must not hide it
    route.hyperparameters["seed"] = 7
    route.dataset.text = "body"
    new.business.summary = "Something else."
    d = diff_plans(old, new, iterations=200)
    [item] = d.collection("routes").changed
    assert item.id == "minilm"
    assert [(c.path, c.old, c.new) for c in item.changes] == [
        ("dataset.text", "text", "body"),
        ("hyperparameters.epochs", 2, True),
        ("hyperparameters.seed", None, 7),
    ]
    assert [(c.path, c.new) for c in d.plan] == [("business.summary", "Something else.")]
    assert not d.effect.moved
    assert format_value(["data", "api"]) == "[data, api]"
    assert format_value(5.0) == "5" and format_value(None) == "—" and format_value(False) == "false"
    assert format_value("x" * 100, width=10) == "x" * 9 + "…"


def test_measured_runs_are_counted_not_compared(diff_cli, small_plan):
    new = GOOD / "measured.yaml"
    doc = as_json(diff_cli, small_plan, new)
    assert doc["measured"] == {"added": 2, "removed": 0}
    assert doc["collections"]["risks"]["changed"] == [
        {
            "id": "r-quality",
            "changes": [
                {
                    "path": "schedule_impact",
                    "old": None,
                    "new": {"low": 5.0, "likely": 10.0, "high": 20.0},
                },
                {
                    "path": "cost_impact",
                    "old": None,
                    "new": {"low": 5000.0, "likely": 15000.0, "high": 40000.0},
                },
            ],
        }
    ]
    code, out, err = diff_cli(new, small_plan, "--iterations", ITER)
    assert code == 0 and "measured\n  2 runs removed\n" in out
    assert "schedule_impact: {low: 5, likely: 10, high: 20} → —" in out


def test_help_has_an_example():
    code = (
        "import typer; from ventureplan.planner.cli.diff import diff;"
        "app = typer.Typer(); app.command()(diff); app()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={"COLUMNS": "120", "NO_COLOR": "1", "PATH": ""},
    )
    assert "Example: ventureplan diff" in proc.stdout
