"""Store errors the API maps to HTTP statuses; each message names the field at fault."""

from __future__ import annotations


class NotFound(LookupError):
    """404: the entity named does not exist."""


class Conflict(ValueError):
    """409: the request contradicts what is stored (duplicate key, retry with other content)."""


class Invalid(ValueError):
    """422: a value the schema accepts but the domain does not."""


class Inconsistent(RuntimeError):
    """500: the store contradicts itself (a settlement whose recomputation differs from what
    was paid); never the caller's fault."""
