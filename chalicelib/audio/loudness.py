"""Level matching on lossless PCM: every segment is brought to one loudness before the single
MP3 encode, so a quiet segment from one call and a loud one from another sound alike.

Two passes over the segment files in fixed-size chunks (measure every segment and choose the
episode's common level, then scale), so memory stays constant however long the episode. No
numpy in the Lambda bundle, and no per-sample Python loop either (it cost more than the MP3
encode: bench/bench_stitch.py):

* the peak is bounded from the high bytes alone: ``bytes.translate`` maps each high byte to
  its magnitude class and a ``in`` test (memchr) finds the highest class present — an upper
  bound at most 256 above the true peak, so the clipping limit it sets is safe;
* the RMS is measured on every ``MEASURE_STRIDE``-th sample (an array slice, in C): speech
  over a segment is stationary enough that this moves the level by far less than 0.1 dB;
* scaling multiplies one big integer: the chunk's samples, offset to unsigned, sit in 48-bit
  lanes of a Python int; one multiplication by the gain in 16.16 fixed point and one addition
  scale and round every lane at once (no lane can carry into the next, because the gain never
  takes a sample past full scale), and the 16-bit results are sliced back out of the bytes.
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
MEASURE_STRIDE = 4  # the RMS is taken over every 4th sample

# High byte of a little-endian int16 -> magnitude class c: |sample| <= (c + 1) * 256.
_MAGNITUDE = bytes(h if h < 128 else 255 - h for h in range(256))
_FLIP_SIGN = bytes(b ^ 0x80 for b in range(256))  # signed <-> offset-binary high byte
_LANE = 6  # bytes per lane: a 16-bit sample times a gain below 2**32 stays under 2**48
_FRACTION_BITS = 16
_repunits: dict[int, int] = {}  # samples in a chunk -> 1 in every lane (most chunks are full)
_BYTES = [bytes([i]) for i in range(256)]


def _chunks(stream: BinaryIO, data_bytes: int) -> Iterator[bytes]:
    """Whole s16le samples, at most ``CHUNK_SAMPLES`` at a time."""
    remaining = data_bytes
    while remaining > 0:
        raw = stream.read(min(CHUNK_SAMPLES * 2, remaining))
        if not raw:
            return
        remaining -= len(raw)
        yield raw[: len(raw) - len(raw) % 2]


def peak_bound(pcm: bytes) -> int:
    """An upper bound (at most 256 above) of the largest sample magnitude in s16le ``pcm``;
    0 for digital silence."""
    classes = pcm[1::2].translate(_MAGNITUDE)
    for magnitude in range(127, -1, -1):
        if _BYTES[magnitude] in classes:
            if magnitude == 0 and not pcm.strip(b"\x00"):
                return 0
            return min(32768, (magnitude + 1) * 256)
    return 0


def measure(stream: BinaryIO, data_bytes: int) -> tuple[float, int, int]:
    """(RMS in dBFS, peak bound, sample count) of the PCM that follows in ``stream``: the RMS
    over every ``MEASURE_STRIDE``-th sample, the peak as ``peak_bound`` gives it."""
    total, peak, count, measured = 0, 0, 0, 0
    for chunk in _chunks(stream, data_bytes):
        samples = array("h")
        samples.frombytes(chunk)
        sampled = samples[::MEASURE_STRIDE]
        total += sum(map(operator.mul, sampled, sampled))  # map/operator: C speed, no numpy
        measured += len(sampled)
        peak = max(peak, peak_bound(chunk))
        count += len(samples)
    if measured == 0 or total == 0:
        return -math.inf, peak, count
    return 20 * math.log10(math.sqrt(total / measured) / 32768.0), peak, count


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



def scale_pcm(pcm: bytes, gain: float) -> bytes:
    """s16le ``pcm`` times ``gain``, rounded to the nearest sample. The caller guarantees no
    sample is taken past full scale (``gain_for`` limits the gain by the peak)."""
    n = len(pcm) // 2
    if n == 0 or gain == 1.0:
        return pcm[: 2 * n]
    factor = round(gain * (1 << _FRACTION_BITS))
    if not 0 <= factor < 1 << 32:
        raise ValueError(f"gain {gain} is outside what 48-bit lanes can hold")
    lanes = bytearray(_LANE * n)
    lanes[0::_LANE] = pcm[0 : 2 * n : 2]
    lanes[1::_LANE] = pcm[1 : 2 * n : 2].translate(_FLIP_SIGN)  # sample + 32768, unsigned
    repunit = _repunits.get(n)
    if repunit is None:
        repunit = int.from_bytes(b"\x01" + bytes(_LANE - 1), "little") if n == 1 else \
            int.from_bytes((b"\x01" + bytes(_LANE - 1)) * n, "little")
        if n == CHUNK_SAMPLES:
            _repunits[n] = repunit
    # Each lane: (s + 32768) * F + (32768 - 32768 * F) * 2**16 + 2**15 = s * F + 2**31 + 2**15,
    # whose bytes 2-3 are round(s * gain) + 32768: never negative, never past 48 bits.
    offset = (32768 << _FRACTION_BITS) - 32768 * factor + (1 << (_FRACTION_BITS - 1))
    total = int.from_bytes(lanes, "little") * factor + offset * repunit
    result = total.to_bytes(_LANE * n, "little")
    out = bytearray(2 * n)
    out[0::2] = result[2::_LANE]
    out[1::2] = result[3::_LANE].translate(_FLIP_SIGN)
    return bytes(out)


def scaled(stream: BinaryIO, data_bytes: int, gain: float) -> Iterator[bytes]:
    """The PCM that follows in ``stream``, multiplied by ``gain``, chunk by chunk."""
    for chunk in _chunks(stream, data_bytes):
        yield scale_pcm(chunk, gain)
