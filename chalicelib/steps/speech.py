"""SynthesizeSegment: one Map iteration — a batch of the script's segments spoken, gated,
stored, one after the other (WriteScript sizes the batches: ``steps.script.batches``).

Each segment's audio is stored losslessly (WAV) under a hash of (text, voice, provider, model,
language) as soon as it is made: when it is already there (a retry, a re-run) nothing is
synthesised again, so a batch that fails half-way is retried for what it is missing.
"""
from __future__ import annotations

import io
import json
import wave

from chalicelib.audio.base import SpeechEngine
from chalicelib.audio.quality import check_segment
from chalicelib.errors import PodcastoError
from chalicelib.stores.objects import ObjectStore

WAV_HEADER_BYTES = 44


def synthesize_segment(
    event: dict, *, objects: ObjectStore, speech: SpeechEngine, provider: str
) -> dict:
    """``event``: {"script_key", "segments": [<index>, ...], ...} (or one "segment": <index>).
    Returns {"segments": [{"index", "seconds", "cached"}, ...]}, or that one result alone."""
    document = json.loads(objects.get(event["script_key"]))
    if "segments" not in event:
        return _one(document, event["segment"], objects=objects, speech=speech, provider=provider)
    return {"segments": [_one(document, index, objects=objects, speech=speech, provider=provider)
                         for index in event["segments"]]}


def _one(document: dict, index: int, *, objects: ObjectStore, speech: SpeechEngine, provider: str) -> dict:
    segment = document["segments"][index]
    existing = objects.head(segment["key"])
    if existing is not None:
        return {"index": segment["index"], "seconds": None, "cached": True}
    try:
        pcm = speech.synthesize(segment["text"], voice=segment["voice"], language=document["language"])
        seconds = check_segment(pcm, speech.sample_rate, segment["text"])
    except PodcastoError as exc:
        # The class (the ASL error name) stays; the message says which segment and provider.
        raise type(exc)(f"segment {segment['index']} ({provider}): {exc}") from exc
    objects.put(segment["key"], wav_bytes(pcm, speech.sample_rate), content_type="audio/wav")
    return {"index": segment["index"], "seconds": round(seconds, 3), "cached": False}


def wav_bytes(pcm: bytes, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm)
    return buffer.getvalue()
