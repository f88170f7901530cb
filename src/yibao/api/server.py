"""The ASGI app for ``uvicorn yibao.api.server:app`` (database from YIBAO_DB; the
bureau's region and year from YIBAO_REGION / YIBAO_YEAR)."""

from yibao.api.app import create_app

app = create_app()
