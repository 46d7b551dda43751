"""StitchAudio: the segments, in order, level-matched and encoded once into one MP3.

Constant memory: each segment is downloaded to a temporary file and streamed through the
loudness pass and the encoder in chunks; the MP3 is written to a temporary file and uploaded
from disk. One encode means no per-segment encoder padding and an exact duration from the
sample count. The transcript (text and JSON with message ids) and WebVTT captions timed from
the segments' durations are stored beside the audio.
"""
from __future__ import annotations

import json
import os
import tempfile
import wave
from datetime import datetime, timezone

from chalicelib.audio import loudness
from chalicelib.audio.captions import Cue, transcript_lines, webvtt
from chalicelib.audio.mp3 import Mp3Encoder, write_tags
from chalicelib.domain import audio_key, captions_key, transcript_json_key, transcript_key
from chalicelib.errors import AudioRejected
from chalicelib.stores.objects import ObjectStore

PAUSE_BETWEEN_TURNS = 0.35  # seconds of silence where the speaker changes or a turn ends
PAUSE_WITHIN_TURN = 0.12  # between two segments cut from one long turn


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
        with os.fdopen(fd, "w+b") as mp3:
            encoder = None
            position = 0.0
            for number, segment in enumerate(segments):
                with tempfile.TemporaryFile() as wav_file:
                    objects.download(segment["key"], wav_file)
                    wav_file.seek(0)
                    with wave.open(wav_file, "rb") as wav:
                        rate, frames = wav.getframerate(), wav.getnframes()
                        if encoder is None:
                            encoder = Mp3Encoder(mp3, rate, bitrate_kbps=bitrate_kbps)
                        elif rate != encoder.sample_rate:
                            raise AudioRejected(
                                f"segment {number} is {rate} Hz, the episode {encoder.sample_rate} Hz")
                        start_of_data = wav_file.tell()
                        rms, peak, _ = loudness.measure(wav_file, frames * 2)
                        wav_file.seek(start_of_data)
                        for chunk in loudness.scaled(wav_file, frames * 2, loudness.gain_for(rms, peak)):
                            encoder.write(chunk)
                seconds = frames / rate
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
        write_tags(mp3_path, title=f"{document['title']} — {today}", podcast=document["title"],
                   date=today, language=document["language"])
        with open(mp3_path, "rb") as audio:
            objects.put(audio_key(podcast_id, episode_id), audio, content_type="audio/mpeg")
    finally:
        os.unlink(mp3_path)

    turn_of = [segment["turn"] for segment in segments]
    objects.put(transcript_key(podcast_id, episode_id),
                transcript_lines(cues, turn_of).encode("utf-8"), content_type="text/plain; charset=utf-8")
    objects.put(transcript_json_key(podcast_id, episode_id),
                json.dumps({"turns": document["turns"]}, ensure_ascii=False).encode("utf-8"),
                content_type="application/json; charset=utf-8")
    objects.put(captions_key(podcast_id, episode_id), webvtt(cues).encode("utf-8"),
                content_type="text/vtt; charset=utf-8")
    return {
        "audio_key": audio_key(podcast_id, episode_id),
        "transcript_key": transcript_key(podcast_id, episode_id),
        "captions_key": captions_key(podcast_id, episode_id),
        "duration_seconds": round(duration, 3),
        "segments": len(segments),
    }
