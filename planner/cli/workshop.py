from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ..errors import terminal_safe
from .options import JsonFlag
from .output import echo, guarded, print_json
from .output import safe as escape

workshop_app = typer.Typer(
    help="Run a founder workshop: the interview, estimate sheets and their merge.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


@workshop_app.command()
@guarded
def estimates(
    plan: Annotated[Path, typer.Argument(help="The plan file.")],
    participants: Annotated[
        str,
        typer.Option(
            "--participants",
            "-p",
            help="Names, comma-separated. Each name goes into a file name, so it is 1 to 64 "
            "letters, digits, '-', '_' or '.', starting with a letter or digit, and no two "
            "differ only in case.",
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="An existing folder for the sheets (default: beside the plan)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace sheets already there (they may be filled in).")
    ] = False,
) -> None:
    """Write one estimate sheet per participant, pre-filled from the plan: every task's three
    points and every risk's probability and impact. Each goes to PLAN.estimates.NAME.yaml,
    written whole or not at all; the names and the folder are checked, and a sheet already
    there is refused without --force, before any is written.

    Example: ventureplan workshop estimates plan.yaml --participants ana,ben,chen
    """
    from ..workshop.estimates import write_sheets

    names = [p.strip() for p in participants.split(",") if p.strip()]
    if not names:
        raise typer.BadParameter("name at least one participant", param_hint="--participants")
    for p in write_sheets(plan, names, out, force=force):
        typer.echo(f"Wrote {terminal_safe(p)}")


@workshop_app.command()
@guarded
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

    Every sheet is checked first: each number finite and in range, every line kept, one
    sheet per participant. The merged plan is written only if it still checks and analyzes;
    otherwise nothing changes and the reason is printed.

    Example: ventureplan workshop merge plan.yaml plan.estimates.*.yaml
    """
    from ..workshop.estimates import RULES, describe, merge_files, plan_value

    if rule not in RULES:
        raise typer.BadParameter(f"choose one of: {', '.join(RULES)}", param_hint="--rule")
    loaded, read, result = merge_files(plan, sheets, rule, write=not dry_run)
    if json_:
        print_json(
            {
                "rule": rule,
                "participants": [s.participant for s in read],
                "changed": result.changed,
                "written": not dry_run,
                "tasks": result.tasks,
                "risks": result.risks,
                "disagreements": [
                    describe(s) | {"plan_now": plan_value(loaded.plan, s)}
                    for s in result.spreads
                    if s.high > s.low
                ],
            }
        )
        if not dry_run:  # stdout holds the JSON alone; say on stderr that the plan changed
            plural = "s" if result.changed != 1 else ""
            echo(
                f"Changed {result.changed} number{plural} in {plan} (--dry-run only looks)",
                err=True,
            )
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    names = {t.id: t.name or t.id for t in loaded.plan.tasks} | {
        r.id: r.title for r in loaded.plan.risks
    }
    table = Table(
        title=f"Where {len(read)} participants disagree most ({rule})", title_justify="left"
    )
    table.add_column("item", overflow="fold", ratio=2)
    for col in ("number", "plan now", "merged", "range"):
        table.add_column(col, no_wrap=True)
    table.add_column("who said what", overflow="fold", ratio=3)
    shown = [s for s in result.spreads if s.high > s.low][:top]
    for s in shown:
        said = ", ".join(f"{escape(k)} {v:g}" for k, v in s.values.items())
        name = names[s.id]
        now = plan_value(loaded.plan, s)
        table.add_row(
            escape(name if len(name) <= 50 else name[:49] + "…"),
            s.field,
            "" if now is None else f"{now:g}",
            f"{s.merged:g}",
            f"{s.low:g}–{s.high:g}",
            said,
        )
    if shown:
        console.print(table)
    else:
        console.print("Everyone agrees on every number.")
    verb = "Would change" if dry_run else "Changed"
    plural = "s" if result.changed != 1 else ""
    console.print(f"{verb} {result.changed} number{plural} in {escape(str(plan))}.")


@workshop_app.command()
@guarded
def new(
    plan: Annotated[
        Path,
        typer.Argument(
            help="The plan to write, an existing plan to complete, or an interview's draft."
        ),
    ],
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="Language of the questions and the plan: en or zh (default: the draft's, "
            "the plan's, or en).",
        ),
    ] = None,
) -> None:
    """Build a plan by answering questions in plain words: the venture, the business model,
    the currency, the team, SMART goals (a goal without a number or a date gets pushed
    back), the technical route, the tasks (owner, three-point estimate, dependencies), a
    risk per category (what it delays, by how many days, what it costs), the budget.

    Each answer is checked as it is given and asked again with the reason. The answers so
    far are kept in PLAN.draft.yaml after every item, so Ctrl-C, a crash or a closed
    laptop loses at most the item in progress: run the same command again to go on.

    Run it on an existing plan to fill in only what is missing; what is there stays.

    Example: ventureplan workshop new plan.yaml --lang zh
    """
    import signal

    import click

    from ..atomic import discard_pending
    from ..defaults import LANGUAGES
    from ..errors import PlanError
    from ..pipeline import check
    from ..workshop.interview import draft_path, interview

    if lang is not None and lang not in LANGUAGES:
        raise typer.BadParameter(f"choose one of: {', '.join(LANGUAGES)}", param_hint="--lang")
    target = plan
    if plan.name.endswith(".draft" + plan.suffix):
        target = plan.with_name(plan.name.replace(".draft" + plan.suffix, plan.suffix))
    draft = draft_path(target)
    again = f"ventureplan workshop new {terminal_safe(target)}"
    kept = f"your answers so far are in {terminal_safe(draft)}; run `{again}` to go on"

    def interrupted(signum: int, frame: object) -> None:
        discard_pending()  # a draft being written stays as it was
        note = f"\ninterrupted; {kept}\n" if draft.exists() else "\ninterrupted\n"
        os.write(2, note.encode())
        os._exit(130)

    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, interrupted)

    import shutil

    width = shutil.get_terminal_size((80, 24)).columns - 1

    def say(text: str) -> None:
        for line in _wrap(text, width):
            echo(line)

    def ask(text: str, default: str = "") -> str:
        *before, last = _wrap(text, max(width - len(default) - 4, 30))
        for line in before:  # a question wider than the terminal breaks between words
            echo(line)
        return str(typer.prompt(last, default=default, show_default=bool(default)))

    try:
        done = interview(plan, ask, say, lang)
    except (typer.Abort, click.exceptions.Abort, EOFError):
        echo(f"\nstopped; {kept}" if draft.exists() else "\nstopped", err=True)
        raise typer.Exit(1) from None
    except PlanError as exc:
        for f in exc.findings:
            echo(f.format(), err=True)
        if any(f.file == str(draft) for f in exc.findings):
            echo(
                f"the plan is not written; fix the lines above in {terminal_safe(draft)}, "
                f"then run `{again}` again",
                err=True,
            )
        raise typer.Exit(1) from None
    finally:
        signal.signal(signal.SIGINT, previous)
    outcome = check(done.path)
    for f in outcome.findings:
        if f.severity != "error":
            echo(f.format(), err=True)
    echo(f"Wrote {terminal_safe(done.path)}. Next: ventureplan analyze {terminal_safe(done.path)}")


def _wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` terminal cells, broken between words (and inside a
    run of wide characters) by the CLI's one wrapper, continuation lines indented as the
    first."""
    from rich.text import Text

    from .output import wrap

    indent = text[: len(text) - len(text.lstrip())]
    room = max(width - len(indent), 1)
    return [indent + line.plain for line in wrap(Text(" ".join(text.split())), room)]
