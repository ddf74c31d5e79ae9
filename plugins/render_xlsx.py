"""`report -o plan.xlsx`: the financial model as a workbook an investor can change.

The money inputs (starting cash and the raise on `Inputs`; team, items, revenue, grants and
loans on their own sheets) are plain values; `Cash` computes the curve from them with live
formulas that replicate planner/budget.py step by step, in the same order of operations, so
that a recalculated `Cash` equals ventureplan's main curve (the one that counts the raise when
`funding.month` is given) to the cent, and an edited input moves it. `Schedule`, `Risks` and
`Simulation` are values from the analysis, not formulas.

Text from the plan is untrusted: it is always written as a string cell (never a formula,
whatever it starts with), characters XML cannot hold are replaced by visible symbols, and
text is cut to the 32,767 characters a cell holds. The workbook has no macros, links or
external references.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from typing import Any

from ventureplan.planner import hookimpl
from ventureplan.planner.results import PERCENTILES, Report

SPARE = 10  # blank input rows under each table, inside every formula's range
SUMMARY = 10  # the first row of the summary on Inputs (the inputs are rows 2..8)
MAX_CELL = 32_767  # characters (UTF-16 code units) a cell holds
INPUT_FILL, HEADER_FILL, INPUT_BLUE = "FFF7D6", "DDE3EA", "1F4E9E"
GRID = "Revenue by month"
FONT = "Calibri"  # the workbook's default font: styled cells keep it

# Cash columns (A..O): the fields of planner.budget.Month with net, the parts of items and
# revenue, Month's inflows and repayments (cash that is neither revenue nor spending), and the
# parts of the inflows. The letters are the formulas' (CASH_COLUMNS.index + 1).
CASH_COLUMNS = (
    *("month", "starts", "team", "items", "revenue", "net", "cash"),
    *("monthly items", "one-off items", "monthly revenue", "one-off revenue"),
    *("inflows", "repayments", "grants and loans", "raise"),
)
INFLOW_KINDS = '"grant,loan"'


WORDS: dict[str, dict[str, str]] = {
    "en": {
        "month": "Month of the plan; month 1 begins on the start date.",
        "starts": "The day the month begins (Inputs: start).",
        "team": "Team cost: the sum of headcount × monthly_cost on Team, over the roles that "
        "exist that month (from_month to until_month).",
        "items": "Every item this month: monthly plus one-off.",
        "revenue": "All revenue this month: monthly plus one-off.",
        "net": "Revenue minus team and items.",
        "cash": "Cash at the end of the month: last month's cash, minus the one-off items "
        "and plus the one-off revenue and the inflows (grants, loans and the raise) at the start "
        "of the month, minus the month's net outflow (team + monthly items + repayments - "
        "monthly revenue). With the raise: ventureplan's main curve.",
        "monthly items": "Items with per = month, from from_month to until_month "
        "(open-ended when blank).",
        "one-off items": "Items with per = once, in their month.",
        "monthly revenue": f"Revenue with per = month, grown month on month ({GRID}).",
        "one-off revenue": "Revenue with per = once, in its from_month.",
        "inflows": "Cash landing at the start of the month that is not revenue: grants and "
        "loans plus the raise.",
        "repayments": "Loan repayments this month (Inflows: repay for repay_months months from "
        "the first repayment), paid through the month like a monthly cost.",
        "grants and loans": "Amounts on Inflows whose month is this month.",
        "raise": "The raise (Inputs: funding.ask) if this is its month (Inputs: funding.month); "
        "counted in full, whatever its probability.",
        "id": "A short identifier, unique in its list.",
        "title": "The role.",
        "headcount": "How many people fill the role.",
        "monthly_cost": "Fully loaded cost of one person per month.",
        "monthly_total": "headcount × monthly_cost (a formula).",
        "role_from": "The first month the role exists and is paid (blank: month 1).",
        "role_until": "The last month the role exists (blank: open-ended).",
        "category": "Spending category.",
        "amount": "Amount per month, or the one-off amount.",
        "per": "month or once.",
        "item_month": "For a one-off: the month it falls in (1 = the start month).",
        "from_month": "For a monthly amount: the first month.",
        "until_month": "For a monthly item: the last month (blank: open-ended).",
        "rev_amount": "Revenue in the first month it arrives.",
        "rev_from": "The first month with this revenue; a one-off lands in it.",
        "growth": "Month-on-month growth, e.g. 15%; capped at 1E15 a month.",
        "grid": "Monthly revenue of each stream on Revenue: amount × (1 + growth)^(month - "
        "from_month) from from_month on.",
        "kind": "grant (kept) or loan (repaid). Neither is revenue nor spending.",
        "inflow_amount": "The amount that arrives at the start of its month.",
        "inflow_month": "The month it arrives (1 = the start month).",
        "repay": "For a loan: each monthly repayment, interest included (blank for a grant).",
        "repay_months": "For a loan: how many monthly repayments (blank for a grant).",
        "repay_from_month": "For a loan: the month of the first repayment (blank: the month "
        "after it arrives).",
        "first_repayment": "repay_from_month, or month + 1 when it is blank (a formula).",
        "raise_ask": "The amount raised in this round (funding.ask).",
        "raise_month": "The month the raise arrives (blank: the curve leaves the raise out).",
        "raise_probability": "The chance the raise closes (0..1). Shown, not used on Cash: "
        "like ventureplan's main curve, Cash counts the raise in full in its month.",
        "on_curve": "From the cash column of Cash: the main curve, with the raise when "
        "funding.month is given.",
        "field": "field",
        "value": "value",
        "about": "about",
        "name": "The plan.",
        "currency": "Every amount is in this currency.",
        "start": "The day work starts; month 1 begins on it.",
        "starting_cash": "Money in the bank at the start.",
        "lowest": "Lowest cash at the end of a month",
        "lowest_month": "Month of the lowest cash",
        "negative": "Months ending with negative cash",
        "last": "Cash at the end of the last month",
        "note": "Cells with a yellow background are inputs: change them (or fill in a blank row) "
        "and Cash follows. Clear funding.month to see the curve without the raise. Add months "
        "by filling the last row of Cash and of Revenue by month down. Schedule, Risks and "
        "Simulation are values from ventureplan, not formulas.",
        "id_h": "ID",
        "iterations": "Iterations",
        "seed": "Seed",
        "mean": "Mean finish",
        "sim_note": "These are values from ventureplan's Monte Carlo simulation ({n} iterations, "
        "seed {seed}), not formulas: they do not change when you edit the inputs. Run "
        "`ventureplan report` again after changing the plan.",
    },
    "zh": {
        "month": "计划的第几个月；第 1 个月从开始日期起。",
        "starts": "该月的开始日期（Inputs: start）。",
        "team": "团队成本：Team 表中当月存在的角色（from_month 至 until_month）的 "
        "headcount × monthly_cost 之和。",
        "items": "本月全部支出项目：每月项目加一次性项目。",
        "revenue": "本月全部收入：每月收入加一次性收入。",
        "net": "收入减去团队成本和支出项目。",
        "cash": "月末现金：上月现金，减去月初的一次性支出、加上月初的一次性收入和资金流入"
        "（资助、贷款和本轮融资），再减去本月净流出（团队 + 每月支出 + 还款 - 每月收入）。"
        "计入融资：即 ventureplan 的主现金曲线。",
        "monthly items": "per = month 的支出项目，从 from_month 到 until_month"
        "（空白表示不设结束）。",
        "one-off items": "per = once 的支出项目，计入其所在月份。",
        "monthly revenue": f"per = month 的收入，按月增长（{GRID}）。",
        "one-off revenue": "per = once 的收入，计入其 from_month。",
        "inflows": "月初到账、不属于收入的资金：资助和贷款，加上本轮融资。",
        "repayments": "本月的贷款还款（Inflows 表：从首次还款月起，每月 repay，共 repay_months "
        "个月），像每月成本一样在月内支付。",
        "grants and loans": "Inflows 表中 month 为本月的金额。",
        "raise": "本轮融资（Inputs: funding.ask），若本月是其到账月份（Inputs: funding.month）；"
        "不论到位概率，全额计入。",
        "id": "简短标识，在所在列表中唯一。",
        "title": "角色。",
        "headcount": "该角色的人数。",
        "monthly_cost": "每人每月的全部成本。",
        "monthly_total": "headcount × monthly_cost（公式）。",
        "role_from": "该角色开始存在并计薪的第一个月（空白表示第 1 个月）。",
        "role_until": "该角色存在的最后一个月（空白表示不设结束）。",
        "category": "支出类别。",
        "amount": "每月金额，或一次性金额。",
        "per": "month（每月）或 once（一次性）。",
        "item_month": "一次性项目：所在月份（1 = 开始的月份）。",
        "from_month": "每月金额：第一个月。",
        "until_month": "每月项目：最后一个月（空白表示不设结束）。",
        "rev_amount": "首月收入。",
        "rev_from": "开始有此收入的月份；一次性收入计入该月。",
        "growth": "月环比增长，例如 15%；每月上限 1E15。",
        "grid": "Revenue 表中每项收入的每月金额：从 from_month 起为 amount × (1 + growth)^(month - "
        "from_month)。",
        "kind": "grant（资助，无需偿还）或 loan（贷款，需偿还）。两者都不是收入，也不是支出。",
        "inflow_amount": "在其月份月初到账的金额。",
        "inflow_month": "到账的月份（1 = 开始的月份）。",
        "repay": "贷款：每月还款额，含利息（资助留空）。",
        "repay_months": "贷款：还款的月数（资助留空）。",
        "repay_from_month": "贷款：首次还款的月份（空白表示到账后的下一个月）。",
        "first_repayment": "repay_from_month；为空时为 month + 1（公式）。",
        "raise_ask": "本轮融资金额（funding.ask）。",
        "raise_month": "融资到账的月份（空白表示现金曲线不计入融资）。",
        "raise_probability": "融资到位的概率（0..1）。仅作展示，Cash 表不使用："
        "与 ventureplan 的主现金曲线一样，Cash 在到账月份全额计入融资。",
        "on_curve": "取自 Cash 表的 cash 列：主现金曲线，给出 funding.month 时计入融资。",
        "field": "字段",
        "value": "值",
        "about": "说明",
        "name": "计划名称。",
        "currency": "所有金额的币种。",
        "start": "开始工作的日期；第 1 个月从这一天开始。",
        "starting_cash": "开始时的银行存款。",
        "lowest": "月末最低现金",
        "lowest_month": "最低现金所在月份",
        "negative": "月末现金为负的月数",
        "last": "最后一个月的月末现金",
        "note": "黄色背景的单元格是输入项：修改它们（或填写空白行），Cash 表随之更新。"
        "清空 funding.month 即可看到不计入融资的现金曲线。"
        "要增加月份，把 Cash 和 Revenue by month 的最后一行向下填充。"
        "Schedule、Risks 和 Simulation 是 ventureplan 计算出的数值，不是公式。",
        "id_h": "编号",
        "iterations": "迭代次数",
        "seed": "随机种子",
        "mean": "平均完成时间",
        "sim_note": "以下是 ventureplan 蒙特卡洛模拟的结果（{n} 次迭代，随机种子 {seed}），"
        "不是公式："
        "修改输入项不会改变它们。修改计划后请重新运行 `ventureplan report`。",
    },
}

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_NOT_UNICODE = re.compile("[\ud800-\udfff\ufffe\uffff]")
_OOXML_ESCAPE = re.compile("_(x[0-9A-Fa-f]{4}_)")


def cell_text(text: str) -> str:
    """Plan text as a cell can hold it and show it: control characters become their visible
    symbols (U+2400…), a lone surrogate or non-character becomes U+FFFD, a carriage return a
    line break (XML would turn it into one anyway), `_xHHHH_` is escaped so that Excel
    shows it rather than decoding it, and the whole is cut to 32,767 UTF-16 units with '…'."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ILLEGAL.sub(lambda m: chr(0x2400 + ord(m.group())), text)
    text = _NOT_UNICODE.sub("\ufffd", text)
    text = _OOXML_ESCAPE.sub(r"_x005F_\1", text)
    if len(text.encode("utf-16-le")) // 2 <= MAX_CELL:
        return text
    out, units = [], 1  # the ellipsis
    for ch in text:
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > MAX_CELL:
            break
        out.append(ch)
    return "".join(out) + "…"


