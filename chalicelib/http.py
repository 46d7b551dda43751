"""HTTP edge of the admin API: authentication, JSON bodies, and errors as responses.

Every request passes ``edge`` (a Chalice middleware, so routes added later are covered too):
the API key is checked first — before the method (405) and the media type (415), which Chalice
would otherwise answer itself, before the key and outside the error schema. Then every route
goes through ``handle``: podcasto errors become 4xx/503 with a message that names the problem,
and anything unexpected becomes a 500 with a generic message — never a stack trace. Every
answer is ``{"error", "message"}`` (docs/openapi.json's Error) with no secret in it.
"""
from __future__ import annotations

import hmac
import json
from typing import Callable

from chalice import Response

from chalicelib import redact
from chalicelib.errors import (
    AlreadyExists,
    ConfigurationError,
    IdempotencyKeyReused,
    InvalidInput,
    NotFound,
    PodcastoError,
    PreconditionFailed,
    StatusConflict,
    TooManyRequests,
    TransientError,
    Unauthorized,
)

MAX_BODY_BYTES = 16 * 1024
_JSON = {"Content-Type": "application/json"}


class MethodNotAllowed(Exception):
    """The path exists, the method does not (HTTP 405 with ``Allow``)."""

    def __init__(self, method: str, allowed: list[str]):
        super().__init__(f"{method} is not allowed here; allowed: {', '.join(allowed)}")
        self.allowed = allowed


class UnsupportedMediaType(Exception):
    """A body that is not JSON (HTTP 415)."""


def edge(request, get_response, *, routes: dict, api_key: Callable[[], str],
         public: frozenset[str] = frozenset()) -> Response:
    """Chalice ``http`` middleware: key, then method, then media type, each answered in the
    error schema; the route runs only when all three pass. ``public`` paths (the admin page's
    files, which hold no secret) need no key; method and media type still apply."""
    path = (request.context or {}).get("resourcePath")
    by_method = routes.get(path, {})
    allowed = sorted(by_method)
    try:
        if path not in public:
            check_api_key(request.headers, api_key())
        if request.method not in allowed:
            raise MethodNotAllowed(request.method, allowed)
        # JSON, unless the route declares its own media types (the cover upload takes images).
        accepted = list(getattr(by_method[request.method], "content_types", None) or ["application/json"])
        # Without a Content-Type Chalice assumes JSON, as this does.
        given = request.headers.get("content-type")
        media_type = (given or "application/json").split(";")[0].strip().lower()
        # Chalice refuses any other Content-Type itself (and before the key), so this check
        # must answer first.
        if media_type not in accepted:
            raise UnsupportedMediaType(
                f"the request body must be {' or '.join(accepted)}, not {media_type if given else 'untyped'}")
    except Exception as exc:  # noqa: BLE001 - the edge: every error becomes a response
        return error_response(exc)
    return get_response(request)


def json_body(request) -> dict | None:
    """The request's JSON object, ``None`` for an empty body; errors name the problem."""
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidInput(f"the request body exceeds {MAX_BODY_BYTES} bytes")
    if not raw.strip():
        return None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"the request body is not valid JSON ({exc.__class__.__name__})") from None
    except RecursionError:
        # 16 KiB of "[" is thousands of levels: deeper than the parser's stack.
        raise InvalidInput("the request body is nested too deeply") from None
    if not isinstance(data, dict):
        raise InvalidInput("the request body must be a JSON object")
    return data


def check_api_key(headers, expected: str) -> None:
    """``X-Api-Key: <key>`` or ``Authorization: Bearer <key>``, compared in constant time."""
    provided = headers.get("x-api-key")
    if provided is None:
        scheme, _, token = (headers.get("authorization") or "").partition(" ")
        provided = token.strip() if scheme.lower() == "bearer" else None
    if not provided or not hmac.compare_digest(provided.encode(), expected.encode()):
        raise Unauthorized("a valid API key is required (X-Api-Key or Authorization: Bearer)")


def error_response(exc: Exception) -> Response:
    if isinstance(exc, MethodNotAllowed):
        response = _response(405, {"error": "MethodNotAllowed", "message": str(exc)})
        response.headers["Allow"] = ", ".join(exc.allowed)
        return response
    if isinstance(exc, UnsupportedMediaType):
        return _response(415, {"error": "UnsupportedMediaType", "message": str(exc)})
    if isinstance(exc, Unauthorized):
        return _response(401, {"error": "Unauthorized", "message": str(exc)})
    if isinstance(exc, InvalidInput):
        return _response(400, {"error": "InvalidInput", "message": str(exc)})
    if isinstance(exc, NotFound):
        return _response(404, {"error": "NotFound", "message": str(exc)})
    if isinstance(exc, IdempotencyKeyReused):
        return _response(422, {"error": "IdempotencyKeyReused", "message": str(exc)})
    if isinstance(exc, AlreadyExists):
        return _response(409, {"error": "AlreadyExists", "message": str(exc)})
    if isinstance(exc, PreconditionFailed):
        return _response(412, {"error": "PreconditionFailed", "message": str(exc)})
    if isinstance(exc, StatusConflict):
        return _response(409, {"error": "StatusConflict", "message": str(exc), "status": exc.current})
    if isinstance(exc, TooManyRequests):
        return _response(429, {"error": "TooManyRequests", "message": str(exc)},
                         headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, ConfigurationError):
        # Which setting is wrong is for the operator's logs, not for API clients.
        return _response(503, {"error": "Unavailable", "message": "the service is not configured"})
    if isinstance(exc, (TransientError, PodcastoError)):
        return _response(503, {"error": type(exc).__name__, "message": str(exc)})
    return _response(500, {"error": "InternalError", "message": "an internal error occurred"})


def handle(request, *, api_key: Callable[[], str], action: Callable[[], tuple]) -> Response:
    """``action`` returns ``(status, body)`` or ``(status, body, headers)``."""
    from chalicelib.log import logger

    try:
        check_api_key(request.headers, api_key())
        status, body, *headers = action()
        return _response(status, body, headers[0] if headers else None)
    except Exception as exc:  # noqa: BLE001 - the edge: every error becomes a response
        response = error_response(exc)
        if response.status_code >= 500:
            logger().exception("request failed", extra={"error": type(exc).__name__})
        return response


def _response(status: int, body: dict, headers: dict | None = None) -> Response:
    # Every answer, not only errors: an episode's stored cause is shown by GET /episodes/{id}.
    return Response(body=json.dumps(redact.anything(body), ensure_ascii=False), status_code=status,
                    headers={**_JSON, **(headers or {})})
