"""What a caller may ask for when starting an episode — one parser for every way in.

The admin API's body, a Step Functions console input and the CLI all become an
``EpisodeRequest`` here, so "which fields are allowed and what they mean" has one answer.
Every error is ``InvalidInput`` naming the field, raised before anything is written.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain import (
    FORMATS,
    LANGUAGES,
    Window,
    validate_choice,
    validate_episode_id,
    validate_podcast_id,
    window_from_request,
)
from chalicelib.errors import InvalidInput

BODY_FIELDS = ("start_date", "end_date", "days_back", "language", "format")
EXECUTION_FIELDS = ("podcast_id", "episode_id") + BODY_FIELDS


@dataclass(frozen=True)
class EpisodeRequest:
    podcast_id: str
    episode_id: str | None
    window: Window | None  # None: the podcast's default window
    language: str | None  # None: the podcast's language
    format: str | None  # None: the podcast's format


def parse_episode_request(
    data: object,
    *,
    podcast_id: str | None = None,
    allowed: tuple[str, ...] = EXECUTION_FIELDS,
    now: datetime | None = None,
) -> EpisodeRequest:
    """Validate a request. ``podcast_id`` given here (from a URL) beats one in ``data``."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput(f"the input must be a JSON object, not {_json_kind(data)}")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r} (allowed: {', '.join(allowed)})")
    if podcast_id is None:
        if "podcast_id" not in data:
            raise InvalidInput("podcast_id is required")
        podcast_id = data["podcast_id"]
    podcast_id = validate_podcast_id(podcast_id)
    episode_id = data.get("episode_id")
    if episode_id is not None:
        episode_id = validate_episode_id(episode_id)
    has_window = any(data.get(f) is not None for f in ("start_date", "end_date", "days_back"))
    window = (
        window_from_request(
            start_date=data.get("start_date"),
            end_date=data.get("end_date"),
            days_back=data.get("days_back"),
            now=now,
        )
        if has_window
        else None
    )
    language = data.get("language")
    if language is not None:
        validate_choice(language, "language", LANGUAGES)
    fmt = data.get("format")
    if fmt is not None:
        validate_choice(fmt, "format", FORMATS)
    return EpisodeRequest(podcast_id, episode_id, window, language, fmt)


def _json_kind(value: object) -> str:
    """What a non-object JSON value is, in JSON's words (a caller wrote JSON, not Python)."""
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return type(value).__name__
