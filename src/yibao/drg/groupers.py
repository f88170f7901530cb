"""The grouper a DRG or DIP run uses: the method's table (a shipped version or a bureau's
folder) bound to its grouping function, for the CLI, the statements and the console."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def grouper_for(method: str, version: str | None, table: Path | None) -> Any:
    """(the grouping function, the table's version, each DRG's plain group or None) of the
    method's version: shipped, or the folder of a table a bureau gives."""
    if method == "drg":
        from yibao.drg.grouping import group_case
        from yibao.drg.tables import load_drg_table, shipped_table

        t = load_drg_table(table) if table else shipped_table(version or "CHS-DRG 1.1")
        return (lambda case: group_case(case, t)), t.version, plain_groups(t).get
    from yibao.drg.dip import group_dip, load_dip_table, shipped_dip_table

    d = load_dip_table(table) if table else shipped_dip_table(version or "DIP 421200 2022")
    return (lambda case: group_dip(case, d)), d.version, lambda _: None


def plain_groups(table: Any) -> dict[str, str]:
    """Each DRG → its ADRG's group without complications (severity any), for 高套分组."""
    out = {}
    for rules in table.drgs.values():
        plain = next((r.drg for r in rules if r.severity == "any"), None)
        if plain:
            out.update({r.drg: plain for r in rules})
    return out
