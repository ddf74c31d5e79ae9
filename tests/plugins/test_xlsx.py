"""The xlsx report: input sheets, a `Cash` sheet of live formulas, and the schedule, risks and
simulation as values. The key tests recalculate the workbook with LibreOffice and compare the
cash curve with ventureplan's, month by month, to the cent.

LibreOffice's default for OOXML files is "never recalculate" (cached values are kept as they
are; only formula cells without one are computed), so every conversion here runs with a
fresh user profile whose registrymodifications.xcu sets OOXMLRecalcMode to 0 (always), and
`test_libreoffice_recalculates_stale_cached_values` proves the setting is in effect.
"""

from __future__ import annotations

import io
import random
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.formula.translate import Translator
from ventureplan.planner.budget import BudgetModel
from ventureplan.planner.load import LoadedPlan, load_plan
from ventureplan.planner.model import Plan
from ventureplan.planner.pipeline import render
from ventureplan.planner.pipeline import report as build_report
from ventureplan.planner.source import SourceMap
from ventureplan.planner.starters import starter_text
from ventureplan.plugins.render_xlsx import CASH_COLUMNS, GRID, MAX_CELL, cell_text

from tests.planfactory import make_plan, milestone, task

CENT = 0.005
STARTERS = [(example, lang) for example in ("newslens", "minimal") for lang in ("en", "zh")]
INJECTIONS = [
    '=HYPERLINK("http://evil","x")',
    "+cmd|'/c calc'!A1",
    "-2+3",
    "@SUM(1)",
    "=1+1",
    "'=quoted",
    "_x0041_ is not A",
]
CONTROL = "nul\x00 esc\x1b bell\x07 vt\x0b"
LONG = "L" + "o" * 39_999  # a phase has no length limit in the plan
EMOJI_TITLE = "🚀" * 20_000  # 20,000 characters, 40,000 UTF-16 units

RECALC_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode"
 oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode"
 oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def recalculate(books: dict[str, bytes], workdir: Path) -> dict[str, Any]:
    """Every workbook recalculated by LibreOffice in one headless run (a fresh profile that
    always recalculates OOXML on load), read back with its computed values."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (.ci/run installs it)")
    profile, src, out = workdir / "profile", workdir / "in", workdir / "out"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_PROFILE, "utf-8")
    src.mkdir()
    for name, data in books.items():
        (src / f"{name}.xlsx").write_bytes(data)
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore"]
        + ["--convert-to", "xlsx", "--outdir", str(out)]
        + [str(src / f"{name}.xlsx") for name in books],
        check=True,
        capture_output=True,
        timeout=600,  # a hang guard, not a time limit
    )
    missing = [name for name in books if not (out / f"{name}.xlsx").exists()]
    assert not missing, f"LibreOffice converted nothing for {missing}"
    return {name: openpyxl.load_workbook(out / f"{name}.xlsx", data_only=True) for name in books}


def report_of(plan: Plan, lang: str | None = None, iterations: int = 500) -> Any:
    return build_report(
        LoadedPlan(plan, {}, SourceMap("plan.yaml")), lang=lang, iterations=iterations
    )


def starter_report(example: str, lang: str, tmp: Path) -> Any:
    path = tmp / f"{example}.{lang}.yaml"
    path.write_text(starter_text(example, lang), "utf-8")
    return build_report(load_plan(path), iterations=500)


def cash_rows(wb: Any) -> list[dict[str, Any]]:
    rows = list(wb["Cash"].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def assert_curve(wb: Any, months: list[Any]) -> None:
    """The recalculated Cash sheet is ventureplan's budget, month by month, to the cent."""
    rows = cash_rows(wb)
    assert len(rows) == len(months)
    for row, m in zip(rows, months, strict=True):
        assert row["month"] == m.month
        assert row["starts"].date() == m.starts
        for key in ("team", "items", "revenue", "cash", "inflows", "repayments"):
            assert abs(row[key] - getattr(m, key)) < CENT, (m.month, key, row[key], getattr(m, key))


def with_budget(plan: Plan, **changes: Any) -> Plan:
    data = plan.model_dump(by_alias=True)
    data.update(changes)
    return Plan.model_validate(data)


def budget_plan(team: list[dict[str, Any]], budget: dict[str, Any]) -> Plan:
    return make_plan(
        [task("a", 20, 30, 60), task("b", 10, 20, 40, ["a"]), milestone("m", ["b"])],
        team=team,
        budget=budget,
    )


