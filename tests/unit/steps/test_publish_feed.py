"""PublishFeed: the feed rendered whole from the store's completed episodes, safe to repeat and to
race, with hostile channel text intact and a cover for every podcast."""
from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import feedparser
import pytest
from PIL import Image

from chalicelib.domain import Window, feed_key
from chalicelib.errors import ConfigurationError, FeedOutdated
from chalicelib.feed.rss import ITUNES, render_feed, xml_text
from chalicelib.steps.publish import publish_feed
from chalicelib.steps.status import mark_completed
from chalicelib.stores.episodes import Podcast
from chalicelib.stores.sqlite_store import SqliteEpisodeStore
from tests.doubles import MemoryObjects

BASE = "https://cdn.example.com"


@pytest.fixture
def store(tmp_path):
    episodes = SqliteEpisodeStore(str(tmp_path / "store.db"))
    episodes.put_podcast(Podcast(id="p", title="Weekly", sources=[{"export": "x"}], days_back=None))
    return episodes


def completed(store, *, title="An episode", notes=None, at=None):
    """An episode taken through the store's real moves to completed, as MarkCompleted does."""
    episode, _ = store.create_episode(podcast_id="p", language="en", format="dialogue", window=Window(None, None))
    run = f"run-{episode.id}"
    store.claim(episode.id, run)
    store.transition(episode.id, expected="pending", to="content_collected", execution_id=run)
    store.transition(episode.id, expected="content_collected", to="processing", execution_id=run)
    mark_completed({"episode": {"episode_id": episode.id}, "execution_id": run, "audio": {
        "audio_key": f"podcasts/p/{episode.id}/audio/podcast.mp3", "transcript_key": "t",
        "duration_seconds": 61.5, "audio_bytes": 123456, "title": title,
        "show_notes": notes or {"summary": "Summary.", "stories": [{"title": "Story", "turn": 1, "links": []}]},
    }}, episodes=store, now=at)
    return episode.id


def publish(store, objects, **kwargs):
    return publish_feed({"episode": {"podcast_id": "p"}}, episodes=store, objects=objects,
                        public_base_url=BASE, **kwargs)


def guids(objects) -> list[str]:
    return [e.id for e in feedparser.parse(objects.data[feed_key("p")]).entries]


def test_the_feed_lists_every_completed_episode_newest_first_and_a_rerun_writes_the_same_bytes(store):
    objects = MemoryObjects()
    first = completed(store, at=datetime(2026, 12, 1, 7, tzinfo=timezone.utc))
    second = completed(store, at=datetime(2026, 12, 2, 7, tzinfo=timezone.utc))
    store.create_episode(podcast_id="p", language="en", format="dialogue", window=Window(None, None))  # pending

    result = publish(store, objects)
    again = objects.data[feed_key("p")]
    publish(store, objects)

    assert result == {"feed_key": "podcasts/p/feed.xml", "feed_url": f"{BASE}/podcasts/p/feed.xml",
                      "episodes": 2, "renders": 1}
    assert guids(objects) == [second, first]
    assert objects.data[feed_key("p")] == again
    assert objects.types[feed_key("p")] == "application/rss+xml; charset=utf-8"


class CompletesDuringRender:
    """The race: while one publish renders (between its listing and its write), another episode
    of the podcast completes and its own publish runs to the end. The first publish then writes
    its older list last."""

    def __init__(self, inner: MemoryObjects, store, at_put: int):
        self.inner, self.store, self.at_put = inner, store, at_put
        self.bucket, self.data, self.types = inner.bucket, inner.data, inner.types
        self.feed_puts = 0
        self.late_episode = None

    def put(self, key, body, *, content_type):
        if key.endswith("feed.xml"):
            self.feed_puts += 1
            if self.feed_puts == self.at_put:
                self.late_episode = completed(self.store, title="Completed meanwhile")
                publish(self.store, self.inner)  # the other execution's publish, whole
        return self.inner.put(key, body, content_type=content_type)

    def head(self, key, *, etag=None):
        return self.inner.head(key, etag=etag)


def test_two_episodes_completing_together_both_end_up_in_the_feed(store):
    first = completed(store)
    racing = CompletesDuringRender(MemoryObjects(), store, at_put=1)

    result = publish(store, racing)

    # Without the check after the write, the first publish's feed (one episode) would be the
    # last written, and the episode completed meanwhile would be missing from it.
    assert set(guids(racing)) == {first, racing.late_episode}
    assert result["renders"] == 2 and result["episodes"] == 2


def test_a_feed_that_keeps_changing_is_retried_by_the_workflow(store):
    completed(store)

    class AlwaysChanging(CompletesDuringRender):
        def put(self, key, body, *, content_type):
            if key.endswith("feed.xml"):
                completed(self.store)
            return self.inner.put(key, body, content_type=content_type)

    with pytest.raises(FeedOutdated, match="kept changing over 3 renders"):
        publish(store, AlwaysChanging(MemoryObjects(), store, at_put=0), renders=3)


