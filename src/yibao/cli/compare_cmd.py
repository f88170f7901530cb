"""yibao compare: policy simulation (政策仿真) — one population under a base policy and a
reform overlay; differences in fund expenditure, balance, early warnings, out-of-pocket."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import typer

from yibao.cli.output import UserError, print_json, read_parquet, user_errors


def compare_command(
    base: str = typer.Option(..., "--base", help="CODE:YEAR, e.g. 500243:2023"),
    reform: Path = typer.Option(..., "--reform", help="reform overlay YAML"),
    claims: Path | None = typer.Option(None, "--claims", help="claims Parquet (CLAIM_SCHEMA)"),
    people_file: Path | None = typer.Option(
        None,
        "--people",
        help="with --claims: the enrolled persons Parquet (psn_no, tier, categories; township)"
        "; without it the persons with claims",
    ),
    persons: int | None = typer.Option(None, "--persons", help="synthetic persons (no --claims)"),
    seed: int = typer.Option(0, "--seed"),
    db: str | None = typer.Option(
        None,
        "--db",
        help="the store's settled claims and enrolled persons of the --base region-year "
        "(database URL, as yibao db check; read only)",
    ),
    json_out: bool = typer.Option(False, "--json", help="print one JSON document"),
) -> None:
    """Compare a reform with its base on the same claims."""
    from yibao.policy import default_library
    from yibao.simulation.compare import compare
    from yibao.simulation.overlay import apply_reform, load_reform

    with user_errors():
        code, _, year_text = base.partition(":")
        if not code or not year_text.isdigit():
            raise UserError(f"--base: 应为 代码:年度（如 500243:2023），得到 {base!r}")
        year = int(year_text)
        lib = default_library()
        base_policy = lib.resolve(code, year)
        plan = load_reform(reform)
        reformed = apply_reform(base_policy, plan)
        people = None
        if people_file is not None and claims is None:
            raise UserError("--people: 只与 --claims 一起使用")
        if db is not None:
            given = [n for n, v in (("--claims", claims), ("--people", people_file),
                                    ("--persons", persons)) if v is not None]  # fmt: skip
            if given:
                raise UserError(f"--db: 不能与 {'、'.join(given)} 同时使用（库或文件，二选一）")
            table, people = _from_store(db, lib, code, year)
        elif claims is not None:
            table = read_parquet(claims, "--claims")
            if people_file is not None:
                people = _people(read_parquet(people_file, "--people"))
        elif persons is not None:
            if persons <= 0:
                raise UserError("--persons: 必须是正整数")
            from yibao.synth.county import simulate_county

            year_data = simulate_county(code, year, persons, seed, library=lib)
            table = year_data.claims
            people = year_data.contributions.select("psn_no", "tier", "categories").join(
                year_data.persons.select("psn_no", "township"), on="psn_no", how="left"
            )
        else:
            raise UserError("--claims、--persons 或 --db: 需要其一（仿真的人群）")
        result = compare(table, people, base_policy, reformed, lib, plan.name, tuple(plan.params))
    doc = {"base": f"{code}:{year}", "reform_file": str(reform), **result.to_json()}
    if json_out:
        print_json(doc)
        return
    diff = doc["difference"]
    typer.echo(f"{plan.name}（{code} {year}）")
    typer.echo(
        f"  收入变化 {diff['revenue']} 元；基金支出变化 {diff['expenditure']['fund_pay_sumamt']} 元"
    )
    typer.echo(f"  当年结余变化 {diff['balance']} 元；预警人数变化 {diff['flagged']}")


def _people(frame: pl.DataFrame) -> pl.DataFrame:
    """The enrolled population as compare reads it; township "" where the file has none."""
    missing = [c for c in ("psn_no", "tier", "categories") if c not in frame.columns]
    if missing:
        raise UserError(f"--people: 缺少列 {', '.join(missing)}")
    township = pl.col("township") if "township" in frame.columns else pl.lit("")
    return frame.select(
        "psn_no", "tier", pl.col("categories").fill_null(""), township.alias("township")
    )


def _from_store(db: str, lib: Any, region: str, year: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The --base region-year's settled claims and enrolled persons, read from the store."""
    from yibao.monitoring.store_frames import claims_frame, people_frame, read_store, scope_codes

    with read_store(db) as session:
        codes = scope_codes(session, lib, region)
        if not codes:
            raise UserError(f"--base: 库中没有 {region} 的参保人员")
        table = claims_frame(session, codes, year)
        people = people_frame(session, codes, year)
    if table.is_empty():
        raise UserError(f"--base: 库中没有 {region} {year} 年的结算")
    return table, _people(people)


def register(root: typer.Typer) -> None:
    root.command("compare")(compare_command)
