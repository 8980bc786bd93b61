"""click's own words in Chinese: usage errors, help headings, option help.

click marks every text it prints for translation with :mod:`gettext` (``_()`` and
``ngettext()`` in each of its modules); :func:`install` points those at this catalog, so a
clerk reads “用法：”, “错误：缺少参数 PLAN” and “显示此帮助并退出。”. A message this catalog
does not know (a newer click) is printed as click wrote it; tests/test_cli_zh.py lists every
message the installed click can print and fails on any that is missing here.
"""

from __future__ import annotations

import re

CATALOG = {
    "deprecated": "已弃用",
    "Options": "选项",
    "Commands": "命令",
    "Aborted!": "已中断。",
    "Missing command.": "缺少命令。",
    "Value must be an iterable.": "取值应为列表。",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}":
        "提醒：命令 {name!r} 已弃用。{extra_message}",
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}":
        "提醒：{param_type} {name!r} 已弃用。{extra_message}",
    "Name '{name}' defined twice": "名字“{name}”定义了两次",
    "Boolean option {decl!r} cannot use the same flag for true/false.":
        "开关选项 {decl!r} 的开和关不能用同一个写法。",
    "Could not determine name for option with declarations {decls!r}": "无法确定选项 {decls!r} 的名字",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument "
    "instead? Did you mean to pass '--{name}'?": "没有定义选项却给了名字（{name}）。",
    "env var: {var}": "环境变量：{var}",
    "default: {default}": "默认：{default}",
    "(dynamic)": "（动态）",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.":
        "参数只能有一个名字，这里有 {length} 个：{decls}。",
    "Got unexpected extra argument ({args})": "多了参数（{args}）",
    "Got unexpected extra arguments ({args})": "多了参数（{args}）",
    "Takes {nargs} values but 1 was given.": "需要 {nargs} 个值，只给了 1 个。",
    "Takes {nargs} values but {len} were given.": "需要 {nargs} 个值，给了 {len} 个。",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "用“{command} {option}”查看帮助。",
    "Invalid value: {message}": "取值不对：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的取值不对：{message}",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "unknown error": "未知错误",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "Did you mean {possibility}?": "是不是 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是不是其中之一：{possibilities}？）",
    "Usage:": "用法：",
    "Do you want to continue?": "要继续吗？",
    "Confirm the action without prompting.": "不询问，直接确认。",
    "%(prog)s, version %(version)s": "%(prog)s，版本 %(version)s",
    "Show the version and exit.": "显示版本并退出。",
    "Show this message and exit.": "显示此帮助并退出。",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "Choice({choices})": "选项（{choices}）",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 之内。",
    "{value!r} is not a valid boolean. Recognized values: {states}":
        "{value!r} 不是有效的开关值。可用：{states}",
    "{value!r} is not a valid UUID.": "{value!r} 不是有效的 UUID。",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件，不是文件夹。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是文件夹，不是文件。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 没有读取权限。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 没有写入权限。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 不能执行。",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{value!r} is not one of {choices}.": "{value!r} 不是 {choices} 之一。",
    "{value!r} does not match the format {format}.": "{value!r} 不符合格式 {format}。",
    "{value!r} does not match the formats {formats}.": "{value!r} 不符合格式 {formats}。",
    "{len_type} values are required, but {len_value} was given.":
        "需要 {len_type} 个值，给了 {len_value} 个。",
    "{len_type} values are required, but {len_value} were given.":
        "需要 {len_type} 个值，给了 {len_value} 个。",
    "Invalid start character for option ({option})": "选项的开头字符不对（{option}）",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
    "Option {name!r} does not take a value.": "选项 {name!r} 后面不带值。",
    "Option {name!r} requires an argument.": "选项 {name!r} 后面要写一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 后面要写 {nargs} 个值。",
    "Repeat for confirmation": "再输入一次以确认",
    "Error: The two entered values do not match.": "错误：两次输入的不一样。",
    "Error: invalid input": "错误：输入无效",
    "Unknown color {colour!r}": "未知颜色 {colour!r}",
    "Press any key to continue...": "按任意键继续……",
    "{editor}: Editing failed": "{editor}：编辑失败",
    "d": "天",
    "{editor}: Editing failed: {e}": "{editor}：编辑失败：{e}",
    # words click passes through _() at run time, or as values into the messages above
    "required": "必填",
    "integer": "整数", "float": "数字", "integer range": "整数", "float range": "数字",
}

_MODULES = ("core", "exceptions", "formatting", "decorators", "types", "parser", "termui",
            "_termui_impl")


def gettext(message: str) -> str:
    return CATALOG.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return gettext(singular if n == 1 else plural)


def install() -> None:
    """Point click's translation functions at the catalog (idempotent)."""
    import importlib
    for name in _MODULES:
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:  # pragma: no cover - a click without that module
            continue
        if hasattr(module, "_"):
            module._ = gettext
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext


_QUOTED = re.compile(r"'([^'\n]{1,80})'")


def tidy(message: str) -> str:
    """click's quoting and full stops in Chinese text: 'PLAN' -> PLAN, a final . -> 。"""
    message = _QUOTED.sub(r"\1", message)
    return re.sub(r"\.$", "。", message.strip())
