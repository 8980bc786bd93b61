"""Command line: thin click commands over library functions.

Every error a user can cause is a :class:`GendocError`; it becomes one message per problem
(file:line: field: what is wrong) on stderr and exit code 1. Warnings go to stderr too.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import click

from . import __version__, cli_zh
from .errors import GendocError, GendocWarning


cli_zh.install()


def _show_warning(message, category, filename, lineno, file=None, line=None):
    if issubclass(category, GendocWarning):
        click.echo(f"警告：{message}", err=True)
    else:  # a library warning is not the user's business; keep it quiet but visible
        click.echo(f"warning: {category.__name__}: {message}", err=True)


def _fail(exc: GendocError) -> None:
    problems = exc.problems or [exc]
    for p in problems:
        click.echo(f"错误：{p.located()}", err=True)
    if len(problems) > 1:
        click.echo(f"共 {len(problems)} 处问题。", err=True)
    sys.exit(1)


class _Command(click.Command):
    """Turns GendocError (and stray OS errors on user paths) into a message and exit 1."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)

    def invoke(self, ctx):
        from .pdf import Terminated, terminate_on_sigterm
        warnings.showwarning = _show_warning
        warnings.simplefilter("always", GendocWarning)
        terminate_on_sigterm()   # SIGTERM/SIGHUP run every finally: temporary files, LibreOffice
        try:
            return super().invoke(ctx)
        except GendocError as exc:
            _fail(exc)
        except Terminated:
            click.echo("已终止；没有写出不完整的文件。", err=True)
            sys.exit(143)
        except KeyboardInterrupt:
            click.echo("已中断；没有写出不完整的文件。", err=True)
            sys.exit(130)
        except (OSError, UnicodeError) as exc:
            _fail(GendocError(f"{type(exc).__name__}: {exc}"))


class _Group(click.Group):
    """The command group; click's own errors (a missing argument, an unknown option) are
    printed in Chinese, with the usage line, and exit code 2 as click gives them."""

    def resolve_command(self, ctx, args):
        """An unknown command suggests the one nearest to what was typed (rendr -> render)."""
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            import difflib
            near = difflib.get_close_matches(name, self.list_commands(ctx), n=1, cutoff=0.5)
            ctx.fail(f"没有命令 {name!r}。" + (f" 是不是 {near[0]}？" if near else ""))
        return super().resolve_command(ctx, args)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:   # bare `gendoc`: its help
            click.echo(exc.ctx.get_help() if exc.ctx else exc.format_message())
            sys.exit(0)
        except click.ClickException as exc:
            ctx = getattr(exc, "ctx", None)
            if ctx is not None:
                click.echo(ctx.get_usage(), err=True)
                click.echo(f"用“{ctx.command_path} --help”查看帮助。", err=True)
            click.echo(f"错误：{cli_zh.tidy(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("已中断。", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]},
             options_metavar="[选项]", subcommand_metavar="命令 [参数]...")
@click.version_option(__version__, prog_name="gendoc")
def main():
    """gendoc：把 YAML 写的工作计划排成符合 GB/T 9704-2012 的公文 .docx。"""


class _Seconds(click.FloatRange):
    name = "秒数"   # click prints a type's name in its messages ("abc 不是有效的秒数。")


_timeout_opt = click.option("--timeout", type=_Seconds(min=1), default=None, metavar="秒数",
                            help="LibreOffice 转换的时间上限（默认按文档长短自动确定）")

_templates_opt = click.option("-t", "--templates", "template_dirs", multiple=True,
                              type=click.Path(file_okay=False, exists=True),
                              help="自己的模板文件夹（先于内置模板查找；在沙箱中运行）")


@main.command(cls=_Command)
@click.argument("plan", type=click.Path(dir_okay=True))
@click.option("-o", "--output", type=click.Path(), default=None,
              help="输出 .docx 文件，或已存在的文件夹（按计划文件名命名）；默认与计划同名同目录")
@click.option("--pdf", is_flag=True, help="同时用 LibreOffice 排出 PDF（放在 .docx 旁边）")
@click.option("--force", is_flag=True,
              help="已有的 .docx 生成后被修改过时也重新生成（原文件先另存为“文件名.修改稿-日期时间.docx”）")
@click.option("--all", "all_docs", is_flag=True,
              help="写出计划定义的全部文档：主文档、每个会议的会议通知、工作进度安排表等（按计划的 outputs），"
                   "连同清单 manifest.csv/json；-o 是文件夹")
@_timeout_opt
@_templates_opt
def render(plan, output, pdf, force, timeout, template_dirs, all_docs):
    """把计划 PLAN.yaml 排成 .docx。"""
    from .render import render_file
    if all_docs:
        from .family import render_family
        fam = render_family(Path(plan), output, template_dirs=tuple(template_dirs), pdf=pdf,
                            force=force, timeout=timeout)
        for row in fam.rows:
            click.echo(f"已生成 {fam.folder / row['file']}（{row['genre']}，约 {row['pages']} 页）"
                       + (f"，{row['pdf']}" if row["pdf"] else ""))
        click.echo(f"清单：{fam.manifest[0]}、{fam.manifest[1].name}")
        return
    result = render_file(Path(plan), output, template_dirs=tuple(template_dirs), pdf=pdf,
                         force=force, timeout=timeout)
    if result.backup:
        click.echo(f"原文档生成后被修改过，已另存为 {result.backup}")
    click.echo(f"已生成 {result.docx}（约 {result.layout.pages} 页）")
    if result.pdf:
        click.echo(f"已生成 {result.pdf}")


