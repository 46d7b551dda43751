"""GenerateAudio: script → speech → one MP3 (+ transcript) in S3, with its exact duration."""
from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone

from chalicelib.audio.base import SpeechEngine
from chalicelib.audio.mp3 import write_tags
from chalicelib.audio.render import render_mp3
from chalicelib.domain import audio_key, transcript_key
from chalicelib.errors import AudioRejected
from chalicelib.script.base import Host, ScriptWriter
from chalicelib.script.validate import validate_script
from chalicelib.stores.episodes import EpisodeStore
from chalicelib.stores.objects import ObjectStore


def generate_audio(
    event: dict,
    *,
    episodes: EpisodeStore,
    objects: ObjectStore,
    writer: ScriptWriter,
    speech: SpeechEngine,
    target_seconds: float | None = None,
    bitrate_kbps: int = 64,
) -> dict:
    """Returns {"audio_key", "transcript_key", "duration_seconds", "turns"}."""
    ref, content = event["episode"], event["content"]
    episode = episodes.get_episode(ref["episode_id"])
    podcast = episodes.get_podcast(ref["podcast_id"])
    # Read exactly the object WaitForContent proved is there (same ETag).
    bundle = json.loads(objects.get(content["key"], etag=content["etag"]))
    script = writer.write(
        bundle,
        title=podcast.title,
        language=episode.language,
        format=episode.format,
        hosts=[Host(h["name"], h.get("role", "host")) for h in podcast.hosts],
        target_seconds=target_seconds,
    )
    validate_script(script, bundle=bundle, target_seconds=target_seconds)
    voices = {speaker.name: speaker.voice for speaker in script.speakers}

    # The MP3 is streamed to a temporary file and uploaded from disk: no whole-episode buffer.
    fd, path = tempfile.mkstemp(suffix=".mp3")
    try:
        with os.fdopen(fd, "wb") as out:
            duration, _ = render_mp3(
                script.turns, speech, out, language=episode.language, voices=voices,
                bitrate_kbps=bitrate_kbps,
            )
        if duration <= 0:
            raise AudioRejected("the episode's audio has no duration")
        write_tags(
            path,
            title=f"{podcast.title} — {datetime.now(timezone.utc):%Y-%m-%d}",
            podcast=podcast.title,
            date=datetime.now(timezone.utc).strftime("%Y-%m-%d"),
            language=episode.language,
        )
        with open(path, "rb") as audio:
            objects.put(audio_key(podcast.id, episode.id), audio, content_type="audio/mpeg")
    finally:
        os.unlink(path)
    objects.put(
        transcript_key(podcast.id, episode.id),
        script.transcript().encode("utf-8"),
        content_type="text/plain; charset=utf-8",
    )
    return {
        "audio_key": audio_key(podcast.id, episode.id),
        "transcript_key": transcript_key(podcast.id, episode.id),
        "duration_seconds": round(duration, 3),
        "turns": len(script.turns),
    }
