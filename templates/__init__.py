"""Jinja2 report templates, CSS and the starter plans, found through importlib.resources."""