# A plan exercising every rule of BudgetModel: one-off items, until_month, from_month,
# one-off revenue, growth up and down (to nothing at -100%), an amount of 0 with growth,
# a one-off past the horizon, and no cash at all.
HAND_BUILT = {
    "team": [
        {"id": "eng", "title": "Engineer", "headcount": 1, "monthly_cost": 10000},
        {"id": "pt", "title": "Part-time", "headcount": 3, "monthly_cost": 1234.56},
        {"id": "vacant", "title": "Vacant", "headcount": 0, "monthly_cost": 9000},
        {"id": "hire", "title": "Hire", "headcount": 2, "monthly_cost": 500, "from_month": 3},
        {
            "id": "temp",
            "title": "Contractor",
            "headcount": 1,
            "monthly_cost": 700,
            "from_month": 2,
            "until_month": 4,
        },
        {"id": "early", "title": "Founding", "headcount": 1, "monthly_cost": 50, "until_month": 1},
    ],
    "budget": {
        "cash": 0,
        "items": [
            {"id": "gpu", "category": "compute", "amount": 1500.25},
            {
                "id": "office",
                "category": "office",
                "amount": 800,
                "from_month": 3,
                "until_month": 7,
            },
            {
                "id": "short",
                "category": "tools",
                "amount": 99.99,
                "from_month": 2,
                "until_month": 2,
            },
            {"id": "legal", "category": "legal", "amount": 6000, "per": "once", "month": 1},
            {"id": "audit", "category": "legal", "amount": 2500.5, "per": "once", "month": 4},
            {"id": "late", "category": "legal", "amount": 1000, "per": "once", "month": 500},
            {"id": "nothing", "category": "other", "amount": 0},
        ],
        "revenue": [
            {"id": "pilot", "amount": 5000, "from_month": 6, "growth": 0.15},
            {"id": "decline", "amount": 3000, "from_month": 2, "growth": -0.2},
            {"id": "dead", "amount": 0, "from_month": 1, "growth": 0.5},
            {"id": "grant", "amount": 20000, "per": "once", "from_month": 7},
            {"id": "vanish", "amount": 700, "from_month": 3, "growth": -1},
            {"id": "flat", "amount": 250.75},
        ],
    },
}

# The raise in month 3, a grant in month 2, a loan in month 1 repaid 4 × 2,000 from month 4,
# and a loan repaid from the month after it arrives (the default), with some revenue and items.
GRANT = {"id": "eic", "kind": "grant", "amount": 15000.5, "month": 2}
LOAN = {"id": "bank", "kind": "loan", "amount": 30000, "month": 1, "repay": 2000,
        "repay_months": 4, "repay_from_month": 4}  # fmt: skip
LATE_LOAN = {"id": "angel", "kind": "loan", "amount": 5000, "month": 5, "repay": 1000.25,
             "repay_months": 2}  # fmt: skip
RAISED = {
    "team": [{"id": "eng", "title": "Engineer", "headcount": 1, "monthly_cost": 10000}],
    "budget": {
        "cash": 20000,
        "items": [
            {"id": "gpu", "category": "compute", "amount": 500},
            {"id": "legal", "category": "legal", "amount": 3000, "per": "once", "month": 3},
        ],
        "inflows": [GRANT, LOAN, LATE_LOAN],
        "revenue": [
            {"id": "pilot", "amount": 1000, "from_month": 2, "growth": 0.1},
            {"id": "prize", "amount": 2500, "per": "once", "from_month": 3},
        ],
    },
}
FUNDING = {"round": "seed", "ask": 100000, "month": 3, "probability": 0.6}


def raised_plan(**funding: Any) -> Plan:
    return make_plan(
        [task("a", 20, 30, 60), task("b", 10, 20, 40, ["a"]), milestone("m", ["b"])],
        **RAISED,
        funding=FUNDING | funding,
    )


# Revenue that grows tenfold a month reaches BudgetModel's cap of 1E15 a month.
CAPPED = {
    "team": [{"id": "eng", "title": "Engineer", "headcount": 1, "monthly_cost": 10000}],
    "budget": {
        "cash": 5000,
        "revenue": [{"id": "rocket", "amount": 1_000_000, "from_month": 2, "growth": 10}],
    },
}


def hostile_text_plan() -> Plan:
    tasks = [
        {**task(f"t{i}", 1, 2, 3, [f"t{i - 1}"] if i else []), "name": text, "phase": text}
        for i, text in enumerate([*INJECTIONS, CONTROL])
    ]
    tasks.append({**task("long", 1, 1, 1), "name": "long phase", "phase": LONG})
    risks = [
        {"id": f"r{i}", "title": text, "category": "technical", "probability": 0.2, "impact": 2}
        for i, text in enumerate([*INJECTIONS, CONTROL, EMOJI_TITLE])
    ]
    return make_plan(
        tasks,
        risks,
        name=INJECTIONS[0],
        currency='U"S;D',
        team=[{"id": "eng", "title": INJECTIONS[1], "headcount": 1, "monthly_cost": 10000}],
        budget={
            "cash": 100000,
            "items": [{"id": "i", "category": INJECTIONS[2], "amount": 10}],
        },
    )


def edited(data: bytes, edits: dict[tuple[str, str], Any]) -> bytes:
    """The workbook with some input cells changed, as an investor would change them."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for (sheet, ref), value in edits.items():
        wb[sheet][ref].value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def filled_down(data: bytes, extra: int) -> bytes:
    """The workbook with the last row of Cash and of Revenue by month filled down."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for ws in (wb["Cash"], wb[GRID]):
        last = ws.max_row
        for cell in ws[last]:
            for k in range(1, extra + 1):
                target = ws.cell(row=last + k, column=cell.column)
                target.value = Translator(cell.value, cell.coordinate).translate_formula(
                    target.coordinate
                )
                target.number_format = cell.number_format
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def stale(data: bytes) -> bytes:
    """The workbook with a wrong cached value (999) in every formula cell of Cash, as a file
    saved by a spreadsheet and edited outside it would carry."""
    zin, buffer = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            body = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":  # Cash, the first sheet
                body, n = re.subn(rb"(</f>)<v\s*/>", rb"\1<v>999</v>", body)
                assert n > 0
            zout.writestr(item, body)
    return buffer.getvalue()


