"""Command line for year rollover: ``gendoc roll`` and ``gendoc diff`` (issue 8)."""

from __future__ import annotations

from .cli import main  # noqa: F401  (commands below are registered with @main.command)
