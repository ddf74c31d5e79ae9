"""Printing for people (rich) and for programs (one JSON document on stdout)."""

from __future__ import annotations

import functools
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import typer

from ..errors import Finding, VenturePlanError, terminal_safe

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text


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
    console: Console,
    file: str,
    findings: Iterable[Finding],
    *,
    hints: bool = True,
    wrap: bool = False,
) -> None:
    """Lints for a person: `FILE:LINE:COL severity[LETTER] where: message`, then the fix.
    With `wrap` (a person at a terminal, or --width) each wraps between words under a
    hanging indent; otherwise each stays on one line, as editors and grep read them."""
    for f in findings:
        letter = f"[{f.letter}]" if f.letter else ""
        said = (
            f"[bold]{safe(file)}:{f.line}:{f.column}[/] "
            f"[yellow]{f.severity}{safe(letter)}[/] "
            f"[cyan]{safe(f.where)}[/]: {safe(f.message)}"
        )
        fix = f"    [dim]fix: {safe(f.hint)}[/]" if hints and f.hint else None
        for line, hanging in ((said, 4), (fix, 9)):
            if line is not None:
                say(console, line, hanging=hanging, one_line=not wrap)


# --- a layout that reads at any width ----------------------------------------------
#
# rich wraps a table's cells between words, but its flexible column gets only what the
# fixed columns leave (at 80 columns, 6 characters for a risk's title: "publis/hers"),
# and a line printed with soft_wrap is cut by the terminal wherever it ends. So `fit`
# plans the columns (secondary ones take their short headers, shrink or go before a
# title gets narrow), and every cell and line is broken here, between words, to the
# width it has: a word is cut only where it alone is wider than its column.

PIPED_WIDTH = 80
NBSP = "\u00a0"  # joins a number to its unit ("262,266 USD"); it prints as a space
WANT = 28  # a title column's width before secondary columns give way
FLOOR = 12  # the narrowest a title column gets while anything else can give way...
WORD = 20  # ... or its longest word, up to this


def width_for(width: int | None = None) -> int:
    """Columns to lay out for: --width, else COLUMNS, else the terminal's, else 80 (piped:
    a program or a file reads it, whatever terminal started the command)."""
    if width:
        return width
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        try:
            return os.get_terminal_size(sys.stdout.fileno()).columns or PIPED_WIDTH
        except (OSError, ValueError):
            pass
    return PIPED_WIDTH


def for_person(width: int | None = None) -> bool:
    """A person reads the output: it goes to a terminal, or --width asked for a layout."""
    return bool(width) or sys.stdout.isatty()


def console(width: int | None = None) -> Console:
    """The console a command prints to, `width_for(width)` columns wide."""
    from rich.console import Console

    return Console(highlight=False, emoji=False, width=width_for(width))


def joined(text: str) -> str:
    """`text` never broken across lines: a number and its unit, a short phrase."""
    return text.replace(" ", NBSP)


def money(value: float, currency: str) -> str:
    """An amount and its currency, kept on one line: "262,266 USD"."""
    return joined(f"{value:,.0f} {currency}")


def number(value: float) -> str:
    """Days or months: an integer as an integer, else one decimal (2.5)."""
    rounded = round(value, 1) + 0.0  # + 0.0: no "-0"
    return f"{rounded:,.0f}" if rounded.is_integer() else f"{rounded:,.1f}"


def _pieces(plain: str, breaks: str = "") -> Iterator[tuple[int, str]]:
    """(offset, piece) of `plain` cut where a line may end: after a run of spaces, and
    after any character of `breaks` (the "." of a module path)."""
    start = 0
    for i in range(1, len(plain)):
        before = plain[i - 1]
        if plain[i] != " " and (before == " " or before in breaks) and plain[start:i].strip():
            yield start, plain[start:i]
            start = i
    if start < len(plain):
        yield start, plain[start:]


def _cuts(plain: str, width: int, rest: int, breaks: str = "") -> list[int]:
    """Where `plain` breaks so that its first line fits `width` cells and every other line
    `rest`: between pieces; a piece that alone is wider than a line breaks after a hyphen,
    and only where that is not enough, at the cell that overflows."""
    cuts: list[int] = []
    _place(plain, 0, width, rest, breaks, cuts, 0)
    return cuts


