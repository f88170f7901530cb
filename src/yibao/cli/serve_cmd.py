"""yibao serve: the REST API (and the web console when installed) on SQLite or PostgreSQL."""

from __future__ import annotations

import typer

from yibao.cli.output import user_errors


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    db: str | None = typer.Option(
        None, "--db", help="database URL (default: YIBAO_DB or ./yibao.db)"
    ),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    workers: int = typer.Option(1, "--workers", help="server processes (PostgreSQL)"),
    region: str | None = typer.Option(
        None, "--region", help="the bureau's 统筹区 (行政区划代码; default: YIBAO_REGION)"
    ),
    year: int | None = typer.Option(
        None, "--year", help="the bureau's current year (default: YIBAO_YEAR)"
    ),
) -> None:
    """Serve the API (OpenAPI at /docs); the store is migrated first."""
    import uvicorn

    from yibao.api import create_app
    from yibao.api.logs import install
    from yibao.store.db import database_url

    url = database_url(db)
    with user_errors():
        app = create_app(url, region=region, year=year)
    install()
    if workers > 1:
        import os

        os.environ["YIBAO_DB"] = url
        bureau = app.state.bureau
        if bureau is not None:  # each worker builds its app from the environment
            os.environ["YIBAO_REGION"] = bureau.region
            if bureau.year is not None:
                os.environ["YIBAO_YEAR"] = str(bureau.year)
        app.state.engine.dispose()
        uvicorn.run("yibao.api.server:app", host=host, port=port, workers=workers)
        return
    uvicorn.run(app, host=host, port=port)