def _put(ws: Any, row: int, col: int, value: Any, fmt: str | None = None) -> Any:
    """Write one cell; a str is always a string cell, never a formula."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = cell_text(value)
        cell.data_type = "s"  # openpyxl makes any str starting with "=" a formula
    else:
        cell.value = value
    if fmt:
        cell.number_format = fmt
    return cell


def _formula(ws: Any, row: int, col: int, formula: str, fmt: str | None = None) -> Any:
    cell = ws.cell(row=row, column=col, value=formula)  # built here, never from plan text
    if fmt:
        cell.number_format = fmt
    return cell


class _Book:
    """The workbook being built, with the formats and words it shares."""

    def __init__(self, report: Report):
        from openpyxl import Workbook

        self.report, self.plan, self.L = report, report.plan, report.labels
        self.words = WORDS.get(report.lang, WORDS["en"])
        cur = "".join(ch for ch in self.plan.currency if ch.isalnum() or ch in "$€£¥₹₩")
        unit = f' "{cur}"' if cur else ""
        self.money = f"#,##0.00{unit};[Red]-#,##0.00{unit}"
        self.unit = self.L["workdays_unit" if self.plan.calendar == "workdays" else "days_unit"]
        self.wb = Workbook()
        self.wb.remove(self.wb.active)

    def sheet(self, title: str, headers: Sequence[str], notes: Sequence[str] | None = None) -> Any:
        from openpyxl.comments import Comment
        from openpyxl.styles import Font, PatternFill

        ws = self.wb.create_sheet(title)
        for col, name in enumerate(headers, 1):
            cell = _put(ws, 1, col, name)
            cell.font = Font(name=FONT, size=11, bold=True)
            cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
            if notes and notes[col - 1]:
                cell.comment = Comment(notes[col - 1], "ventureplan", width=300, height=110)
        ws.freeze_panes = "A2"
        return ws

    def inputs(self, ws: Any, first: int, last: int, cols: str, fmts: dict[str, str]) -> None:
        """Mark rows first..last of the given column letters as inputs (spare rows included)."""
        from openpyxl.styles import Font, PatternFill

        for col in cols:
            for row in range(first, last + 1):
                cell = ws[f"{col}{row}"]
                cell.fill = PatternFill("solid", fgColor=INPUT_FILL)
                cell.font = Font(name=FONT, size=11, color=INPUT_BLUE)
                if col in fmts:
                    cell.number_format = fmts[col]

    def per_list(self, ws: Any, ref: str, choices: str = '"month,once"') -> None:
        from openpyxl.worksheet.datavalidation import DataValidation

        dv = DataValidation(type="list", formula1=choices, allow_blank=True)
        ws.add_data_validation(dv)
        dv.add(ref)


def _note(ws: Any, row: int, text: str, last_col: str) -> None:
    """A paragraph across columns A..last_col, wrapped."""
    from openpyxl.styles import Alignment

    _put(ws, row, 1, text).alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(f"A{row}:{last_col}{row}")
    ws.row_dimensions[row].height = 64


def _widths(ws: Any, least: int = 9, most: int = 60) -> None:
    from openpyxl.utils import get_column_letter

    for col in ws.iter_cols():
        width = least
        for cell in col:
            value = cell.value
            if value is None or cell.data_type == "f" or cell.alignment.wrap_text:
                continue
            text = value.isoformat() if isinstance(value, dt.date) else str(value)
            line = max(text.split("\n"), key=len)[:200]
            width = max(width, sum(2 if ord(ch) > 0x2E80 else 1 for ch in line) + 2)
        ws.column_dimensions[get_column_letter(col[0].column)].width = min(width, most)


def _ranges(report: Report) -> dict[str, int]:
    """The last row of each input table that the formulas cover: the plan's rows and SPARE."""
    budget = report.plan.budget
    sizes = {"team": len(report.plan.team), "items": len(budget.items)}
    sizes["revenue"], sizes["inflows"] = len(budget.revenue), len(budget.inflows)
    return {k: v + 1 + SPARE for k, v in sizes.items()}


