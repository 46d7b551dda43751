"""What the admin API does, without HTTP: start, show and retry episodes (chalicelib.admin).

The starter records what it was asked to start and starts nothing, so each test sees exactly
how many executions a call started (moto's StartExecution answers a second start of the same
name with the first execution, which would hide a second start).
"""
from __future__ import annotations

import pytest

from chalicelib.admin import Admin
from chalicelib.domain import Window
from chalicelib.errors import InvalidInput, NotFound, StatusConflict, WorkflowUnavailable
from chalicelib.stores.episodes import Podcast
from chalicelib.stores.sqlite_store import SqliteEpisodeStore

STATE_MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:podcasto"


class RecordingStarter:
    def __init__(self, refuse: Exception | None = None):
        self.started: list[tuple[str, dict]] = []
        self.refuse = refuse

    def execution_arn(self, name):
        return STATE_MACHINE.replace(":stateMachine:", ":execution:") + f":{name}"

    def start(self, *, name, execution_input):
        if self.refuse is not None:
            raise self.refuse
        self.started.append((name, execution_input))
        return self.execution_arn(name)


@pytest.fixture
def episodes(tmp_path):
    store = SqliteEpisodeStore(str(tmp_path / "podcasto.db"))
    store.put_podcast(Podcast(id="news", title="News", language="he", format="narrator",
                              sources=["@podcasto_news"], days_back=3))
    return store


@pytest.fixture
def starter():
    return RecordingStarter()


@pytest.fixture
def admin(episodes, starter):
    return Admin(episodes=episodes, starter=lambda: starter, audio_url=lambda key: f"https://cdn/{key}")


def test_starting_an_episode_binds_it_to_its_execution_and_starts_that_execution_once(admin, episodes, starter):
    status, body = admin.start_episode("news", {"language": "en", "days_back": 2})

    assert status == 202
    episode = episodes.get_episode(body["episode_id"])
    name = f"episode-{episode.id}-a1"
    assert starter.started == [(name, {"podcast_id": "news", "episode_id": episode.id})]
    assert body == {"episode_id": episode.id, "status": "pending", "execution_arn": starter.execution_arn(name),
                    "status_url": f"/episodes/{episode.id}"}
    assert (episode.execution_id, episode.language, episode.format) == (starter.execution_arn(name), "en", "narrator")


def test_the_podcasts_own_days_back_is_the_default_window(admin, episodes):
    _, body = admin.start_episode("news", None)
    window = episodes.get_episode(body["episode_id"]).window
    assert (window.end - window.start).days == 3


def test_a_reused_idempotency_key_answers_the_same_episode_and_starts_nothing(admin, episodes, starter):
    first = admin.start_episode("news", {}, idempotency_key="click-42")
    second = admin.start_episode("news", {}, idempotency_key="click-42")
    other = admin.start_episode("news", {}, idempotency_key="click-43")

    assert first == second and first[0] == 202
    assert other[1]["episode_id"] != first[1]["episode_id"]
    assert [name for name, _ in starter.started] == [
        f"episode-{first[1]['episode_id']}-a1", f"episode-{other[1]['episode_id']}-a1"]


@pytest.mark.parametrize("key", ["k", "!", "~" * 128, "A-Za-z0-9_.:/+=" * 8])
def test_an_idempotency_key_of_1_to_128_printable_ascii_characters_is_accepted(admin, key):
    assert admin.start_episode("news", {}, idempotency_key=key[:128])[0] == 202


@pytest.mark.parametrize("key", ["", "x" * 129, "two words", "tab\tbed", "é", "line\n", "\x7f"])
def test_any_other_idempotency_key_is_invalid_input_before_anything_is_written(admin, episodes, starter, key):
    with pytest.raises(InvalidInput, match="^the Idempotency-Key header must be 1-128 printable ASCII"):
        admin.start_episode("news", {}, idempotency_key=key)
    assert starter.started == [] and _episode_count(episodes) == 0


@pytest.mark.parametrize("podcast_id", ["a/../b", "news.json", "", "-news"])
def test_a_malformed_podcast_id_is_invalid_input(admin, starter, podcast_id):
    with pytest.raises(InvalidInput, match="podcast_id"):
        admin.start_episode(podcast_id, {})
    assert starter.started == []


def test_an_unknown_podcast_is_not_found(admin, starter):
    with pytest.raises(NotFound, match="^podcast_id 'nope' does not exist$"):
        admin.start_episode("nope", {})
    assert starter.started == []


def test_a_body_field_the_api_does_not_take_is_invalid_input_naming_it(admin, episodes):
    with pytest.raises(InvalidInput, match="episode_id"):
        admin.start_episode("news", {"episode_id": "6f1c1d7e-8a51-4a8e-9d0e-70646361737f"})
    assert _episode_count(episodes) == 0


def test_an_execution_that_cannot_start_leaves_the_episode_failed_with_the_reason(episodes):
    refusing = RecordingStarter(refuse=WorkflowUnavailable("Step Functions refused: ThrottlingException"))
    admin = Admin(episodes=episodes, starter=lambda: refusing, audio_url=str)

    with pytest.raises(WorkflowUnavailable):
        admin.start_episode("news", {})

    (episode,) = _episodes(episodes)
    assert (episode.status, episode.error, episode.failed_state) == ("failed", "WorkflowUnavailable", None)
    assert episode.cause == "the execution could not be started: Step Functions refused: ThrottlingException"


