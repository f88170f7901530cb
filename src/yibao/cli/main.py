"""Entry point: ``yibao``. Command groups register here; each lives in its own module."""

from __future__ import annotations

import typer

from yibao.cli import policy_cmd

app = typer.Typer(
    help="yibao 医保：城乡居民基本医疗保险 — 政策数据、参保缴费、一站式结算、监测与基金监管",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(policy_cmd.app, name="policy")


def _register_optional() -> None:
    """Command modules added by later work register themselves through ``register(app)``."""
    import importlib

    for module in COMMAND_MODULES:
        importlib.import_module(f"yibao.cli.{module}").register(app)


# Each entry is a module in yibao/cli/ with a ``register(app: typer.Typer) -> None`` function.
COMMAND_MODULES: list[str] = [
    "settle_cmd",
    "quote_cmd",
    "enroll_cmd",
    "serve_cmd",
    "user_cmd",
    "simulate_cmd",
    "batch_cmd",
    "monitor_cmd",
    "compare_cmd",
    "demo_cmd",
    "db_cmd",
]

_register_optional()
