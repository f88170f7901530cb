"""yibao monitor: early warnings (防止因病返贫), smart-monitoring rules (智能监控), fund risk,
application-based assistance (依申请救助), the rules' measured precision/recall and the
notices' targets against the year (目标)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
import typer

from yibao.cli.output import UserError, print_json, read_parquet, user_errors
from yibao.engine.fund import InpatientAsPaid
from yibao.engine.supervision import RULE_KEYS
from yibao.engine.targets import ENROLLMENT_GROUPS, EnrollmentCount, TargetsError, targets_report
from yibao.money import yuan_to_fen
from yibao.monitoring.reports import (
    assist_report,
    fund_report,
    of_year,
    revenue_of,
    rules_report,
    warnings_report,
)
from yibao.policy import PolicyLibrary, default_library

app = typer.Typer(help="监测预警、智能监控、基金风险、依申请救助", no_args_is_help=True)
JSON = typer.Option(False, "--json", help="print one JSON document")


DB_HELP = (
    "read the region-year's settled claims from the store instead (database URL, as "
    "yibao db check: sqlite:///yibao.db, postgresql+psycopg://…; read only)"
)


def _say(doc: dict[str, Any], json_out: bool, lines: list[str]) -> None:
    if json_out:
        print_json(doc)
    else:
        typer.echo("\n".join(lines))


def _source(db: str | None, given: dict[str, Path | None], needed: tuple[str, ...]) -> bool:
    """True: read the store (--db); False: the Parquet files. --db with a file is refused, as
    is neither (naming what is missing)."""
    if db is not None:
        both = [name for name, path in given.items() if path is not None]
        if both:
            raise UserError(f"--db: 不能与 {'、'.join(both)} 同时使用（库或 Parquet 文件，二选一）")
        return True
    missing = [name for name in needed if given.get(name) is None]
    if missing:
        raise UserError(f"{' 和 '.join(missing)}: 需要 Parquet 文件（或 --db 读库）")
    return False


@contextmanager
def _store(db: str | None, library: PolicyLibrary, region: str) -> Iterator[tuple[Any, list[str]]]:
    """A read-only session on the store and the region's 参保地 codes in it."""
    from yibao.monitoring.store_frames import read_store, scope_codes

    with read_store(db) as session:
        codes = scope_codes(session, library, region)
        if not codes:
            raise UserError(f"--region: 库中没有 {region} 的参保人员")
        yield session, codes


@app.command("warnings")
def warnings_cmd(
    settlements: Path | None = typer.Option(
        None, "--settlements", help="settlements Parquet (fen); not with --db"
    ),
    persons: Path | None = typer.Option(
        None, "--persons", help="persons Parquet: psn_no, township, categories; not with --db"
    ),
    region: str = typer.Option(..., "--region"),
    year: int = typer.Option(..., "--year"),
    out: Path | None = typer.Option(
        None, "--out", help="folder for warnings.json and warnings.xlsx"
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="follow-up judged on this day (default: year end)"
    ),
    db: str | None = typer.Option(
        None,
        "--db",
        help="scan the store's settlements instead and store the warnings (预警 workflow)",
    ),
    read_only: bool = typer.Option(
        False,
        "--read-only",
        help="with --db: list the warnings from the store as the Parquet path does, store none",
    ),
    json_out: bool = JSON,
) -> None:
    """Persons whose out-of-pocket after the three layers reaches the warning line, by township.
    With --db: the store's settled claims of the region-year are judged and the warnings stored
    (new ones 待核实, open ones updated, closed ones left), as the console's 扫描 button does;
    with --db --read-only the same list as from Parquet files, nothing stored."""
    if db is not None and not read_only:
        with user_errors():
            _source(db, {"--settlements": settlements, "--persons": persons}, ())
            if out is not None:
                raise UserError("--out: 只与 Parquet 文件或 --read-only 一起使用")
        _scan_store(db, region, year, as_of, json_out)
        return
    with user_errors():
        if read_only and db is None:
            raise UserError("--read-only: 需要 --db")
        store = _source(
            db, {"--settlements": settlements, "--persons": persons}, ("--settlements", "--persons")
        )
        library = default_library()
        policy = library.resolve(region, year)
        day = _date(as_of, "--as-of") if as_of else policy.meta.coverage_to
        if store:
            from yibao.monitoring.store_frames import persons_frame, settled_frame

            with _store(db, library, region) as (session, codes):
                settled = settled_frame(session, codes, year, extra=())
                people = persons_frame(session, codes, year)
            doc, _ = warnings_report(settled, people, policy, day, ("--db", "--db"))
        else:
            assert settlements is not None and persons is not None
            doc, _ = warnings_report(
                read_parquet(settlements, "--settlements"),
                read_parquet(persons, "--persons"),
                policy,
                day,
            )
        if out is not None:
            from yibao.monitoring.export import write_warnings

            doc["files"] = write_warnings(doc, out)
    lines = [f"{policy.meta.name} {year}: {doc['flagged']} 人达到预警线"]
    lines += [f"  {t['township']}: {t['count']}" for t in doc["townships"]]
    _say(doc, json_out, lines)


