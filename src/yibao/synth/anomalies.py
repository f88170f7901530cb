"""Inject each smart-monitoring violation pattern into clean claims and fee details at a known
rate, and say exactly where (the ground truth the rules are measured against).

``inject(claims, details, persons, rate, seed)`` picks, for each pattern, ``round(rate × number
of claims)`` distinct claims (or persons) that can carry it, changes them the way the violation
looks in real data (monitoring-rules.md), and returns the new tables plus a truth table with one
row per injected claim: ``pattern`` (the rule key), ``setl_id``, ``psn_no``. Claims' totals are
recomputed from their lines, so medfee_sumamt always equals the sum of the fee details.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from yibao.monitoring.clean_sample import ITEMS

PATTERNS = (
    "bed_hogging",
    "split_admission",
    "outpatient_during_stay",
    "duplicate_charge",
    "over_supply",
    "restricted_sex",
    "restricted_age",
    "low_standard_admission",
    "over_examination",
)
TRUTH_SCHEMA = {"pattern": pl.String, "setl_id": pl.String, "psn_no": pl.String}
IDLE_TYPES = ("床位", "护理", "诊察")
# monitoring_rules.yaml over_examination: peer groups below min_peer_claims are not judged, so an
# exam-heavy stay is injected only where its group is that large; its exams are then above the
# rule's min_exam_share (0.5) and twice the clean groups' medians (about 0.2).
PEER_GROUP_MIN = 20
EXAM_HEAVY_SHARE_BP = 6_500
EXAM_HEAVY_ITEMS = ("IMG002", "IMG005", "LAB100")  # ultrasounds and blood counts, not CT/MRI


class _State:
    """The tables as Python rows while patterns are injected (small sets of claims change)."""

    def __init__(self, claims: pl.DataFrame, details: pl.DataFrame, persons: pl.DataFrame) -> None:
        self.claims = {r["setl_id"]: r for r in claims.to_dicts()}
        self.lines: dict[str, list[dict[str, Any]]] = {}
        for line in details.sort("setl_id", "line_no").to_dicts():
            self.lines.setdefault(line["setl_id"], []).append(line)
        self.persons = {r["psn_no"]: r for r in persons.to_dicts()}
        self.by_person: dict[str, list[str]] = {}
        for sid, c in self.claims.items():
            self.by_person.setdefault(c["psn_no"], []).append(sid)
        self.used: set[str] = set()
        self.used_persons: set[str] = set()
        self.counter = 0
        self.truth: list[dict[str, str]] = []
        self._peers: dict[tuple[str, str], int] | None = None

    def new_id(self) -> str:
        self.counter += 1
        return f"X{self.counter:07d}"

    def add_claim(self, claim: dict[str, Any], lines: list[dict[str, Any]]) -> None:
        self.claims[claim["setl_id"]] = claim
        self.lines[claim["setl_id"]] = lines
        self.by_person.setdefault(claim["psn_no"], []).append(claim["setl_id"])
        self.used.add(claim["setl_id"])
        self.retotal(claim["setl_id"])

    def retotal(self, sid: str) -> None:
        lines = self.lines.get(sid, [])
        for no, line in enumerate(lines, start=1):
            line["setl_id"], line["line_no"] = sid, no
        c = self.claims[sid]
        c["medfee_sumamt"] = sum(int(line["amount"]) for line in lines)
        own = c["fulamt_ownpay_amt"] + c["overlmt_selfpay"] + c["preselfpay_amt"]
        if own > c["medfee_sumamt"]:
            c["fulamt_ownpay_amt"] = c["overlmt_selfpay"] = c["preselfpay_amt"] = 0

    def mark(self, pattern: str, sid: str) -> None:
        self.used.add(sid)
        self.used_persons.add(self.claims[sid]["psn_no"])
        self.truth.append(
            {"pattern": pattern, "setl_id": sid, "psn_no": self.claims[sid]["psn_no"]}
        )

    def peer_count(self, sid: str) -> int:
        """Inpatient claims of the same hospital level and ICD-10 category as this one (the
        counts of the clean tables: injections move them by a few claims at most)."""
        if self._peers is None:
            self._peers = {}
            for c in self.claims.values():
                if c["med_type"] == "21":
                    key = (c["hosp_lv"], c["dise_codg"][:3])
                    self._peers[key] = self._peers.get(key, 0) + 1
        c = self.claims[sid]
        return self._peers.get((c["hosp_lv"], c["dise_codg"][:3]), 0)

    def person_days(self, psn_no: str) -> list[tuple[dt.date, dt.date]]:
        return [
            (self.claims[s]["begndate"], self.claims[s]["enddate"]) for s in self.by_person[psn_no]
        ]


def _line(code: str, day: dt.date, qty: int, days_supply: int | None = None) -> dict[str, Any]:
    name, kind, level, price = ITEMS[code]
    return {
        "setl_id": "",
        "line_no": 0,
        "item_code": code,
        "item_name": name,
        "item_type": kind,
        "chrgitm_lv": level,
        "date": day,
        "qty": float(qty),
        "price": price,
        "amount": price * qty,
        "days_supply": days_supply,
    }


def _stay(c: dict[str, Any]) -> int:
    return max(1, (c["enddate"] - c["begndate"]).days)


def _age(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# ---------------------------------------------------------------- one function per pattern
def _bed_hogging(s: _State, sid: str, rng: np.random.Generator) -> None:
    """Remove every drug/exam/treatment line on 60 % of the stay's days: only bed and nursing."""
    c = s.claims[sid]
    days = [c["begndate"] + dt.timedelta(days=d) for d in range(_stay(c))]
    idle = set(rng.choice(len(days), math.ceil(len(days) * 0.6), replace=False).tolist())
    idle_days = {days[i] for i in idle}
    s.lines[sid] = [
        ln for ln in s.lines[sid] if ln["date"] not in idle_days or ln["item_type"] in IDLE_TYPES
    ]
    s.retotal(sid)