@main.command(cls=_Command)
@click.argument("plans", nargs=-1, required=True, type=click.Path(dir_okay=True))
@_templates_opt
@click.option("--strict", is_flag=True,
              help="把警告当作错误：有任何没在计划注释（# 检查：……）里说明的警告就以非零状态退出")
def check(plans, template_dirs, strict):
    """检查计划（格式、字段、日期、模板，以及阶段日期、节假日、占位符、标点、编号、数目等常见疏漏），不写任何文件。"""
    from .lint import report_lines
    from .render import build_document
    from .source import open_plan
    from .typeset import Typesetter
    failed = 0
    for name in plans:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", GendocWarning)
                src, plan = open_plan(name)
                # typeset too: whatever check accepts, render renders
                Typesetter().render(build_document(plan, tuple(template_dirs)))
            texts = [str(w.message) for w in caught if issubclass(w.category, GendocWarning)]
            lines, unexplained = report_lines(name, src, plan, texts, strict)
            for line in lines:
                click.echo(line, err=True)
            if strict and unexplained:
                failed += 1
                click.echo(f"{name}: 未通过（--strict：{unexplained} 条警告）")
                continue
            click.echo(f"{name}: 通过")
        except GendocError as exc:
            failed += 1
            for p in exc.problems or [exc]:
                click.echo(f"错误：{p.located()}", err=True)
    if failed:
        sys.exit(1)


@main.command(cls=_Command)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="写入文件（默认输出到屏幕）")
def schema(output):
    """输出计划的 JSON Schema（供 VS Code 等编辑器校验和补全）。"""
    from .outputs import check_destination, write_atomic
    from .plan import json_schema
    text = json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
    if output:
        if Path(output).suffix.lower() != ".json":
            raise GendocError("输出文件名应以 .json 结尾", file=output)
        write_atomic(check_destination(Path(output)).path, text.encode("utf-8"))
    else:
        click.echo(text, nl=False)


@main.command(cls=_Command)
@click.option("--install", is_flag=True,
              help="为本用户的 LibreOffice、WPS 设置标准字体的免费替代（用户级 fontconfig），"
                   "并让 LibreOffice 导出 PDF 时保留自动插入的空白页；不需要 root")
def fonts(install):
    """报告每种标准字体是否安装、缺少时用什么代替、代替后字宽是否不变，以及本用户的设置是否完成。"""
    from .fonts import format_font_report, install_user_setup, user_setup_lines
    if install:
        for line in install_user_setup():
            click.echo(line, err=line.startswith("警告："))
        return
    click.echo(format_font_report())
    for line in user_setup_lines():
        click.echo(line)


@main.command(cls=_Command)
@click.argument("file", type=click.Path(exists=False, dir_okay=False))
@click.option("--keep-pdf", type=click.Path(dir_okay=False), default=None,
              help="把测量用的 PDF 保存到这里（.pdf 文件）")
@_timeout_opt
def verify(file, keep_pdf, timeout):
    """按 GB/T 9704-2012 测量 .docx、.dotx、.odt 或 .pdf 的版面，逐条报告通过、不通过或不适用。"""
    from .outputs import check_destination
    from .verify import verify as run_verify
    keep = None
    if keep_pdf:
        keep = Path(keep_pdf)
        if keep.is_dir():
            keep = keep / f"{Path(file).stem}.pdf"
        if keep.suffix.lower() != ".pdf":
            raise GendocError("--keep-pdf 的文件名应以 .pdf 结尾", file=keep_pdf)
        if not (Path(file).suffix.lower() == ".pdf" and keep.exists() and keep.samefile(file)):
            keep = check_destination(keep, inputs=[Path(file)], option="--keep-pdf").path
    kw = {} if timeout is None else {"timeout": timeout}
    report = run_verify(Path(file), keep_pdf=keep, **kw)
    click.echo(report.format())
    sys.exit(0 if report.ok else 1)


# commands that live in their own modules register themselves on ``main``
from . import batch_cli, calendar_cli, genres_cli, roll_cli  # noqa: E402,F401

def run() -> None:
    """The ``gendoc`` command: :data:`main`, and then the process ends without a last garbage
    collection over everything the run made (the objects go to the collector's permanent
    generation first: Python's exit would walk them all, 0.25-0.3 s after a batch)."""
    import gc
    try:
        main()
    finally:
        # CPython marks a KeyboardInterrupt that ended a string exec/eval (one can be running
        # when Ctrl-C comes during a render) as unhandled even after the command has caught it,
        # and under ``python -m gendoc.cli`` then ends the process by SIGINT instead of with the
        # command's exit code (130, 143). Evaluating a string clears that mark.
        exec("pass")
        gc.freeze()


if __name__ == "__main__":  # pragma: no cover
    # ``python -m gendoc.cli``: run the group of the imported module, on which roll_cli and
    # batch_cli registered their commands (this file runs twice: as __main__ and as gendoc.cli)
    from gendoc.cli import run as _run
    _run()