# --- the workbook as written (no LibreOffice) -----------------------------------------


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("plans")
    out = {f"{ex}.{lang}": starter_report(ex, lang, tmp) for ex, lang in STARTERS}
    out["hand-built"] = report_of(budget_plan(**HAND_BUILT))
    out["capped"] = report_of(budget_plan(**CAPPED))
    out["raised"] = report_of(raised_plan())
    out["hostile"] = report_of(hostile_text_plan())
    return out


@pytest.fixture(scope="module")
def books(reports) -> dict[str, bytes]:
    return {name: render(r, "xlsx") for name, r in reports.items()}


def load(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data))


def stored(x: Any) -> Any:
    """A float as the workbook holds it: openpyxl writes numbers with 16 significant digits
    ("%.16g"), so a value that needs all 17 (28583.333333333332) loses its last bit. Plan
    inputs (decimals a founder typed) round-trip exactly."""
    return float(f"{x:.16g}") if isinstance(x, float) else x


@pytest.mark.parametrize("name", ["newslens.en", "newslens.zh", "minimal.zh"])
def test_sheets_and_the_cash_header(books, name):
    wb = load(books[name])
    assert wb.sheetnames == [
        "Cash",
        "Inputs",
        "Team",
        "Items",
        "Revenue",
        "Inflows",
        "Revenue by month",
        "Schedule",
        "Risks",
        "Simulation",
    ]
    header = [c.value for c in wb["Cash"][1]]
    assert header == list(CASH_COLUMNS)
    assert header[0] == "month" and header[6] == "cash"
    assert wb["Cash"].freeze_panes == "B2" and wb["Schedule"].freeze_panes == "A2"
    assert all(c.font.b for c in wb["Risks"][1])
    assert not wb.vba_archive and not any(ws._hyperlinks for ws in wb.worksheets)


def test_every_cash_cell_is_a_formula_over_the_inputs(books, reports):
    wb = load(books["newslens.en"])
    ws = wb["Cash"]
    n = len(reports["newslens.en"].analysis.budget.months)
    assert ws.max_row == n + 1
    cells = [c for row in ws.iter_rows(min_row=2) for c in row]
    assert len(cells) == n * len(CASH_COLUMNS)
    assert all(c.data_type == "f" for c in cells)
    assert ws["G2"].value == "=starting_cash-I2+(K2+N2+O2)-(C2+H2+M2-J2)"
    assert ws["G3"].value == "=G2-I3+(K3+N3+O3)-(C3+H3+M3-J3)"
    assert ws["L2"].value == "=N2+O2"
    assert ws["O2"].value == "=(raise_month=$A2)*raise_ask"
    # no inflows in the plan: the formulas cover 10 spare rows of Inflows
    assert ws["N2"].value == "=SUMPRODUCT((Inflows!$D$2:$D$11=$A2)*Inflows!$C$2:$C$11)"
    # the roles that exist in the month: 4 roles and 10 spare rows
    assert ws["C2"].value == (
        '=SUMPRODUCT((Team!$F$2:$F$15<=$A2)*(((Team!$G$2:$G$15="")+(Team!$G$2:$G$15>=$A2))>0)'
        "*Team!$E$2:$E$15)"
    )
    assert ws["B2"].value == "=EDATE(start_date,$A2-1)"
    assert ws["G2"].number_format == '#,##0.00 "USD";[Red]-#,##0.00 "USD"'
    assert wb.defined_names["starting_cash"].attr_text == "Inputs!$B$5"
    assert wb["Inputs"]["B5"].value == 800000
    assert all(c.data_type == "f" for row in wb[GRID].iter_rows(min_row=2) for c in row)


def test_the_input_sheets_hold_the_plan(books, reports):
    wb, plan = load(books["hand-built"]), reports["hand-built"].plan
    team = list(wb["Team"].iter_rows(min_row=2, max_col=7, values_only=True))
    n = len(plan.team)
    assert [row[:4] + row[5:] for row in team[:n]] == [
        (r.id, r.title, r.headcount, r.monthly_cost, r.from_month, r.until_month) for r in plan.team
    ]
    assert team[4][5:] == (2, 4)
    assert all(v is None for row in team[n:] for v in row[:4] + row[5:])  # spare rows
    assert [c.value for c in wb["Team"]["E"][1:4]] == ["=C2*D2", "=C3*D3", "=C4*D4"]
    items = list(wb["Items"].iter_rows(min_row=2, max_row=8, values_only=True))
    assert items[1] == ("office", "office", 800, "month", None, 3, 7)
    assert items[3] == ("legal", "legal", 6000, "once", 1, None, None)
    assert items[0] == ("gpu", "compute", 1500.25, "month", None, 1, None)
    revenue = list(wb["Revenue"].iter_rows(min_row=2, max_row=7, values_only=True))
    assert revenue == [(s.id, s.amount, s.per, s.from_month, s.growth) for s in plan.budget.revenue]
    assert wb["Revenue"]["E2"].number_format == "0.00%"
    assert wb["Inputs"]["B4"].value.date() == plan.start
    assert wb["Inputs"]["B5"].value == 0
    assert [wb["Inputs"][f"B{r}"].value for r in (6, 7, 8)] == [None, None, None]  # no funding


