"""Policy values for people: as the files state them (yuan, ratios), one row per parameter,
and diffs down to the changed leaf."""

from __future__ import annotations

import json
from typing import Any

from yibao.policy.model import Param, Policy


def _plain(value: Any) -> Any:
    """YAML scalars (dates, numbers) as JSON-safe values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def param_row(param: Param[Any]) -> dict[str, Any]:
    shown = _plain(param.raw)
    return {
        "path": param.path,
        "value": shown,
        "display": shown if isinstance(shown, str) else json.dumps(shown, ensure_ascii=False),
        "unit": param.unit,
        "source": param.source,
        "clause": param.clause,
        "assumed": param.assumed,
        "note": param.note,
        "file": param.file,
    }


def flatten_policy(policy: Policy) -> list[dict[str, Any]]:
    return [param_row(p) for p in policy.params()]


def _leaves(value: Any, prefix: str) -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_leaves(v, f"{prefix}.{k}"))
        return out
    return {prefix: value}


def diff_policies(a: Policy, b: Policy) -> list[dict[str, Any]]:
    rows_a = {r["path"]: r for r in flatten_policy(a)}
    rows_b = {r["path"]: r for r in flatten_policy(b)}
    out = []
    for path, ra in rows_a.items():
        rb = rows_b[path]
        if ra["value"] == rb["value"]:
            continue
        leaves_a, leaves_b = _leaves(ra["value"], path), _leaves(rb["value"], path)
        for leaf in sorted(set(leaves_a) | set(leaves_b)):
            va, vb = leaves_a.get(leaf), leaves_b.get(leaf)
            if va != vb:
                out.append(
                    {
                        "path": leaf,
                        "a": json.dumps(va, ensure_ascii=False),
                        "b": json.dumps(vb, ensure_ascii=False),
                        "source_a": ra["source"],
                        "source_b": rb["source"],
                        "assumed_b": rb["assumed"],
                    }
                )
    return out
