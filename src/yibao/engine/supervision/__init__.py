"""智能监控: smart-monitoring rules over claims and fee details. One small pure function per
rule (its own module); parameters come from the rules file (yibao/data/monitoring_rules.yaml);
every hit has the platform's audit shape (see ``hit``)."""

from yibao.engine.supervision.hit import HIT_COLUMNS, RuleMeta, hits_to_json
from yibao.engine.supervision.ruleset import RULE_KEYS, RuleSet, run_rule, run_rules

__all__ = [
    "HIT_COLUMNS",
    "RULE_KEYS",
    "RuleMeta",
    "RuleSet",
    "hits_to_json",
    "run_rule",
    "run_rules",
]
