"""ValidateEpisode: the execution input checked, the episode created when absent (its id derived
from the execution) or found, and claimed by this execution — or refused before anything is
written."""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import Window
from chalicelib.errors import InvalidInput, NotFound, StatusConflict
from chalicelib.steps.validate import default_window, episode_id_for_execution, episode_ref, validate_episode
from chalicelib.stores.episodes import Podcast
from chalicelib.stores.sqlite_store import SqliteEpisodeStore
from tests.doubles import MemoryObjects

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:podcasto:console-1"


@pytest.fixture
def episodes(tmp_path):
    store = SqliteEpisodeStore(str(tmp_path / "podcasto.db"))
    store.put_podcast(Podcast(id="news", title="News", language="he", format="narrator", days_back=2,
                              sources=["@podcasto_news"]))
    store.put_podcast(Podcast(id="open", title="Everything", days_back=None, sources=["@podcasto_open"]))
    return store


def validate(episodes, execution_input, execution=EXECUTION, **kwargs):
    kwargs.setdefault("objects", MemoryObjects())
    return validate_episode({"input": execution_input, "execution_id": execution}, episodes=episodes, **kwargs)


def test_a_console_input_creates_the_episode_with_an_id_derived_from_the_execution_and_claims_it(episodes):
    ref = validate(episodes, {"podcast_id": "news", "start_date": "2026-11-01", "end_date": "2026-11-07",
                              "language": "en", "format": "dialogue"})

    episode_id = episode_id_for_execution(EXECUTION)
    assert ref == {"episode_id": episode_id, "podcast_id": "news", "language": "en", "format": "dialogue",
                   "content": None,
                   "window": {"start": "2026-11-01T00:00:00Z", "end": "2026-11-08T00:00:00Z"},
                   # what CollectContent needs of the podcast, so it reads neither from the store
                   "podcast": {"id": "news", "title": "News", "sources": ["@podcasto_news"]}}
    episode = episodes.get_episode(episode_id)
    assert (episode.status, episode.execution_id) == ("pending", EXECUTION)
    assert (episode.window_start, episode.window_end) == ("2026-11-01T00:00:00Z", "2026-11-08T00:00:00Z")


def test_the_podcasts_language_format_and_days_back_fill_what_the_input_leaves_out(episodes):
    before = datetime.now(timezone.utc)
    ref = validate(episodes, {"podcast_id": "news"})
    episode = episodes.get_episode(ref["episode_id"])
    assert (ref["language"], ref["format"]) == ("he", "narrator")
    window = episode.window
    assert window.end - window.start == timedelta(days=2) and window.end >= before


def test_a_podcast_without_days_back_takes_everything():
    assert default_window(Podcast(id="open", title="x", days_back=None)) == Window(None, None)
    window = default_window(Podcast(id="news", title="x", days_back=5))
    assert window.end - window.start == timedelta(days=5)


def test_a_lambda_retry_of_the_step_finds_the_same_episode_instead_of_creating_another(episodes):
    first = validate(episodes, {"podcast_id": "open"})
    again = validate(episodes, {"podcast_id": "open"})
    assert first == again
    assert [h["to_status"] for h in episodes.history(first["episode_id"])] == ["pending"]


def test_each_execution_gets_its_own_episode(episodes):
    other = f"{EXECUTION}-b"
    assert validate(episodes, {"podcast_id": "open"})["episode_id"] != validate(
        episodes, {"podcast_id": "open"}, execution=other)["episode_id"]


def test_an_episode_the_admin_api_created_is_claimed_as_it_is(episodes):
    episode, _ = episodes.create_episode(podcast_id="news", language="en", format="dialogue",
                                         window=Window(None, None))

    ref = validate(episodes, {"podcast_id": "news", "episode_id": episode.id})

    assert ref == {"episode_id": episode.id, "podcast_id": "news", "language": "en", "format": "dialogue",
                   "content": None, "window": {"start": None, "end": None},
                   "podcast": {"id": "news", "title": "News", "sources": ["@podcasto_news"]}}
    assert episodes.get_episode(episode.id).execution_id == EXECUTION


