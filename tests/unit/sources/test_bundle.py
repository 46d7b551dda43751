"""build_bundle: one test per filter reason, and the invariants every bundle keeps."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import Window
from chalicelib.errors import SourceFailed
from chalicelib.sources.base import Collection, Media, Message
from chalicelib.sources.bundle import SCHEMA_VERSION, build_bundle, bundle_json_bytes, message_to_json

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


def test_text_of_exactly_min_text_length_is_kept_and_one_character_less_is_too_short():
    # "shorter than MIN_TEXT_LENGTH characters", counted after surrounding spaces are stripped.
    bundle = bundle_of([msg(1, "  12345 "), msg(2, "1234")], min_text_length=5)
    assert kept(bundle) == [("@news", 1)]
    assert reasons(bundle) == [("@news", 2, "too_short")]


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
    # One entry for the run: how many, from which id to which.
    assert bundle["filtered"] == [{"id": 1, "channel": "@news", "reason": "over_cap", "count": 3, "last_id": 3}]
    assert bundle["counts"] == {"collected": 5, "kept": 2, "filtered": 3}


def test_cut_runs_are_one_entry_per_channel_beside_the_messages_filtered_one_by_one():
    # Interleaved channels, a duplicate text inside the cut span, and a single cut message.
    messages = [msg(1, "n1"), msg(1, "t1", channel="@tech", minutes=2), msg(3, "n3"),
                msg(4, "t1 ", channel="@tech"), msg(5, "t5", channel="@tech"), msg(6, "n6"),
                msg(7, "n7"), msg(8, "t8", channel="@tech")]
    bundle = bundle_of(messages, channels=("@news", "@tech"), max_messages=3)
    assert kept(bundle) == [("@news", 6), ("@news", 7), ("@tech", 8)]
    assert bundle["filtered"] == [
        {"id": 4, "channel": "@tech", "reason": "duplicate_text"},
        {"id": 1, "channel": "@news", "reason": "over_cap", "count": 2, "last_id": 3},
        {"id": 1, "channel": "@tech", "reason": "over_cap", "count": 2, "last_id": 5},
    ]
    assert bundle["counts"] == {"collected": 8, "kept": 3, "filtered": 5}


def test_a_window_of_tens_of_thousands_leaves_the_bundle_budget_to_the_messages():
    # Listing every cut message took ~60 bytes each: 83,805 of them filled a 5 MB bundle and
    # left 294 messages to choose the episode's stories from.
    messages = [msg(n, f"story number {n} " + "words " * 100) for n in range(1, 50_001)]
    bundle = bundle_of(messages, max_messages=2000, max_bytes=5_000_000)
    assert len(bundle["messages"]) == 2000
    assert bundle["filtered"] == [
        {"id": 1, "channel": "@news", "reason": "over_cap", "count": 48_000, "last_id": 48_000}]


def test_a_bundle_over_max_bytes_drops_the_oldest_as_over_size_until_it_fits():
    messages = [msg(n, f"post number {n} " + "x" * 200) for n in range(1, 11)]
    whole = len(bundle_json_bytes(bundle_of(messages)))

    one = len(bundle_json_bytes(bundle_of(messages[:1]))) - len(bundle_json_bytes(bundle_of([])))

    bundle = bundle_of(messages, max_bytes=whole - one - 10)  # more than one message too big

    assert len(bundle_json_bytes(bundle)) <= whole - one - 10
    assert kept(bundle) == [("@news", n) for n in range(3, 11)]
    assert bundle["filtered"] == [{"id": 1, "channel": "@news", "reason": "over_size", "count": 2, "last_id": 2}]


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
    assert counts["kept"] == len(bundle["messages"])
    assert counts["filtered"] == sum(f.get("count", 1) for f in bundle["filtered"])
    assert bundle["schema_version"] == SCHEMA_VERSION == 2
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


def test_the_bundle_is_the_documented_schema_serialised_compactly_in_utf8():
    message = Message(id=7, channel="@news", date=datetime(2026, 3, 1, 10, 30, tzinfo=timezone(timedelta(hours=2))),
                      text="שלום, world", links=("https://example.org/a",), reply_to=5, forwarded_from="@other",
                      edited=datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc), views=120, forwards=3,
                      media=Media("photo", {"width": 10}))
    plain = msg(8, "plain words")
    window = Window(start=datetime(2026, 3, 1, tzinfo=timezone.utc), end=None)
    collection = Collection(channels=["@news"], messages=[plain, message])

    bundle = build_bundle(collection, podcast_id="pod", episode_id="ep", window=window, title="Weekly")

    assert bundle == {
        "schema_version": 2, "podcast_id": "pod", "episode_id": "ep", "title": "Weekly",
        "window": {"start": "2026-03-01T00:00:00Z", "end": None}, "channels": ["@news"],
        "counts": {"collected": 2, "kept": 2, "filtered": 0}, "filtered": [],
        "messages": [
            {"id": 8, "channel": "@news", "date": "2026-03-01T00:08:00Z", "text": "plain words", "links": [],
             "reply_to": None, "forwarded_from": None, "edited": None, "views": None, "forwards": None,
             "media": None},
            {"id": 7, "channel": "@news", "date": "2026-03-01T08:30:00Z", "text": "שלום, world",
             "links": ["https://example.org/a"], "reply_to": 5, "forwarded_from": "@other",
             "edited": "2026-03-01T09:00:00Z", "views": 120, "forwards": 3, "media": {"type": "photo", "width": 10}},
        ],
    }
    data = bundle_json_bytes(bundle)
    assert data == json.dumps(bundle, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert "שלום".encode("utf-8") in data and b'"schema_version":2,' in data


def test_a_bundle_of_exactly_max_bytes_keeps_everything():
    messages = [msg(n, f"post number {n}") for n in range(1, 4)]
    whole = len(bundle_json_bytes(bundle_of(messages)))
    assert kept(bundle_of(messages, max_bytes=whole)) == [("@news", 1), ("@news", 2), ("@news", 3)]


def test_over_max_bytes_exactly_the_fewest_oldest_messages_go():
    # Whatever the limit, the bundle fits it, and putting back the newest message dropped would
    # not: the estimate never drops one message too many.
    # Twelve, so the count of filtered entries passes from one digit to two on the way.
    messages = [msg(n, f"post {n} " + "x" * (n * 7 % 23)) for n in range(1, 13)]
    smallest = len(bundle_json_bytes(bundle_of(messages[-1:]))) - 20
    whole = len(bundle_json_bytes(bundle_of(messages)))
    for limit in range(smallest, whole + 1):
        try:
            bundle = bundle_of(messages, max_bytes=limit)
        except SourceFailed as exc:  # only when even the bundle without any message is too big
            assert "without any message" in str(exc)
            continue
        assert len(bundle_json_bytes(bundle)) <= limit
        runs = [f for f in bundle["filtered"] if f["reason"] == "over_size"]
        dropped = runs[0].get("count", 1) if runs else 0
        assert [m["id"] for m in bundle["messages"]] == list(range(dropped + 1, 13))
        if dropped:
            assert runs == [{"id": 1, "channel": "@news", "reason": "over_size",
                             **({"count": dropped, "last_id": dropped} if dropped > 1 else {})}]
            # One message fewer dropped would not fit.
            fewer = bundle_of(messages[dropped - 1:], max_bytes=10**9)
            fewer["filtered"] = ([{"id": 1, "channel": "@news", "reason": "over_size",
                                   **({"count": dropped - 1, "last_id": dropped - 1} if dropped > 2 else {})}]
                                 if dropped > 1 else [])
            fewer["counts"] = {"collected": 12, "kept": 13 - dropped, "filtered": dropped - 1}
            assert len(bundle_json_bytes(fewer)) > limit, limit


def test_max_messages_zero_keeps_nothing_and_a_negative_cap_is_no_cap():
    messages = [msg(n, f"post number {n}") for n in range(1, 4)]
    assert kept(bundle_of(messages, max_messages=0)) == []
    assert kept(bundle_of(messages, max_messages=-1)) == [("@news", 1), ("@news", 2), ("@news", 3)]
    assert reasons(bundle_of(messages, max_messages=3)) == []


def test_the_defaults_are_the_documented_settings_defaults():
    # MAX_MESSAGES 2000, MAX_BUNDLE_BYTES 5000000 (the README's configuration table).
    messages = [msg(n, f"post number {n}") for n in range(1, 2002)]
    assert reasons(bundle_of(messages)) == [("@news", 1, "over_cap")]
    one = [msg(1, "x")]
    overhead = len(bundle_json_bytes(bundle_of(one)))
    big = [msg(1, "x" * (5_000_000 - overhead + 1))]
    assert len(bundle_json_bytes(bundle_of(big))) == 5_000_000
    big = [msg(1, "x" * (5_000_000 - overhead + 2))]
    assert reasons(bundle_of(big)) == [("@news", 1, "over_size")]


def test_a_link_without_a_scheme_to_a_blocked_domain_is_blocked():
    bundle = bundle_of([msg(1, "a", links=("spam.example/offer",)), msg(2, "b", links=("ham.example/x",))],
                       blocked_domains=["spam.example"])
    assert reasons(bundle) == [("@news", 1, "blocked_domain")]


@pytest.mark.parametrize("domain", ["Spam.Example.", ".spam.example", "*.spam.example", " spam.example "])
def test_blocked_domains_are_written_in_any_usual_way(domain):
    bundle = bundle_of([msg(1, "a", links=("https://www.spam.example/offer",)), msg(2, "b")],
                       blocked_domains=[domain, "", "  "])
    assert reasons(bundle) == [("@news", 1, "blocked_domain")]


def test_a_link_with_no_host_or_that_cannot_be_parsed_blocks_nothing():
    bundle = bundle_of([msg(1, "a", links=("https://",)), msg(2, "b", links=("http://[::1",))],
                       blocked_domains=["spam.example"])
    assert kept(bundle) == [("@news", 1), ("@news", 2)]


def test_texts_differing_only_in_spacing_are_duplicates_but_not_texts_differing_in_words():
    bundle = bundle_of([msg(1, "release  notes\tout"), msg(2, "release notes out"), msg(3, "releasenotes out")])
    assert reasons(bundle) == [("@news", 2, "duplicate_text")]


def test_over_max_bytes_with_channels_interleaved_the_fewest_oldest_go_as_one_run_per_channel():
    from chalicelib.sources.bundle import _runs

    channels = ("@a", "@a-channel-with-a-much-longer-name-" + "x" * 60, "@שלום")
    messages = [msg(n, f"post {n} " + "y" * (n * 11 % 37), channel=channels[n % 3]) for n in range(1, 16)]
    whole = len(bundle_json_bytes(bundle_of(messages, channels=channels)))
    for limit in range(whole - 1500, whole + 1, 7):
        bundle = bundle_of(messages, channels=channels, max_bytes=limit)
        assert len(bundle_json_bytes(bundle)) <= limit
        dropped = 15 - len(bundle["messages"])
        assert [(m["channel"], m["id"]) for m in bundle["messages"]] == \
            [(m.channel, m.id) for m in messages[dropped:]]  # the newest stay
        assert bundle["filtered"] == _runs(messages[:dropped], "over_size")
        assert bundle["counts"] == {"collected": 15, "kept": 15 - dropped, "filtered": dropped}
        if dropped:  # and one message fewer dropped would not have fitted
            fewer = dict(bundle, messages=[message_to_json(m) for m in messages[dropped - 1:]],
                         filtered=_runs(messages[:dropped - 1], "over_size"),
                         counts={"collected": 15, "kept": 16 - dropped, "filtered": dropped - 1})
            assert len(bundle_json_bytes(fewer)) > limit, limit
