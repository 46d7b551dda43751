"""The admin page: static files served by the app itself, beside this module (Chalice packages
everything under chalicelib/), so a deployed stage has its panel at <API URL>/admin and
``make local`` at http://127.0.0.1:8000/admin.

The files hold no secret and need no API key; every API call the page makes carries the key
the admin typed (sessionStorage, ``X-Api-Key``). Each response carries a strict
Content-Security-Policy: scripts only from this origin (no inline script, no eval), nothing
may frame the page, and audio may come only from where ``audio_url`` points.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from chalice import Response

HERE = Path(__file__).resolve().parent
# The routes app.py serves the page on: the only ones that need no API key.
ROUTES = frozenset({"/", "/admin", "/admin/{asset}"})
ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "api.js": "text/javascript; charset=utf-8",
    "dom.js": "text/javascript; charset=utf-8",
    "podcast_form.js": "text/javascript; charset=utf-8",
    "episode_view.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}

# media-src: audio_url is presigned S3 (https) or PUBLIC_AUDIO_BASE_URL (https) on AWS, and
# moto's S3 on loopback over plain http locally; no other http origin is allowed.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "media-src 'self' https: http://127.0.0.1:* http://localhost:*",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # The files change with each deploy; revalidating costs one small request.
    "Cache-Control": "no-cache",
}


@lru_cache(maxsize=None)
def _read(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


def page(name: str) -> Response:
    """One of the page's files; anything else is a 404 (never a path on disk)."""
    if name not in ASSETS:
        return Response(body='{"error": "NotFound", "message": "no such file of the admin page"}',
                        status_code=404, headers={"Content-Type": "application/json", **SECURITY_HEADERS})
    return Response(body=_read(name), status_code=200,
                    headers={"Content-Type": ASSETS[name], **SECURITY_HEADERS})


def redirect_to_page() -> Response:
    """``/`` → the page. Relative, so it keeps API Gateway's stage prefix (``/api/``)."""
    return Response(body="", status_code=302, headers={"Location": "admin", **SECURITY_HEADERS})