def _split_admission(s: _State, sid: str, rng: np.random.Generator) -> str:
    """Discharge mid-stay and readmit 1–3 days later for the same diagnosis."""
    c = s.claims[sid]
    cut = c["begndate"] + dt.timedelta(days=_stay(c) // 2)
    gap = dt.timedelta(days=int(rng.integers(1, 4)))
    first = [ln for ln in s.lines[sid] if ln["date"] < cut]
    second = [dict(ln, date=ln["date"] + gap) for ln in s.lines[sid] if ln["date"] >= cut]
    s.lines[sid] = first
    new = dict(c, setl_id=s.new_id(), begndate=cut + gap, enddate=c["enddate"] + gap)
    new["setl_time"] = dt.datetime.combine(new["enddate"], dt.time(10))
    c["enddate"] = cut
    c["setl_time"] = dt.datetime.combine(cut, dt.time(10))
    s.retotal(sid)
    s.add_claim(new, second)
    return str(new["setl_id"])


def _outpatient_during_stay(s: _State, sid: str, rng: np.random.Generator) -> str:
    """An outpatient settlement on a day strictly inside the stay."""
    c = s.claims[sid]
    day = c["begndate"] + dt.timedelta(days=int(rng.integers(1, _stay(c))))
    new = dict(
        c,
        setl_id=s.new_id(),
        med_type="11",
        hosp_lv="08",
        fixmedins_code="H-OUTPATIENT",
        dise_codg="J06.9",
        begndate=day,
        enddate=day,
        setl_time=dt.datetime.combine(day, dt.time(15)),
    )
    s.add_claim(new, [_line("CON002", day, 1), _line("IMG002", day, 1)])
    return str(new["setl_id"])


def _duplicate_charge(s: _State, sid: str, rng: np.random.Generator) -> None:
    """A second bed-day charge on one day (daily limit 1), or a sub-item billed beside its
    package (白细胞计数 with 血常规)."""
    lines = s.lines[sid]
    packages = [ln for ln in lines if ln["item_code"] == "LAB100"]
    beds = [ln for ln in lines if ln["item_code"] == "BED001"]
    if packages and (not beds or rng.random() < 0.5):
        lines.append(_line("LAB101", packages[0]["date"], 1))
    else:
        lines.append(_line("BED001", beds[int(rng.integers(0, len(beds)))]["date"], 1))
    s.retotal(sid)


def _over_supply(s: _State, sid: str, rng: np.random.Generator) -> None:
    """A general-outpatient drug dispensed for 15–30 days (limit 7)."""
    line = next(ln for ln in s.lines[sid] if ln["item_type"] == "药品" and ln["days_supply"])
    days = int(rng.integers(15, 31))
    line.update(days_supply=days, qty=float(days), amount=line["price"] * days)
    s.retotal(sid)


def _restricted_sex(s: _State, sid: str, rng: np.random.Generator) -> None:
    c = s.claims[sid]
    sex = s.persons[c["psn_no"]]["sex"]
    s.lines[sid].append(_line("SEXM01" if sex == "2" else "SEXF01", c["begndate"], 1))
    s.retotal(sid)


def _restricted_age(s: _State, sid: str, rng: np.random.Generator) -> None:
    c = s.claims[sid]
    age = _age(s.persons[c["psn_no"]]["birth_date"], c["begndate"])
    item = ("AGE003", 1, None) if age < 60 else ("AGE002", 3, 3)
    s.lines[sid].append(_line(item[0], c["begndate"], item[1], item[2]))
    s.retotal(sid)


def _low_standard_admission(s: _State, psn_no: str, rng: np.random.Generator) -> str | None:
    """A two-day stay for a cold, made of exams: a person with no claim within 20 days."""
    busy = s.person_days(psn_no)
    template = s.claims[s.by_person[psn_no][0]]
    year = template["begndate"].year
    for _ in range(10):
        begin = dt.date(year, 1, 1) + dt.timedelta(days=int(rng.integers(20, 330)))
        end = begin + dt.timedelta(days=2)
        if all(
            e < begin - dt.timedelta(days=20) or b > end + dt.timedelta(days=20) for b, e in busy
        ):
            break
    else:
        return None
    new = dict(
        template,
        setl_id=s.new_id(),
        med_type="21",
        hosp_lv="06",
        fixmedins_code="H-LOWSTD",
        dise_codg="J06.9",
        begndate=begin,
        enddate=end,
        setl_time=dt.datetime.combine(end, dt.time(10)),
        fulamt_ownpay_amt=0,
        overlmt_selfpay=0,
        preselfpay_amt=0,
    )
    lines = [_line("BED001", begin + dt.timedelta(days=d), 1) for d in range(2)]
    lines += [_line("CON001", begin, 1), _line("LAB100", begin, 1), _line("IMG001", begin, 1)]
    lines += [_line("IMG002", begin + dt.timedelta(days=1), 1)]
    s.add_claim(new, lines)
    return str(new["setl_id"])


def _exam_share_bp(lines: list[dict[str, Any]]) -> int:
    total = sum(int(ln["amount"]) for ln in lines)
    exams = sum(int(ln["amount"]) for ln in lines if ln["item_type"] == "检查")
    return exams * 10_000 // total if total else 0


def _over_examination(s: _State, sid: str, rng: np.random.Generator) -> None:
    """The admission chest CT done again 1–7 days later in the same stay (a repeated
    large-equipment exam); or, half the time where the peer group is judged, ultrasounds and
    blood counts day after day until exams are two thirds of the claim (far above peers)."""
    c = s.claims[sid]
    lines = s.lines[sid]
    if s.peer_count(sid) < PEER_GROUP_MIN or rng.random() < 0.5:
        ct = next(ln for ln in lines if ln["item_code"] == "IMG001")
        day = ct["date"] + dt.timedelta(days=int(rng.integers(1, min(_stay(c), 8))))
        lines.append(_line("IMG001", day, 1))
    else:
        billed = {(ln["item_code"], ln["date"]) for ln in lines}
        days = [c["begndate"] + dt.timedelta(days=d) for d in range(_stay(c))]
        for day, code in ((d, k) for d in days for k in EXAM_HEAVY_ITEMS):
            if _exam_share_bp(lines) >= EXAM_HEAVY_SHARE_BP:
                break
            if (code, day) not in billed:  # one a day: not 重复收费
                lines.append(_line(code, day, 1))
    s.retotal(sid)


# ---------------------------------------------------------------- candidates and driver
def _candidates(s: _State, pattern: str) -> list[str]:
    """Claims (or, for low_standard_admission, persons) that can carry the pattern."""
    inpatient = [k for k, c in s.claims.items() if c["med_type"] == "21"]
    visits = [k for k, c in s.claims.items() if c["med_type"] == "11"]
    if pattern == "bed_hogging":
        return [k for k in inpatient if _stay(s.claims[k]) >= 4]
    if pattern == "split_admission":
        return [k for k in inpatient if _stay(s.claims[k]) >= 6]
    if pattern == "outpatient_during_stay":
        return [k for k in inpatient if _stay(s.claims[k]) >= 3]
    if pattern == "duplicate_charge":
        return [
            k
            for k in inpatient + visits
            if any(ln["item_code"] in ("LAB100", "BED001") for ln in s.lines.get(k, []))
        ]
    if pattern == "over_supply":
        return [k for k in visits if _last_dispensing(s, k)]
    if pattern in ("restricted_sex", "restricted_age"):
        return visits
    if pattern == "low_standard_admission":
        return sorted(s.by_person)
    if pattern == "over_examination":
        return [
            k
            for k in inpatient
            if _stay(s.claims[k]) >= 4
            and any(ln["item_code"] == "IMG001" for ln in s.lines.get(k, []))
        ]
    raise ValueError(f"pattern: unknown {pattern!r}; known: {', '.join(PATTERNS)}")


def _last_dispensing(s: _State, sid: str) -> bool:
    """A visit whose drug this person is not given again later (so a longer supply cannot
    make a later, clean dispensing look early)."""
    c = s.claims[sid]
    drugs = {ln["item_code"] for ln in s.lines.get(sid, []) if ln["days_supply"]}
    if not drugs:
        return False
    for other in s.by_person[c["psn_no"]]:
        later = other != sid and s.claims[other]["begndate"] >= c["begndate"]
        if later and drugs & {ln["item_code"] for ln in s.lines.get(other, [])}:
            return False
    return True


_INJECT: dict[str, Callable[[_State, str, np.random.Generator], str | None]] = {
    "bed_hogging": lambda s, k, r: (_bed_hogging(s, k, r), k)[1],
    "split_admission": _split_admission,
    "outpatient_during_stay": _outpatient_during_stay,
    "duplicate_charge": lambda s, k, r: (_duplicate_charge(s, k, r), k)[1],
    "over_supply": lambda s, k, r: (_over_supply(s, k, r), k)[1],
    "restricted_sex": lambda s, k, r: (_restricted_sex(s, k, r), k)[1],
    "restricted_age": lambda s, k, r: (_restricted_age(s, k, r), k)[1],
    "low_standard_admission": _low_standard_admission,
    "over_examination": lambda s, k, r: (_over_examination(s, k, r), k)[1],
}


def inject(
    claims: pl.DataFrame,
    details: pl.DataFrame,
    persons: pl.DataFrame,
    rate: float = 0.01,
    seed: int = 7,
    patterns: tuple[str, ...] = PATTERNS,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(claims, details, truth): each pattern injected into round(rate × claims) claims."""
    if not 0 < rate < 1:
        raise ValueError(f"rate: must be between 0 and 1, got {rate}")
    rng = np.random.default_rng(seed)
    s = _State(claims, details, persons)
    want = max(1, round(rate * claims.height))
    for pattern in patterns:
        pool = sorted(set(_candidates(s, pattern)) - s.used)
        if pattern == "low_standard_admission":
            pool = sorted(set(pool) - s.used_persons)
        else:
            # One injected pattern per person, so patterns cannot set each other off.
            pool = [k for k in pool if s.claims[k]["psn_no"] not in s.used_persons]
        order = rng.permutation(len(pool))
        done = 0
        for i in order:
            if done == want:
                break
            hit = _INJECT[pattern](s, pool[int(i)], rng)
            if hit is None:
                continue
            s.mark(pattern, hit)
            done += 1
    schema_claims = claims.schema
    out_claims = pl.DataFrame(list(s.claims.values()), schema=schema_claims).sort("setl_id")
    out_lines = [ln for sid in sorted(s.lines) for ln in s.lines[sid]]
    out_details = pl.DataFrame(out_lines, schema=details.schema)
    truth = pl.DataFrame(s.truth, schema=TRUTH_SCHEMA)
    return out_claims, out_details, truth
