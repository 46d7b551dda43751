"""Stories: grouping, ranking and choosing whole stories to fill an episode's target length."""
import random

import pytest

from chalicelib.script.offline import OfflineScriptWriter
from chalicelib.script.stories import (
    DEFAULT_TARGET_SECONDS, LENGTH_TOLERANCE, group, ranked_stories, select,
)
from chalicelib.script.validate import estimate_seconds, validate_script

VOCABULARY = (
    "council budget harbour festival library station university market election storm bridge "
    "tunnel hospital school teachers doctors museum concert river forest airport railway tram "
    "housing rent prices wages factory startup engineers software release security outage "
    "battery solar wind energy water drought rainfall football coach league stadium tickets "
    "mayor minister court ruling protest strike agreement contract funding research vaccine "
    "clinic volunteers charity bakery restaurant chef recipe garden farmers harvest tourism"
).split()


def _text(rng: random.Random, words: int) -> str:
    sentences, left = [], words
    while left > 0:
        n = min(left, rng.randint(6, 14))
        sentences.append(" ".join(rng.choice(VOCABULARY) for _ in range(n)).capitalize() + ".")
        left -= n
    return " ".join(sentences)


def _message(i, text, *, channel="city_news", minute=None, **extra):
    minute = i * 7 if minute is None else minute
    day, rest = divmod(minute, 24 * 60)
    return {
        "id": i, "channel": channel,
        "date": f"2026-11-{1 + day % 28:02d}T{rest // 60:02d}:{rest % 60:02d}:00Z",
        "text": text, "links": [], "reply_to": None, "forwarded_from": None, "edited": None,
        "views": None, "forwards": None, "media": None, **extra,
    }


def _window(count: int, *, seed: int = 7, short: bool = False) -> list[dict]:
    """``count`` distinct messages, long and short, some replying to earlier ones."""
    rng = random.Random(seed)
    messages = []
    for i in range(1, count + 1):
        words = rng.randint(3, 8) if short else rng.choice((8, 15, 30, 60, 90, 140))
        extra = {}
        if i > 3 and rng.random() < 0.15:
            extra["reply_to"] = rng.randint(max(1, i - 20), i - 1)
        if rng.random() < 0.5:
            extra["views"] = rng.randint(100, 20000)
        messages.append(_message(i, _text(rng, words), **extra))
    return messages


def _bundle(messages):
    return {
        "schema_version": 1, "podcast_id": "city", "episode_id": "0d4c1f6e-0000-4000-8000-000000000002",
        "title": None, "window": {"start": "2026-11-01T00:00:00Z", "end": "2026-11-29T00:00:00Z"},
        "channels": sorted({m["channel"] for m in messages}), "counts": {}, "filtered": [],
        "messages": messages,
    }


def _write(bundle, target=None, format="dialogue"):
    return OfflineScriptWriter().write(bundle, title="City Weekly", language="en", format=format,
                                       hosts=[], target_seconds=target)


def _told(script) -> list[int]:
    return [i for entry in script.selection["chosen"] for i in entry["message_ids"]]


def _left_out(script) -> list[int]:
    return [i for entry in script.selection["left_out"] for i in entry["message_ids"]]


@pytest.mark.parametrize("count", [50, 500, 5000])
@pytest.mark.parametrize("format", ["dialogue", "narrator"])
def test_the_length_lands_within_15_percent_of_the_target_whatever_the_window(count, format):
    bundle = _bundle(_window(count))
    script = _write(bundle, format=format)  # no target given: the default, 20 minutes
    assert script.selection["enough_material"] is True
    seconds = estimate_seconds(script)
    assert abs(seconds - DEFAULT_TARGET_SECONDS) <= DEFAULT_TARGET_SECONDS * LENGTH_TOLERANCE, seconds
    assert validate_script(script, bundle=bundle, target_seconds=DEFAULT_TARGET_SECONDS) is script


@pytest.mark.parametrize("target", [300, 600, 2400])
def test_other_targets_are_met_too(target):
    script = _write(_bundle(_window(500)), target)
    assert abs(estimate_seconds(script) - target) <= target * LENGTH_TOLERANCE


def test_five_short_messages_make_a_short_episode_and_nothing_is_invented():
    messages = _window(5, short=True)
    bundle = _bundle(messages)
    script = _write(bundle)
    # Not enough material for 20 minutes: everything is told once, the episode is as long as
    # the material makes it, and the script says so.
    assert script.selection["enough_material"] is False
    assert sorted(_told(script)) == [m["id"] for m in messages]
    assert script.selection["left_out"] == []
    assert estimate_seconds(script) < DEFAULT_TARGET_SECONDS * 0.25
    assert validate_script(script, bundle=bundle, target_seconds=DEFAULT_TARGET_SECONDS) is script
    # Every sentence quoting a message quotes a real one: the body of each turn draws on ids.
    assert all(turn.message_ids for turn in script.turns[2:-2])


