"""``gendoc calendar PLAN.yaml -o PLAN.ics``: the plan's dates as an iCalendar file."""

from __future__ import annotations

from pathlib import Path

import click

from .cli import _Command, main


@main.command("calendar", cls=_Command)
@click.argument("plan", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(), default=None,
              help="输出 .ics 文件，或已存在的文件夹（按计划文件名命名）；默认与计划同名同目录")
def calendar_command(plan, output):
    """把计划里的会议、阶段、期限和其他日期导出为日历文件（.ics），可导入 Outlook、苹果日历、
    Thunderbird、钉钉和企业微信；再次导出后重新导入，会更新原来的日程而不是重复添加。"""
    from .ics import export_file
    path, count = export_file(Path(plan), output)
    click.echo(f"已生成 {path}（{count} 个日程）")
