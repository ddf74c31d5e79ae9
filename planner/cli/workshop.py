from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import PlanError, VenturePlanError
from .options import JsonFlag
from .output import fail, print_errors, print_json

workshop_app = typer.Typer(
    help="Run a founder workshop: the interview, estimate sheets and their merge.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


@workshop_app.command()
def estimates(
    plan: Annotated[Path, typer.Argument(help="The plan file.")],
    participants: Annotated[
        str, typer.Option("--participants", "-p", help="Names, comma-separated.")
    ],
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for the sheets (default: beside the plan).")
    ] = None,
) -> None:
    """Write one estimate sheet per participant, pre-filled from the plan: every task's three
    points and every risk's probability and impact.

    Example: ventureplan workshop estimates plan.yaml --participants ana,ben,chen
    """
    from ..estimates import write_sheets

    names = [p.strip() for p in participants.split(",") if p.strip()]
    if not names:
        raise typer.BadParameter("name at least one participant", param_hint="--participants")
    try:
        paths = write_sheets(plan, names, out)
    except VenturePlanError as exc:
        raise fail(exc) from None
    for p in paths:
        typer.echo(f"Wrote {p}")


@workshop_app.command()
def merge(
    plan: Annotated[Path, typer.Argument(help="The plan file.")],
    sheets: Annotated[list[Path], typer.Argument(help="The filled-in sheets.")],
    rule: Annotated[str, typer.Option("--rule", help="median, mean, min or max.")] = "median",
    top: Annotated[int, typer.Option("--top", min=1, help="How many disagreements to list.")] = 10,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the result; change nothing.")
    ] = False,
    json_: JsonFlag = False,
) -> None:
    """Combine the participants' sheets (the median of each number by default), write the
    merged numbers into the plan — only those numbers change in the file — and list where
    people disagree most, so the room discusses those first.

    Example: ventureplan workshop merge plan.yaml plan.estimates.*.yaml
    """
    from ..estimates import RULES, apply, describe, read_sheet
    from ..estimates import merge as combine
    from ..load import load_plan

    if rule not in RULES:
        raise typer.BadParameter(f"choose one of: {', '.join(RULES)}", param_hint="--rule")
    try:
        loaded = load_plan(plan)
        problems, read = [], []
        for path in sheets:
            try:
                read.append(read_sheet(path, loaded))
            except PlanError as exc:
                problems += exc.findings
        if problems:
            print_errors(problems)
            raise typer.Exit(1)
        result = combine(loaded, read, rule)
        if not dry_run:
            apply(plan, result)
    except VenturePlanError as exc:
        raise fail(exc) from None
    if json_:
        print_json(
            {
                "rule": rule,
                "participants": [s.participant for s in read],
                "changed": result.changed,
                "written": not dry_run,
                "tasks": result.tasks,
                "risks": result.risks,
                "disagreements": [describe(s) for s in result.spreads if s.high > s.low],
            }
        )
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(highlight=False)
    names = {t.id: t.name or t.id for t in loaded.plan.tasks} | {
        r.id: r.title for r in loaded.plan.risks
    }
    table = Table(
        title=f"Where {len(read)} participants disagree most ({rule})", title_justify="left"
    )
    for col in ("item", "number", "merged", "range", "who said what"):
        table.add_column(col, overflow="fold")
    shown = [s for s in result.spreads if s.high > s.low][:top]
    for s in shown:
        said = ", ".join(f"{escape(k)} {v:g}" for k, v in s.values.items())
        table.add_row(
            escape(names[s.id][:50]), s.field, f"{s.merged:g}", f"{s.low:g}–{s.high:g}", said
        )
    if shown:
        console.print(table)
    else:
        console.print("Everyone agrees on every number.")
    verb = "Would change" if dry_run else "Changed"
    plural = "s" if result.changed != 1 else ""
    console.print(f"{verb} {result.changed} number{plural} in {escape(str(plan))}.")


@workshop_app.command()
def new(
    plan: Annotated[
        Path, typer.Argument(help="The plan to write, or an existing plan to complete.")
    ],
    lang: Annotated[
        str, typer.Option("--lang", help="Language of the questions and the plan: en or zh.")
    ] = "en",
) -> None:
    """Build a plan by answering questions in plain words: the venture, the business model,
    the team, SMART goals (a goal without a number or a date gets pushed back), the
    technical route, the tasks with three-point estimates, a risk per category, the budget.

    Run it again on an existing plan to fill in only what is missing; what is there stays.

    Example: ventureplan workshop new plan.yaml --lang zh
    """
    import tempfile

    from ruamel.yaml import YAML

    from ..atomic import write_atomic
    from ..interview import HEADER, Interview
    from ..load import load_plan

    if lang not in ("en", "zh"):
        raise typer.BadParameter("choose en or zh", param_hint="--lang")

    def ask(text: str, default: str | None = None) -> str:
        return str(typer.prompt(text, default=default, show_default=bool(default)))

    have: dict[str, object] = {}
    text = ""
    if plan.exists():
        text = plan.read_text("utf-8")
        try:
            have = YAML(typ="safe", pure=True).load(text) or {}
        except Exception as exc:
            raise fail(VenturePlanError(f"{plan}: cannot read the existing plan: {exc}")) from None
        for key in [
            k
            for k, v in have.items()
            if not v and k in ("team", "goals", "routes", "tasks", "risks")
        ]:
            text = "\n".join(ln for ln in text.splitlines() if not ln.startswith(f"{key}:")) + "\n"
            del have[key]
    body = Interview(ask, typer.echo, lang).sections(have)
    result = (
        (text.rstrip("\n") + "\n\n" + body)
        if text
        else HEADER.format(lang=lang) + body + "\nmeasured: []\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        trial = Path(tmp) / plan.name
        trial.write_text(result, "utf-8")
        try:
            load_plan(trial)
        except PlanError as exc:
            for f in exc.findings:
                f.file = str(plan)
            raise fail(exc) from None
    write_atomic(plan, result)
    typer.echo(f"Wrote {plan}. Next: ventureplan check {plan}")
