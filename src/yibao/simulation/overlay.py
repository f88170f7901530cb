"""A reform file: a policy YAML overlay layered on a resolved base policy.

Same format as ``policies/<code>/<year>.yaml`` parameters, and the same rule as the loader's
parent/child layering: a reform may only override a parameter the base defines, and restates
the whole parameter (e.g. all of ``benefits.pools`` to raise the inpatient ratio). Values are
written as the notices write them (yuan, ratios); every one needs a source (the reform's
``document`` by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from yibao import yamlfile
from yibao.policy.errors import PolicyError
from yibao.policy.loader import flatten_parameters
from yibao.policy.model import Param, Policy

REFORM_KEYS = {"name", "description", "document", "parameters"}


@dataclass(frozen=True)
class Reform:
    name: str
    description: str
    document: str
    params: dict[str, dict[str, Any]]  # dotted path → leaf (value as written, source, …)
    file: str


def _leaves(policy: Policy) -> dict[str, Param[Any]]:
    """Every cited leaf of the resolved policy by its dotted path (as the files spell it)."""
    return {p.path: p for p in policy.params()}


def _set(tree: dict[str, Any], path: str, leaf: dict[str, Any]) -> None:
    node = tree
    parts = path.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = leaf


def load_reform(path: Path | str) -> Reform:
    file = Path(path)
    try:
        data = yamlfile.load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"--reform: cannot read {file}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"{file}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not data.get("parameters"):
        raise PolicyError(f"{file}: parameters: missing (the values the reform changes)")
    unknown = set(data) - REFORM_KEYS
    if unknown:
        raise PolicyError(f"{file}: unknown top-level keys {sorted(unknown)}")
    document = str(data.get("document") or "")
    return Reform(
        name=str(data.get("name") or file.stem),
        description=str(data.get("description") or ""),
        document=document,
        params={
            path: raw.as_leaf()
            for path, raw in flatten_parameters(
                data["parameters"], "", str(file), document, require_clause=False
            ).items()
        },
        file=str(file),
    )


def apply_reform(base: Policy, reform: Reform) -> Policy:
    """The base policy with the reform's parameters in place, validated like any policy."""
    leaves = _leaves(base)
    tree: dict[str, Any] = {"meta": base.meta.model_dump()}
    for path, param in leaves.items():
        leaf = param.model_dump()
        leaf["value"] = param.raw  # the value as written: validation converts it again
        _set(tree, path, leaf)
    for path, leaf in reform.params.items():
        if path not in leaves:
            raise PolicyError(
                f"{reform.file}: {path}: overrides a key that the base policy does not define"
            )
        _set(tree, path, {**leaf, "file": reform.file, "path": path, "raw": leaf["value"]})
    tree["meta"]["files"] = (*base.meta.files, reform.file)
    try:
        return Policy.model_validate(tree)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if p != "value")
        raise PolicyError(f"{reform.file}: {where}: {first['msg']}") from exc


class OverlayLibrary:
    """A policy library that answers one (code, year) with the reformed policy; everything else
    comes from the base library (duck-types ``PolicyLibrary.resolve`` for the engine)."""

    def __init__(self, base_library: Any, code: str, year: int, policy: Policy) -> None:
        self.base, self.key, self.policy = base_library, (str(code), int(year)), policy
        self.regions = base_library.regions

    def resolve(self, code: str, year: int) -> Policy:
        if (str(code), int(year)) == self.key:
            return self.policy
        return self.base.resolve(code, year)  # type: ignore[no-any-return]