def _inputs_sheet(b: _Book, n: int) -> None:
    from openpyxl.workbook.defined_name import DefinedName

    plan, w = b.plan, b.words
    funding = plan.funding
    ws = b.sheet("Inputs", [w["field"], w["value"], w["about"]])
    # field, value, format, about; rows 4.. are inputs (a plan without funding gets blank ones)
    rows: list[tuple[str, Any, str | None, str]] = [
        ("name", plan.name, None, "name"),
        ("currency", plan.currency, None, "currency"),
        ("start", plan.start, "yyyy-mm-dd", "start"),
        ("cash", plan.budget.cash, b.money, "starting_cash"),
        ("funding.ask", funding.ask if funding else None, b.money, "raise_ask"),
        ("funding.month", funding.month if funding else None, "0", "raise_month"),
        (
            "funding.probability",
            funding.probability if funding else None,
            "0%",
            "raise_probability",
        ),
    ]
    for r, (field, value, fmt, about) in enumerate(rows, 2):
        _put(ws, r, 1, field)
        _put(ws, r, 2, value, fmt)
        _put(ws, r, 3, w[about])
    b.inputs(ws, 4, 8, "B", {})
    names = ("start_date", "starting_cash", "raise_ask", "raise_month", "raise_probability")
    for r, name in enumerate(names, 4):
        b.wb.defined_names.add(DefinedName(name, attr_text=f"Inputs!$B${r}"))
    cash, months = f"Cash!$G$2:$G${n + 1}", f"Cash!$A$2:$A${n + 1}"
    summary = [
        (w["lowest"], f"=MIN({cash})", b.money),
        (w["lowest_month"], f"=INDEX({months},MATCH(B{SUMMARY},{cash},0))", "0"),
        (w["negative"], f'=COUNTIF({cash},"<0")', "0"),
        (w["last"], f"=Cash!$G${n + 1}", b.money),
    ]
    for r, (label, formula, fmt) in enumerate(summary, SUMMARY):
        _put(ws, r, 1, label)
        _formula(ws, r, 2, formula, fmt)
        _put(ws, r, 3, w["on_curve"])
    _note(ws, SUMMARY + 5, w["note"], "C")
    _widths(ws)
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 20


