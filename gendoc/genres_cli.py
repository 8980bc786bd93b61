"""Command line for genres: ``gendoc templates`` and ``gendoc new`` (issue 11)."""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from .cli import _Command, main
from .errors import GendocError

_YAML = (".yaml", ".yml")


@main.command(cls=_Command)
def templates():
    """列出全部文种：名称、文种、用途（gendoc new 名称 写出它的样例计划）。"""
    from .genres import listing
    for line in listing():
        click.echo(line)


def _summary_starter():
    """gendoc.summary.starter_from_plan, when that module provides it."""
    try:
        module = importlib.import_module("gendoc.summary")
    except ImportError:
        return None
    return getattr(module, "starter_from_plan", None)


@main.command(cls=_Command)
@click.argument("genre", metavar="文种")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="写出的样例计划 .yaml 文件（不覆盖已有的文件）")
@click.option("--from", "from_plan", type=click.Path(dir_okay=False), default=None, metavar="计划",
              help="总结：由它所总结的计划 PLAN.yaml 生成（阶段和会议成为主要做法）")
def new(genre, output, from_plan):
    """写出文种的样例计划（带中文注释，直接能排版、能通过 gendoc verify）。"""
    from .genres import find, starter_text
    from .outputs import check_destination, write_atomic
    entry = find(genre)
    target = Path(output)
    if target.suffix.lower() not in _YAML:
        raise GendocError("输出文件名应以 .yaml 或 .yml 结尾", file=output)
    inputs = [Path(from_plan)] if from_plan else []
    if from_plan:
        starter = _summary_starter()
        if entry.name != "总结":
            raise GendocError(f"--from 只用于总结（由所总结的计划生成），不用于{entry.name}", file=from_plan)
        if starter is None:
            raise GendocError("这个版本的 gendoc 还不能由计划生成总结（--from）", file=from_plan)
        dest = check_destination(target, plan=Path(from_plan), inputs=inputs)
        text = starter(Path(from_plan))
    else:
        dest = check_destination(target)
        text = starter_text(entry)
    write_atomic(dest.path, text.encode("utf-8"))
    click.echo(f"已写出 {dest.path}（{entry.name}）；改好后运行：gendoc render {dest.path}")
