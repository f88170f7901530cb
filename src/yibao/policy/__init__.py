"""Policy as data: dated, cited policy files per jurisdiction, resolved through their parents."""

from yibao.policy.errors import PolicyError
from yibao.policy.loader import PolicyLibrary, default_library, load_policy
from yibao.policy.model import Param, Policy

__all__ = ["Param", "Policy", "PolicyError", "PolicyLibrary", "default_library", "load_policy"]
