"""`booklore-sync`: the plugin's queue, sync and settings from a computer's terminal."""

from python_core.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
