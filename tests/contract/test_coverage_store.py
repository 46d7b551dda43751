"""What completed episodes covered (never a repeat), run against every store (see conftest.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import (
    COMPLETED,
    CONTENT_COLLECTED,
    FAILED,
    IN_FLIGHT,
    PENDING,
    PROCESSING,
    SKIPPED,
    Window,
    new_episode_id,
)
from chalicelib.errors import NotFound

DAY = datetime(2026, 11, 2, tzinfo=timezone.utc)
OPEN = Window(None, None)
MOVES = {
    PENDING: [],
    CONTENT_COLLECTED: [(PENDING, CONTENT_COLLECTED)],
    PROCESSING: [(PENDING, CONTENT_COLLECTED), (CONTENT_COLLECTED, PROCESSING)],
    COMPLETED: [(PENDING, CONTENT_COLLECTED), (CONTENT_COLLECTED, PROCESSING), (PROCESSING, COMPLETED)],
    FAILED: [(PENDING, CONTENT_COLLECTED), (CONTENT_COLLECTED, FAILED)],
    SKIPPED: [(PENDING, SKIPPED)],
}


def at(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


def episode(harness, podcast_id: str, messages, status: str = COMPLETED) -> str:
    """An episode of ``podcast_id`` that kept ``messages`` ((channel, id, hours after DAY)) and
    then reached ``status``."""
    created, _ = harness.store.create_episode(
        podcast_id=podcast_id, language="en", format="dialogue", window=OPEN)
    harness.store.record_messages(created.id, [(c, i, at(h)) for c, i, h in messages])
    for expected, to in MOVES[status]:
        harness.store.transition(created.id, expected=expected, to=to)
    return created.id


def covered(harness, podcast_id: str, window: Window = OPEN, exclude: str | None = None) -> set:
    return harness.store.covered_messages(
        podcast_id, window=window, exclude_episode_id=exclude or new_episode_id())


def test_a_completed_episodes_messages_are_covered_for_the_podcasts_other_episodes(harness):
    podcast = harness.new_podcast()
    done = episode(harness, podcast.id, [("@one", 1, 0), ("@one", 2, 1), ("@two", 1, 2)])

    assert covered(harness, podcast.id) == {("@one", 1), ("@one", 2), ("@two", 1)}
    # ... but not for itself (a Lambda retry of its own collection), nor for another podcast.
    assert covered(harness, podcast.id, exclude=done) == set()
    assert covered(harness, harness.new_podcast().id) == set()


@pytest.mark.parametrize("status", IN_FLIGHT)
def test_an_episode_still_being_made_covers_its_messages_too(harness, status):
    # A scheduled slot starting beside a manual run must not tell the running episode's stories.
    podcast = harness.new_podcast()
    running = episode(harness, podcast.id, [("@one", 1, 0)], status=status)

    assert covered(harness, podcast.id) == {("@one", 1)}
    assert covered(harness, podcast.id, exclude=running) == set()


@pytest.mark.parametrize("status", [FAILED, SKIPPED])
def test_a_failed_or_skipped_episode_covers_nothing(harness, status):
    podcast = harness.new_podcast()
    episode(harness, podcast.id, [("@one", 1, 0)], status=status)

    assert covered(harness, podcast.id) == set()


def test_a_window_covers_from_its_start_inclusive_to_its_end_exclusive(harness):
    podcast = harness.new_podcast()
    episode(harness, podcast.id, [("@one", i, i) for i in range(6)])  # message i at DAY + i hours

    assert covered(harness, podcast.id, Window(at(2), at(4))) == {("@one", 2), ("@one", 3)}
    assert covered(harness, podcast.id, Window(at(4), None)) == {("@one", 4), ("@one", 5)}
    assert covered(harness, podcast.id, Window(None, at(1.5))) == {("@one", 0), ("@one", 1)}
    # A bound with fractions of a second still compares as an instant.
    assert covered(harness, podcast.id, Window(at(3) - timedelta(microseconds=1), at(3) + timedelta(microseconds=1))) == {
        ("@one", 3)}


def test_collecting_again_replaces_what_the_episode_recorded_before(harness):
    podcast = harness.new_podcast()
    created, _ = harness.store.create_episode(
        podcast_id=podcast.id, language="en", format="dialogue", window=OPEN)
    harness.store.record_messages(created.id, [("@one", 1, at(0)), ("@one", 2, at(1))])

    assert harness.store.record_messages(created.id, [("@one", 3, at(2))]) == 1
    for expected, to in MOVES[COMPLETED]:
        harness.store.transition(created.id, expected=expected, to=to)

    assert covered(harness, podcast.id) == {("@one", 3)}


def test_recording_nothing_clears_the_episodes_messages(harness):
    podcast = harness.new_podcast()
    created, _ = harness.store.create_episode(
        podcast_id=podcast.id, language="en", format="dialogue", window=OPEN)
    harness.store.record_messages(created.id, [("@one", 1, at(0))])
    harness.store.record_messages(created.id, [])
    for expected, to in MOVES[COMPLETED]:
        harness.store.transition(created.id, expected=expected, to=to)

    assert covered(harness, podcast.id) == set()


@pytest.mark.parametrize("page_size", [1, 2, 1000])
def test_a_message_two_completed_episodes_kept_is_listed_once(harness, monkeypatch, page_size):
    monkeypatch.setattr(harness.store, "page_size", page_size, raising=False)
    podcast = harness.new_podcast()
    episode(harness, podcast.id, [("@one", 1, 0)])
    episode(harness, podcast.id, [("@one", 1, 0), ("@one", 2, 1)])

    assert covered(harness, podcast.id) == {("@one", 1), ("@one", 2)}


def test_many_covered_messages_are_read_in_pages(harness, monkeypatch):
    # Supabase's PostgREST caps the rows of one answer: the store must page, not truncate.
    monkeypatch.setattr(harness.store, "page_size", 7, raising=False)
    podcast = harness.new_podcast()
    messages = [(f"@ch{c}", i, i / 10) for c in range(3) for i in range(1, 21)]
    episode(harness, podcast.id, messages)

    assert covered(harness, podcast.id) == {(c, i) for c, i, _ in messages}


def test_covered_elsewhere_counts_the_messages_a_completed_episode_kept_too(harness):
    podcast = harness.new_podcast()
    failed = episode(harness, podcast.id, [("@one", 1, 0), ("@one", 2, 1), ("@one", 3, 2)], status=FAILED)
    assert harness.store.covered_elsewhere(failed) == 0

    episode(harness, podcast.id, [("@one", 2, 1), ("@one", 3, 2), ("@one", 4, 3)])
    episode(harness, podcast.id, [("@one", 1, 0)], status=FAILED)  # a failed one covers nothing
    other_podcast = harness.new_podcast()
    episode(harness, other_podcast.id, [("@one", 1, 0)])  # nor does another podcast's

    assert harness.store.covered_elsewhere(failed) == 2


@pytest.mark.parametrize("status", IN_FLIGHT)
def test_covered_elsewhere_counts_what_an_episode_still_being_made_kept(harness, status):
    podcast = harness.new_podcast()
    failed = episode(harness, podcast.id, [("@one", 1, 0), ("@one", 2, 1)], status=FAILED)
    episode(harness, podcast.id, [("@one", 2, 1)], status=status)

    assert harness.store.covered_elsewhere(failed) == 1  # its retry collects again


def test_recording_for_an_unknown_episode_is_not_found(harness):
    with pytest.raises(NotFound):
        harness.store.record_messages(new_episode_id(), [("@one", 1, at(0))])
