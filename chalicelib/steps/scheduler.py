"""The scheduler tick: start one episode for each podcast whose next slot is due.

Run every few minutes (an EventBridge rule on AWS, ``make local``'s own timer locally, or once
with ``python -m podcasto_local.cli tick --now ...``). Each tick is one indexed query for the
due podcasts, whatever the number of podcasts not due, then per due podcast:

1. the slot is the latest one at or before now: a scheduler that was down for two days starts
   one catch-up episode, whose window (chalicelib.continuity) covers the whole gap;
2. the episode's id and idempotency key derive from (podcast, slot), and so does its execution
   name: a double fire, a retried invocation or two schedulers at once create one episode and
   start one execution (the stores' unique keys, and Step Functions' unique execution names);
3. only then is ``next_run_at`` moved past now, as a compare-and-set: a tick that dies between
   2 and 3 is repeated by the next one harmlessly.

Paused and archived podcasts are never due.

A new slot waits for room as an API start does (admission control, MAX_EPISODES_IN_FLIGHT):
when the bound is reached, that podcast and the due ones after it are *deferred*, left due
with ``next_run_at`` untouched, and the next tick starts them (their latest slot then: a
catch-up if another slot passed meanwhile). A schedule of fifty podcasts at 07:00 starts them
as room frees up instead of all at once past the providers' quotas, and loses none.
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Callable

from chalicelib.errors import PodcastoError, TooManyRequests
from chalicelib.schedule import parse_schedule
from chalicelib.stores.episodes import Episode, EpisodeStore, Podcast
from chalicelib.stores.rows import run_at

log = logging.getLogger(__name__)

_SLOT_NAMESPACE = uuid.UUID("0b9d3c52-4a5e-4c57-9a36-7363686564ff")
DEFAULT_BATCH = 100


def slot_episode_id(podcast_id: str, slot: datetime) -> str:
    """The one episode a (podcast, slot) may have."""
    return str(uuid.uuid5(_SLOT_NAMESPACE, f"{podcast_id}@{run_at(slot)}"))


def run_schedule(
    *,
    episodes: EpisodeStore,
    start_slot: Callable[[Podcast, datetime, str], Episode],
    now: datetime,
    batch: int = DEFAULT_BATCH,
) -> dict:
    """``start_slot(podcast, slot, episode_id)`` creates the slot's episode if absent and
    starts its execution if it is still pending (``Admin.start_slot``). Returns what was done."""
    due = episodes.due_podcasts(now, limit=batch)
    started, failed, deferred = [], [], []
    for index, podcast in enumerate(due):
        schedule = parse_schedule(podcast.schedule)
        slot = schedule.latest_at_or_before(now)
        episode_id = slot_episode_id(podcast.id, slot)
        try:
            episode = start_slot(podcast, slot, episode_id)
            started.append({"podcast_id": podcast.id, "slot": run_at(slot), "episode_id": episode.id,
                            "status": episode.status})
        except TooManyRequests:
            # No room: this podcast and the rest stay due (next_run_at untouched) for the next
            # tick; starting them would be refused for the same reason.
            deferred = [{"podcast_id": p.id, "next_run_at": p.next_run_at} for p in due[index:]]
            break
        except PodcastoError as exc:
            # Recorded on the episode when there is one (Admin._start); the slot is spent
            # either way, so a podcast that cannot start does not block the ones after it.
            log.warning("scheduled episode not started",
                        extra={"podcast_id": podcast.id, "error": type(exc).__name__})
            failed.append({"podcast_id": podcast.id, "slot": run_at(slot), "error": type(exc).__name__})
        episodes.advance_schedule(podcast.id, expected=podcast.next_run_at,
                                  next_run_at=run_at(schedule.next_after(now)))
    log.info("schedule tick", extra={"due": len(due), "started": len(started), "failed": len(failed),
                                     "deferred": len(deferred)})
    return {"now": run_at(now), "due": len(due), "started": started, "failed": failed,
            "deferred": deferred, "more_due": len(due) == batch}
