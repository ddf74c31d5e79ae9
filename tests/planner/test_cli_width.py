"""Terminal output that reads at any width: `analyze`, `plugins` and `check` laid out for 80
and 160 columns (`--width`, COLUMNS, and 80 when piped). No line is wider than the width
(measured in cells: a Chinese character takes two); every name and title is whole in its
row; no word breaks unless it alone is wider than its column; numbers keep their units."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from ruamel.yaml import YAML
from typer.testing import CliRunner
from ventureplan.planner import hookimpl
from ventureplan.planner.cli.main import app
from ventureplan.planner.cli.output import wrap
from ventureplan.planner.starters import starter_text

from tests.conftest import GOOD

ITER = "300"
BARS = "│┃"


def run(*args: object, columns: int | None = None) -> tuple[int, str, str]:
    """The command in-process, its stdout not a terminal (piped); COLUMNS as given (unset:
    None), whatever the environment running the tests says."""
    env = {"COLUMNS": None if columns is None else str(columns)}
    result = CliRunner().invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def starter(tmp_path: Path, lang: str) -> Path:
    path = tmp_path / f"newslens.{lang}.yaml"
    path.write_text(starter_text("newslens", lang), "utf-8")
    return path


LONG_TASK = (
    "Negotiate an exclusive multi-year commercial licence for the archives of three national "
    "newspaper publishers including redistribution rights"
)
LONG_RISK = (
    "Publishers refuse a commercial archive licence or price it far above the budget, and "
    "the regulator reclassifies topic tagging as automated decision-making"
)
LONGEST = "Supercalifragilisticexpialidocious-internationalisation"  # wider than a column


def long_plan(tmp_path: Path) -> Path:
    """The small plan with long task names and risk titles, one word wider than a column."""
    data = YAML(typ="safe", pure=True).load((GOOD / "small.yaml").read_text("utf-8"))
    data["tasks"][0]["name"] = LONG_TASK
    data["tasks"][1]["name"] = f"Fine-tune {LONGEST} and evaluate it on held-out tickets"
    data["risks"][0]["title"] = LONG_RISK
    data["risks"][0]["schedule_impact"] = {"low": 2, "likely": 4, "high": 9}
    data["risks"].append(
        {"id": "r-two", "title": f"{LONGEST} {LONG_RISK}", "category": "legal",
         "probability": 0.5, "impact": 5, "affects": ["data"], "response": "accept",
         "owner": "ml", "trigger": "A letter", "cost_impact": {"low": 1, "likely": 2, "high": 3}}
    )  # fmt: skip
    path = tmp_path / "long.json"
    path.write_text(json.dumps(data, default=str), "utf-8")
    (tmp_path / "tickets.csv").write_bytes((GOOD / "tickets.csv").read_bytes())
    return path


def names(path: Path) -> list[str]:
    """The task names and risk titles of a plan: what the tables' first columns hold."""
    data = YAML(typ="safe", pure=True).load(path.read_text("utf-8"))
    return [t.get("name") or t["id"] for t in data.get("tasks", [])] + [
        r["title"] for r in data.get("risks", [])
    ]


# --- reading a table back from the screen --------------------------------------------


@dataclass
class Table:
    widths: list[int]  # each column's content width
    rows: list[list[list[str]]] = field(default_factory=list)  # row -> column -> lines

    def first(self, row: list[list[str]]) -> str:
        return " ".join(row[0])


def tables(out: str, starts: int | None = None) -> list[Table]:
    """Every boxed table on the screen: its columns' widths and its rows. A row starts on a
    line where column `starts` has something in it (by default, any column but the first:
    only the first, the flexible one, wraps)."""
    found: list[Table] = []
    body = False
    for line in out.splitlines():
        if line.startswith("┏"):
            found.append(Table([len(seg) - 2 for seg in line[1:-1].split("┳")]))
        elif line.startswith("┡"):
            body = True
        elif line.startswith("└"):
            body = False
        elif body and line.startswith("│"):
            cells = [c[1:-1].rstrip() for c in line[1:-1].split("│")]
            table = found[-1]
            opens = (
                cells[starts].strip() if starts is not None else any(c.strip() for c in cells[1:])
            )
            if not table.rows or opens:
                table.rows.append([[] for _ in cells])
            for i, c in enumerate(cells):
                if c.strip():
                    table.rows[-1][i].append(c.strip())
    return found


def squeezed(text: str) -> str:
    return "".join(text.split())


