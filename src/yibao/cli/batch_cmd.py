"""yibao batch settle: a year of claims from Parquet through the engine, then the fund statement
and the check against the national figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from yibao.batch.chunks import DEFAULT_CHUNK_ROWS
from yibao.batch.settle import BatchResult, settle_file
from yibao.cli.output import UserError, print_json, user_errors
from yibao.engine.fiscal import LEVEL_LABELS
from yibao.engine.fund import InpatientAsPaid, fund_statement
from yibao.money import format_yuan, yuan_to_fen
from yibao.policy import default_library
from yibao.synth.calibration import load_calibration
from yibao.synth.check import calibration_check

app = typer.Typer(help="批量结算（Parquet）", no_args_is_help=True)


def _as_paid(
    claims: Path, out: Path, region: str, year: int
) -> tuple[InpatientAsPaid | None, str | None]:
    """Where the region pays by DRG/DIP (drg.statement.region_method): the inpatient line as the
    fund pays it, from the batch's claims and settlements; else None. A year the DRG/DIP
    statement cannot be computed for (a code not in the table, a hospital without 成本系数)
    keeps its fund statement and says why: the settlements are written already."""
    from yibao.batch.settle import inpatient_frames
    from yibao.drg.statement import as_paid_for_year, region_method

    if region_method(region) is None:
        return None, None
    try:
        settled, inpatient = inpatient_frames(claims, out, region, year)
        return as_paid_for_year(settled, inpatient, region, year), None
    except ValueError as exc:
        return None, f"按 DRG/DIP 实际支付无法计算：{exc}"


def _statements(
    result: BatchResult,
    contributions: pl.DataFrame | None,
    opening: int | None,
    paths: tuple[Path, Path] | None = None,
) -> list[dict[str, Any]]:
    """One fund statement (and calibration check) per region and year in the claims; with
    ``paths`` (claims, settlements) the inpatient line as the fund pays it where the region
    pays by DRG/DIP."""
    if result.sums.height == 0:
        return []
    library = default_library()
    calib = load_calibration()
    docs = []
    for (region, year), sums in result.sums.group_by("insuplc_admdvs", "year", maintain_order=True):
        policy = library.resolve(str(region), int(year))
        doc: dict[str, Any] = {"region": region, "year": year}
        if contributions is not None:
            mine = contributions.filter((pl.col("admdvs") == region) & (pl.col("year") == year))
            as_paid, why = _as_paid(*paths, str(region), int(year)) if paths else (None, None)
            doc["fund_statement"] = fund_statement(
                sums, mine, policy, opening, inpatient_as_paid=as_paid
            ).to_json()
            if why:
                doc["inpatient_as_paid_error"] = why
            doc["calibration"] = [
                r.to_json() for r in calibration_check(sums, mine.height, policy, calib)
            ]
        docs.append(doc)
    return docs


def settle_command(
    claims: Path = typer.Argument(..., help="claims Parquet (CLAIM_SCHEMA, fen)"),
    out: Path = typer.Option(..., "--out", help="settlements Parquet to write"),
    engine: str = typer.Option("local", "--engine", help="local, or spark (OUT is a folder)"),
    contributions: Path | None = typer.Option(
        None, "--contributions", help="contributions Parquet (default: beside the claims)"
    ),
    opening_balance: str | None = typer.Option(
        None, "--opening-balance", help="fund balance at the start of the year (yuan)"
    ),
    accumulators: Path | None = typer.Option(None, "--accumulators", help="write final 累计"),
    chunk_rows: int = typer.Option(DEFAULT_CHUNK_ROWS, "--chunk-rows", help="claims per chunk"),
    buckets: int | None = typer.Option(None, "--buckets", help="hash buckets (unsorted input)"),
    workers: int = typer.Option(1, "--workers", help="processes settling chunks"),
    threads: int = typer.Option(2, "--threads", help="threads settling chunks (one process)"),
    as_paid: bool = typer.Option(
        True,
        "--as-paid/--no-as-paid",
        help="fund statement: inpatient expenditure as paid by DRG/DIP (where the region pays so)",
    ),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """全年批量结算：按人分块调用结算引擎，输出逐笔结算结果、基金收支表与校准核对。"""
    with user_errors():
        if engine not in ("local", "spark"):
            raise UserError(f"engine: {engine!r} is not known; use --engine local or spark")
        if not claims.exists():
            raise UserError(f"claims: {claims} does not exist")
        opening = yuan_to_fen(opening_balance, "opening_balance") if opening_balance else None
        contrib_path = contributions or claims.parent / "contributions.parquet"
        if contributions is not None and not contrib_path.exists():
            raise UserError(f"contributions: {contrib_path} does not exist")
        total = pl.scan_parquet(claims).select(pl.len()).collect().item()
        with Progress(
            TextColumn("[bold]结算"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=json_out or total < 200_000,
        ) as bar:
            task = bar.add_task("settle", total=total)
            if engine == "spark":
                from yibao.spark.settle import settle_parquet_spark

                result = settle_parquet_spark(claims, out, accumulators_path=accumulators)
                bar.advance(task, result.claims)
            else:
                result = settle_file(
                    claims,
                    out,
                    accumulators_path=accumulators,
                    chunk_rows=chunk_rows,
                    buckets=buckets,
                    workers=workers,
                    threads=threads,
                    progress=lambda n: bar.advance(task, n),
                )
        contrib = pl.read_parquet(contrib_path) if contrib_path.exists() else None
        statements = _statements(result, contrib, opening, (claims, out) if as_paid else None)
    doc = {
        "claims": result.claims,
        "persons": result.persons,
        "chunks": result.chunks,
        "seconds": round(result.seconds, 3),
        "claims_per_second": round(result.claims_per_second),
        "out": str(out),
        "years": statements,
    }
    if json_out:
        print_json(doc)
        return
    _print(doc)


def _print(doc: dict[str, Any]) -> None:
    console = Console(width=140)
    console.print(
        f"结算 {doc['claims']:,} 笔（{doc['persons']:,} 人年），{doc['chunks']} 块，"
        f"{doc['seconds']} 秒，{doc['claims_per_second']:,} 笔/秒 → {doc['out']}"
    )
    for year in doc["years"]:
        fs = year.get("fund_statement")
        if fs is None:
            continue
        table = Table(title=f"基金收支 {year['region']} {year['year']}（元）")
        table.add_column("项目")
        table.add_column("金额", justify="right")
        rev = fs["revenue"]
        table.add_row("收入合计", _yuan(rev["total"]))
        table.add_row("  个人缴费", _yuan(rev["personal_contributions"]))
        for fund, v in rev["assistance_subsidies"].items():
            table.add_row(f"  资助参保（{fund}）", _yuan(v))
        for level, v in rev["fiscal_subsidies"].items():
            table.add_row(f"  财政补助·{LEVEL_LABELS.get(level, level)}", _yuan(v))
        exp = fs["expenditure"]
        table.add_row("支出合计（基本医保+大病筹资）", _yuan(exp["total"]))
        for layer, v in exp["by_layer"].items():
            table.add_row(f"  {layer}", _yuan(v))
        for label, value in _as_paid_rows(fs.get("inpatient_as_paid"), year):
            table.add_row(label, value)
        table.add_row("当期结余", _yuan(fs["surplus"]))
        if fs["months_covered"] is not None:
            table.add_row("累计结余可支付月数", str(fs["months_covered"]))
        console.print(table)
        check = Table(title="与全国统计公报及通知目标对照")
        for col in ("指标", "模拟", "目标", "符合", "来源"):
            check.add_column(col)
        for row in year["calibration"]:
            check.add_row(
                row["metric"],
                f"{row['simulated']:.3f}",
                f"{row['target']:.3f}",
                "✓" if row["within"] else "✗",
                row["source"],
            )
        console.print(check)


def _as_paid_rows(ip: dict[str, Any] | None, year: dict[str, Any]) -> list[tuple[str, str]]:
    """The fund statement's inpatient line as the fund pays it (DRG/DIP), as table rows."""
    if year.get("inpatient_as_paid_error"):
        return [("住院基金支出（按 DRG/DIP 实际支付）", year["inpatient_as_paid_error"])]
    if ip is None:
        return []
    method = str(ip["method"]).upper()
    return [
        ("住院统筹基金支出（按结算单）", _yuan(ip["claim_level"])),
        (f"住院统筹基金支出（按 {method} 实际支付）", _yuan(ip["as_paid"])),
        (f"  按点数支付医院（点值 {ip['point_value']} 元/点）", _yuan(ip["paid_by_points"])),
        ("  未入组按项目支付", _yuan(ip["paid_by_project"])),
        ("  实际支付 − 按结算单", _yuan(ip["difference"])),
    ]


def _yuan(value: float) -> str:
    return format_yuan(round(value * 100))


def register(main: typer.Typer) -> None:
    app.command("settle")(settle_command)
    main.add_typer(app, name="batch")