def _place(
    plain: str, offset: int, room: int, rest: int, breaks: str, cuts: list[int], used: int
) -> tuple[int, int]:
    """Lay `plain` (at `offset` in the whole line) onto lines from a line with `used` of
    `room` cells taken; append the breaks to `cuts`; return the last line's (room, used)."""
    from rich.cells import cell_len

    for start, piece in _pieces(plain, breaks):
        word = piece.rstrip(" ")
        size = cell_len(word)
        at = offset + start
        # a run of Chinese wider than a whole line fills this line first: it breaks between
        # characters anyway; any other word starts a line of its own
        fill = size > rest and _CJK.search(word) is not None
        if used and used + size > room and not fill:
            cuts.append(at)
            room, used = rest, 0
        if size <= room - used:
            used += size
        elif "-" not in breaks and "-" in word[:-1] and not fill:  # after its hyphens
            room, used = _place(word, at, room, rest, breaks + "-", cuts, used)
        else:  # and where that is not enough, by cells
            room, used = _chop(word, at, room, rest, cuts, used)
        used += len(piece) - len(word)
    return room, used


_CJK = re.compile("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
# what may not begin a line (kinsoku): closing brackets and punctuation
_NO_START = set("，。、；：？！）》」』】〉”’…·%,.;:?!)]}")


def _chop(word: str, at: int, room: int, rest: int, cuts: list[int], used: int) -> tuple[int, int]:
    """Cut `word` by cells, never putting closing punctuation first on a line."""
    from rich.cells import get_character_cell_size

    start = at
    for i, ch in enumerate(word):
        w = get_character_cell_size(ch)
        if used + w > room and used:
            cut, carried = i, 0
            if ch in _NO_START and i - 1 > start - at:  # take the character before along
                carried = get_character_cell_size(word[i - 1])
                cut, carried = (i - 1, carried) if carried + w <= rest else (i, 0)
            cuts.append(at + cut)
            start = at + cut
            room, used = rest, carried
        used += w
    return room, used


def wrap(text: str | Text, width: int, *, hanging: int = 0, breaks: str = "") -> list[Text]:
    """`text` (markup, or a Text) in lines of at most `width` cells, broken between words;
    the lines after the first indented by `hanging`."""
    from rich.text import Text

    whole = Text.from_markup(text, emoji=False) if isinstance(text, str) else text.copy()
    rest = max(width - hanging, 1)
    out: list[Text] = []
    for line in whole.split("\n", allow_blank=True):
        for i, part in enumerate(line.divide(_cuts(line.plain, width, rest, breaks))):
            part.rstrip()
            part.plain = part.plain.replace(NBSP, " ")
            out.append(Text(" " * hanging) + part if i and hanging else part)
    return out


def say(console: Console, text: str, *, hanging: int = 0, one_line: bool = False) -> None:
    """A line of markup for a person, wrapped between words at the console's width (never
    inside a word, nor between a number and its unit); with `one_line`, not wrapped."""
    for line in wrap(text, sys.maxsize if one_line else console.width, hanging=hanging):
        console.print(line, soft_wrap=True)


@dataclass(frozen=True)
class Col:
    """A column of a table that `fit` lays out."""

    header: str
    justify: Literal["left", "center", "right"] = "left"
    short: str | None = None  # the header where space is short
    flex: bool = False  # a name or title: gets the width left, wraps between words
    wrap: bool = False  # may wrap between words (and after `breaks`) to give way
    breaks: str = ""
    drop: int = 0  # goes where space is short, the highest first; 0: always shown
    want: int = WANT  # (flex) the width it gets before other columns give way


def _widest(texts: Iterable[str], breaks: str | None = None) -> int:
    """The widest line of `texts`, or with `breaks`, the widest piece a line may not split."""
    from rich.cells import cell_len

    lines = [ln for t in texts for ln in t.split("\n")]
    if breaks is None:
        return max((cell_len(ln) for ln in lines), default=0)
    pieces = (p.rstrip(" ") for ln in lines for _, p in _pieces(ln, breaks))
    return max((cell_len(p) for p in pieces), default=0)


@dataclass
class _Plan:
    columns: list[Col]
    texts: list[list[str]]  # per column: its full header, its short one, then its cells
    width: int
    extra: Callable[[int], int]  # the borders and padding of n columns

    def sizes(self, i: int, short: bool) -> tuple[int, int]:
        """(natural, least) width of column i: all on one line, and broken between words
        (its header always may be, its cells where the column may wrap)."""
        col, (full, abbreviated, *cells) = self.columns[i], self.texts[i]
        head = abbreviated if short else full
        natural = max(_widest([head]), _widest(cells))
        least = _widest(cells, col.breaks) if col.flex or col.wrap else _widest(cells)
        return natural, max(least, _widest([head], col.breaks))

    def attempt(self, gone: set[int], short: bool, shrink: bool, tight: int) -> dict[int, int]:
        """Widths of the shown columns, or {} where they do not fit. A flexible column asks
        for its `want` (tight 0), its longest word up to WORD (1), or FLOOR (2)."""
        shown = [i for i in range(len(self.columns)) if i not in gone]
        size = {i: self.sizes(i, short) for i in shown}
        widths = {i: size[i][0] for i in shown}
        flex = [i for i in shown if self.columns[i].flex]
        for i in flex:
            natural, least = size[i]
            floor = min(natural, max(FLOOR, min(least, WORD)))
            asked = (max(self.columns[i].want, floor), floor, FLOOR)[tight]
            widths[i] = min(natural, asked)
        over = sum(widths.values()) + self.extra(len(shown)) - self.width
        if shrink:  # headers wrap, and columns that may wrap give way, the widest first
            for i in sorted(shown, key=lambda i: -widths[i]):
                if over > 0 and not self.columns[i].flex:
                    give = min(over, widths[i] - size[i][1])
                    widths[i] -= give
                    over -= give
        if over > 0:
            return {}
        for i in flex:  # what is left, up to what each would take
            grow = min(-over, size[i][0] - widths[i])
            widths[i] += grow
            over += grow
        return widths

    def squeeze(self, gone: set[int]) -> dict[int, int]:
        """The last resort: the widest columns cut down, one cell at a time, until the table
        fits (their words cut by cells)."""
        shown = [i for i in range(len(self.columns)) if i not in gone]
        widths = {i: max(1, self.sizes(i, True)[1]) for i in shown}
        room = max(len(shown), self.width - self.extra(len(shown)))
        while sum(widths.values()) > room:
            widest = max(widths, key=lambda i: widths[i])
            widths[widest] -= 1
        for i in shown:  # what is left to the flexible columns, up to what each would take
            if self.columns[i].flex:
                widths[i] += max(
                    0, min(room - sum(widths.values()), self.sizes(i, True)[0] - widths[i])
                )
        return widths


def fit(width: int, columns: list[Col], rows: list[list[str]], **table: Any) -> Table:
    """A rich Table of `rows` (markup) laid out for `width` columns. The flexible column gets
    what is left; where that is too little, the other columns first take their short
    headers, then shrink (those that may wrap), then go (the highest `drop` first). Each
    cell is broken between words to its column's width. `table` goes to rich's Table."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    cells = [[Text.from_markup(c, emoji=False) for c in row] for row in rows]
    texts = [
        [c.header, c.short or c.header, *(row[i].plain for row in cells)]
        for i, c in enumerate(columns)
    ]
    boxed = table.get("box", box.HEAVY_HEAD) is not None
    edge = 2 if boxed and table.get("show_edge", True) else 0
    pad = table.get("padding", (0, 1))
    pad_x = 2 * pad if isinstance(pad, int) else 2 * pad[-1] if len(pad) == 2 else pad[1] + pad[3]

    def extra(n: int) -> int:
        return n * pad_x + (edge + n - 1 if boxed else 0)

    plan = _Plan(columns, texts, width, extra)
    order = sorted((i for i, c in enumerate(columns) if c.drop), key=lambda i: -columns[i].drop)
    tries = [
        (set(order[:k]), short, shrink, tight)
        for tight in (0, 1, 2)
        for k in range(len(order) + 1)
        for short, shrink in ((False, False), (False, True), (True, True))
    ]
    widths: dict[int, int] = {}
    short = True
    for gone, short, shrink, tight in tries:
        widths = plan.attempt(gone, short, shrink, tight)
        if widths:
            break
    else:
        widths = plan.squeeze(set(order))

    out = Table(**table)
    for i, w in widths.items():
        col = columns[i]
        head = col.short if short and col.short is not None else col.header
        lines = wrap(Text.from_markup(head, style=""), w, breaks=col.breaks)
        out.add_column(
            Text("\n").join(lines), justify=col.justify, width=w, no_wrap=True, overflow="crop"
        )
    for row in cells:
        out.add_row(
            *(Text("\n").join(wrap(row[i], w, breaks=columns[i].breaks)) for i, w in widths.items())
        )
    return out
