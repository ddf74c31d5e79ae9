"""Plan text reaches the terminal inert: ESC/OSC/CSI and C1 bytes are shown as `\\x1b`,
never sent, and rich markup in plan text prints as written (no hyperlink, no MarkupError)."""

from __future__ import annotations

import pytest

from tests.conftest import GOOD

SMALL = (GOOD / "small.yaml").read_text("utf-8")
HOSTILE = "[/] [link=file:///etc/passwd]x[/link] \\e]0;PWNED\\a\\e[2J\\u009b31m"
RAW = ("\x1b", "\x07", "\x9b")


def _hostile(path):
    path.write_text(
        SMALL.replace("name: Label 2,000 tickets", f'name: "{HOSTILE}"').replace(
            "title: Model misses the target", f'title: "{HOSTILE}"'
        ),
        "utf-8",
    )


@pytest.mark.parametrize(
    "args", [("check",), ("analyze", "-n", "200"), ("roadmap", "-n", "200"), ("diff",)]
)
def test_plan_text_is_inert_on_the_terminal(cli, small_plan, tmp_path, args):
    _hostile(small_plan)
    extra = (GOOD / "small.yaml",) if args == ("diff",) else ()
    code, out, err = cli(*args[:1], *extra, small_plan, *args[1:])
    assert code == 0, err
    assert not any(c in out + err for c in RAW)
    if args[0] in ("analyze", "diff"):
        assert "\\x1b]0;PWNED\\x07" in out
    if args[0] == "analyze":
        assert "[link=file:///etc/passwd]" in out.replace("\n", "").replace("│", "").replace(
            " ", ""
        )


def test_an_error_naming_hostile_text_is_inert(cli, small_plan):
    small_plan.write_text(SMALL.replace("measured: []", 'measured: []\n"\\e]0;PWNED\\a\\e[2J": 1'))
    code, out, err = cli("check", small_plan)
    assert code == 1
    assert not any(c in err for c in RAW)
    assert err.startswith(f"{small_plan}:67:1: error: \\x1b]0;PWNED\\x07\\x1b[2J: unknown field")
