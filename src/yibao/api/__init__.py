"""The REST API (FastAPI): ``create_app(db_url)``."""

from yibao.api.app import create_app

__all__ = ["create_app"]
