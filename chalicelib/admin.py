"""What the admin API does, independent of HTTP: list podcasts, start, show and retry episodes.

Each method returns ``(status_code, body)`` or raises a podcasto error; ``chalicelib.http``
turns both into responses.
"""
from __future__ import annotations

import re
from typing import Callable

from chalicelib.domain import FAILED, validate_episode_id, validate_podcast_id
from chalicelib.episode_request import BODY_FIELDS, parse_episode_request
from chalicelib.errors import InvalidInput, NotFound, PodcastoError, StatusConflict, TooManyRequests
from chalicelib.steps.status import record_failure
from chalicelib.steps.validate import default_window
from chalicelib.stores.episodes import Episode, EpisodeStore
from chalicelib.workflow import WorkflowStarter, execution_name

_IDEMPOTENCY_KEY_RE = re.compile(r"^[\x21-\x7e]{1,128}$")


class Admin:
    def __init__(
        self,
        *,
        episodes: EpisodeStore,
        starter: Callable[[], WorkflowStarter],
        audio_url: Callable[[str], str],
        admission: Callable[[], tuple[int, int]] | None = None,
    ):
        self.episodes = episodes
        self._starter = starter  # built on first use: GET routes never need Step Functions
        self._audio_url = audio_url
        # () -> (MAX_EPISODES_IN_FLIGHT, ADMISSION_RETRY_AFTER_SECONDS); None: no bound.
        self._admission = admission

    def list_podcasts(self) -> tuple[int, dict]:
        return 200, {"podcasts": [p.to_json() for p in self.episodes.list_podcasts()]}

    def start_episode(
        self, podcast_id: str, body: dict | None, *, idempotency_key: str | None = None
    ) -> tuple[int, dict]:
        podcast_id = validate_podcast_id(podcast_id)
        request = parse_episode_request(body, podcast_id=podcast_id, allowed=BODY_FIELDS)
        if idempotency_key is not None and not _IDEMPOTENCY_KEY_RE.match(idempotency_key):
            raise InvalidInput("the Idempotency-Key header must be 1-128 printable ASCII characters")
        podcast = self.episodes.get_podcast(podcast_id)
        if podcast is None:
            raise NotFound(f"podcast_id {podcast_id!r} does not exist")
        self._admit()
        episode, created = self.episodes.create_episode(
            podcast_id=podcast.id,
            language=request.language or podcast.language,
            format=request.format or podcast.format,
            window=request.window or default_window(podcast),
            idempotency_key=idempotency_key,
        )
        if not created:  # the same Idempotency-Key: the same episode, nothing new started
            return 202, self._started_body(episode)
        return 202, self._start(episode)

    def episode(self, episode_id: str) -> tuple[int, dict]:
        episode = self._existing(episode_id)
        return 200, self.episode_view(episode)

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
        return 202, self._start(episode)

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

    def _existing(self, episode_id: str) -> Episode:
        episode_id = validate_episode_id(episode_id)
        episode = self.episodes.get_episode(episode_id)
        if episode is None:
            raise NotFound(f"episode_id {episode_id} does not exist")
        return episode

    def _start(self, episode: Episode) -> dict:
        """Bind the episode to its execution's ARN, then start it. If starting fails, the
        episode is failed with the reason — never left pending with nothing running."""
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
                cause=f"the execution could not be started: {exc}", failed_state=None,
            )
            raise
        return self._started_body(self.episodes.get_episode(episode.id) or episode)

    def _started_body(self, episode: Episode) -> dict:
        return {
            "episode_id": episode.id,
            "status": episode.status,
            "execution_arn": episode.execution_id,
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
            "attempt_count": episode.attempt_count,
            "execution_arn": episode.execution_id,
            "status_history": self.episodes.history(episode.id),
        }
