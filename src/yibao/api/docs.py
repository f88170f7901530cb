"""/docs (Swagger UI) and /redoc (ReDoc) served entirely by the app: their scripts, styles and
icon come from the fastapi-offline package under /docs-static, not from a CDN, so the pages work
on a network without internet (医保专网). FastAPI's own pages are turned off (docs_url=None,
redoc_url=None in create_app); /openapi.json stays where it is."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
STATIC_URL = "/docs-static"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
# The pages may load nothing from elsewhere: not a font, not ReDoc's "by Redocly" logo (an image
# from cdn.redoc.ly that no option turns off), not Swagger UI's validator badge. Inline scripts
# and styles are the pages' own (the UI's start-up script, styled components).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "frame-ancestors 'self'",
    ]
)


def static_dir() -> str:
    """The folder of swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js, favicon.png."""
    return str(files("fastapi_offline") / "static")


def _local_only(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return page


def _here(request: Request, path: str) -> str:
    """``path`` of this app, behind a proxy's root_path too."""
    return f"{request.scope.get('root_path', '')}{path}"


def add_docs(app: FastAPI) -> None:
    app.mount(STATIC_URL, StaticFiles(directory=static_dir()), name="docs-static")
    openapi_url = app.openapi_url or "/openapi.json"
    # No "online validator" badge: it would send the page's address to swagger.io.
    swagger_parameters = {**(app.swagger_ui_parameters or {}), "validatorUrl": None}

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        return _local_only(
            get_swagger_ui_html(
                openapi_url=_here(request, openapi_url),
                title=f"{app.title} - Swagger UI",
                oauth2_redirect_url=_here(request, OAUTH2_REDIRECT_URL),
                swagger_js_url=_here(request, f"{STATIC_URL}/swagger-ui-bundle.js"),
                swagger_css_url=_here(request, f"{STATIC_URL}/swagger-ui.css"),
                swagger_favicon_url=_here(request, f"{STATIC_URL}/favicon.png"),
                swagger_ui_parameters=swagger_parameters,
            )
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        return _local_only(
            get_redoc_html(
                openapi_url=_here(request, openapi_url),
                title=f"{app.title} - ReDoc",
                redoc_js_url=_here(request, f"{STATIC_URL}/redoc.standalone.js"),
                redoc_favicon_url=_here(request, f"{STATIC_URL}/favicon.png"),
                with_google_fonts=False,
            )
        )
