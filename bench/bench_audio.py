"""Offline audio throughput: real-time factor (audio seconds per compute second) of espeak-ng
synthesis, MP3 encoding, and the whole render (synthesis + quality gate + encoding) on a fixed
dialogue of about two minutes.

    .venv/bin/python bench/bench_audio.py [--repeat N]

Prints figures, asserts nothing: ratios vary with the machine.
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chalicelib.audio.espeak import EspeakSpeech  # noqa: E402
from chalicelib.audio.mp3 import Mp3Encoder  # noqa: E402
from chalicelib.audio.quality import check_segment  # noqa: E402
from chalicelib.audio.render import render_mp3  # noqa: E402
from chalicelib.script.base import Turn  # noqa: E402

VOICES = {"Dana": "host_a", "Omer": "host_b"}
LINES = [
    "Good morning and welcome to the weekly roundup. I am Dana, and as always I am joined by "
    "Omer, who has been reading the channel all week so that you do not have to.",
    "Thanks Dana. It was a busy week. Three stories stood out: the city council finally voted on "
    "the new bus lanes, the library is extending its opening hours, and the harbour festival "
    "announced its programme.",
    "Let us start with the bus lanes. People have argued about them for almost two years. What "
    "actually passed on Tuesday evening?",
    "The council approved two of the three proposed routes. The coastal road gets a dedicated "
    "lane from the station to the university, and the eastern ring road gets one during rush "
    "hours only. The third route, through the old market, was sent back for another study.",
    "So the market traders won that round. How did people in the channel react to the vote?",
    "Mostly with relief that something finally happened. A few commuters posted their travel "
    "times and estimated they would save ten to fifteen minutes a day. Cyclists were less "
    "happy, because the coastal plan narrows their path in two places.",
    "That sounds like a conversation that will continue. Now, the library. Longer hours are "
    "rarely controversial, but the details matter. When does this start?",
    "From the first of next month the main branch stays open until nine in the evening on "
    "weekdays and opens on Saturday mornings. The branch in the north will follow in the spring, "
    "once it has hired two more staff.",
    "Good news for students during exam season. And finally the harbour festival, which "
    "usually sells out quickly. What is on the programme this year?",
    "Four evenings of concerts on the pier, a boat parade on the Saturday, and for the first "
    "time a food market run entirely by local restaurants. Tickets go on sale on Monday at ten.",
    "Set an alarm then. That is all for this week. Thank you for listening, and see you next "
    "week.",
]
TURNS = [Turn("Dana" if i % 2 == 0 else "Omer", line) for i, line in enumerate(LINES)]


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    engine = EspeakSpeech()

    def synthesise() -> list[bytes]:
        return [engine.synthesize(t.text, voice=VOICES[t.speaker], language="en") for t in TURNS]

    def encode(segments: list[bytes]) -> float:
        encoder = Mp3Encoder(io.BytesIO(), engine.sample_rate)
        for i, pcm in enumerate(segments):
            if i:
                encoder.silence(0.35)
            encoder.write(pcm)
        return encoder.close()

    def gate(segments: list[bytes]) -> None:
        for turn, pcm in zip(TURNS, segments):
            check_segment(pcm, engine.sample_rate, turn.text)

    segments = synthesise()  # warm-up, and the PCM the encoder figure uses
    speech_seconds = sum(len(s) for s in segments) / 2 / engine.sample_rate
    episode_seconds = encode(segments)
    words = sum(len(t.text.split()) for t in TURNS)
    print(f"text: {len(TURNS)} turns, {words} words; speech {speech_seconds:.1f} s, "
          f"episode with pauses {episode_seconds:.1f} s; median of {args.repeat} runs")

    rows = [
        ("espeak-ng synthesis", speech_seconds, lambda: synthesise()),
        ("quality gate", speech_seconds, lambda: gate(segments)),
        ("MP3 encoding (64 kbit/s, q2)", episode_seconds, lambda: encode(segments)),
        ("render: synth + gate + MP3", episode_seconds,
         lambda: render_mp3(TURNS, engine, io.BytesIO(), language="en", voices=VOICES)),
    ]
    for name, audio_seconds, fn in rows:
        elapsed = statistics.median(timed(fn)[0] for _ in range(args.repeat))
        print(f"{name:32s} {elapsed * 1000:8.1f} ms  {audio_seconds / elapsed:8.0f}x real time")


if __name__ == "__main__":
    main()
