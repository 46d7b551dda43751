"""CollectContent with a live-channel source (the Telegram double), photos on and off."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chalicelib.domain import Window, content_key
from chalicelib.errors import NoContent
from chalicelib.sources.telethon_source import TelethonSource
from chalicelib.steps.collect import collect_content
from chalicelib.stores.episodes import Podcast
from chalicelib.stores.sqlite_store import SqliteEpisodeStore
from tests.doubles import MemoryObjects
from tests.unit.sources.telegram_double import T0, TelegramDouble, channel, photo_post, post

NEWS = channel(1111111111, "podcasto_news")
LIMITS = {"min_text_length": 0, "blocked_domains": (), "max_messages": 100, "max_bytes": 1_000_000}


@pytest.fixture
def episodes(tmp_path):
    store = SqliteEpisodeStore(str(tmp_path / "podcasto.db"))
    store.put_podcast(Podcast(id="news", title="News", language="en", format="dialogue", hosts=[],
                              sources=["@podcasto_news"], days_back=None))
    return store


def history():
    return [
        post(NEWS.id, 1, T0, "plain words"),
        photo_post(NEWS.id, 2, T0 + timedelta(minutes=1), "the new bridge, from the river"),
        photo_post(NEWS.id, 3, T0 + timedelta(minutes=2), "a second photo Telegram lost"),
        photo_post(NEWS.id, 4, T0 + timedelta(minutes=3), "plain words"),  # duplicate_text: filtered
    ]


def collect(episodes, objects, double, *, upload_photos, window=Window(None, None)):
    episode, _ = episodes.create_episode(podcast_id="news", language="en", format="dialogue",
                                         window=window)
    result = collect_content(
        {"episode": {"podcast_id": "news", "episode_id": episode.id}},
        episodes=episodes, objects=objects,
        source_for=lambda podcast: TelethonSource(lambda: double, podcast.sources, sleep=lambda s: None),
        bundle_limits=LIMITS, upload_photos=upload_photos,
    )
    return episode.id, result, json.loads(objects.data[content_key("news", episode.id)])


def test_kept_photos_are_stored_under_the_episode_prefix_and_named_in_their_media_entry(episodes):
    objects = MemoryObjects()
    double = TelegramDouble([NEWS], {NEWS.id: history()},
                            photos={(NEWS.id, 2): b"\xff\xd8jpeg-2", (NEWS.id, 4): b"\xff\xd8jpeg-4"})

    episode_id, result, bundle = collect(episodes, objects, double, upload_photos=True)

    key = f"podcasts/news/{episode_id}/media/podcasto_news-2.jpg"
    assert objects.data[key] == b"\xff\xd8jpeg-2"
    assert objects.types[key] == "image/jpeg"
    media = {m["id"]: (m["media"], m["text"]) for m in bundle["messages"]}
    assert media[2] == ({"type": "photo", "width": 1280, "height": 960, "key": key},
                        "the new bridge, from the river")  # the caption is the message's text
    assert media[3] == ({"type": "photo", "width": 1280, "height": 960}, "a second photo Telegram lost")
    assert media[1] == (None, "plain words")
    # The filtered duplicate's photo was never downloaded, and nothing else was stored.
    assert sorted(double.downloads) == [(NEWS.id, 2), (NEWS.id, 3)]
    assert sorted(objects.data) == sorted([key, content_key("news", episode_id)])
    assert result["key"] == content_key("news", episode_id)


def test_with_photo_upload_off_nothing_is_downloaded_or_stored_but_the_bundle(episodes):
    objects = MemoryObjects()
    double = TelegramDouble([NEWS], {NEWS.id: history()}, photos={(NEWS.id, 2): b"\xff\xd8jpeg-2"})

    episode_id, _, bundle = collect(episodes, objects, double, upload_photos=False)

    assert list(objects.data) == [content_key("news", episode_id)]
    assert double.downloads == []
    assert all("key" not in (m["media"] or {}) for m in bundle["messages"])


def test_no_photo_is_fetched_for_a_window_with_no_content(episodes):
    objects = MemoryObjects()
    double = TelegramDouble([NEWS], {NEWS.id: history()}, photos={(NEWS.id, 2): b"\xff\xd8jpeg-2"})

    with pytest.raises(NoContent):
        collect(episodes, objects, double, upload_photos=True,
                window=Window(T0 + timedelta(days=1), T0 + timedelta(days=2)))
    assert objects.data == {}
    assert double.downloads == []


def test_the_bundle_is_stored_as_utf8_json_under_the_episodes_content_key(episodes):
    objects = MemoryObjects()
    double = TelegramDouble([NEWS], {NEWS.id: history()}, photos={(NEWS.id, 2): b"\xff\xd8jpeg-2"})
    episode, _ = episodes.create_episode(podcast_id="news", language="en", format="dialogue",
                                         window=Window(None, None))

    # Photos stay off unless asked for, even from a source that can give them.
    result = collect_content(
        {"episode": {"podcast_id": "news", "episode_id": episode.id}}, episodes=episodes, objects=objects,
        source_for=lambda podcast: TelethonSource(lambda: double, podcast.sources, sleep=lambda s: None),
        bundle_limits={**LIMITS, "max_messages": 2},
    )

    key = content_key("news", episode.id)
    assert result == {**objects.head(key).to_json(), "messages": 2}
    assert objects.types[key] == "application/json; charset=utf-8"
    bundle = json.loads(objects.data[key])
    assert (bundle["podcast_id"], bundle["episode_id"], bundle["title"]) == ("news", episode.id, "News")
    assert [m["id"] for m in bundle["messages"]] == [2, 3]  # the limits given were applied
    assert double.downloads == [] and list(objects.data) == [key]


def test_no_content_says_how_many_messages_were_collected_and_why_each_was_filtered(episodes):
    objects = MemoryObjects()
    double = TelegramDouble([NEWS], {NEWS.id: [post(NEWS.id, 1, T0, "short"), post(NEWS.id, 2, T0, "tiny")]})
    episode, _ = episodes.create_episode(podcast_id="news", language="en", format="dialogue",
                                         window=Window(None, None))

    with pytest.raises(NoContent) as caught:
        collect_content(
            {"episode": {"podcast_id": "news", "episode_id": episode.id}}, episodes=episodes, objects=objects,
            source_for=lambda podcast: TelethonSource(lambda: double, podcast.sources, sleep=lambda s: None),
            bundle_limits={**LIMITS, "min_text_length": 10},
        )
    assert str(caught.value) == "no usable message in the window: 2 collected, all filtered (too_short 2)"
    assert objects.data == {}


# --- never a repeat ------------------------------------------------------------------------------
def complete(episodes, episode_id):
    for expected, to in (("pending", "content_collected"), ("content_collected", "processing"),
                         ("processing", "completed")):
        episodes.transition(episode_id, expected=expected, to=to)


def test_what_a_completed_episode_kept_is_already_covered_for_the_next(episodes):
    double = TelegramDouble([NEWS], {NEWS.id: history()})
    first_id, _, first = collect(episodes, MemoryObjects(), double, upload_photos=False)
    complete(episodes, first_id)
    double = TelegramDouble([NEWS], {NEWS.id: history() + [post(NEWS.id, 5, T0 + timedelta(minutes=4), "news")]})

    _, result, second = collect(episodes, MemoryObjects(), double, upload_photos=False)

    assert [m["id"] for m in first["messages"]] == [1, 2, 3]
    assert [m["id"] for m in second["messages"]] == [5]
    assert [(f["id"], f["reason"]) for f in second["filtered"]] == [
        (1, "already_covered"), (2, "already_covered"), (3, "already_covered"), (4, "duplicate_text")]
    assert result["messages"] == 1


def test_an_episode_that_did_not_complete_covers_nothing(episodes):
    double = TelegramDouble([NEWS], {NEWS.id: history()})
    first_id, _, _ = collect(episodes, MemoryObjects(), double, upload_photos=False)
    episodes.transition(first_id, expected="pending", to="failed", error="AudioRejected")

    _, _, second = collect(episodes, MemoryObjects(), double, upload_photos=False)

    assert [m["id"] for m in second["messages"]] == [1, 2, 3]


def test_a_window_of_nothing_new_says_what_was_filtered_and_records_nothing(episodes):
    double = TelegramDouble([NEWS], {NEWS.id: history()})
    first_id, _, _ = collect(episodes, MemoryObjects(), double, upload_photos=False)
    complete(episodes, first_id)
    objects = MemoryObjects()

    with pytest.raises(NoContent) as raised:
        collect(episodes, objects, double, upload_photos=False)

    assert str(raised.value) == (
        "no usable message in the window: 4 collected, all filtered (already_covered 3, duplicate_text 1)")
    assert objects.data == {}


def test_nothing_new_counts_each_message_of_a_cut_run(episodes, monkeypatch):
    # max_messages 0 cuts every message as one over_cap entry of three: the reason says three.
    monkeypatch.setitem(LIMITS, "max_messages", 0)
    double = TelegramDouble([NEWS], {NEWS.id: history()})

    with pytest.raises(NoContent) as raised:
        collect(episodes, MemoryObjects(), double, upload_photos=False)

    assert str(raised.value) == (
        "no usable message in the window: 4 collected, all filtered (duplicate_text 1, over_cap 3)")


def test_collecting_again_replaces_what_the_episode_recorded(episodes):
    double = TelegramDouble([NEWS], {NEWS.id: history()})
    episode, _ = episodes.create_episode(podcast_id="news", language="en", format="dialogue",
                                         window=Window(None, None))
    event = {"episode": {"podcast_id": "news", "episode_id": episode.id}}
    run = lambda source_double: collect_content(  # noqa: E731
        event, episodes=episodes, objects=MemoryObjects(),
        source_for=lambda podcast: TelethonSource(lambda: source_double, podcast.sources, sleep=lambda s: None),
        bundle_limits=LIMITS)
    run(double)
    run(TelegramDouble([NEWS], {NEWS.id: [post(NEWS.id, 9, T0, "only this one now")]}))
    complete(episodes, episode.id)

    assert episodes.covered_messages("news", window=Window(None, None), exclude_episode_id="x") == {
        ("@podcasto_news", 9)}


def test_a_reference_carrying_window_and_podcast_reads_neither_from_the_store(tmp_path):
    """ValidateEpisode hands CollectContent the window and the podcast: the store is asked only
    what it alone knows (the messages completed episodes covered) and told what was kept."""
    from datetime import datetime, timezone

    from chalicelib.sources.base import Collection, Message

    asked = []

    class Source:
        def collect(self, window):
            asked.append(window)
            return Collection(channels=["@news"], messages=[Message(
                id=1, channel="@news", date=datetime(2026, 11, 20, tzinfo=timezone.utc), text="hello there")],
                skipped=[])

    class CoverageOnly:
        """A store that knows coverage only: reading an episode or a podcast fails the test."""

        recorded = []

        def covered_messages(self, podcast_id, *, window, exclude_episode_id):
            assert (podcast_id, exclude_episode_id) == ("news", "e-1")
            return set()

        def record_messages(self, episode_id, messages):
            self.recorded.append((episode_id, [(c, i) for c, i, _ in messages]))

    store = CoverageOnly()

    podcast = Podcast(id="news", title="News", sources=["@news"], days_back=None)
    window = Window(datetime(2026, 11, 16, tzinfo=timezone.utc), datetime(2026, 11, 23, tzinfo=timezone.utc))
    objects = MemoryObjects()
    event = {"episode": {"episode_id": "e-1", "podcast_id": "news", "window": window.to_json(),
                         "podcast": {"id": "news", "title": "News", "sources": ["@news"]}}}
    result = collect_content(event, episodes=lambda: store, objects=objects,
                             source_for=lambda p: Source() if (p.id, p.sources) == (podcast.id, podcast.sources) else None,
                             bundle_limits=LIMITS)
    assert asked == [window] and result["messages"] == 1
    assert store.recorded == [("e-1", [("@news", 1)])]
    assert json.loads(objects.data[content_key("news", "e-1")])["title"] == "News"
