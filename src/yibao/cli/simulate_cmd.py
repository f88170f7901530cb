"""yibao simulate: a synthetic county year (people, enrollment, contributions, claims) as Parquet."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from yibao.cli.output import UserError, print_json, user_errors
from yibao.policy import default_library
from yibao.synth.county import TABLES, simulate_chunks
from yibao.synth.parquet import YearWriter


def simulate_command(
    region: str = typer.Option(..., "--region", help="行政区划代码, e.g. 500243"),
    year: int = typer.Option(..., "--year", help="policy (coverage) year"),
    persons: int = typer.Option(..., "--persons", help="number of residents to simulate"),
    out: Path = typer.Option(..., "--out", help="folder for the Parquet files"),
    seed: int = typer.Option(0, "--seed", help="random seed: the same seed gives the same year"),
    fee_detail: bool = typer.Option(False, "--fee-detail", help="also write 费用明细 (large)"),
    chunk: int = typer.Option(250_000, "--chunk", help="persons simulated at a time"),
    engine: str = typer.Option("local", "--engine", help="local, or spark (one chunk per task)"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """模拟一个统筹区的参保人、参保缴费和全年就医结算数据（按全国统计公报校准），写出 Parquet。"""
    start = time.perf_counter()
    counts = dict.fromkeys(TABLES, 0)
    with user_errors():
        if persons <= 0:
            raise UserError(f"persons: must be positive, got {persons}")
        if chunk <= 0:
            raise UserError(f"chunk: must be positive, got {chunk}")
        library = default_library()
        library.resolve(region, year)  # a clear error before any work
        if engine not in ("local", "spark"):
            raise UserError(f"engine: {engine!r} is not known; use --engine local or spark")
        if engine == "spark":
            from yibao.spark.simulate import simulate_spark

            sim = simulate_spark(
                region, year, persons, out, seed, chunk=chunk, fee_detail=fee_detail
            )
            if json_out:
                print_json(sim.to_json())
            else:
                Console().print(f"模拟完成 {region} {year}（seed {seed}, Spark）→ {sim.out}")
            return
        console = Console(stderr=True)
        with (
            Progress(
                TextColumn("[bold]模拟 {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                disable=json_out or persons < 100_000,
            ) as bar,
            YearWriter(out) as writer,
        ):
            task = bar.add_task(f"{region} {year}", total=persons)
            for part in simulate_chunks(
                region, year, persons, seed, chunk=chunk, fee_detail=fee_detail, library=library
            ):
                writer.write(part)
                for name, n in part.counts().items():
                    counts[name] += n
                bar.advance(task, part.persons.height)
    doc = {
        "region": region,
        "year": year,
        "seed": seed,
        "persons": persons,
        "counts": counts,
        "files": {name: str(path) for name, path in writer.paths.items()},
        "seconds": round(time.perf_counter() - start, 3),
    }
    if json_out:
        print_json(doc)
        return
    console = Console()
    console.print(f"模拟完成 {region} {year}（seed {seed}），用时 {doc['seconds']} 秒")
    for name, n in counts.items():
        if name in writer.paths:
            console.print(f"  {name:<14} {n:>12,}  {writer.paths[name]}")


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_command)