def test_without_a_public_base_url_nothing_is_written(store):
    objects = MemoryObjects()
    completed(store)
    with pytest.raises(ConfigurationError, match="PUBLIC_BASE_URL is not set"):
        publish_feed({"episode": {"podcast_id": "p"}}, episodes=store, objects=objects, public_base_url=None)
    assert objects.puts == []


def test_a_podcast_without_cover_art_gets_a_title_card_made_once(store):
    objects = MemoryObjects()
    completed(store)
    publish(store, objects)
    publish(store, objects)

    image_url = ET.fromstring(objects.data[feed_key("p")]).find(f"channel/{{{ITUNES}}}image").get("href")
    key = image_url.removeprefix(f"{BASE}/")
    assert key.startswith("podcasts/p/art/card-") and objects.puts.count(key) == 1
    card = Image.open(io.BytesIO(objects.data[key]))
    assert (card.format, card.mode, card.size) == ("JPEG", "RGB", (3000, 3000))


@pytest.mark.parametrize("image, expected", [
    ("podcasts/p/cover.png", f"{BASE}/podcasts/p/cover.png"),
    ("https://images.example.com/art.jpg", "https://images.example.com/art.jpg"),
])
def test_uploaded_or_linked_cover_art_is_named_as_is(store, image, expected):
    from dataclasses import replace

    store.update_podcast(replace(store.get_podcast("p"), image=image))
    objects = MemoryObjects()
    completed(store)
    publish(store, objects)
    channel = ET.fromstring(objects.data[feed_key("p")]).find("channel")
    assert channel.find(f"{{{ITUNES}}}image").get("href") == expected
    assert not [k for k in objects.puts if "/art/" in k]


HOSTILE = (
    "<script>alert('x')</script> & ]]> <![CDATA[ \"quotes\" 'apostrophes' "
    "\u202bשלום עולם\u202c \u200fמימין לשמאל\u200f \u2066isolate\u2069"
)
# What XML 1.0 cannot hold at all (DEL and C1 it can).
CONTROL = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r") + "\ufffe\uffff"


def test_hostile_channel_text_leaves_the_feed_well_formed_and_the_text_intact(store):
    title = HOSTILE + "x" * 10_000
    story = HOSTILE + "<b>not bold</b>"
    link = "https://example.com/?a=1&b=<2>"
    episode_id = completed(store, title=title + CONTROL, notes={
        "summary": HOSTILE + CONTROL, "stories": [{"title": story, "turn": 0, "links": [link]}]})
    podcast = store.get_podcast("p")
    podcast.description = HOSTILE
    podcast.title = "פודקאסט " + HOSTILE

    body = render_feed(podcast, store.completed_episodes("p", limit=10), feed_url=f"{BASE}/podcasts/p/feed.xml",
                       image_url=f"{BASE}/c.jpg", url_for=lambda key: f"{BASE}/{key}")

    root = ET.fromstring(body)  # well-formed, or this raises
    channel = root.find("channel")
    assert channel.findtext("title") == "פודקאסט " + HOSTILE
    assert channel.findtext("description") == HOSTILE
    item = channel.find("item")
    assert item.findtext("title") == title  # 10,000 characters and more, control characters gone
    assert item.findtext("guid") == episode_id
    # The notes are HTML inside the XML: the channel's text is in it as text, never as markup.
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.bozo_exception
    description = item.findtext("description")
    assert "<script>" not in description and "&lt;script&gt;" in description
    import html
    assert html.unescape(description).count(HOSTILE) == 2
    assert f'<a href="{html.escape(link)}">' in description
    assert xml_text(CONTROL + "\ud800") == ""  # an unpaired surrogate, which no store keeps, either


def test_hebrew_podcasts_declare_he_and_keep_right_to_left_text(store):
    from dataclasses import replace

    store.update_podcast(replace(store.get_podcast("p"), language="he", title="טק בקצרה",
                                 description="חדשות טכנולוגיה, בקצרה ובעברית."))
    objects = MemoryObjects()
    completed(store, title="בינה מלאכותית, שבבים (2026-11-16 – 2026-11-22)")
    publish(store, objects)

    feed = feedparser.parse(objects.data[feed_key("p")])
    assert feed.feed.language == "he" and feed.feed.title == "טק בקצרה"
    assert feed.entries[0].title == "בינה מלאכותית, שבבים (2026-11-16 – 2026-11-22)"


def test_the_stored_show_notes_are_json_and_the_item_carries_them(store):
    episode_id = completed(store, notes={"summary": "Two stories.", "stories": [
        {"title": "First", "turn": 1, "links": ["https://t.me/chan/5"]}]})
    episode = store.get_episode(episode_id)
    assert json.loads(episode.show_notes)["stories"][0]["links"] == ["https://t.me/chan/5"]
    assert episode.audio_bytes == 123456 and episode.completed_at.endswith("Z")
