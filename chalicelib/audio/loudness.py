"""Level matching on lossless PCM: every segment is brought to one loudness before the single
MP3 encode, so a quiet segment from one call and a loud one from another sound alike.

Two passes over a segment file in fixed-size chunks (measure, then scale), so memory stays
constant however long the segment. Pure Python on ``array('h')``: no numpy in the Lambda bundle.
"""
from __future__ import annotations

import math
import operator
from array import array
from typing import BinaryIO, Iterator

TARGET_DBFS = -20.0  # RMS loudness every segment is brought to
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
