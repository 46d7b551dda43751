"""The episode-store contract, run against every implementation (see conftest.py)."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timezone

import pytest

from chalicelib.domain import (
    COMPLETED,
    CONTENT_COLLECTED,
    FAILED,
    PENDING,
    PROCESSING,
    SKIPPED,
    Window,
    new_episode_id,
)
from chalicelib.errors import InvalidInput, NotFound, StatusConflict

WINDOW = Window(
    start=datetime(2026, 11, 1, tzinfo=timezone.utc), end=datetime(2026, 11, 8, tzinfo=timezone.utc)
)
# How to bring a fresh episode into each status with forward moves only.
PATHS = {
    PENDING: [],
    CONTENT_COLLECTED: [(PENDING, CONTENT_COLLECTED)],
    PROCESSING: [(PENDING, CONTENT_COLLECTED), (CONTENT_COLLECTED, PROCESSING)],
    COMPLETED: [(PENDING, CONTENT_COLLECTED), (CONTENT_COLLECTED, PROCESSING), (PROCESSING, COMPLETED)],
    FAILED: [(PENDING, FAILED)],
    SKIPPED: [(PENDING, SKIPPED)],
}
# The legal moves as the README states them, written out here rather than read from
# chalicelib.domain: a move added there (and to a database's trigger) must fail this suite.
LEGAL_MOVES = [
    ("pending", "content_collected"),
    ("content_collected", "processing"),
    ("processing", "completed"),
    ("pending", "failed"),
    ("content_collected", "failed"),
    ("processing", "failed"),
    ("pending", "skipped"),  # nothing new to tell: only before anything is collected
]
ALL_STATUSES = ["pending", "content_collected", "processing", "completed", "failed", "skipped"]
# Every status change a client may not write: all but the forward moves (and no change at all).
# failed -> pending is among them: only the stores' retry() may revive an episode; nothing
# leaves completed.
ILLEGAL_STATUS_CHANGES = sorted(
    {(a, b) for a in ALL_STATUSES for b in ALL_STATUSES if a != b} - set(LEGAL_MOVES)
)
ILLEGAL_MOVES = sorted(
    {(a, b) for a in ALL_STATUSES for b in ALL_STATUSES} - set(LEGAL_MOVES)
    | {(PENDING, "cancelled"), ("cancelled", PENDING)}
)


def new_episode(harness, **kwargs):
    podcast = harness.new_podcast()
    episode, created = harness.store.create_episode(
        podcast_id=podcast.id, language="en", format="dialogue", window=WINDOW, **kwargs
    )
    assert created
    return episode


def episode_in(harness, status: str, execution_id: str = "exec-1"):
    episode = new_episode(harness)
    harness.store.claim(episode.id, execution_id)
    for expected, to in PATHS[status]:
        harness.store.transition(episode.id, expected=expected, to=to, execution_id=execution_id)
    return harness.store.get_episode(episode.id)


# --- podcasts -----------------------------------------------------------------------------------
SETTINGS = ("title", "language", "format", "hosts", "sources", "days_back", "paused", "speech_provider",
            "description", "author", "category", "explicit", "image", "script_style", "target_minutes",
            "schedule", "next_run_at")


def test_podcast_round_trips_with_every_setting(harness):
    podcast = harness.new_podcast(
        language="he",
        format="narrator",
        hosts=[{"name": "Dana", "role": "host", "voices": {"gemini": "Kore"}}, {"name": "Avi", "role": "expert"}],
        sources=["@channel_one", "-1001234567890"],
        days_back=3,
        paused=True,
        speech_provider="gemini",
        description="שלום & <b>news</b>\nsecond line",
        author="Dana",
        category="Technology",
        explicit=True,
        image="https://example.com/cover.jpg",
        script_style="Keep it light.",
        target_minutes=15,
        schedule={"days": ["mon", "sun"], "at": "07:00", "timezone": "Asia/Jerusalem"},
        next_run_at="2026-12-06T05:00:00Z",
    )
    found = harness.store.get_podcast(podcast.id)
    assert {f: getattr(found, f) for f in SETTINGS} == {f: getattr(podcast, f) for f in SETTINGS}
    assert found.version >= 1 and found.archived_at is None and found.created_at
    assert podcast.id in [p.id for p in harness.store.list_podcasts()]


def test_a_podcast_without_its_own_speech_provider_reads_back_as_none(harness):
    podcast = harness.new_podcast()
    assert harness.store.get_podcast(podcast.id).speech_provider is None


def test_an_unknown_speech_provider_is_refused_naming_the_field(harness):
    podcast = harness.new_podcast()
    podcast.speech_provider = "festival"
    with pytest.raises(InvalidInput, match="speech_provider must be one of espeak, polly, gemini"):
        harness.store.put_podcast(podcast)


def test_put_podcast_replaces_an_existing_one_keeping_its_episodes(harness):
    episode = new_episode(harness)
    podcast = harness.store.get_podcast(episode.podcast_id)
    podcast.title = "Renamed"
    podcast.paused = True
    harness.store.put_podcast(podcast)
    assert harness.store.get_podcast(podcast.id).title == "Renamed"
    assert harness.store.get_episode(episode.id) == episode


def test_unknown_podcast_is_none(harness):
    assert harness.store.get_podcast("no-such-podcast") is None


# --- create / get -------------------------------------------------------------------------------
def test_create_makes_a_pending_first_attempt_with_its_window(harness):
    podcast = harness.new_podcast()
    episode, created = harness.store.create_episode(
        podcast_id=podcast.id, language="he", format="narrator", window=WINDOW
    )
    assert created
    assert (episode.status, episode.attempt_count, episode.podcast_id) == (PENDING, 1, podcast.id)
    assert (episode.language, episode.format) == ("he", "narrator")
    assert episode.window == WINDOW
    assert episode.window_start == "2026-11-01T00:00:00Z"
    assert episode.created_at.endswith("Z") and episode.updated_at.endswith("Z")
    assert harness.store.get_episode(episode.id) == episode


def test_create_with_an_open_window(harness):
    podcast = harness.new_podcast()
    episode, _ = harness.store.create_episode(
        podcast_id=podcast.id, language="en", format="dialogue", window=Window(None, None)
    )
    assert (episode.window_start, episode.window_end) == (None, None)


def test_create_with_a_used_idempotency_key_returns_the_existing_episode(harness):
    podcast = harness.new_podcast()
    first, created = harness.store.create_episode(
        podcast_id=podcast.id, language="en", format="dialogue", window=WINDOW, idempotency_key="k1"
    )
    again, created_again = harness.store.create_episode(
        podcast_id=podcast.id, language="en", format="dialogue", window=WINDOW, idempotency_key="k1"
    )
    assert (created, created_again) == (True, False)
    assert again.id == first.id
    assert again.idempotency_key == "k1"


def test_idempotency_keys_are_per_podcast(harness):
    one, two = harness.new_podcast(), harness.new_podcast()
    first, _ = harness.store.create_episode(
        podcast_id=one.id, language="en", format="dialogue", window=WINDOW, idempotency_key="same"
    )
    other, created = harness.store.create_episode(
        podcast_id=two.id, language="en", format="dialogue", window=WINDOW, idempotency_key="same"
    )
    assert created
    assert other.id != first.id


def test_create_with_an_existing_episode_id_returns_it(harness):
    episode_id = new_episode_id()
    first = new_episode(harness, episode_id=episode_id)
    again, created = harness.store.create_episode(
        podcast_id=first.podcast_id, language="en", format="dialogue", window=WINDOW,
        episode_id=episode_id,
    )
    assert first.id == episode_id
    assert (again.id, created) == (episode_id, False)


def test_create_for_an_unknown_podcast_is_not_found(harness):
    with pytest.raises(NotFound):
        harness.store.create_episode(
            podcast_id="no-such-podcast", language="en", format="dialogue", window=WINDOW
        )


@pytest.mark.parametrize(
    "overrides", [{"language": "fr"}, {"format": "monologue"}, {"podcast_id": "../etc"},
                  {"episode_id": "not-a-uuid"}]
)
def test_create_refuses_bad_fields(harness, overrides):
    podcast = harness.new_podcast()
    arguments = {"podcast_id": podcast.id, "language": "en", "format": "dialogue", "window": WINDOW}
    arguments.update(overrides)
    with pytest.raises(InvalidInput):
        harness.store.create_episode(**arguments)


def test_unknown_episode_is_none(harness):
    assert harness.store.get_episode(new_episode_id()) is None


# --- claim --------------------------------------------------------------------------------------
def test_claim_binds_the_execution(harness):
    episode = new_episode(harness)
    claimed = harness.store.claim(episode.id, "exec-1")
    assert (claimed.status, claimed.execution_id) == (PENDING, "exec-1")
    assert harness.store.get_episode(episode.id).execution_id == "exec-1"


def test_claiming_again_with_the_same_execution_is_a_no_op(harness):
    episode = new_episode(harness)
    harness.store.claim(episode.id, "exec-1")
    again = harness.store.claim(episode.id, "exec-1")
    assert again.execution_id == "exec-1"


def test_claim_by_another_execution_conflicts(harness):
    episode = new_episode(harness)
    harness.store.claim(episode.id, "exec-1")
    with pytest.raises(StatusConflict) as caught:
        harness.store.claim(episode.id, "exec-2")
    assert caught.value.current == PENDING
    assert harness.store.get_episode(episode.id).execution_id == "exec-1"


@pytest.mark.parametrize("status", [CONTENT_COLLECTED, PROCESSING, COMPLETED, FAILED])
def test_claiming_a_started_episode_conflicts(harness, status):
    episode = episode_in(harness, status)
    with pytest.raises(StatusConflict) as caught:
        harness.store.claim(episode.id, "exec-2")
    assert caught.value.current == status


def test_claiming_an_unknown_episode_is_not_found(harness):
    with pytest.raises(NotFound):
        harness.store.claim(new_episode_id(), "exec-1")


def test_exactly_one_of_twenty_concurrent_claimers_wins(harness):
    episode = new_episode(harness)
    start = threading.Barrier(20)
    outcomes: dict[str, str] = {}

    def claimer(n: int) -> None:
        execution_id = f"exec-{n}"
        start.wait()
        try:
            harness.store.claim(episode.id, execution_id)
            outcomes[execution_id] = "won"
        except StatusConflict:
            outcomes[execution_id] = "lost"
        except Exception as exc:  # recorded so the assertion shows it
            outcomes[execution_id] = repr(exc)

    threads = [threading.Thread(target=claimer, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [name for name, outcome in outcomes.items() if outcome == "won"]
    assert sorted(set(outcomes.values())) == ["lost", "won"], outcomes
    assert len(winners) == 1
    assert harness.store.get_episode(episode.id).execution_id == winners[0]


# --- transitions --------------------------------------------------------------------------------
@pytest.mark.parametrize("expected,to", LEGAL_MOVES)
def test_every_legal_transition_moves_and_records_history(harness, expected, to):
    episode = episode_in(harness, expected)
    before = harness.store.history(episode.id)
    moved = harness.store.transition(
        episode.id, expected=expected, to=to, execution_id="exec-1", detail=f"to {to}"
    )
    assert moved.status == to
    assert harness.store.get_episode(episode.id).status == to
    history = harness.store.history(episode.id)
    assert history[:-1] == before
    last = history[-1]
    assert (last["from_status"], last["to_status"]) == (expected, to)
    assert (last["execution_id"], last["detail"]) == ("exec-1", f"to {to}")
    assert last["at"].endswith("Z")


@pytest.mark.parametrize("expected,to", ILLEGAL_MOVES)
def test_every_illegal_transition_is_refused_and_writes_nothing(harness, expected, to):
    # An episode really in ``expected`` (or pending when ``expected`` is no status at all).
    episode = episode_in(harness, expected if expected in ALL_STATUSES else PENDING)
    before = (harness.store.get_episode(episode.id), harness.store.history(episode.id))
    with pytest.raises(StatusConflict) as caught:
        harness.store.transition(episode.id, expected=expected, to=to, execution_id="exec-1")
    assert caught.value.current == episode.status
    assert (harness.store.get_episode(episode.id), harness.store.history(episode.id)) == before


def test_a_stale_expected_status_conflicts_with_the_current_one(harness):
    episode = episode_in(harness, PROCESSING)
    with pytest.raises(StatusConflict) as caught:
        harness.store.transition(episode.id, expected=PENDING, to=CONTENT_COLLECTED)
    assert caught.value.current == PROCESSING
    assert harness.store.get_episode(episode.id).status == PROCESSING


def test_transition_of_an_unknown_episode_is_not_found(harness):
    with pytest.raises(NotFound):
        harness.store.transition(new_episode_id(), expected=PENDING, to=CONTENT_COLLECTED)


def test_transition_sets_fields_in_the_same_write(harness):
    episode = episode_in(harness, PENDING)
    moved = harness.store.transition(
        episode.id, expected=PENDING, to=CONTENT_COLLECTED, execution_id="exec-1",
        content_key="podcasts/p/e/content.json", content_etag='"abc"',
    )
    assert (moved.content_key, moved.content_etag) == ("podcasts/p/e/content.json", '"abc"')
    moved = harness.store.transition(episode.id, expected=CONTENT_COLLECTED, to=PROCESSING)
    done = harness.store.transition(
        episode.id, expected=PROCESSING, to=COMPLETED, audio_key="podcasts/p/e/audio/podcast.mp3",
        duration_seconds=612.5, transcript_key="podcasts/p/e/audio/transcript.txt",
    )
    assert done == harness.store.get_episode(episode.id)
    assert (done.audio_key, done.duration_seconds) == ("podcasts/p/e/audio/podcast.mp3", 612.5)
    assert done.content_key == "podcasts/p/e/content.json"
    assert done.execution_id == "exec-1"


def test_failing_records_the_error(harness):
    episode = episode_in(harness, PROCESSING)
    failed = harness.store.transition(
        episode.id, expected=PROCESSING, to=FAILED, execution_id="exec-1",
        error="AudioRejected", cause="silent audio", failed_state="SynthesizeSpeech",
    )
    assert (failed.status, failed.error, failed.cause, failed.failed_state) == (
        FAILED, "AudioRejected", "silent audio", "SynthesizeSpeech"
    )


def test_transition_refuses_fields_outside_the_episode_fields(harness):
    episode = episode_in(harness, PENDING)
    with pytest.raises(InvalidInput):
        harness.store.transition(episode.id, expected=PENDING, to=CONTENT_COLLECTED, attempt_count=7)
    assert harness.store.get_episode(episode.id).status == PENDING


def test_repeating_a_move_with_the_same_execution_is_a_no_op(harness):
    episode = episode_in(harness, PENDING)
    first = harness.store.transition(
        episode.id, expected=PENDING, to=CONTENT_COLLECTED, execution_id="exec-1", content_key="k"
    )
    history = harness.store.history(episode.id)
    again = harness.store.transition(
        episode.id, expected=PENDING, to=CONTENT_COLLECTED, execution_id="exec-1", content_key="k"
    )
    assert again == first
    assert harness.store.history(episode.id) == history


def test_repeating_an_earlier_move_after_later_ones_is_still_a_no_op(harness):
    episode = episode_in(harness, PROCESSING)
    again = harness.store.transition(
        episode.id, expected=PENDING, to=CONTENT_COLLECTED, execution_id="exec-1"
    )
    assert again.status == PROCESSING


def test_repeating_a_move_with_another_execution_conflicts(harness):
    episode = episode_in(harness, CONTENT_COLLECTED)
    with pytest.raises(StatusConflict) as caught:
        harness.store.transition(
            episode.id, expected=PENDING, to=CONTENT_COLLECTED, execution_id="exec-2"
        )
    assert caught.value.current == CONTENT_COLLECTED


def test_an_execution_that_lost_the_claim_cannot_move_the_episode(harness):
    episode = episode_in(harness, PENDING, execution_id="exec-1")
    with pytest.raises(StatusConflict) as caught:
        harness.store.transition(episode.id, expected=PENDING, to=FAILED, execution_id="exec-2")
    assert caught.value.current == PENDING
    assert harness.store.get_episode(episode.id).status == PENDING


# --- history ------------------------------------------------------------------------------------
def test_history_lists_every_move_oldest_first_starting_with_creation(harness):
    episode = episode_in(harness, COMPLETED)
    history = harness.store.history(episode.id)
    assert [(row["from_status"], row["to_status"]) for row in history] == [
        (None, PENDING), *PATHS[COMPLETED]
    ]
    assert all(set(row) == {"from_status", "to_status", "at", "execution_id", "detail"}
               for row in history)
    assert [row["at"] for row in history] == sorted(row["at"] for row in history)


def test_updated_at_moves_forward_and_created_at_stays(harness):
    episode = new_episode(harness)
    moved = harness.store.transition(episode.id, expected=PENDING, to=FAILED, error="x")
    assert moved.created_at == episode.created_at
    assert moved.updated_at >= episode.updated_at


def test_the_database_owns_the_timestamps(harness):
    episode = new_episode(harness)
    harness.raw_update(
        episode.id, {"created_at": "2000-01-01T00:00:00Z", "updated_at": "2000-01-01T00:00:00Z"}
    )
    stored = harness.store.get_episode(episode.id)
    assert stored.created_at == episode.created_at
    assert stored.updated_at >= episode.updated_at


# --- retry --------------------------------------------------------------------------------------
def test_retry_revives_a_failed_episode_as_a_new_attempt(harness):
    episode = episode_in(harness, PENDING)
    harness.store.transition(
        episode.id, expected=PENDING, to=CONTENT_COLLECTED, execution_id="exec-1", content_key="k"
    )
    harness.store.transition(
        episode.id, expected=CONTENT_COLLECTED, to=FAILED, error="Boom", cause="c",
        failed_state="WriteScript",
    )
    retried = harness.store.retry(episode.id, detail="admin retry")
    assert (retried.status, retried.attempt_count) == (PENDING, 2)
    assert (retried.error, retried.cause, retried.failed_state, retried.execution_id) == (
        None, None, None, None
    )
    assert retried.content_key == "k"
    last = harness.store.history(episode.id)[-1]
    assert (last["from_status"], last["to_status"], last["detail"]) == (FAILED, PENDING, "admin retry")
    # The new attempt is claimed and run like the first.
    assert harness.store.claim(episode.id, "exec-2").execution_id == "exec-2"
    harness.store.transition(episode.id, expected=PENDING, to=CONTENT_COLLECTED, execution_id="exec-2")


@pytest.mark.parametrize("status", [PENDING, CONTENT_COLLECTED, PROCESSING, COMPLETED])
def test_retry_of_an_episode_that_has_not_failed_conflicts(harness, status):
    episode = episode_in(harness, status)
    with pytest.raises(StatusConflict) as caught:
        harness.store.retry(episode.id)
    assert caught.value.current == status
    assert harness.store.get_episode(episode.id).attempt_count == 1


def test_retry_of_an_unknown_episode_is_not_found(harness):
    with pytest.raises(NotFound):
        harness.store.retry(new_episode_id())


# --- the database enforces the rules for every client -------------------------------------------
def test_the_database_accepts_a_forward_move_and_records_it(harness):
    # Proves the back door works, so the refusals below are the database's doing.
    episode = new_episode(harness)
    harness.raw_update(episode.id, {"status": CONTENT_COLLECTED})
    assert harness.store.get_episode(episode.id).status == CONTENT_COLLECTED
    assert harness.store.history(episode.id)[-1]["to_status"] == CONTENT_COLLECTED


@pytest.mark.parametrize("expected,to", ILLEGAL_STATUS_CHANGES)
def test_the_database_refuses_every_illegal_move_from_any_client(harness, expected, to):
    episode = episode_in(harness, expected)
    before = harness.store.history(episode.id)
    with pytest.raises(harness.refused):
        harness.raw_update(episode.id, {"status": to})
    assert harness.store.get_episode(episode.id) == episode
    assert harness.store.history(episode.id) == before


@pytest.mark.parametrize(
    "status,values",
    [
        (PENDING, {"status": "cancelled"}),
        (PENDING, {"attempt_count": 5}),
        (FAILED, {"attempt_count": 2}),
        # A revival written as retry() writes it, but by another client: only retry() may.
        (FAILED, {"status": PENDING, "attempt_count": 2}),
        (FAILED, {"status": PENDING, "attempt_count": 2, "error": None, "cause": None,
                  "failed_state": None, "execution_id": None}),
        (COMPLETED, {"status": PENDING, "attempt_count": 2}),
    ],
)
def test_the_database_refuses_illegal_writes_from_any_client(harness, status, values):
    episode = episode_in(harness, status)
    with pytest.raises(harness.refused):
        harness.raw_update(episode.id, values)
    assert harness.store.get_episode(episode.id) == episode


def test_the_database_accepts_an_episode_born_pending(harness):
    # Proves the insert back door works, so the refusals below are the database's doing.
    podcast = harness.new_podcast()
    episode_id = new_episode_id()
    harness.raw_insert({"id": episode_id, "podcast_id": podcast.id, "language": "en",
                        "format": "dialogue", "status": PENDING, "attempt_count": 1})
    assert harness.store.get_episode(episode_id).status == PENDING


@pytest.mark.parametrize(
    "values",
    [{"status": status} for status in ALL_STATUSES if status != PENDING]
    + [{"status": PENDING, "attempt_count": 2}],
)
def test_the_database_refuses_an_episode_born_anywhere_but_pending(harness, values):
    podcast = harness.new_podcast()
    episode_id = new_episode_id()
    with pytest.raises(harness.refused):
        harness.raw_insert({"id": episode_id, "podcast_id": podcast.id, "language": "en",
                            "format": "dialogue", **values})
    assert harness.store.get_episode(episode_id) is None


# --- what a refusal says ---------------------------------------------------------------------------
def test_every_refusal_names_the_episode_and_says_why(harness):
    store = harness.store
    busy = episode_in(harness, PROCESSING)
    waiting = episode_in(harness, PENDING)
    unknown = new_episode_id()

    def refusal(error, call):
        with pytest.raises(error) as caught:
            call()
        return str(caught.value)

    assert refusal(StatusConflict, lambda: store.transition(busy.id, expected=PENDING, to=CONTENT_COLLECTED)) == (
        f"episode {busy.id}: expected pending, found processing")
    assert refusal(StatusConflict, lambda: store.transition(busy.id, expected=COMPLETED, to=PENDING)) == (
        f"episode {busy.id}: completed -> pending is not a legal transition")
    assert refusal(StatusConflict, lambda: store.transition(
        busy.id, expected=PROCESSING, to=COMPLETED, execution_id="exec-2")) == (
        f"episode {busy.id} belongs to another execution")
    assert refusal(StatusConflict, lambda: store.claim(busy.id, "exec-2")) == (
        f"episode {busy.id} cannot be claimed: it is processing")
    assert refusal(StatusConflict, lambda: store.claim(waiting.id, "exec-2")) == (
        f"episode {waiting.id} is already claimed by another execution")
    assert refusal(StatusConflict, lambda: store.retry(busy.id)) == (
        f"episode {busy.id} can be retried only when failed, it is processing")
    assert refusal(NotFound, lambda: store.transition(unknown, expected=PENDING, to=FAILED)) == (
        f"episode {unknown} does not exist")
    assert refusal(NotFound, lambda: store.create_episode(
        podcast_id="no-such-podcast", language="en", format="dialogue", window=WINDOW)) == (
        "podcast no-such-podcast does not exist")
    assert refusal(InvalidInput, lambda: store.transition(
        busy.id, expected=PROCESSING, to=FAILED, colour="blue", mood="calm")) == (
        "a transition cannot set colour, mood")
    assert store.get_episode(busy.id).status == PROCESSING


def test_an_upper_case_episode_id_is_the_same_episode_everywhere(harness):
    episode = new_episode(harness)
    upper = episode.id.upper()

    assert harness.store.get_episode(upper).id == episode.id
    assert harness.store.claim(upper, "exec-1").execution_id == "exec-1"
    harness.store.transition(upper, expected=PENDING, to=FAILED, execution_id="exec-1", error="E")
    assert [h["to_status"] for h in harness.store.history(upper)] == [PENDING, FAILED]
    assert harness.store.retry(upper).status == PENDING
    assert harness.store.get_episode(episode.id).attempt_count == 2


@pytest.mark.parametrize(
    "podcast, message",
    [
        ({"id": "a/b"}, "id must be 1-64 characters"),
        ({"language": "fr"}, "language must be one of en, he"),
        ({"format": "panel"}, "format must be one of dialogue, narrator"),
        ({"speech_provider": "siri"}, "speech_provider must be one of espeak, polly, gemini"),
    ],
)
def test_a_podcast_with_a_bad_field_is_refused_naming_it(harness, podcast, message):
    with pytest.raises(InvalidInput) as caught:
        harness.new_podcast(**podcast)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"language": "fr"}, "language must be one of en, he"),
        ({"format": "panel"}, "format must be one of dialogue, narrator"),
        ({"episode_id": "nope"}, "episode_id must be a UUID string"),
    ],
)
def test_an_episode_with_a_bad_field_is_refused_naming_it(harness, fields, message):
    podcast = harness.new_podcast()
    values = {"podcast_id": podcast.id, "language": "en", "format": "dialogue", "window": WINDOW, **fields}
    with pytest.raises(InvalidInput) as caught:
        harness.store.create_episode(**values)
    assert str(caught.value) == message




# --- the sweeper's and admission control's queries ------------------------------------------------
def _later(seconds: float = 1.0) -> datetime:
    from datetime import timedelta

    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


def test_unfinished_lists_only_episodes_not_completed_or_failed(harness):
    from chalicelib.domain import TERMINAL

    episodes = {status: episode_in(harness, status) for status in PATHS}
    listed = {e.id: e.status for e in harness.store.unfinished(updated_before=_later(), limit=10_000)}
    for status, episode in episodes.items():
        if status in TERMINAL:
            assert episode.id not in listed, status
        else:
            assert listed[episode.id] == status


def test_unfinished_leaves_out_episodes_written_after_the_bound(harness):
    before = datetime.now(timezone.utc)
    from datetime import timedelta

    episode = new_episode(harness)
    ids = [e.id for e in harness.store.unfinished(updated_before=before - timedelta(seconds=1), limit=10_000)]
    assert episode.id not in ids


def test_unfinished_is_least_recently_written_first_and_bounded(harness):
    import time

    first, second = new_episode(harness), new_episode(harness)
    time.sleep(0.01)  # SQLite's timestamps count milliseconds
    harness.store.claim(first.id, "exec-1")  # first is now the most recently written
    ids = [e.id for e in harness.store.unfinished(updated_before=_later(), limit=10_000)]
    assert ids.index(second.id) < ids.index(first.id)
    assert len(harness.store.unfinished(updated_before=_later(), limit=1)) == 1


def test_count_unfinished_counts_what_is_in_flight(harness):
    before = harness.store.count_unfinished()
    episode = new_episode(harness)
    assert harness.store.count_unfinished() == before + 1
    harness.store.transition(episode.id, expected=PENDING, to=FAILED, error="x")
    assert harness.store.count_unfinished() == before
def test_an_episode_keeps_the_fingerprint_of_the_request_that_used_its_idempotency_key(harness):
    podcast = harness.new_podcast()
    first, _ = harness.store.create_episode(
        podcast_id=podcast.id, language="en", format="dialogue", window=WINDOW,
        idempotency_key="k-fp", request_fingerprint="a" * 64,
    )
    again, created = harness.store.create_episode(
        podcast_id=podcast.id, language="en", format="dialogue", window=WINDOW,
        idempotency_key="k-fp", request_fingerprint="b" * 64,
    )
    assert first.request_fingerprint == "a" * 64
    assert (again.id, created, again.request_fingerprint) == (first.id, False, "a" * 64)
    assert harness.store.get_episode(first.id).request_fingerprint == "a" * 64


# --- publishing ----------------------------------------------------------------------------------
def _complete(harness, podcast, at: str, *, title="Episode", notes='{"summary": "s", "stories": []}'):
    episode, _ = harness.store.create_episode(podcast_id=podcast.id, language="en", format="dialogue",
                                              window=WINDOW)
    harness.store.claim(episode.id, "exec-1")
    harness.store.transition(episode.id, expected=PENDING, to=CONTENT_COLLECTED, execution_id="exec-1")
    harness.store.transition(episode.id, expected=CONTENT_COLLECTED, to=PROCESSING, execution_id="exec-1")
    return harness.store.transition(
        episode.id, expected=PROCESSING, to=COMPLETED, execution_id="exec-1", title=title, show_notes=notes,
        audio_bytes=3_000_000_000, completed_at=at, audio_key="a", duration_seconds=1.5)


def test_completion_keeps_the_feed_items_title_notes_length_and_time(harness):
    podcast = harness.new_podcast()
    notes = '{"summary": "שלום & <b>", "stories": [{"title": "t", "turn": 1, "links": ["https://t.me/x/1"]}]}'
    done = _complete(harness, podcast, "2026-12-02T07:00:00.250000Z", title="כותרת <script>", notes=notes)
    again = harness.store.get_episode(done.id)
    assert (again.title, again.audio_bytes) == ("כותרת <script>", 3_000_000_000)  # over 32 bits
    assert json.loads(again.show_notes) == json.loads(notes)
    assert again.completed_at == "2026-12-02T07:00:00.250000Z"


def test_completed_episodes_lists_only_completed_ones_newest_completion_first(harness):
    podcast, other = harness.new_podcast(), harness.new_podcast()
    older = _complete(harness, podcast, "2026-12-01T07:00:00.000000Z")
    newer = _complete(harness, podcast, "2026-12-02T07:00:00.000000Z")
    _complete(harness, other, "2026-12-03T07:00:00.000000Z")
    episode_in(harness, PROCESSING)  # of another podcast, in flight
    harness.store.create_episode(podcast_id=podcast.id, language="en", format="dialogue", window=WINDOW)

    assert [e.id for e in harness.store.completed_episodes(podcast.id, limit=10)] == [newer.id, older.id]
    assert [e.id for e in harness.store.completed_episodes(podcast.id, limit=1)] == [newer.id]
    assert harness.store.completed_episodes("pod-none", limit=10) == []


def test_the_database_refuses_show_notes_that_are_not_json(harness):
    episode = episode_in(harness, PROCESSING)
    with pytest.raises(harness.refused):
        harness.raw_update(episode.id, {"show_notes": "{not json"})
