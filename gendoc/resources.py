"""Files gendoc reads at run time, found through the installed package.

``templates/`` and ``schema/`` live at the top of the repository, where clerks look for them;
pyproject.toml maps them into the wheel as the packages ``gendoc.templates`` and
``gendoc.schema``, so an installed gendoc finds them wherever it is run from, and an editable
install finds the repository's own folders.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from .errors import GendocError


@lru_cache(maxsize=None)
def package_dir(package: str) -> Path:
    """The folder holding a data package's files (regular, namespace or editable install)."""
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        path = Path(location)
        if path.is_dir():
            return path.resolve()
    raise GendocError(f"gendoc 安装不完整：找不到 {package}（请重新安装 gendoc）")


def templates_dir() -> Path:
    """The built-in templates (templates/*.j2)."""
    return package_dir("gendoc.templates")


def schema_file() -> Path:
    """The JSON Schema of the plan, as committed (schema/plan.schema.json)."""
    return package_dir("gendoc.schema") / "plan.schema.json"
