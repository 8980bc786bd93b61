"""Command line for year rollover: ``gendoc roll`` and ``gendoc diff`` (issue 8)."""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import click

from .cli import _Command, main
from .errors import GendocError, GendocWarning

_YAML = (".yaml", ".yml")
_REPORTS = (".md", ".json")


def _roll_output(plan: Path, out: str | None, from_year: int, to_year: int) -> Path:
    """-o FILE.yaml, -o DIR/, or beside the plan with the year in its name replaced
    (plan-2014.yaml -> plan-2015.yaml) or added (plan.yaml -> plan-2015.yaml). What may not
    be overwritten (the plan itself, another plan, a folder) is refused by check_destination."""
    from .outputs import check_destination
    stem = plan.stem
    year = re.compile(rf"(?<!\d){from_year}(?!\d)")
    name = (year.sub(str(to_year), stem) if year.search(stem) else f"{stem}-{to_year}") + (
        plan.suffix if plan.suffix.lower() in _YAML else ".yaml")
    if out is None:
        target = plan.with_name(name)
    elif out.endswith(("/", os.sep)) or Path(out).is_dir():
        if not Path(out).is_dir():
            raise GendocError("输出文件夹不存在", file=out)
        target = Path(out) / name
    else:
        target = Path(out)
        if target.suffix.lower() not in _YAML:
            raise GendocError("输出文件名应以 .yaml 或 .yml 结尾", file=out)
    return check_destination(target, plan=plan).path


def _report_path(report: str | None, plan: Path, output: Path) -> Path | None:
    from .outputs import check_destination
    if report is None:
        return None
    path = Path(report)
    if path.suffix.lower() not in _REPORTS:
        raise GendocError("报告文件名应以 .md（Markdown）或 .json 结尾", file=report)
    return check_destination(path, plan=plan, inputs=[output], option="--report").path


@main.command(cls=_Command)
@click.argument("plan", type=click.Path(dir_okay=True))
@click.option("--to-year", type=int, default=None, metavar="年份",
              help="滚动到哪一年（默认计划年份的下一年）")
@click.option("-o", "--output", type=click.Path(), default=None,
              help="新计划 .yaml 文件或已存在的文件夹；默认放在原计划旁边，文件名里的年份换成新年份")
@click.option("--keep-dates", is_flag=True,
              help="保持月、日不变（默认保持星期：具体日期移动整周，52 或 53 周）")
@click.option("--report", type=click.Path(dir_okay=False), default=None,
              help="把报告另存为 .md（Markdown）或 .json 文件")
def roll(plan, to_year, output, keep_dates, report):
    """由今年的计划 PLAN.yaml 生成下一年的计划：移动所有日期，列出要人工核对的内容。

    新计划是原文件本身，只改动移动了的值：注释、键的顺序、引号、缩进和空行都保持原样。
    原计划不会被改动。"""
    from .roll import gc_paused
    with gc_paused():  # one large acyclic heap (see roll.roll)
        _roll(Path(plan), to_year, output, keep_dates, report)


def _roll(plan_path: Path, to_year, output, keep_dates, report) -> None:
    from . import roll as rolling
    from .outputs import write_all
    src, model, before = rolling.open_for_roll(plan_path)
    from_year, to_year = rolling.years_for(src, model, to_year)
    target = _roll_output(plan_path, output, from_year, to_year)
    report_path = _report_path(report, plan_path, target)
    result = rolling.roll(src, model, to_year, keep_dates=keep_dates, output_name=str(target),
                          warnings_before=before)
    files = [(target, src.bytes_out(result.text))]
    if report_path:
        text = (rolling.format_json(result) if report_path.suffix.lower() == ".json"
                else rolling.format_markdown(result))
        files.append((report_path, text.encode("utf-8")))
    write_all(files)  # the new plan and its report together, or neither
    click.echo(rolling.format_text(result), nl=False)
    if src.encoding != "utf-8":
        click.echo(f"注意：原计划是 {src.encoding.upper()} 编码，新计划已存为 UTF-8。")
    if report_path:
        click.echo(f"报告已写入 {report_path}")


@main.command(cls=_Command)
@click.argument("old", type=click.Path(dir_okay=True))
@click.argument("new", type=click.Path(dir_okay=True))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（供其他程序使用）")
def diff(old, new, as_json):
    """比较两份计划 OLD.yaml 和 NEW.yaml，按计划的结构列出差别（阶段、部分、目标、日期……）。"""
    from .plan import load_plan
    from .plandiff import diff_plans, format_json, format_text
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GendocWarning)  # the plans' own warnings: gendoc check
        a, b = load_plan(old), load_plan(new)
    changes = diff_plans(a, b)
    click.echo((format_json if as_json else format_text)(changes, old, new), nl=False)
