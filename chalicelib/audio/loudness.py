"""Level matching on lossless PCM: every segment is brought to one loudness before the single
MP3 encode, so a quiet segment from one call and a loud one from another sound alike.

Two passes over the segment files in fixed-size chunks (measure every segment and choose the
episode's common level, then scale), so memory stays constant however long the episode. Pure
Python on ``array('h')``: no numpy in the Lambda bundle.
"""
from __future__ import annotations

import math
import operator
from array import array
from typing import BinaryIO, Iterable, Iterator

TARGET_DBFS = -20.0  # RMS loudness an episode aims for
# An episode's common level is lowered below the target when a segment cannot reach it
# without clipping (espeak's formant voice peaks at full scale around -23 dBFS RMS), but never
# below this floor for the sake of one unusually peaky segment.
FLOOR_DBFS = -26.0
PEAK_CEILING = 32767 * 0.98  # gain is limited so the loudest sample stays below full scale
CHUNK_SAMPLES = 32768


def _chunks(stream: BinaryIO, data_bytes: int) -> Iterator[array]:
    remaining = data_bytes
    while remaining > 0:
        raw = stream.read(min(CHUNK_SAMPLES * 2, remaining))
        if not raw:
            return
        remaining -= len(raw)
        chunk = array("h")
        chunk.frombytes(raw[: len(raw) - len(raw) % 2])
        yield chunk


def measure(stream: BinaryIO, data_bytes: int) -> tuple[float, int, int]:
    """(RMS in dBFS, peak sample magnitude, sample count) of the PCM that follows in ``stream``."""
    total, peak, count = 0, 0, 0
    for chunk in _chunks(stream, data_bytes):
        total += sum(map(operator.mul, chunk, chunk))  # map/operator: C speed, no numpy
        peak = max(peak, max(chunk, default=0), -min(chunk, default=0))
        count += len(chunk)
    if count == 0 or total == 0:
        return -math.inf, peak, count
    return 20 * math.log10(math.sqrt(total / count) / 32768.0), peak, count


def headroom_level(rms_dbfs: float, peak: int) -> float:
    """The loudest RMS this PCM can be brought to before its peak reaches the ceiling."""
    if rms_dbfs == -math.inf or peak == 0:
        return math.inf  # silence: any level is reachable (and it stays silent)
    return rms_dbfs + 20 * math.log10(PEAK_CEILING / peak)


def common_level(levels: Iterable[tuple[float, int]]) -> float:
    """The one loudness every segment of an episode is brought to, from each segment's
    (RMS dBFS, peak): the target when all can reach it unclipped, else the highest level all
    can reach, and never below ``FLOOR_DBFS``."""
    reachable = min((headroom_level(rms, peak) for rms, peak in levels), default=math.inf)
    return max(FLOOR_DBFS, min(TARGET_DBFS, reachable))


def gain_for(rms_dbfs: float, peak: int, *, target_dbfs: float = TARGET_DBFS) -> float:
    """The linear gain that brings ``rms_dbfs`` to the target, limited so nothing clips."""
    if rms_dbfs == -math.inf or peak == 0:
        return 1.0
    gain = 10 ** ((target_dbfs - rms_dbfs) / 20)
    return min(gain, PEAK_CEILING / peak)


def scaled(stream: BinaryIO, data_bytes: int, gain: float) -> Iterator[bytes]:
    """The PCM that follows in ``stream``, multiplied by ``gain``, chunk by chunk."""
    for chunk in _chunks(stream, data_bytes):
        if gain != 1.0:
            chunk = array("h", map(int, map(gain.__mul__, chunk)))
        yield chunk.tobytes()
