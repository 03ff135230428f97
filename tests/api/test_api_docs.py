"""/api/docs works air-gapped: Swagger UI from the files installed with Warroom, under the pages' CSP."""

from __future__ import annotations

import re

from warroom.web.templating import SECURITY_HEADERS

REFERENCE = re.compile(r'(?:src|href)="([^"]+)"')


def test_the_docs_page_loads_only_same_origin_files_under_the_csp(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == SECURITY_HEADERS["Content-Security-Policy"]
    assert "script-src 'self';" in page.headers["content-security-policy"]  # no inline script, no CDN
    assert "<script>" not in page.text  # every script is a file
    references = REFERENCE.findall(page.text)
    assert references, page.text
    for reference in references:
        assert reference.startswith("/") and not reference.startswith("//"), reference
    assert '"/api/docs/assets/swagger-ui-bundle.js"' in page.text
    assert 'data-openapi-url="/openapi.json"' in page.text


def test_every_file_the_page_references_is_served_with_its_type(client):
    page = client.get("/api/docs")
    types = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
    for reference in REFERENCE.findall(page.text):
        answer = client.get(reference)
        assert answer.status_code == 200, reference
        suffix = reference.split("?")[0][reference.rfind("."):]
        assert answer.headers["content-type"].startswith(types[suffix]), (reference, answer.headers)
        if reference.startswith("/api/docs/assets/"):
            assert answer.headers["x-content-type-options"] == "nosniff"
    bundle = client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text
    assert len(bundle.content) > 500_000  # the real Swagger UI build, not a stand-in
    starter = client.get(REFERENCE.findall(page.text)[-1])
    assert "SwaggerUIBundle(" in starter.text


def test_only_the_docs_files_are_served_from_the_package(client):
    for name in ("swagger-editor-bundle.js", "index.html", "..%2F__init__.py", "LICENSE"):
        assert client.get(f"/api/docs/assets/{name}").status_code == 404, name


def test_fastapis_cdn_page_is_gone(client):
    page = client.get("/api/docs")
    assert "cdn.jsdelivr.net" not in page.text
    assert "unpkg.com" not in page.text
    assert client.get("/openapi.json").status_code == 200
