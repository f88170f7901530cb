"""yibao demo: the main job. A synthetic county year end to end on the embedded SQLite store,
then the API and the console."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from yibao.cli.output import print_json, user_errors
from yibao.engine.fiscal import LEVEL_LABELS
from yibao.money import fen_to_yuan
from yibao.policy import default_library
from yibao.store.db import make_engine
from yibao.store.migrate import upgrade

DEFAULT_DB = Path("var/demo.sqlite")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    region: str = typer.Option("500243", help="行政区划代码 (default 彭水县)"),
    year: int = typer.Option(2023, help="policy year"),
    persons: int = typer.Option(50_000, min=1, help="synthetic insured persons"),
    seed: int = typer.Option(1, help="random seed (the year is deterministic for a seed)"),
    db: Path = typer.Option(DEFAULT_DB, help="SQLite file to create (replaced if it exists)"),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="start the API and console after"),
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    json_out: bool = typer.Option(False, "--json", help="print the summary as JSON"),
) -> None:
    """模拟一个县的一年：参保、缴费、结算、基金报表、预警，写入 SQLite，然后启动服务。"""
    from yibao.demo.run import run_demo, summary
    from yibao.store import users
    from yibao.store.db import session_factory, transaction

    console = Console(stderr=True)
    library = default_library()
    with user_errors():
        library.resolve(region, year)
    db.parent.mkdir(parents=True, exist_ok=True)
    if db.exists():
        db.unlink()
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    upgrade(engine)
    labels = {
        "simulate": "模拟参保人与就诊",
        "register": "按参保登记核对结算（参保地、档次、待遇期、身份）",
        "settle": "一站式结算",
        "analyse": "基金报表与预警",
        "load": "写入数据库",
    }
    with console.status("准备中…") as status:
        result = run_demo(
            region, year, persons, seed, engine, library,
            step=lambda name: status.update(f"{labels.get(name, name)} 完成，继续…"),
            clock=time.perf_counter,
        )  # fmt: skip
    tokens: dict[str, str] = {}
    with transaction(session_factory(engine)) as session:
        for name, role in (
            ("demo-jingban", "经办"),
            ("demo-shenhe", "审核"),
            ("demo-zhidu", "只读"),
            ("demo-guanli", "管理"),
        ):
            _, tokens[role] = users.add_user(session, name, role)
    engine.dispose()
    doc = summary(result) | {"db": url, "tokens": tokens}
    if json_out:
        print_json(doc)
    else:
        _print_summary(result, tokens, url)
    if serve:
        import uvicorn

        from yibao.api.app import create_app

        console.print(
            f"\n[bold green]控制台: http://{host}:{port}/console[/]   API 文档: http://{host}:{port}/docs   (Ctrl+C 退出)"
        )
        uvicorn.run(
            create_app(url, region=library.policy_region(region).code, year=year),
            host=host,
            port=port,
            log_level="warning",
        )


def _as_paid_rows(as_paid, region: str) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    """The inpatient line as the fund pays the hospitals (DRG/DIP), beside the claims' sum."""
    if as_paid is None:
        return []
    from yibao.drg.statement import region_method

    method = as_paid.method.upper()
    assumed = "" if region_method(region) else "，国家默认参数假定"
    return [
        ("  其中住院（按结算单 hifp_pay）", as_paid.claim_level_fen),
        (f"  其中住院（按 {method} 实际支付{assumed}）", as_paid.as_paid_fen),
    ]


def _print_summary(result, tokens: dict[str, str], url: str) -> None:  # type: ignore[no-untyped-def]
    out = Console()
    st = result.statement
    out.print(
        f"[bold]{result.year.region} {result.year.year}[/]: {result.year.persons.height:,} 人，"
        f"{result.year.claims.height:,} 笔结算，用时 "
        + "，".join(f"{k} {v:.1f}s" for k, v in result.timings.items())
    )
    table = Table(title="居民医保基金收支（元）")
    table.add_column("项目")
    table.add_column("金额", justify="right")
    rows = [
        ("个人缴费", st.personal_paid),
        *((f"资助参保（{k}）", v) for k, v in st.assistance_subsidy.items()),
        *((f"财政补助（{LEVEL_LABELS.get(k, k)}）", v) for k, v in st.fiscal_subsidy.items()),
        ("收入合计", st.revenue),
        ("基本医保统筹基金支出 hifp_pay", st.expenditure_by_layer["hifp_pay"]),
        *_as_paid_rows(st.inpatient_as_paid, result.year.region),
        ("大病保险筹资", st.critical_illness_financing),
        ("支出合计", st.expenditure),
        ("当期结余", st.surplus),
        ("大病保险赔付 hifmi_pay", st.expenditure_by_layer["hifmi_pay"]),
        ("医疗救助 maf_pay", st.expenditure_by_layer["maf_pay"]),
    ]
    if st.closing_balance is not None:
        rows.append(("期末累计结存", st.closing_balance))
    # 渝快保 etc.: paid by its own fund, neither revenue nor expenditure of the 居民医保基金.
    rows += [
        (f"基金外：商业补充保险补贴 {product}（{fund}支付）", fen)
        for fund, by_product in st.supplement_subsidy.items()
        for product, fen in by_product.items()
    ]
    for label, fen in rows:
        table.add_row(label, f"{fen_to_yuan(fen):,.2f}")
    out.print(table)
    if st.months_covered_tenths is not None:
        out.print(f"累计结存可支付月数: {st.months_covered_tenths / 10:.1f}")
    for w in result.risk.warnings:
        out.print(f"[yellow]风险预警[/] {w.to_json()}")
    out.print(f"高额费用预警（防止因病返贫）: [bold]{result.warnings.height}[/] 人")
    out.print(f"数据库: {url}")
    for role, token in tokens.items():
        out.print(f"  {role} 令牌: {token}")
