"""gendoc: plan YAML -> GB/T 9704-2012 公文 .docx."""

__version__ = "0.1.0"
