"""Command line for branch versions: ``gendoc batch`` (issue 9)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import click

from .cli import _Command, _templates_opt, _timeout_opt, main

EXIT_SOME_FAILED = 3
EXIT_INTERRUPTED = 130


@main.command(cls=_Command)
@click.argument("plan", type=click.Path(dir_okay=False))
@click.option("--branches", "branches", required=True, type=click.Path(dir_okay=False),
              metavar="分支文件", help="分支文件：CSV（表头至少有 id,name）或 YAML（branches: 列表）")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), metavar="文件夹",
              help="输出文件夹（不存在时新建一层）")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="同时工作的进程数（默认为处理器核数）")
@click.option("--pdf", is_flag=True, help="同时用 LibreOffice 排出 PDF（每个进程一个 LibreOffice，几十份合成一份转换后再分开）")
@click.option("--pdf-alone", is_flag=True,
              help="与 --pdf 同用：每份 PDF 单独转换（慢一倍）；合并转换时，同一批的 PDF 里嵌入的字体子集"
                   "含这一批文档用到的全部汉字，各分支的 PDF 要发给互不相干的单位时用它")
@click.option("--zip", "make_zip", is_flag=True, help="另把全部文档和清单打成一个 .zip（以分支文件命名）")
@click.option("--allow-stale", is_flag=True,
              help="文档里有其他单位的名称、简称或自称时照样写出（只记入清单的警告）")
@click.option("--shard", default=None, metavar="K/N",
              help="只排第 K 份（共 N 份，按分支在文件里的顺序轮流分配），供多台机器分担；名称和用语仍按全部分支检查")
@click.option("--no-shared", is_flag=True, hidden=True, help="每个分支都完整排一遍（核对用）")
@_timeout_opt
@_templates_opt
def batch(plan, branches, output, jobs, pdf, pdf_alone, make_zip, allow_stale, shard, no_shared, timeout,
          template_dirs):
    """按分支文件，把父计划 PLAN.yaml 排成每个分支自己的一份 .docx。

    \b
    每个分支可以改名称、简称、自称、发文机关标志、主送、报送（抄送）、领导小组，
    按标签去掉或保留部分内容，以及覆盖计划里的任何字段。
    文件名为“编号-标题.docx”；清单 manifest.csv / manifest.json 列出每个分支的
    文件、页数、SHA-256、警告和状态。

    \b
    退出码：0 全部生成；1 分支文件或父计划有错，什么也没写；
    3 有分支没有生成（见清单）；130 被中断（已写出的文件都是完整的，清单列出已完成的部分）。
    """
    from .batch import run_batch
    jobs = jobs or os.cpu_count() or 1
    part = None
    if shard is not None:
        m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", shard)
        if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
            raise click.BadParameter("应写成 K/N，如 2/5（第 2 份，共 5 份）", param_hint="--shard")
        part = (int(m.group(1)), int(m.group(2)))
    bar = None
    if sys.stderr.isatty():
        bar = click.progressbar(length=_count_hint(branches), label="生成中", file=sys.stderr,
                                show_pos=True)
        bar.__enter__()
    try:
        result = run_batch(plan, branches, output, jobs=jobs, pdf=pdf or pdf_alone, pdf_joined=not pdf_alone,
                           make_zip=make_zip,
                           allow_stale=allow_stale, template_dirs=tuple(template_dirs), timeout=timeout,
                           shared=not no_shared, progress=bar.update if bar else None, shard=part)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    for row in result.iter_rows():
        if row["message"]:
            click.echo(f"错误：{row['message']}", err=True)
        if row["status"] == "含其他单位用语":
            for w in row["warnings"]:
                click.echo(f"  {w}", err=True)
        elif row["warnings"]:
            for w in row["warnings"]:
                click.echo(f"警告：分支 {row['id']}：{w}", err=True)
    done = result.count(status="已生成")
    full = result.count(path="完整")
    click.echo(f"已生成 {done} 份（共享排版 {result.shared} 份，完整排版 {full} 份），"
               f"共 {len(result.packed)} 个分支，用时 {result.seconds:.1f} 秒；"
               f"清单：{result.manifest[0]}、{result.manifest[1].name}")
    if result.zip:
        click.echo(f"已打包：{result.zip}")
    if result.interrupted:
        click.echo("已中断：已写出的文件都是完整的，清单列出了已完成的部分。", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if result.failed:
        click.echo(f"有 {len(result.failed)} 个分支没有生成，见上面的说明和清单。", err=True)
        sys.exit(EXIT_SOME_FAILED)


def _count_hint(branches: str) -> int:
    """Rows or entries, for the progress bar (the run reads the file properly)."""
    try:
        text = Path(branches).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 0
    if branches.lower().endswith(".csv"):
        return max(0, sum(1 for line in text.splitlines()[1:] if line.strip()))
    return sum(1 for line in text.splitlines() if line.lstrip().startswith("- id:"))
