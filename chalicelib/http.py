"""HTTP edge of the admin API: authentication, JSON bodies, and errors as responses.

Every route goes through ``handle``: the API key is checked first (nothing is done without
it), podcasto errors become 4xx/503 with a message that names the problem, and anything
unexpected becomes a 500 with a generic message — never a stack trace.
"""
from __future__ import annotations

import hmac
import json
from typing import Callable

from chalice import Response

from chalicelib.errors import (
    AlreadyExists,
    ConfigurationError,
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
    if isinstance(exc, Unauthorized):
        return _response(401, {"error": "Unauthorized", "message": str(exc)})
    if isinstance(exc, InvalidInput):
        return _response(400, {"error": "InvalidInput", "message": str(exc)})
    if isinstance(exc, NotFound):
        return _response(404, {"error": "NotFound", "message": str(exc)})
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
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status,
                    headers={**_JSON, **(headers or {})})
