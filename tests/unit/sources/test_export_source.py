"""TelegramExportSource against the bundled examples and small hand-made exports in Desktop's shape."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from chalicelib.domain import Window
from chalicelib.errors import SourceFailed
from chalicelib.sources.export import TelegramExportSource, flatten_text

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
DEMO = EXAMPLES / "demo-export" / "result.json"
HEBREW = EXAMPLES / "hebrew-export" / "result.json"
FULL = EXAMPLES / "full-account-export" / "result.json"
OPEN = Window(start=None, end=None)
PLACEHOLDER = "(File not included. Change data exporting settings to download.)"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def raw(mid: int, when: datetime, **fields) -> dict:
    """One exported message the way Desktop writes it (plain text unless told otherwise)."""
    message = {
        "id": mid,
        "type": "message",
        "date": when.strftime("%Y-%m-%dT%H:%M:%S"),
        "date_unixtime": str(int(when.timestamp())),
        "from": "Test Channel",
        "from_id": "channel42",
    }
    message.update(fields)
    message.setdefault("text", "")
    return message


def write(tmp_path: Path, export: dict | list | str) -> Path:
    path = tmp_path / "result.json"
    path.write_text(export if isinstance(export, str) else json.dumps(export), encoding="utf-8")
    return path


def single(tmp_path: Path, messages: list[dict], name: str = "Test Channel") -> TelegramExportSource:
    export = {"name": name, "type": "public_channel", "id": 42, "messages": messages}
    return TelegramExportSource(write(tmp_path, export))


def by_id(collection) -> dict:
    return {m.id: m for m in collection.messages}


@pytest.fixture(scope="module")
def demo():
    return TelegramExportSource(DEMO).collect(OPEN)


@pytest.fixture(scope="module")
def demo_messages(demo):
    return by_id(demo)


# -- the English demo export ------------------------------------------------------------------


def test_demo_keeps_every_post_oldest_first_and_lists_service_messages(demo):
    assert demo.channels == ["Byte Brief"]
    assert len(demo.messages) == 24
    assert [m.date for m in demo.messages] == sorted(m.date for m in demo.messages)
    assert demo.skipped == [
        {"id": i, "channel": "Byte Brief", "reason": "service"} for i in (1, 4, 22, 28)
    ]
    assert {1, 4, 22, 28}.isdisjoint(m.id for m in demo.messages)


def test_plain_text_message(demo_messages):
    m = demo_messages[2]
    assert m.text.startswith("Welcome to Byte Brief! Every weekday we post 3 to 5")
    assert m.text.endswith("Send tips to tips@bytebrief.example.")
    assert m.links == ()  # an e-mail address is not a link to share
    assert m.channel == "Byte Brief"
    assert m.date == utc(2026, 11, 16, 8, 0, 40)
    assert m.media is None and m.reply_to is None and m.forwarded_from is None and m.edited is None


def test_formatted_text_is_flattened_and_link_entities_become_links(demo_messages):
    m = demo_messages[3]
    assert m.text.startswith("Chipmaker Veridian posts a record quarter\nRevenue rose 34%")
    assert "#earnings #semiconductors" in m.text
    assert "{" not in m.text and "**" not in m.text
    assert m.links == ("https://news.example.com/2026/11/veridian-q3",)


def test_text_link_href_is_a_link_and_its_label_stays_in_the_text(demo_messages):
    m = demo_messages[7]
    assert "Read our explainer on how passkeys work" in m.text
    assert "@secure_weekly" in m.text
    assert m.links == ("https://bytebrief.example/explainers/passkeys",)


def test_reply_forward_and_edit(demo_messages):
    assert demo_messages[6].reply_to == 3
    assert demo_messages[8].forwarded_from == "Open Source Digest"
    assert demo_messages[8].links == ("https://kernel.example.org/releases/6.18",)
    assert demo_messages[9].edited == utc(2026, 11, 17, 14, 3, 51)


def test_photo_with_caption_and_photo_only(demo_messages):
    captioned, bare = demo_messages[5], demo_messages[10]
    assert captioned.text.startswith("Launch day: the Aurora X2 phone ships on 21 November 2026")
    assert captioned.media.type == "photo"
    assert captioned.media.details == {"width": 1280, "height": 853}
    assert bare.text == ""
    assert bare.media.type == "photo"
    assert bare.media.details == {"width": 1600, "height": 1067}


def test_video_voice_sticker_file_audio_animation_video_message(demo_messages):
    assert demo_messages[11].media.to_json() == {
        "type": "video", "file_name": "engine-demo.mp4", "mime_type": "video/mp4",
        "duration_seconds": 92, "width": 1920, "height": 1080,
    }
    assert demo_messages[12].media.to_json() == {
        "type": "voice", "duration_seconds": 47, "mime_type": "audio/ogg",
    }
    assert demo_messages[13].media.to_json() == {"type": "sticker", "emoji": "👍"}
    assert demo_messages[14].media.to_json() == {
        "type": "file", "file_name": "ai-safety-talk.pdf", "mime_type": "application/pdf",
        "size_bytes": 3145728,
    }
    assert demo_messages[24].media.to_json() == {
        "type": "audio", "performer": "Byte Brief", "title": "Weekly Roundup #47",
        "file_name": "byte-brief-47.mp3", "mime_type": "audio/mpeg", "duration_seconds": 1834,
    }
    assert demo_messages[25].media.type == "animation"
    assert demo_messages[25].media.details["duration_seconds"] == 4
    assert demo_messages[26].media.to_json() == {"type": "video_message", "duration_seconds": 38}


def test_poll(demo_messages):
    assert demo_messages[15].media.to_json() == {
        "type": "poll",
        "question": "Which OS do you use for development?",
        "options": ["macOS", "Linux", "Windows", "ChromeOS"],
        "option_voters": [412, 389, 276, 23],
        "total_voters": 1100,
        "closed": False,
    }


def test_location(demo_messages):
    assert demo_messages[17].media.to_json() == {
        "type": "location", "latitude": 38.768083, "longitude": -9.094211,
    }


def test_contact_keeps_the_name_and_never_the_phone_number(demo_messages):
    m = demo_messages[18]
    assert m.media.to_json() == {"type": "contact", "name": "Maya Okafor"}
    assert "7946" not in repr(m)


def test_no_file_placeholder_or_path_reaches_a_message(demo):
    for m in demo.messages:
        dumped = m.text + json.dumps(m.media.to_json() if m.media else {}, ensure_ascii=False)
        assert "not included" not in dumped
        assert "photos/" not in dumped and "video_files/" not in dumped


def test_scheme_less_link_gets_http_and_urls_in_code_are_not_links(demo_messages):
    assert demo_messages[20].links == ("http://www.mobile-report.example/q3-2026",)
    roundup = demo_messages[27]
    assert "curl -s https://api.bytebrief.example/v2/top?week=47" in roundup.text
    assert roundup.links == ("https://bytebrief.example/archive/2026-w47",)


def test_spoiler_strike_underline_and_custom_emoji_text_is_kept(demo_messages):
    assert "Ending spoiler: the station was the ship all along." in demo_messages[23].text
    assert demo_messages[27].text.endswith("#roundup 🚀")


# -- the Hebrew export ------------------------------------------------------------------------


def test_hebrew_export_uses_date_unixtime_not_the_exporters_local_date():
    collection = TelegramExportSource(HEBREW).collect(OPEN)
    messages = by_id(collection)
    assert collection.channels == ["טק בקצרה"]
    assert len(collection.messages) == 12
    assert collection.skipped == [{"id": 1, "channel": "טק בקצרה", "reason": "service"}]
    # The file says 08:05:10 (Israel, UTC+2); the instant is 06:05:10 UTC.
    assert messages[2].date == utc(2026, 11, 16, 6, 5, 10)
    assert messages[3].text.startswith("סטארט-אפ ישראלי גייס 45 מיליון דולר")
    assert messages[3].links == ("https://www.calcalist.example/tech/netshield-series-b",)
    assert messages[4].media.type == "photo"
    assert messages[5].reply_to == 3
    assert messages[6].forwarded_from == "גיקטיים"
    assert messages[10].media.details["options"] == ["פייתון", "ג'אווהסקריפט", "ראסט"]
    assert messages[11].links == ("https://reports.example.co.il/memory-q3",)
    assert "לדוח המלא" in messages[11].text


# -- windows ----------------------------------------------------------------------------------


def test_window_start_is_inclusive_and_end_exclusive(tmp_path):
    start, end = utc(2026, 11, 16), utc(2026, 11, 17)
    source = single(tmp_path, [
        raw(1, utc(2026, 11, 15, 23, 59, 59), text="just before"),
        raw(2, start, text="at the start"),
        raw(3, utc(2026, 11, 16, 23, 59, 59), text="last second inside"),
        raw(4, end, text="at the end"),
    ])
    collection = source.collect(Window(start=start, end=end))
    assert [m.id for m in collection.messages] == [2, 3]


def test_service_messages_outside_the_window_are_not_listed(tmp_path):
    source = single(tmp_path, [
        raw(1, utc(2026, 11, 1), type="service", action="create_channel"),
        raw(2, utc(2026, 11, 20), type="service", action="pin_message", message_id=3),
        raw(3, utc(2026, 11, 20, 1), text="inside"),
    ])
    collection = source.collect(Window(start=utc(2026, 11, 16), end=utc(2026, 11, 23)))
    assert [m.id for m in collection.messages] == [3]
    assert collection.skipped == [{"id": 2, "channel": "Test Channel", "reason": "service"}]


def test_demo_window_selects_one_day():
    collection = TelegramExportSource(DEMO).collect(
        Window(start=utc(2026, 11, 18), end=utc(2026, 11, 19))
    )
    assert [m.id for m in collection.messages] == [11, 12, 13, 14]
    assert collection.skipped == []


def test_messages_come_out_oldest_first_even_when_the_file_is_not(tmp_path):
    source = single(tmp_path, [
        raw(2, utc(2026, 11, 16, 12), text="second"),
        raw(1, utc(2026, 11, 16, 9), text="first"),
    ])
    assert [m.id for m in source.collect(OPEN).messages] == [1, 2]


# -- dates, text shapes and message fields ------------------------------------------------------


def test_date_without_unixtime_is_read_as_utc(tmp_path):
    message = raw(1, utc(2026, 11, 16, 9), text="old export")
    del message["date_unixtime"]
    (m,) = single(tmp_path, [message]).collect(OPEN).messages
    assert m.date == utc(2026, 11, 16, 9)


def test_edited_without_unixtime_is_read_as_utc(tmp_path):
    message = raw(1, utc(2026, 11, 16, 9), text="x", edited="2026-11-16T10:30:00")
    (m,) = single(tmp_path, [message]).collect(OPEN).messages
    assert m.edited == utc(2026, 11, 16, 10, 30)


def test_text_list_without_text_entities_as_in_older_exports(tmp_path):
    message = raw(1, utc(2026, 11, 16), text=[
        "See ", {"type": "link", "text": "example.com/a"}, " and ",
        {"type": "text_link", "text": "this", "href": "https://b.example/x"}, " by ",
        {"type": "mention_name", "text": "Ann Lee", "user_id": 12345},
    ])
    (m,) = single(tmp_path, [message]).collect(OPEN).messages
    assert m.text == "See example.com/a and this by Ann Lee"
    assert m.links == ("http://example.com/a", "https://b.example/x")


def test_text_entities_are_preferred_and_agree_with_text():
    parts = ["Hi ", {"type": "bold", "text": "there"}]
    entities = [{"type": "plain", "text": "Hi "}, {"type": "bold", "text": "there"}]
    assert flatten_text(parts) == flatten_text(entities) == ("Hi there", ())


def test_urls_in_plain_text_are_found_without_trailing_punctuation():
    text, links = flatten_text(
        "Read https://a.example/x. Also (see https://b.example/wiki/Foo_(bar)), "
        "www.c.example! and https://a.example/x again"
    )
    assert links == (
        "https://a.example/x", "https://b.example/wiki/Foo_(bar)", "http://www.c.example",
    )
    assert text.startswith("Read https://a.example/x.")


def test_every_entity_type_flattens_to_its_text():
    kinds = ["bold", "italic", "link", "mention", "mention_name", "hashtag", "cashtag",
             "bot_command", "code", "pre", "email", "phone", "spoiler", "strikethrough",
             "underline", "blockquote", "custom_emoji", "bank_card", "plain", "unknown"]
    parts = [{"type": k, "text": k.upper()} for k in kinds]
    text, _ = flatten_text(parts)
    assert text == "".join(k.upper() for k in kinds)


def test_placeholder_text_never_survives_in_text():
    text, _ = flatten_text(f"Attachment {PLACEHOLDER} here")
    assert "not included" not in text


def test_reply_to_another_chat_is_not_a_reply_here(tmp_path):
    message = raw(5, utc(2026, 11, 16), text="x", reply_to_message_id=3,
                  reply_to_peer_id="channel777")
    (m,) = single(tmp_path, [message]).collect(OPEN).messages
    assert m.reply_to is None


def test_forward_from_a_hidden_sender_is_marked_unknown(tmp_path):
    (m,) = single(tmp_path, [raw(1, utc(2026, 11, 16), text="x", forwarded_from=None)]) \
        .collect(OPEN).messages
    assert m.forwarded_from == "unknown"


def test_views_and_forwards_are_read_when_present(tmp_path):
    messages = [raw(1, utc(2026, 11, 16), text="x", views=1520, forwards=33),
                raw(2, utc(2026, 11, 17), text="y")]
    first, second = single(tmp_path, messages).collect(OPEN).messages
    assert (first.views, first.forwards) == (1520, 33)
    assert (second.views, second.forwards) == (None, None)


def test_unsupported_entries_are_reported_with_their_neighbours_window(tmp_path):
    source = single(tmp_path, [
        raw(1, utc(2026, 11, 10), text="before the window"),
        {"id": 2, "type": "unsupported"},
        raw(3, utc(2026, 11, 16), text="inside"),
        {"id": 4, "type": "unsupported"},
        raw(5, utc(2026, 11, 16, 1), text="inside too"),
    ])
    collection = source.collect(Window(start=utc(2026, 11, 15), end=None))
    assert [m.id for m in collection.messages] == [3, 5]
    assert collection.skipped == [{"id": 4, "channel": "Test Channel", "reason": "unsupported"}]


def test_message_without_an_integer_id_is_reported_as_malformed(tmp_path):
    broken = raw(1, utc(2026, 11, 16), text="x")
    broken["id"] = "seven"
    collection = single(tmp_path, [broken]).collect(OPEN)
    assert collection.messages == []
    assert collection.skipped == [{"id": "seven", "channel": "Test Channel", "reason": "malformed"}]


# -- media Desktop writes that the demo does not carry ----------------------------------------


def media_of(tmp_path: Path, **fields):
    (m,) = single(tmp_path, [raw(1, utc(2026, 11, 16), **fields)]).collect(OPEN).messages
    return m.media.to_json() if m.media else None


def test_venue(tmp_path):
    assert media_of(
        tmp_path, place_name="Tech Hub", address="1 Main St",
        location_information={"latitude": 32.08, "longitude": 34.78},
    ) == {"type": "venue", "title": "Tech Hub", "address": "1 Main St",
          "latitude": 32.08, "longitude": 34.78}


def test_live_location(tmp_path):
    assert media_of(
        tmp_path, location_information={"latitude": 1.5, "longitude": 2.5},
        live_location_period_seconds=900,
    ) == {"type": "location", "latitude": 1.5, "longitude": 2.5, "live_period_seconds": 900}


def test_game(tmp_path):
    assert media_of(
        tmp_path, game_title="Lumberjack", game_description="Chop!",
        game_link="https://t.me/gamebot?game=lumberjack",
    ) == {"type": "game", "title": "Lumberjack", "description": "Chop!"}


def test_invoice(tmp_path):
    assert media_of(tmp_path, invoice_information={
        "title": "Ticket", "description": "Meetup entry", "amount": 1500, "currency": "EUR",
    }) == {"type": "invoice", "title": "Ticket", "description": "Meetup entry",
           "amount_minor_units": 1500, "currency": "EUR"}


def test_dice_in_the_bot_api_shape(tmp_path):
    assert media_of(tmp_path, dice={"emoji": "🎲", "value": 5}) == {
        "type": "dice", "emoji": "🎲", "value": 5,
    }


def test_dice_as_desktop_writes_it_is_an_empty_message(tmp_path):
    # Desktop's ParseMedia skips dice: the export holds a bare message with empty text.
    (m,) = single(tmp_path, [raw(1, utc(2026, 11, 16))]).collect(OPEN).messages
    assert (m.text, m.media) == ("", None)


def test_document_without_downloaded_file_name_uses_neither_placeholder_nor_path(tmp_path):
    assert media_of(tmp_path, file=PLACEHOLDER, mime_type="application/zip") == {
        "type": "file", "mime_type": "application/zip",
    }
    assert media_of(tmp_path, file="files/report 2026.pdf") == {
        "type": "file", "file_name": "report 2026.pdf",
    }


def test_photo_with_unavailable_file_and_no_size(tmp_path):
    assert media_of(tmp_path, photo="(File unavailable, please try again later)") == {
        "type": "photo",
    }


def test_unknown_media_type_and_unmodelled_media(tmp_path):
    assert media_of(tmp_path, file=PLACEHOLDER, media_type="hologram") == {
        "type": "unknown", "kind": "hologram",
    }
    assert media_of(tmp_path, giveaway_information={"quantity": 3}) == {
        "type": "unknown", "kind": "giveaway",
    }


def test_contact_without_a_name_keeps_no_phone(tmp_path):
    assert media_of(tmp_path, contact_information={
        "first_name": "", "last_name": "", "phone_number": "+1 555 010 0100",
    }) == {"type": "contact"}


# -- layouts and choosing a chat ----------------------------------------------------------------


def test_full_account_export_by_name_and_by_id():
    by_name = TelegramExportSource(FULL, chat="Team Announcements").collect(OPEN)
    by_id_ = TelegramExportSource(FULL, chat="1977001234").collect(OPEN)
    marked = TelegramExportSource(FULL, chat="-1001977001234").collect(OPEN)
    assert by_name.channels == by_id_.channels == marked.channels == ["Team Announcements"]
    assert [m.text for m in by_name.messages][0] == "Office closed on Friday 20 November for the offsite."
    assert by_name.messages == by_id_.messages == marked.messages


def test_chat_name_match_falls_back_to_case_insensitive():
    collection = TelegramExportSource(FULL, chat="byte brief").collect(OPEN)
    assert collection.channels == ["Byte Brief"]
    assert len(collection.messages) == 3


def test_personal_chat_can_be_chosen_explicitly():
    collection = TelegramExportSource(FULL, chat="Sam Rivera").collect(OPEN)
    assert [m.text for m in collection.messages][1] == "Yes, see you at 18:30."
    assert collection.messages[1].reply_to == 1


def test_without_chat_several_channels_is_an_error_listing_them():
    source = TelegramExportSource(FULL)
    with pytest.raises(SourceFailed) as caught:
        source.collect(OPEN)
    message = str(caught.value)
    for expected in ("Byte Brief", "1843920571", "Team Announcements", "1977001234",
                     "Sam Rivera", "5512345678"):
        assert expected in message


def test_without_chat_the_only_channel_is_used(tmp_path):
    export = json.loads(FULL.read_text(encoding="utf-8"))
    export["chats"]["list"] = [c for c in export["chats"]["list"] if c["name"] != "Byte Brief"]
    collection = TelegramExportSource(write(tmp_path, export)).collect(OPEN)
    assert collection.channels == ["Team Announcements"]


def test_without_chat_and_no_channel_is_an_error(tmp_path):
    export = json.loads(FULL.read_text(encoding="utf-8"))
    export["chats"]["list"] = [c for c in export["chats"]["list"] if c["type"] == "personal_chat"]
    source = TelegramExportSource(write(tmp_path, export))
    with pytest.raises(SourceFailed, match="no channel.*Sam Rivera"):
        source.collect(OPEN)


def test_unknown_chat_is_an_error_listing_the_chats():
    source = TelegramExportSource(FULL, chat="Nope")
    with pytest.raises(SourceFailed) as caught:
        source.collect(OPEN)
    assert "'Nope'" in str(caught.value)
    assert "Byte Brief (id 1843920571, public_channel)" in str(caught.value)


def test_left_channels_can_be_chosen(tmp_path):
    export = json.loads(FULL.read_text(encoding="utf-8"))
    export["left_chats"]["list"] = [{
        "name": "Old News", "type": "public_channel", "id": 99,
        "messages": [raw(1, utc(2026, 11, 16), text="archived post")],
    }]
    collection = TelegramExportSource(write(tmp_path, export), chat="Old News").collect(OPEN)
    assert [m.text for m in collection.messages] == ["archived post"]


def test_two_chats_with_one_name_ask_for_an_id(tmp_path):
    twin = {"name": "Twin", "type": "public_channel", "messages": []}
    export = {"chats": {"list": [dict(twin, id=1), dict(twin, id=2)]}}
    source = TelegramExportSource(write(tmp_path, export), chat="Twin")
    with pytest.raises(SourceFailed, match="choose one by id.*id 1.*id 2"):
        source.collect(OPEN)


def test_single_chat_export_accepts_its_own_name_or_id_and_refuses_others():
    assert TelegramExportSource(DEMO, chat="Byte Brief").collect(OPEN).channels == ["Byte Brief"]
    assert TelegramExportSource(DEMO, chat="1843920571").collect(OPEN).channels == ["Byte Brief"]
    source = TelegramExportSource(DEMO, chat="Team Announcements")
    with pytest.raises(SourceFailed, match="Byte Brief \\(id 1843920571"):
        source.collect(OPEN)


def test_a_folder_holding_result_json_is_accepted():
    assert TelegramExportSource(DEMO.parent).collect(OPEN).channels == ["Byte Brief"]


# -- unreadable input ----------------------------------------------------------------------------


def test_construction_does_no_io(tmp_path):
    TelegramExportSource(tmp_path / "missing.json")


def test_missing_file(tmp_path):
    source = TelegramExportSource(tmp_path / "missing.json")
    with pytest.raises(SourceFailed, match="not found: .*missing.json"):
        source.collect(OPEN)


def test_malformed_json(tmp_path):
    source = TelegramExportSource(write(tmp_path, '{"name": "x", "messages": [}'))
    with pytest.raises(SourceFailed, match="not valid JSON"):
        source.collect(OPEN)


def test_json_that_is_not_an_export(tmp_path):
    source = TelegramExportSource(write(tmp_path, [1, 2, 3]))
    with pytest.raises(SourceFailed, match="not a Telegram Desktop JSON export"):
        source.collect(OPEN)


def test_undecodable_bytes(tmp_path):
    path = tmp_path / "result.json"
    path.write_bytes(b'{"name": "\xff\xfe"}')
    with pytest.raises(SourceFailed, match="cannot read"):
        TelegramExportSource(path).collect(OPEN)


# --- photo files -----------------------------------------------------------------------------

def photo_export(tmp_path: Path, photo_paths: list[str]) -> TelegramExportSource:
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "photo_1.jpg").write_bytes(b"jpeg-1")
    (tmp_path.parent / "secret.txt").write_text("not part of the export")
    messages = [raw(n, utc(2026, 3, 1, n), photo=path, text=f"caption {n}")
                for n, path in enumerate(photo_paths, start=1)]
    return single(tmp_path, messages)


def test_an_exported_photo_file_is_delivered_from_the_export_folder(tmp_path):
    export = photo_export(tmp_path, ["photos/photo_1.jpg", PLACEHOLDER, "photos/missing.jpg"])
    export.collect(OPEN)
    delivered = []

    export.fetch_photos([("Test Channel", 1), ("Test Channel", 2), ("Test Channel", 3)],
                        lambda channel, mid, data: delivered.append((channel, mid, data)))

    assert delivered == [("Test Channel", 1, b"jpeg-1")]  # not downloaded, not there: skipped


@pytest.mark.parametrize("path", ["../secret.txt", "photos/../../secret.txt", "/etc/passwd"])
def test_a_photo_path_outside_the_export_folder_is_never_read(tmp_path, path):
    folder = tmp_path / "export"
    folder.mkdir()
    export = photo_export(folder, [path])
    export.collect(OPEN)
    delivered = []

    export.fetch_photos([("Test Channel", 1)], lambda *args: delivered.append(args))

    assert delivered == []
