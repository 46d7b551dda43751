"""WriteScript: a writer's script is validated (target length included) before any speech is
paid for, cut into segments that keep their message ids, and stored with cache keys."""
from __future__ import annotations

import json

import pytest

from chalicelib.audio.base import SpeechPlan
from chalicelib.domain import Window, segment_audio_key
from chalicelib.errors import ContentNotReady, ScriptRejected
from chalicelib.script.base import Host, Script, Speaker, Story, Turn
from chalicelib.steps.script import write_script
from chalicelib.stores.episodes import Podcast
from chalicelib.stores.sqlite_store import SqliteEpisodeStore
from tests.doubles import MemoryObjects

BUNDLE = {"schema_version": 1, "messages": [{"id": 7, "text": "Release 2.0 shipped."},
                                            {"id": 8, "text": "Twelve contributors."}]}
SPEAKERS = [Speaker("Alex", "host", "host_a"), Speaker("Maya", "expert", "host_b")]


class FixedWriter:
    """A writer that returns the script it was given, and records what it was asked."""

    def __init__(self, turns, *, enough_material=False):
        self.turns, self.asked, self.enough_material = turns, [], enough_material

    def write(self, bundle, *, title, language, format, hosts, target_seconds=None):
        self.asked.append({"title": title, "language": language, "target_seconds": target_seconds,
                           "format": format, "hosts": hosts, "bundle": bundle})
        # Like the real writers, it says whether the window had enough material for the target:
        # two short messages do not, so only the target's upper bound applies.
        return Script(language=language, format=format, speakers=SPEAKERS, turns=list(self.turns),
                      selection={"enough_material": self.enough_material, "chosen": [], "left_out": []},
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
                      "batches": [[i] for i in range(len(segments))],  # fewer segments than Map slots
                      "max_concurrency": 3, "provider": "espeak", "language": "en"}


def test_a_script_far_off_its_target_length_is_rejected_before_any_speech(setup):
    writer = FixedWriter([Turn("Alex", "Short.", (7,))], enough_material=True)
    with pytest.raises(ScriptRejected, match="target"):
        run(setup, writer, target_seconds=600)
    _, objects, _ = setup
    assert writer.asked[0]["target_seconds"] == 600  # the writer was told the target too
    assert not [k for k in objects.data if k.endswith("script.json")]


def test_a_script_over_its_target_is_rejected_even_short_of_material(setup):
    writer = FixedWriter([Turn("Alex", " ".join(["word"] * 400), (7,))])  # 160 s against 60 s
    with pytest.raises(ScriptRejected, match="outside"):
        run(setup, writer, target_seconds=60)


def test_without_a_target_the_default_applies_and_the_choice_is_stored(setup):
    writer = FixedWriter([Turn("Alex", "Release two point oh shipped.", (7,))])
    result = run(setup, writer)
    assert writer.asked[0]["target_seconds"] == 1200
    _, objects, _ = setup
    document = json.loads(objects.data[result["script_key"]])
    assert document["target_seconds"] == 1200
    assert document["selection"] == {"enough_material": False, "chosen": [], "left_out": []}


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


def test_the_bundle_is_read_only_as_the_etag_collection_stored_never_a_later_rewrite(setup):
    # WaitForContent proved this ETag readable; another object under the same key (a rewrite by
    # another execution, a stale replica) must not be scripted in its place.
    episodes, objects, event = setup
    objects.put(event["content"]["key"], json.dumps({**BUNDLE, "messages": []}).encode(),
                content_type="application/json")
    writer = FixedWriter([Turn("Alex", "Release two point oh shipped.", (7,))])

    with pytest.raises(ContentNotReady):
        run(setup, writer)
    assert writer.asked == []
    assert not [k for k in objects.data if k.endswith("script.json")]


