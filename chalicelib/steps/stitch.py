"""StitchAudio: the segments, in order, level-matched and encoded once into one MP3.

Constant memory: the segments are downloaded to temporary files and measured (pass 1, which
chooses the episode's common loudness), then streamed in chunks through the gain and the
encoder (pass 2); the MP3 is written to a temporary file and uploaded from disk. Disk holds
the episode's segments once (about 160 MB an hour at 22-24 kHz). One encode means no
per-segment encoder padding and an exact duration from the sample count. The transcript (text
and JSON with message ids) and WebVTT captions timed from the segments' durations are stored
beside the audio, and the chapters (JSON Chapters 1.2) timed from where each story's first turn
starts in the encoded audio.
"""
from __future__ import annotations

import json
import os
import tempfile
import wave
from dataclasses import dataclass
from datetime import datetime, timezone

from chalicelib.audio import loudness
from chalicelib.audio.captions import Cue, transcript_lines, webvtt
from chalicelib.audio.mp3 import Mp3Encoder, write_tags
from chalicelib.domain import audio_key, captions_key, chapters_key, transcript_json_key, transcript_key
from chalicelib.errors import AudioRejected
from chalicelib.stores.objects import ObjectStore

PAUSE_BETWEEN_TURNS = 0.35  # seconds of silence where the speaker changes or a turn ends
PAUSE_WITHIN_TURN = 0.12  # between two segments cut from one long turn


@dataclass(frozen=True)
class _Measured:
    path: str
    rate: int
    frames: int
    data_offset: int
    rms: float
    peak: int


def _download_and_measure(objects: ObjectStore, segment: dict, path: str, number: int) -> _Measured:
    with open(path, "w+b") as wav_file:
        objects.download(segment["key"], wav_file)
        wav_file.seek(0)
        try:
            with wave.open(wav_file, "rb") as wav:
                rate, frames, width = wav.getframerate(), wav.getnframes(), wav.getsampwidth()
                data_offset = wav_file.tell()
                rms, peak, _ = loudness.measure(wav_file, frames * 2)
        except (wave.Error, EOFError) as exc:
            raise AudioRejected(f"segment {number} is not a readable WAV file: {exc}") from exc
    if width != 2:
        raise AudioRejected(f"segment {number} is not 16-bit PCM")
    return _Measured(path, rate, frames, data_offset, rms, peak)


