import io
import math
from array import array

import pytest

from chalicelib.audio import loudness


def tone(amplitude: int, seconds: float = 0.5, rate: int = 22050) -> bytes:
    return array("h", (int(amplitude * math.sin(i / 7)) for i in range(int(rate * seconds)))).tobytes()


def level(pcm: bytes) -> float:
    return loudness.measure(io.BytesIO(pcm), len(pcm))[0]


def matched(pcm: bytes) -> bytes:
    rms, peak, _ = loudness.measure(io.BytesIO(pcm), len(pcm))
    return b"".join(loudness.scaled(io.BytesIO(pcm), len(pcm), loudness.gain_for(rms, peak)))


def test_quiet_and_loud_segments_end_within_one_db_of_the_target():
    for amplitude in (300, 3000, 12000):
        assert abs(level(matched(tone(amplitude))) - loudness.TARGET_DBFS) <= 1.0, amplitude


def test_gain_never_clips():
    spiky = array("h", [0] * 20000 + [30000] + [0] * 20000).tobytes()
    out = array("h")
    out.frombytes(matched(spiky))
    assert max(out) <= 32767 * 0.98 + 1


def test_silence_is_left_alone():
    silent = bytes(4000)
    assert matched(silent) == silent
    assert level(silent) == -math.inf


def test_long_input_is_processed_in_fixed_chunks():
    pcm = tone(3000, seconds=10)
    chunks = list(loudness.scaled(io.BytesIO(pcm), len(pcm), 0.5))
    assert len(chunks) > 1 and max(len(c) for c in chunks) <= loudness.CHUNK_SAMPLES * 2


def test_the_common_level_is_the_target_when_every_segment_can_reach_it():
    assert loudness.common_level([(-30.0, 3000), (-12.0, 20000)]) == loudness.TARGET_DBFS


def test_the_common_level_drops_to_what_the_peakiest_segment_reaches_unclipped():
    # Full-scale peaks at -23 dBFS RMS (espeak's formant voice): 20 dB up is out of reach.
    level = loudness.common_level([(-30.0, 3000), (-23.0, 32600)])
    assert level == pytest.approx(-23.0 + 20 * math.log10(loudness.PEAK_CEILING / 32600))
    assert loudness.gain_for(-23.0, 32600, target_dbfs=level) * 32600 <= loudness.PEAK_CEILING + 1e-6


def test_the_common_level_never_sinks_below_the_floor_and_ignores_silence():
    assert loudness.common_level([(-60.0, 32767)]) == loudness.FLOOR_DBFS
    assert loudness.common_level([(-math.inf, 0), (-25.0, 1000)]) == loudness.TARGET_DBFS


def test_scaling_rounds_every_sample_to_the_nearest_value_at_full_range():
    import random

    rng = random.Random(4)
    samples = [-32768, -32767, -1, 0, 1, 32767] + [rng.randint(-32768, 32767) for _ in range(5000)]
    pcm = array("h", samples).tobytes()
    for gain in (0.0, 0.25, 0.5, 0.98, 1.0):
        out = array("h")
        out.frombytes(loudness.scale_pcm(pcm, gain))
        factor = round(gain * 65536)
        assert list(out) == [(s * factor + 32768) >> 16 for s in samples], gain
    quiet = array("h", [rng.randint(-300, 300) for _ in range(5000)])
    out = array("h")
    out.frombytes(loudness.scale_pcm(quiet.tobytes(), 40.0))
    assert list(out) == [s * 40 for s in quiet]


def test_the_peak_bound_is_never_below_the_peak_and_at_most_256_above():
    import random

    rng = random.Random(8)
    for peak in (1, 255, 256, 1000, 12345, 32767, 32768):
        values = [rng.randint(-peak // 2, peak // 2) for _ in range(3000)]
        values[rng.randrange(3000)] = peak if peak < 32768 else -32768
        bound = loudness.peak_bound(array("h", values).tobytes())
        assert peak <= bound <= peak + 256, (peak, bound)
    assert loudness.peak_bound(bytes(1000)) == 0
