"""The guided interview, answered on stdin as a founder would type: every answer checked
where it is given, a draft kept after every item, a resume after Ctrl-C or a kill."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner
from ventureplan.planner.cli.main import app
from ventureplan.planner.load import load_plan
from ventureplan.planner.pipeline import check as check_file
from ventureplan.planner.workshop.interview import STATE, draft_path, interview

# (answer, the reason it is asked again, or None where it is taken): one wrong answer per
# kind of question, each followed by a good one.
ANSWERS: list[tuple[str, str | None]] = [
    ("", "an answer is needed here"),
    ("NewsLens", None),
    ("4 January", "'4 January' is not a date; write it as YYYY-MM-DD"),
    ("2027/1/4", None),
    ("An API that tags news by topic for media monitors.", None),
    ("saas", "'saas' is not one of: platform, tool, service"),
    ("tool", None),
    ("dollars", "'dollars' is not a currency code"),
    ("usd", None),
    ("Founder", None),
    ("", None),  # the suggested id: founder
    ("1.5", "1.5 is not a whole number"),
    ("1", None),
    ("lots", "'lots' is not a number; write e.g. 12000, 12k, 1.5m or 30%"),
    ("9k", None),
    ("ML engineer", None),
    ("founder", "'founder' is already the id of role founder; choose another"),
    ("ml eng", "'ml eng' cannot be an id"),
    ("ml-eng", None),
    ("2", None),
    ("11000", None),
    ("", None),  # no more roles
    ("Reach macro-F1 of at least 0.9 on held-out news", None),
    ("macro-f1", "'macro-f1' is not a metric ventureplan measures (did you mean macro_f1?)"),
    ("macro_f1", None),
    ("", "A SMART goal needs a number to aim at"),
    ("90%", None),
    ("up", "'up' is not one of: >=, <="),
    ("at least", None),
    ("", "A SMART goal needs a date"),
    ("2026-12-31", "2026-12-31 is before 2027-01-04 (the start); give a later date"),
    ("2027-06-30", None),
    ("ml", "'ml' is not a role; did you mean ml-eng? (one of: founder, ml-eng)"),
    ("ML engineer", None),  # a title names its role
    ("Pilots need 0.9 to retire manual tagging", None),
    ("", None),  # no more goals
    ("builtin:bert", "'builtin:bert' is not a built-in model"),
    ("builtin:minilm-l6", None),
    ("news.txt", "'news.txt' is not a built-in data set (builtin:bbc-news) or a .csv/.jsonl"),
    ("builtin:bbc-news", None),
    ("Collect and label the news data", None),
    ("", None),  # the suggested id: collect-label-news
    ("", None),  # the default owner: the goal's, ml-eng
    ("3 5", "give three numbers: optimistic, likely, pessimistic"),
    ("3 5 9", None),  # the first task: no dependencies to ask for
    ("Fine-tune the clause classifier", None),
    ("g-1", "'g-1' is already the id of goal g-1; choose another"),
    ("train", None),
    ("chen", "'chen' is not a role (one of: founder, ml-eng)"),
    ("founder", None),
    ("5 3 9", "give them with optimistic <= likely <= pessimistic (5 3 9)"),
    ("2, 4, 8", None),
    ("colect-data", "'colect-data' is not an earlier task"),
    ("collect-label-news", None),
    ("", None),  # no more tasks
    ("Model misses target", None),
    ("30", "30 is above 1; write a chance as 0.3 or 30%"),
    ("30%", None),
    ("7", "7 is above 5; give at most 5"),
    ("4", None),
    ("", None),  # the default owner: ml-eng
    ("trian", "'trian' is not a task; did you mean train?"),
    ("train", None),
    ("20 10 5", "give low, likely, high with low <= likely <= high, or one number"),
    ("5 10 20", None),
    ("a lot", "'a' is not a number"),
    ("2k 5k 10k", None),
    ("ignore", "'ignore' is not one of: avoid, transfer, mitigate, accept, escalate"),
    ("mitigate", None),
    ("F1 below 0.85", None),
    ("Nobody pays", None),
    ("0.2", None),
    ("5", None),
    ("founder", None),
    ("", None),  # affects nothing: check warns
    ("", None),  # costs nothing
    ("", None),  # mitigate
    ("No pilot by March", None),
    ("", None),  # no resource risk
    ("BBC News corpus is for research only", None),
    ("0.9", None),
    ("4", None),
    ("founder", None),
    ("Collect and label the news data", None),  # a task named by its name
    ("10", None),  # one number for all three
    ("", None),
    ("avoid", None),
    ("", None),
    ("-5", "-5 is below 0; give at least 0"),
    ("400k", None),
]


def _input(answers: list[tuple[str, str | None]]) -> str:
    return "".join(a + "\n" for a, _ in answers)


def _new(path: Path, text: str, *args: str) -> object:
    # a wide terminal, so that each reason is one line to look for
    return CliRunner().invoke(
        app, ["workshop", "new", str(path), *args], input=text, env={"COLUMNS": "300"}
    )


def test_one_wrong_answer_per_question_ends_in_a_valid_plan(tmp_path):
    path = tmp_path / "plan.yaml"
    result = _new(path, _input(ANSWERS))
    assert result.exit_code == 0, result.output
    for answer, reason in ANSWERS:
        if reason:
            assert reason in result.output, (answer, reason)
    plan = load_plan(path).plan
    assert plan.name == "NewsLens" and plan.business.model == "tool"
    assert plan.currency == "USD" and str(plan.start) == "2027-01-04"
    assert [(r.id, r.headcount, r.monthly_cost) for r in plan.team] == [
        ("founder", 1, 9000),
        ("ml-eng", 2, 11000),
    ]
    (goal,) = plan.goals
    assert (goal.metric, goal.target, goal.direction, str(goal.deadline), goal.owner) == (
        "macro_f1",
        0.9,
        ">=",
        "2027-06-30",
        "ml-eng",
    )
    assert plan.chosen_route.measures == ["g-1"]
    assert [(t.id, t.owner, t.estimate.likely, t.depends_on) for t in plan.tasks] == [
        ("collect-label-news", "ml-eng", 5, []),
        ("train", "founder", 4, ["collect-label-news"]),
    ]
    technical, market, legal = plan.risks
    assert (technical.id, technical.probability, technical.impact, technical.owner) == (
        "r-technical",
        0.3,
        4,
        "ml-eng",
    )
    assert technical.affects == ["train"]
    assert technical.schedule_impact.model_dump() == {"low": 5, "likely": 10, "high": 20}
    assert technical.cost_impact.model_dump() == {"low": 2000, "likely": 5000, "high": 10000}
    assert (market.id, market.owner, market.affects, market.cost_impact) == (
        "r-market",
        "founder",
        [],
        None,
    )
    assert market.response == "mitigate"
    assert legal.affects == ["collect-label-news"]
    assert legal.schedule_impact.model_dump() == {"low": 10, "likely": 10, "high": 10}
    assert legal.response == "avoid"
    assert plan.budget.cash == 400000
    assert not draft_path(path).exists()  # the draft goes once the plan is written
    outcome = check_file(path)
    assert outcome.valid
    assert path.read_text().startswith(
        "# A ventureplan plan, written by `ventureplan workshop new`."
    )
    assert "# affects no task and costs nothing yet: the simulation ignores it" in path.read_text()


def test_rerun_fills_in_only_what_is_missing(small_plan):
    text = small_plan.read_text()
    start = text.index("risks:\n")
    end = text.index("budget:\n")
    small_plan.write_text(text[:start] + "risks: []\n" + text[end:])
    before = small_plan.read_text()
    answers = [
        "Model misses target",
        "0.3",
        "4",
        "",  # owner: the goal's, ml
        "train",
        "3 5 8",
        "",
        "mitigate",
        "F1 below 0.8",
        "",
        "",
        "",
    ]
    result = _new(small_plan, "\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "Currency" not in result.output  # the plan has one, and team and budget
    after = small_plan.read_text()
    assert after.startswith(before.replace("risks: []\n", ""))  # everything that was there stays
    plan = load_plan(small_plan).plan
    (risk,) = plan.risks
    assert (risk.id, risk.owner, risk.affects) == ("r-technical", "ml", ["train"])
    assert plan.name == "Small test venture"


ZH = [
    "新闻分类",
    "2027年1月4日",
    "为媒体监测公司提供按主题给新闻打标签的 API。",
    "工具",  # a Chinese word for the choice
    "",  # currency: CNY for a zh interview
    "创始人",
    "",  # the pinyin id
    "1",
    "1.2万",
    "算法工程师",
    "",
    "2",
    "2万",
    "",
    "宏平均 F1 在新闻测试集上达到 0.9",
    "macro_f1",
    "90%",
    "不低于",
    "2027/6/30",
    "算法工程师",  # a role named by its title
    "试点客户需要 0.9 才能取消人工标注",
    "",
    "",
    "",
    "数据清洗",
    "",
    "",
    "3、5、9",
    "模型微调",
    "",
    "创始人",
    "2 4 8",
    "数据清洗",  # a dependency named by its task's name
    "清洗",  # a second task whose pinyin id would clash
    "",
    "",
    "1 2 3",
    "",
    "",
    "模型达不到目标",
    "30%",
    "4",
    "",
    "模型微调",
    "5 10 20",
    "2万",
    "缓解",
    "F1 低于 0.85",
    "",
    "",
    "",
    "",
    "50万",
]


def test_zh_interview_gives_typeable_unique_ids(tmp_path):
    path = tmp_path / "p.yaml"
    result = _new(path, "\n".join(ZH) + "\n", "--lang", "zh")
    assert result.exit_code == 0, result.output
    assert "这个创业项目叫什么名字？" in result.output
    assert "每人每月成本（CNY" in result.output
    plan = load_plan(path).plan
    assert plan.currency == "CNY" and plan.language == "zh" and plan.business.model == "tool"
    ids = [r.id for r in plan.team] + [g.id for g in plan.goals]
    ids += [t.id for t in plan.tasks] + [r.id for r in plan.risks]
    assert [r.id for r in plan.team] == ["chuang-shi-ren", "suan-fa-gong-cheng"]
    assert [t.id for t in plan.tasks] == ["shu-ju-qing-xi", "mo-xing-wei-tiao", "qing-xi"]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-z0-9-]{1,20}", i) for i in ids), ids
    assert plan.tasks[1].depends_on == ["shu-ju-qing-xi"]
    assert plan.goals[0].owner == "suan-fa-gong-cheng"
    assert plan.team[0].monthly_cost == 12000 and plan.budget.cash == 500000
    assert plan.risks[0].cost_impact.likely == 20000
    text = path.read_text()
    assert "# 角色；下面的负责人（owner）填这些 id" in text
    assert "roles; their ids" not in text


def test_zh_choice_lists_the_words_it_takes(tmp_path):
    answers = ["新闻分类", "", "摘要", "软件", "工具", ""]
    result = _new(tmp_path / "p.yaml", "\n".join(answers) + "\n", "--lang", "zh")
    assert "「软件」不在可选项中：platform（平台）、tool（工具）、service（服务）" in result.output


def test_eof_keeps_the_draft_and_a_rerun_resumes(tmp_path):
    path = tmp_path / "plan.yaml"
    cut = 30  # in the middle of the goal
    first = _new(path, _input(ANSWERS[:cut]))
    assert first.exit_code == 1
    assert f"stopped; your answers so far are in {draft_path(path)}" in first.stderr
    assert not path.exists()
    draft = draft_path(path).read_text()
    state = json.loads(draft.rstrip("\n").split("\n")[-1][len(STATE) :])
    assert "team" in state["done"] and "goals" not in state["done"]
    assert "ml-eng" in draft and "g-1" not in draft  # the roles kept; the goal in progress not
    # the answers from the goal in progress on
    goal_at = next(i for i, (a, _) in enumerate(ANSWERS) if a.startswith("Reach macro-F1"))
    second = _new(path, _input(ANSWERS[goal_at:]))
    assert second.exit_code == 0, second.output
    assert f"Going on from {draft_path(path)}" in second.output
    whole = tmp_path / "whole" / "plan.yaml"
    whole.parent.mkdir()
    assert _new(whole, _input(ANSWERS)).exit_code == 0
    assert path.read_text() == whole.read_text()  # nothing lost, nothing twice
    assert not draft_path(path).exists()


def test_the_draft_can_be_named_and_edited(tmp_path):
    path = tmp_path / "plan.yaml"
    goal_at = next(i for i, (a, _) in enumerate(ANSWERS) if a.startswith("Reach macro-F1"))
    _new(path, _input(ANSWERS[:goal_at]))
    draft = draft_path(path)
    draft.write_text(draft.read_text().replace("monthly_cost: 11000", "monthly_cost: 12500"))
    result = _new(draft, _input(ANSWERS[goal_at:]))  # the draft itself, edited by hand
    assert result.exit_code == 0, result.output
    assert [r.monthly_cost for r in load_plan(path).plan.team] == [9000, 12500]


def test_an_error_left_in_the_draft_is_located_there(tmp_path):
    path = tmp_path / "plan.yaml"
    _new(path, _input(ANSWERS[:-2]))  # all but the cash
    draft = draft_path(path)
    lines = draft.read_text().split("\n")
    at = next(i for i, ln in enumerate(lines) if "depends_on: [collect-label-news]" in ln)
    lines[at] = lines[at].replace("collect-label-news", "collect")
    draft.write_text("\n".join(lines))
    result = _new(path, "400k\n")
    assert result.exit_code == 1
    assert f"{draft}:{at + 1}:" in result.stderr and "collect" in result.stderr
    assert f"fix the lines above in {draft}" in result.stderr
    assert not path.exists() and draft.exists()


def test_a_plan_changed_under_its_draft_is_refused(small_plan):
    text = small_plan.read_text()
    small_plan.write_text(
        text[: text.index("risks:\n")] + "risks: []\n" + text[text.index("budget:") :]
    )
    first = _new(small_plan, "Model misses target\n")
    assert first.exit_code == 1 and draft_path(small_plan).exists()
    small_plan.write_text(small_plan.read_text().replace("cash: 200000", "cash: 210000"))
    before = small_plan.read_text()
    result = _new(small_plan, "")
    assert result.exit_code == 1
    assert f"{small_plan} changed since the interview in {draft_path(small_plan)} began" in (
        result.stderr
    )
    assert small_plan.read_text() == before


def test_an_existing_plan_and_a_new_plan_draft_are_refused(tmp_path):
    path = tmp_path / "plan.yaml"
    _new(path, "NewsLens\n")
    path.write_text("something else\n")
    result = _new(path, "")
    assert result.exit_code == 1
    assert "holds an interview for a new plan; move one of them away" in result.stderr
    assert path.read_text() == "something else\n"


def _spawn(path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ventureplan.planner.cli", "workshop", "new", str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_for(draft: Path, needle: str, proc: subprocess.Popen[str]) -> None:
    for _ in range(600):
        if draft.exists() and needle in draft.read_text():
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    raise AssertionError(f"{needle!r} never reached {draft}")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_killed_midway_it_resumes(tmp_path, sig):
    path = tmp_path / "plan.yaml"
    first_task = next(i for i, (a, _) in enumerate(ANSWERS) if a.startswith("Fine-tune"))
    proc = _spawn(path)
    assert proc.stdin is not None
    proc.stdin.write(_input(ANSWERS[:first_task]))  # up to the second task: it waits there
    proc.stdin.flush()
    _wait_for(draft_path(path), "- id: collect-label-news", proc)
    time.sleep(0.3)  # the process is now blocked on the next question
    os.kill(proc.pid, sig)
    out, err = proc.communicate(timeout=30)
    assert "Traceback" not in err
    if sig == signal.SIGINT:
        assert proc.returncode == 130
        assert f"interrupted; your answers so far are in {draft_path(path)}" in err
    else:
        assert proc.returncode == -signal.SIGKILL
    assert not path.exists()
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary file left
    result = _new(path, _input(ANSWERS[first_task:]))
    assert result.exit_code == 0, result.output
    whole = tmp_path / "whole" / "plan.yaml"
    whole.parent.mkdir()
    assert _new(whole, _input(ANSWERS)).exit_code == 0
    assert path.read_text() == whole.read_text()


POOL = (
    [a for a, _ in ANSWERS] + ZH + ["0", "-1", "1e400", "nan", "∞", "2027-02-30", "🙂", "x" * 300]
)


@given(st.lists(st.one_of(st.sampled_from(POOL), st.text(max_size=30)), max_size=120))
def test_any_answers_never_crash_and_a_finished_plan_is_valid(answers):
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.yaml"
        queue = list(answers)

        def ask(text: str, default: str = "") -> str:
            if not queue:
                raise EOFError
            raw = queue.pop(0).replace("\n", " ").replace("\r", " ")
            return raw.strip() or default

        try:
            interview(path, ask, lambda _: None, "en")
        except EOFError:
            draft = draft_path(path)
            assert draft.exists()
            assert draft.read_text().rstrip("\n").split("\n")[-1].startswith(STATE)
            return
        assert load_plan(path).plan is not None  # it finished: a valid plan


@given(st.text(alphabet=st.sampled_from("ab cd 数据清洗（）,;"), max_size=200), st.integers(8, 100))
def test_a_question_wider_than_the_terminal_breaks_between_words(text, width):
    from rich.cells import cell_len
    from ventureplan.planner.cli.workshop import _wrap

    lines = _wrap(text, width)
    assert all(cell_len(line) <= width for line in lines), lines
    if " " in text.strip() and all(cell_len(w) <= width - 2 for w in text.split()):
        assert [w for line in lines for w in line.split()] == text.split()  # no word split


def test_questions_fit_an_80_column_terminal(tmp_path):
    from rich.cells import cell_len

    result = CliRunner().invoke(
        app,
        ["workshop", "new", str(tmp_path / "p.yaml")],
        input=_input(ANSWERS[:70]),
        env={"COLUMNS": "80"},
    )
    answers = {a for a, _ in ANSWERS}
    for line in result.stdout.splitlines():  # stderr's last line names paths, kept whole
        asked, _, answer = line.rpartition(": ")
        shown = asked if answer.strip() in answers and asked else line
        assert cell_len(shown) <= 80, line
