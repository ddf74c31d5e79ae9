"""ventureplan's planner: the plan model, loading, checks, plugins and the CLI.

Kept light on purpose: nothing here imports torch, transformers, weasyprint or matplotlib.
"""

from .hookspecs import hookimpl

__all__ = ["hookimpl"]
