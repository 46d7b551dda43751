"""SynthesizeSegment and StitchAudio against an in-memory object store."""
from __future__ import annotations

import io
import json
import math
import wave
from array import array

import pytest
from mutagen.mp3 import MP3

from chalicelib.audio import loudness
from chalicelib.errors import AudioRejected, SpeechThrottled
from chalicelib.steps.speech import synthesize_segment
from chalicelib.steps.stitch import stitch_audio
from tests.doubles import MemoryObjects

RATE = 22050


class ToneSpeech:
    """Speaks every text as a tone whose loudness depends on the voice; counts calls."""

    sample_rate = RATE

    def __init__(self, amplitudes=None, fail_with=None):
        self.amplitudes = amplitudes or {"host_a": 2000, "host_b": 12000}
        self.fail_with = fail_with
        self.calls = 0

    def synthesize(self, text, *, voice, language):
        self.calls += 1
        if self.fail_with:
            raise self.fail_with
        seconds = max(1.0, len(text.split()) / 2.5)
        amplitude = self.amplitudes[voice]
        return array("h", (int(amplitude * math.sin(i / 5)) for i in range(int(RATE * seconds)))).tobytes()


def script_document(objects, texts):
    segments = [
        {"index": i, "turn": turn, "speaker": speaker, "voice": voice, "text": text,
         "message_ids": [i + 1], "key": f"podcasts/p/e/segments/{i}.wav"}
        for i, (turn, speaker, voice, text) in enumerate(texts)
    ]
    document = {"podcast_id": "p", "episode_id": "e", "title": "Tones", "language": "en",
                "format": "dialogue", "provider": "tone", "model": "1",
                "turns": [{"speaker": s["speaker"], "text": s["text"], "message_ids": s["message_ids"]}
                          for s in segments], "segments": segments}
    objects.put("podcasts/p/e/script.json", json.dumps(document).encode(), content_type="application/json")
    return document


TEXTS = [
    (0, "Alex", "host_a", "Welcome to the show about tones and loudness."),
    (0, "Alex", "host_a", "This second sentence continues the same turn."),
    (1, "Maya", "host_b", "And this one is much louder at the source."),
]


def synthesize_all(objects, speech, count):
    return [synthesize_segment({"script_key": "podcasts/p/e/script.json", "segment": i},
                               objects=objects, speech=speech, provider="tone") for i in range(count)]


def test_segments_are_stored_losslessly_and_not_synthesised_twice():
    objects, speech = MemoryObjects(), ToneSpeech()
    script_document(objects, TEXTS)

    first = synthesize_all(objects, speech, 3)
    again = synthesize_all(objects, speech, 3)

    assert speech.calls == 3  # the re-run found every segment in the store
    assert [r["cached"] for r in first] == [False] * 3 and [r["cached"] for r in again] == [True] * 3
    with wave.open(io.BytesIO(objects.data["podcasts/p/e/segments/0.wav"])) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, RATE)


def test_a_failing_segment_names_its_index_and_provider_and_keeps_its_class():
    objects = MemoryObjects()
    script_document(objects, TEXTS)

    with pytest.raises(SpeechThrottled, match=r"segment 2 \(tone\): 429"):
        synthesize_segment({"script_key": "podcasts/p/e/script.json", "segment": 2}, objects=objects,
                           speech=ToneSpeech(fail_with=SpeechThrottled("429 quota")), provider="tone")


def test_a_silent_segment_is_rejected_by_the_quality_gate():
    objects = MemoryObjects()
    script_document(objects, TEXTS)

    with pytest.raises(AudioRejected, match="segment 0"):
        synthesize_segment({"script_key": "podcasts/p/e/script.json", "segment": 0}, objects=objects,
                           speech=ToneSpeech(amplitudes={"host_a": 1, "host_b": 1}), provider="tone")


