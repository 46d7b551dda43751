"""build_bundle: one test per filter reason, and the invariants every bundle keeps."""
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import Window
from chalicelib.errors import SourceFailed
from chalicelib.sources.base import Collection, Media, Message
from chalicelib.sources.bundle import SCHEMA_VERSION, build_bundle, bundle_json_bytes

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
OPEN = Window(start=None, end=None)


def msg(msg_id, text="a message long enough to keep", *, channel="@news", minutes=None, **fields):
    minutes = msg_id if minutes is None else minutes
    return Message(id=msg_id, channel=channel, date=T0 + timedelta(minutes=minutes), text=text,
                   **fields)


def bundle_of(messages, *, skipped=(), channels=("@news",), **limits):
    collection = Collection(channels=list(channels), messages=list(messages), skipped=list(skipped))
    return build_bundle(collection, podcast_id="pod", episode_id="ep", window=OPEN, **limits)


def kept(bundle):
    return [(m["channel"], m["id"]) for m in bundle["messages"]]


def reasons(bundle):
    return [(f["channel"], f["id"], f["reason"]) for f in bundle["filtered"]]


def test_the_same_channel_and_id_twice_is_kept_once_as_duplicate():
    bundle = bundle_of([msg(1, "first copy"), msg(1, "second copy")])
    assert kept(bundle) == [("@news", 1)]
    assert reasons(bundle) == [("@news", 1, "duplicate")]


def test_the_same_id_in_another_channel_is_not_a_duplicate():
    bundle = bundle_of([msg(1, "news post"), msg(1, "tech post", channel="@tech")],
                       channels=("@news", "@tech"))
    assert kept(bundle) == [("@news", 1), ("@tech", 1)]
    assert bundle["filtered"] == []


def test_text_forwarded_across_channels_keeps_the_earliest_as_duplicate_text():
    later = msg(5, "Release 2.0 is out!", channel="@news", minutes=30)
    earlier = msg(9, "  release 2.0   IS OUT!\u200f", channel="@tech", minutes=10)  # marks and spacing aside
    bundle = bundle_of([later, earlier], channels=("@news", "@tech"))
    assert kept(bundle) == [("@tech", 9)]
    assert reasons(bundle) == [("@news", 5, "duplicate_text")]


def test_a_message_a_completed_episode_told_is_already_covered_edited_or_not():
    told = msg(1, "the story, as corrected later", edited=T0 + timedelta(days=1))
    bundle = bundle_of([told, msg(2, "a new story")], covered={("@news", 1), ("@news", 99)})
    assert kept(bundle) == [("@news", 2)]
    assert reasons(bundle) == [("@news", 1, "already_covered")]
    assert bundle["counts"] == {"collected": 2, "kept": 1, "filtered": 1}


def test_a_copy_of_a_story_already_told_is_duplicate_text():
    told = msg(1, "Release 2.0 is out!", channel="@news", minutes=10)
    copy = msg(7, "release 2.0 is out!", channel="@tech", minutes=20)
    bundle = bundle_of([told, copy], channels=("@news", "@tech"), covered={("@news", 1)})
    assert kept(bundle) == []
    assert reasons(bundle) == [("@news", 1, "already_covered"), ("@tech", 7, "duplicate_text")]


def test_no_text_and_no_media_is_empty():
    bundle = bundle_of([msg(1, "   \n"), msg(2, "", media=Media("photo"))])
    assert kept(bundle) == [("@news", 2)]  # a photo without a caption still says something
    assert reasons(bundle) == [("@news", 1, "empty")]


def test_text_under_min_text_length_is_too_short_unless_it_carries_media():
    bundle = bundle_of([msg(1, "ok"), msg(2, "ok", media=Media("voice")), msg(3, "long enough")],
                       min_text_length=5)
    assert kept(bundle) == [("@news", 2), ("@news", 3)]
    assert reasons(bundle) == [("@news", 1, "too_short")]


def test_a_link_to_a_blocked_domain_or_its_subdomain_is_blocked_domain():
    messages = [
        msg(1, "a", links=("https://spam.example/offer",)),
        msg(2, "b", links=("http://cdn.Spam.Example./x",)),
        msg(3, "c", links=("notspam.example/page",)),  # only shares a suffix, not the domain
        msg(4, "d", links=("https://example.org",)),
    ]
    bundle = bundle_of(messages, blocked_domains=["*.spam.example"])
    assert kept(bundle) == [("@news", 3), ("@news", 4)]
    assert reasons(bundle) == [("@news", 1, "blocked_domain"), ("@news", 2, "blocked_domain")]