def _team_sheet(b: _Book, last: int) -> None:
    w = b.words
    heads = ["id", "title", "headcount", "monthly_cost", "monthly_total"]
    keys = [*heads, "role_from", "role_until"]
    ws = b.sheet("Team", [*heads, "from_month", "until_month"], [w[k] for k in keys])
    for r, role in enumerate(b.plan.team, 2):
        for c, v in enumerate((role.id, role.title, role.headcount, role.monthly_cost), 1):
            _put(ws, r, c, v)
        _put(ws, r, 6, role.from_month)
        _put(ws, r, 7, role.until_month)
    for r in range(2, last + 1):
        _formula(ws, r, 5, f"=C{r}*D{r}", b.money)
    b.inputs(ws, 2, last, "ABCDFG", {"D": b.money})
    _widths(ws, least=14)


def _items_sheet(b: _Book, last: int) -> None:
    keys = ("id", "category", "amount", "per", "item_month", "from_month", "until_month")
    ws = b.sheet(
        "Items",
        ["id", "category", "amount", "per", "month", "from_month", "until_month"],
        [b.words[k] for k in keys],
    )
    for r, it in enumerate(b.plan.budget.items, 2):
        # only what BudgetModel reads: a one-off's month, a monthly item's months
        when = (
            (None, it.from_month, it.until_month) if it.per == "month" else (it.month, None, None)
        )
        for c, v in enumerate((it.id, it.category, it.amount, it.per, *when), 1):
            _put(ws, r, c, v)
    b.inputs(ws, 2, last, "ABCDEFG", {"C": b.money})
    b.per_list(ws, f"D2:D{last}")
    _widths(ws, least=14)


