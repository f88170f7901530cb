"""yibao policy list | show | diff."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from yibao.cli.output import print_json, user_errors
from yibao.policy import default_library

app = typer.Typer(help="政策参数：列出、查看（含来源）、比较", no_args_is_help=True)


@app.command("list")
def list_(json_out: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Jurisdictions and policy years."""
    lib = default_library()
    rows = [
        {"code": r.code, "name": r.name, "level": r.level, "parent": r.parent, "years": years}
        for r, years in lib.available()
    ]
    if json_out:
        print_json({"jurisdictions": rows})
        return
    table = Table(title="yibao 政策文件")
    for col in ("代码", "名称", "层级", "上级", "年度"):
        table.add_column(col)
    for row in rows:
        table.add_row(
            row["code"],
            row["name"],
            row["level"],
            row["parent"] or "",
            ", ".join(map(str, row["years"])),
        )
    Console().print(table)


@app.command("show")
def show(
    code: str = typer.Argument(..., help="行政区划代码, e.g. 500243"),
    year: int = typer.Argument(..., help="policy year"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
    assumed_only: bool = typer.Option(False, "--assumed", help="only the assumed values"),
) -> None:
    """Every resolved value with its source and clause; assumed values are marked."""
    from yibao.policy.render import flatten_policy

    with user_errors():
        policy = default_library().resolve(code, year)
    rows = flatten_policy(policy)
    by_region = policy.assumed_counts()
    if assumed_only:
        rows = [r for r in rows if r["assumed"] or _has_assumed_rule(r)]
    if json_out:
        print_json(
            {
                "region": policy.meta.code,
                "name": policy.meta.name,
                "year": policy.meta.year,
                "chain": list(policy.meta.chain),
                "files": list(policy.meta.files),
                "coverage": {"from": policy.meta.coverage_from, "to": policy.meta.coverage_to},
                "documents": policy.meta.documents,
                "assumed_count": sum(by_region.values()),
                "assumed_by_region": by_region,
                "parameters": rows,
            }
        )
        return
    _print_table(
        f"{policy.meta.name} ({policy.meta.code}) {policy.meta.year} — {' → '.join(policy.meta.files)}",
        rows,
    )
    if assumed_only:
        Console().print(assumed_summary(by_region))


def assumed_summary(by_region: dict[str, int]) -> str:
    """假定值 12 项（000000: 3, 420000: 2, 421200: 7）"""
    parts = ", ".join(f"{code}: {n}" for code, n in by_region.items())
    return f"假定值 {sum(by_region.values())} 项（{parts}）"


def _has_assumed_rule(row: dict[str, Any]) -> bool:
    value = row["value"]
    return isinstance(value, list) and any(
        isinstance(item, dict) and item.get("assumed") for item in value
    )


def _print_table(title: str, rows: list[dict[str, Any]]) -> None:
    table = Table(title=title, show_lines=False)
    table.add_column("参数")
    table.add_column("值")
    table.add_column("来源")
    table.add_column("条款 / 说明")
    for row in rows:
        mark = "[yellow]假定[/yellow] " if row["assumed"] else ""
        table.add_row(
            row["path"],
            row["display"],
            mark + row["source"],
            row["note"] if row["assumed"] else row["clause"],
        )
    Console(width=200).print(table)


@app.command("diff")
def diff(
    code_a: str = typer.Argument(...),
    year_a: int = typer.Argument(...),
    code_b: str = typer.Argument(...),
    year_b: int = typer.Argument(...),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Parameters that differ between two jurisdiction-years."""
    with user_errors():
        lib = default_library()
        a = lib.resolve(code_a, year_a)
        b = lib.resolve(code_b, year_b)
    from yibao.policy.render import diff_policies

    changes = diff_policies(a, b)
    if json_out:
        print_json(
            {
                "a": {"region": code_a, "year": year_a},
                "b": {"region": code_b, "year": year_b},
                "changes": changes,
            }
        )
        return
    table = Table(title=f"{a.meta.name} {year_a} ↔ {b.meta.name} {year_b}")
    for col in ("参数", f"{code_a}/{year_a}", f"{code_b}/{year_b}", "来源 (后者)"):
        table.add_column(col)
    for c in changes:
        table.add_row(c["path"], c["a"], c["b"], c["source_b"])
    Console(width=200).print(table)
