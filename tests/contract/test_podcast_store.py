"""The podcast half of the store contract (settings, versions, archive, schedule, episode lists),
run against every implementation (see conftest.py)."""
from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import COMPLETED, CONTENT_COLLECTED, FAILED, PENDING, PROCESSING, Window
from chalicelib.errors import AlreadyExists, InvalidInput, NotFound, PreconditionFailed
from chalicelib.stores.episodes import Podcast

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc)
WINDOW = Window(NOW - timedelta(days=7), NOW)


def _id() -> str:
    return f"pod-{uuid.uuid4().hex[:12]}"


def test_create_gives_version_one_and_refuses_a_taken_id(harness):
    created = harness.store.create_podcast(Podcast(id=_id(), title="New", sources=["@some_channel"]))
    assert created.version == 1 and created.created_at
    with pytest.raises(AlreadyExists):
        harness.store.create_podcast(replace(created, title="Again"))


def test_update_is_a_compare_and_set_on_the_version(harness):
    created = harness.store.create_podcast(Podcast(id=_id(), title="V1", sources=["@some_channel"]))
    second = harness.store.update_podcast(replace(created, title="V2"), expected_version=1)
    assert (second.title, second.version) == ("V2", 2)
    with pytest.raises(PreconditionFailed):
        harness.store.update_podcast(replace(created, title="lost"), expected_version=1)
    assert harness.store.get_podcast(created.id).title == "V2"
    with pytest.raises(NotFound):
        harness.store.update_podcast(Podcast(id=_id(), title="x", sources=["@some_channel"]), expected_version=1)


