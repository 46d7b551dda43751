"""What a listener's app sees: the feed PublishFeed leaves after two episodes, read by real feed
clients (gPodder's podcastparser, feedparser), with its chapters, captions and cover, fetched
from the local S3 server by their public URLs the way an app does (byte ranges included)."""
from __future__ import annotations

import io
import json
import urllib.error
import uuid
import urllib.request
import xml.etree.ElementTree as ET

import feedparser
import podcastparser
import pytest
import webvtt
from PIL import Image

from chalicelib.feed.rss import ITUNES, PODCAST, podcast_guid
from tests.conftest import export_message, write_export

DAY = 86400
# Two days of posts: one episode a day, so the second tells what the first did not.
MESSAGES = [
    export_message(1, "Release 2.0 is out with faster builds.", unixtime=1763632800),
    export_message(2, ["Read the notes at ", {"type": "link", "text": "https://example.com/notes"}],
                   unixtime=1763636400),
    export_message(3, "Thanks to 12 contributors this week.", unixtime=1763640000),
    export_message(4, "The 2.1 beta adds a plugin system.", unixtime=1763632800 + DAY),
    export_message(5, ["Plugin guide: ", {"type": "link", "text": "https://example.com/plugins"}],
                   unixtime=1763636400 + DAY),
]
WINDOWS = [{"start_date": "2025-11-20", "end_date": "2025-11-20"},
           {"start_date": "2025-11-21", "end_date": "2025-11-21"}]