def test_stitching_encodes_once_with_exact_duration_captions_and_transcript():
    objects, speech = MemoryObjects(), ToneSpeech()
    script_document(objects, TEXTS)
    synthesize_all(objects, speech, 3)

    result = stitch_audio({"script_key": "podcasts/p/e/script.json"}, objects=objects)

    segment_seconds = 0.0
    for i in range(3):
        with wave.open(io.BytesIO(objects.data[f"podcasts/p/e/segments/{i}.wav"])) as wav:
            segment_seconds += wav.getnframes() / RATE
    pauses = 0.12 + 0.35  # within the first turn, then between turns
    assert result["duration_seconds"] == pytest.approx(segment_seconds + pauses, abs=0.001)
    mp3 = io.BytesIO(objects.data[result["audio_key"]])
    assert MP3(mp3).info.length == pytest.approx(result["duration_seconds"], abs=0.001)
    transcript = objects.data[result["transcript_key"]].decode()
    assert transcript.splitlines() == [
        "Alex: Welcome to the show about tones and loudness. This second sentence continues the same turn.",
        "Maya: And this one is much louder at the source."]
    captions = objects.data[result["captions_key"]].decode()
    assert captions.count("-->") == 3 and "<v Maya>" in captions
    ids = json.loads(objects.data["podcasts/p/e/audio/transcript.json"])
    assert [t["message_ids"] for t in ids["turns"]] == [[1], [2], [3]]


def stitched_segment_levels(monkeypatch, objects, count) -> list[float]:
    """Stitch, capturing the PCM that goes into the single encoder; the RMS of each segment's
    stretch of it (the pauses between segments left out)."""
    written: list[bytes] = []
    from chalicelib.audio.mp3 import Mp3Encoder

    original_write = Mp3Encoder.write
    monkeypatch.setattr(Mp3Encoder, "write", lambda self, pcm: (written.append(pcm), original_write(self, pcm))[1])
    document = json.loads(objects.data["podcasts/p/e/script.json"])
    stitch_audio({"script_key": "podcasts/p/e/script.json"}, objects=objects)

    pcm, offset, levels = b"".join(written), 0, []
    for i, segment in enumerate(document["segments"][:count]):
        with wave.open(io.BytesIO(objects.data[segment["key"]])) as wav:
            size, rate = wav.getnframes() * 2, wav.getframerate()
        levels.append(loudness.measure(io.BytesIO(pcm[offset:offset + size]), size)[0])
        offset += size
        if i + 1 < len(document["segments"]):
            same_turn = document["segments"][i + 1]["turn"] == segment["turn"]
            offset += 2 * round((0.12 if same_turn else 0.35) * rate)
    return levels


def test_stitched_segments_are_level_matched(monkeypatch):
    """A quiet and a loud source end at the target, each within 1 dB."""
    objects, speech = MemoryObjects(), ToneSpeech(amplitudes={"host_a": 500, "host_b": 20000})
    script_document(objects, TEXTS)
    synthesize_all(objects, speech, 3)
    for level in stitched_segment_levels(monkeypatch, objects, 3):
        assert abs(level - loudness.TARGET_DBFS) <= 1.0


@pytest.mark.parametrize("language, texts", [
    ("en", [(0, "Alex", "host_a", "Welcome back. Today we look at three releases and one outage."),
            (1, "Maya", "host_b", "The outage lasted four hours, and the fix shipped on Friday.")]),
    ("he", [(0, "Alex", "host_a", "שלום וברוכים הבאים לפרק החדש שלנו."),
            (1, "Maya", "host_b", "היום נדבר על שלוש גרסאות חדשות ועל תקלה אחת.")]),
])
def test_real_espeak_voices_end_at_one_common_level(monkeypatch, language, texts):
    """espeak's voices peak near full scale: the common level is what both reach unclipped,
    and both reach it within 1 dB (a peak cap alone left one 3 dB short)."""
    from chalicelib.audio.espeak import EspeakSpeech

    objects = MemoryObjects()
    document = script_document(objects, texts)
    document["language"] = language
    objects.put("podcasts/p/e/script.json", json.dumps(document).encode(), content_type="application/json")
    for i in range(len(texts)):
        synthesize_segment({"script_key": "podcasts/p/e/script.json", "segment": i},
                           objects=objects, speech=EspeakSpeech(), provider="espeak")
    sources = []
    for segment in document["segments"]:
        with wave.open(io.BytesIO(objects.data[segment["key"]])) as wav:
            frames = wav.readframes(wav.getnframes())
        sources.append(loudness.measure(io.BytesIO(frames), len(frames))[:2])
    common = loudness.common_level(sources)
    levels = stitched_segment_levels(monkeypatch, objects, len(texts))
    for level in levels:
        assert abs(level - common) <= 1.0, (levels, common)
    assert max(levels) - min(levels) <= 1.0


def _vtt_times(captions: str) -> list[tuple[float, float]]:
    def seconds(stamp: str) -> float:
        hours, minutes, rest = stamp.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(rest)

    return [tuple(map(seconds, line.split(" --> "))) for line in captions.splitlines() if " --> " in line]


