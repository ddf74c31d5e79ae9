"""Creates the plugin manager: hook specs, then every plugin in the `ventureplan` group.

Built-in plugins are registered through that same entry-point group (see pyproject.toml),
so they are listed, ordered and disabled exactly like third-party ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from typing import Any

import pluggy

from . import hookspecs
from .errors import PluginError, VenturePlanError

GROUP = "ventureplan"
# Like pytest's PYTEST_DISABLE_PLUGIN_AUTOLOAD: load only the plugins ventureplan ships.
BUILTIN_ONLY_ENV = "VENTUREPLAN_DISABLE_PLUGIN_AUTOLOAD"


@dataclass
class PluginInfo:
    name: str
    module: str
    distribution: str | None
    hooks: list[str] = field(default_factory=list)
    error: str | None = None  # why it could not be loaded

    @property
    def builtin(self) -> bool:
        return self.distribution == "ventureplan"


class Manager(pluggy.PluginManager):
    """A pluggy manager that also remembers plugins that failed to load."""

    def __init__(self) -> None:
        super().__init__(GROUP)
        self.add_hookspecs(hookspecs)
        self.failed: list[PluginInfo] = []
        self.dists: dict[str, str | None] = {}  # plugin name -> distribution it came from

    def load_entry_points(self) -> None:
        builtin_only = os.environ.get(BUILTIN_ONLY_ENV, "") not in ("", "0")
        for ep in entry_points(group=GROUP):
            dist = ep.dist.name if ep.dist is not None else None
            if builtin_only and dist != "ventureplan":
                continue
            if self.get_plugin(ep.name) is not None or self.is_blocked(ep.name):
                continue
            try:
                self.register(ep.load(), name=ep.name)
                self.dists[ep.name] = dist
            except Exception as exc:  # a broken plugin must not break the tool
                self.failed.append(
                    PluginInfo(ep.name, ep.value, dist, error=f"{type(exc).__name__}: {exc}")
                )

    def infos(self) -> list[PluginInfo]:
        out = []
        for name, plugin in self.list_name_plugin():
            if plugin is None:
                continue
            hooks = sorted(c.name for c in self.get_hookcallers(plugin) or [])
            module = getattr(plugin, "__name__", type(plugin).__name__)
            out.append(PluginInfo(name, module, self.dists.get(name), hooks))
        return sorted(out, key=lambda p: (not p.builtin, p.name)) + self.failed


@cache
def get_plugin_manager() -> Manager:
    pm = Manager()
    pm.load_entry_points()
    return pm


def call_each(pm: Manager, hook: str, **kwargs: Any) -> Iterator[tuple[str, Any]]:
    """Call each implementation of `hook` in pluggy's order, naming any plugin that raises."""
    for impl in reversed(getattr(pm.hook, hook).get_hookimpls()):
        try:
            yield impl.plugin_name, impl.function(**kwargs)
        except VenturePlanError:
            raise
        except Exception as exc:
            raise PluginError(
                f"plugin '{impl.plugin_name}' raised {type(exc).__name__}: {exc}"
            ) from exc


def call_first(pm: Manager, hook: str, **kwargs: Any) -> Any:
    """The first non-None answer, for hooks where one plugin's answer wins."""
    for _, result in call_each(pm, hook, **kwargs):
        if result is not None:
            return result
    raise PluginError(f"no plugin answered '{hook}'; is the built-in plugin disabled?")
