"""Person categories (救助对象/身份): canonical names, aliases and the umbrella categories."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from yibao import yamlfile

DATA = Path(__file__).resolve().parent / "data" / "categories.yaml"

# The eight groups the notices track for 应保尽保 (彭水: 八类人群).
EIGHT_CATEGORIES = (
    "特困人员",
    "低保对象",
    "低保边缘家庭成员",
    "返贫致贫人口",
    "脱贫不稳定人口",
    "边缘易致贫人口",
    "突发严重困难人口",
    "稳定脱贫人口",
)


class CategoryError(ValueError):
    pass


@dataclass(frozen=True)
class Category:
    name: str
    group: str
    aliases: tuple[str, ...]
    includes: tuple[str, ...]


@functools.lru_cache(maxsize=1)
def all_categories() -> dict[str, Category]:
    rows = yamlfile.load(DATA.read_text(encoding="utf-8"))
    return {
        r["name"]: Category(
            r["name"], r["group"], tuple(r.get("aliases") or ()), tuple(r.get("includes") or ())
        )
        for r in rows
    }


@functools.lru_cache(maxsize=1)
def _alias_map() -> dict[str, str]:
    out: dict[str, str] = {}
    for cat in all_categories().values():
        out[cat.name] = cat.name
        for alias in cat.aliases:
            out[alias] = cat.name
    return out


def canonical(name: str) -> str:
    """The canonical category name for a name or alias; unknown names are an error."""
    key = str(name).strip()
    try:
        return _alias_map()[key]
    except KeyError:
        known = "、".join(all_categories())
        raise CategoryError(f"category: unknown {key!r}; known: {known}") from None


def canonical_all(names: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    seen: list[str] = []
    for name in names:
        c = canonical(name)
        if c not in seen:
            seen.append(c)
    return tuple(seen)


def matches(rule_category: str, person_category: str) -> bool:
    """Does a rule written for ``rule_category`` apply to a person of ``person_category``?"""
    rule = canonical(rule_category)
    person = canonical(person_category)
    return rule == person or person in all_categories()[rule].includes
