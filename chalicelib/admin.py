"""What the admin API does, independent of HTTP: manage podcasts, start, list, show and retry
episodes.

Each method returns ``(status_code, body)`` or ``(status_code, body, headers)``, or raises a
podcasto error; ``chalicelib.http`` turns both into responses.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import replace
from datetime import datetime, timezone
from typing import Callable

from chalicelib import podcasts
from chalicelib.continuity import next_window
from chalicelib.domain import FAILED, PENDING, Window, validate_episode_id, validate_podcast_id
from chalicelib.episode_request import BODY_FIELDS, parse_episode_request
from chalicelib.errors import (
    ContentNotReady,
    ConfigurationError,
    IdempotencyKeyReused,
    InvalidInput,
    NotFound,
    PodcastoError,
    StatusConflict,
    TooManyRequests,
    WorkflowUnavailable,
)
from chalicelib.schedule import parse_schedule
from chalicelib.steps.status import record_failure
from chalicelib.stores.episodes import Episode, EpisodeStore, Podcast
from chalicelib.stores.objects import ObjectStore
from chalicelib.stores.rows import run_at, stale
from chalicelib.workflow import ExecutionHistory, WorkflowStarter, execution_name

_IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e]{1,128}$")
_ETAG_RE = re.compile(r'^(?:W/)?"v([0-9]{1,9})"$')
DEFAULT_PAGE = 20
MAX_PAGE = 100
# The cause an episode gets when its execution could not be started: a repeat of the same
# request (same Idempotency-Key) starts it then, instead of answering with the failed episode.
NOT_STARTED = "the execution could not be started"


class Admin:
    def __init__(
        self,
        *,
        episodes: EpisodeStore,
        starter: Callable[[], WorkflowStarter],
        audio_url: Callable[[str], str],
        admission: Callable[[], tuple[int, int]] | None = None,
        allow_exports: bool = False,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        history: Callable[[], ExecutionHistory] | None = None,
        read_object: Callable[[str], bytes] | None = None,
        objects: Callable[[], ObjectStore] | None = None,
    ):
        self.episodes = episodes
        self._objects = objects  # built on first use: only the cover upload writes to S3
        self._starter = starter  # built on first use: GET routes never need Step Functions
        self._audio_url = audio_url
        self._allow_exports = allow_exports  # Telegram Desktop exports: the local stage only
        self._clock = clock
        # () -> (MAX_EPISODES_IN_FLIGHT, ADMISSION_RETRY_AFTER_SECONDS); None: no bound.
        self._admission = admission
        self._history = history  # the states an episode's execution passed (admin page)
        self._read_object = read_object  # the transcript, read through the API (no S3 CORS)

    # -- podcasts ----------------------------------------------------------------------------
    def list_podcasts(self, *, include_archived: object = None) -> tuple[int, dict]:
        archived = _flag(include_archived, "include_archived")
        return 200, {"podcasts": [
            self.podcast_view(p) for p in self.episodes.list_podcasts(include_archived=archived)]}

    def create_podcast(self, body: dict | None) -> tuple[int, dict, dict]:
        podcast = podcasts.podcast_from_request(body, allow_exports=self._allow_exports)
        podcast = self._scheduled(podcast, previous=None)
        created = self.episodes.create_podcast(podcast)
        return 201, self.podcast_view(created), {**_etag(created), "Location": f"/podcasts/{created.id}"}

    def podcast(self, podcast_id: str) -> tuple[int, dict, dict]:
        found = self._podcast(podcast_id)
        return 200, self.podcast_view(found), _etag(found)

    def update_podcast(self, podcast_id: str, body: dict | None, *, if_match: str | None) -> tuple[int, dict, dict]:
        expected = _version(if_match)
        current = self._podcast(podcast_id)
        if expected is not None and expected != current.version:
            raise stale(current, expected)
        changed = podcasts.apply_changes(current, body, allow_exports=self._allow_exports)
        changed = self._scheduled(changed, previous=current)
        # The version read above guards the write: an edit made in between is a 412, not lost.
        saved = self.episodes.update_podcast(changed, expected_version=current.version)
        return 200, self.podcast_view(saved), _etag(saved)

    def archive_podcast(self, podcast_id: str) -> tuple[int, dict, dict]:
        """DELETE: the podcast is archived (its episodes, audio and feed stay) and can be
        restored; refused while one of its episodes is being made."""
        current = self._podcast(podcast_id)
        in_flight = self.episodes.episodes_in_flight(current.id)
        if in_flight:
            raise StatusConflict(
                f"podcast {current.id!r} has {in_flight} episode(s) in flight; "
                "wait for them to end before archiving it", current="in_flight")
        archived = self.episodes.set_archived(current.id, True)
        return 200, self.podcast_view(archived), _etag(archived)

    def upload_cover(self, podcast_id: str, body: bytes | None, *, if_match: str | None = None) -> tuple[int, dict, dict]:
        """``PUT /podcasts/{id}/image``: the image bytes, checked against Apple's rules (square
        JPEG or PNG, 1400-3000 pixels, RGB), stored at ``podcasts/<id>/cover.jpg|png`` and made
        the podcast's ``image``; the next feed names it."""
        from chalicelib.feed.cover import check_cover

        expected = _version(if_match)
        current = self._podcast(podcast_id)
        if expected is not None and expected != current.version:
            raise stale(current, expected)
        extension, content_type = check_cover(body or b"")
        key = f"podcasts/{current.id}/cover.{extension}"
        if self._objects is None:
            raise ConfigurationError("no object store is configured for cover art")
        self._objects().put(key, body, content_type=content_type)
        saved = self.episodes.update_podcast(replace(current, image=key), expected_version=current.version)
        return 200, self.podcast_view(saved), _etag(saved)

    def restore_podcast(self, podcast_id: str) -> tuple[int, dict, dict]:
        current = self._podcast(podcast_id)
        restored = self.episodes.set_archived(current.id, False)
        # A restored schedule starts from now: no burst of episodes for the archived time.
        restored = self.episodes.update_podcast(self._scheduled(restored, previous=None),
                                                expected_version=restored.version)
        return 200, self.podcast_view(restored), _etag(restored)

    def list_episodes(self, podcast_id: str, *, limit: object = None, cursor: object = None) -> tuple[int, dict]:
        podcast = self._podcast(podcast_id)
        size = _page_size(limit)
        before = _decode_cursor(cursor) if cursor is not None else None
        # One more than asked for says whether there is a next page, without counting.
        found = self.episodes.list_episodes(podcast.id, limit=size + 1, before=before)
        page = found[:size]
        next_cursor = _encode_cursor(page[-1]) if len(found) > size else None
        return 200, {"episodes": [self.episode_summary(e) for e in page], "next_cursor": next_cursor}

    def podcast_view(self, podcast: Podcast) -> dict:
        """A podcast as responses show it: no server path, the schedule with its next run."""
        schedule = parse_schedule(podcast.schedule)
        running = schedule is not None and not podcast.paused and podcast.archived_at is None
        return {
            "id": podcast.id,
            "title": podcast.title,
            "description": podcast.description,
            "author": podcast.author,
            "language": podcast.language,
            "format": podcast.format,
            "hosts": podcast.hosts,
            "sources": podcasts.public_sources(podcast.sources),
            "schedule": podcast.schedule,
            "schedule_text": schedule.describe() if schedule else None,
            "next_run_at": podcast.next_run_at if running else None,
            "paused": podcast.paused,
            "speech_provider": podcast.speech_provider,
            "script_style": podcast.script_style,
            "target_minutes": podcast.target_minutes,
            "days_back": podcast.days_back,
            "explicit": podcast.explicit,
            "category": podcast.category,
            "image": podcast.image,
            "archived_at": podcast.archived_at,
            "version": podcast.version,
            "created_at": podcast.created_at,
            "updated_at": podcast.updated_at,
        }

    def _podcast(self, podcast_id: str) -> Podcast:
        podcast_id = validate_podcast_id(podcast_id)
        found = self.episodes.get_podcast(podcast_id)
        if found is None:
            raise NotFound(f"podcast_id {podcast_id!r} does not exist")
        return found

    def _scheduled(self, podcast: Podcast, *, previous: Podcast | None) -> Podcast:
        """``next_run_at`` for the podcast's schedule: kept while the schedule and pause are
        unchanged (an edit of the title never skips a due slot), else the first slot after now."""
        schedule = parse_schedule(podcast.schedule)
        if schedule is None:
            return replace(podcast, next_run_at=None)
        if (previous is not None and previous.next_run_at and previous.schedule == podcast.schedule
                and previous.paused == podcast.paused):
            return replace(podcast, next_run_at=previous.next_run_at)
        return replace(podcast, next_run_at=run_at(schedule.next_after(self._clock())))

    # -- episodes ----------------------------------------------------------------------------
    def next_window(self, podcast: Podcast) -> Window:
        """Where the podcast's next episode starts (chalicelib.continuity)."""
        return next_window(podcast, last_end=self.episodes.last_completed_end(podcast.id),
                           now=self._clock())

    def start_episode(
        self, podcast_id: str, body: dict | None, *, idempotency_key: str | None = None
    ) -> tuple[int, dict]:
        podcast_id = validate_podcast_id(podcast_id)
        request = parse_episode_request(body, podcast_id=podcast_id, allowed=BODY_FIELDS)
        if idempotency_key is not None and not _IDEMPOTENCY_KEY_RE.fullmatch(idempotency_key):
            raise InvalidInput("the Idempotency-Key header must be 1-128 printable ASCII characters")
        podcast = self._podcast(podcast_id)
        if podcast.archived_at is not None:
            raise StatusConflict(f"podcast {podcast.id!r} is archived: restore it first", current="archived")
        self._admit()
        fingerprint = request_fingerprint(podcast_id, body) if idempotency_key is not None else None
        episode, created = self.episodes.create_episode(
            podcast_id=podcast.id,
            language=request.language or podcast.language,
            format=request.format or podcast.format,
            window=request.window or self.next_window(podcast),
            idempotency_key=idempotency_key,
            request_fingerprint=fingerprint,
        )
        if created:
            return 202, self._started_body(self._start(episode))
        # The same Idempotency-Key. Another request under it is refused, as the IETF draft and
        # Stripe do; an episode from before fingerprints were stored (None) matches any.
        if episode.request_fingerprint not in (None, fingerprint):
            raise IdempotencyKeyReused(
                "this Idempotency-Key was already used with a different request body; "
                "use a new key for a new request"
            )
        if _never_started(episode):
            # The first answer was a 503: this repeat is the retry the client was told to make.
            episode = self.episodes.retry(
                episode.id, detail="the same Idempotency-Key again after the execution could not start")
            return 202, self._started_body(self._start(episode))
        return 202, self._started_body(episode)  # the same episode, nothing new started

    def start_slot(self, podcast: Podcast, slot: datetime, episode_id: str) -> Episode:
        """The scheduler's start: the slot's one episode (created when absent), started when it
        is still pending. Safe to repeat and to race: creation is keyed by (podcast, slot), and
        the execution name derives from the episode, so repeats start nothing new. A new slot
        waits for room as an API start does (``TooManyRequests``; the scheduler defers it)."""
        if self.episodes.get_episode(episode_id) is None:
            self._admit()
        episode, _ = self.episodes.create_episode(
            podcast_id=podcast.id,
            language=podcast.language,
            format=podcast.format,
            window=self.next_window(podcast),
            episode_id=episode_id,
            idempotency_key=f"schedule:{run_at(slot)}",
        )
        if episode.status == PENDING and episode.attempt_count == 1:
            episode = self._start(episode)
        return episode

    def episode(self, episode_id: str) -> tuple[int, dict]:
        episode = self._existing(episode_id)
        return 200, {**self.episode_view(episode), "states": self._states(episode)}

    def transcript(self, episode_id: str) -> tuple[int, dict]:
        """The episode's transcript as text (``Speaker: text`` lines). Through the API, so the
        admin page reads it from its own origin: the bucket needs no CORS rule."""
        episode = self._existing(episode_id)
        if not episode.transcript_key or self._read_object is None:
            raise NotFound(f"episode {episode.id} has no transcript (status {episode.status})")
        try:
            text = self._read_object(episode.transcript_key).decode("utf-8")
        except ContentNotReady:
            raise NotFound(f"episode {episode.id}'s transcript is no longer stored") from None
        return 200, {"episode_id": episode.id, "language": episode.language, "transcript": text}

    def retry_episode(self, episode_id: str) -> tuple[int, dict]:
        """failed → pending through the store's explicit retry path, then a new execution that
        reuses the content already in S3 (the workflow skips collection when it is there)."""
        episode = self._existing(episode_id)
        if episode.status != FAILED:
            raise StatusConflict(
                f"only a failed episode can be retried; episode {episode.id} is {episode.status}",
                current=episode.status,
            )
        self._admit()
        episode = self.episodes.retry(episode.id, detail="retry requested through the admin API")
        return 202, self._started_body(self._start(episode))

    # -- helpers ---------------------------------------------------------------------------
    def _admit(self) -> None:
        """Admission control: no new execution while the bound's worth of episodes is
        unfinished (providers have quotas; the local engine has two cores). Refused before
        anything is written, so the caller simply tries again after Retry-After. Counted, not
        reserved: requests racing past the count at the same moment can overshoot the bound
        by at most their own number."""
        if self._admission is None:
            return
        bound, retry_after = self._admission()
        in_flight = self.episodes.count_unfinished()
        if in_flight >= bound:
            raise TooManyRequests(
                f"{in_flight} episodes are in flight, the most this deployment runs at once "
                f"(MAX_EPISODES_IN_FLIGHT={bound}); try again in {retry_after} s",
                retry_after=retry_after,
            )

    def _states(self, episode: Episode) -> list[dict] | None:
        """The states of the episode's current execution as they pass; ``None`` when Step
        Functions cannot be read: the episode itself (from the store) is still answered."""
        if self._history is None or not episode.execution_id:
            return []
        try:
            return self._history().states(episode.execution_id)
        except WorkflowUnavailable as exc:
            from chalicelib.log import logger

            logger().warning("execution history unavailable", extra={"error": str(exc)})
            return None

    def _existing(self, episode_id: str) -> Episode:
        episode_id = validate_episode_id(episode_id)
        episode = self.episodes.get_episode(episode_id)
        if episode is None:
            raise NotFound(f"episode_id {episode_id} does not exist")
        return episode

    def _start(self, episode: Episode) -> Episode:
        """Bind the episode to its execution's ARN, then start it; returns the episode as it is
        now. If starting fails, the episode is failed with the reason — never left pending with
        nothing running."""
        starter = self._starter()
        name = execution_name(episode.id, episode.attempt_count)
        arn = starter.execution_arn(name)
        try:
            self.episodes.claim(episode.id, arn)
            starter.start(
                name=name,
                execution_input={"podcast_id": episode.podcast_id, "episode_id": episode.id},
            )
        except PodcastoError as exc:
            record_failure(
                self.episodes, episode.id, execution_id=arn, error=type(exc).__name__,
                cause=f"{NOT_STARTED}: {exc}", failed_state=None,
            )
            raise
        return self.episodes.get_episode(episode.id) or episode

    def _started_body(self, episode: Episode) -> dict:
        return {
            "episode_id": episode.id,
            "status": episode.status,
            "execution_arn": episode.execution_id,
            "status_url": f"/episodes/{episode.id}",
        }

    def episode_summary(self, episode: Episode) -> dict:
        """An episode as a podcast's list shows it: what an admin panel lists."""
        return {
            "episode_id": episode.id,
            "status": episode.status,
            "window": {"start": episode.window_start, "end": episode.window_end},
            "duration_seconds": episode.duration_seconds,
            "error": episode.error,
            "cause": episode.cause,
            "failed_state": episode.failed_state,
            "outcome": episode.outcome,
            "attempt_count": episode.attempt_count,
            "created_at": episode.created_at,
            "updated_at": episode.updated_at,
            "status_url": f"/episodes/{episode.id}",
        }

    def episode_view(self, episode: Episode) -> dict:
        return {
            "episode_id": episode.id,
            "podcast_id": episode.podcast_id,
            "status": episode.status,
            "language": episode.language,
            "format": episode.format,
            "window": {"start": episode.window_start, "end": episode.window_end},
            "created_at": episode.created_at,
            "updated_at": episode.updated_at,
            "duration_seconds": episode.duration_seconds,
            "audio_url": self._audio_url(episode.audio_key) if episode.audio_key else None,
            "transcript_url": (
                self._audio_url(episode.transcript_key) if episode.transcript_key else None
            ),
            "error": episode.error,
            "cause": episode.cause,
            "failed_state": episode.failed_state,
            "outcome": episode.outcome,  # "nothing_new" for a skipped episode
            "attempt_count": episode.attempt_count,
            "execution_arn": episode.execution_id,
            "status_history": self.episodes.history(episode.id),
        }


