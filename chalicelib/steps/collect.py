"""CollectContent and WaitForContent: gather the window's messages into one bundle in S3,
then prove the very object that was written is readable before anyone reads it."""
from __future__ import annotations

import logging
from collections import Counter
from typing import Callable

from chalicelib.domain import Window, content_key, media_key, parse_moment
from chalicelib.errors import ContentNotReady, NoContent
from chalicelib.sources.base import ContentSource, PhotoSource
from chalicelib.sources.bundle import build_bundle, bundle_json_bytes, stands_for
from chalicelib.stores.episodes import EpisodeStore, Podcast
from chalicelib.stores.objects import ObjectStore

log = logging.getLogger(__name__)


def collect_content(
    event: dict,
    *,
    episodes: EpisodeStore | Callable[[], EpisodeStore],
    objects: ObjectStore,
    source_for: Callable[[Podcast], ContentSource],
    bundle_limits: dict,
    upload_photos: bool = False,
) -> dict:
    """Returns {"bucket", "key", "etag", "size", "messages"}; the bundle itself stays in S3.

    Never a repeat: a message another episode of the podcast kept, completed or still being
    made (``domain.COVERING``), is filtered as ``already_covered``, and the messages this
    bundle keeps are recorded on the episode (covering them for the others from now on). A window left with no usable message raises
    ``NoContent``, which the state machine turns into a skipped episode ("nothing new").

    With ``upload_photos`` (and a source that can give photos), each kept photo is stored under
    the episode's ``media/`` prefix before the bundle, whose media entry names its key.

    The episode reference from ValidateEpisode carries the window and the podcast, so the
    store (``episodes``: the store, or a function building it on first use) is read only for
    what it alone knows: the messages other episodes covered (and, for a reference made
    before the window and podcast were added, those too).
    """
    ref = event["episode"]
    store = episodes() if callable(episodes) else episodes
    if "window" in ref and "podcast" in ref:
        window = Window.from_json(ref["window"])
        podcast = Podcast(id=ref["podcast"]["id"], title=ref["podcast"]["title"],
                          sources=ref["podcast"]["sources"])
    else:
        window = store.get_episode(ref["episode_id"]).window
        podcast = store.get_podcast(ref["podcast_id"])
    episode_id = ref["episode_id"]
    source = source_for(podcast)
    collection = source.collect(window)
    covered = store.covered_messages(podcast.id, window=window, exclude_episode_id=episode_id)
    photos = upload_photos and isinstance(source, PhotoSource)
    bundle = build_bundle(
        collection,
        podcast_id=podcast.id,
        episode_id=episode_id,
        window=window,
        title=podcast.title,
        photo_key=(lambda m: media_key(podcast.id, episode_id, m.channel, m.id)) if photos else None,
        covered=covered,
        **bundle_limits,
    )
    # Before the bundle is stored: a bundle in S3 always has its messages recorded. Replaces
    # what an earlier collection of this episode recorded (a retry that collects again).
    store.record_messages(
        episode_id, [(m["channel"], m["id"], parse_moment(m["date"], "date")) for m in bundle["messages"]])
    if not bundle["messages"]:
        raise NoContent(nothing_new(bundle))
    if photos:
        store_photos(bundle, source, objects)
    stored = objects.put(
        content_key(podcast.id, episode_id),
        bundle_json_bytes(bundle),
        content_type="application/json; charset=utf-8",
    )
    return {**stored.to_json(), "messages": len(bundle["messages"])}


def nothing_new(bundle: dict) -> str:
    """Why a bundle kept nothing, in an operator's words: what was collected and each reason."""
    collected = bundle["counts"]["collected"]
    if not collected:
        return "no message in the window"
    reasons: Counter = Counter()
    for entry in bundle["filtered"]:
        reasons[entry["reason"]] += stands_for(entry)
    detail = ", ".join(f"{reason} {count}" for reason, count in sorted(reasons.items()))
    return f"no usable message in the window: {collected} collected, all filtered ({detail})"


def store_photos(bundle: dict, source: PhotoSource, objects: ObjectStore) -> int:
    """Put each photo whose media entry names a ``key`` there; returns how many were stored.

    A photo the source cannot give loses its ``key``, so the bundle never names an object that
    is not there. Stored before the bundle: once the bundle is readable, so are its photos.
    """
    wanted = {
        (m["channel"], m["id"]): m["media"]
        for m in bundle["messages"]
        if m["media"] is not None and "key" in m["media"]
    }
    stored: set[tuple[str, int]] = set()

    def deliver(channel: str, message_id: int, data: bytes) -> None:
        media = wanted[(channel, message_id)]
        objects.put(media["key"], data, content_type="image/jpeg")
        stored.add((channel, message_id))

    if wanted:
        source.fetch_photos(list(wanted), deliver)
    missing = [ref for ref in wanted if ref not in stored]
    for ref in missing:
        del wanted[ref]["key"]
    if missing:
        log.warning("%d of %d photos could not be fetched; stored without them",
                    len(missing), len(wanted))
    return len(stored)


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
