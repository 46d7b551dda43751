"""EspeakSpeech against the real bundled libespeak-ng (fast: ~1500x real time)."""
from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from chalicelib.audio.espeak import EspeakSpeech
from chalicelib.audio.quality import check_segment, samples
from chalicelib.errors import AudioRejected, ConfigurationError, InvalidInput

ROOT = Path(__file__).resolve().parents[3]
EN = "The weather today is mild and the markets are calm."
HE = "מזג האוויר היום נעים והשווקים רגועים"


@pytest.fixture(scope="module")
def engine() -> EspeakSpeech:
    return EspeakSpeech()


def median_pitch_hz(pcm: bytes, sample_rate: int = 22050) -> float:
    """Median fundamental over loud 40 ms frames, by autocorrelation peak in 70-400 Hz."""
    values = samples(pcm)
    size = int(0.04 * sample_rate)
    estimates = []
    for start in range(0, len(values) - size, size):
        frame = values[start : start + size]
        if max(frame) < 3000:
            continue
        lag = max(
            range(sample_rate // 400, sample_rate // 70),
            key=lambda k: sum(a * b for a, b in zip(frame, frame[k:])),
        )
        estimates.append(sample_rate / lag)
    estimates.sort()
    return estimates[len(estimates) // 2]


@pytest.mark.parametrize("voice", ["host_a", "host_b", "narrator"])
def test_each_english_voice_speaks_the_text(engine, voice):
    pcm = engine.synthesize(EN, voice=voice, language="en")

    assert engine.sample_rate == 22050
    assert len(pcm) % 2 == 0
    assert check_segment(pcm, engine.sample_rate, EN) > 1.5


@pytest.mark.parametrize("language, text", [("en", EN), ("he", HE)])
def test_the_two_hosts_have_clearly_different_pitch(engine, language, text):
    low = median_pitch_hz(engine.synthesize(text, voice="host_a", language=language))
    high = median_pitch_hz(engine.synthesize(text, voice="host_b", language=language))

    # Measured ~108 Hz (m3) against ~215 Hz (f3): about an octave apart.
    assert high > 1.5 * low


def test_hebrew_produces_speech(engine):
    pcm = engine.synthesize(HE, voice="host_a", language="he")

    assert check_segment(pcm, engine.sample_rate, HE) > 1.0


def test_concurrent_synthesis_gives_the_same_audio_as_serial(engine):
    jobs = [
        (EN, "host_a", "en"), (HE, "host_b", "he"), ("Good morning, everyone.", "host_b", "en"),
        ("And now, the news.", "narrator", "en"), (HE, "host_a", "he"), (EN, "host_b", "en"),
        ("שלום לכולם", "narrator", "he"), ("One more thing before we go.", "host_a", "en"),
    ]
    serial = [engine.synthesize(t, voice=v, language=lang) for t, v, lang in jobs]

    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda j: engine.synthesize(j[0], voice=j[1], language=j[2]), jobs))

    assert parallel == serial


def test_same_text_same_voice_is_deterministic(engine):
    assert engine.synthesize(EN, voice="host_a", language="en") == engine.synthesize(
        EN, voice="host_a", language="en"
    )


def test_speaking_rate_changes_duration():
    slow = EspeakSpeech(rate_wpm=120).synthesize(EN, voice="host_a", language="en")
    fast = EspeakSpeech(rate_wpm=240).synthesize(EN, voice="host_a", language="en")

    assert len(slow) > 1.5 * len(fast)


@pytest.mark.parametrize("text", ["", "   \n\t ", "\x00"])
def test_empty_text_is_rejected(engine, text):
    with pytest.raises(AudioRejected, match="empty"):
        engine.synthesize(text, voice="host_a", language="en")


def test_unknown_language_is_invalid_input(engine):
    with pytest.raises(InvalidInput, match="language"):
        engine.synthesize(EN, voice="host_a", language="fr")


def test_unknown_voice_role_is_invalid_input(engine):
    with pytest.raises(InvalidInput, match="voice"):
        engine.synthesize(EN, voice="guest", language="en")


def test_rate_outside_espeak_range_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="rate_wpm"):
        EspeakSpeech(rate_wpm=20)


def test_importing_chalicelib_audio_does_not_load_espeak():
    # espeakng-loader is dev-only and never in the Lambda bundle: nothing may import it eagerly.
    code = (
        "import sys, chalicelib, chalicelib.audio, chalicelib.audio.base,"
        " chalicelib.audio.quality, chalicelib.audio.mp3, chalicelib.audio.render,"
        " chalicelib.audio.espeak;"
        "assert 'espeakng_loader' not in sys.modules, 'espeakng_loader imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
