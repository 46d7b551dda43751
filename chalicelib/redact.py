"""No configured secret leaves the process, whatever an upstream said.

A provider's error can quote the request it refused (a gateway echoing headers, an API's debug
detail), and that text travels: into an exception message, an episode's ``cause``, a log line,
an API response. Rather than asking each call site to remember, every secret ``Settings.secret``
resolves is registered here, and the places where text leaves the process redact it:

- log lines (``chalicelib.log``: a filter on the records and the formatter's output),
- a function's exception as Lambda reports it (an ``all`` middleware in app.py for every
  function, ``log.task`` for the tasks' log line; the local engine's error reply),
- a failure's error and cause as stored on the episode (``steps.status``),
- every HTTP response body (``chalicelib.http``),
- the CLI's output.

What is redacted: the whole secret, and each dot- or dash-separated part of it of at least
``MIN_PART`` characters (a JWT's signature or claims, the tail of a Gemini key), which an
upstream may echo on its own. Shorter parts could match ordinary words, and carry no secret.
"""
from __future__ import annotations

import re
import threading

REDACTED = "<redacted>"
MIN_SECRET = 6  # a shorter "secret" is no credential, and replacing it would mangle prose
MIN_PART = 8
_SEPARATORS = re.compile(r"[.-]")

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern | None = None


def register(value: str | None) -> None:
    """Remember a secret's value (``Settings.secret`` calls this for every secret it resolves)."""
    global _pattern
    if not value or len(value) < MIN_SECRET or value in _secrets:
        return
    with _lock:
        _secrets.add(value)
        _pattern = None


def _fragments() -> list[str]:
    parts = set()
    for secret in _secrets:
        parts.add(secret)
        parts.update(p for p in _SEPARATORS.split(secret) if len(p) >= MIN_PART)
    # Longest first, so a whole secret is replaced before its parts.
    return sorted(parts, key=len, reverse=True)


def _compiled() -> re.Pattern | None:
    global _pattern
    with _lock:
        if _pattern is None and _secrets:
            _pattern = re.compile("|".join(re.escape(f) for f in _fragments()))
        return _pattern


def text(value: str) -> str:
    """``value`` with every known secret, and every long part of one, replaced."""
    pattern = _compiled()
    if pattern is None or not value:
        return value
    return pattern.sub(REDACTED, value)


def anything(value):
    """Strings redacted inside dicts, lists and tuples (a log record's extra fields, a JSON body)."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        return {k: anything(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(anything(v) for v in value)
    return value


def exception(exc: BaseException) -> BaseException:
    """``exc`` (and the exceptions chained to it) with secrets taken out of their messages.

    The class is kept: Lambda reports it as the ASL error name. Arguments are redacted in place;
    an exception whose ``str`` still shows a secret (a custom ``__str__``) is replaced by one of
    a same-named class carrying the redacted message.
    """
    pattern = _compiled()
    if pattern is None:
        return exc
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.args = tuple(anything(a) for a in current.args)
        current = current.__cause__ or current.__context__
    if pattern.search(_safe_str(exc)):
        clean = type(type(exc).__name__, (Exception,), {"__module__": type(exc).__module__})(
            text(_safe_str(exc)))
        clean.__traceback__ = exc.__traceback__
        return clean
    return exc


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # noqa: BLE001 - a broken __str__ must not hide the original error
        return type(exc).__name__



def reraised(get_response, event):
    """Chalice middleware body for every function (tasks, the reconciler, the scheduler, ...):
    an exception leaves with secrets taken out, as the Lambda runtime reports its message."""
    try:
        return get_response(event)
    except Exception as exc:
        clean = exception(exc)
        if clean is exc:
            raise
        raise clean from None