def _scan_store(db: str, region: str, year: int, as_of: str | None, json_out: bool) -> None:
    from yibao.services import reviews
    from yibao.store import database_url, make_engine, session_factory, transaction, upgrade

    with user_errors():
        day = _date(as_of, "--as-of") if as_of else None
        engine = make_engine(database_url(db))
        try:
            upgrade(engine)  # the review tables (migration 0006) on an older store
            with transaction(session_factory(engine)) as session:
                result = reviews.scan_warnings(
                    session, default_library(), region, year, reviews.SYSTEM, day
                )
        finally:
            engine.dispose()
    doc = {"region": region, "year": year, **result}
    _say(
        doc,
        json_out,
        [
            f"{region} {year}: {result['settlements']} 笔结算，{result['flagged']} 人达到预警线；"
            f"新增 {result['added']} 条，更新 {result['updated']} 条，"
            f"未达预警线 {result['below_line']} 条"
        ],
    )


@app.command("rules")
def rules_cmd(
    claims: Path | None = typer.Option(
        None, "--claims", help="claims Parquet (CLAIM_SCHEMA); not with --db"
    ),
    details: Path | None = typer.Option(
        None,
        "--details",
        help="fee details Parquet (费用明细); without it only the claim-level rules run",
    ),
    persons: Path | None = typer.Option(None, "--persons", help="persons Parquet (限性别/限年龄)"),
    rules: Path | None = typer.Option(None, "--rules", help="rules file (default: yibao's)"),
    rule: list[str] = typer.Option([], "--rule", help="only these rules (repeatable)"),
    db: str | None = typer.Option(None, "--db", help=DB_HELP + "; needs --region, --year"),
    region: str | None = typer.Option(None, "--region", help="with --db"),
    year: int | None = typer.Option(None, "--year", help="with --db"),
    json_out: bool = JSON,
) -> None:
    """Run the smart-monitoring rules; every hit in the platform's audit shape (yuan). A rule
    whose input is not given (费用明细, persons) is skipped and named in rules_skipped."""
    from yibao.monitoring.rules_file import load_rules

    with user_errors():
        ruleset = load_rules(rules)
        only = tuple(rule) or RULE_KEYS
        fee = read_parquet(details, "--details") if details else None
        store = _source(db, {"--claims": claims, "--persons": persons}, ("--claims",))
        if store:
            from yibao.monitoring.store_frames import claims_frame, persons_frame

            region_code, the_year = _region_year(region, year)
            with _store(db, default_library(), region_code) as (session, codes):
                table = claims_frame(session, codes, the_year)
                people = persons_frame(session, codes, the_year)
            doc = rules_report(table, fee, people, ruleset, only, ("--db", "--details", "--db"))
        else:
            assert claims is not None
            given = read_parquet(persons, "--persons") if persons else None
            doc = rules_report(read_parquet(claims, "--claims"), fee, given, ruleset, only)
    lines = [f"{r['rule_id']} {r['rule_name']}: {r['hits']} 条" for r in doc["by_rule"]]
    lines = lines or ["无违规"]
    lines += [
        f"  未运行 {r['rule_id']} {r['rule_name']}：{r['reason']}" for r in doc["rules_skipped"]
    ]
    _say(doc, json_out, lines)


def _region_year(region: str | None, year: int | None) -> tuple[str, int]:
    if region is None or year is None:
        raise UserError("--region 和 --year: 与 --db 一起需要（读哪个统筹区、哪一年）")
    return region, year


