"""Entry point: ``yibao``. Each command group lives in its own module, imported only when its
command runs: ``yibao --help`` and ``yibao policy list`` do not pay for FastAPI, the store,
Polars, the synthetic generator or Spark's dependencies (issue 15).

A module registers its commands with ``register(app: typer.Typer) -> None``; COMMANDS names the
module of each top-level command and its one-line help (shown by ``yibao --help`` without
importing the module)."""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperGroup

# Top-level command → (module in yibao/cli, one-line help).
COMMANDS: dict[str, tuple[str, str]] = {
    "policy": ("policy_cmd", "政策参数：列出、查看（含来源）、比较"),
    "quote": ("quote_cmd", "参保缴费测算：个人缴费标准、资助参保、个人应缴、财政补助及分担"),
    "settle": ("settle_cmd", "一站式结算测算（无状态）：基本医保 → 大病保险 → 医疗救助 → 个人"),
    "enroll": ("enroll_cmd", "参保管理：重复参保、应保尽保台账、待遇享受期"),
    "simulate": ("simulate_cmd", "模拟一个统筹区一年的参保、缴费和就医结算数据（Parquet）"),
    "batch": ("batch_cmd", "批量结算（Parquet，本地或 Spark）"),
    "monitor": ("monitor_cmd", "监测预警、智能监控、基金风险、依申请救助、目标"),
    "drg": ("drg_cmd", "CHS-DRG 分组与按点数结算（点值、月度预结算、年终清算）"),
    "dip": ("dip_cmd", "DIP 分组与按分值结算（点值、月度预结算、年终清算）"),
    "compare": ("compare_cmd", "政策仿真：改革方案与基准在同一批就诊上比较"),
    "serve": ("serve_cmd", "启动 API 与控制台（OpenAPI 见 /docs）"),
    "user": ("user_cmd", "API 用户：添加、列出、停用"),
    "db": ("db_cmd", "数据库：备份、恢复、一致性检查"),
    "demo": ("demo_cmd", "演示：模拟一个县的一年，结算、报表、预警，写入 SQLite 并启动服务"),
}

# Kept for callers that list the command modules (each has ``register``).
COMMAND_MODULES: list[str] = sorted({module for module, _ in COMMANDS.values()})


def _load(name: str) -> Any:
    """The command ``name`` from its module (imported now, on first use): the module's
    ``register(app)``, or its Typer ``app`` as the group ``name``."""
    if name not in COMMANDS:
        return None
    module = importlib.import_module(f"yibao.cli.{COMMANDS[name][0]}")
    holder = typer.Typer()
    if hasattr(module, "register"):
        module.register(holder)
    else:
        holder.add_typer(module.app, name=name)
    return typer.main.get_group(holder).commands.get(name)


class LazyGroup(TyperGroup):
    """A command group that imports a command's module only when that command is run (or its
    own --help is asked for); the top-level --help lists COMMANDS' one-line helps."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands:
            command = _load(cmd_name)
            if command is None:
                return None
            self.commands[cmd_name] = command
        return self.commands[cmd_name]

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        # Plain help (rich_markup_mode=None: rich's renderer would load every module to list
        # the commands).
        with formatter.section("Commands"):
            formatter.write_dl([(name, text) for name, (_, text) in COMMANDS.items()])


app = typer.Typer(
    cls=LazyGroup,
    help="yibao 医保：城乡居民基本医疗保险 — 政策数据、参保缴费、一站式结算、监测与基金监管",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """yibao 医保：城乡居民基本医疗保险 — 政策数据、参保缴费、一站式结算、监测与基金监管"""