def test_the_raise_and_the_inflows_are_inputs(books, reports):
    wb, plan = load(books["raised"]), reports["raised"].plan
    ws = wb["Inputs"]
    assert [(ws[f"A{r}"].value, ws[f"B{r}"].value) for r in (6, 7, 8)] == [
        ("funding.ask", 100000),
        ("funding.month", 3),
        ("funding.probability", 0.6),
    ]
    for name, ref in (("raise_ask", "B6"), ("raise_month", "B7"), ("raise_probability", "B8")):
        assert wb.defined_names[name].attr_text == f"Inputs!${ref[0]}${ref[1:]}"
    assert ws["B6"].fill.fgColor.rgb.endswith("FFF7D6") and ws["B8"].number_format == "0%"
    assert "main curve" in ws["C10"].value  # the summary says which curve it reads
    inflows = list(wb["Inflows"].iter_rows(min_row=1, values_only=True))
    assert inflows[0] == (
        *("id", "kind", "amount", "month", "repay", "repay_months", "repay_from_month"),
        "first_repayment",
    )
    assert [row[:7] for row in inflows[1:4]] == [
        ("eic", "grant", 15000.5, 2, None, None, None),
        ("bank", "loan", 30000, 1, 2000, 4, 4),
        ("angel", "loan", 5000, 5, 1000.25, 2, None),
    ]
    n = len(plan.budget.inflows) + 1 + 10  # the plan's rows and 10 spare ones
    assert len(inflows) == n and all(v is None for row in inflows[4:] for v in row[:7])
    assert [row[7] for row in inflows[1:3]] == ['=IF(G2="",D2+1,G2)', '=IF(G3="",D3+1,G3)']
    assert wb["Inflows"]["B2"].data_type == "s"
    assert any(
        dv.formula1 == '"grant,loan"' and str(dv.sqref) == f"B2:B{n}"
        for dv in wb["Inflows"].data_validations.dataValidation
    )
    cash = wb["Cash"]
    assert cash["M2"].value == (
        f"=SUMPRODUCT((Inflows!$H$2:$H${n}<=$A2)*(Inflows!$H$2:$H${n}+Inflows!$F$2:$F${n}>$A2)"
        f"*Inflows!$E$2:$E${n})"
    )
    assert cash["N2"].value == f"=SUMPRODUCT((Inflows!$D$2:$D${n}=$A2)*Inflows!$C$2:$C${n})"


def test_the_raised_plan_by_hand(reports):
    """What the raised plan checks: the raise lands in month 3 on the main curve, the grant
    in month 2, the loans in months 1 and 5, repaid from month 4 and from month 6."""
    months = reports["raised"].analysis.budget.months
    by = {m.month: m for m in months}
    assert [by[m].inflows for m in range(1, 7)] == [30000, 15000.5, 100000, 0, 5000, 0]
    repaid = [0, 0, 0, 2000, 2000, 2000 + 1000.25, 2000 + 1000.25, 0, 0]
    assert [by[m].repayments for m in range(1, 10)] == repaid
    burn = 10000 + 500
    assert by[1].cash == 20000 + 30000 - burn
    assert by[2].cash == pytest.approx(by[1].cash + 15000.5 - (burn - 1000))
    assert by[3].cash == pytest.approx(by[2].cash - 3000 + 2500 + 100000 - (burn - 1100))
    assert by[4].cash == pytest.approx(by[3].cash - (burn + 2000 - 1210))
    model = BudgetModel(reports["raised"].plan)
    assert model.cash_end[2] - model.cash_end0[2] == 100000  # the main curve counts the raise


def test_schedule_values_are_ventureplans(books, reports):
    wb, a = load(books["newslens.en"]), reports["newslens.en"].analysis
    rows = list(wb["Schedule"].iter_rows(min_row=2, values_only=True))
    tasks = {t.id: t for t in a.plan.tasks}
    assert len(rows) == len(a.schedule.tasks)
    for row, t in zip(rows, a.schedule.tasks, strict=True):
        expected = (t.id, t.name, tasks[t.id].owner, tasks[t.id].phase)
        expected += (t.start_date, t.finish_date, stored(t.duration), stored(t.slack))
        expected += (t.critical, t.milestone)
        assert (*row[:4], row[4].date(), row[5].date(), *row[6:]) == expected
    assert wb["Schedule"]["E2"].number_format == "yyyy-mm-dd"
    assert [c.value for c in wb["Schedule"][1]][6] == "Duration (workdays)"


