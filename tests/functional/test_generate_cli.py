"""`make generate` as a user runs it: a separate process, its exit status, its OUT folder."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from mutagen.mp3 import MP3

from tests.conftest import EXAMPLES, ROOT


def cli(tmp_path, command: str, *args: str) -> tuple[subprocess.CompletedProcess, dict | None]:
    out = tmp_path / "out"
    env = {**os.environ, "PODCASTO_HOME": str(tmp_path / "home")}
    env.pop("EPISODE_STORE", None)
    result = subprocess.run(
        [sys.executable, "-m", "podcasto_local.cli", command, "--out", str(out), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    summary = out / "episode.json"
    return result, json.loads(summary.read_text()) if summary.exists() else None


def generate(tmp_path, *args: str) -> tuple[subprocess.CompletedProcess, dict | None]:
    return cli(tmp_path, "generate", *args)


def test_demo_leaves_a_playable_mp3_as_long_as_episode_json_says(tmp_path):
    # What `make demo` runs, in a separate process on a fresh PODCASTO_HOME.
    result, episode = cli(tmp_path, "demo")

    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    assert episode["status"] == "completed" and episode["execution_status"] == "SUCCEEDED"
    audio = MP3(out / episode["audio_path"])
    assert audio.info.length == pytest.approx(episode["duration_seconds"], abs=0.05)
    assert audio.info.length > 60 and audio.info.sample_rate > 0  # the whole demo export, spoken
    assert (out / "podcast.mp3").read_bytes()[:3] == b"ID3"
    assert episode["states"][-1] == "EpisodeCompleted"
    assert "podcasto: completed" in result.stdout
    assert_feed_beside_the_audio(out, episode)


def assert_feed_beside_the_audio(out, episode):
    """OUT/feed.xml names the files beside it: its URLs end in their names, and they are there."""
    import io
    from urllib.parse import urlparse
    from urllib.request import url2pathname

    import podcastparser

    assert episode["feed_path"] == "feed.xml"
    feed = podcastparser.parse((out / "feed.xml").as_uri(), io.BytesIO((out / "feed.xml").read_bytes()))
    (item,) = feed["episodes"]
    assert item["guid"] == episode["episode_id"] and item["total_time"] == round(episode["duration_seconds"])
    urls = {"podcast.mp3": item["enclosures"][0]["url"], "captions.vtt": item["transcript_url"],
            "chapters.json": item["chapters_json_url"], "cover.jpg": feed["cover_url"]}
    for name, url in urls.items():
        assert url.startswith("file://") and url.endswith("/" + name), url
        assert url2pathname(urlparse(url).path) == str(out / name) and (out / name).stat().st_size > 0
    assert item["enclosures"][0]["file_size"] == (out / "podcast.mp3").stat().st_size
    chapters = json.loads((out / "chapters.json").read_text())["chapters"]
    assert len(chapters) > 1 and chapters[-1]["startTime"] < episode["duration_seconds"]


def test_generate_leaves_a_playable_mp3_and_a_truthful_episode_json(tmp_path, small_export):
    result, episode = generate(tmp_path, "--export", str(small_export), "--format", "narrator")

    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    assert episode["status"] == "completed"
    assert MP3(out / episode["audio_path"]).info.length == pytest.approx(episode["duration_seconds"], abs=0.05)
    assert (out / episode["transcript_path"]).read_text(encoding="utf-8").startswith(("Alex: ", "Maya: "))
    assert [h["to_status"] for h in episode["status_history"]] == [
        "pending", "content_collected", "processing", "completed"]
    assert episode["states"][:2] == ["IsolateInput", "ValidateEpisode"] and episode["states"][-1] == "EpisodeCompleted"
    assert "-> SynthesizeSegments" in result.stdout and "<- StitchAudio" in result.stdout


def test_full_account_export_without_chat_fails_with_a_one_line_reason_listing_the_chats(tmp_path):
    result, episode = generate(tmp_path, "--export", str(EXAMPLES / "full-account-export" / "result.json"))

    assert result.returncode != 0
    reason = result.stderr.strip().splitlines()[-1]
    assert "Byte Brief" in reason and "Team Announcements" in reason
    assert episode["status"] == "failed" and episode["error"] == "SourceFailed"


def test_full_account_export_with_chat_completes(tmp_path):
    result, episode = generate(
        tmp_path, "--export", str(EXAMPLES / "full-account-export" / "result.json"), "--chat", "Team Announcements")

    assert result.returncode == 0, result.stderr
    assert episode["status"] == "completed"


def test_window_without_messages_exits_non_zero_as_nothing_new(tmp_path, small_export):
    result, episode = generate(
        tmp_path, "--export", str(small_export), "--start-date", "2020-01-01", "--end-date", "2020-01-02")

    assert result.returncode == 1  # no audio was made: not what `make generate` was asked for
    assert "episode skipped: nothing_new: no message in the window" in result.stderr
    assert (episode["status"], episode["outcome"], episode["execution_status"]) == (
        "skipped", "nothing_new", "SUCCEEDED")


def test_live_channels_without_telegram_credentials_fail_naming_the_setting(tmp_path, monkeypatch):
    for name in ("TELEGRAM_API_ID", "TELEGRAM_API_HASH", "TELEGRAM_SESSION"):
        monkeypatch.delenv(name, raising=False)
    result, episode = generate(tmp_path, "--channel", "@durov,t.me/telegram", "--days-back", "2")

    assert result.returncode != 0
    reason = result.stderr.strip().splitlines()[-1]
    assert "TELEGRAM_API_ID" in reason and "Traceback" not in result.stderr
    assert episode["status"] == "failed" and episode["failed_state"] == "CollectContent"


def test_a_malformed_channel_is_refused_before_any_network_call(tmp_path):
    result, episode = generate(tmp_path, "--channel", "not a channel!", "--days-back", "2")

    assert result.returncode != 0
    assert "not a channel!" in result.stderr.strip().splitlines()[-1]
    assert episode is None or episode["error"] == "InvalidInput"