def assert_laid_out(out: str, width: int, texts: list[str], *, skip: str | None = None) -> None:
    """No line wider than `width`; each table's first column holds whole names, a word in
    them broken only where it alone is wider than the column."""
    lines = [ln for ln in out.splitlines() if not (skip and ln.startswith(skip))]
    wide = [ln for ln in lines if cell_len(ln) > width]
    assert not wide, wide
    whole = {squeezed(t): t for t in texts}
    seen = 0
    for table in tables(out):
        for row in table.rows:
            name = whole.get(squeezed(" ".join(row[0])).removesuffix("◆"))
            if name is None:
                continue
            seen += 1
            tokens = {tok for ln in row[0] for tok in ln.split()}
            column = table.widths[0]
            for word in name.split():
                assert cell_len(word) > column or word in tokens, (word, row[0], column)
    assert seen >= len(set(whole)), "every name is a row of some table"


def assert_words_whole(out: str, texts: list[str]) -> None:
    """Every word of every text appears whole on some line (outside the tables too)."""
    tokens = {tok for ln in out.splitlines() for tok in re.sub(f"[{BARS}]", " ", ln).split()}
    for text in texts:
        for word in text.split():
            assert word in tokens, word


# --- analyze -------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("width", [80, 160])
def test_analyze_reads_at_80_and_160_columns(tmp_path, lang, width):
    path = starter(tmp_path, lang)
    code, out, err = run("analyze", path, "-n", ITER, "--width", width)
    assert code == 0, err
    assert_laid_out(out, width, names(path))
    if lang == "en":
        assert_words_whole(out, names(path))
    risks = YAML(typ="safe", pure=True).load(path.read_text("utf-8"))["risks"]
    titles = {squeezed(r["title"]) for r in risks}
    register = next(t for t in tables(out) if {squeezed(t.first(r)) for r in t.rows} == titles)
    assert len(register.rows) == len(risks)  # one row per risk...
    most = 3 if width == 80 else 1  # ... of at most 3 lines at 80 columns, 1 at 160
    assert max(len(r[0]) for r in register.rows) <= most
    if width == 160:  # room for every column
        assert len(register.widths) == 7


def test_analyze_piped_is_laid_out_for_80_columns(tmp_path):
    path = starter(tmp_path, "en")
    code, piped, err = run("analyze", path, "-n", ITER)
    assert code == 0, err
    assert run("analyze", path, "-n", ITER, "--width", "80")[1] == piped
    assert (
        run("analyze", path, "-n", ITER, columns=120)[1]
        == run("analyze", path, "-n", ITER, "--width", "120")[1]
    )  # COLUMNS still works
    assert_laid_out(piped, 80, names(path))


def test_summary_lines_wrap_between_words_and_keep_units(tmp_path):
    path = starter(tmp_path, "en")
    code, out, err = run("analyze", path, "-n", ITER, "--width", "80")
    lines = out.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("Budget: burn"))
    budget = lines[start : start + 3]
    assert all(ln.startswith("  ") for ln in budget[1:])  # a hanging indent
    said = " ".join(" ".join(budget).split())
    assert said.startswith("Budget: burn 52,200 USD/month (team 49,500 USD);")
    # each amount stays on one line with its currency, each "month N" together
    for amount in re.findall(r"\d[\d,]* USD", said):
        assert any(amount in ln for ln in budget), amount
    assert any("month 15" in ln for ln in budget)
    finish = next(i for i, ln in enumerate(lines) if ln.startswith("Deterministic finish"))
    assert "(69 workdays)" in lines[finish]
    path_ids = "interviews → taxonomy → data-licence → retrain → m-pilot-ready → pilot → m-launch"
    assert path_ids in " ".join(" ".join(lines[finish : finish + 2]).split())


def test_long_titles_and_names_stay_whole(tmp_path):
    path = long_plan(tmp_path)
    for width in (80, 160, 40):
        code, out, err = run("analyze", path, "-n", ITER, "--width", width)
        assert code == 0, err
        assert_laid_out(out, width, names(path), skip=str(path))
        words = [w for t in names(path) for w in t.split() if w != LONGEST and "-" not in w]
        assert_words_whole(out, words)
    # the word wider than any column breaks after its hyphen first
    code, out, err = run("analyze", path, "-n", ITER, "--width", "80")
    assert any(
        ln.split("│")[1].strip() == "Supercalifragilisticexpialidocious-"
        for ln in out.splitlines()
        if ln.startswith("│")
    )


def test_integers_print_as_integers(tmp_path):
    code, out, err = run("analyze", GOOD / "small.yaml", "-n", ITER, "--width", "120")
    (schedule, *_) = tables(out)
    days = [r[3][0] for r in schedule.rows]
    slack = [r[4][0] for r in schedule.rows]
    assert days == ["8", "5", "0"] and slack == ["0", "0", "0"]
    assert "(13 workdays)" in out and "13.0" not in out


