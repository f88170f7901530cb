"""The person-year running totals (累计), defined once.

Every layer with a yearly deductible, cap or segments reads a running total of the person-year
and each claim adds to it. ``RunningTotals`` is that list, one field per total, and its field
metadata says what each total is: the slot it is kept per (``cap``: per 限额组, the basic
fund's yearly cap shared by pools; ``pool``: per 待遇类别, the yearly deductible; ``person_year``:
one per person-year), the ``StepResult`` field a claim adds to it, and its Chinese name.

Everything else follows from this one definition: the engine's per-claim state and per-slot
arrays (``RunningTotals`` of int64 arrays), the claim-level ``Accumulators`` (maps by name for
the keyed totals, integers for the rest), the columns of the settled frame (``<name>_delta``
where the increment is not a payment), the store's ``accumulators`` columns and their order.
A new total (a 倾斜 counter, say) is a new field here, its arithmetic in
``settlement_layers.layer_chain``, and a migration adding its column.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

Slot = Literal["cap", "pool", "person_year"]
K = TypeVar("K")  # a keyed total's value: an array per slot, or a map by cap group / pool name
S = TypeVar("S")  # a person-year total's value: an array, or an int


def _meta(slot: Slot, increment: str, label: str) -> dict[str, str]:
    return {"slot": slot, "increment": increment, "label": label}


@dataclass(frozen=True)
class RunningTotals(Generic[K, S]):
    """One value per running total (fen)."""

    pool_paid: K = field(metadata=_meta("cap", "hifp_pay", "统筹基金本年已支付（按限额组）"))
    deductible_used: K = field(
        metadata=_meta("pool", "deductible_used_delta", "本年已累计起付线（按待遇类别）")
    )
    critical_eligible: S = field(
        metadata=_meta("person_year", "critical_eligible_delta", "大病保险本年合规费用累计")
    )
    critical_paid: S = field(metadata=_meta("person_year", "hifmi_pay", "大病保险本年已支付"))
    assistance_eligible: S = field(
        metadata=_meta("person_year", "assistance_eligible_delta", "医疗救助本年救助基数累计")
    )
    assistance_paid: S = field(metadata=_meta("person_year", "maf_pay", "医疗救助本年已支付"))


@dataclass(frozen=True)
class RunningTotal:
    """What one running total is (from ``RunningTotals``' field metadata)."""

    name: str
    slot: Slot
    increment: str  # the StepResult field a claim adds to it
    label: str

    @property
    def keyed(self) -> bool:
        """Kept per cap group or pool (a map by name in ``Accumulators``)."""
        return self.slot != "person_year"


TOTALS: tuple[RunningTotal, ...] = tuple(
    RunningTotal(f.name, f.metadata["slot"], f.metadata["increment"], f.metadata["label"])
    for f in dataclasses.fields(RunningTotals)
)
NAMES: tuple[str, ...] = tuple(t.name for t in TOTALS)
KEYED: tuple[str, ...] = tuple(t.name for t in TOTALS if t.keyed)
SCALARS: tuple[str, ...] = tuple(t.name for t in TOTALS if not t.keyed)
BY_NAME: Mapping[str, RunningTotal] = {t.name: t for t in TOTALS}
# The settled frame's column for what a claim added to a total that is not itself a payment.
DELTA_COLUMNS: tuple[str, ...] = tuple(
    t.increment for t in TOTALS if t.increment.endswith("_delta")
)


def empty_values() -> dict[str, Any]:
    """Every total at zero, as plain values: {} for the keyed ones, 0 for the others."""
    return {t.name: ({} if t.keyed else 0) for t in TOTALS}
