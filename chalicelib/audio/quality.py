"""Quality gates for one synthesised segment, run before any audio is stitched or stored.

Levels are in dBFS relative to a full-scale 16-bit sample (32768), RMS over 20 ms frames.
Silence is judged per frame, not per sample: speech crosses zero hundreds of times a second,
so a large share of individual samples is always near zero even in loud, clear speech, while a
20 ms frame is short enough to see the gaps between words and long enough to hold a pitch period.
"""
from __future__ import annotations

import math
import operator
from array import array

from chalicelib.errors import AudioRejected

FRAME_SECONDS = 0.020
SILENCE_DBFS = -50.0
MAX_SILENT_SHARE = 0.90
MIN_DURATION_SHARE = 0.30
_FULL_SCALE = 32768.0


def samples(pcm: bytes) -> array:
    """s16le bytes as an array of ints (a trailing odd byte is ignored)."""
    values = array("h")
    values.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if values.itemsize != 2:  # pragma: no cover - every supported platform has 16-bit 'h'
        raise RuntimeError("array('h') is not 16-bit here")
    if array("h", [1]).tobytes() != b"\x01\x00":  # big-endian host: PCM is little-endian
        values.byteswap()
    return values


def dbfs_rms(pcm: bytes) -> float:
    """RMS level of s16le PCM in dBFS; ``-inf`` for digital silence or no samples."""
    values = samples(pcm)
    if not values:
        return -math.inf
    return _dbfs(sum(map(operator.mul, values, values)), len(values))


def silent_share(pcm: bytes, sample_rate: int, *, threshold_dbfs: float = SILENCE_DBFS) -> float:
    """Share (0..1) of 20 ms frames whose RMS is below ``threshold_dbfs``; 1.0 when empty."""
    values = samples(pcm)
    frame = max(1, int(sample_rate * FRAME_SECONDS))
    count = math.ceil(len(values) / frame)
    if count == 0:
        return 1.0
    # Two cheap bounds settle most frames with max/min, which run in C on an array slice:
    # every |sample| below the limit means the RMS is below it too, and a peak above
    # limit * sqrt(n) means the RMS is above it (RMS >= peak / sqrt(n)). Only frames in between
    # pay for a sum of squares.
    limit_rms = _FULL_SCALE * 10 ** (threshold_dbfs / 20)
    quiet_peak = int(limit_rms)
    silent = 0
    for start in range(0, len(values), frame):
        chunk = values[start : start + frame]
        peak = max(max(chunk), -min(chunk))
        if peak < quiet_peak:
            silent += 1
        elif peak >= limit_rms * math.sqrt(len(chunk)):
            continue
        elif sum(map(operator.mul, chunk, chunk)) < limit_rms * limit_rms * len(chunk):
            silent += 1
    return silent / count


def expected_seconds(text: str, *, words_per_minute: float) -> float:
    """How long ``text`` takes to say at ``words_per_minute`` (words split on whitespace)."""
    return len(text.split()) * 60.0 / words_per_minute


def check_segment(
    pcm: bytes, sample_rate: int, text: str, *, words_per_minute: float = 165
) -> float:
    """Duration in seconds of a good segment; ``AudioRejected`` for an empty, truncated or
    silent one."""
    count = len(pcm) // 2
    if count == 0:
        raise AudioRejected("segment has no audio (zero samples)")
    duration = count / sample_rate
    needed = expected_seconds(text, words_per_minute=words_per_minute)
    if duration < MIN_DURATION_SHARE * needed:
        raise AudioRejected(
            f"segment looks truncated: {duration:.2f} s of audio for {len(text.split())} words,"
            f" which need about {needed:.2f} s at {words_per_minute:g} words per minute"
        )
    share = silent_share(pcm, sample_rate)
    if share > MAX_SILENT_SHARE:
        raise AudioRejected(
            f"segment is silent: {share:.0%} of 20 ms frames are below {SILENCE_DBFS:g} dBFS"
        )
    return duration


def _dbfs(sum_of_squares: int, count: int) -> float:
    if sum_of_squares == 0:
        return -math.inf
    return 20 * math.log10(math.sqrt(sum_of_squares / count) / _FULL_SCALE)
