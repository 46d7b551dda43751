"""WriteScript: a writer's script is validated (target length included) before any speech is
paid for, cut into segments that keep their message ids, and stored with cache keys."""
from __future__ import annotations

import json

import pytest

from chalicelib.audio.base import SpeechPlan
from chalicelib.domain import Window
from chalicelib.errors import ScriptRejected
from chalicelib.script.base import Script, Speaker, Story, Turn
from chalicelib.steps.script import write_script
from chalicelib.stores.episodes import Podcast
from chalicelib.stores.sqlite_store import SqliteEpisodeStore
from tests.doubles import MemoryObjects

BUNDLE = {"schema_version": 1, "messages": [{"id": 7, "text": "Release 2.0 shipped."},
                                            {"id": 8, "text": "Twelve contributors."}]}
SPEAKERS = [Speaker("Alex", "host", "host_a"), Speaker("Maya", "expert", "host_b")]


class FixedWriter:
    """A writer that returns the script it was given, and records what it was asked."""

    def __init__(self, turns):
        self.turns, self.asked = turns, []

    def write(self, bundle, *, title, language, format, hosts, target_seconds=None):
        self.asked.append({"title": title, "language": language, "target_seconds": target_seconds})
        return Script(language=language, format=format, speakers=SPEAKERS, turns=list(self.turns),
                      title="Release week", summary="A release and its contributors.",
                      stories=[Story("Release 2.0", 0, (7,))])


@pytest.fixture
def setup(tmp_path):
    episodes = SqliteEpisodeStore(str(tmp_path / "store.db"))
    episodes.put_podcast(Podcast(id="p", title="Weekly", sources=[{"export": "x"}], days_back=None))
    episode, _ = episodes.create_episode(podcast_id="p", language="en", format="dialogue",
                                         window=Window(None, None))
    objects = MemoryObjects()
    stored = objects.put("podcasts/p/e/content.json", json.dumps(BUNDLE).encode(), content_type="application/json")
    event = {"episode": {"episode_id": episode.id, "podcast_id": "p"},
             "content": {"key": stored.key, "etag": stored.etag}}
    return episodes, objects, event


def run(setup, writer, *, model="espeak-ng", **kwargs):
    episodes, objects, event = setup
    asked = []

    def speech_plan(language, podcast):
        asked.append((language, podcast.id))
        return SpeechPlan("espeak", model, 60)

    result = write_script(event, episodes=episodes, objects=objects, writer=writer,
                          speech_plan=speech_plan, **{"concurrency": 3, **kwargs})
    assert asked == [("en", "p")]  # chosen for the episode's language and its podcast
    return result


LONG_TURN = ("Release two point oh shipped this week with faster builds. "
             "It also fixes the cache. Twelve people contributed to it.")


def test_the_script_is_stored_with_segments_that_keep_their_turns_message_ids(setup):
    writer = FixedWriter([Turn("Alex", LONG_TURN, (7,)), Turn("Maya", "Twelve, what a number.", (8,))])
    result = run(setup, writer)
    _, objects, _ = setup
    document = json.loads(objects.data[result["script_key"]])
    segments = document["segments"]
    assert len(segments) > 2  # the long turn was cut within max_chars
    assert all(len(s["text"]) <= 60 for s in segments)
    assert [s["message_ids"] for s in segments if s["turn"] == 0] == [[7]] * (len(segments) - 1)
    assert segments[-1]["message_ids"] == [8] and segments[-1]["voice"] == "host_b"
    assert [t["message_ids"] for t in document["turns"]] == [[7], [8]]
    assert len({s["key"] for s in segments}) == len(segments)
    assert all(s["key"].startswith("podcasts/p/") and s["key"].endswith(".wav") for s in segments)
    assert result == {"script_key": result["script_key"], "segments": list(range(len(segments))),
                      "max_concurrency": 3, "provider": "espeak", "language": "en"}


def test_a_script_far_off_its_target_length_is_rejected_before_any_speech(setup):
    writer = FixedWriter([Turn("Alex", "Short.", (7,))])
    with pytest.raises(ScriptRejected, match="target"):
        run(setup, writer, target_seconds=600)
    _, objects, _ = setup
    assert writer.asked[0]["target_seconds"] == 600  # the writer was told the target too
    assert not [k for k in objects.data if k.endswith("script.json")]


def test_a_script_citing_messages_the_bundle_never_had_is_rejected(setup):
    with pytest.raises(ScriptRejected, match="99"):
        run(setup, FixedWriter([Turn("Alex", "Something else entirely.", (99,))]))


def test_the_same_text_voice_and_model_give_the_same_segment_key_and_another_model_another(setup):
    turns = [Turn("Alex", "Release two point oh shipped.", (7,))]
    _, objects, _ = setup
    first = json.loads(objects.data[run(setup, FixedWriter(turns))["script_key"]])["segments"][0]["key"]
    again = json.loads(objects.data[run(setup, FixedWriter(turns))["script_key"]])["segments"][0]["key"]
    other = json.loads(objects.data[run(setup, FixedWriter(turns), model="espeak-ng rate=200")["script_key"]]
                       )["segments"][0]["key"]
    assert first == again != other


def test_a_hosts_own_voice_for_the_provider_is_what_its_segments_ask_for(setup):
    from dataclasses import replace

    from chalicelib.audio.espeak import EspeakSpeech

    episodes, objects, _ = setup
    podcast = episodes.get_podcast("p")
    episodes.put_podcast(replace(podcast, hosts=[
        {"name": "Alex", "voices": {"espeak": "en-us+f4", "polly": "Joanna"}}, {"name": "Maya"}]))
    writer = FixedWriter([Turn("Alex", "Release 2.0 shipped today.", (7,)),
                          Turn("Maya", "Twelve people helped.", (8,))])
    result = run(setup, writer)
    document = json.loads(objects.get(result["script_key"]))
    voices = [s["voice"] for s in document["segments"]]
    assert voices == ["own:en-us+f4", "host_b"]  # espeak's own voice for Alex; Maya keeps her role
    assert EspeakSpeech.voice_name(voice=voices[0], language="en") == "en-us+f4"
    # The voice is part of each segment's cache key: changing it never reuses old audio.
    episodes.put_podcast(replace(podcast, hosts=[{"name": "Alex", "voices": {"espeak": "en-us+m7"}}]))
    again = json.loads(objects.get(run(setup, writer)["script_key"]))
    assert again["segments"][0]["key"] != document["segments"][0]["key"]
