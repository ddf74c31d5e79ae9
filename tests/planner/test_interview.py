"""The guided interview, answered on stdin as a founder would type."""

from __future__ import annotations

from ventureplan.planner.load import load_plan
from ventureplan.planner.pipeline import check as check_file

ANSWERS = [
    "NewsLens",
    "2027-01-04",
    "An API that tags news by topic for media monitors.",
    "tool",
    "founder",
    "Founder",
    "1",
    "9000",
    "ml",
    "ML engineer",
    "2",
    "11000",
    "",
    "Reach macro-F1 of at least 0.9 on held-out news",
    "macro_f1",
    "",  # no target: pushed back
    "0.9",
    ">=",
    "",  # no deadline: pushed back
    "2027-06-30",
    "ml",
    "Pilots need 0.9 to retire manual tagging",
    "",
    "builtin:minilm-l6",
    "builtin:bbc-news",
    "Collect data",
    "3 5 9",
    "",
    "Train the model",
    "5 3 9",  # out of order: pushed back
    "2 4 8",
    "collect-data",
    "",
    "Model misses target",
    "0.3",
    "4",
    "mitigate",
    "F1 below 0.85",
    "Nobody pays",
    "0.2",
    "5",
    "mitigate",
    "No pilot by March",
    "",  # no resource risk
    "BBC News corpus is for research only",
    "0.9",
    "4",
    "avoid",
    "First paying customer",
    "400000",
]


def test_interview_writes_a_plan_that_passes_check(cli, tmp_path):
    from typer.testing import CliRunner
    from ventureplan.planner.cli.main import app

    path = tmp_path / "plan.yaml"
    result = CliRunner().invoke(
        app, ["workshop", "new", str(path)], input="\n".join(ANSWERS) + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "A SMART goal needs a number to aim at" in result.output
    assert "A SMART goal needs a date" in result.output
    assert "Give three numbers with optimistic <= likely <= pessimistic" in result.output
    plan = load_plan(path).plan
    assert plan.name == "NewsLens" and plan.business.model == "tool"
    assert [r.id for r in plan.team] == ["founder", "ml"]
    (goal,) = plan.goals
    assert (goal.metric, goal.target, goal.direction, str(goal.deadline), goal.owner) == (
        "macro_f1",
        0.9,
        ">=",
        "2027-06-30",
        "ml",
    )
    assert plan.chosen_route.measures == ["g-1"]
    assert [(t.id, t.estimate.likely, t.depends_on) for t in plan.tasks] == [
        ("collect-data", 5, []),
        ("train-the-model", 4, ["collect-data"]),
    ]
    assert [r.category for r in plan.risks] == ["technical", "market", "legal"]
    assert plan.budget.cash == 400000
    result = check_file(path)
    assert result.valid and result.findings == []  # a SMART-clean plan
    assert path.read_text().startswith(
        "# A ventureplan plan, written by `ventureplan workshop new`."
    )


def test_rerun_fills_in_only_what_is_missing(cli, small_plan):
    from typer.testing import CliRunner
    from ventureplan.planner.cli.main import app

    text = small_plan.read_text()
    start = text.index("risks:\n")
    end = text.index("budget:\n")
    small_plan.write_text(text[:start] + "risks: []\n" + text[end:])
    before = small_plan.read_text()
    answers = ["Model misses target", "0.3", "4", "mitigate", "F1 below 0.8", "", "", "", ""]
    result = CliRunner().invoke(
        app, ["workshop", "new", str(small_plan)], input="\n".join(answers) + "\n"
    )
    assert result.exit_code == 0, result.output
    after = small_plan.read_text()
    assert after.startswith(before.replace("risks: []\n", ""))  # everything that was there stays
    plan = load_plan(small_plan).plan
    assert [r.id for r in plan.risks] == ["r-technical"] and plan.name == "Small test venture"


def test_zh_questions(cli, tmp_path):
    from typer.testing import CliRunner
    from ventureplan.planner.cli.main import app

    result = CliRunner().invoke(
        app, ["workshop", "new", str(tmp_path / "p.yaml"), "--lang", "zh"], input="新闻分类\n"
    )
    assert "这个创业项目叫什么名字？" in result.output
    assert not (tmp_path / "p.yaml").exists()  # input ran out: nothing written