def failed_episode(episodes, admin):
    _, body = admin.start_episode("news", {})
    episode = episodes.get_episode(body["episode_id"])
    episodes.transition(episode.id, expected="pending", to="failed", execution_id=episode.execution_id,
                        error="NoContent", cause="nothing", failed_state="CollectContent")
    return episode


def test_a_retry_revives_a_failed_episode_under_a_new_execution(admin, episodes, starter):
    episode = failed_episode(episodes, admin)

    status, body = admin.retry_episode(episode.id.upper())

    assert status == 202
    name = f"episode-{episode.id}-a2"
    assert starter.started[-1] == (name, {"podcast_id": "news", "episode_id": episode.id})
    retried = episodes.get_episode(episode.id)
    assert (retried.status, retried.attempt_count, retried.error) == ("pending", 2, None)
    assert body["execution_arn"] == retried.execution_id == starter.execution_arn(name)
    assert episodes.history(episode.id)[-1]["detail"] == "retry requested through the admin API"


@pytest.mark.parametrize("status", ["pending", "completed"])
def test_only_a_failed_episode_can_be_retried(admin, episodes, starter, status):
    _, body = admin.start_episode("news", {})
    episode = episodes.get_episode(body["episode_id"])
    if status == "completed":
        arn = episode.execution_id
        episodes.transition(episode.id, expected="pending", to="content_collected", execution_id=arn)
        episodes.transition(episode.id, expected="content_collected", to="processing", execution_id=arn)
        episodes.transition(episode.id, expected="processing", to="completed", execution_id=arn)

    with pytest.raises(StatusConflict, match=f"episode {episode.id} is {status}") as caught:
        admin.retry_episode(episode.id)
    assert caught.value.current == status
    assert len(starter.started) == 1


def test_an_unknown_or_malformed_episode_id(admin):
    with pytest.raises(NotFound, match="^episode_id 6f1c1d7e-8a51-4a8e-9d0e-70646361737f does not exist$"):
        admin.episode("6f1c1d7e-8a51-4a8e-9d0e-70646361737f")
    with pytest.raises(InvalidInput, match="episode_id"):
        admin.retry_episode("../x")


def test_an_episode_is_shown_with_its_urls_made_on_read_and_its_history(admin, episodes):
    _, body = admin.start_episode("news", {"start_date": "2026-11-01", "end_date": "2026-11-07"})
    episode = episodes.get_episode(body["episode_id"])
    arn = episode.execution_id
    episodes.transition(episode.id, expected="pending", to="content_collected", execution_id=arn)
    episodes.transition(episode.id, expected="content_collected", to="processing", execution_id=arn)
    episodes.transition(episode.id, expected="processing", to="completed", execution_id=arn,
                        audio_key="a.mp3", transcript_key="t.txt", duration_seconds=12.5)

    status, view = admin.episode(episode.id)

    assert status == 200
    assert {k: view[k] for k in ("episode_id", "podcast_id", "status", "language", "format", "window",
                                 "duration_seconds", "audio_url", "transcript_url", "error", "cause",
                                 "failed_state", "attempt_count", "execution_arn")} == {
        "episode_id": episode.id, "podcast_id": "news", "status": "completed", "language": "he",
        "format": "narrator", "window": {"start": "2026-11-01T00:00:00Z", "end": "2026-11-08T00:00:00Z"},
        "duration_seconds": 12.5, "audio_url": "https://cdn/a.mp3", "transcript_url": "https://cdn/t.txt",
        "error": None, "cause": None, "failed_state": None, "attempt_count": 1, "execution_arn": arn}
    assert [h["to_status"] for h in view["status_history"]] == ["pending", "content_collected", "processing",
                                                                "completed"]
    assert view["created_at"] and view["updated_at"]


def test_an_episode_without_audio_has_no_urls(admin, episodes):
    _, body = admin.start_episode("news", {})
    view = admin.episode(body["episode_id"])[1]
    assert (view["audio_url"], view["transcript_url"], view["duration_seconds"]) == (None, None, None)


def test_podcasts_are_listed(admin, episodes):
    status, body = admin.list_podcasts()
    assert status == 200
    assert [p["id"] for p in body["podcasts"]] == ["news"]


def test_the_window_the_request_names_is_the_episodes(admin, episodes):
    _, body = admin.start_episode("news", {"start_date": "2026-11-01", "end_date": "2026-11-01"})
    assert episodes.get_episode(body["episode_id"]).window == Window.from_json(
        {"start": "2026-11-01T00:00:00Z", "end": "2026-11-02T00:00:00Z"})


def _episodes(episodes):
    import sqlite3

    with sqlite3.connect(episodes.path) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM episodes")]
    return [episodes.get_episode(i) for i in ids]


def _episode_count(episodes) -> int:
    return len(_episodes(episodes))