def stitch_audio(event: dict, *, objects: ObjectStore, bitrate_kbps: int = 64) -> dict:
    """Returns {"audio_key", "transcript_key", "captions_key", "duration_seconds", "segments"}."""
    document = json.loads(objects.get(event["script_key"]))
    segments = document["segments"]
    if not segments:
        raise AudioRejected("the script has no segments to stitch")
    podcast_id, episode_id = document["podcast_id"], document["episode_id"]
    cues: list[Cue] = []
    fd, mp3_path = tempfile.mkstemp(suffix=".mp3")
    try:
        with tempfile.TemporaryDirectory(prefix="podcasto-segments-") as scratch, os.fdopen(fd, "w+b") as mp3:
            # Pass 1: every segment to disk, measured; the episode's common level from all of them.
            measured = [
                _download_and_measure(objects, segment, os.path.join(scratch, f"{number}.wav"), number)
                for number, segment in enumerate(segments)
            ]
            for number, wav in enumerate(measured):
                if wav.rate != measured[0].rate:
                    raise AudioRejected(f"segment {number} is {wav.rate} Hz, the episode {measured[0].rate} Hz")
            level = loudness.common_level((m.rms, m.peak) for m in measured)
            # Pass 2: each scaled to that level and streamed into the one encoder.
            encoder = Mp3Encoder(mp3, measured[0].rate, bitrate_kbps=bitrate_kbps)
            position = 0.0
            for number, (segment, wav) in enumerate(zip(segments, measured)):
                with open(wav.path, "rb") as pcm:
                    pcm.seek(wav.data_offset)
                    gain = loudness.gain_for(wav.rms, wav.peak, target_dbfs=level)
                    for chunk in loudness.scaled(pcm, wav.frames * 2, gain):
                        encoder.write(chunk)
                os.unlink(wav.path)
                seconds = wav.frames / wav.rate
                cues.append(Cue(position, position + seconds, segment["speaker"], segment["text"],
                                tuple(segment["message_ids"])))
                position += seconds
                if number + 1 < len(segments):
                    same_turn = segments[number + 1]["turn"] == segment["turn"]
                    pause = PAUSE_WITHIN_TURN if same_turn else PAUSE_BETWEEN_TURNS
                    encoder.silence(pause)
                    position += pause
            duration = encoder.close()
        if duration <= 0 or os.path.getsize(mp3_path) < 1000:
            raise AudioRejected("the stitched episode is empty")
        today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
        episode_title = document.get("episode_title") or f"{document['title']} — {today}"
        write_tags(mp3_path, title=episode_title, podcast=document["title"],
                   date=today, language=document["language"])
        audio_bytes = os.path.getsize(mp3_path)  # the feed's enclosure length
        with open(mp3_path, "rb") as audio:
            objects.put(audio_key(podcast_id, episode_id), audio, content_type="audio/mpeg")
    finally:
        os.unlink(mp3_path)

    turn_of = [segment["turn"] for segment in segments]
    objects.put(transcript_key(podcast_id, episode_id),
                transcript_lines(cues, turn_of).encode("utf-8"), content_type="text/plain; charset=utf-8")
    objects.put(transcript_json_key(podcast_id, episode_id),
                json.dumps(json_transcript(cues, document["turns"]), ensure_ascii=False).encode("utf-8"),
                content_type="application/json; charset=utf-8")
    objects.put(captions_key(podcast_id, episode_id), webvtt(cues).encode("utf-8"),
                content_type="text/vtt; charset=utf-8")
    notes = document.get("notes") or {"summary": "", "stories": []}
    objects.put(chapters_key(podcast_id, episode_id),
                json.dumps(chapters(notes, cues, [s["turn"] for s in segments], duration),
                           ensure_ascii=False).encode("utf-8"),
                content_type="application/json+chapters; charset=utf-8")
    return {
        "audio_key": audio_key(podcast_id, episode_id),
        "audio_bytes": audio_bytes,
        "transcript_key": transcript_key(podcast_id, episode_id),
        "captions_key": captions_key(podcast_id, episode_id),
        "chapters_key": chapters_key(podcast_id, episode_id),
        "duration_seconds": round(duration, 3),
        "segments": len(segments),
        # Small enough for the state (chalicelib.script.notes caps them): MarkCompleted keeps
        # them on the episode, so the feed renders from the episode store alone.
        "title": episode_title,
        "show_notes": compact_notes(notes),
    }


def json_transcript(cues: list[Cue], turns: list[dict]) -> dict:
    """The Podcasting 2.0 JSON transcript (``segments`` with speaker, start, end and body),
    and the script's turns with the message ids each drew on."""
    segments = [{"speaker": c.speaker, "startTime": round(c.start, 3), "endTime": round(c.end, 3),
                 "body": c.text} for c in cues]
    return {"version": "1.0.0", "segments": segments, "turns": turns}


def chapters(notes: dict, cues: list[Cue], turn_of: list[int], duration: float) -> dict:
    """JSON Chapters 1.2: one chapter per story, starting where the story's first turn starts
    in the stitched audio (the cue times are the encoded samples, not an estimate)."""
    start_of_turn: dict[int, float] = {}
    for cue, turn in zip(cues, turn_of):
        start_of_turn.setdefault(turn, cue.start)
    found = []
    for story in notes.get("stories") or []:
        start = start_of_turn.get(int(story["turn"]))
        if start is None or start >= duration or (found and start <= found[-1]["startTime"]):
            continue  # a story whose turn made no audio has no place in the timeline
        chapter = {"startTime": round(start, 3), "title": story["title"]}
        if story.get("links"):
            chapter["url"] = story["links"][0]
        found.append(chapter)
    return {"version": "1.2.0", "chapters": found}


MAX_NOTES_BYTES = 32_000


def compact_notes(notes: dict, limit: int = MAX_NOTES_BYTES) -> dict:
    """The notes without message ids, and without their last links while they are over
    ``limit`` bytes as JSON (state payloads are capped at 256 KiB)."""
    compact = {"summary": notes.get("summary", ""),
               "stories": [{"title": s["title"], "turn": s["turn"], "links": list(s.get("links") or ())}
                           for s in notes.get("stories") or []]}
    while len(json.dumps(compact, ensure_ascii=False).encode("utf-8")) > limit:
        longest = max(compact["stories"], key=lambda s: len(s["links"]), default=None)
        if longest is None or not longest["links"]:
            compact["stories"] = compact["stories"][:-1]
            if not compact["stories"]:
                break
        else:
            longest["links"].pop()
    return compact
