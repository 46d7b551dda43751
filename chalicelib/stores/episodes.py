"""The episode-store seam: podcasts, episodes, and their status history.

Two implementations honour one contract (``tests/contract/test_episode_store.py``):
``SqliteEpisodeStore`` (embedded default) and ``SupabaseEpisodeStore`` (production).

Every status change is a compare-and-set: "move episode X from <expected> to <to>". When the
episode is not in <expected> status, or the move is not a legal one
(``chalicelib.domain.is_legal_transition``), the store raises ``StatusConflict`` carrying the
current status, and writes nothing. Each successful move appends one history row.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Protocol

from chalicelib.domain import Window


@dataclass
class Podcast:
    """A podcast's settings (validated by ``chalicelib.podcasts``) and its schedule's state."""

    id: str
    title: str
    language: str = "en"  # en | he
    format: str = "dialogue"  # dialogue | narrator
    # [{"name": ..., "role": ..., "voices": {"polly": "Joanna", "gemini": "Kore"}}], at most two
    hosts: list[dict] = field(default_factory=list)
    # Where content comes from. Channels by label (``@name``, ``-100<id>``) for Telethon, or
    # {"export": "<path to result.json>", "chat": <name or id or None>} for an export (local).
    sources: list = field(default_factory=list)
    # How far back an episode may reach: bounds the first episode and any catch-up.
    days_back: int | None = 7
    paused: bool = False
    # espeak | polly | gemini for this podcast's episodes; None: the SPEECH_PROVIDER_<LANG> /
    # SPEECH_PROVIDER setting (and, without one, the stage's default for the language).
    speech_provider: str | None = None
    description: str = ""
    author: str = ""
    category: str = "News"  # one of Apple Podcasts' categories (chalicelib.podcasts.CATEGORIES)
    explicit: bool = False
    # Cover art: an https:// URL, or the key an upload stored it under (podcasts/<id>/cover.jpg)
    image: str | None = None
    script_style: str | None = None  # house style for the LLM writers, beside SCRIPT_STYLE
    target_minutes: int | None = None  # None: chalicelib.podcasts.DEFAULT_TARGET_MINUTES
    # When episodes are due ({"days": [...], "at": "07:00", "timezone": ...}); None: on demand.
    schedule: dict | None = None
    # Kept by the stores: the next due slot (ISO UTC), the archive mark, the ETag's version.
    next_run_at: str | None = None
    archived_at: str | None = None
    version: int = 1
    created_at: str | None = None
    updated_at: str | None = None

    def to_json(self) -> dict:
        return asdict(self)


# Fields a transition may set besides status (anything else is refused by the stores).
EPISODE_FIELDS = (
    "content_key",
    "content_etag",
    "audio_key",
    "duration_seconds",
    "transcript_key",
    "execution_id",
    "error",
    "cause",
    "failed_state",
    "title",
    "show_notes",
    "audio_bytes",
    "completed_at",
    "outcome",
)


@dataclass
class Episode:
    id: str
    podcast_id: str
    status: str
    language: str
    format: str
    window_start: str | None = None  # ISO-8601 UTC, inclusive
    window_end: str | None = None  # ISO-8601 UTC, exclusive
    content_key: str | None = None
    content_etag: str | None = None
    audio_key: str | None = None
    duration_seconds: float | None = None
    transcript_key: str | None = None
    execution_id: str | None = None
    error: str | None = None
    cause: str | None = None
    failed_state: str | None = None
    outcome: str | None = None  # why a skipped episode was skipped (chalicelib.domain.OUTCOMES)
    attempt_count: int = 1
    idempotency_key: str | None = None
    # A digest of the request that used ``idempotency_key``: the same key with another request
    # is refused (HTTP 422), not answered with this episode.
    request_fingerprint: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    # Set when it completes: what its feed item shows. show_notes is JSON text
    # ({"summary", "stories": [{"title", "turn", "links"}]}); audio_bytes the MP3's length.
    title: str | None = None
    show_notes: str | None = None
    audio_bytes: int | None = None
    completed_at: str | None = None

    @property
    def window(self) -> Window:
        return Window.from_json({"start": self.window_start, "end": self.window_end})

    def to_json(self) -> dict:
        return asdict(self)


class EpisodeStore(Protocol):
    # --- podcasts ---------------------------------------------------------------------------
    def put_podcast(self, podcast: Podcast) -> None:
        """Insert or replace a podcast's settings (seeding, the CLI). Validated first; the
        schedule's next run is computed from now."""

    def create_podcast(self, podcast: Podcast) -> Podcast:
        """Insert a new podcast at version 1; ``AlreadyExists`` when the id is taken (archived
        podcasts included)."""

    def get_podcast(self, podcast_id: str) -> Podcast | None:
        """The podcast, archived or not (``archived_at`` says which)."""

    def list_podcasts(self, *, include_archived: bool = False) -> list[Podcast]: ...

    def update_podcast(self, podcast: Podcast, *, expected_version: int | None = None) -> Podcast:
        """Replace a podcast's settings and next run as a compare-and-set on ``version`` (when
        given): ``PreconditionFailed`` if another write came first, ``NotFound`` if absent.
        The version goes up by one."""

    def set_archived(self, podcast_id: str, archived: bool) -> Podcast:
        """Archive (``archived_at`` = now) or restore a podcast; its episodes stay."""

    def due_podcasts(self, now: datetime, *, limit: int) -> list[Podcast]:
        """Podcasts whose ``next_run_at`` is at or before ``now``, not paused, not archived,
        earliest first: one indexed query whatever the number of podcasts not due."""

    def advance_schedule(self, podcast_id: str, *, expected: str | None, next_run_at: str | None) -> bool:
        """Move ``next_run_at`` from ``expected`` to ``next_run_at``; False when it was no
        longer ``expected`` (another scheduler, or an edit, moved it first)."""

    # --- episodes ---------------------------------------------------------------------------
    def create_episode(
        self,
        *,
        podcast_id: str,
        language: str,
        format: str,
        window: Window,
        episode_id: str | None = None,
        idempotency_key: str | None = None,
        request_fingerprint: str | None = None,
    ) -> tuple[Episode, bool]:
        """Create a ``pending`` episode; returns ``(episode, created)``.

        With an ``idempotency_key`` already used for this podcast, returns the existing episode
        (whose ``request_fingerprint`` the caller compares) and ``created=False``. An existing
        ``episode_id`` also returns it with ``created=False``.
        Raises ``NotFound`` for an unknown podcast.
        """

    def get_episode(self, episode_id: str) -> Episode | None: ...

    def claim(self, episode_id: str, execution_id: str) -> Episode:
        """Bind a ``pending`` episode to one execution. Exactly one of many concurrent claimers
        wins; claiming again with the same execution id is a no-op (Lambda retries). Anything
        else raises ``StatusConflict``."""

    def transition(
        self,
        episode_id: str,
        *,
        expected: str,
        to: str,
        execution_id: str | None = None,
        detail: str | None = None,
        **fields,
    ) -> Episode:
        """Compare-and-set the status forward, setting ``fields`` (names in EPISODE_FIELDS) in
        the same write, and append a history row. Repeating a move that already happened with
        the same execution id is a no-op returning the episode (Lambda retries are at-least-once).
        """

    def retry(self, episode_id: str, *, detail: str | None = None) -> Episode:
        """The admin API's explicit retry path: ``failed -> pending``. Clears the error, cause,
        failed state and execution id, counts the attempt, keeps what is in S3 (content key)."""

    def unfinished(self, *, updated_before: datetime, limit: int) -> list[Episode]:
        """At most ``limit`` episodes not yet completed or failed whose last write is older than
        ``updated_before`` (aware UTC), least recently written first (the sweeper's query, on
        the status index)."""

    def count_unfinished(self) -> int:
        """How many episodes are not yet completed or failed (admission control)."""
    def list_episodes(self, podcast_id: str, *, limit: int, before: tuple[str, str] | None = None) -> list[Episode]:
        """A podcast's episodes newest first (``created_at``, then ``id``, descending), at most
        ``limit``, starting after the ``(created_at, id)`` of ``before`` (keyset pagination)."""

    def episodes_in_flight(self, podcast_id: str) -> int:
        """How many of the podcast's episodes are pending, content_collected or processing."""

    def completed_episodes(self, podcast_id: str, *, limit: int) -> list[Episode]:
        """The podcast's completed episodes, newest completion first (``completed_at``, then
        ``id``, descending), at most ``limit``: what its feed lists."""

    def last_completed_end(self, podcast_id: str) -> str | None:
        """The latest ``window_end`` of the podcast's completed episodes: where the next
        episode without an explicit window starts."""

    def history(self, episode_id: str) -> list[dict]:
        """Transitions oldest first: {"from_status", "to_status", "at", "execution_id", "detail"}.
        Creation is the first row, from ``None`` to ``pending``."""

    # --- what other episodes covered: never a repeat -----------------------------------------
    def record_messages(self, episode_id: str, messages: Iterable[tuple[str, int, datetime]]) -> int:
        """Replace the messages the episode's bundle kept, as ``(channel, message id, date)``,
        with these (a re-collection replaces the earlier ones); returns how many. They count as
        covered while the episode is completed or still being made (``domain.COVERING``)."""

    def covered_messages(self, podcast_id: str, *, window: Window, exclude_episode_id: str) -> set[tuple[str, int]]:
        """``(channel, message id)`` of the messages dated inside ``window`` that an episode of
        the podcast other than ``exclude_episode_id`` kept and that covers them (completed, or
        still being made: ``domain.COVERING``). Read in pages: memory
        grows with the messages of this window only, never with the podcast's whole history."""

    def covered_elsewhere(self, episode_id: str) -> int:
        """How many of the episode's recorded messages another episode of the same podcast that
        covers them (completed or still being made) kept too: a retried episode's content that
        a later episode made stale."""
