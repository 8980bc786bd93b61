"""The built-in templates, shipped inside the wheel as gendoc.templates (see pyproject.toml)."""
