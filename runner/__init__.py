"""Executes a plan's chosen technical route (fine-tune, measure, write back); see DESIGN.md §5."""
