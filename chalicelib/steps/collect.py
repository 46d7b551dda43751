"""CollectContent and WaitForContent: gather the window's messages into one bundle in S3,
then prove the very object that was written is readable before anyone reads it."""
from __future__ import annotations

from typing import Callable

from chalicelib.domain import content_key
from chalicelib.errors import ContentNotReady, NoContent
from chalicelib.sources.base import ContentSource
from chalicelib.sources.bundle import build_bundle, bundle_json_bytes
from chalicelib.stores.episodes import EpisodeStore, Podcast
from chalicelib.stores.objects import ObjectStore


def collect_content(
    event: dict,
    *,
    episodes: EpisodeStore,
    objects: ObjectStore,
    source_for: Callable[[Podcast], ContentSource],
    bundle_limits: dict,
) -> dict:
    """Returns {"bucket", "key", "etag", "size", "messages"}; the bundle itself stays in S3."""
    ref = event["episode"]
    episode = episodes.get_episode(ref["episode_id"])
    podcast = episodes.get_podcast(ref["podcast_id"])
    collection = source_for(podcast).collect(episode.window)
    bundle = build_bundle(
        collection,
        podcast_id=podcast.id,
        episode_id=episode.id,
        window=episode.window,
        title=podcast.title,
        **bundle_limits,
    )
    if not bundle["messages"]:
        raise NoContent(
            f"no_content: no usable message in the window "
            f"({len(bundle['filtered'])} filtered out of {bundle['counts']['collected']})"
        )
    stored = objects.put(
        content_key(podcast.id, episode.id),
        bundle_json_bytes(bundle),
        content_type="application/json; charset=utf-8",
    )
    return {**stored.to_json(), "messages": len(bundle["messages"])}


def wait_for_content(event: dict, *, objects: ObjectStore) -> dict:
    """One HeadObject with IfMatch on the upload's ETag. Absent or different → ContentNotReady,
    which the state machine retries with backoff and, past its bound, fails the episode."""
    content = event["content"]
    found = objects.head(content["key"], etag=content["etag"])
    if found is None:
        raise ContentNotReady(
            f"content {content['key']} with ETag {content['etag']} is not readable yet"
        )
    return {**found.to_json(), "messages": content.get("messages")}
