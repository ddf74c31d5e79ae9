"""Creates the plugin manager (hook specs, then every plugin in the `ventureplan` group) and
calls hooks through pluggy, one plugin at a time, so one plugin's failure is named and the
others still answer.

Built-in plugins are registered through that same entry-point group (see pyproject.toml),
so they are listed, ordered and disabled exactly like third-party ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from typing import Any, Literal

import pluggy

from . import hookspecs
from .errors import Finding, PluginError, VenturePlanError

GROUP = "ventureplan"
# Like pytest's PYTEST_DISABLE_PLUGIN_AUTOLOAD: load only the plugins ventureplan ships.
BUILTIN_ONLY_ENV = "VENTUREPLAN_DISABLE_PLUGIN_AUTOLOAD"
FIX_PLUGIN = "report it to the plugin's authors, or uninstall it"


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
    """A pluggy manager that also remembers plugins that failed to load, and keeps one
    hook caller per (hook, plugin) for calls that isolate each plugin."""

    def __init__(self) -> None:
        super().__init__(GROUP)
        self.add_hookspecs(hookspecs)
        self.failed: list[PluginInfo] = []
        self.dists: dict[str, str | None] = {}  # plugin name -> distribution it came from
        self._callers: dict[tuple[str, int], tuple[pluggy.HookCaller, str]] = {}

    def register(self, plugin: object, name: str | None = None) -> str | None:
        self._callers.clear()
        return super().register(plugin, name)

    def unregister(self, plugin: object | None = None, name: str | None = None) -> Any:
        self._callers.clear()
        return super().unregister(plugin, name)

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

    def callers(self, hook: str) -> Iterator[tuple[str, pluggy.HookCaller]]:
        """(plugin name, a pluggy hook caller that calls only that plugin), in pluggy's
        order. Wrappers stay in every caller; pluggy passes each implementation only the
        arguments it declares."""
        impls = getattr(self.hook, hook).get_hookimpls()
        wrappers = {id(i.plugin) for i in impls if i.hookwrapper or i.wrapper}
        for impl in reversed(impls):
            if id(impl.plugin) in wrappers:
                continue
            key = (hook, id(impl.plugin))
            if key not in self._callers:
                others = [i.plugin for i in impls if i.plugin is not impl.plugin]
                others = [p for p in others if id(p) not in wrappers]
                self._callers[key] = (self.subset_hook_caller(hook, others), impl.plugin_name)
            caller, name = self._callers[key]
            yield name, caller


@cache
def get_plugin_manager() -> Manager:
    pm = Manager()
    pm.load_entry_points()
    return pm


def failure(plugin: str, exc: Exception) -> Finding:
    """A plugin that raised, as a warning naming it: the plan is not at fault."""
    return Finding(
        "plugin-failed",
        f"plugin '{plugin}' raised {type(exc).__name__}: {exc}",
        severity="warning",
        plugin=plugin,
        hint=FIX_PLUGIN,
    )


def load_failures(pm: Manager) -> list[Finding]:
    return [
        Finding(
            "plugin-failed",
            f"plugin '{info.name}' could not be loaded: {info.error}",
            severity="warning",
            plugin=info.name,
            hint=f"fix or uninstall the package that provides it ({info.module})",
        )
        for info in pm.failed
    ]


def answers(
    pm: Manager, hook: str, failures: list[Finding] | None = None, **kwargs: Any
) -> Iterator[tuple[str, Any]]:
    """Each plugin's answer to `hook` in pluggy's order (None where it has nothing to say).

    A plugin that raises is skipped and reported in `failures` as a warning, or raised as
    a PluginError when no list is given. A VenturePlanError is the plugin telling the user
    what to fix (install an extra, say), so it goes through.
    """
    first = getattr(pm.hook, hook).spec.opts.get("firstresult", False)
    for name, caller in pm.callers(hook):
        try:
            result = caller(**kwargs)
        except VenturePlanError:
            raise
        except Exception as exc:
            found = failure(name, exc)
            if failures is None:
                raise PluginError(found.message) from exc
            failures.append(found)
            continue
        if first:
            yield name, result
        else:  # the plugin's answer, and whatever a wrapper added beside it
            for item in result or [None]:
                yield name, item


def call_first(pm: Manager, hook: str, failures: list[Finding] | None = None, **kwargs: Any) -> Any:
    """The first answer that is not None, for hooks where one plugin's answer wins."""
    for _, result in answers(pm, hook, failures, **kwargs):
        if result is not None:
            return result
    raise PluginError(f"no plugin answered '{hook}'; is the built-in plugin disabled?")


def findings(
    pm: Manager, hook: str, failures: list[Finding] | None = None, **kwargs: Any
) -> list[Finding]:
    """Every plugin's findings for a checking hook, each marked with the plugin's name."""
    out = []
    for name, found in answers(pm, hook, failures, **kwargs):
        for f in found or []:
            f.plugin = f.plugin or name
            out.append(f)
    return out


def collect(
    pm: Manager,
    hook: str,
    what: str,
    failures: list[Finding] | None = None,
    *,
    clash: Literal["refuse", "first"] = "refuse",
    **kwargs: Any,
) -> dict[str, Any]:
    """Merge the name -> value dicts that plugins return for `hook`. On a name two plugins
    give, `refuse` stops with an error naming the second, `first` keeps the first answer."""
    out: dict[str, Any] = {}
    for name, found in answers(pm, hook, failures, **kwargs):
        for key, value in (found or {}).items():
            if key not in out:
                out[key] = value
            elif clash == "refuse":
                raise PluginError(f"plugin '{name}' adds {what} '{key}', which already exists")
    return out