@app.command("fund")
def fund_cmd(
    settlements: Path | None = typer.Option(
        None, "--settlements", help="settlements Parquet (fen); not with --db"
    ),
    region: str = typer.Option(..., "--region"),
    year: int = typer.Option(..., "--year"),
    revenue: str | None = typer.Option(None, "--revenue", help="basic fund revenue (yuan)"),
    contributions: Path | None = typer.Option(
        None, "--contributions", help="contributions Parquet: revenue from it"
    ),
    opening_balance: str = typer.Option(
        "0", "--opening-balance", help="accumulated balance at the start (yuan)"
    ),
    claims: Path | None = typer.Option(
        None, "--claims", help="claims Parquet, to find DRG institutions' claims"
    ),
    drg_institution: list[str] = typer.Option(
        [], "--drg-institution", help="fixmedins_code paid by DRG (repeatable)"
    ),
    db: str | None = typer.Option(
        None, "--db", help=DB_HELP + "; revenue: the recorded payments + the quoted fiscal subsidy"
    ),
    json_out: bool = JSON,
) -> None:
    """Expenditure by med_type and layer, balance months, deficit and DRG share warnings."""
    with user_errors():
        library = default_library()
        policy = library.resolve(region, year)
        opening = yuan_to_fen(opening_balance, "--opening-balance")
        given = {"--settlements": settlements, "--contributions": contributions, "--claims": claims}
        store = _source(db, given, ("--settlements",))
        if store:
            from yibao.monitoring.store_frames import (
                claims_frame,
                contributions_frame,
                people_frame,
                settled_frame,
            )
            from yibao.synth.enrollment import contributions as quoted

            with _store(db, library, region) as (session, codes):
                drg = ("fixmedins_code",) if drg_institution else ()
                settled = settled_frame(session, codes, year, extra=("med_type", *drg))
                as_paid, why = _as_paid(
                    settled, lambda: claims_frame(session, codes, year), region, year, codes
                )
                if revenue is None:
                    people = people_frame(session, codes, year)
                    paid = contributions_frame(
                        session,
                        codes,
                        year,
                        quoted(people.select("psn_no", "tier", "categories"), policy),
                    )
            income = (
                yuan_to_fen(revenue, "--revenue")
                if revenue is not None
                else revenue_of(paid, "--db")
            )
            doc = fund_report(
                policy, settled, income, opening, None, drg_institution, ("--db", "--db"), as_paid
            )
        else:
            assert settlements is not None
            if revenue is not None:
                income = yuan_to_fen(revenue, "--revenue")
            elif contributions is not None:
                income = revenue_of(read_parquet(contributions, "--contributions"))
            else:
                raise UserError("--revenue 或 --contributions: 需要其一（基金收入）")
            settled_file = read_parquet(settlements, "--settlements")
            claims_file = read_parquet(claims, "--claims") if claims is not None else None
            as_paid, why = _as_paid(
                settled_file, (lambda: claims_file) if claims_file is not None else None,
                region, year,
            )  # fmt: skip
            doc = fund_report(
                policy, settled_file, income, opening, claims_file, drg_institution,
                inpatient_as_paid=as_paid,
            )  # fmt: skip
        if why:
            doc["inpatient_as_paid_note"] = why
    lines = [f"{policy.meta.name} {year}: 收入 {doc['revenue']} 元，支出 {doc['expenditure']} 元，"
             f"累计结余 {doc['balance']} 元（{doc['balance_months']} 个月）"]  # fmt: skip
    ip = doc.get("inpatient_as_paid")
    if ip is not None:
        lines.append(
            f"  住院统筹基金支出：按结算单 {ip['claim_level']} 元，按 {ip['method'].upper()} 实际支付 "
            f"{ip['as_paid']} 元（按点数 {ip['paid_by_points']}，点值 {ip['point_value']} 元/点；"
            f"未入组按项目 {ip['paid_by_project']}），差额 {ip['difference']} 元"
        )
    elif doc.get("inpatient_as_paid_note"):
        lines.append(f"  {doc['inpatient_as_paid_note']}")
    lines += [f"  预警 {w['message']}: {w['value']}（{w['threshold']}）" for w in doc["warnings"]]
    _say(doc, json_out, lines)


