"""The core is one-way: no module of `planner/` imports `plugins/` or `runner/`, the imports
between planner's own modules form no cycle (counting imports inside functions and under
TYPE_CHECKING too), the core imports neither the CLI nor the workshop, and the hook
contract depends on data types only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PLANNER = Path(__file__).resolve().parents[2] / "planner"
PACKAGE = "ventureplan.planner"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PLANNER).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([PACKAGE, *parts])


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PLANNER.rglob("*.py"))}


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every module `path` imports, wherever the import statement stands."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            submodules = {f"{target}.{a.name}" for a in node.names} & known
            # `from . import planfile` imports that module (the package is loaded already)
            out |= submodules if submodules and node.module is None else {target, *submodules}
    return out


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports(name, path, known) for name, path in found.items()}


def test_the_walk_sees_function_level_and_type_checking_imports():
    edges = graph()
    assert f"{PACKAGE}.results" in edges[f"{PACKAGE}.hookspecs"]  # under TYPE_CHECKING
    assert f"{PACKAGE}.workshop.estimates" in edges[f"{PACKAGE}.cli.workshop"]  # in a function
    assert f"{PACKAGE}.planfile" in edges[f"{PACKAGE}.execute"]  # `from . import planfile`


def test_planner_never_imports_plugins_or_runner():
    upward = sorted(
        (name, target)
        for name, targets in graph().items()
        for target in targets
        if target.startswith(("ventureplan.plugins", "ventureplan.runner"))
    )
    assert upward == []


def test_no_cycle_among_planner_modules():
    edges = {n: {t for t in ts if t in modules() and t != n} for n, ts in graph().items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (cycle := visit(start)):
            pytest.fail("import cycle: " + " → ".join(c.removeprefix(PACKAGE + ".") for c in cycle))


def test_the_core_imports_neither_the_cli_nor_the_workshop():
    core = {
        n: ts
        for n, ts in graph().items()
        if not n.startswith((f"{PACKAGE}.cli", f"{PACKAGE}.workshop"))
    }
    assert (
        sorted((n, t) for n, ts in core.items() for t in ts if t.startswith(f"{PACKAGE}.cli")) == []
    )
    assert (
        sorted((n, t) for n, ts in core.items() for t in ts if t.startswith(f"{PACKAGE}.workshop"))
        == []
    )


@pytest.mark.parametrize(
    ("module", "allowed"),
    [
        ("hookspecs", {"errors", "model", "network", "records", "results"}),
        (
            "results",
            {
                "budget",
                "calendar",
                "errors",
                "evidence",
                "load",
                "model",
                "network",
                "progress",  # Progress, like Schedule, lives beside what computes it
                "quantities",
                "schedule",
            },
        ),
        ("quantities", set()),  # the catalogue of measured numbers: a leaf
        ("records", {"errors", "fields"}),
        ("model", {"defaults", "fields", "records"}),
        ("errors", set()),
        ("fields", {"defaults"}),
        ("defaults", set()),
    ],
)
def test_the_contract_and_the_data_types_import_only_data_types(module, allowed):
    own = {
        t.removeprefix(PACKAGE + ".")
        for t in graph()[f"{PACKAGE}.{module}"]
        if t.startswith(PACKAGE + ".")
    }
    assert own <= allowed, f"{module} imports {sorted(own - allowed)}"