def test_captions_are_timed_from_the_segments_durations_and_the_pauses():
    objects = MemoryObjects()
    script_document(objects, TEXTS)
    synthesize_all(objects, ToneSpeech(), 3)
    result = stitch_audio({"script_key": "podcasts/p/e/script.json"}, objects=objects)

    expected, position = [], 0.0
    pauses = [0.12, 0.35, None]  # within turn 0, then between turns, then the end
    for i, pause in enumerate(pauses):
        with wave.open(io.BytesIO(objects.data[f"podcasts/p/e/segments/{i}.wav"])) as wav:
            seconds = wav.getnframes() / wav.getframerate()
        expected.append((position, position + seconds))
        position += seconds + (pause or 0)
    times = _vtt_times(objects.data[result["captions_key"]].decode())
    assert times == [pytest.approx(pair, abs=0.0015) for pair in expected]
    assert times[-1][1] == pytest.approx(result["duration_seconds"], abs=0.0015)


def test_the_episode_mp3_carries_its_id3_tags_in_utf8():
    from mutagen.id3 import ID3

    objects = MemoryObjects()
    document = script_document(objects, TEXTS)
    document.update(title="פודקאסט הטכנולוגיה", language="he")
    objects.put("podcasts/p/e/script.json", json.dumps(document).encode(), content_type="application/json")
    synthesize_all(objects, ToneSpeech(), 3)
    result = stitch_audio({"script_key": "podcasts/p/e/script.json"}, objects=objects)

    tags = ID3(io.BytesIO(objects.data[result["audio_key"]]))
    assert str(tags["TALB"]) == "פודקאסט הטכנולוגיה"
    assert str(tags["TIT2"]).startswith("פודקאסט הטכנולוגיה — ")
    assert str(tags["TLAN"]) == "heb"
    assert len(str(tags["TDRC"])) == 10  # YYYY-MM-DD


def test_a_script_without_segments_is_never_stitched_into_an_episode():
    objects = MemoryObjects()
    script_document(objects, [])
    with pytest.raises(AudioRejected, match="no segments"):
        stitch_audio({"script_key": "podcasts/p/e/script.json"}, objects=objects)
    assert not [k for k in objects.data if "/audio/" in k]


def test_segments_of_different_sample_rates_are_refused_naming_the_segment():
    objects = MemoryObjects()
    script_document(objects, TEXTS)
    synthesize_all(objects, ToneSpeech(), 3)
    odd = io.BytesIO()
    with wave.open(odd, "wb") as wav:
        wav.setnchannels(1), wav.setsampwidth(2), wav.setframerate(16000)
        wav.writeframes(bytes(16000))
    objects.data["podcasts/p/e/segments/2.wav"] = odd.getvalue()
    with pytest.raises(AudioRejected, match="segment 2 is 16000 Hz"):
        stitch_audio({"script_key": "podcasts/p/e/script.json"}, objects=objects)
    assert not [k for k in objects.data if "/audio/" in k]


def test_a_segment_that_is_not_a_wav_file_is_refused_naming_it():
    objects = MemoryObjects()
    script_document(objects, TEXTS)
    synthesize_all(objects, ToneSpeech(), 3)
    objects.data["podcasts/p/e/segments/1.wav"] = b"<html>not audio</html>"
    with pytest.raises(AudioRejected, match="segment 1 is not a readable WAV"):
        stitch_audio({"script_key": "podcasts/p/e/script.json"}, objects=objects)


def test_each_step_answers_exactly_what_the_next_state_reads_and_stores_each_object_typed():
    objects, speech = MemoryObjects(), ToneSpeech()
    script_document(objects, TEXTS)

    made = synthesize_all(objects, speech, 3)
    cached = synthesize_all(objects, speech, 1)
    result = stitch_audio({"script_key": "podcasts/p/e/script.json"}, objects=objects)

    with wave.open(io.BytesIO(objects.data["podcasts/p/e/segments/0.wav"])) as wav:
        first_seconds = wav.getnframes() / RATE
    assert made[0] == {"index": 0, "seconds": round(first_seconds, 3), "cached": False}
    assert [m["index"] for m in made] == [0, 1, 2]
    assert cached == [{"index": 0, "seconds": None, "cached": True}]
    assert result == {
        "audio_key": "podcasts/p/e/audio/podcast.mp3", "transcript_key": "podcasts/p/e/audio/transcript.txt",
        "captions_key": "podcasts/p/e/audio/captions.vtt", "duration_seconds": round(result["duration_seconds"], 3),
        "segments": 3, "chapters_key": "podcasts/p/e/audio/chapters.json",
        "audio_bytes": len(objects.data["podcasts/p/e/audio/podcast.mp3"]),
        # The script document of this test has no notes: the title falls back to podcast and date.
        "show_notes": {"stories": [], "summary": ""}, "title": result["title"]}
    assert result["title"].startswith("Tones — ")
    assert {key: objects.types[key] for key in objects.types if "/segments/" not in key or key.endswith("0.wav")} == {
        "podcasts/p/e/script.json": "application/json",
        "podcasts/p/e/segments/0.wav": "audio/wav",
        "podcasts/p/e/audio/podcast.mp3": "audio/mpeg",
        "podcasts/p/e/audio/transcript.txt": "text/plain; charset=utf-8",
        "podcasts/p/e/audio/transcript.json": "application/json; charset=utf-8",
        "podcasts/p/e/audio/captions.vtt": "text/vtt; charset=utf-8",
        "podcasts/p/e/audio/chapters.json": "application/json+chapters; charset=utf-8",
    }


