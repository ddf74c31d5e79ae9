"""Printing for people (rich) and for programs (one JSON document on stdout)."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import typer

from ..errors import Finding, VenturePlanError, terminal_safe


def print_json(document: Any) -> None:
    """Indented for a person at a terminal; compact (and several times faster to write) when
    piped to another program or a file."""
    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(strict_json(document, indent) + "\n")


def strict_json(document: Any, indent: int | None = None) -> str:
    """JSON that every parser reads: NaN and infinity are refused, never printed."""
    try:
        return json.dumps(document, ensure_ascii=False, indent=indent, default=str, allow_nan=False)
    except ValueError:
        raise VenturePlanError(
            "a number came out not finite (NaN or infinity); nothing was written. "
            "This is a bug: please report it with the plan"
        ) from None


# A plan with thousands of mistakes prints the first of them and a count; `--json` has all.
MAX_PRINTED = 50


def print_errors(findings: Iterable[Finding]) -> None:
    shown = list(findings)
    for f in shown[:MAX_PRINTED]:
        sys.stderr.write(f.format() + "\n")
    if len(shown) > MAX_PRINTED:
        more = len(shown) - MAX_PRINTED
        file = terminal_safe(shown[0].file or "the plan")
        sys.stderr.write(
            f"... and {more:,} more; `ventureplan check {file} --json` lists every one\n"
        )


def echo(text: str, *, err: bool = False) -> None:
    """A line for a person, with any plan text or path in it made inert (no escapes)."""
    typer.echo(terminal_safe(text), err=err)


def fail(exc: VenturePlanError) -> typer.Exit:
    """Report a user-fixable error on stderr, one line per problem, and pick the exit code."""
    findings = getattr(exc, "findings", None)
    if findings:
        print_errors(findings)
    else:
        sys.stderr.write(f"error: {terminal_safe(exc)}\n")
    return typer.Exit(exc.exit_code)


F = TypeVar("F", bound=Callable[..., Any])


def guarded(command: F) -> F:
    """The one place a VenturePlanError becomes a message on stderr and an exit code."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except VenturePlanError as exc:
            raise fail(exc) from None

    return run  # type: ignore[return-value]


def print_warnings(findings: Iterable[Finding]) -> None:
    """Warnings beside a command's real output (stderr, so pipes stay clean)."""
    for f in findings:
        if f.severity != "error":
            sys.stderr.write(f.format() + "\n")


def safe(text: object) -> str:
    """Plan text for a rich console: markup escaped (`[/]`, `[link=…]` print as written)
    and control characters made visible. Every command prints plan text through this."""
    from rich.markup import escape

    return escape(terminal_safe(text))


def print_findings(
    console: Any, file: str, findings: Iterable[Finding], *, hints: bool = True
) -> None:
    """Lints for a person: `FILE:LINE:COL severity[LETTER] where: message`, then the fix."""
    for f in findings:
        letter = f"[{f.letter}]" if f.letter else ""
        console.print(
            f"[bold]{safe(file)}:{f.line}:{f.column}[/] "
            f"[yellow]{f.severity}{safe(letter)}[/] "
            f"[cyan]{safe(f.where)}[/]: {safe(f.message)}",
            soft_wrap=True,
        )
        if hints and f.hint:
            console.print(f"    [dim]fix: {safe(f.hint)}[/]", soft_wrap=True)