def _revenue_sheet(b: _Book, last: int) -> None:
    keys = ("id", "rev_amount", "per", "rev_from", "growth")
    ws = b.sheet(
        "Revenue", ["id", "amount", "per", "from_month", "growth"], [b.words[k] for k in keys]
    )
    for r, s in enumerate(b.plan.budget.revenue, 2):
        for c, v in enumerate((s.id, s.amount, s.per, s.from_month, s.growth), 1):
            _put(ws, r, c, v)
    b.inputs(ws, 2, last, "ABCDE", {"B": b.money, "E": "0.00%"})
    b.per_list(ws, f"C2:C{last}")
    _widths(ws, least=14)


def _inflows_sheet(b: _Book, last: int) -> None:
    w = b.words
    heads = ["id", "kind", "amount", "month", "repay", "repay_months", "repay_from_month"]
    keys = ["id", "kind", "inflow_amount", "inflow_month", *heads[4:], "first_repayment"]
    ws = b.sheet("Inflows", [*heads, "first_repayment"], [w[k] for k in keys])
    for r, f in enumerate(b.plan.budget.inflows, 2):
        loan = f.kind == "loan"
        repaid = (f.repay, f.repay_months, f.repay_from_month) if loan else (None, None, None)
        for c, v in enumerate((f.id, f.kind, f.amount, f.month, *repaid), 1):
            _put(ws, r, c, v)
    for r in range(2, last + 1):  # Inflow.first_repayment
        _formula(ws, r, 8, f'=IF(G{r}="",D{r}+1,G{r})', "0")
    b.inputs(ws, 2, last, "ABCDEFG", {"C": b.money, "E": b.money})
    b.per_list(ws, f"B2:B{last}", INFLOW_KINDS)
    _widths(ws, least=14)


