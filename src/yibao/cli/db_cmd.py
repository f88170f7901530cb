"""yibao db backup FILE | restore FILE | check: backups of the store, verified on restore."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from yibao.cli.output import fail, print_json, user_errors

app = typer.Typer(help="数据库：备份、恢复、一致性检查", no_args_is_help=True)

DB_HELP = "database URL (default: YIBAO_DB or ./yibao.db)"


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="db")


def _run(fn: Callable[[], Any]) -> Any:
    with user_errors():
        try:
            return fn()
        except OSError as exc:
            fail(f"file: {exc}")


def _print_report(report: Any, json_out: bool) -> None:
    """The report (one JSON document with --json); a failed check exits 1 after it."""
    if json_out:
        print_json(report.to_json())
    else:
        about = (
            f"{report.file} ({report.size:,} bytes, {report.format}, revision {report.revision})"
        )
        if report.action == "backup":
            typer.echo(f"backed up {report.database} to {about}")
        else:
            typer.echo(f"restored {about} into {report.database}")
        if report.replaced:
            typer.echo("  (the target's previous data were replaced: --force)")
        width = max(map(len, report.tables), default=0)
        for name, rows in report.tables.items():
            typer.echo(f"  {name:<{width}}  {rows:>12,}")
        typer.echo(f"check: {report.check.summary()}")
    if not report.check.ok:
        done = "the backup was written" if report.action == "backup" else "the data are restored"
        typer.echo(f"error: consistency check failed ({done}): {report.check.summary()}", err=True)
        raise typer.Exit(1)


@app.command("backup")
def backup(
    file: Path = typer.Argument(..., help="the backup file to write (replaced if it exists)"),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    fmt: str = typer.Option(
        "native",
        "--format",
        help="PostgreSQL: native (COPY of every table, one snapshot) or pg_dump (custom "
        "format, needs pg_dump on PATH); SQLite: always the online backup API",
    ),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Back up the store consistently while it runs; checks the copy's accumulators."""
    from yibao.store.backup import backup as run_backup

    _print_report(_run(lambda: run_backup(db, file, fmt)), json_out)


@app.command("restore")
def restore(
    file: Path = typer.Argument(..., help="a backup written by yibao db backup"),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    force: bool = typer.Option(False, "--force", help="replace the target's data if it holds any"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Restore into an empty or new database; verifies revision, row counts and accumulators."""
    from yibao.store.backup import restore as run_restore

    _print_report(_run(lambda: run_restore(file, db, force)), json_out)


@app.command("check")
def check(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
    repair: bool = typer.Option(
        False,
        "--repair",
        help="first rebuild the stored aggregates (the settlements' and the register's) from "
        "the base tables, then check (the accumulators are never rewritten)",
    ),
) -> None:
    """Every person-year's accumulators against the sum of its settled settlements; the
    stored aggregates against the settlements and the register (enrollments, payments,
    categories)."""
    from yibao.store.backup import check as run_check

    def checked() -> Any:
        if repair:
            _rebuild_register(db)
        return run_check(db, repair=repair)

    result = _run(checked)
    if json_out:
        print_json({"check": result.to_json()})
    else:
        typer.echo(f"check: {result.summary()}")
    if not result.ok:
        typer.echo(f"error: consistency check failed: {result.summary()}", err=True)
        raise typer.Exit(1)


def _rebuild_register(db: str | None) -> None:
    """The register's aggregates rebuilt in one transaction (store.enrollment_aggregates)."""
    from sqlalchemy.engine import make_url

    from yibao.store import database_url, enrollment_aggregates, make_engine

    url = database_url(db)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").exists():
        return  # no such store: the check says so
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            enrollment_aggregates.rebuild(conn)
    finally:
        engine.dispose()
