from datetime import datetime, timedelta, timezone

import pytest
from telethon.tl import types

from chalicelib.sources.base import Media
from chalicelib.sources.telethon_normalise import normalise

WHEN = datetime(2026, 3, 1, 12, 30, tzinfo=timezone.utc)
CHANNEL = 1234567


def message(**fields) -> types.Message:
    fields.setdefault("message", "")
    return types.Message(id=7, peer_id=types.PeerChannel(CHANNEL), date=WHEN, **fields)


def document(mime_type: str, *attributes) -> types.MessageMediaDocument:
    return types.MessageMediaDocument(
        document=types.Document(
            id=1, access_hash=2, file_reference=b"", date=WHEN, mime_type=mime_type,
            size=1024, dc_id=2, attributes=list(attributes),
        )
    )


def test_plain_fields_are_carried_over():
    edited = WHEN + timedelta(minutes=5)
    result = normalise(
        message(
            message="Hello listeners",
            reply_to=types.MessageReplyHeader(reply_to_msg_id=3),
            edit_date=edited,
            views=120,
            forwards=4,
        ),
        "@podcasto_news",
    )
    assert result.id == 7
    assert result.channel == "@podcasto_news"
    assert result.date == WHEN
    assert result.text == "Hello listeners"
    assert result.reply_to == 3
    assert result.edited == edited
    assert (result.views, result.forwards) == (120, 4)
    assert result.media is None
    assert result.forwarded_from is None
    assert result.links == ()


def test_dates_come_out_in_utc():
    plus_two = timezone(timedelta(hours=2))
    result = normalise(
        types.Message(id=1, peer_id=types.PeerChannel(CHANNEL), message="x",
                      date=WHEN.astimezone(plus_two)),
        "@c",
    )
    assert result.date.utcoffset() == timedelta(0)
    assert result.date == WHEN


def test_formatting_is_flattened_and_links_are_extracted():
    # "🎙" is outside the BMP: Telegram offsets count it as two UTF-16 units.
    text = "🎙 Bold news: read here and https://example.org/a"
    url_at = len("🎙 Bold news: read here and ") + 1  # +1 for the surrogate pair
    entities = [
        types.MessageEntityBold(offset=3, length=9),
        types.MessageEntityItalic(offset=0, length=2),
        types.MessageEntityTextUrl(offset=20, length=4, url="https://example.com/story"),
        types.MessageEntityUrl(offset=url_at, length=len("https://example.org/a")),
        types.MessageEntityTextUrl(offset=0, length=2, url="https://example.com/story"),
    ]
    result = normalise(message(message=text, entities=entities), "@c")
    assert result.text == text
    assert result.links == ("https://example.com/story", "https://example.org/a")


def test_a_link_preview_is_a_link_not_media():
    preview = types.MessageMediaWebPage(
        webpage=types.WebPage(id=1, url="https://example.net/page", display_url="example.net/page", hash=0)
    )
    result = normalise(message(message="look", media=preview), "@c")
    assert result.media is None
    assert result.links == ("https://example.net/page",)


def test_a_pending_preview_without_url_adds_nothing():
    preview = types.MessageMediaWebPage(webpage=types.WebPageEmpty(id=1))
    result = normalise(message(message="look", media=preview), "@c")
    assert result.media is None
    assert result.links == ()


def test_forwarded_from_a_named_sender():
    header = types.MessageFwdHeader(date=WHEN, from_name="Hidden Sender")
    assert normalise(message(fwd_from=header), "@c").forwarded_from == "Hidden Sender"


def test_forwarded_from_a_channel_is_its_marked_id():
    header = types.MessageFwdHeader(date=WHEN, from_id=types.PeerChannel(555), channel_post=9)
    # Marked ids are -(10**12 + id), as Telethon's utils.get_peer_id and the Bot API print them.
    assert normalise(message(fwd_from=header), "@c").forwarded_from == "-1000000000555"


def test_service_messages_are_not_posts():
    pinned = types.MessageService(
        id=8, peer_id=types.PeerChannel(CHANNEL), date=WHEN, action=types.MessageActionPinMessage()
    )
    assert normalise(pinned, "@c") is None


def photo():
    return types.MessageMediaPhoto(
        photo=types.Photo(
            id=1, access_hash=2, file_reference=b"", date=WHEN, dc_id=2,
            sizes=[
                types.PhotoStrippedSize(type="i", bytes=b"\x01"),
                types.PhotoSize(type="m", w=320, h=240, size=100),
                types.PhotoSize(type="y", w=1280, h=960, size=900),
            ],
        )
    )


STICKER_SET = types.InputStickerSetEmpty()

