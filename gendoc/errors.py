"""The one exception type for errors a user can cause.

Everything that a plan, a template or a command-line argument can get wrong is raised
as :class:`GendocError`; the CLI turns it into one message and exit code 1.
"""

from __future__ import annotations


class GendocError(Exception):
    """A problem the user can fix: names the file, line and field where known."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None, problems: list["GendocError"] | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        self.problems = problems or []

    def located(self) -> str:
        where = ""
        if self.file:
            where = str(self.file)
            if self.line:
                where += f":{self.line}"
            where += ": "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"

    def __str__(self) -> str:  # pragma: no cover - trivial
        if self.problems:
            return "\n".join(p.located() for p in self.problems)
        return self.located()


class GendocWarning(UserWarning):
    """Something suspicious that does not stop the render (stale term, empty section…)."""
