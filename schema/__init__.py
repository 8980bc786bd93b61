"""The plan JSON Schema, shipped inside the wheel as gendoc.schema (see pyproject.toml)."""