def test_hebrew_transcripts_and_captions_are_stored_as_utf8_text():
    objects, speech = MemoryObjects(), ToneSpeech()
    script_document(objects, [(0, "דנה", "host_a", "שלום לכולם וברוכים הבאים."), (1, "Maya", "host_b", "Hello.")])
    synthesize_all(objects, speech, 2)

    result = stitch_audio({"script_key": "podcasts/p/e/script.json"}, objects=objects)

    assert objects.data[result["transcript_key"]].decode("utf-8").startswith("דנה: שלום")
    assert "<v דנה>".encode("utf-8") in objects.data[result["captions_key"]]
    assert "שלום".encode("utf-8") in objects.data["podcasts/p/e/audio/transcript.json"]

def test_chapters_start_where_each_storys_turn_starts_in_the_stitched_audio():
    objects = MemoryObjects()
    document = script_document(objects, TEXTS)
    document.update(episode_title="Tones and loudness", notes={"summary": "Two tones.", "stories": [
        {"title": "The quiet one", "turn": 0, "message_ids": [1], "links": ["https://t.me/tones/1"]},
        {"title": "The loud one", "turn": 1, "message_ids": [3], "links": []}]})
    objects.put("podcasts/p/e/script.json", json.dumps(document).encode(), content_type="application/json")
    synthesize_all(objects, ToneSpeech(), 3)

    result = stitch_audio({"script_key": "podcasts/p/e/script.json"}, objects=objects)

    chapters = json.loads(objects.data[result["chapters_key"]])
    starts = [start for start, _ in _vtt_times(objects.data[result["captions_key"]].decode())]
    # Turn 1 starts with the third segment: after both segments of turn 0 and their pauses.
    assert chapters == {"version": "1.2.0", "chapters": [
        {"startTime": 0.0, "title": "The quiet one", "url": "https://t.me/tones/1"},
        {"startTime": pytest.approx(starts[2], abs=0.0015), "title": "The loud one"}]}
    assert objects.types[result["chapters_key"]].startswith("application/json+chapters")
    assert result["title"] == "Tones and loudness"
    assert result["audio_bytes"] == len(objects.data[result["audio_key"]])
    assert result["show_notes"] == {"summary": "Two tones.", "stories": [
        {"title": "The quiet one", "turn": 0, "links": ["https://t.me/tones/1"]},
        {"title": "The loud one", "turn": 1, "links": []}]}
    transcript = json.loads(objects.data["podcasts/p/e/audio/transcript.json"])
    assert [s["startTime"] for s in transcript["segments"]] == [pytest.approx(s, abs=0.0015) for s in starts]


def test_show_notes_too_large_for_the_state_lose_links_then_stories_never_the_summary():
    from chalicelib.steps.stitch import compact_notes

    stories = [{"title": f"Story {n}", "turn": n, "message_ids": list(range(50)),
                "links": [f"https://example.com/{n}/{'x' * 300}/{k}" for k in range(10)]} for n in range(50)]
    compact = compact_notes({"summary": "Summary.", "stories": stories}, limit=20_000)
    assert len(json.dumps(compact).encode()) <= 20_000
    assert compact["summary"] == "Summary." and len(compact["stories"]) == 50
    assert all("message_ids" not in s for s in compact["stories"])
    assert compact_notes({"summary": "S", "stories": stories[:1]}) == {
        "summary": "S", "stories": [{"title": "Story 0", "turn": 0, "links": stories[0]["links"]}]}