def test_measurements_carry_their_units(tmp_path):
    measured = tmp_path / "plan.yaml"
    measured.write_text((GOOD / "measured.yaml").read_text("utf-8"))
    (tmp_path / "tickets.csv").write_bytes((GOOD / "tickets.csv").read_bytes())
    code, out, err = run("analyze", measured, "-n", ITER, "--width", "200")
    assert code == 0, err
    lines = [" ".join(ln.split()) for ln in out.splitlines()]
    assert any(
        "goal g-quality macro-F1 = 0.955 (95% CI 0.938–0.970) vs target >= 0.85: met" in ln
        for ln in lines
    ), out
    forecast = next(ln for ln in lines if ln.startswith("full-scale forecast:"))
    assert forecast == (
        "full-scale forecast: full-data training time 21 min, full-data compute cost 1.23 USD"
    )


# --- a property: any width, any titles ----------------------------------------------

WORDS = st.one_of(
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12),
    st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789-,.()", min_size=1, max_size=45),
    st.text("模型数据标注客户授权延迟成本风险计划，。", min_size=1, max_size=18),
)
TITLES = st.lists(WORDS, min_size=1, max_size=12).map(" ".join)


def generated(tmp_path: Path, tasks: list[str], risks: list[str]) -> Path:
    plan = {
        "schema": "ventureplan/1",
        "name": "Generated",
        "start": "2027-01-04",
        "team": [{"id": "ml", "title": "ML", "headcount": 1, "monthly_cost": 9000}],
        "budget": {"cash": 100000},
        "routes": [{"id": "r", "chosen": True, "model": "builtin:minilm-l6",
                    "dataset": {"source": "builtin:bbc-news"}}],
        "tasks": [
            {"id": f"t{i}", "name": name, "owner": "ml",
             "estimate": {"optimistic": 1 + i, "likely": 2 + i, "pessimistic": 5 + i},
             "depends_on": [f"t{i - 1}"] if i else []}
            for i, name in enumerate(tasks)
        ],
        "risks": [
            {"id": f"r{i}", "title": title, "category": "technical", "probability": 0.2 + i / 10,
             "impact": 2 + i, "affects": ["t0"], "schedule_impact": {"low": 1, "likely": 2, "high": 4},
             "response": "mitigate", "owner": "ml"}
            for i, title in enumerate(risks)
        ],
    }  # fmt: skip
    path = tmp_path / "generated.json"
    path.write_text(json.dumps(plan, ensure_ascii=False), "utf-8")
    return path


@settings(max_examples=25)
@given(
    width=st.integers(40, 200),
    tasks=st.lists(TITLES, min_size=1, max_size=3, unique_by=squeezed),
    risks=st.lists(TITLES, min_size=1, max_size=3, unique_by=squeezed),
)
def test_any_width_any_titles(tmp_path_factory, width, tasks, risks):
    path = generated(tmp_path_factory.mktemp("gen"), tasks, risks)
    code, out, err = run("analyze", path, "-n", "100", "--width", width)
    assert code == 0, err
    assert_laid_out(out, width, tasks + risks)


@settings(max_examples=50)
@given(width=st.integers(10, 120), hanging=st.integers(0, 8), text=TITLES)
def test_wrap_breaks_only_between_words(width, hanging, text):
    lines = [line.plain for line in wrap(text, width, hanging=hanging)]
    assert all(cell_len(ln) <= max(width, 2) for ln in lines)
    assert squeezed("".join(lines)) == squeezed(text)
    tokens = {tok for ln in lines for tok in ln.split()}
    rest = width - hanging
    for word in text.split():
        assert cell_len(word) > rest or word in tokens, (word, lines)
    assert all(ln.startswith(" " * hanging) for ln in lines[1:])


def test_a_number_never_parts_from_its_unit():
    (first, second) = wrap("Budget: burn 262,266\u00a0USD", 16)
    assert (first.plain, second.plain) == ("Budget: burn", "262,266 USD")


# --- plugins -------------------------------------------------------------------------


class FakePlugin:
    """A third-party plugin with a long name that implements several hooks."""

    __name__ = "vp_a_rather_long_third_party_module_name"

    @hookimpl
    def plan_checks(self, plan):
        return []

    @hookimpl
    def analysis_sections(self, analysis):
        return {}

    @hookimpl
    def mermaid_diagrams(self, analysis, labels):
        return {}

    @hookimpl
    def renderers(self):
        return {}


@pytest.fixture
def third_party(monkeypatch):
    from ventureplan.planner.cli import plugins as command
    from ventureplan.planner.plugin_manager import Manager

    pm = Manager()
    pm.load_entry_points()
    pm.register(FakePlugin(), name="vp-a-rather-long-third-party-plugin")
    monkeypatch.setattr(command, "get_plugin_manager", lambda: pm)
    return pm


