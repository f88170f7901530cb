"""Person categories (救助对象/身份): canonical names, aliases and the umbrella categories."""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

from yibao import yamlfile

DATA = Path(__file__).resolve().parent / "data" / "categories.yaml"


class CategoryError(ValueError):
    pass


@dataclass(frozen=True)
class Category:
    name: str
    group: str
    aliases: tuple[str, ...]
    includes: tuple[str, ...]
    # region code → "source clause": where the category may apply for 依申请救助
    application_assistance: tuple[tuple[str, str], ...] = ()


@functools.lru_cache(maxsize=1)
def all_categories() -> dict[str, Category]:
    rows = yamlfile.load(DATA.read_text(encoding="utf-8"))
    return {
        r["name"]: Category(
            r["name"],
            r["group"],
            tuple(r.get("aliases") or ()),
            tuple(r.get("includes") or ()),
            tuple(
                (str(code), f"{cite['source']} {cite['clause']}")
                for code, cite in (r.get("application_assistance") or {}).items()
            ),
        )
        for r in rows
    }


def _tracked(tag: str) -> tuple[str, ...]:
    rows = yamlfile.load(DATA.read_text(encoding="utf-8"))
    return tuple(r["name"] for r in rows if r.get("tracked") == tag)


# The eight groups the notices track for 应保尽保 (彭水: 八类人群), as data/categories.yaml tags them.
EIGHT_CATEGORIES: tuple[str, ...] = _tracked("八类人群")


def application_categories(chain: Sequence[str]) -> dict[str, str]:
    """The categories that may apply for 依申请救助 in a region (its policy chain of codes,
    national first), each with where that is said (the nearest region's citation)."""
    out: dict[str, str] = {}
    for cat in all_categories().values():
        cites = dict(cat.application_assistance)
        for code in reversed(chain):
            if code in cites:
                out[cat.name] = cites[code]
                break
    return out


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


def canonical_all(names: Sequence[str]) -> tuple[str, ...]:
    seen: list[str] = []
    for name in names:
        c = canonical(name)
        if c not in seen:
            seen.append(c)
    return tuple(seen)


def matches(rule_category: str, person_category: str) -> bool:
    """Does a rule written for ``rule_category`` apply to a person of ``person_category``?
    (A broad rule covers its narrow kinds, never the reverse: for a person tagged with an
    umbrella category use ``applicable``.)"""
    rule = canonical(rule_category)
    person = canonical(person_category)
    return rule == person or person in all_categories()[rule].includes


@dataclass(frozen=True)
class Applied:
    """One rule of a rule list that applies to a person, and through which of their tags."""

    index: int  # the rule's position in the rule list
    rule_category: str  # canonical
    person_category: str  # the person's tag (canonical) it applies through
    # An umbrella tag (防止返贫监测对象) answered by the rules of its narrow kinds, which agree:
    # those kinds. Empty when the rule is the tag's own (or a broader one's).
    through: tuple[str, ...] = ()


Indices = tuple[int, ...]


def _has(indices: Indices) -> Hashable:
    return bool(indices)


def applicable(
    rule_categories: Sequence[str],
    person_categories: Sequence[str],
    outcome: Callable[[Indices], Hashable] = _has,
    describe: Callable[[Indices], str] | None = None,
) -> tuple[Applied, ...]:
    """The rules (by position in ``rule_categories``) that apply to a person with these tags.

    A rule applies to a tag it names, or to a narrow kind of the umbrella it names
    (``matches``). A person tagged with an umbrella (防止返贫监测对象: the roster's 监测对象)
    whose narrow kinds (脱贫不稳定人口、边缘易致贫人口、突发严重困难人口) have rules of their own
    is one of those kinds, we do not know which: they get what every kind would get —
    ``outcome`` (of the rule positions that apply to a kind; default: whether any does) is the
    same for every kind — through the umbrella's own rule when it gives that outcome, else
    through the first kind's rules. Where the kinds' outcomes differ the input is refused
    (``CategoryError`` naming ``categories``, with ``describe`` of each kind's rules): the
    narrow kind must be registered. Result in rule order, each rule once (through the first
    tag it applies to)."""
    rules = [canonical(r) for r in rule_categories]
    found: dict[int, Applied] = {}
    for tag in canonical_all(person_categories):
        for applied in _for_tag(rules, tag, outcome, describe):
            found.setdefault(applied.index, applied)
    return tuple(found[i] for i in sorted(found))


def _hits(rules: Sequence[str], tag: str) -> Indices:
    return tuple(i for i, rule in enumerate(rules) if matches(rule, tag))


def _for_tag(
    rules: Sequence[str],
    tag: str,
    outcome: Callable[[Indices], Hashable],
    describe: Callable[[Indices], str] | None,
) -> list[Applied]:
    direct = _hits(rules, tag)
    kinds = all_categories()[tag].includes
    per_kind = {kind: _hits(rules, kind) for kind in kinds}
    if all(set(hits) <= set(direct) for hits in per_kind.values()):
        # Not an umbrella, or no rule names one of its kinds: the tag's own rules.
        return [Applied(i, rules[i], tag) for i in direct]
    results = {kind: outcome(hits) for kind, hits in per_kind.items()}
    agreed = set(results.values())
    if len(agreed) > 1:
        show = describe or (lambda hits: "、".join(rules[i] for i in hits) or "无")
        detail = "、".join(f"{kind} {show(hits)}" for kind, hits in per_kind.items())
        raise CategoryError(
            f"categories: {tag} 在本地按细类给予不同待遇（{detail}），"
            f"请登记具体类别（{'、'.join(kinds)}）"
        )
    if direct and outcome(direct) in agreed:
        return [Applied(i, rules[i], tag) for i in direct]
    return [Applied(i, rules[i], tag, kinds) for i in per_kind[kinds[0]]]
