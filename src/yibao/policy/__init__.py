"""Policy as data: dated, cited policy files per jurisdiction, resolved through their parents."""

from __future__ import annotations

from typing import Any

from yibao.policy.errors import PolicyError
from yibao.policy.loader import PolicyLibrary, default_library, load_policy

__all__ = ["Param", "Policy", "PolicyError", "PolicyLibrary", "default_library", "load_policy"]


def __getattr__(name: str) -> Any:
    # The model (pydantic) only when asked for: listing the policy files does not need it.
    if name in ("Param", "Policy"):
        from yibao.policy import model

        return getattr(model, name)
    raise AttributeError(name)