def _as_paid(
    settled: pl.DataFrame,
    claims: Callable[[], pl.DataFrame] | None,
    region: str,
    year: int,
    codes: Sequence[str] | None = None,
) -> tuple[InpatientAsPaid | None, str]:
    """Where the region pays by DRG/DIP: the inpatient line as the fund pays it (the claims are
    read only then), else None; and why not, where it is not computed."""
    from yibao.drg.statement import as_paid_for_year, region_method

    if region_method(region) is None:
        return None, ""
    if claims is None:
        return None, "按 DRG/DIP 实际支付：需要 --claims（就诊的定点机构、日期与病案首页）"
    try:
        return as_paid_for_year(settled, claims(), region, year, codes=codes), ""
    except ValueError as exc:
        return None, f"按 DRG/DIP 实际支付无法计算：{exc}"


@app.command("assist")
def assist_cmd(
    settlements: Path | None = typer.Option(
        None, "--settlements", help="settlements Parquet with setl_time (batch settle's output)"
    ),
    psn_no: str = typer.Option(..., "--psn-no"),
    region: str = typer.Option(..., "--region"),
    application_date: str = typer.Option(..., "--application-date", help="YYYY-MM-DD"),
    category: list[str] = typer.Option(["因病致贫重病患者"], "--category"),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    json_out: bool = JSON,
) -> None:
    """依申请救助: recompute assistance over the months before the application month."""
    with user_errors():
        day = _date(application_date, "--application-date")
        library = default_library()
        policy = library.resolve(region, day.year)
        if _source(db, {"--settlements": settlements}, ("--settlements",)):
            from yibao.monitoring.store_frames import settled_frame

            with _store(db, library, region) as (session, codes):
                # the window reaches back into the previous year (自申请之月起前12个月)
                settled = pl.concat(
                    [settled_frame(session, codes, y, psn_no, ()) for y in (day.year - 1, day.year)]
                )
            doc = assist_report(psn_no, category, day, settled, policy, "--db")
        else:
            assert settlements is not None
            doc = assist_report(
                psn_no, category, day, read_parquet(settlements, "--settlements"), policy
            )
    _say(doc, json_out, [f"{psn_no}: 救助 {doc['assistance']} 元（{doc['window']}）"])


@app.command("quality")
def quality_cmd(
    persons: int = typer.Option(1000, "--persons", help="persons in the clean sample"),
    seed: int = typer.Option(1, "--seed"),
    rate: float = typer.Option(0.005, "--rate", help="share of claims injected per pattern"),
    rules: Path | None = typer.Option(None, "--rules"),
    json_out: bool = JSON,
) -> None:
    """Inject each violation pattern into a clean sample and measure precision and recall."""
    from yibao.monitoring.clean_sample import clean_sample
    from yibao.monitoring.quality import measure
    from yibao.monitoring.rules_file import load_rules
    from yibao.synth.anomalies import inject

    with user_errors():
        if persons <= 0:
            raise UserError("--persons: 必须是正整数")
        claims, details, people = clean_sample(persons, seed=seed)
        claims, details, truth = inject(claims, details, people, rate=rate, seed=seed)
        result = measure(claims, details, people, truth, load_rules(rules))
    doc = {"persons": persons, "claims": claims.height, "rate": rate, "seed": seed,
           "rules": [q.to_json() for q in result]}  # fmt: skip
    lines = [
        f"{q.rule_id} {q.rule_name}: precision {q.precision} recall {q.recall}" for q in result
    ]
    _say(doc, json_out, lines)


