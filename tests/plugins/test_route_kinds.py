"""A third-party route kind is found by `ventureplan run`; an unknown kind is a clear error."""

from __future__ import annotations

from typing import ClassVar

from ventureplan.planner import hookimpl
from ventureplan.planner.plugin_manager import Manager


class EchoKind:
    calls: ClassVar[list[str]] = []

    @hookimpl
    def route_kinds(self):
        def run(plan, route, path, options):
            EchoKind.calls.append(route.id)
            return {
                "run": "echo-1",
                "route": route.id,
                "at": "2027-01-01T00:00:00Z",
                "device": "none",
                "metrics": {"accuracy": 1.0},
                "goals": {},
                "training": {"samples_per_second": 1.0, "seconds": 1.0},
            }

        return {"echo": run}


def test_outside_route_kind_runs_and_unknown_kind_is_named(cli, small_plan, monkeypatch):
    import ventureplan.planner.execute as execute

    pm = Manager()
    pm.load_entry_points()
    pm.register(EchoKind(), name="echo-kind")
    monkeypatch.setattr(execute, "get_plugin_manager", lambda: pm)
    text = small_plan.read_text().replace(
        "    model: builtin:minilm-l6\n", "    task: echo\n    model: builtin:minilm-l6\n"
    )
    small_plan.write_text(text)
    code, out, err = cli("run", small_plan, "--no-write-back")
    assert code == 0, err
    assert EchoKind.calls == ["minilm"] and out.startswith("Run echo-1: accuracy 1.000")
    small_plan.write_text(text.replace("task: echo", "task: summarisation"))
    code, out, err = cli("run", small_plan)
    assert code == 1
    assert (
        err.strip()
        == "error: no runner for route kind 'summarisation'; installed: echo, text-classification"
    )