def test_beyond_max_messages_the_oldest_go_as_over_cap_and_the_newest_stay():
    bundle = bundle_of([msg(n, f"post number {n}") for n in range(1, 6)], max_messages=2)
    assert kept(bundle) == [("@news", 4), ("@news", 5)]
    assert reasons(bundle) == [("@news", 1, "over_cap"), ("@news", 2, "over_cap"),
                               ("@news", 3, "over_cap")]


def test_a_bundle_over_max_bytes_drops_the_oldest_as_over_size_until_it_fits():
    messages = [msg(n, f"post number {n} " + "x" * 200) for n in range(1, 11)]
    whole = len(bundle_json_bytes(bundle_of(messages)))

    one = len(bundle_json_bytes(bundle_of(messages[:1]))) - len(bundle_json_bytes(bundle_of([])))

    bundle = bundle_of(messages, max_bytes=whole - one - 10)  # more than one message too big

    assert len(bundle_json_bytes(bundle)) <= whole - one - 10
    assert kept(bundle) == [("@news", n) for n in range(3, 11)]
    assert reasons(bundle) == [("@news", 1, "over_size"), ("@news", 2, "over_size")]


def test_a_bundle_that_cannot_fit_even_empty_is_source_failed():
    with pytest.raises(SourceFailed, match="max_bytes"):
        bundle_of([msg(1)], max_bytes=50)


def test_skips_of_the_source_are_filtered_entries_with_their_reason():
    skipped = [{"id": 7, "channel": "@news", "reason": "service"}]
    bundle = bundle_of([msg(1)], skipped=skipped)
    assert reasons(bundle) == [("@news", 7, "service")]


def test_counts_add_up_and_the_schema_version_is_stated():
    messages = [msg(1, "kept one"), msg(1, "dup id"), msg(2, ""), msg(3, "hi"),
                msg(4, "look here", links=("https://spam.example",)), msg(5, "kept one"),
                msg(6, "kept two"), msg(7, "kept three")]
    skipped = [{"id": 8, "channel": "@news", "reason": "service"}]

    bundle = bundle_of(messages, skipped=skipped, min_text_length=3,
                       blocked_domains=["spam.example"], max_messages=2)

    counts = bundle["counts"]
    assert counts == {"collected": 9, "kept": 2, "filtered": 7}
    assert counts["collected"] == counts["kept"] + counts["filtered"]
    assert counts["kept"] == len(bundle["messages"]) and counts["filtered"] == len(bundle["filtered"])
    assert bundle["schema_version"] == SCHEMA_VERSION == 1
    assert {r for _, _, r in reasons(bundle)} == {
        "service", "duplicate", "empty", "too_short", "blocked_domain", "duplicate_text", "over_cap"}


def test_kept_messages_are_oldest_first_whatever_order_the_source_gave():
    bundle = bundle_of([msg(3, "third"), msg(1, "first"), msg(2, "second")])
    assert [m["id"] for m in bundle["messages"]] == [1, 2, 3]


def test_a_photo_key_is_named_in_photo_media_entries_and_counts_against_max_bytes():
    messages = [msg(n, f"photo number {n}", media=Media("photo", {"width": 10})) for n in range(1, 6)]
    messages.append(msg(6, "a voice note", media=Media("voice")))
    without_keys = len(bundle_json_bytes(bundle_of(messages)))

    bundle = bundle_of(messages, max_bytes=without_keys + 10,
                       photo_key=lambda m: f"podcasts/pod/ep/media/news-{m.id}.jpg")

    assert len(bundle_json_bytes(bundle)) <= without_keys + 10
    assert bundle["filtered"] and {r for _, _, r in reasons(bundle)} == {"over_size"}  # keys cost bytes
    assert all(m["media"]["key"] == f"podcasts/pod/ep/media/news-{m['id']}.jpg"
               for m in bundle["messages"] if m["media"]["type"] == "photo")
    assert "key" not in bundle["messages"][-1]["media"]  # only photos get a key
