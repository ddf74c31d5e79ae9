"""The built-in plugins, registered through the `ventureplan` entry-point group."""
