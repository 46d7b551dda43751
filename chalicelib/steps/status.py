"""The status-moving Task states: each is one compare-and-set on the episode store.

Status only moves forward (chalicelib.domain). A step repeated by a Lambda retry with the same
execution id is a no-op in the store, so at-least-once delivery is safe.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from chalicelib import redact
from chalicelib.domain import (
    COMPLETED,
    CONTENT_COLLECTED,
    FAILED,
    NOTHING_NEW,
    PENDING,
    PROCESSING,
    SKIPPED,
    TERMINAL,
)
from chalicelib.errors import StatusConflict
from chalicelib.stores.episodes import EpisodeStore

MAX_CAUSE_CHARS = 2000


def mark_content_collected(event: dict, *, episodes: EpisodeStore) -> dict:
    content = event["content"]
    episode = episodes.transition(
        event["episode"]["episode_id"],
        expected=PENDING,
        to=CONTENT_COLLECTED,
        execution_id=event["execution_id"],
        detail=f"{content.get('messages')} messages in {content['key']}",
        content_key=content["key"],
        content_etag=content["etag"],
    )
    return {"status": episode.status}


def mark_processing(event: dict, *, episodes: EpisodeStore) -> dict:
    episode = episodes.transition(
        event["episode"]["episode_id"],
        expected=CONTENT_COLLECTED,
        to=PROCESSING,
        execution_id=event["execution_id"],
    )
    return {"status": episode.status}


def mark_completed(event: dict, *, episodes: EpisodeStore, now: datetime | None = None) -> dict:
    audio = event["audio"]
    episode = episodes.transition(
        event["episode"]["episode_id"],
        expected=PROCESSING,
        to=COMPLETED,
        execution_id=event["execution_id"],
        detail=f"{audio['duration_seconds']:.1f} s of audio",
        audio_key=audio["audio_key"],
        transcript_key=audio["transcript_key"],
        duration_seconds=audio["duration_seconds"],
        title=audio.get("title"),
        show_notes=json.dumps(audio["show_notes"], ensure_ascii=False) if audio.get("show_notes") else None,
        audio_bytes=audio.get("audio_bytes"),
        completed_at=(now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    )
    return {"status": episode.status}


def mark_skipped(event: dict, *, episodes: EpisodeStore) -> dict:
    """pending → skipped with the outcome ``nothing_new``: CollectContent found nothing new in
    the window (its ``NoContent``, caught into ``$.skipped``). No audio is made and the execution
    succeeds; the next episode starts from the same point, since continuity counts only
    completed episodes. The reason is in the history detail and in the episode's ``cause``."""
    reason = clean_cause(_object(event.get("skipped")).get("Cause")) or "nothing new in the window"
    episode = episodes.transition(
        event["episode"]["episode_id"],
        expected=PENDING,
        to=SKIPPED,
        execution_id=event["execution_id"],
        detail=f"{NOTHING_NEW}: {reason}",
        outcome=NOTHING_NEW,
        cause=reason,
        # A retry that collected again and found everything covered since: its earlier bundle
        # is no content of this episode any more.
        content_key=None,
        content_etag=None,
    )
    return {"status": episode.status, "outcome": episode.outcome}


def mark_failed(event: dict, *, episodes: EpisodeStore) -> dict:
    """Record why the execution failed on its episode; return the error for the Fail state.

    ``event["state"]`` is the whole state data; ``state["failures"]`` holds one entry keyed by
    the failed state's name (each Catch writes to ``$.failures.<StateName>``). When there is no
    episode (invalid input) or another execution owns it, nothing is written.
    """
    # The ASL nests the caller's input under $.input, so the state's keys are the workflow's
    # own; a malformed state is still reported, never a crash that loses the original error.
    state = _object(event.get("state"))
    failures = _object(state.get("failures")) or {"Unknown": {}}
    failed_state, failure = next(iter(failures.items()))
    failure = _object(failure)
    error = str(failure.get("Error") or "States.Unknown")
    cause = clean_cause(failure.get("Cause"))
    episode_id = _object(state.get("episode")).get("episode_id")
    if episode_id:
        record_failure(
            episodes,
            episode_id,
            execution_id=event["execution_id"],
            error=error,
            cause=cause,
            failed_state=failed_state,
        )
    return {"Error": error, "Cause": cause, "State": failed_state}


def _object(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def record_failure(
    episodes: EpisodeStore,
    episode_id: str,
    *,
    execution_id: str,
    error: str,
    cause: str,
    failed_state: str | None,
    owner_required: bool = False,
) -> bool:
    """Move a non-terminal episode owned by ``execution_id`` to failed (or owned by nobody,
    unless ``owner_required``: an unbound episode may be waiting for a retry's execution).

    Returns whether it wrote. Retries the compare-and-set when the status moved under us.
    """
    # Whatever reported the failure, no secret is stored where GET /episodes/{id} shows it.
    error, cause = redact.text(error), redact.text(cause)
    owners = (execution_id,) if owner_required else (None, execution_id)
    for _ in range(3):
        episode = episodes.get_episode(episode_id)
        if episode is None or episode.status in TERMINAL:
            return False
        if episode.execution_id not in owners:
            return False  # another execution owns it: its own failure path will report
        try:
            episodes.transition(
                episode_id,
                expected=episode.status,
                to=FAILED,
                execution_id=execution_id,
                detail=f"{error} in {failed_state}" if failed_state else error,
                error=error,
                cause=cause,
                failed_state=failed_state,
            )
            return True
        except StatusConflict:
            continue
    return False


def clean_cause(cause: object) -> str:
    """A Lambda error's Cause is the runtime's JSON ({errorMessage, errorType, stackTrace}):
    keep the message, never the stack trace, which must not reach users."""
    if not cause:
        return ""
    text = str(cause)
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and "errorMessage" in parsed:
        text = str(parsed["errorMessage"])
    return redact.text(text)[:MAX_CAUSE_CHARS]
