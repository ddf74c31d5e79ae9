"""What the tool writes never replaces its input, follows a link instead of replacing it,
and a place it cannot write is a one-line error before any work is done."""

from __future__ import annotations

import json
import os

import pytest
from ventureplan.planner import planfile


@pytest.mark.parametrize("command", ["report", "roadmap"])
def test_an_output_never_replaces_the_plan(cli, small_plan, command):
    if command == "report":  # `report plan.json -o plan.json`: the suffix fits
        from ruamel.yaml import YAML

        data = YAML(typ="safe", pure=True).load(small_plan.read_text())
        small_plan = small_plan.with_suffix(".json")
        small_plan.write_text(json.dumps(data, default=str))
    before = small_plan.read_bytes()
    link = small_plan.parent / f"link{small_plan.suffix}"
    link.symlink_to(small_plan)
    for target in (small_plan, link, small_plan.parent / "." / small_plan.name):
        code, out, err = cli(command, small_plan, "-o", target)
        assert code == 1, err
        assert err == (
            f"error: {target} is the input {small_plan}; writing there would replace it, "
            "so choose another file\n"
        )
    assert small_plan.read_bytes() == before and link.is_symlink()


def test_an_output_through_a_link_keeps_the_link(cli, small_plan, tmp_path):
    real = tmp_path / "real.md"
    real.write_text("old")
    link = tmp_path / "report.md"
    link.symlink_to(real)
    code, out, err = cli("report", small_plan, "-o", link, "-n", "200")
    assert code == 0, err
    assert link.is_symlink() and real.read_text().startswith("# ")


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("folder", "{p} is a folder; name a file to write"),
        ("missing", "folder {p.parent} does not exist"),
    ],
)
def test_an_output_nowhere_is_one_line_before_any_work(cli, small_plan, tmp_path, where, message):
    target = tmp_path / "sub.md" if where == "folder" else tmp_path / "no" / "r.md"
    if where == "folder":
        target.mkdir()
    for command in ("report", "roadmap"):
        code, out, err = cli(command, small_plan, "-o", target)
        assert code == 1 and err == "error: " + message.format(p=target) + "\n"


def test_a_read_only_plan_is_not_rewritten(small_plan):
    small_plan.chmod(0o444)
    before = small_plan.read_bytes()
    try:
        with pytest.raises(planfile.PlanFileError, match="is read-only; make it writable"):
            planfile.set_numbers(small_plan, lambda p: {("budget", "cash"): 5})
        with pytest.raises(planfile.PlanFileError, match="is read-only"):
            planfile.create(small_plan, before.decode(), force=True)
    finally:
        small_plan.chmod(0o644)
    assert small_plan.read_bytes() == before
    assert not os.path.exists(small_plan.with_name(".plan.yaml.tmp"))