@pytest.mark.parametrize("width", [80, 160, None])
def test_plugins_hooks_get_a_readable_width(third_party, width):
    args = ("plugins",) if width is None else ("plugins", "--width", width)
    code, out, err = run(*args)
    assert code == 0, err
    (table,) = tables(out, starts=-2)  # a row starts where its "from" is
    assert all(cell_len(ln) <= (width or 80) for ln in out.splitlines())
    infos = third_party.infos()
    longest = max(len(h) for i in infos for h in i.hooks)
    assert table.widths[-1] >= longest  # the hooks column is never narrower than a hook
    assert len(table.rows) == len(infos)
    for row, info in zip(table.rows, infos, strict=True):
        assert squeezed(" ".join(row[0])) == info.name  # the name whole, maybe wrapped at "-"
        hooks = [h for ln in row[-1] for h in ln.split(", ")]
        assert [h.rstrip(",") for h in " ".join(hooks).split()] == info.hooks  # at ", "
    fake = next(r for r, i in zip(table.rows, infos, strict=True) if not i.builtin)
    if width == 160:
        assert fake[-1] == ["analysis_sections, mermaid_diagrams, plan_checks, renderers"]
        assert len(table.widths) == 4  # the module is shown where there is room
    else:  # the name wraps after a hyphen, the hooks after a comma
        assert fake[0] == ["vp-a-rather-long-third-", "party-plugin"]
        assert fake[-1] == ["analysis_sections, mermaid_diagrams,", "plan_checks, renderers"]


# --- check ---------------------------------------------------------------------------


def lint_plan(tmp_path: Path) -> Path:
    path = tmp_path / "plan.yaml"
    text = (
        (GOOD / "small.yaml")
        .read_text("utf-8")
        .replace("    owner: ml\n    relevant_to", "    relevant_to")
    )
    path.write_text(text.replace("    deadline: 2027-03-31\n", ""), "utf-8")
    return path


def test_check_findings_wrap_with_a_hanging_indent_for_a_person(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = lint_plan(tmp_path).relative_to(tmp_path)
    code, out, err = run("check", path, "--width", "60")
    assert code == 0, err
    lines = out.splitlines()
    assert all(cell_len(ln) <= 60 for ln in lines)
    starts = [i for i, ln in enumerate(lines) if ln.startswith(str(path))]
    assert len(starts) == 4  # no owner, no deadline, data file missing, affects nothing
    for i in starts:  # every line of a finding but its first is indented
        nxt = next((j for j in starts if j > i), len(lines) - 1)
        assert all(ln.startswith("    ") for ln in lines[i + 1 : nxt])
    said = " ".join(out.split())
    assert "fix: set owner to the team role accountable for it" in said
    assert_words_whole(out, ["accountable", "deadline:", "YYYY-MM-DD"])


def test_check_piped_keeps_each_finding_on_one_line(tmp_path):
    path = lint_plan(tmp_path)
    code, out, err = run("check", path)
    assert code == 0
    found = [ln for ln in out.splitlines() if ln.startswith(str(path))]
    assert len(found) == 4
    assert any(ln.endswith("goal 'g-quality' has no owner") for ln in found)
    assert out.splitlines()[-1].endswith("is valid: 3 tasks, 1 risk, 1 goal; 4 warnings")


def test_errors_stay_one_line_each_whatever_the_width(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(
        (GOOD / "small.yaml")
        .read_text("utf-8")
        .replace("depends_on: [data]", "depends_on: [nope, gone]")
    )
    code, out, err = run("check", path, "--width", "40")
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines and all(
        re.match(rf"{re.escape(str(path))}:\d+:\d+: error: ", ln) for ln in lines[:-1] or lines
    )
    assert max(cell_len(ln) for ln in lines) > 40  # not wrapped: editors read them


def test_goal_verdicts_carry_units():
    from ventureplan.planner.cli.analyze import _verdict
    from ventureplan.planner.evidence import Evidence, GoalEvidence

    ev = Evidence("minilm", "run-1", "2027-02-10", None)

    def said(metric, value, target, direction):
        goal = GoalEvidence("g", metric, value, target, direction, True, None, None)
        return re.sub(r"\[/?\w*\]", "", _verdict(ev, goal, "USD")).replace("\u00a0", " ")

    assert said("cost", 0.349, 0.5, "<=") == (
        "Measured (minilm, run run-1): goal g compute cost = 0.349 USD vs target <= 0.50 USD: met"
    )
    assert said("macro_f1", 0.955, 0.9, ">=").endswith("macro-F1 = 0.955 vs target >= 0.9: met")
    assert said("latency_p95_ms", 41.0, 50, "<=").endswith(
        "latency p95 = 41 ms vs target <= 50 ms: met"
    )
