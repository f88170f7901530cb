"""What every command shares: one JSON document on stdout with --json, errors on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from yibao.policy.errors import PolicyError

if TYPE_CHECKING:
    import polars as pl


class UserError(ValueError):
    """Bad input from the user: printed as one line naming the field, exit code 2."""


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def read_parquet(path: Path, option: str) -> pl.DataFrame:
    """The Parquet file given for ``option``, or a UserError naming the option."""
    import polars as pl

    if not path.exists():
        raise UserError(f"{option}: 文件不存在：{path}")
    try:
        return pl.read_parquet(path)
    except Exception as exc:  # polars raises several kinds for a bad file
        raise UserError(f"{option}: 不是 Parquet 文件：{path}（{exc}）") from exc


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the domain's validation errors into a clear message and a non-zero exit."""
    try:
        yield
    except (UserError, PolicyError, ValueError) as exc:
        fail(str(exc))


def run(fn: Callable[[], Any]) -> Any:
    with user_errors():
        return fn()