def _grown(row: int, month: str) -> str:
    """Monthly revenue of the stream on Revenue row `row` in `month`, as BudgetModel has it:
    nothing before from_month or from an amount of 0, amount × (1 + growth)^(month -
    from_month) capped at 1E15 (exponents that would overflow are the cap: for any amount
    above 1E-246, e^600 × amount is past it)."""
    a, p, f, g = (f"Revenue!${c}${row}" for c in "BCDE")
    k = f"({month}-{f})"
    grown = f"MIN({a}*(1+{g})^{k},1E15)"
    return (
        f'=IF(OR({p}<>"month",NOT({a}>0),{month}<{f}),0,IF({month}={f},MIN({a},1E15),'
        f"IF({g}>0,IF({k}*LN(1+{g})>600,1E15,{grown}),{grown})))"
    )


def _grid_sheet(b: _Book, n: int, last: int) -> None:
    """One row per month (as on Cash), one column per row of Revenue."""
    from openpyxl.utils import get_column_letter

    ws = b.sheet(GRID, ["month"], [b.words["grid"]])
    ws.freeze_panes = "B2"
    for j in range(2, last + 1):
        _formula(ws, 1, j, f'=""&Revenue!$A${j}')
        ws.column_dimensions[get_column_letter(j)].width = 17
    for i in range(2, n + 2):
        _formula(ws, i, 1, f"=Cash!A{i}", "0")
        for j in range(2, last + 1):
            _formula(ws, i, j, _grown(j, f"$A{i}"), b.money)


