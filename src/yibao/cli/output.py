"""What every command shares: one JSON document on stdout with --json, errors on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer

from yibao.policy.errors import PolicyError


class UserError(ValueError):
    """Bad input from the user: printed as one line naming the field, exit code 2."""


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


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
