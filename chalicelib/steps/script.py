"""WriteScript: the bundle becomes a validated script, cut into speech segments, stored in S3.

Validation happens here, before any speech is paid for. The script document (turns with
their message ids, and segments with their cache keys) stays in S3; the state carries only
segment indexes, so a long episode never nears the 256 KiB payload limit.
"""
from __future__ import annotations

import json
import math
from typing import Callable

from chalicelib.audio.base import SpeechPlan, own_voice
from chalicelib.audio.segments import split_script
from chalicelib.domain import script_key, segment_audio_key
from chalicelib.script.base import Host, ScriptWriter
from chalicelib.script.stories import DEFAULT_TARGET_SECONDS
from chalicelib.script.notes import notes_document, validate_notes
from chalicelib.script.validate import validate_script
from chalicelib.stores.episodes import EpisodeStore, Podcast
from chalicelib.stores.objects import ObjectStore

# Words of speech one Map iteration synthesises at most (about two minutes at 150 words a
# minute): few enough that a cloud provider's calls for them finish well inside the task's
# 300 s timeout, many enough that an hour-long episode is 30 iterations, not 700 — each Map
# iteration is a state transition (billed on Standard workflows) and a Lambda invocation.
SEGMENT_BATCH_WORDS = 300


def batches(segments: list[dict], *, concurrency: int) -> list[list[int]]:
    """Consecutive segment indexes in batches of about equal words, one batch per Map
    iteration: at least ``concurrency`` of them (when there are that many segments), so the
    Map still runs in parallel, and none much over ``SEGMENT_BATCH_WORDS``."""
    if not segments:
        return []
    words = [max(1, len(segment["text"].split())) for segment in segments]
    count = min(len(segments), max(concurrency, math.ceil(sum(words) / SEGMENT_BATCH_WORDS)))
    share = sum(words) / count
    result: list[list[int]] = []
    current: list[int] = []
    spoken = 0
    for index, n in enumerate(words):
        current.append(index)
        spoken += n
        left = len(segments) - index - 1
        if len(result) < count - 1 and (spoken >= share * (len(result) + 1) or left <= count - len(result) - 1):
            result.append(current)
            current = []
    if current:
        result.append(current)
    return result


def write_script(
    event: dict,
    *,
    episodes: EpisodeStore,
    objects: ObjectStore,
    writer: ScriptWriter,
    speech_plan: Callable[[str, Podcast], SpeechPlan],
    concurrency: int,
    target_seconds: float | None = None,
) -> dict:
    """Returns {"script_key", "segments": [0, 1, ...], "batches": [[0, 1], [2], ...],
    "max_concurrency", "provider", "language"}: the Map synthesises one batch per iteration.

    The target length is the podcast's own ``target_minutes``, else ``target_seconds`` (the
    TARGET_SECONDS setting), else ``DEFAULT_TARGET_SECONDS``; the writer fills it by choosing
    whole stories, and the script document records its choice (``selection``: what was told,
    what was left out and why).
    """
    ref, content = event["episode"], event["content"]
    episode = episodes.get_episode(ref["episode_id"])
    podcast = episodes.get_podcast(ref["podcast_id"])
    if podcast.target_minutes:
        target_seconds = 60.0 * podcast.target_minutes
    target_seconds = target_seconds or DEFAULT_TARGET_SECONDS
    # Chosen before the writer runs, so an engine that cannot be built fails before it is paid.
    plan = speech_plan(episode.language, podcast)
    provider, model = plan.provider, plan.model
    bundle = json.loads(objects.get(content["key"], etag=content["etag"]))
    script = writer.write(
        bundle,
        title=podcast.title,
        language=episode.language,
        format=episode.format,
        hosts=[Host(h["name"], h.get("role", "host")) for h in podcast.hosts],
        target_seconds=target_seconds,
        # The podcast's own house style, for the writers that take one (the LLM writers).
        **({"style": podcast.script_style} if podcast.script_style and writer_takes_style(writer) else {}),
    )
    validate_script(script, bundle=bundle, target_seconds=target_seconds)
    validate_notes(script, bundle=bundle)
    voices = speaker_voices(script.speakers, podcast.hosts, provider)
    segments = []
    for turn_number, turn in enumerate(script.turns):
        for piece in split_script([turn], max_chars=plan.max_chars, voices=voices):
            segments.append({
                "index": len(segments),
                "turn": turn_number,
                "speaker": piece.speaker,
                "voice": piece.voice,
                "text": piece.text,
                "message_ids": list(piece.message_ids),
                # Named by what determines the audio: a retry or a re-run finds it and
                # synthesises only what is missing.
                "key": segment_audio_key(
                    podcast.id, episode.id, piece.text, piece.voice, provider, model, episode.language
                ),
            })
    document = {
        "podcast_id": podcast.id,
        "episode_id": episode.id,
        "title": podcast.title,
        "language": episode.language,
        "format": episode.format,
        "provider": provider,
        "model": model,
        "speakers": [{"name": s.name, "role": s.role, "voice": s.voice} for s in script.speakers],
        "turns": [
            {"speaker": t.speaker, "text": t.text, "message_ids": list(t.message_ids)}
            for t in script.turns
        ],
        "segments": segments,
        "target_seconds": target_seconds,
        "selection": script.selection,
        "episode_title": script.title,
        "notes": notes_document(script),
    }
    key = script_key(podcast.id, episode.id)
    objects.put(key, json.dumps(document, ensure_ascii=False).encode("utf-8"),
                content_type="application/json; charset=utf-8")
    return {
        "script_key": key,
        "segments": list(range(len(segments))),
        "batches": batches(segments, concurrency=concurrency),
        "max_concurrency": concurrency,
        "provider": provider,
        "language": episode.language,
    }


def speaker_voices(speakers, hosts: list[dict], provider: str) -> dict[str, str]:
    """Each speaker's segment voice: the voice its host chose for ``provider``
    (``podcast.hosts[].voices``), else the script's role for it."""
    chosen = {h["name"]: h.get("voices", {}).get(provider) for h in hosts}
    return {s.name: own_voice(chosen[s.name]) if chosen.get(s.name) else s.voice for s in speakers}


def writer_takes_style(writer) -> bool:
    """Whether the writer reads a house style (the LLM writers do; the offline one has none)."""
    import inspect

    return "style" in inspect.signature(writer.write).parameters