def fetch(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers, response.read()


@pytest.fixture
def published(engine, services, tmp_path, podcast_for):
    """Two completed episodes of one podcast, and the feed's public URL."""
    podcast = podcast_for(write_export(tmp_path / "two-days", MESSAGES), podcast_id=f"feed-{uuid.uuid4().hex[:8]}")
    ids = []
    for window in WINDOWS:
        description = engine.run({"podcast_id": podcast.id, **window}, timeout=120)
        assert description["status"] == "SUCCEEDED", description.get("cause")
        ids.append(json.loads(description["output"])["episode"]["episode_id"])
        assert json.loads(description["output"])["feed"]["episodes"] == len(ids)
    feed_url = f"{services.public_base_url}/podcasts/{podcast.id}/feed.xml"
    return podcast, ids, feed_url


def test_podcast_clients_find_both_episodes_with_enclosure_duration_transcript_and_chapters(services, published):
    podcast, ids, feed_url = published
    status, headers, body = fetch(feed_url)
    assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")

    parsed = podcastparser.parse(feed_url, io.BytesIO(body))
    assert parsed["title"] == "Test Podcast"
    episodes = {e["guid"]: e for e in parsed["episodes"]}
    assert set(episodes) == set(ids)
    for episode_id in ids:
        stored = services.episodes.get_episode(episode_id)
        item = episodes[episode_id]
        (enclosure,) = item["enclosures"]
        assert enclosure["url"].endswith(f"/podcasts/{podcast.id}/{episode_id}/audio/podcast.mp3")
        assert enclosure["file_size"] == stored.audio_bytes > 0
        assert enclosure["mime_type"] == "audio/mpeg"
        assert item["total_time"] == round(stored.duration_seconds)
        assert item["title"] == stored.title and item["description"]
        assert item["transcript_url"].endswith(f"/{episode_id}/audio/captions.vtt")
        assert item["chapters_json_url"].endswith(f"/{episode_id}/audio/chapters.json")

    feed = feedparser.parse(body)
    assert not feed.bozo, feed.bozo_exception
    assert [e.id for e in feed.entries] == ids[::-1]  # newest first
    for entry in feed.entries:
        (enclosure,) = entry.enclosures
        assert int(enclosure.length) == services.episodes.get_episode(entry.id).audio_bytes
        assert int(entry.itunes_duration) > 0
        assert entry.podcast_chapters["url"].endswith("/audio/chapters.json")
        assert {t["type"] for t in _podcast_transcripts(body, entry.id)} == {"text/vtt", "application/json"}


def _podcast_transcripts(body: bytes, guid: str) -> list[dict]:
    root = ET.fromstring(body)
    (item,) = [i for i in root.iter("item") if i.findtext("guid") == guid]
    return [t.attrib for t in item.findall(f"{{{PODCAST}}}transcript")]


def test_every_tag_apple_podcasts_requires_is_there(published):
    podcast, ids, feed_url = published
    _, _, body = fetch(feed_url)
    channel = ET.fromstring(body).find("channel")
    assert ET.fromstring(body).get("version") == "2.0"
    for tag in ("title", "description", "language", "link"):
        assert (channel.findtext(tag) or "").strip(), tag
    assert channel.findtext("language") == "en"
    assert channel.find(f"{{{ITUNES}}}category").get("text") == "News"
    assert channel.findtext(f"{{{ITUNES}}}explicit") in ("true", "false")
    assert channel.findtext(f"{{{PODCAST}}}guid") == podcast_guid(feed_url)
    assert channel.findtext(f"{{{PODCAST}}}locked") in ("yes", "no")
    # The cover: a square RGB JPEG or PNG of 1400-3000 px, served where the feed says.
    _, headers, image_bytes = fetch(channel.find(f"{{{ITUNES}}}image").get("href"))
    image = Image.open(io.BytesIO(image_bytes))
    assert image.format in ("JPEG", "PNG") and image.mode == "RGB"
    assert image.size[0] == image.size[1] and 1400 <= image.size[0] <= 3000
    for item in channel.findall("item"):
        for tag in ("title", "guid", "pubDate", "description", f"{{{ITUNES}}}duration"):
            assert (item.findtext(tag) or "").strip(), tag
        enclosure = item.find("enclosure")
        assert enclosure.get("url") and int(enclosure.get("length")) > 0 and enclosure.get("type") == "audio/mpeg"
        assert item.find("guid").get("isPermaLink") == "false"


def test_chapters_follow_json_chapters_and_captions_cover_the_audio_in_order(services, published):
    podcast, ids, feed_url = published
    _, _, body = fetch(feed_url)
    for item in ET.fromstring(body).iter("item"):
        duration = float(services.episodes.get_episode(item.findtext("guid")).duration_seconds)
        _, headers, raw = fetch(item.find(f"{{{PODCAST}}}chapters").get("url"))
        chapters = json.loads(raw)
        assert chapters["version"] == "1.2.0" and chapters["chapters"]
        starts = [c["startTime"] for c in chapters["chapters"]]
        assert starts == sorted(set(starts)) and 0 <= starts[0] and starts[-1] < duration
        assert all(isinstance(c["title"], str) and c["title"] for c in chapters["chapters"])

        vtt_url = next(t.get("url") for t in item.findall(f"{{{PODCAST}}}transcript") if t.get("type") == "text/vtt")
        _, _, captions = fetch(vtt_url)
        cues = webvtt.from_buffer(io.StringIO(captions.decode("utf-8"))).captions
        assert cues and cues[0].start_time.in_milliseconds() == 0
        for before, after in zip(cues, cues[1:]):
            assert before.start_time < before.end_time <= after.start_time
        assert abs(cues[-1].end_time.in_milliseconds() / 1000 - duration) < 0.5
        assert all(cue.voice for cue in cues)  # <v Speaker> on every cue

        json_url = next(t.get("url") for t in item.findall(f"{{{PODCAST}}}transcript")
                        if t.get("type") == "application/json")
        _, _, transcript = fetch(json_url)
        segments = json.loads(transcript)["segments"]
        assert [s["body"] for s in segments] == [c.text for c in cues]


def test_the_public_audio_url_answers_a_range_request_with_206_and_those_bytes(services, published):
    podcast, ids, feed_url = published
    episode = services.episodes.get_episode(ids[0])
    _, _, body = fetch(feed_url)
    url = next(e.get("url") for e in ET.fromstring(body).iter("enclosure") if ids[0] in e.get("url"))
    whole = services.objects.get(episode.audio_key)

    status, headers, part = fetch(url, {"Range": "bytes=1000-1999"})

    assert status == 206
    assert part == whole[1000:2000]
    assert headers["Content-Range"] == f"bytes 1000-1999/{len(whole)}"


def test_publishing_again_writes_the_same_feed(services, published):
    from chalicelib.steps.publish import publish_feed

    podcast, ids, feed_url = published
    _, _, first = fetch(feed_url)
    result = publish_feed({"episode": {"podcast_id": podcast.id}}, episodes=services.episodes,
                          objects=services.objects, public_base_url=services.public_base_url)
    _, _, second = fetch(feed_url)
    assert result["episodes"] == 2 and second == first


def test_only_published_files_are_public(services, published):
    podcast, ids, feed_url = published
    episode = services.episodes.get_episode(ids[0])
    base = services.public_base_url
    for private in (episode.content_key, f"podcasts/{podcast.id}/{episode.id}/script.json"):
        assert services.objects.head(private) is not None  # there, but not for the public
        with pytest.raises(urllib.error.HTTPError) as refused:
            fetch(f"{base}/{private}")
        assert refused.value.code == 403
