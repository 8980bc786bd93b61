"""Command line for branch versions: ``gendoc batch`` (issue 9)."""

from __future__ import annotations

from .cli import main  # noqa: F401  (commands below are registered with @main.command)
