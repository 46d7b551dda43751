"""What both episode stores agree on before and after the database: argument checks, row shapes.

The stores differ only in how they talk to their database; the rules for a legal move, the
fields a transition may set and the shape of a record live here once.
"""
from __future__ import annotations

from datetime import datetime, timezone

from chalicelib.domain import (
    FORMATS,
    LANGUAGES,
    STATUSES,
    is_legal_transition,
    validate_choice,
    validate_episode_id,
    validate_podcast_id,
)
from chalicelib.errors import InvalidInput, PreconditionFailed, StatusConflict
from chalicelib.stores.episodes import EPISODE_FIELDS, Episode, Podcast

# Columns of ``episodes`` that become ``Episode`` attributes (the rest, e.g. ``status_detail``,
# stay in the database).
EPISODE_COLUMNS = tuple(Episode.__dataclass_fields__)
PODCAST_COLUMNS = tuple(Podcast.__dataclass_fields__)


def utc_iso(value: object) -> str | None:
    """Any timestamp the databases hand back, as ISO-8601 UTC with a ``Z``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def check_new_episode(podcast_id: str, language: str, format: str, episode_id: str | None) -> str | None:
    validate_podcast_id(podcast_id)
    validate_choice(language, "language", LANGUAGES)
    validate_choice(format, "format", FORMATS)
    return validate_episode_id(episode_id) if episode_id is not None else None


def canonical_episode_id(value: str) -> str | None:
    """The canonical form of an episode id, or ``None`` when it is no UUID (so no episode)."""
    try:
        return validate_episode_id(value)
    except InvalidInput:
        return None


def check_podcast(podcast: Podcast) -> Podcast:
    """The podcast in canonical form, or ``InvalidInput`` naming the field (both stores check
    every write with the same validator the API uses)."""
    from chalicelib.podcasts import validate_podcast

    return validate_podcast(podcast)


def stale(podcast: Podcast, expected_version: int | None) -> PreconditionFailed:
    """``podcast`` (as it is now) was written by someone else since ``expected_version``."""
    return PreconditionFailed(
        f"podcast {podcast.id!r} changed since version {expected_version} "
        f"(now version {podcast.version}): read it again")


def run_at(moment: datetime) -> str:
    """A schedule instant as the stores keep ``next_run_at``: whole seconds, UTC, ``Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_legal_move(expected: str, to: str) -> bool:
    """A forward move between known statuses (``retry`` is the only way back, and not a move)."""
    return expected in STATUSES and to in STATUSES and is_legal_transition(expected, to)


def conflict(episode_id: str, expected: str, to: str, current: str | None) -> StatusConflict:
    if not is_legal_move(expected, to):
        reason = f"{expected} -> {to} is not a legal transition"
    else:
        reason = f"expected {expected}, found {current}"
    return StatusConflict(f"episode {episode_id}: {reason}", current=current)


def check_fields(fields: dict) -> None:
    unknown = sorted(set(fields) - set(EPISODE_FIELDS))
    if unknown:
        raise InvalidInput(f"a transition cannot set {', '.join(unknown)}")


def episode_from_row(row: dict) -> Episode:
    values = {name: row.get(name) for name in EPISODE_COLUMNS}
    values["id"] = str(values["id"])
    for name in ("window_start", "window_end", "created_at", "updated_at", "completed_at"):
        values[name] = utc_iso(values[name])
    if values["duration_seconds"] is not None:
        values["duration_seconds"] = float(values["duration_seconds"])
    if values["audio_bytes"] is not None:
        values["audio_bytes"] = int(values["audio_bytes"])
    return Episode(**values)


def history_from_row(row: dict) -> dict:
    return {
        "from_status": row["from_status"],
        "to_status": row["to_status"],
        "at": utc_iso(row["at"]),
        "execution_id": row["execution_id"],
        "detail": row["detail"],
    }
