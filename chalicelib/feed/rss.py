"""A podcast's RSS 2.0 feed, with the tags Apple Podcasts requires and the Podcasting 2.0 ones.

A small writer on ``xml.etree`` rather than feedgen/podgen: both are dormant and know only the
iTunes tags, and the ``podcast:`` namespace (guid, transcript, chapters, locked) is what lets apps
show captions and chapters. The feed is rendered whole from the podcast and its completed
episodes, never by editing a previous feed, so rendering the same episodes twice gives the same
bytes (no "now" in it: ``lastBuildDate`` is the newest episode's completion).

Text from channels goes in as element text, which ElementTree escapes (``<script>``, ``&``,
``]]>`` are just characters); the one thing XML cannot carry at all — control characters other
than tab and newlines, unpaired surrogates, U+FFFE/U+FFFF — is removed. Right-to-left text and
bidi marks are ordinary characters and pass through untouched.
"""
from __future__ import annotations

import html
import json
import re
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime
from email.utils import format_datetime
from typing import Callable, Iterable

from chalicelib.domain import captions_key, chapters_key, transcript_json_key
from chalicelib.stores.episodes import Episode, Podcast

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
# The namespace URI the first Podcasting 2.0 feeds used. gPodder's parser (podcastparser 0.6.11)
# knows only this one and ignores tags in the official URI above, so each item repeats its
# captions and chapters under it: other clients ignore a namespace they do not know.
PODCAST_LEGACY = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
# Podcasting 2.0: podcast:guid is the UUIDv5 of the feed URL in this namespace.
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
MAX_DESCRIPTION = 4000  # Apple shows at most this many characters of a description
for _prefix, _uri in (("itunes", ITUNES), ("podcast", PODCAST), ("atom", ATOM),
                     ("podcastgh", PODCAST_LEGACY)):
    ET.register_namespace(_prefix, _uri)

_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    """``value`` as text XML 1.0 can hold: only the characters it cannot are removed."""
    return _NOT_XML.sub("", str(value))


def podcast_guid(feed_url: str) -> str:
    """The feed's ``podcast:guid``: UUIDv5 of its URL without the scheme and trailing slashes."""
    bare = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", feed_url).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


def show_notes_html(summary: str, stories: list[dict]) -> str:
    """The summary, then each story with its source links, as the HTML podcast apps render;
    stories that would pass Apple's 4000 characters are left out (they stay as chapters)."""
    head = f"<p>{html.escape(summary)}</p>" if summary else ""
    items = []
    for story in stories:
        links = ", ".join(f'<a href="{html.escape(link)}">{html.escape(link)}</a>' for link in story.get("links") or ())
        item = f"<li>{html.escape(story['title'])}" + (f" — {links}" if links else "") + "</li>"
        if len(head) + sum(map(len, items)) + len(item) + 9 > MAX_DESCRIPTION:
            break
        items.append(item)
    return head + (f"<ul>{''.join(items)}</ul>" if items else "")


def render_feed(
    podcast: Podcast,
    episodes: Iterable[Episode],
    *,
    feed_url: str,
    image_url: str,
    url_for: Callable[[str], str],
) -> bytes:
    """The feed as UTF-8 bytes. ``episodes`` are completed ones, newest first; ``url_for``
    turns an object key into its public URL."""
    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")
    description = podcast.description.strip() or podcast.title
    _add(channel, "title", podcast.title)
    _add(channel, "link", feed_url)
    _add(channel, "description", description)
    _add(channel, "language", podcast.language)
    _add(channel, "generator", "podcasto")
    ET.SubElement(channel, f"{{{ATOM}}}link", {"href": feed_url, "rel": "self", "type": "application/rss+xml"})
    _add(channel, f"{{{ITUNES}}}author", podcast.author or podcast.title)
    _add(channel, f"{{{ITUNES}}}summary", description)
    ET.SubElement(channel, f"{{{ITUNES}}}image", {"href": image_url})
    image = ET.SubElement(channel, "image")
    _add(image, "url", image_url)
    _add(image, "title", podcast.title)
    _add(image, "link", feed_url)
    ET.SubElement(channel, f"{{{ITUNES}}}category", {"text": podcast.category})
    _add(channel, f"{{{ITUNES}}}explicit", "true" if podcast.explicit else "false")
    _add(channel, f"{{{ITUNES}}}type", "episodic")
    _add(channel, f"{{{PODCAST}}}guid", podcast_guid(feed_url))
    _add(channel, f"{{{PODCAST}}}locked", "no")
    episodes = list(episodes)
    if episodes and episodes[0].completed_at:
        _add(channel, "lastBuildDate", _rfc2822(episodes[0].completed_at))
    for episode in episodes:
        _item(channel, episode, url_for, explicit=podcast.explicit)
    ET.indent(rss, space=" ")
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True)


def _item(channel: ET.Element, episode: Episode, url_for: Callable[[str], str], *, explicit: bool) -> None:
    notes = json.loads(episode.show_notes) if episode.show_notes else {}
    title = episode.title or f"Episode of {(episode.completed_at or episode.created_at or '')[:10]}"
    item = ET.SubElement(channel, "item")
    _add(item, "title", title)
    _add(item, f"{{{ITUNES}}}title", title)
    description = show_notes_html(notes.get("summary") or "", notes.get("stories") or []) or html.escape(title)
    # HTML in description, which Apple and the others render; no content:encoded copy (half
    # the feed's size for a thousand episodes, bench/bench_feed.py).
    _add(item, "description", description)
    ET.SubElement(item, "enclosure", {
        "url": url_for(episode.audio_key or ""),
        "length": str(episode.audio_bytes or 0),
        "type": "audio/mpeg",
    })
    _add(item, "guid", episode.id).set("isPermaLink", "false")
    moment = episode.completed_at or episode.created_at
    if moment:
        _add(item, "pubDate", _rfc2822(moment))
    _add(item, f"{{{ITUNES}}}duration", str(round(episode.duration_seconds or 0)))
    _add(item, f"{{{ITUNES}}}episodeType", "full")
    _add(item, f"{{{ITUNES}}}explicit", "true" if explicit else "false")
    ids = (episode.podcast_id, episode.id)
    ET.SubElement(item, f"{{{PODCAST}}}transcript",
                  {"url": url_for(captions_key(*ids)), "type": "text/vtt", "rel": "captions"})
    ET.SubElement(item, f"{{{PODCAST}}}transcript",
                  {"url": url_for(transcript_json_key(*ids)), "type": "application/json"})
    ET.SubElement(item, f"{{{PODCAST}}}chapters",
                  {"url": url_for(chapters_key(*ids)), "type": "application/json+chapters"})
    ET.SubElement(item, f"{{{PODCAST_LEGACY}}}transcript",
                  {"url": url_for(captions_key(*ids)), "type": "text/vtt", "rel": "captions"})
    ET.SubElement(item, f"{{{PODCAST_LEGACY}}}chapters",
                  {"url": url_for(chapters_key(*ids)), "type": "application/json+chapters"})


def _add(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = xml_text(text)
    return element


def _rfc2822(moment: str) -> str:
    return format_datetime(datetime.fromisoformat(moment.replace("Z", "+00:00")), usegmt=True)
