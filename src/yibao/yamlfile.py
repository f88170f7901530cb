"""YAML reading for the data files (policy, regions, categories, monitoring rules, calibration,
overlays): libyaml's C parser when PyYAML has it, ~10× faster than the pure-Python one; the
same safe subset either way (no Python objects)."""

from __future__ import annotations

from typing import Any

import yaml

SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str) -> Any:
    """``yaml.safe_load`` with the fastest safe loader available."""
    return yaml.load(text, Loader=SafeLoader)
