"""yibao user add NAME --role ROLE: a new API user; prints its token once."""

from __future__ import annotations

import typer

from yibao.cli.output import print_json, user_errors

app = typer.Typer(help="API 用户：添加、列出、停用", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="user")


def _factory(db: str | None):  # type: ignore[no-untyped-def]
    from yibao.store import make_engine, session_factory, upgrade

    engine = make_engine(db)
    upgrade(engine)
    return session_factory(engine)


@app.command("add")
def add(
    name: str = typer.Argument(..., help="user name"),
    role: str = typer.Option(..., "--role", help="经办 | 审核 | 只读 | 管理"),
    db: str | None = typer.Option(
        None, "--db", help="database URL (default: YIBAO_DB or ./yibao.db)"
    ),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Create a user; the token is printed once (only its sha256 is stored)."""
    from yibao.store import transaction, users
    from yibao.store.audit import Actor, record

    with user_errors(), transaction(_factory(db)) as session:
        user, token = users.add_user(session, name, role)
        record(session, Actor("cli", "管理"), "add_user", "user", user.name, after={"role": role})
    if json_out:
        print_json({"name": name, "role": role, "token": token})
        return
    typer.echo(f"user {name} ({role}) created; token (shown once, keep it safe):")
    typer.echo(token)


@app.command("list")
def list_(
    db: str | None = typer.Option(None, "--db"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Users and roles (never tokens)."""
    from yibao.store import users

    with user_errors(), _factory(db)() as session:
        rows = [
            {"name": u.name, "role": u.role, "active": u.active} for u in users.list_users(session)
        ]
    if json_out:
        print_json({"users": rows})
        return
    for r in rows:
        typer.echo(f"{r['name']}\t{r['role']}\t{'active' if r['active'] else 'revoked'}")


@app.command("revoke")
def revoke(
    name: str = typer.Argument(...),
    db: str | None = typer.Option(None, "--db"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Deactivate a user's token."""
    from yibao.store import transaction, users
    from yibao.store.audit import Actor, record

    with user_errors(), transaction(_factory(db)) as session:
        users.deactivate(session, name)
        record(session, Actor("cli", "管理"), "deactivate_user", "user", name)
    if json_out:
        print_json({"name": name, "active": False})
        return
    typer.echo(f"user {name} revoked")