MEDIA_CASES = {
    "photo": (photo(), Media("photo", {"width": 1280, "height": 960})),
    "sticker": (
        document("image/webp", types.DocumentAttributeSticker(alt="😀", stickerset=STICKER_SET),
                 types.DocumentAttributeImageSize(w=512, h=512)),
        Media("sticker", {"emoji": "😀"}),
    ),
    "voice": (
        document("audio/ogg", types.DocumentAttributeAudio(duration=12, voice=True)),
        Media("voice", {"mime_type": "audio/ogg", "duration_seconds": 12}),
    ),
    "audio": (
        document("audio/mpeg", types.DocumentAttributeAudio(duration=200, title="Theme", performer="Band"),
                 types.DocumentAttributeFilename(file_name="theme.mp3")),
        Media("audio", {"mime_type": "audio/mpeg", "file_name": "theme.mp3", "duration_seconds": 200,
                        "title": "Theme", "performer": "Band"}),
    ),
    "video": (
        document("video/mp4", types.DocumentAttributeVideo(duration=30.5, w=1920, h=1080),
                 types.DocumentAttributeFilename(file_name="clip.mp4")),
        Media("video", {"mime_type": "video/mp4", "file_name": "clip.mp4", "duration_seconds": 30.5,
                        "width": 1920, "height": 1080}),
    ),
    "video_message": (
        document("video/mp4", types.DocumentAttributeVideo(duration=9, w=384, h=384, round_message=True)),
        Media("video_message", {"mime_type": "video/mp4", "duration_seconds": 9, "width": 384, "height": 384}),
    ),
    "animation": (
        document("video/mp4", types.DocumentAttributeVideo(duration=3, w=320, h=200),
                 types.DocumentAttributeAnimated()),
        Media("animation", {"mime_type": "video/mp4", "duration_seconds": 3, "width": 320, "height": 200}),
    ),
    "file": (
        document("application/pdf", types.DocumentAttributeFilename(file_name="notes.pdf")),
        Media("file", {"mime_type": "application/pdf", "file_name": "notes.pdf"}),
    ),
    "poll_with_entities": (
        types.MessageMediaPoll(
            poll=types.Poll(
                id=1, hash=0,
                question=types.TextWithEntities(text="Best episode?", entities=[]),
                answers=[
                    types.PollAnswer(text=types.TextWithEntities(text="First", entities=[]), option=b"0"),
                    types.PollAnswer(text=types.TextWithEntities(text="Second", entities=[]), option=b"1"),
                ],
            ),
            results=types.PollResults(),
        ),
        Media("poll", {"question": "Best episode?", "options": ["First", "Second"]}),
    ),
    "location": (
        types.MessageMediaGeo(geo=types.GeoPoint(long=34.78, lat=32.08, access_hash=0)),
        Media("location", {"latitude": 32.08, "longitude": 34.78}),
    ),
    "venue": (
        types.MessageMediaVenue(
            geo=types.GeoPoint(long=34.78, lat=32.08, access_hash=0), title="Studio",
            address="1 Main St", provider="foursquare", venue_id="v1", venue_type="",
        ),
        Media("venue", {"title": "Studio", "address": "1 Main St", "latitude": 32.08, "longitude": 34.78}),
    ),
    "contact": (
        types.MessageMediaContact(phone_number="+15551234567", first_name="Dana", last_name="Levi",
                                  vcard="", user_id=0),
        Media("contact", {"name": "Dana Levi"}),
    ),
    "dice": (types.MessageMediaDice(value=6, emoticon="🎲"), Media("dice", {"emoji": "🎲", "value": 6})),
    "game": (
        types.MessageMediaGame(game=types.Game(id=1, access_hash=2, short_name="g", title="Quiz",
                                               description="d", photo=types.PhotoEmpty(id=1))),
        Media("game", {"title": "Quiz"}),
    ),
    "invoice": (
        types.MessageMediaInvoice(title="Support us", description="Monthly", currency="USD",
                                  total_amount=500, start_param=""),
        Media("invoice", {"title": "Support us", "description": "Monthly"}),
    ),
    "unknown": (types.MessageMediaUnsupported(), Media("unknown", {"telegram_type": "MessageMediaUnsupported"})),
}


@pytest.mark.parametrize("case", sorted(MEDIA_CASES))
def test_every_media_kind_is_named(case):
    media, expected = MEDIA_CASES[case]
    assert normalise(message(media=media), "@c").media == expected


def test_media_kinds_match_the_shared_vocabulary():
    vocabulary = {"photo", "video", "video_message", "animation", "voice", "audio", "sticker", "file",
                  "poll", "location", "venue", "contact", "dice", "game", "invoice", "unknown"}
    assert {expected.type for _, expected in MEDIA_CASES.values()} == vocabulary


def test_a_contact_never_carries_the_phone_number():
    media, _ = MEDIA_CASES["contact"]
    result = normalise(message(media=media), "@c")
    assert "5551234567" not in repr(result)


def test_polls_from_older_layers_with_plain_strings():
    legacy = types.MessageMediaPoll(
        poll=types.Poll(id=1, hash=0, question="Old?",
                        answers=[types.PollAnswer(text="Yes", option=b"0")]),
        results=types.PollResults(),
    )
    assert normalise(message(media=legacy), "@c").media == Media("poll", {"question": "Old?", "options": ["Yes"]})


def test_voice_flag_on_the_media_marks_a_voice_note():
    media = document("audio/ogg", types.DocumentAttributeAudio(duration=5))
    media.voice = True
    assert normalise(message(media=media), "@c").media.type == "voice"


def test_an_expired_document_is_a_file():
    media = types.MessageMediaDocument(document=types.DocumentEmpty(id=1))
    assert normalise(message(media=media), "@c").media == Media("file")
