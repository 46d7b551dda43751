"""StitchAudio against the bare MP3 encode of the same audio: a 60-minute episode of real
espeak-ng segments (a dialogue, two voices), stitched from an in-memory object store so the
figures are the step's own work. Prints each as a real-time factor (audio seconds per compute
second, on this process's CPU time: the machine is shared, and wall time measures the other
processes too; the stitch runs on one thread) and the stitch's cost over the encode's, plus where the stitch's time goes (download,
measure, scale, encode) and the pure-Python level matching it replaced, for comparison.

    .venv/bin/python bench/bench_stitch.py [minutes]

Prints figures, asserts nothing: ratios vary with the machine.
"""
from __future__ import annotations

import io
import json
import operator
import sys
import time
import wave
from array import array
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib.audio import loudness  # noqa: E402
from chalicelib.audio.espeak import EspeakSpeech  # noqa: E402
from chalicelib.audio.mp3 import Mp3Encoder  # noqa: E402
from chalicelib.steps.speech import wav_bytes  # noqa: E402
from chalicelib.steps.stitch import PAUSE_BETWEEN_TURNS, stitch_audio  # noqa: E402
from tests.doubles import MemoryObjects  # noqa: E402

LINES = [
    "Good morning and welcome back. This week the council voted on the new bus lanes at last.",
    "Two of the three routes passed. The coastal road gets a dedicated lane from the station.",
    "The library stays open until nine in the evening on weekdays from the first of the month.",
    "Four evenings of concerts on the pier, a boat parade, and a food market run by local cooks.",
    "Commuters posted their travel times and expect to save ten to fifteen minutes a day.",
    "Cyclists were less happy, because the plan narrows their path in two places on the coast.",
]


def build(objects: MemoryObjects, minutes: float) -> tuple[list[bytes], int]:
    engine = EspeakSpeech()
    voices = ("host_a", "host_b")
    # Each line in each voice, once: the many segments of the episode share these bytes.
    clips = [engine.synthesize(line, voice=voices[i % 2], language="en") for i, line in enumerate(LINES)]
    rate = engine.sample_rate
    wavs = [wav_bytes(pcm, rate) for pcm in clips]
    segments, seconds, order = [], 0.0, []
    while seconds < minutes * 60:
        n = len(segments)
        clip = n % len(clips)
        key = f"podcasts/p/e/segments/{n}.wav"
        objects.data[key] = wavs[clip]
        segments.append({"index": n, "turn": n, "speaker": "Alex", "voice": voices[clip % 2],
                         "text": LINES[clip], "message_ids": [], "key": key})
        order.append(clips[clip])
        seconds += len(clips[clip]) / 2 / rate + PAUSE_BETWEEN_TURNS
    document = {"podcast_id": "p", "episode_id": "e", "title": "Bench", "language": "en",
                "turns": [], "segments": segments}
    objects.data["podcasts/p/e/script.json"] = json.dumps(document).encode()
    return order, rate


def bare_encode(pcms: list[bytes], rate: int) -> float:
    encoder = Mp3Encoder(io.BytesIO(), rate)
    for i, pcm in enumerate(pcms):
        if i:
            encoder.silence(PAUSE_BETWEEN_TURNS)
        for start in range(0, len(pcm), loudness.CHUNK_SAMPLES * 2):
            encoder.write(pcm[start:start + loudness.CHUNK_SAMPLES * 2])
    return encoder.close()


def pure_python_level_matching(pcms: list[bytes]) -> None:
    """What StitchAudio did before: a Python-level pass per sample to measure and to scale."""
    for pcm in pcms:
        samples = array("h")
        samples.frombytes(pcm)
        for start in range(0, len(samples), loudness.CHUNK_SAMPLES):
            chunk = samples[start:start + loudness.CHUNK_SAMPLES]
            sum(map(operator.mul, chunk, chunk))
            max(chunk), min(chunk)
            array("h", map(int, map((0.8).__mul__, chunk))).tobytes()


def timed(fn):
    started = time.process_time()
    result = fn()
    return time.process_time() - started, result


def main(minutes: float = 60) -> None:
    objects = MemoryObjects()
    pcms, rate = build(objects, minutes)
    audio = sum(len(p) for p in pcms) / 2 / rate + PAUSE_BETWEEN_TURNS * (len(pcms) - 1)
    print(f"episode: {audio / 60:.1f} min of espeak-ng audio in {len(pcms)} segments at {rate} Hz")
    stitch_seconds, result = timed(lambda: stitch_audio({"script_key": "podcasts/p/e/script.json"},
                                                        objects=objects))
    encode_seconds, _ = timed(lambda: bare_encode(pcms, rate))
    measure_seconds, _ = timed(lambda: [loudness.measure(io.BytesIO(p), len(p)) for p in pcms])
    scale_seconds, _ = timed(lambda: [b"".join(loudness.scaled(io.BytesIO(p), len(p), 0.8)) for p in pcms])
    before_seconds, _ = timed(lambda: pure_python_level_matching(pcms))
    print(f"StitchAudio                      {stitch_seconds:7.2f} s  {audio / stitch_seconds:6.0f}x real time"
          f"  (duration {result['duration_seconds'] / 60:.1f} min)")
    print(f"bare MP3 encode, same audio      {encode_seconds:7.2f} s  {audio / encode_seconds:6.0f}x real time")
    print(f"StitchAudio / bare encode        {stitch_seconds / encode_seconds:7.2f}x the encode's time")
    print(f"  of which level measure         {measure_seconds:7.2f} s  {audio / measure_seconds:6.0f}x real time")
    print(f"  of which scaling               {scale_seconds:7.2f} s  {audio / scale_seconds:6.0f}x real time")
    print(f"pure-Python level matching (before) {before_seconds:5.2f} s  {audio / before_seconds:6.0f}x real time")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 60)