def test_the_stored_document_is_everything_synthesis_and_stitching_read(tmp_path):
    episodes = SqliteEpisodeStore(str(tmp_path / "store.db"))
    episodes.put_podcast(Podcast(id="p", title="Hebdo «é»", sources=[{"export": "x"}], days_back=None,
                                 hosts=[{"name": "Alex", "role": "host"}, {"name": "Maya"}]))
    episode, _ = episodes.create_episode(podcast_id="p", language="he", format="narrator",
                                         window=Window(None, None))
    objects = MemoryObjects()
    stored = objects.put("podcasts/p/e/content.json", json.dumps(BUNDLE).encode(), content_type="application/json")
    event = {"episode": {"episode_id": episode.id, "podcast_id": "p"},
             "content": {"key": stored.key, "etag": stored.etag}}
    writer = FixedWriter([Turn("Alex", "גרסה שתיים יצאה השבוע. שנים עשר אנשים עזרו.", (7, 8)),
                          Turn("Maya", "שלום.", (8,))])

    result = write_script(event, episodes=episodes, objects=objects, writer=writer,
                          speech_plan=lambda language, podcast: SpeechPlan("gemini", "tts-1", 30), concurrency=2)

    key = f"podcasts/p/{episode.id}/script.json"
    assert result == {"script_key": key, "segments": [0, 1, 2], "max_concurrency": 2, "provider": "gemini",
                      "language": "he", "batches": [[0, 1], [2]]}  # at least max_concurrency batches
    assert objects.types[key] == "application/json; charset=utf-8"
    assert "שלום".encode() in objects.data[key]  # UTF-8 as is, not \u escapes
    document = json.loads(objects.data[key])
    segment_keys = [segment_audio_key("p", episode.id, text, voice, "gemini", "tts-1", "he")
                    for text, voice in [("גרסה שתיים יצאה השבוע.", "host_a"),
                                        ("שנים עשר אנשים עזרו.", "host_a"), ("שלום.", "host_b")]]
    assert document == {
        "podcast_id": "p", "episode_id": episode.id, "title": "Hebdo «é»", "language": "he",
        "format": "narrator", "provider": "gemini", "model": "tts-1",
        "speakers": [{"name": "Alex", "role": "host", "voice": "host_a"},
                     {"name": "Maya", "role": "expert", "voice": "host_b"}],
        "turns": [{"speaker": "Alex", "text": "גרסה שתיים יצאה השבוע. שנים עשר אנשים עזרו.",
                   "message_ids": [7, 8]},
                  {"speaker": "Maya", "text": "שלום.", "message_ids": [8]}],
        "segments": [
            {"index": 0, "turn": 0, "speaker": "Alex", "voice": "host_a", "text": "גרסה שתיים יצאה השבוע.",
             "message_ids": [7, 8], "key": segment_keys[0]},
            {"index": 1, "turn": 0, "speaker": "Alex", "voice": "host_a", "text": "שנים עשר אנשים עזרו.",
             "message_ids": [7, 8], "key": segment_keys[1]},
            {"index": 2, "turn": 1, "speaker": "Maya", "voice": "host_b", "text": "שלום.",
             "message_ids": [8], "key": segment_keys[2]},
        ],
        # What the writer chose and left out, and the length it aimed at (the default 20 minutes).
        "selection": {"chosen": [], "enough_material": False, "left_out": []},
        "target_seconds": 1200.0,
        # The title and show notes the writer returned, for the feed.
        "episode_title": document["episode_title"], "notes": document["notes"],
    }
    assert document["episode_title"] == "Release week"
    assert [s["title"] for s in document["notes"]["stories"]] == ["Release 2.0"]
    # The writer was asked for this podcast's episode, with the bundle that was stored.
    (asked,) = writer.asked
    assert asked["bundle"] == BUNDLE
    assert (asked["title"], asked["language"], asked["format"]) == ("Hebdo «é»", "he", "narrator")
    assert asked["hosts"] == [Host("Alex", "host"), Host("Maya", "host")]  # a host without a role is a host


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


def _segments(words):
    return [{"text": " ".join(["word"] * n)} for n in words]


def test_segments_are_batched_in_order_into_at_least_concurrency_map_iterations():
    from chalicelib.steps.script import SEGMENT_BATCH_WORDS, batches

    assert batches([], concurrency=4) == []
    assert batches(_segments([10, 10]), concurrency=4) == [[0], [1]]
    assert batches(_segments([10] * 8), concurrency=4) == [[0, 1], [2, 3], [4, 5], [6, 7]]
    # An hour of speech (9,000 words in 700 segments) is 30 iterations, not 700.
    hour = _segments([13] * 690 + [3] * 10)
    result = batches(hour, concurrency=4)
    assert len(result) == 30
    assert [i for batch in result for i in batch] == list(range(700))  # each once, in order
    for batch in result:
        assert sum(13 if i < 690 else 3 for i in batch) <= SEGMENT_BATCH_WORDS + 13


def test_a_podcasts_own_target_beats_the_setting(setup):
    from dataclasses import replace

    episodes, _, _ = setup
    episodes.put_podcast(replace(episodes.get_podcast("p"), target_minutes=5))
    writer = FixedWriter([Turn("Alex", "Release two point oh shipped.", (7,))])
    run(setup, writer, target_seconds=900)
    assert writer.asked[0]["target_seconds"] == 300


def test_the_podcasts_script_style_reaches_a_writer_that_takes_one(setup):
    from dataclasses import replace

    episodes, _, _ = setup
    episodes.put_podcast(replace(episodes.get_podcast("p"), script_style="Open with a joke."))

    class StyledWriter(FixedWriter):
        def write(self, bundle, *, title, language, format, hosts, target_seconds=None, style=None):
            self.style = style
            return super().write(bundle, title=title, language=language, format=format, hosts=hosts,
                                 target_seconds=target_seconds)

    writer = StyledWriter([Turn("Alex", "Release 2.0 shipped today.", (7,)), Turn("Maya", "Twelve helped.", (8,))])
    run(setup, writer)
    assert writer.style == "Open with a joke."
    plain = FixedWriter([Turn("Alex", "Release 2.0 shipped today.", (7,)), Turn("Maya", "Twelve helped.", (8,))])
    run(setup, plain)  # the offline writer takes no style: it is not handed one