def _cash_sheet(b: _Book, n: int, last: dict[str, int]) -> None:
    from openpyxl.chart import LineChart, Reference
    from openpyxl.utils import get_column_letter

    ws = b.sheet("Cash", CASH_COLUMNS, [b.words[c] for c in CASH_COLUMNS])
    ws.freeze_panes = "B2"
    end_col = get_column_letter(last["revenue"])

    def col(sheet: str, c: str) -> str:
        stop = last[sheet.lower()]
        return f"{sheet}!${c}$2:${c}${stop}"

    items_per, items_amount = col("Items", "D"), col("Items", "C")
    until, first = col("Items", "G"), col("Inflows", "H")
    for i in range(2, n + 2):
        m = f"$A{i}"
        prev = "starting_cash" if i == 2 else f"G{i - 1}"
        cells = [
            ("=ROW()-1", "0"),
            (f"=EDATE(start_date,{m}-1)", "yyyy-mm-dd"),
            (
                f"=SUMPRODUCT(({col('Team', 'F')}<={m})"
                f'*((({col("Team", "G")}="")+({col("Team", "G")}>={m}))>0)*{col("Team", "E")})',
                b.money,
            ),
            (f"=H{i}+I{i}", b.money),
            (f"=J{i}+K{i}", b.money),
            (f"=E{i}-C{i}-D{i}", b.money),
            # BudgetModel, in its order: the one-offs at the start of the month (income_once
            # = one-off revenue + grants and loans + the raise), then the month's net outflow
            # (team + monthly items + repayments - monthly revenue)
            (f"={prev}-I{i}+(K{i}+N{i}+O{i})-(C{i}+H{i}+M{i}-J{i})", b.money),
            (
                f'=SUMPRODUCT(({items_per}="month")*({col("Items", "F")}<={m})'
                f'*((({until}="")+({until}>={m}))>0)*{items_amount})',
                b.money,
            ),
            (
                f'=SUMPRODUCT(({items_per}="once")*({col("Items", "E")}={m})*{items_amount})',
                b.money,
            ),
            (f"=SUM('{GRID}'!$B{i}:${end_col}{i})", b.money),
            (
                f'=SUMPRODUCT(({col("Revenue", "C")}="once")*({col("Revenue", "D")}={m})'
                f"*{col('Revenue', 'B')})",
                b.money,
            ),
            (f"=N{i}+O{i}", b.money),  # Month.inflows: the raise lands on the main curve
            (
                f"=SUMPRODUCT(({first}<={m})*({first}+{col('Inflows', 'F')}>{m})"
                f"*{col('Inflows', 'E')})",
                b.money,
            ),
            (f"=SUMPRODUCT(({col('Inflows', 'D')}={m})*{col('Inflows', 'C')})", b.money),
            (f"=(raise_month={m})*raise_ask", b.money),
        ]
        for c, (formula, fmt) in enumerate(cells, 1):
            _formula(ws, i, c, formula, fmt)
    for c, name in enumerate(CASH_COLUMNS, 1):
        width = 11 if name in ("month", "starts") else 17
        ws.column_dimensions[get_column_letter(c)].width = width

    chart = LineChart()
    chart.title = b.L["cash_title"]
    chart.y_axis.number_format = "#,##0"
    chart.height, chart.width = 9, 18
    chart.add_data(Reference(ws, min_col=7, min_row=1, max_row=n + 1), titles_from_data=True)
    chart.series[0].smooth = False  # the curve as computed, month to month
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
    ws.add_chart(chart, "Q2")


def _schedule_sheet(b: _Book) -> None:
    L, a = b.L, b.report.analysis
    unit = lambda label: L["in_unit"].format(label=label, unit=b.unit)  # noqa: E731
    ws = b.sheet(
        "Schedule",
        [
            b.words["id_h"],
            L["task"],
            L["owner"],
            L["phase"],
            L["start"],
            L["finish"],
            unit(L["duration"]),
            unit(L["slack"]),
            L["critical"],
            L["milestone"],
        ],
    )
    tasks = {t.id: t for t in b.plan.tasks}
    for r, t in enumerate(a.schedule.tasks, 2):
        task = tasks[t.id]
        row: tuple[Any, ...] = (t.id, t.name, task.owner, task.phase, t.start_date)
        row += (t.finish_date, t.duration, t.slack, t.critical, t.milestone)
        for c, v in enumerate(row, 1):
            _put(ws, r, c, v, "yyyy-mm-dd" if c in (5, 6) else "0.0#" if c in (7, 8) else None)
    _widths(ws)


