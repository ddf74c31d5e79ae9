"""The hooks a plugin can implement. Plugins write `from ventureplan.planner import hookimpl`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .errors import Finding
    from .model import Plan

hookspec = pluggy.HookspecMarker("ventureplan")
hookimpl = pluggy.HookimplMarker("ventureplan")


@hookspec
def plan_checks(plan: Plan) -> list[Finding]:  # type: ignore[empty-body]
    """Return findings (lints) about a plan that passed validation."""
