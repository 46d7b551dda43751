"""Structured JSON logs carrying the episode and execution ids (python-json-logger).

One JSON object per line on stdout — what CloudWatch Logs and Logs Insights read — with
``level``, ``message``, ``timestamp``, ``service`` and the current task's ``task``,
``episode_id`` and ``execution_id``. (Powertools' Logger did the same, but ships 3.5 MB of
utilities with it: 1.4 MB of a deployment zip that must stay under 20 MB.)

Only ids, state names, error class names and their messages are logged — never settings,
request headers or bodies. An error message can still quote what an upstream echoed, so every
record and every formatted line is redacted of the secrets Settings resolved
(chalicelib/redact.py), and so is a failed task's exception before Lambda reports it.
"""
from __future__ import annotations

import contextvars
import functools
import json
import logging
import sys

from chalicelib import redact

SERVICE = "podcasto"
# The running task's keys. A Lambda runs one event at a time, but the local engine runs a Map's
# iterations as threads of one process: a context variable gives each thread its own keys.
_task_keys: contextvars.ContextVar[dict] = contextvars.ContextVar("podcasto_task_keys", default={})
_logger: logging.Logger | None = None


class _TaskKeys(logging.Filter):
    """Copy the running task's keys onto each record, so the formatter writes them."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _task_keys.get().items():
            setattr(record, key, value)
        return True


# LogRecord's own attributes: everything else on a record came in through ``extra``.
_RECORD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class Redacting(logging.Filter):
    """Take known secrets out of a record's message, arguments, extra fields and traceback,
    for whichever handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: keep the raw message
            message = str(record.msg)
        record.msg, record.args = redact.text(message), ()
        for key, value in list(vars(record).items()):
            if key not in _RECORD_ATTRIBUTES:
                setattr(record, key, redact.anything(value))
        if record.exc_info:
            record.exc_text = redact.text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact.text(record.stack_info)
        return True


def formatter() -> logging.Formatter:
    from pythonjsonlogger.json import JsonFormatter

    class RedactingJsonFormatter(JsonFormatter):
        """The last word: whatever reached the line (another library's record, a field the
        filter did not see) is redacted as written."""

        def format(self, record: logging.LogRecord) -> str:
            return redact.text(super().format(record))

    return RedactingJsonFormatter(
        "{levelname}{message}",
        style="{",
        rename_fields={"levelname": "level"},
        static_fields={"service": SERVICE},
        timestamp=True,
        json_serializer=functools.partial(json.dumps, separators=(",", ":")),
    )


def logger() -> logging.Logger:
    """The process's logger, made on first use (nothing reads the environment at import)."""
    global _logger
    if _logger is None:
        from chalicelib.config import Settings

        log = logging.getLogger(SERVICE)
        log.setLevel(Settings().get("LOG_LEVEL") or "INFO")
        # On the logger, not a handler: every handler added to it (a test's, the CLI's) sees the keys.
        log.addFilter(_TaskKeys())
        log.addFilter(Redacting())
        # Its own stdout handler and no propagation: the Lambda runtime's root handler would
        # print each line again in its own plain-text format.
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(formatter())
        handler.addFilter(Redacting())
        log.addHandler(handler)
        # Other libraries (botocore, httpx, google-genai, Telethon) log through the root logger;
        # the Lambda runtime's handler there writes them: it redacts too.
        for root_handler in logging.getLogger().handlers:
            root_handler.addFilter(Redacting())
        log.propagate = False
        _logger = log
    return _logger


def _ids(event: dict) -> dict:
    """Episode and execution ids from any task's input, wherever the state put them."""
    if not isinstance(event, dict):
        return {}
    state = event.get("state") if isinstance(event.get("state"), dict) else event
    episode = state.get("episode") if isinstance(state.get("episode"), dict) else {}
    source = event.get("input") if isinstance(event.get("input"), dict) else {}
    return {
        "episode_id": episode.get("episode_id") or source.get("episode_id"),
        "execution_id": event.get("execution_id"),
    }


def task(name: str):
    """Log a task's start, end and failure with the episode and execution ids as keys."""

    def decorate(handler):
        @functools.wraps(handler)
        def wrapper(event, context):
            log = logger()
            keys = {"task": name, **{k: v for k, v in _ids(event).items() if v is not None}}
            token = _task_keys.set(keys)
            log.info("task started")
            try:
                result = handler(event, context)
                log.info("task finished")
                return result
            except Exception as exc:
                # What Lambda reports to Step Functions (errorMessage, then the episode's cause
                # and the execution history) is this exception's message: redacted here, once,
                # for every task.
                clean = redact.exception(exc)
                log.warning("task failed", extra={"error": type(clean).__name__, "reason": str(clean)})
                if clean is exc:
                    raise
                raise clean from None
            finally:
                # A warm Lambda container reuses the logger: the next event has its own ids.
                _task_keys.reset(token)

        return wrapper

    return decorate
