"""The API reference at /api/docs: Swagger UI from the files installed with Warroom, never from a CDN.

The Swagger UI build comes from the PyPI package ``swagger-ui-py`` (a runtime dependency: it ships the
``swagger-ui`` dist files); only the two files the page needs are served, under /api/docs/assets/. The page
is ours, under the same Content-Security-Policy as every other page: no inline script, so it starts Swagger UI
with our own static ``api-docs.js``. It works on an air-gapped machine.
"""

from __future__ import annotations

import html
from importlib.util import find_spec
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response

from warroom.web.templating import SECURITY_HEADERS, static_url

DOCS_PATH = "/api/docs"
ASSETS_PATH = "/api/docs/assets"
ASSETS = {"swagger-ui.css": "text/css; charset=utf-8", "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
          "favicon-32x32.png": "image/png"}
ASSETS_PACKAGE = "swagger_ui"


def assets_dir() -> Path | None:
    """Where the installed package keeps the Swagger UI dist files (found without importing the package)."""
    spec = find_spec(ASSETS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "static"
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


def docs_page(openapi_url: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Warroom API</title>
<link rel="icon" type="image/png" href="{ASSETS_PATH}/favicon-32x32.png">
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{html.escape(openapi_url)}"></div>
<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="{static_url("api-docs.js")}"></script>
</body>
</html>
"""


def install_api_docs(app: FastAPI) -> None:
    """Serve the docs page and its assets; create the app with ``docs_url=None`` so FastAPI's CDN page is off."""
    page = docs_page(app.openapi_url or "/openapi.json")
    folder = assets_dir()

    @app.get(DOCS_PATH, include_in_schema=False)
    def api_docs() -> Response:
        if folder is None:
            return HTMLResponse("The API reference's files are not installed: install Warroom with its "
                                "dependencies (swagger-ui-py).", status_code=503,
                                headers={**SECURITY_HEADERS, "Retry-After": "3600"})
        return HTMLResponse(page, headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})

    @app.get(ASSETS_PATH + "/{name}", include_in_schema=False)
    def api_docs_asset(name: str) -> Response:
        media_type = ASSETS.get(name)
        if folder is None or media_type is None:
            return Response("Not found", status_code=404, media_type="text/plain", headers=SECURITY_HEADERS)
        return FileResponse(folder / name, media_type=media_type,
                            headers={**SECURITY_HEADERS, "Cache-Control": "public, max-age=86400"})
