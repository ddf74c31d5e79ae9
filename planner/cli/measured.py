"""`ventureplan measured`: the plan's records, and adding one a run kept aside."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import TypeAdapter, ValidationError

from .. import planfile, quantities
from ..errors import VenturePlanError
from ..load import load_plan
from ..records import ALL_KINDS, AnyRecord, ManualRecord, Record
from ..source import read
from .options import JsonFlag, PlanFile, Width
from .output import Col, console, echo, fit, joined, print_json, safe, say


def _records(path: Path) -> list[AnyRecord]:
    """The records in a file a run kept (`measured:` and a list, as in a plan), checked
    like the plan's own. The file is read as data, never executed."""
    data, where = read(path)
    items = data.get("measured") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise VenturePlanError(f"{path}: expected `measured:` and a list of records")
    out = []
    adapter: TypeAdapter[AnyRecord] = TypeAdapter(Record)
    for i, item in enumerate(items):
        try:
            out.append(adapter.validate_python(item))
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = tuple(err["loc"])
            if loc and loc[0] in ALL_KINDS:  # the tag of the record's kind, not a field
                loc = loc[1:]
            field = ("measured", i, *loc)
            line, col = where.locate(field)
            dotted = ".".join(map(str, field))
            raise VenturePlanError(f"{path}:{line}:{col}: {dotted}: {err['msg']}") from None
    return out


def measured(
    plan: PlanFile,
    add: Annotated[
        Path | None,
        typer.Option(
            "--add",
            help="Append the records in this file (runs/&lt;id&gt;/record.yaml, kept by a run "
            "whose record could not be written) to the plan.",
        ),
    ] = None,
    ignore: Annotated[
        str | None,
        typer.Option("--ignore", help="Mark this run `ignored: true`: shown, never counted."),
    ] = None,
    drop: Annotated[
        str | None, typer.Option("--drop", help="Remove this run's record from the plan.")
    ] = None,
    json_: JsonFlag = False,
    width: Width = None,
) -> None:
    """List the plan's measured records (a rehearsal or an ignored record is shown but
    never counted as evidence); set one aside, remove one, or add one a run kept aside.

    Every change goes through the same writer as `run`'s: atomically, validated first,
    every other byte of the plan unchanged.

    Example: ventureplan measured plan.yaml --ignore 20270210T091500Z-minilm
    """
    if sum(x is not None for x in (add, ignore, drop)) > 1:
        raise typer.BadParameter("give one of --add, --ignore and --drop")
    if ignore is not None:
        planfile.set_ignored(plan, ignore)
        echo(f"Marked {ignore} ignored in {plan}: it is shown, never counted")
        return
    if drop is not None:
        planfile.drop_record(plan, drop)
        echo(f"Removed {drop} from {plan}")
        return
    if add is not None:
        have = {m.run for m in load_plan(plan).plan.measured}
        records = _records(add)
        dup = next((r.run for r in records if r.run in have), None)
        if dup is not None:
            raise VenturePlanError(f"{plan} already holds run {dup}; nothing was added")
        for record in records:
            planfile.append_record(plan, record)
        echo(f"Added {', '.join(r.run for r in records)} to {plan}")
        return
    loaded = load_plan(plan).plan
    runs = loaded.measured
    rows: list[dict[str, Any]] = [
        {
            "run": m.run,
            "kind": m.kind,
            "route": m.route,
            "at": m.document()["at"],
            "rehearsal": m.rehearsal,
            "ignored": m.ignored,
            "evidence": m.evidence,
            "rehearsal_reasons": m.rehearsal_reasons,
            "metrics": m.metrics,
            **(
                {"goal": m.goal, "value": m.value, "source": m.source}
                if isinstance(m, ManualRecord)
                else {}
            ),
        }
        for m in runs
    ]
    metric_of = {g.id: g.metric or "" for g in loaded.goals}
    if json_:
        print_json({"file": str(plan), "measured": rows})
        return
    if not rows:
        echo(
            f"{plan} holds no measured runs yet (ventureplan run {plan} adds one, "
            "ventureplan measure a number measured by hand)"
        )
        return
    out = console(width)
    columns = [
        Col("run", wrap=True, breaks="-"),
        Col("kind", drop=3),
        Col("route", wrap=True, breaks="-", drop=2),
        Col("at", drop=4),  # the run's id says when, too
        Col("counts", drop=1),
        Col("metrics", flex=True),
    ]
    cells = []
    for r in rows:
        # each metric whole on its line: "macro-F1 0.955", "compute cost 0.35 USD"
        metrics = ", ".join(
            joined(quantities.shown(k, v, loaded.currency)) for k, v in r["metrics"].items()
        )
        if "goal" in r:  # a manual record: its goal's metric, and where the number comes from
            key = metric_of.get(r["goal"], "")
            value = quantities.value(key, r["value"], loaded.currency)
            what = f"{quantities.label(key)} {value}" if key else value
            metrics = f"{r['goal']}: {joined(what)}" + (f" ({r['source']})" if r["source"] else "")
        counts = "ignored" if r["ignored"] else "rehearsal" if r["rehearsal"] else "evidence"
        route = "—" if r["route"] is None else safe(r["route"])
        cells.append([safe(r["run"]), r["kind"], route, r["at"], counts, safe(metrics)])
    out.print(fit(out.width, columns, cells))
    for r in rows:
        if r["rehearsal_reasons"]:
            say(
                out,
                f"{safe(r['run'])}: rehearsal: {safe('; '.join(r['rehearsal_reasons']))}",
                hanging=2,
            )
