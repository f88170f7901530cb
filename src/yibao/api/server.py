"""The ASGI app for ``uvicorn yibao.api.server:app`` (database from YIBAO_DB)."""

from yibao.api.app import create_app

app = create_app()
