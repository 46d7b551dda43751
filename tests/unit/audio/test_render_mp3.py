"""render_mp3: turns to one MP3, gated per turn, streamed one turn at a time."""
from __future__ import annotations

import io
import math
from array import array

import pytest
from mutagen.mp3 import MP3

from chalicelib.audio.render import render_mp3
from chalicelib.errors import AudioRejected, ScriptRejected
from chalicelib.script.base import Turn

RATE = 22050
VOICES = {"Dana": "host_a", "Omer": "host_b"}


class ToneSpeech:
    """A SpeechEngine that 'speaks' 0.4 s of tone per word and records what it was asked."""

    sample_rate = RATE

    def __init__(self, out: io.BytesIO | None = None, *, silent_words: str = "") -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.output_sizes: list[int] = []
        self._out = out
        self._silent_words = silent_words

    def synthesize(self, text: str, *, voice: str, language: str) -> bytes:
        self.calls.append((text, voice, language))
        if self._out is not None:
            self.output_sizes.append(self._out.tell())
        count = round(0.4 * RATE * len(text.split()))
        amplitude = 0 if text == self._silent_words else 8000
        return array(
            "h", (int(amplitude * math.sin(2 * math.pi * 200 * i / RATE)) for i in range(count))
        ).tobytes()


def test_turns_become_one_mp3_with_pauses_between_them(tmp_path):
    turns = [Turn("Dana", "Hello and welcome."), Turn("Omer", "Thanks, glad to be here today."),
             Turn("Dana", "Let us begin.")]
    path = tmp_path / "episode.mp3"

    with open(path, "wb") as f:
        total, durations = render_mp3(turns, ToneSpeech(), f, language="en", voices=VOICES,
                                      pause_seconds=0.5)

    assert durations == pytest.approx([1.2, 2.4, 1.2], abs=1e-4)
    assert total == pytest.approx(sum(durations) + 2 * 0.5, abs=1e-4)
    assert MP3(path).info.length == pytest.approx(total, abs=1e-9)


def test_each_turn_is_spoken_with_its_speakers_voice_and_the_language():
    engine = ToneSpeech()
    turns = [Turn("Dana", "Shalom lekulam."), Turn("Omer", "Shalom Dana.")]

    render_mp3(turns, engine, io.BytesIO(), language="he", voices=VOICES)

    assert engine.calls == [("Shalom lekulam.", "host_a", "he"), ("Shalom Dana.", "host_b", "he")]


def test_each_turn_is_encoded_before_the_next_is_synthesised():
    out = io.BytesIO()
    engine = ToneSpeech(out)
    turns = [Turn("Dana", "one two three four five")] * 4

    render_mp3(turns, engine, out, language="en", voices=VOICES)

    assert engine.output_sizes[0] == 0
    assert engine.output_sizes == sorted(set(engine.output_sizes))  # MP3 grew between turns


def test_speaker_without_a_voice_is_a_script_rejection():
    turns = [Turn("Dana", "Hi."), Turn("Guest", "Hello.")]

    with pytest.raises(ScriptRejected, match="turn 1: speaker 'Guest'"):
        render_mp3(turns, ToneSpeech(), io.BytesIO(), language="en", voices=VOICES)


def test_a_silent_turn_rejects_the_audio_and_names_the_turn():
    turns = [Turn("Dana", "All fine here."), Turn("Omer", "this one is silent")]
    engine = ToneSpeech(silent_words="this one is silent")

    with pytest.raises(AudioRejected, match=r"turn 1 \(Omer\): segment is silent"):
        render_mp3(turns, engine, io.BytesIO(), language="en", voices=VOICES)


def test_no_turns_is_a_script_rejection():
    with pytest.raises(ScriptRejected, match="no turns"):
        render_mp3([], ToneSpeech(), io.BytesIO(), language="en", voices=VOICES)


def test_real_espeak_dialogue_renders(tmp_path):
    from chalicelib.audio.espeak import EspeakSpeech

    turns = [Turn("Dana", "Good morning and welcome to the weekly roundup."),
             Turn("Omer", "Thanks Dana. Three stories caught my eye this week.")]
    path = tmp_path / "dialogue.mp3"

    with open(path, "wb") as f:
        total, durations = render_mp3(turns, EspeakSpeech(), f, language="en", voices=VOICES)

    assert len(durations) == 2 and all(d > 1.0 for d in durations)
    assert MP3(path).info.length == pytest.approx(total, abs=1e-9)
