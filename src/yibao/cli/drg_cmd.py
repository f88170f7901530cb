"""yibao drg: CHS-DRG grouping and the hospitals' year on points (issue 18). ``yibao dip`` is the
same commands on the DIP 目录库 (cli/dip_cmd.py builds its app from build_app("dip"))."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer

from yibao.cli.output import UserError, print_json, user_errors
from yibao.drg.groupers import grouper_for


def _read_json(source: str) -> Any:
    text = sys.stdin.read() if source == "-" else None
    if text is None:
        path = Path(source)
        if not path.exists():
            raise UserError(f"CASE: 文件 {source} 不存在")
        text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"CASE: 不是合法的 JSON（第 {exc.lineno} 行）") from exc


def group_on_spark(
    rows: Any, method: str, version: str | None, table: Path | None, partitions: int = 4
) -> Any:
    """The cases grouped on Spark: each partition runs the same engine (payment.group_frame)
    through mapInArrow; the groups come back to the driver, which prices and settles the year
    (the group averages and the 点值 need all the cases)."""
    import polars as pl
    import pyarrow as pa

    from yibao.drg.payment import GROUP_SCHEMA, REQUIRED, group_frame
    from yibao.spark.session import get_session

    spark = get_session()
    wanted = [c for c in (*REQUIRED, "age_days", "weight") if c in rows.columns]
    source = spark.createDataFrame(rows.select(wanted).to_arrow()).repartition(partitions)
    table_path = str(table) if table is not None else None
    out_schema = ", ".join(f"{name} string" for name in GROUP_SCHEMA)

    def body(batches: Any) -> Any:
        grouper, _, _ = grouper_for(method, version, Path(table_path) if table_path else None)
        for batch in batches:
            frame = pl.from_arrow(pa.Table.from_batches([batch]))
            assert isinstance(frame, pl.DataFrame)
            yield from group_frame(frame, grouper).to_arrow().to_batches()

    result = source.mapInArrow(body, out_schema).toArrow()
    return pl.from_arrow(result)


def build_app(method: str) -> typer.Typer:
    label = "CHS-DRG" if method == "drg" else "DIP"
    app = typer.Typer(help=f"{label} 分组与按点数结算", no_args_is_help=True)

    @app.command("group")
    def group_command(
        case: str = typer.Argument(
            ..., help="case JSON file, or - for stdin (an object or a list)"
        ),
        version: str | None = typer.Option(None, "--version", help="grouping version"),
        table: Path | None = typer.Option(None, "--table", help="folder of a full official table"),
        region: str | None = typer.Option(None, "--region", help="the region's version in --year"),
        year: int | None = typer.Option(None, "--year", help="year (with --region)"),
        json_out: bool = typer.Option(False, "--json", help="print JSON"),
    ) -> None:
        """分组：主诊断、主要手术/操作 → MDC / ADRG / DRG（DIP：核心病种 / 综合病种），附分组路径。"""
        from yibao.drg.case import parse_case

        with user_errors():
            doc = _read_json(case)
            if region is not None and version is None and table is None:
                from yibao.drg.params import payment_params

                if year is None:
                    raise UserError("year: 用 --region 选分组版本时须给出 --year")
                version = payment_params(region, method).table_for(year)
            grouper, used, _ = grouper_for(method, version, table)
            many = isinstance(doc, list)
            results = []
            for i, item in enumerate(doc if many else [doc]):
                if not isinstance(item, dict):
                    raise UserError(
                        f"CASE[{i}]: 病例应为 JSON 对象" if many else "CASE: 病例应为 JSON 对象"
                    )
                default = str(i) if many else ""
                results.append(grouper(parse_case(item, str(item.get("case_id", default)))))
            out = [{"version": used, **r.to_json()} for r in results]
            if json_out:
                print_json(out if many else out[0])
                return
            for r in out:
                typer.echo(
                    f"{r['case_id'] or '病例'}: {r['status']} {r['mdc'] or ''} {r['adrg'] or ''} {r['drg'] or ''} {r['name']}"
                )
                for line in r["trace"]:
                    typer.echo(f"  {line}")

    @app.command("settle")
    def settle_command(
        settled: Path = typer.Argument(..., help="settlements Parquet (yibao batch settle --out)"),
        region: str = typer.Option(..., "--region", help="统筹区 code"),
        year: int = typer.Option(..., "--year", help="year"),
        budget: str | None = typer.Option(
            None, "--budget", help="the fund's budget for these cases (yuan)"
        ),
        bands: bool = typer.Option(False, "--bands", help="apply 结余留用/超支分担 bands"),
        claims: Path | None = typer.Option(
            None, "--claims", help="claims Parquet (default: beside SETTLED)"
        ),
        cases: Path | None = typer.Option(None, "--cases", help="cases Parquet joined on setl_id"),
        provisional: str | None = typer.Option(
            None, "--provisional-point-value", help="月度预结算点值 (yuan)"
        ),
        version: str | None = typer.Option(None, "--version", help="grouping version"),
        table: Path | None = typer.Option(None, "--table", help="folder of a full official table"),
        excel: Path | None = typer.Option(
            None, "--excel", help="write the hospitals' statement (.xlsx)"
        ),
        engine: str = typer.Option(
            "local", "--engine", help="local, or spark (grouping per partition)"
        ),
        json_out: bool = typer.Option(False, "--json", help="print JSON"),
    ) -> None:
        """年终清算：点值 = 预算 ÷ 总点数；各医院点数、支付、盈亏（对比按项目）、月度预结算。"""
        from yibao.drg.params import payment_params
        from yibao.drg.payment import pay_year
        from yibao.money import to_decimal, yuan_to_fen

        with user_errors():
            params = payment_params(region, method)
            budget_fen = yuan_to_fen(budget, "budget") if budget is not None else None
            pv = to_decimal(provisional, "provisional_point_value") * 100 if provisional else None
            rows, cases_source = read_rows(settled, region, year, claims, cases)
            grouper, used, plain = grouper_for(
                method, version or (params.table_for(year) if table is None else None), table
            )
            if engine not in ("local", "spark"):
                raise UserError(f"engine: {engine!r} is not known; use --engine local or spark")
            grouped = None
            if engine == "spark":
                grouped = group_on_spark(
                    rows,
                    method,
                    version or (params.table_for(year) if table is None else None),
                    table,
                )
            result = pay_year(
                rows, grouper, params, budget_fen=budget_fen, bands=bands,
                provisional_fen_per_point=Decimal(pv) if pv is not None else None, plain_group=plain,
                grouped=grouped,
            )  # fmt: skip
            doc = {"region": region, "year": year, "method": method, "version": used,
                   "cases_source": cases_source, **result.to_json()}  # fmt: skip
            if excel is not None:
                from yibao.drg.statement_excel import write_statement

                write_statement(excel, doc)
            if json_out:
                print_json(doc)
                return
            typer.echo(
                f"点值 {doc['point_value']} 元/点，总点数 {doc['total_points']}，医院 {len(doc['hospitals'])} 家"
            )
            for h in doc["hospitals"]:
                typer.echo(
                    f"  {h['fixmedins_code']}: {h['cases']} 例 {h['points']} 点 支付 {h['payment']} 盈亏 {h['gain_loss']}"
                )

    @app.command("cases")
    def cases_command(
        claims: Path = typer.Argument(..., help="claims Parquet (CLAIM_SCHEMA)"),
        out: Path = typer.Option(..., "--out", help="cases Parquet to write"),
        json_out: bool = typer.Option(False, "--json", help="print JSON"),
    ) -> None:
        """病案首页病例（主诊断、手术、住院天数、离院方式）：取自就诊的病案首页字段，无则按假定分布合成；供 settle --cases 使用。"""
        import polars as pl

        from yibao.drg.claim_cases import case_frame

        with user_errors():
            if not claims.exists():
                raise UserError(f"claims: {claims} 不存在")
            frame, source = case_frame(pl.read_parquet(claims))
            tmp = out.with_suffix(out.suffix + ".tmp")
            frame.write_parquet(tmp)
            tmp.replace(out)
            doc = {"cases": frame.height, "out": str(out), "cases_source": source}
            print_json(doc) if json_out else typer.echo(f"{frame.height} cases ({source}) → {out}")

    _ = (group_command, settle_command, cases_command)
    return app


def read_rows(
    settled: Path, region: str, year: int, claims: Path | None, cases: Path | None
) -> tuple[Any, str]:
    """The region-year's covered inpatient settlements joined with their claims (hospital,
    level, month) and their cases: from --cases, else cases.parquet beside SETTLED, else the
    claims' own 病案首页 columns, else derived by yibao.synth.cases (drg.claim_cases)."""
    import polars as pl

    from yibao.batch.settle import inpatient_frames
    from yibao.drg.claim_cases import with_cases
    from yibao.drg.statement import settled_inpatient

    if not settled.exists():
        raise UserError(f"SETTLED: {settled} 不存在")
    claims_path = claims or settled.parent / "claims.parquet"
    if not claims_path.exists():
        raise UserError(f"claims: {claims_path} 不存在（用 --claims 指定结算对应的就诊 Parquet）")
    settlements, inpatient = inpatient_frames(claims_path, settled, region, year)
    frame = settled_inpatient(settlements, inpatient, region, year)
    if frame.height == 0:
        raise UserError(f"SETTLED: {region} {year} 年没有已结算的住院（21）病例")
    path = cases or settled.parent / "cases.parquet"
    if cases is not None or path.exists():
        if not path.exists():
            raise UserError(f"cases: {path} 不存在")
        joined, source = with_cases(frame, pl.read_parquet(path), str(path))
    else:
        joined, source = with_cases(frame)
    lacking = joined.filter(pl.col("diagnoses").is_null())
    if lacking.height:
        raise UserError(
            f"病例 {lacking['setl_id'][0]}: diagnoses: 没有病案首页（cases 中无此 setl_id）"
        )
    return joined.with_columns(pl.col("setl_time").dt.month().alias("month")), source


def register(main: typer.Typer) -> None:
    main.add_typer(build_app("drg"), name="drg")
