"""Segment quality gates: empty, truncated and silent audio are rejected, speech passes."""
from __future__ import annotations

import math
import operator
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.audio.quality import check_segment, dbfs_rms, silent_share
from chalicelib.errors import AudioRejected

RATE = 22050
TEXT = "Ten words of text that need about four seconds to say."  # 11 words: 4.0 s at 165 wpm


def tone(seconds: float, amplitude: int = 8000, hz: float = 220.0) -> bytes:
    return array(
        "h", (int(amplitude * math.sin(2 * math.pi * hz * i / RATE)) for i in range(int(seconds * RATE)))
    ).tobytes()


def zeros(seconds: float) -> bytes:
    return bytes(2 * int(seconds * RATE))


@pytest.fixture(scope="module")
def speech() -> bytes:
    from chalicelib.audio.espeak import EspeakSpeech

    return EspeakSpeech().synthesize(TEXT, voice="host_a", language="en")


def test_real_speech_is_accepted_with_its_duration(speech):
    assert check_segment(speech, RATE, TEXT) == len(speech) / 2 / RATE


def test_no_samples_is_rejected():
    with pytest.raises(AudioRejected, match="no audio"):
        check_segment(b"", RATE, TEXT)


def test_a_single_odd_byte_is_no_samples():
    with pytest.raises(AudioRejected, match="no audio"):
        check_segment(b"\x01", RATE, TEXT)


def test_truncated_speech_is_rejected(speech):
    cut = speech[: len(speech) // 10 * 2 // 2]  # keep ~10% of the samples

    with pytest.raises(AudioRejected, match="truncated"):
        check_segment(cut, RATE, TEXT)


def test_truncation_threshold_is_thirty_percent_of_the_expected_duration():
    needed = 11 * 60 / 165
    check_segment(tone(0.31 * needed), RATE, TEXT)  # just above: accepted

    with pytest.raises(AudioRejected, match="truncated"):
        check_segment(tone(0.29 * needed), RATE, TEXT)


def test_slower_speaking_rate_expects_longer_audio():
    audio = tone(2.0)  # 50% of 4 s at 165 wpm, 25% of 8 s at 82.5 wpm
    check_segment(audio, RATE, TEXT, words_per_minute=165)

    with pytest.raises(AudioRejected, match="truncated"):
        check_segment(audio, RATE, TEXT, words_per_minute=82.5)


def test_digital_silence_is_rejected():
    with pytest.raises(AudioRejected, match="silent"):
        check_segment(zeros(4.0), RATE, TEXT)


def test_quiet_hiss_below_minus_50_dbfs_is_rejected():
    hiss = tone(4.0, amplitude=60, hz=3000)  # about -48.7 dBFS peak, -51.7 RMS

    with pytest.raises(AudioRejected, match="silent"):
        check_segment(hiss, RATE, TEXT)


def test_mostly_silent_audio_is_rejected_by_frame_share():
    audio = tone(0.3) + zeros(3.7)  # 7.5% of frames carry sound

    with pytest.raises(AudioRejected, match="silent"):
        check_segment(audio, RATE, TEXT)


def test_sparse_speech_with_long_pauses_is_accepted():
    audio = tone(0.6) + zeros(3.4)  # 15% of frames carry sound

    assert check_segment(audio, RATE, TEXT) == pytest.approx(4.0)


def test_exactly_ninety_percent_silent_frames_is_accepted_and_one_frame_more_is_silent():
    # "more than 90% below -50 dBFS" is rejected: 90% itself passes. 20 ms frames at 8 kHz.
    rate, frame = 8000, 160
    loud = array("h", [8000, -8000] * (frame // 2)).tobytes()
    quiet = bytes(2 * frame)
    text = "one two three"  # needs ~1.1 s at 165 wpm: 100 frames (2 s) are not truncated

    assert silent_share(loud * 10 + quiet * 90, rate) == 0.9
    assert check_segment(loud * 10 + quiet * 90, rate, text) == 2.0
    with pytest.raises(AudioRejected, match="silent: 91% of 20 ms frames are below -50 dBFS"):
        check_segment(loud * 9 + quiet * 91, rate, text)


def test_dbfs_rms_of_known_signals():
    assert dbfs_rms(b"") == -math.inf
    assert dbfs_rms(zeros(0.1)) == -math.inf
    assert dbfs_rms(array("h", [32767, -32767] * 100).tobytes()) == pytest.approx(0.0, abs=0.01)
    # A sine's RMS is its peak / sqrt(2): 3.01 dB below the peak level.
    peak_db = 20 * math.log10(8000 / 32768)
    assert dbfs_rms(tone(1.0, amplitude=8000)) == pytest.approx(peak_db - 3.01, abs=0.05)


def naive_silent_share(pcm: bytes, threshold_dbfs: float = -50.0) -> float:
    values = array("h", pcm)
    frame = int(RATE * 0.02)
    frames = [values[i : i + frame] for i in range(0, len(values), frame)]
    limit = 32768 * 10 ** (threshold_dbfs / 20)
    quiet = sum(
        1 for f in frames if math.sqrt(sum(map(operator.mul, f, f)) / len(f)) < limit
    )
    return quiet / len(frames) if frames else 1.0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3000), st.integers(1, 1500)),  # (amplitude, length) runs
        min_size=1,
        max_size=12,
    )
)
def test_fast_silence_count_matches_plain_rms_per_frame(runs):
    # The shortcut bounds must never change a frame's verdict, especially near the threshold
    # (|x| ~ 104 for -50 dBFS), so amplitudes are drawn around it.
    values = array("h")
    for amplitude, length in runs:
        values.extend((amplitude if i % 3 else -amplitude) for i in range(length))
    pcm = values.tobytes()

    assert silent_share(pcm, RATE) == naive_silent_share(pcm)