# -- request details ----------------------------------------------------------------------------
def _etag(podcast: Podcast) -> dict:
    return {"ETag": f'"v{podcast.version}"'}


def _version(if_match: str | None) -> int | None:
    """The version an ``If-Match`` names; ``None`` without one (or with ``*``)."""
    if if_match is None or if_match.strip() == "*":
        return None
    match = _ETAG_RE.match(if_match.strip())
    if not match:
        raise InvalidInput('If-Match must be the ETag of a GET, such as "v3"')
    return int(match.group(1))




def _flag(value: object, field: str) -> bool:
    if value is None:
        return False
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise InvalidInput(f"{field} must be true or false")


def _page_size(value: object) -> int:
    if value is None:
        return DEFAULT_PAGE
    if not isinstance(value, str) or not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise InvalidInput(f"limit must be a whole number from 1 to {MAX_PAGE}")
    return int(value)


def _encode_cursor(episode: Episode) -> str:
    raw = json.dumps([episode.created_at, episode.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(value: object) -> tuple[str, str]:
    """A cursor is opaque to clients; anything but one this API made is a 400."""
    problem = InvalidInput("cursor is not one this API returned (use next_cursor as given)")
    if not isinstance(value, str) or len(value) > 200:
        raise problem
    try:
        created_at, episode_id = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        validate_episode_id(episode_id)
        datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    except (ValueError, TypeError, binascii.Error, InvalidInput, AttributeError):
        raise problem from None
    return created_at, episode_id


def request_fingerprint(podcast_id: str, body: dict | None) -> str:
    """A digest of what was asked: the podcast and the body's JSON, key order and spacing aside
    (an empty body and ``{}`` are one request)."""
    canonical = json.dumps([podcast_id, body or {}], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _never_started(episode: Episode) -> bool:
    return (episode.status == FAILED and episode.failed_state is None
            and (episode.cause or "").startswith(NOT_STARTED))
