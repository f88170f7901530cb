"""Request dependencies shared by the routers (so that no router imports the application)."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session


def db(request: Request) -> Iterator[Session]:
    """A session per request; write endpoints open their own transaction on it."""
    with request.app.state.sessions() as session:
        yield session