def test_risk_register_values_are_ventureplans(books, reports):
    wb, r = load(books["newslens.zh"]), reports["newslens.zh"]
    rows = list(wb["Risks"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(r.analysis.risks)
    for row, s in zip(rows, r.analysis.risks, strict=True):
        assert row == tuple(
            map(
                stored,
                (
                    s.id,
                    s.title,
                    r.value(s.category),
                    s.probability,
                    s.impact,
                    s.score,
                    r.value(s.level),
                    s.emv,
                    r.value(s.response),
                    s.owner,
                    s.residual_probability,
                    s.residual_impact,
                    s.residual_score,
                    r.value(s.residual_level),
                    s.residual_emv,
                ),
            )
        )
    assert wb["Risks"]["D2"].number_format == "0.0%"
    assert wb["Risks"]["B1"].value == "风险"


def test_simulation_values_are_ventureplans(books, reports):
    wb, a = load(books["newslens.en"]), reports["newslens.en"].analysis
    ws, sim = wb["Simulation"], a.simulation
    for r, p in enumerate((10, 50, 80, 95), 2):
        assert ws.cell(r, 1).value == f"P{p}"
        assert ws.cell(r, 2).value.date() == a.date(sim.finish[f"p{p}"])
        assert ws.cell(r, 3).value == stored(sim.finish[f"p{p}"])
        assert ws.cell(r, 4).value == stored(sim.cost.get(f"p{p}"))
        assert ws.cell(r, 5).value.date() == a.date(sim.inherent.finish[f"p{p}"])
        assert ws.cell(r, 6).value == stored(sim.inherent.finish[f"p{p}"])
    assert [ws.cell(r, 2).value for r in range(7, 11)] == [
        500,
        0,
        stored(sim.mean_finish),
        stored(sim.p_cash_out),
    ]
    assert ws["B10"].number_format == "0.0%"
    assert "not formulas" in ws["A12"].value
    crit = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(15, ws.max_row + 1)}
    assert crit == {k: stored(v) for k, v in sim.criticality.items()}
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_plan_text_is_always_a_string_cell(books, reports):
    wb = load(books["hostile"])
    names = {row[0]: row[1] for row in wb["Schedule"].iter_rows(min_row=2, values_only=True)}
    for i, text in enumerate(INJECTIONS):
        assert names[f"t{i}"] == cell_text(text)
    assert names[f"t{len(INJECTIONS)}"] == "nul␀ esc␛ bell␇ vt␋"
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":  # every formula is one the renderer built
                    # (1+1 on its own: D11+1 is a renderer's month + 1)
                    assert not re.search(r"HYPERLINK|cmd|SUM\(1\)|(?<![\w$])1\+1", c.value)
    assert wb["Inputs"]["B2"].data_type == "s" and wb["Team"]["B2"].data_type == "s"
    phases = {row[0]: row[3] for row in wb["Schedule"].iter_rows(min_row=2, values_only=True)}
    assert len(phases["long"]) == MAX_CELL and phases["long"].endswith("o…")
    titles = [row[1] for row in wb["Risks"].iter_rows(min_row=2, values_only=True)]
    emoji = next(t for t in titles if t.startswith("🚀"))
    assert len(emoji.encode("utf-16-le")) // 2 == MAX_CELL and emoji.endswith("🚀…")
    # a currency cannot break out of the number format
    assert wb["Cash"]["G2"].number_format == '#,##0.00 "USD";[Red]-#,##0.00 "USD"'


def test_cell_text():
    assert cell_text('=HYPERLINK("http://evil","x")') == '=HYPERLINK("http://evil","x")'
    assert cell_text("a\x00b\x1bc\x7f\td\ne") == "a␀b␛c\x7f\td\ne"
    assert cell_text("one\r\ntwo\rthree") == "one\ntwo\nthree"
    assert cell_text("lone \ud800 surrogate \uffff") == "lone \ufffd surrogate \ufffd"
    assert cell_text("_x0041_ and _x005f_") == "_x005F_x0041_ and _x005F_x005f_"
    assert cell_text("x" * MAX_CELL) == "x" * MAX_CELL
    assert cell_text("x" * (MAX_CELL + 1)) == "x" * (MAX_CELL - 1) + "…"


@given(st.text(max_size=300))
@settings(max_examples=25)
def test_any_text_is_a_string_cell_that_reads_back(text):
    plan = make_plan([{**task("t", 1, 2, 3), "name": text or "x", "phase": text}])
    wb = load(render(report_of(plan, iterations=50), "xlsx"))
    name, phase = wb["Schedule"]["B2"], wb["Schedule"]["D2"]
    assert name.data_type == "s" and name.value == cell_text(text or "x")
    assert phase.value == (cell_text(text) if text else None)


def test_the_cli_writes_the_workbook_and_never_over_the_plan(cli, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(starter_text("minimal", "en"), "utf-8")
    code, out, err = cli("report", plan, "-o", tmp_path / "plan.xlsx", "--iterations", "300")
    assert code == 0, err
    wb = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    assert [c.value for c in wb["Cash"][1]][:7] == [
        "month",
        "starts",
        "team",
        "items",
        "revenue",
        "net",
        "cash",
    ]
    before = plan.read_bytes()
    link = tmp_path / "same.xlsx"
    link.symlink_to(plan)
    code, out, err = cli("report", plan, "-o", link)
    assert code == 1 and "writing there would replace it" in err
    assert plan.read_bytes() == before


# --- recalculated by LibreOffice -----------------------------------------------------------


@pytest.fixture(scope="module")
def recalculated(books, reports, tmp_path_factory) -> dict[str, Any]:
    """Every workbook of this module that LibreOffice must recalculate, in one run."""
    n = {name: len(r.analysis.budget.months) for name, r in reports.items()}
    batch = dict(books)
    batch["newslens.en+ml"] = edited(books["newslens.en"], {("Team", "C3"): 3})
    batch["newslens.en+cash"] = edited(books["newslens.en"], {("Inputs", "B5"): 812345.67})
    batch["hand-built+edits"] = edited(
        books["hand-built"],
        {
            ("Revenue", "E2"): 0.2,  # pilot grows 20% a month, not 15%
            ("Items", "G3"): 9,  # the office until month 9
            ("Items", "A9"): "new",  # a new one-off in a spare row
            ("Items", "C9"): 4321,
            ("Items", "D9"): "once",
            ("Items", "E9"): 2,
            ("Revenue", "A8"): "new",  # a new revenue stream in a spare row
            ("Revenue", "B8"): 100,
            ("Revenue", "C8"): "month",
            ("Revenue", "D8"): 3,
            ("Revenue", "E8"): 0.5,
        },
    )
    batch["hand-built+6"] = filled_down(books["hand-built"], 6)
    batch["raised+loan"] = edited(books["raised"], {("Inflows", "C3"): 45000})
    batch["raised+month"] = edited(books["raised"], {("Inputs", "B7"): 6})
    batch["raised-raise"] = edited(books["raised"], {("Inputs", "B7"): None})
    batch["raised+p"] = edited(books["raised"], {("Inputs", "B8"): 0.1})
    batch["raised+new"] = edited(  # a new loan in a spare row, repaid from the month after
        books["raised"],
        {
            ("Inflows", "A5"): "new",
            ("Inflows", "B5"): "loan",
            ("Inflows", "C5"): 8000,
            ("Inflows", "D5"): 2,
            ("Inflows", "E5"): 500,
            ("Inflows", "F5"): 3,
        },
    )
    batch["newslens.zh stale"] = stale(books["newslens.zh"])
    assert n["hand-built"] + 6 <= 120
    return recalculate(batch, tmp_path_factory.mktemp("recalc"))


@pytest.mark.parametrize(
    "name", [*(f"{ex}.{lang}" for ex, lang in STARTERS), "hand-built", "capped", "raised"]
)
@pytest.mark.slow  # LibreOffice: one run of ~13 s for the whole batch
def test_libreoffice_recalculates_ventureplans_cash_curve(recalculated, reports, name):
    assert_curve(recalculated[name], reports[name].analysis.budget.months)


def test_the_hand_built_plan_covers_every_rule(reports):
    months = reports["hand-built"].analysis.budget.months
    by = {m.month: m for m in months}
    assert by[1].items == 1500.25 + 6000 and by[2].items == pytest.approx(1500.25 + 99.99)
    assert by[4].items == pytest.approx(1500.25 + 800 + 2500.5) and by[8].items == 1500.25
    assert by[1].revenue == 250.75 and by[3].revenue == pytest.approx(250.75 + 3000 * 0.8 + 700)
    assert by[4].revenue == pytest.approx(250.75 + 3000 * 0.8**2)  # vanish is gone
    assert by[7].revenue == pytest.approx(250.75 + 3000 * 0.8**5 + 5000 * 1.15 + 20000)
    base = 10000 + 3 * 1234.56
    assert [by[m].team for m in (1, 2, 3, 4, 5)] == pytest.approx(
        [base + 50, base + 700, base + 1000 + 700, base + 1000 + 700, base + 1000]
    )
    assert by[1].cash == pytest.approx(-(base + 50) - 6000 - 1500.25 + 250.75)
    assert len(months) >= 12
    capped = reports["capped"].analysis.budget.months
    assert capped[-1].revenue == 1e15 and capped[1].revenue == 1_000_000


@pytest.mark.slow  # LibreOffice: one run of ~13 s for the whole batch
def test_libreoffice_keeps_plan_text_as_text(recalculated):
    wb = recalculated["hostile"]
    names = {row[0]: row[1] for row in wb["Schedule"].iter_rows(min_row=2, values_only=True)}
    for i, text in enumerate(INJECTIONS):
        assert names[f"t{i}"] == text
    assert names[f"t{len(INJECTIONS)}"] == "nul␀ esc␛ bell␇ vt␋"
    titles = [row[1] for row in wb["Risks"].iter_rows(min_row=2, values_only=True)]
    assert set(INJECTIONS) <= set(titles)
    assert wb["Inputs"]["B2"].value == INJECTIONS[0] and wb["Team"]["B2"].value == INJECTIONS[1]
    assert wb["Items"]["B2"].value == "-2+3"


@pytest.mark.slow  # LibreOffice: one run of ~13 s for the whole batch
def test_an_edited_headcount_moves_the_curve_by_exactly_its_cost(recalculated, reports):
    plan = reports["newslens.en"].plan
    base = cash_rows(recalculated["newslens.en"])
    more = cash_rows(recalculated["newslens.en+ml"])
    assert plan.team[1].id == "ml" and plan.team[1].headcount == 2
    for k, (a, b) in enumerate(zip(base, more, strict=True), 1):
        assert abs((a["cash"] - b["cash"]) - 11000 * k) < CENT
        assert b["team"] == a["team"] + 11000
    team = [r.model_dump() for r in plan.team]
    team[1]["headcount"] = 3
    expected = BudgetModel(with_budget(plan, team=team)).result(len(base)).months
    assert_curve(recalculated["newslens.en+ml"], expected)


@pytest.mark.slow  # LibreOffice: one run of ~13 s for the whole batch
def test_an_edited_starting_cash_shifts_the_curve(recalculated, reports):
    plan = reports["newslens.en"].plan
    base = cash_rows(recalculated["newslens.en"])
    richer = cash_rows(recalculated["newslens.en+cash"])
    for a, b in zip(base, richer, strict=True):
        assert abs((b["cash"] - a["cash"]) - 12345.67) < CENT
    budget = plan.budget.model_dump() | {"cash": 812345.67}
    expected = BudgetModel(with_budget(plan, budget=budget)).result(len(base)).months
    assert_curve(recalculated["newslens.en+cash"], expected)
    assert recalculated["newslens.en+cash"]["Inputs"]["B13"].value == pytest.approx(
        expected[-1].cash, abs=CENT
    )


@pytest.mark.slow  # LibreOffice: one run of ~13 s for the whole batch
def test_edited_items_and_revenue_follow_budget_rules(recalculated, reports):
    plan = reports["hand-built"].plan
    budget = plan.budget.model_dump()
    budget["revenue"][0]["growth"] = 0.2
    budget["items"][1]["until_month"] = 9
    budget["items"].append(
        {"id": "new", "category": "x", "amount": 4321, "per": "once", "month": 2}
    )
    budget["revenue"].append({"id": "new", "amount": 100, "from_month": 3, "growth": 0.5})
    n = len(reports["hand-built"].analysis.budget.months)
    expected = BudgetModel(with_budget(plan, budget=budget)).result(n).months
    assert_curve(recalculated["hand-built+edits"], expected)
    assert cash_rows(recalculated["hand-built+edits"])[-1]["cash"] != pytest.approx(
        reports["hand-built"].analysis.budget.months[-1].cash
    )


def raised_expected(reports: Any, **changes: Any) -> list[Any]:
    """BudgetModel's months for the raised plan with its budget or funding changed."""
    plan = reports["raised"].plan
    n = len(reports["raised"].analysis.budget.months)
    return BudgetModel(with_budget(plan, **changes)).result(n).months


@pytest.mark.slow  # LibreOffice: one run of ~13 s for the whole batch
def test_an_edited_loan_moves_the_curve_as_budget_does(recalculated, reports):
    budget = reports["raised"].plan.budget.model_dump()
    budget["inflows"][1]["amount"] = 45000
    expected = raised_expected(reports, budget=budget)
    assert_curve(recalculated["raised+loan"], expected)
    base = cash_rows(recalculated["raised"])
    for a, b in zip(base, cash_rows(recalculated["raised+loan"]), strict=True):
        assert abs((b["cash"] - a["cash"]) - 15000) < CENT


@pytest.mark.slow  # LibreOffice: one run of ~13 s for the whole batch
def test_an_edited_raise_month_moves_the_curve_as_budget_does(recalculated, reports):
    funding = FUNDING | {"month": 6}
    assert_curve(recalculated["raised+month"], raised_expected(reports, funding=funding))
    rows = cash_rows(recalculated["raised+month"])
    assert [r["raise"] for r in rows[:7]] == [0, 0, 0, 0, 0, 100000, 0]
    # no month: the curve without the raise (BudgetModel's cash_end0)
    no_month = raised_expected(reports, funding=FUNDING | {"month": None})
    assert_curve(recalculated["raised-raise"], no_month)
    model = BudgetModel(reports["raised"].plan)
    for row, cash0 in zip(cash_rows(recalculated["raised-raise"]), model.cash_end0, strict=False):
        assert abs(row["cash"] - cash0) < CENT
    # the probability is shown, not used: the main curve counts the raise in full
    assert_curve(recalculated["raised+p"], reports["raised"].analysis.budget.months)


@pytest.mark.slow  # LibreOffice: one run of ~13 s for the whole batch
def test_a_new_loan_in_a_spare_row_follows_budget_rules(recalculated, reports):
    budget = reports["raised"].plan.budget.model_dump()
    budget["inflows"].append(
        {"id": "new", "kind": "loan", "amount": 8000, "month": 2, "repay": 500, "repay_months": 3}
    )
    expected = raised_expected(reports, budget=budget)
    assert [m.repayments for m in expected[1:6]] == [0, 500, 500 + 2000, 500 + 2000, 2000 + 1000.25]
    assert_curve(recalculated["raised+new"], expected)


@pytest.mark.slow  # LibreOffice: one run of ~13 s for the whole batch
def test_filling_the_last_row_down_extends_the_model(recalculated, reports):
    plan = reports["hand-built"].plan
    n = len(reports["hand-built"].analysis.budget.months) + 6
    assert_curve(recalculated["hand-built+6"], BudgetModel(plan).result(n).months)


@pytest.mark.slow  # LibreOffice: one run of ~13 s for the whole batch
def test_libreoffice_recalculates_stale_cached_values(recalculated, reports):
    """The profile really recalculates: cached values of 999 in every Cash cell are replaced
    by the formulas' results (LibreOffice's default profile would keep the 999s)."""
    assert_curve(recalculated["newslens.zh stale"], reports["newslens.zh"].analysis.budget.months)


@pytest.mark.slow  # LibreOffice: one run of ~13 s for the whole batch
def test_libreoffice_summary_cells_on_inputs(recalculated, reports):
    wb, months = recalculated["hand-built"], reports["hand-built"].analysis.budget.months
    lowest = min(months, key=lambda m: m.cash)
    ws = wb["Inputs"]
    assert abs(ws["B10"].value - lowest.cash) < CENT and ws["B11"].value == lowest.month
    assert ws["B12"].value == sum(m.cash < 0 for m in months)
    assert abs(ws["B13"].value - months[-1].cash) < CENT
    # with a raise, the summary reads the main curve (with the raise)
    ws, months = recalculated["raised"]["Inputs"], reports["raised"].analysis.budget.months
    assert abs(ws["B10"].value - min(m.cash for m in months)) < CENT
    assert abs(ws["B13"].value - months[-1].cash) < CENT


AMOUNTS = st.one_of(
    st.just(0.0),
    st.integers(1, 50_000).map(float),
    st.integers(1, 5_000_000).map(lambda c: c / 100),
)
MONTHS = st.integers(1, 30)
ITEMS = st.builds(
    lambda amount, once, month, start, length: (
        {"amount": amount, "per": "once", "month": month}
        if once
        else {"amount": amount, "from_month": start}
        | ({} if length is None else {"until_month": start + length})
    ),
    AMOUNTS,
    st.booleans(),
    MONTHS,
    MONTHS,
    st.none() | st.integers(0, 12),
)
REVENUE = st.builds(
    lambda amount, once, start, growth: (
        {"amount": amount, "per": "once", "from_month": start}
        if once
        else {"amount": amount, "from_month": start, "growth": growth}
    ),
    AMOUNTS,
    st.booleans(),
    MONTHS,
    st.one_of(st.just(0.0), st.just(-1.0), st.integers(-100, 60).map(lambda p: p / 100)),
)
INFLOWS = st.builds(
    lambda amount, loan, month, repay, times, after: (
        {"kind": "loan", "amount": amount, "month": month, "repay": repay, "repay_months": times}
        | ({} if after is None else {"repay_from_month": month + after})
        if loan
        else {"kind": "grant", "amount": amount, "month": month}
    ),
    AMOUNTS,
    st.booleans(),
    MONTHS,
    st.integers(1, 500_000).map(lambda c: c / 100),
    st.integers(1, 12),
    st.none() | st.integers(1, 6),
)
BUDGET = st.fixed_dictionaries(
    {
        "cash": st.one_of(st.just(0.0), AMOUNTS),
        "team": st.lists(st.tuples(st.integers(0, 5), AMOUNTS), max_size=3),
        "items": st.lists(ITEMS, max_size=5),
        "revenue": st.lists(REVENUE, max_size=4),
        "inflows": st.lists(INFLOWS, max_size=3),
        "raise": st.none() | st.tuples(AMOUNTS, st.none() | MONTHS),  # (ask, month)
    }
)


def random_plan(b: dict[str, Any]) -> Plan:
    team = [
        {"id": f"role{i}", "title": f"Role {i}", "headcount": h, "monthly_cost": cost}
        for i, (h, cost) in enumerate(b["team"])
    ]
    items = [{"id": f"i{i}", "category": "c", **it} for i, it in enumerate(b["items"])]
    revenue = [{"id": f"r{i}", **rev} for i, rev in enumerate(b["revenue"])]
    inflows = [{"id": f"f{i}", **flow} for i, flow in enumerate(b.get("inflows", []))]
    budget = {"cash": b["cash"], "items": items, "revenue": revenue, "inflows": inflows}
    plan = budget_plan(team, budget)
    if b.get("raise") is None:
        return plan
    ask, month = b["raise"]
    return with_budget(plan, funding={"ask": ask, "month": month, "probability": 0.5})


@pytest.mark.slow  # two LibreOffice runs
@given(st.lists(BUDGET, min_size=6, max_size=6))
@settings(max_examples=2)  # each example is one LibreOffice run over six plans
def test_random_budgets_recalculate_to_ventureplans_curve(budgets):
    plans = [random_plan(b) for b in budgets]
    made = {f"p{i}": report_of(p, iterations=50) for i, p in enumerate(plans)}
    with tempfile.TemporaryDirectory() as tmp:
        wbs = recalculate({k: render(r, "xlsx") for k, r in made.items()}, Path(tmp))
    for k, r in made.items():
        assert_curve(wbs[k], r.analysis.budget.months)


def test_random_plans_render(tmp_path):
    """Seeded random plans of every size render and open (no LibreOffice needed)."""
    rng = random.Random(7)
    for _ in range(5):
        b = {
            "cash": rng.choice([0.0, 1e6, 12345.67]),
            "team": [(rng.randint(0, 4), rng.randint(0, 20000)) for _ in range(rng.randint(0, 3))],
            "items": [{"amount": rng.randint(0, 9000)} for _ in range(rng.randint(0, 4))],
            "revenue": [{"amount": 10.0, "growth": rng.random()} for _ in range(rng.randint(0, 3))],
        }
        wb = load(render(report_of(random_plan(b), iterations=50), "xlsx"))
        assert wb["Cash"].max_row >= 13