def frames(*amplitudes: int, size: int = 160) -> bytes:
    """One 20 ms frame at 8 kHz per amplitude: every sample of the frame at that amplitude."""
    return b"".join(array("h", [a] * size).tobytes() for a in amplitudes)


def spike(height: int, size: int = 160) -> bytes:
    """A frame of silence but for one sample."""
    return array("h", [height] + [0] * (size - 1)).tobytes()


def test_a_frame_is_silent_when_its_rms_is_below_minus_50_dbfs_whatever_its_peak():
    # -50 dBFS is an RMS of 103.6. A steady 103 is below it, a steady 104 above; a lone spike of
    # 1000 in a frame is an RMS of 79 (silent), of 2000 an RMS of 158 (not).
    assert silent_share(frames(103), 8000) == 1.0
    assert silent_share(frames(90), 8000) == 1.0
    assert silent_share(frames(50), 8000) == 1.0
    assert silent_share(frames(104), 8000) == 0.0
    assert silent_share(frames(-104), 8000) == 0.0
    assert silent_share(spike(1000), 8000) == 1.0
    assert silent_share(spike(2000), 8000) == 0.0


def test_the_share_counts_each_silent_frame_once():
    assert silent_share(frames(0, 5000, 0, 0), 8000) == 0.75
    assert silent_share(frames(5000, 0, 5000, 5000, 5000), 8000) == 0.2
    assert silent_share(b"", 8000) == 1.0


def test_at_a_rate_under_50_hz_a_frame_is_one_sample():
    assert silent_share(array("h", [0, 0, 5000, 0]).tobytes(), 40) == 0.75


def test_an_odd_trailing_byte_is_ignored():
    assert silent_share(frames(5000) + b"\x7f", 8000) == 0.0
    assert dbfs_rms(b"\x00\x40\x01") == pytest.approx(20 * math.log10(16384 / 32768))


def test_the_default_speaking_rate_is_165_words_a_minute():
    # 11 words at 165 words a minute need 4.0 s; under 30% of that (1.2 s) is truncated.
    rate = 1000
    check_segment(tone_at(1.201, rate), rate, TEXT)
    with pytest.raises(AudioRejected, match="truncated: 1.20 s of audio for 11 words, which need about 4.00 s at 165 words per minute"):
        check_segment(tone_at(1.195, rate), rate, TEXT)


def tone_at(seconds: float, rate: int) -> bytes:
    return array("h", (int(8000 * math.sin(2 * math.pi * 220 * i / rate)) for i in range(round(seconds * rate)))).tobytes()
