"""yibao dip: the DIP 目录库 grouping and the hospitals' year on 分值 (issue 18); the commands are
drg_cmd's, built for the DIP method."""

from __future__ import annotations

import typer

from yibao.cli.drg_cmd import build_app


def register(main: typer.Typer) -> None:
    main.add_typer(build_app("dip"), name="dip")