@app.command("targets")
def targets_cmd(
    region: str = typer.Option(..., "--region"),
    year: int = typer.Option(..., "--year"),
    settled: Path | None = typer.Option(
        None, "--settled", help="settlements Parquet (batch settle's output, fen); not with --db"
    ),
    claims: Path | None = typer.Option(
        None, "--claims", help="claims Parquet: hosp_lv and categories by setl_id, if not settled"
    ),
    enrollments: Path | None = typer.Option(
        None, "--enrollments", help="参保人数: CSV, Excel or Parquet with group, eligible, insured"
    ),
    excel: Path | None = typer.Option(None, "--excel", help="write the targets to this .xlsx"),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    json_out: bool = JSON,
) -> None:
    """目标: every target of the notices against the year's settled claims and 参保 figures."""
    from yibao.monitoring.targets_export import write_targets_xlsx

    with user_errors():
        if excel is not None and excel.suffix.lower() != ".xlsx":
            raise UserError(f"--excel: 文件名须以 .xlsx 结尾：{excel}")
        library = default_library()
        policy = library.resolve(region, year)
        if _source(db, {"--settled": settled, "--claims": claims}, ("--settled",)):
            from yibao.monitoring.store_frames import settled_frame

            with _store(db, library, region) as (session, codes):
                frame = settled_frame(
                    session,
                    codes,
                    year,
                    extra=("critical_eligible_delta", "med_type", "hosp_lv", "categories"),
                )
        else:
            assert settled is not None
            frame = of_year(read_parquet(settled, "--settled"), year)
            if claims is not None:
                frame = _with_claim_columns(frame, read_parquet(claims, "--claims"))
        counts = _enrollment_counts(enrollments) if enrollments is not None else None
        try:
            report = targets_report(policy, frame, counts)
        except TargetsError as exc:  # the engine names the column; the user knows the option
            option = "--db" if db is not None else "--settled"
            raise UserError(str(exc).replace("settlements:", f"{option}:", 1)) from exc
        if excel is not None:
            write_targets_xlsx(report, excel)
    doc = report.to_json()
    doc["excel"] = str(excel) if excel is not None else None
    lines = [f"{policy.meta.name} {year} 目标（{report.claims} 笔结算）"]
    for r in report.rows:
        why = f"；{r.reason}" if r.reason else ""
        lines.append(
            f"  {r.name}: 目标 {r.target_text()}，实际 {r.actual_text()}，{r.status_label}{why}"
            f"（{r.source} {r.clause}{'，假定值' if r.assumed else ''}）"
        )
    if excel is not None:
        lines.append(f"written: {excel}")
    _say(doc, json_out, lines)


def _with_claim_columns(settled: pl.DataFrame, claims: pl.DataFrame) -> pl.DataFrame:
    """hosp_lv and categories from the claims, by setl_id, where the settlements lack them."""
    wanted = [c for c in ("hosp_lv", "categories") if c not in settled.columns]
    for col in ("setl_id", *wanted):
        if col not in claims.columns:
            raise UserError(f"--claims: 缺少列 {col}")
    if "setl_id" not in settled.columns:
        raise UserError("--settled: 缺少列 setl_id（按它连接 --claims）")
    if not wanted:
        return settled
    extra = claims.select("setl_id", *wanted).unique("setl_id", keep="first")
    joined = settled.join(extra, on="setl_id", how="left")
    for col in wanted:
        missing = joined.filter(pl.col(col).is_null())
        if col == "hosp_lv" and missing.height:
            raise UserError(f"--claims: setl_id {missing['setl_id'][0]!r} 没有 hosp_lv")
    return joined


def _enrollment_counts(path: Path) -> dict[str, EnrollmentCount]:
    from yibao.enrollment.files import read_table

    table = read_table(path)
    for col in ("group", "eligible", "insured"):
        if col not in table.columns:
            raise UserError(f"--enrollments: 缺少列 {col}（需要 group, eligible, insured）")
    by_label = {label: key for key, label in ENROLLMENT_GROUPS.items()}
    counts: dict[str, EnrollmentCount] = {}
    for i, row in enumerate(table.select("group", "eligible", "insured").iter_rows(), start=2):
        group = str(row[0] or "").strip()
        key = by_label.get(group, group)
        if key not in ENROLLMENT_GROUPS:
            known = ", ".join(f"{k} ({v})" for k, v in ENROLLMENT_GROUPS.items())
            raise UserError(f"--enrollments: row {i}: group {group!r} 不认识；可选：{known}")
        if key in counts:
            raise UserError(f"--enrollments: row {i}: group {group!r} 重复")
        values = []
        for name, cell in zip(("eligible", "insured"), row[1:], strict=True):
            text = str(cell).strip() if cell is not None else ""
            if not text.isdigit():
                raise UserError(
                    f"--enrollments: row {i}: {name} 须为人数（非负整数），得到 {cell!r}"
                )
            values.append(int(text))
        counts[key] = EnrollmentCount(eligible=values[0], insured=values[1])
    return counts


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise UserError(f"{option}: 不是日期（YYYY-MM-DD）：{text!r}") from exc


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="monitor")
