"""yibao quote: the contribution quote for a person (standard, 资助参保, personal due, fiscal
subsidy and its sharing between governments), with the sources of every value used."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from yibao.cli.output import UserError, print_json, user_errors
from yibao.engine.contribution import Quote, quote
from yibao.engine.fiscal import LEVEL_LABELS, population_shares
from yibao.money import fen_to_json, format_yuan
from yibao.policy import default_library
from yibao.policy.model import Policy


def resolve_for_quote(region: str, year: int, county: str | None) -> Policy:
    """The policy of the region, or of a county inside it (county-only rules and schemes)."""
    lib = default_library()
    if county is None:
        return lib.resolve(region, year)
    chain = [r.code for r in lib.regions.chain(county)]
    if region not in chain:
        raise UserError(f"county: {county} is not inside region {region}")
    return lib.resolve(county, year)


def quote_document(
    q: Quote, region: str, county: str | None, persons: int | None
) -> dict[str, Any]:
    doc = q.to_json()
    doc["region"] = region
    doc["county"] = county
    if persons is not None:
        if persons < 0:
            raise UserError(f"persons: must be 0 or more, got {persons}")
        groups = population_shares(
            q.fiscal_subsidy, {q.scheme.name: persons}, {q.scheme.name: q.scheme.scheme}
        )
        shares = groups[q.scheme.name]
        doc["population"] = {
            "persons": persons,
            "standard_total": fen_to_json(q.standard * persons),
            "assistance_subsidy_total": fen_to_json(q.assistance_subsidy * persons),
            "personal_due_total": fen_to_json(q.personal_due * persons),
            "fiscal_subsidy_total": fen_to_json(shares.total),
            "fiscal_shares": shares.to_json(),
        }
    return doc


def quote_command(
    region: str = typer.Option(..., "--region", help="行政区划代码, e.g. 421200"),
    year: int = typer.Option(..., "--year", help="policy (coverage) year"),
    category: list[str] = typer.Option(
        [], "--category", help="人员类别 (repeatable); none: 一般居民"
    ),
    tier: int = typer.Option(1, "--tier", help="缴费档次 1 or 2 (重庆)"),
    county: str | None = typer.Option(None, "--county", help="county code inside the region"),
    scheme: str | None = typer.Option(None, "--scheme", help="fiscal sharing scheme by name"),
    student: str | None = typer.Option(None, "--student", help="省属高校 | 市属高校"),
    persons: int | None = typer.Option(None, "--persons", help="also sum for N such persons"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """参保缴费测算：个人缴费标准、资助参保金额、个人应缴、财政补助及各级分担。"""
    with user_errors():
        policy = resolve_for_quote(region, year, county)
        q = quote(policy, category, str(tier), scheme=scheme, student=student)
        doc = quote_document(q, region, county, persons)
    if json_out:
        print_json(doc)
        return
    _print(q, doc)


def _print(q: Quote, doc: dict[str, Any]) -> None:
    title = f"{doc['region']}{'/' + doc['county'] if doc['county'] else ''} {q.year} 第{q.tier}档"
    table = Table(title=f"参保缴费测算 {title}（{'、'.join(q.categories)}）")
    table.add_column("项目")
    table.add_column("金额（元）", justify="right")
    table.add_row("个人缴费标准", format_yuan(q.standard))
    table.add_row(f"资助参保（{q.applied_category or '无'}）", format_yuan(q.assistance_subsidy))
    table.add_row("个人应缴", format_yuan(q.personal_due))
    table.add_row(f"财政补助（{q.scheme.name}）", format_yuan(q.fiscal_subsidy))
    for level, amount in q.fiscal_shares.as_dict().items():
        table.add_row(f"  {LEVEL_LABELS[level]}", format_yuan(amount))
    console = Console(width=160)
    console.print(table)
    for c in q.sources:
        mark = "[yellow]假定[/yellow] " if c.assumed else ""
        console.print(f"  {mark}{c.item}: {c.value} — {c.source} {c.clause} {c.note}".rstrip())


def register(app: typer.Typer) -> None:
    app.command("quote")(quote_command)