def _risks_sheet(b: _Book) -> None:
    L, rv = b.L, b.report.value
    after = lambda label: f"{L['after_response']}{L['colon']}{label}"  # noqa: E731
    heads = [L[k] for k in ("probability", "impact", "score", "level", "emv")]
    ws = b.sheet(
        "Risks",
        [b.words["id_h"], L["risk"], L["category_label"], *heads, L["response"], L["owner"]]
        + [after(h) for h in heads],
    )
    pct = "0.0%"
    fmts = [None, None, None, pct, None, None, None, b.money, None, None, pct, None, None]
    fmts += [None, b.money]
    for r, s in enumerate(b.report.analysis.risks, 2):
        row: tuple[Any, ...] = (s.id, s.title, rv(s.category), s.probability, s.impact)
        row += (s.score, rv(s.level))
        row += (s.emv, rv(s.response), s.owner, s.residual_probability, s.residual_impact)
        row += (s.residual_score, rv(s.residual_level), s.residual_emv)
        for c, v in enumerate(row, 1):
            _put(ws, r, c, v, fmts[c - 1])
    _widths(ws)


def _simulation_sheet(b: _Book) -> None:
    from openpyxl.styles import Font

    L, a, w = b.L, b.report.analysis, b.words
    sim, inherent = a.simulation, a.simulation.inherent
    unit = lambda label: L["in_unit"].format(label=label, unit=b.unit)  # noqa: E731
    heads = [L["percentile"], L["finish_date"], unit(L["finish"]), L["cost"]]
    if inherent is not None:
        heads += [L["finish_without_responses"], unit(L["finish_without_responses"])]
        heads += [L["cost_without_responses"]]
    ws = b.sheet("Simulation", heads)
    for r, p in enumerate(PERCENTILES, 2):
        key = f"p{p}"
        _put(ws, r, 1, f"P{p}")
        for s, c in ((sim, 2), (inherent, 5)):
            if s is None:
                continue
            _put(ws, r, c, a.date(s.finish[key]), "yyyy-mm-dd")
            _put(ws, r, c + 1, s.finish[key], "0.0#")
            _put(ws, r, c + 2, s.cost.get(key), b.money)
    facts: list[tuple[str, Any, str | None]] = [
        (w["iterations"], sim.iterations, "#,##0"),
        (w["seed"], sim.seed, "0"),
        (unit(w["mean"]), sim.mean_finish, "0.0#"),
        (L["p_cash_out"], sim.p_cash_out, "0.0%"),
    ]
    for r, (label, value, fmt) in enumerate(facts, 7):
        _put(ws, r, 1, label)
        _put(ws, r, 2, value, fmt)
    _note(ws, 12, w["sim_note"].format(n=f"{sim.iterations:,}", seed=sim.seed), "D")
    for c, head in enumerate((L["task"], L["criticality"]), 1):
        _put(ws, 14, c, head).font = Font(name=FONT, size=11, bold=True)
    for r, (tid, share) in enumerate(sim.criticality.items(), 15):
        _put(ws, r, 1, tid)
        _put(ws, r, 2, share, "0.0%")
    _widths(ws, least=12, most=40)


def render(report: Report) -> bytes:
    b = _Book(report)
    n = len(report.analysis.budget.months)  # the months the report shows (analysis.py)
    last = _ranges(report)
    _cash_sheet(b, n, last)  # the first tab: the curve is the headline
    _inputs_sheet(b, n)
    _team_sheet(b, last["team"])
    _items_sheet(b, last["items"])
    _revenue_sheet(b, last["revenue"])
    _inflows_sheet(b, last["inflows"])
    _grid_sheet(b, n, last["revenue"])
    _schedule_sheet(b)
    _risks_sheet(b)
    _simulation_sheet(b)
    out = io.BytesIO()
    b.wb.save(out)
    return out.getvalue()


@hookimpl
def renderers() -> dict[str, object]:
    return {"xlsx": render}
