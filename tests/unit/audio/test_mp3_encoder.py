"""Mp3Encoder streams real MP3 whose duration mutagen reads back exactly; tags round-trip."""
from __future__ import annotations

import io
import math
import tracemalloc
from array import array

import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3, BitrateMode

from chalicelib.audio.mp3 import Mp3Encoder, _crc16, read_duration, write_tags
from chalicelib.errors import ConfigurationError

RATE = 22050


def tone(seconds: float, rate: int = RATE) -> bytes:
    return array(
        "h", (int(8000 * math.sin(2 * math.pi * 220 * i / rate)) for i in range(round(seconds * rate)))
    ).tobytes()


class Sink(io.RawIOBase):
    """A write-only, non-seekable stream (a pipe, an upload body) that keeps what it gets."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.data += b
        return len(b)


class CountingSink(io.RawIOBase):
    """Counts bytes and drops them, so only the encoder's own memory is measured."""

    def __init__(self) -> None:
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.size += len(b)
        return len(b)


def encode_file(path, pcm: bytes, *, rate: int = RATE, pause: float = 0.0, **options) -> float:
    with open(path, "wb") as f:
        encoder = Mp3Encoder(f, rate, **options)
        encoder.write(pcm)
        encoder.silence(pause)
        return encoder.close()


@pytest.mark.parametrize("seconds", [0.05, 1.0, 7.3])
@pytest.mark.parametrize("rate", [22050, 24000])
def test_mutagen_reads_the_exact_duration_close_returns(tmp_path, seconds, rate):
    path = tmp_path / "episode.mp3"

    duration = encode_file(path, tone(seconds, rate), rate=rate, pause=0.35)

    expected_samples = round(seconds * rate) + round(0.35 * rate)
    assert duration == expected_samples / rate
    info = MP3(path).info
    assert (info.sample_rate, info.channels) == (rate, 1)
    assert info.length == pytest.approx(duration, abs=1e-9)  # well inside the 0.1 s budget
    assert read_duration(path) == pytest.approx(duration, abs=1e-9)


def test_info_frame_describes_a_lame_cbr_stream(tmp_path):
    path = tmp_path / "episode.mp3"
    encode_file(path, tone(2.0))

    info = MP3(path).info

    assert info.bitrate_mode == BitrateMode.CBR
    assert info.encoder_info.startswith("LAME 3.100")
    assert info.bitrate == pytest.approx(64000, rel=0.01)


def test_tag_checksum_is_crc16_arc():
    assert _crc16(b"123456789") == 0xBB3D  # the catalogue check value of CRC-16/ARC


def test_non_seekable_output_is_still_a_valid_mp3_within_a_tenth_of_a_second(tmp_path):
    sink = Sink()
    encoder = Mp3Encoder(sink, RATE)
    encoder.write(tone(3.0))
    duration = encoder.close()
    path = tmp_path / "piped.mp3"
    path.write_bytes(bytes(sink.data))

    length = MP3(path).info.length

    # No Info frame without seeking: the length is estimated from the byte count and includes
    # LAME's encoder delay and end padding (measured ~55-70 ms at 22.05 kHz).
    assert duration < length < duration + 0.1


def test_encoding_writes_as_it_goes():
    out = io.BytesIO()
    encoder = Mp3Encoder(out, RATE)
    second = tone(1.0)
    sizes = []

    for _ in range(6):
        encoder.write(second)
        sizes.append(out.tell())
    encoder.close()

    assert sizes == sorted(set(sizes))  # grows on every write
    # 64 kbit/s is 8000 bytes a second; LAME holds back at most a couple of frames.
    assert sizes[-1] >= 5.8 * 8000


def test_encoder_memory_stays_flat_however_long_the_episode():
    second = tone(1.0)
    sink = CountingSink()
    encoder = Mp3Encoder(sink, RATE)
    # Only memory allocated by the encoder's own code counts: other threads (the session's local
    # engine polls in the background) allocate too, and a whole-process peak would measure them.
    own_code = [tracemalloc.Filter(True, "*chalicelib/audio/*")]
    held = []
    tracemalloc.start()
    try:
        for index in range(120):
            encoder.write(second)
            if index % 20 == 0:
                snapshot = tracemalloc.take_snapshot().filter_traces(own_code)
                held.append(sum(stat.size for stat in snapshot.statistics("filename")))
        encoder.silence(30.0)
        encoder.close()
    finally:
        tracemalloc.stop()

    assert sink.size > 150 * 8000 * 0.98  # two and a half minutes of MP3 went out ...
    assert max(held) < 200_000  # ... while the encoder held below 200 kB at any point


def test_silence_adds_exact_samples():
    encoder = Mp3Encoder(io.BytesIO(), RATE)
    encoder.silence(2.5)
    encoder.write(tone(0.5))

    assert encoder.samples == round(2.5 * RATE) + round(0.5 * RATE)
    assert encoder.close() == 3.0


def test_odd_byte_count_is_refused():
    encoder = Mp3Encoder(io.BytesIO(), RATE)

    with pytest.raises(ValueError, match="16-bit"):
        encoder.write(b"\x00\x01\x02")


@pytest.mark.parametrize(
    "rate, options, field",
    [(22050, {"bitrate_kbps": 65}, "bitrate_kbps"), (22050, {"bitrate_kbps": 320}, "bitrate_kbps"),
     (22000, {}, "sample_rate"), (22050, {"quality": 11}, "quality")],
)
def test_bad_settings_are_configuration_errors(rate, options, field):
    with pytest.raises(ConfigurationError, match=field):
        Mp3Encoder(io.BytesIO(), rate, **options)


def test_tags_round_trip_including_hebrew(tmp_path):
    path = tmp_path / "episode.mp3"
    duration = encode_file(path, tone(1.0))

    write_tags(path, title="פרק 12: חדשות השבוע", podcast="הפודקאסט שלנו", date="2026-11-28",
               language="he")

    tags = ID3(path)
    assert tags["TIT2"].text == ["פרק 12: חדשות השבוע"]
    assert tags["TALB"].text == ["הפודקאסט שלנו"]
    assert tags["TPE1"].text == ["הפודקאסט שלנו"]
    assert str(tags["TDRC"].text[0]) == "2026-11-28"
    assert tags["TLAN"].text == ["heb"]
    assert read_duration(path) == pytest.approx(duration, abs=1e-9)  # tags do not disturb it


def test_writing_tags_again_replaces_them(tmp_path):
    path = tmp_path / "episode.mp3"
    encode_file(path, tone(0.5))
    write_tags(path, title="Draft", podcast="Pod", date="2026-11-27", language="en")

    write_tags(path, title="Final", podcast="Pod", date="2026-11-28", language="en", artist="Ana")

    tags = ID3(path)
    assert tags.getall("TIT2")[0].text == ["Final"]
    assert len(tags.getall("TIT2")) == 1
    assert tags["TPE1"].text == ["Ana"]
    assert tags["TLAN"].text == ["eng"]


def test_append_mode_file_gets_no_info_frame_rewrite(tmp_path):
    path = tmp_path / "appended.mp3"
    with open(path, "ab") as f:
        encoder = Mp3Encoder(f, RATE)
        encoder.write(tone(2.0))
        duration = encoder.close()

    # Seeking back is impossible in append mode, so the stream is a plain CBR one.
    assert duration < MP3(path).info.length < duration + 0.1
