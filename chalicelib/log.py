"""Structured JSON logs (Powertools' Logger) carrying the episode and execution ids.

Only ids, state names, error class names and their messages are logged — never settings,
request headers or bodies — so no secret can reach a log line.
"""
from __future__ import annotations

import functools

_logger = None


def logger():
    """The process's logger, made on first use (nothing reads the environment at import)."""
    global _logger
    if _logger is None:
        from aws_lambda_powertools import Logger

        from chalicelib.config import Settings

        _logger = Logger(service="podcasto", level=Settings().get("LOG_LEVEL") or "INFO")
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
            log.append_keys(task=name, **_ids(event))
            log.info("task started")
            try:
                result = handler(event, context)
                log.info("task finished")
                return result
            except Exception as exc:
                log.warning("task failed", extra={"error": type(exc).__name__, "reason": str(exc)})
                raise
            finally:
                # A warm Lambda container reuses the logger: the next event has its own ids.
                log.remove_keys(["task", "episode_id", "execution_id"])

        return wrapper

    return decorate
