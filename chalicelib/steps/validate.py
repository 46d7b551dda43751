"""ValidateEpisode: check the execution input, create the episode if absent, claim it."""
from __future__ import annotations

import uuid
from typing import Callable

from chalicelib.domain import Window, window_from_request
from chalicelib.episode_request import parse_episode_request
from chalicelib.errors import NotFound
from chalicelib.stores.episodes import Episode, EpisodeStore, Podcast

_EXECUTION_NAMESPACE = uuid.UUID("6f1c1d7e-8a51-4a8e-9d0e-70646361737f")


def validate_episode(
    event: dict,
    *,
    episodes: EpisodeStore,
    check_speech: Callable[[str, Podcast], None] = lambda language, podcast: None,
) -> dict:
    """``event``: {"input": <execution input>, "execution_id": <execution ARN>}.

    Invalid input raises ``InvalidInput`` before anything is written. Returns the episode
    reference the later states pass along (and, on a retry, the content already in S3).
    """
    request = parse_episode_request(event.get("input"))
    execution_id = event["execution_id"]
    podcast = episodes.get_podcast(request.podcast_id)
    if podcast is None:
        raise NotFound(f"podcast_id {request.podcast_id!r} does not exist")
    # Without an episode id (a console execution), the id derives from the execution: a Lambda
    # retry of this step finds the same episode instead of creating a second one, and the
    # reconciler can find the episode of an execution that ended outside the Catch path.
    # A provider that cannot speak the language is refused now, not after collection.
    check_speech(request.language or podcast.language, podcast)
    episode_id = request.episode_id or episode_id_for_execution(execution_id)
    episode = episodes.get_episode(episode_id)
    if episode is None:
        episode, _ = episodes.create_episode(
            podcast_id=podcast.id,
            language=request.language or podcast.language,
            format=request.format or podcast.format,
            window=request.window or default_window(podcast),
            episode_id=episode_id,
        )
    elif episode.podcast_id != podcast.id:
        raise NotFound(f"episode_id {episode.id} does not belong to podcast_id {podcast.id!r}")
    episode = episodes.claim(episode.id, execution_id)
    ref = episode_ref(episode)
    if ref["content"] is not None and episodes.covered_elsewhere(episode.id):
        # A retry reuses its bundle, unless an episode that completed since told some of what
        # the bundle holds (a later slot ran while this one waited for its retry): then it
        # collects again, and those messages are filtered as already_covered, not told twice.
        ref["content"] = None
    return ref


def episode_id_for_execution(execution_id: str) -> str:
    return str(uuid.uuid5(_EXECUTION_NAMESPACE, execution_id))


def default_window(podcast: Podcast) -> Window:
    """The podcast's ``days_back`` ending now; a podcast without one takes everything."""
    if podcast.days_back:
        return window_from_request(days_back=podcast.days_back)
    return Window(None, None)


def episode_ref(episode: Episode) -> dict:
    content = None
    if episode.content_key and episode.content_etag:
        content = {"key": episode.content_key, "etag": episode.content_etag}
    return {
        "episode_id": episode.id,
        "podcast_id": episode.podcast_id,
        "language": episode.language,
        "format": episode.format,
        "content": content,
    }