def test_a_retried_episode_brings_the_content_already_collected(episodes):
    episode, _ = episodes.create_episode(podcast_id="news", language="en", format="dialogue",
                                         window=Window(None, None))
    objects = MemoryObjects()
    stored = objects.put("podcasts/news/e/content.json", b'{"messages": []}', content_type="application/json")
    episodes.claim(episode.id, "attempt-1")
    episodes.transition(episode.id, expected="pending", to="content_collected", execution_id="attempt-1",
                        content_key=stored.key, content_etag=stored.etag)
    episodes.transition(episode.id, expected="content_collected", to="failed", execution_id="attempt-1")
    episodes.retry(episode.id)

    ref = validate(episodes, {"podcast_id": "news", "episode_id": episode.id}, objects=objects)

    assert ref["content"] == {"key": "podcasts/news/e/content.json", "etag": stored.etag}
    # The same retry once the bundle is gone collects again rather than waiting for it in vain.
    episodes.transition(episode.id, expected="pending", to="failed", execution_id=EXECUTION)
    episodes.retry(episode.id)
    assert validate(episodes, {"podcast_id": "news", "episode_id": episode.id},
                    execution=EXECUTION + "-a3", objects=MemoryObjects())["content"] is None


def test_an_episode_ref_names_content_only_when_both_key_and_etag_are_known(episodes):
    episode, _ = episodes.create_episode(podcast_id="news", language="en", format="dialogue",
                                         window=Window(None, None))
    assert episode_ref(replace(episode, content_key="k"))["content"] is None
    assert episode_ref(replace(episode, content_etag='"e"'))["content"] is None
    assert episode_ref(replace(episode, content_key="k", content_etag='"e"'))["content"] == {"key": "k", "etag": '"e"'}


def test_an_episode_of_another_podcast_is_not_found(episodes):
    episode, _ = episodes.create_episode(podcast_id="open", language="en", format="dialogue",
                                         window=Window(None, None))
    with pytest.raises(NotFound, match=f"^episode_id {episode.id} does not belong to podcast_id 'news'$"):
        validate(episodes, {"podcast_id": "news", "episode_id": episode.id})
    assert episodes.get_episode(episode.id).execution_id is None


def test_an_episode_another_execution_claimed_is_a_status_conflict(episodes):
    episode, _ = episodes.create_episode(podcast_id="news", language="en", format="dialogue",
                                         window=Window(None, None))
    episodes.claim(episode.id, "someone-else")
    with pytest.raises(StatusConflict):
        validate(episodes, {"podcast_id": "news", "episode_id": episode.id})


def test_an_unknown_podcast_is_not_found_and_nothing_is_written(episodes):
    with pytest.raises(NotFound, match="^podcast_id 'nope' does not exist$"):
        validate(episodes, {"podcast_id": "nope"})
    assert episodes.get_episode(episode_id_for_execution(EXECUTION)) is None


@pytest.mark.parametrize("execution_input", [{"podcast_id": "news", "days_back": 0}, {"language": "en"}, [],
                                             {"podcast_id": "news", "colour": "blue"}])
def test_invalid_input_is_refused_before_anything_is_written(episodes, execution_input):
    with pytest.raises(InvalidInput):
        validate(episodes, execution_input)
    assert episodes.get_episode(episode_id_for_execution(EXECUTION)) is None


def test_a_speech_provider_that_cannot_work_is_refused_before_the_episode_is_made(episodes):
    asked = []

    def check_speech(language, podcast):
        asked.append((language, podcast.id))
        raise InvalidInput("Polly cannot speak he")

    with pytest.raises(InvalidInput, match="Polly"):
        validate(episodes, {"podcast_id": "news"}, check_speech=check_speech)
    assert asked == [("he", "news")]  # the podcast's language, the input naming none
    assert episodes.get_episode(episode_id_for_execution(EXECUTION)) is None


def test_the_speech_check_is_asked_about_the_inputs_language(episodes):
    asked = []
    validate(episodes, {"podcast_id": "news", "language": "en"},
             check_speech=lambda language, podcast: asked.append(language))
    assert asked == ["en"]


def test_episode_ids_derive_from_the_execution_deterministically():
    assert episode_id_for_execution(EXECUTION) == episode_id_for_execution(EXECUTION)
    assert episode_id_for_execution(EXECUTION) != episode_id_for_execution(EXECUTION + "x")
    assert uuid.UUID(episode_id_for_execution(EXECUTION)).version == 5
