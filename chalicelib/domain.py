"""The episode's vocabulary: statuses and their legal moves, content windows, ids, S3 keys.

Pure functions and small value types only: no I/O, so every store, step and route agrees on one
definition of "legal".
"""
from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from chalicelib.errors import InvalidInput

PENDING = "pending"
CONTENT_COLLECTED = "content_collected"
PROCESSING = "processing"
COMPLETED = "completed"
FAILED = "failed"
# A slot whose window held nothing new: no audio, nobody paged, the execution succeeds, and the
# next episode starts from the same point (continuity counts completed episodes only).
SKIPPED = "skipped"
STATUSES = (PENDING, CONTENT_COLLECTED, PROCESSING, COMPLETED, FAILED, SKIPPED)
TERMINAL = (COMPLETED, FAILED, SKIPPED)
IN_FLIGHT = (PENDING, CONTENT_COLLECTED, PROCESSING)
# Never a repeat: the messages an episode kept are covered, for the podcast's other episodes,
# while it is completed and also while it is still being made, so an episode started while
# another one is running (a schedule beside a manual run) does not tell its stories again.
# A failed or skipped episode covers nothing: what it kept is free for the next one.
COVERING = (COMPLETED, *IN_FLIGHT)
# Why an episode was skipped (``episodes.outcome``): the window held no usable message that
# no other episode of the podcast had already covered (``COVERING``).
NOTHING_NEW = "nothing_new"
OUTCOMES = (NOTHING_NEW,)

# Forward only. ``failed -> pending`` is deliberately absent: only the admin API's explicit
# retry path may do it (see ``RETRY_TRANSITION``), so a stray workflow write can never revive
# an episode.
FORWARD_TRANSITIONS = {
    (PENDING, CONTENT_COLLECTED),
    (CONTENT_COLLECTED, PROCESSING),
    (PROCESSING, COMPLETED),
    (PENDING, FAILED),
    (CONTENT_COLLECTED, FAILED),
    (PROCESSING, FAILED),
    # Only before anything is collected: once content is collected the episode is made.
    (PENDING, SKIPPED),
}
RETRY_TRANSITION = (FAILED, PENDING)

LANGUAGES = ("en", "he")
FORMATS = ("dialogue", "narrator")
SPEECH_PROVIDERS = ("espeak", "polly", "gemini")

MAX_WINDOW_DAYS = 366
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_UNSAFE_KEY_RE = re.compile(r"[^A-Za-z0-9_-]+")


def is_legal_transition(current: str, to: str, *, retry: bool = False) -> bool:
    if retry:
        return (current, to) == RETRY_TRANSITION
    return (current, to) in FORWARD_TRANSITIONS


def validate_podcast_id(value: object, field: str = "podcast_id") -> str:
    """Podcast ids become S3 key parts and query values: letters, digits, ``-`` and ``_`` only."""
    # fullmatch: with match, "$" also matches before a trailing newline ("demo\n" passed).
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise InvalidInput(
            f"{field} must be 1-64 characters of letters, digits, '-' or '_' "
            "(starting with a letter or digit)"
        )
    return value


def validate_episode_id(value: object, field: str = "episode_id") -> str:
    """Episode ids are UUIDs; returned in canonical lower-case form."""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a UUID string")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise InvalidInput(f"{field} must be a UUID string") from None


def new_episode_id() -> str:
    return str(uuid.uuid4())


