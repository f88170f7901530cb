"""yibao compare: policy simulation (政策仿真) — one population under a base policy and a
reform overlay; differences in fund expenditure, balance, early warnings, out-of-pocket."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import typer

from yibao.cli.output import UserError, print_json, user_errors


def compare_command(
    base: str = typer.Option(..., "--base", help="CODE:YEAR, e.g. 500243:2023"),
    reform: Path = typer.Option(..., "--reform", help="reform overlay YAML"),
    claims: Path | None = typer.Option(None, "--claims", help="claims Parquet (CLAIM_SCHEMA)"),
    persons: int | None = typer.Option(None, "--persons", help="synthetic persons (no --claims)"),
    seed: int = typer.Option(0, "--seed"),
    json_out: bool = typer.Option(False, "--json", help="print one JSON document"),
) -> None:
    """Compare a reform with its base on the same claims."""
    from yibao.policy import default_library
    from yibao.simulation.compare import compare
    from yibao.simulation.overlay import apply_reform, load_reform

    with user_errors():
        code, _, year_text = base.partition(":")
        if not code or not year_text.isdigit():
            raise UserError(f"--base: expected CODE:YEAR, got {base!r}")
        year = int(year_text)
        lib = default_library()
        base_policy = lib.resolve(code, year)
        plan = load_reform(reform)
        reformed = apply_reform(base_policy, plan)
        people = None
        if claims is not None:
            if not claims.exists():
                raise UserError(f"--claims: no such file {claims}")
            table = pl.read_parquet(claims)
        elif persons is not None:
            if persons <= 0:
                raise UserError("--persons: must be positive")
            from yibao.synth.county import simulate_county

            year_data = simulate_county(code, year, persons, seed, library=lib)
            table = year_data.claims
            people = year_data.contributions.select("psn_no", "tier", "categories").join(
                year_data.persons.select("psn_no", "township"), on="psn_no", how="left"
            )
        else:
            raise UserError("--claims or --persons: one is needed (the population to run)")
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


def register(root: typer.Typer) -> None:
    root.command("compare")(compare_command)
