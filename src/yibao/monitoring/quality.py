"""How well the rules find what was injected: per rule, precision and recall over claims."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from yibao.engine.supervision import RuleSet, run_rules


@dataclass(frozen=True)
class RuleQuality:
    rule: str
    rule_id: str
    rule_name: str
    injected: int  # claims carrying the pattern
    flagged: int  # claims the rule hit
    true_positives: int

    @property
    def precision(self) -> float | None:
        return self.true_positives / self.flagged if self.flagged else None

    @property
    def recall(self) -> float | None:
        return self.true_positives / self.injected if self.injected else None

    def to_json(self) -> dict[str, Any]:
        r = lambda v: None if v is None else round(v, 4)  # noqa: E731 - a ratio, not money
        return {
            "rule": self.rule,
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "injected": self.injected,
            "flagged": self.flagged,
            "true_positives": self.true_positives,
            "precision": r(self.precision),
            "recall": r(self.recall),
        }


def measure(
    claims: pl.DataFrame,
    details: pl.DataFrame,
    persons: pl.DataFrame,
    truth: pl.DataFrame,
    rules: RuleSet,
) -> list[RuleQuality]:
    hits = run_rules(claims, details, persons, rules)
    out = []
    for key, meta in rules.meta.items():
        flagged = set(hits.filter(pl.col("rule_id") == meta.rule_id)["setl_id"].to_list())
        injected = set(truth.filter(pl.col("pattern") == key)["setl_id"].to_list())
        out.append(
            RuleQuality(
                key,
                meta.rule_id,
                meta.rule_name,
                len(injected),
                len(flagged),
                len(flagged & injected),
            )
        )
    return out