@pytest.mark.parametrize("count", [5, 50, 500, 5000])
def test_nothing_is_chosen_twice_and_everything_left_out_has_a_reason(count):
    messages = _window(count, short=count == 5)
    script = _write(_bundle(messages))
    told, left = _told(script), _left_out(script)
    assert len(told) == len(set(told))
    assert len(left) == len(set(left))
    assert not set(told) & set(left)
    assert set(told) | set(left) == {m["id"] for m in messages}
    for entry in script.selection["left_out"]:
        assert entry["reason"] in {"over_length", "near_duplicate"}
        assert entry["channel"] == "city_news" and entry["message_ids"]
    # What the script talks about is exactly what was chosen.
    cited = {i for turn in script.turns for i in turn.message_ids}
    assert cited == set(told)


def test_a_story_told_across_a_reply_chain_stays_one_story():
    rng = random.Random(3)
    messages = [_message(i, _text(rng, 40), minute=i * 60) for i in range(1, 41)]
    # Message 5 starts a thread answered hours later, down a chain, between unrelated posts.
    for reply, parent in ((12, 5), (19, 12), (33, 19)):
        messages[reply - 1]["reply_to"] = parent
    stories = group(messages)
    chain = [s for s in stories if 5 in s.ids]
    assert len(chain) == 1 and chain[0].ids == [5, 12, 19, 33]
    assert len(stories) == 37
    for target in (120, 400, 1200):
        script = _write(_bundle(messages), target)
        told = _told(script)
        entries = script.selection["chosen"] + script.selection["left_out"]
        assert [e["message_ids"] for e in entries if 5 in e["message_ids"]] == [[5, 12, 19, 33]]
        if 5 in told:
            # Told together, in order, one right after the other.
            presented = [t.message_ids[-1] for t in script.turns if t.message_ids]
            at = presented.index(5)
            assert presented[at:at + 4] == [5, 12, 19, 33]


def test_replies_in_another_channel_do_not_join_a_story():
    messages = [_message(1, "Bridge closes for repairs on Monday morning."),
                _message(2, "Different channel, same id space.", channel="other", reply_to=1)]
    assert [s.ids for s in group(messages)] == [[1], [2]]


def test_a_cross_channel_forward_is_folded_into_the_original_story():
    original = ("The council approved the new tram line from the station to the university, "
                "with construction starting in the spring and the first trams running in two years.")
    messages = [
        _message(1, original, channel="city_news", views=900),
        _message(2, "Big news! " + original, channel="commuters", minute=30, views=400,
                 forwarded_from="city_news", forwards=12),
        _message(3, "The library opens on Saturdays from next month.", channel="city_news", minute=60),
    ]
    stories, duplicates = ranked_stories(messages)
    assert [s.ids for s in stories] == [[1], [3]]
    assert duplicates == [{"channel": "commuters", "message_ids": [2], "reason": "near_duplicate",
                           "of": {"channel": "city_news", "message_ids": [1]}}]
    # The forward's readers count for the story it repeats.
    assert stories[0].views == 1300 and stories[0].forwards == 12


def test_engagement_outranks_age_and_without_engagement_the_newest_wins():
    rng = random.Random(5)
    quiet = [_message(i, _text(rng, 30), minute=i * 60) for i in range(1, 11)]
    ranked, _ = ranked_stories(quiet)
    assert [s.ids[0] for s in ranked] == list(range(10, 0, -1))
    engaged = [dict(m, views=50) for m in quiet]
    engaged[1]["views"] = 90000  # an old post everybody read
    engaged[3]["forwards"] = 400
    ranked, _ = ranked_stories(engaged)
    assert [s.ids[0] for s in ranked[:2]] == [2, 4]


def test_selection_takes_whole_stories_and_skips_what_does_not_fit():
    rng = random.Random(9)
    messages = [_message(i, _text(rng, words), minute=i) for i, words in
                enumerate((100, 400, 50, 50, 300, 20), start=1)]
    ranked, _ = ranked_stories(messages)  # no engagement: newest first, 6, 5, 4, ...
    selection = select(ranked, budget_seconds=100, cost=lambda s: s.words() * 0.4)
    # 6 (8 s), 5 (120 s: over), 4 (20 s), 3 (20 s), 2 (160 s: over), 1 (40 s): 88 s
    assert [s.ids[0] for s in selection.chosen] == [6, 4, 3, 1]
    assert [(e["message_ids"], e["reason"]) for e in selection.left_out] == [
        ([5], "over_length"), ([2], "over_length")]
    assert selection.enough_material is True


def test_the_best_story_is_told_even_when_it_alone_is_longer_than_the_episode():
    rng = random.Random(11)
    bundle = _bundle([_message(1, _text(rng, 3000))])
    script = _write(bundle, 120)
    assert _told(script) == [1]
    # Only then does the writer say less of the message, to come near the target.
    assert estimate_seconds(script) < 240
