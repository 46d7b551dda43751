"""A script's turns to one MP3: synthesise, gate and encode each turn in order.

Only one turn's PCM is alive at a time; the MP3 goes to ``fileobj`` as it is encoded.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import BinaryIO

from chalicelib.audio.base import SpeechEngine
from chalicelib.audio.mp3 import Mp3Encoder
from chalicelib.audio.quality import check_segment
from chalicelib.errors import AudioRejected, ScriptRejected
from chalicelib.script.base import Turn


def render_mp3(
    turns: Iterable[Turn],
    engine: SpeechEngine,
    fileobj: BinaryIO,
    *,
    language: str,
    voices: Mapping[str, str],
    pause_seconds: float = 0.35,
    bitrate_kbps: int = 64,
    words_per_minute: float = 165,
) -> tuple[float, list[float]]:
    """Speak ``turns`` into ``fileobj`` as one MP3. ``voices`` maps a speaker name to a voice
    role. Returns (total duration, per-turn speech durations) in seconds; the total includes
    the pauses between turns."""
    encoder = Mp3Encoder(fileobj, engine.sample_rate, bitrate_kbps=bitrate_kbps)
    durations: list[float] = []
    for index, turn in enumerate(turns):
        try:
            voice = voices[turn.speaker]
        except KeyError:
            raise ScriptRejected(
                f"turn {index}: speaker {turn.speaker!r} has no voice"
                f" (known speakers: {sorted(voices)})"
            ) from None
        pcm = engine.synthesize(turn.text, voice=voice, language=language)
        try:
            duration = check_segment(
                pcm, engine.sample_rate, turn.text, words_per_minute=words_per_minute
            )
        except AudioRejected as exc:
            raise AudioRejected(f"turn {index} ({turn.speaker}): {exc}") from exc
        if durations:
            encoder.silence(pause_seconds)
        encoder.write(pcm)
        durations.append(duration)
        del pcm  # let the turn go before the next one is synthesised
    if not durations:
        raise ScriptRejected("the script has no turns to speak")
    return encoder.close(), durations
