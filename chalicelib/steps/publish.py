"""PublishFeed: the podcast's feed, rendered whole from the episode store, stored in S3.

Never by editing the previous feed: every run lists the podcast's completed episodes and writes
``podcasts/<id>/feed.xml`` from them, so a re-run writes the same bytes and two episodes of one
podcast completing together cannot lose each other — with one guard. Two runs A and B may
interleave as "A lists, B lists (with B's episode), B writes, A writes": A's feed, written last,
lacks B's episode. So each run lists again after writing, and renders again when the list moved.
The last run to write always checks after its write, so the last feed written lists every
episode completed before that check, and any later completion runs its own publish, which writes
later still.

The cover: the podcast's uploaded image (an object key or an https:// URL), else a generated
title card, made once per title (chalicelib.feed.cover).
"""
from __future__ import annotations

from typing import Callable

from chalicelib.domain import feed_key
from chalicelib.errors import ConfigurationError, FeedOutdated, NotFound
from chalicelib.feed.cover import card_key, title_card
from chalicelib.feed.rss import render_feed
from chalicelib.stores.episodes import EpisodeStore, Podcast
from chalicelib.stores.objects import ObjectStore

MAX_EPISODES = 1000  # the newest; older episodes stay in S3 and in the store
RENDERS = 5


def publish_feed(
    event: dict,
    *,
    episodes: EpisodeStore,
    objects: ObjectStore,
    public_base_url: str | None,
    renders: int = RENDERS,
) -> dict:
    """Returns {"feed_key", "feed_url", "episodes", "renders"}."""
    if not public_base_url:
        raise ConfigurationError("PUBLIC_BASE_URL is not set: the feed has no public address to name")
    podcast_id = event["episode"]["podcast_id"]
    podcast = episodes.get_podcast(podcast_id)
    if podcast is None:
        raise NotFound(f"podcast_id {podcast_id!r} does not exist")
    base = public_base_url.rstrip("/")

    def url_for(key: str) -> str:
        return f"{base}/{key}"

    feed_url = url_for(feed_key(podcast.id))
    image_url = cover_url(podcast, objects, url_for)
    for render in range(1, renders + 1):
        listed = episodes.completed_episodes(podcast.id, limit=MAX_EPISODES)
        body = render_feed(podcast, listed, feed_url=feed_url, image_url=image_url, url_for=url_for)
        objects.put(feed_key(podcast.id), body, content_type="application/rss+xml; charset=utf-8")
        now = episodes.completed_episodes(podcast.id, limit=MAX_EPISODES)
        if [e.id for e in now] == [e.id for e in listed]:
            return {"feed_key": feed_key(podcast.id), "feed_url": feed_url, "episodes": len(listed),
                    "renders": render}
    raise FeedOutdated(f"the episodes of podcast {podcast.id!r} kept changing over {renders} renders")


def cover_url(podcast: Podcast, objects: ObjectStore, url_for: Callable[[str], str]) -> str:
    """The cover's public URL; a podcast without an image gets its title card, made when absent."""
    if podcast.image and podcast.image.startswith("https://"):
        return podcast.image
    if podcast.image:
        return url_for(podcast.image)
    return url_for(ensure_card(podcast, objects))


def ensure_card(podcast: Podcast, objects: ObjectStore) -> str:
    key = card_key(podcast.id, podcast.title, podcast.language)
    if objects.head(key) is None:
        objects.put(key, title_card(podcast.title, podcast.language), content_type="image/jpeg")
    return key