def test_of_two_concurrent_writers_of_one_version_exactly_one_wins(harness):
    created = harness.store.create_podcast(Podcast(id=_id(), title="V1", sources=["@some_channel"]))
    outcomes = []

    def write(title):
        try:
            harness.store.update_podcast(replace(created, title=title), expected_version=1)
            outcomes.append("won")
        except PreconditionFailed:
            outcomes.append("stale")

    threads = [threading.Thread(target=write, args=(f"T{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["stale", "stale", "stale", "won"]
    assert harness.store.get_podcast(created.id).version == 2


def test_archive_hides_from_the_list_and_restore_brings_back(harness):
    created = harness.store.create_podcast(Podcast(id=_id(), title="A", sources=["@some_channel"]))
    archived = harness.store.set_archived(created.id, True)
    assert archived.archived_at is not None
    assert created.id not in [p.id for p in harness.store.list_podcasts()]
    assert created.id in [p.id for p in harness.store.list_podcasts(include_archived=True)]
    assert harness.store.get_podcast(created.id).archived_at is not None
    assert harness.store.set_archived(created.id, False).archived_at is None
    assert created.id in [p.id for p in harness.store.list_podcasts()]
    with pytest.raises(NotFound):
        harness.store.set_archived(_id(), True)


def test_due_podcasts_are_the_due_unpaused_unarchived_earliest_first(harness):
    schedule = {"at": "07:00", "timezone": "UTC"}
    tag = uuid.uuid4().hex[:6]

    def podcast(name, next_run_at, **extra):
        return harness.new_podcast(id=f"due-{tag}-{name}", schedule=schedule, next_run_at=next_run_at, **extra)

    later = podcast("later", "2026-12-02T09:00:00Z")
    earlier = podcast("earlier", "2026-12-01T07:00:00Z")
    podcast("future", "2026-12-03T07:00:00Z")
    podcast("paused", "2026-12-01T07:00:00Z", paused=True)
    archived = podcast("archived", "2026-12-01T07:00:00Z")
    harness.store.set_archived(archived.id, True)
    due = [p.id for p in harness.store.due_podcasts(NOW, limit=1000) if p.id.startswith(f"due-{tag}")]
    assert due == [earlier.id, later.id]
    assert len(harness.store.due_podcasts(NOW, limit=1)) == 1


def test_advancing_a_schedule_is_a_compare_and_set(harness):
    podcast = harness.new_podcast(schedule={"at": "07:00", "timezone": "UTC"}, next_run_at="2026-12-02T07:00:00Z")
    assert harness.store.advance_schedule(podcast.id, expected="2026-12-02T07:00:00Z", next_run_at="2026-12-03T07:00:00Z")
    assert not harness.store.advance_schedule(podcast.id, expected="2026-12-02T07:00:00Z", next_run_at="2026-12-04T07:00:00Z")
    assert harness.store.get_podcast(podcast.id).next_run_at == "2026-12-03T07:00:00Z"


def _move(harness, episode, status):
    paths = {
        CONTENT_COLLECTED: [(PENDING, CONTENT_COLLECTED)],
        PROCESSING: [(PENDING, CONTENT_COLLECTED), (CONTENT_COLLECTED, PROCESSING)],
        COMPLETED: [(PENDING, CONTENT_COLLECTED), (CONTENT_COLLECTED, PROCESSING), (PROCESSING, COMPLETED)],
        FAILED: [(PENDING, FAILED)],
    }
    harness.store.claim(episode.id, "exec-" + episode.id)
    for expected, to in paths.get(status, []):
        harness.store.transition(episode.id, expected=expected, to=to, execution_id="exec-" + episode.id)


def test_episodes_are_listed_newest_first_page_by_page(harness):
    podcast = harness.new_podcast()
    made = [harness.store.create_episode(podcast_id=podcast.id, language="en", format="dialogue",
                                         window=WINDOW)[0] for _ in range(5)]
    seen, before = [], None
    while True:
        page = harness.store.list_episodes(podcast.id, limit=2, before=before)
        seen.extend(page)
        if len(page) < 2:
            break
        before = (page[-1].created_at, page[-1].id)
    assert [e.id for e in seen] == [e.id for e in sorted(made, key=lambda e: (e.created_at, e.id), reverse=True)]
    assert len({e.id for e in seen}) == 5


def test_in_flight_counts_and_the_last_completed_end(harness):
    podcast = harness.new_podcast()

    def episode(end_day, status):
        made, _ = harness.store.create_episode(
            podcast_id=podcast.id, language="en", format="dialogue",
            window=Window(datetime(2026, 11, end_day - 1, tzinfo=timezone.utc),
                          datetime(2026, 11, end_day, 12, 30, 15, 250000, tzinfo=timezone.utc)))
        _move(harness, made, status)
        return made

    assert harness.store.last_completed_end(podcast.id) is None
    episode(10, COMPLETED)
    episode(12, COMPLETED)
    episode(20, FAILED)
    episode(25, PENDING)
    episode(26, PROCESSING)
    assert harness.store.last_completed_end(podcast.id) == "2026-11-12T12:30:15.250000Z"
    assert harness.store.episodes_in_flight(podcast.id) == 2


@pytest.mark.parametrize("bad", [
    {"title": ""},
    {"sources": []},
    {"sources": ["not a channel!"]},
    {"sources": ["@dup_channel", "@dup_channel"]},
    {"hosts": [{"name": "A"}, {"name": "B"}, {"name": "C"}]},
    {"hosts": [{"name": "A", "voices": {"nope": "x"}}]},
    {"schedule": {"at": "25:00", "timezone": "UTC"}},
    {"schedule": {"at": "07:00", "timezone": "Mars/Olympus"}},
    {"schedule": {"at": "07:00", "timezone": "UTC", "days": ["someday"]}},
    {"target_minutes": 0},
    {"days_back": 1000},
    {"category": "Gossip"},
    {"image": "http://plain.example/cover.jpg"},
    {"title": "bell\x07"},
])
def test_the_database_refuses_a_podcast_the_workflow_cannot_run(harness, bad):
    """Another client writing SQL (not through the store) meets the same rules."""
    values = {"id": _id(), "title": "OK", "sources": ["@some_channel"], **bad}
    with pytest.raises(harness.refused):
        harness.raw_podcast(values)
    with pytest.raises(InvalidInput):  # and the store names the field before the database
        harness.store.put_podcast(Podcast(**{k: v for k, v in values.items()}))


def test_the_database_accepts_what_the_validator_accepts(harness):
    values = {"id": _id(), "title": "OK", "sources": ["@some_channel", "-1001234567890"],
              "schedule": {"every_days": 3, "at": "07:00", "timezone": "Europe/London", "starting": "2026-12-01"},
              "hosts": [{"name": "A", "voices": {"polly": "Joanna"}}, {"name": "B", "role": "expert"}]}
    harness.raw_podcast(values)
    assert harness.store.get_podcast(values["id"]).schedule == values["schedule"]


def test_listing_podcasts_reads_every_page(harness, monkeypatch):
    """Hosted Supabase answers at most 1,000 rows: the list must not stop at one page."""
    import chalicelib.stores.supabase_store as supabase_store

    monkeypatch.setattr(supabase_store, "_PAGE", 2)
    tag = uuid.uuid4().hex[:6]
    made = {harness.new_podcast(id=f"page-{tag}-{i}").id for i in range(5)}
    listed = [p.id for p in harness.store.list_podcasts()]
    assert made <= set(listed) and len(listed) == len(set(listed))
    assert listed == sorted(listed)