def validate_choice(value: object, field: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise InvalidInput(f"{field} must be one of {', '.join(choices)}")
    return value  # type: ignore[return-value]


@dataclass(frozen=True)
class Window:
    """A content window in UTC: ``start`` inclusive, ``end`` exclusive. ``None`` means open."""

    start: datetime | None
    end: datetime | None

    def contains(self, moment: datetime) -> bool:
        if self.start is not None and moment < self.start:
            return False
        if self.end is not None and moment >= self.end:
            return False
        return True

    def to_json(self) -> dict:
        return {"start": _iso(self.start), "end": _iso(self.end)}

    @classmethod
    def from_json(cls, data: dict | None) -> "Window":
        data = data or {}
        return cls(
            start=parse_moment(data.get("start"), "window.start") if data.get("start") else None,
            end=parse_moment(data.get("end"), "window.end") if data.get("end") else None,
        )


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def parse_moment(value: object, field: str, *, end_of_day: bool = False) -> datetime:
    """Parse ``YYYY-MM-DD`` or an ISO-8601 timestamp into an aware UTC datetime.

    A bare date means that day's midnight, UTC; as an *end* it means "through that day", i.e.
    the following midnight (exclusive). Naive timestamps are taken as UTC; an offset is
    converted to UTC.
    """
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{field} must be a date (YYYY-MM-DD) or an ISO-8601 timestamp")
    try:
        return _parse_moment(value, field, end_of_day=end_of_day)
    except OverflowError:
        # "9999-12-31" as an end is the following midnight, and "0001-01-01T00:00+23:59" in UTC
        # is a day before year 1: both outside what a datetime can hold.
        raise InvalidInput(f"{field} is out of range (years 0001 to 9999, in UTC)") from None


def _parse_moment(value: str, field: str, *, end_of_day: bool) -> datetime:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is not None:
        # Asked of date first, not guessed from the length: datetime.fromisoformat also reads
        # "20261107" as a date and would give it a midnight, so as an end it lost its whole day.
        moment = datetime.combine(day, time.min, tzinfo=timezone.utc)
        return moment + timedelta(days=1) if end_of_day else moment
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"{field} must be a date (YYYY-MM-DD) or an ISO-8601 timestamp"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def window_from_request(
    *,
    start_date: object = None,
    end_date: object = None,
    days_back: object = None,
    now: datetime | None = None,
) -> Window:
    """Build a window from ``start_date``/``end_date`` or ``days_back``; neither → open window."""
    if days_back is not None and (start_date is not None or end_date is not None):
        raise InvalidInput("days_back cannot be combined with start_date/end_date")
    if days_back is not None:
        if isinstance(days_back, bool) or not isinstance(days_back, int):
            raise InvalidInput("days_back must be a whole number of days")
        if not 1 <= days_back <= MAX_WINDOW_DAYS:
            raise InvalidInput(f"days_back must be between 1 and {MAX_WINDOW_DAYS}")
        end = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
        return Window(start=end - timedelta(days=days_back), end=end)
    start = parse_moment(start_date, "start_date") if start_date is not None else None
    end = parse_moment(end_date, "end_date", end_of_day=True) if end_date is not None else None
    if start is not None and end is not None:
        if end <= start:
            raise InvalidInput("end_date must be after start_date")
        if end - start > timedelta(days=MAX_WINDOW_DAYS):
            raise InvalidInput(f"the window from start_date to end_date exceeds {MAX_WINDOW_DAYS} days")
    return Window(start=start, end=end)


def content_key(podcast_id: str, episode_id: str) -> str:
    return f"podcasts/{podcast_id}/{episode_id}/content.json"


def media_key(podcast_id: str, episode_id: str, channel: str, message_id: int) -> str:
    """Where a message's photo is stored: ``.../media/<channel-safe>-<message_id>.jpg``."""
    return f"podcasts/{podcast_id}/{episode_id}/media/{_key_safe(channel)}-{message_id}.jpg"


def _key_safe(channel: str) -> str:
    """A channel label as a key part: ``@name`` → ``name``; ``-100123`` stays as is. Anything
    that had to be replaced (a Hebrew export's chat name, spaces) gets a short digest of the
    original too, so two channels never share a photo's key."""
    bare = channel.removeprefix("@")
    safe = _UNSAFE_KEY_RE.sub("_", bare).strip("_") or "channel"
    if safe == bare:
        return safe
    return f"{safe}_{hashlib.sha256(channel.encode('utf-8')).hexdigest()[:8]}"


def audio_key(podcast_id: str, episode_id: str) -> str:
    return f"podcasts/{podcast_id}/{episode_id}/audio/podcast.mp3"


def transcript_key(podcast_id: str, episode_id: str) -> str:
    return f"podcasts/{podcast_id}/{episode_id}/audio/transcript.txt"


def transcript_json_key(podcast_id: str, episode_id: str) -> str:
    return f"podcasts/{podcast_id}/{episode_id}/audio/transcript.json"


def captions_key(podcast_id: str, episode_id: str) -> str:
    return f"podcasts/{podcast_id}/{episode_id}/audio/captions.vtt"


def chapters_key(podcast_id: str, episode_id: str) -> str:
    return f"podcasts/{podcast_id}/{episode_id}/audio/chapters.json"


def feed_key(podcast_id: str) -> str:
    return f"podcasts/{podcast_id}/feed.xml"


# The published keys, as S3 resource patterns: feeds, cover art and title cards, and each
# episode's MP3, captions, JSON transcript and chapters. Only these are public (the CDN on AWS,
# the local S3 server's bucket policy locally); content bundles, scripts, segments and photos
# stay private. S3 wildcards cross "/", so each pattern ends in a name no private key can have:
# photos are media/<channel>-<message id>.jpg, never cover.jpg, and no private key has an art/
# or audio/ folder.
PUBLIC_KEY_PATTERNS = (
    "podcasts/*/feed.xml",
    "podcasts/*/cover.jpg",
    "podcasts/*/cover.png",
    "podcasts/*/art/card-*.jpg",
    "podcasts/*/audio/podcast.mp3",
    "podcasts/*/audio/captions.vtt",
    "podcasts/*/audio/transcript.json",
    "podcasts/*/audio/chapters.json",
)


def script_key(podcast_id: str, episode_id: str) -> str:
    return f"podcasts/{podcast_id}/{episode_id}/script.json"


def segment_audio_key(
    podcast_id: str, episode_id: str, text: str, voice: str, provider: str, model: str, language: str
) -> str:
    """Lossless segment audio, named by a hash of what determines it."""
    from chalicelib.audio.segments import segment_key

    digest = segment_key(text, voice, provider, model, language)
    return f"podcasts/{podcast_id}/{episode_id}/segments/{digest}.wav"
