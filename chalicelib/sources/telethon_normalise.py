"""Telethon's ``Message`` → podcasto's ``Message``: the one place that reads Telethon types.

Only plain TL fields are read (``message.message``, ``entities``, ``media``, ...), never the
``telethon.tl.custom.Message`` conveniences that need a live client, so the same function works on
messages fresh from ``iter_messages`` and on ones built by hand in tests.
"""
from __future__ import annotations

from datetime import datetime, timezone

from telethon import helpers, utils
from telethon.tl import types

from chalicelib.sources.base import Media, Message


def normalise(message: types.TypeMessage, channel: str) -> Message | None:
    """One channel post as a ``Message``; ``None`` for what is not a post (service, empty)."""
    if not isinstance(message, types.Message):  # MessageService (joins, pins, ...), MessageEmpty
        return None
    text = message.message or ""
    links = _entity_links(text, message.entities or ())
    media = None
    if message.media is not None:
        media, media_links = _media(message.media)
        links = links + tuple(link for link in media_links if link not in links)
    return Message(
        id=message.id,
        channel=channel,
        date=_utc(message.date),
        text=text,
        links=links,
        reply_to=getattr(message.reply_to, "reply_to_msg_id", None),
        forwarded_from=_forwarded_from(message.fwd_from),
        edited=_utc(message.edit_date) if message.edit_date else None,
        views=message.views,
        forwards=message.forwards,
        media=media,
    )


def _utc(moment: datetime) -> datetime:
    # Telethon already hands out aware UTC datetimes; a naive one (hand-built) is taken as UTC.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _entity_links(text: str, entities) -> tuple[str, ...]:
    """URLs a post points at, in order, without repeats.

    The text itself is already plain (entities are annotations over it); what entities add is
    where the links are. Their offsets count UTF-16 code units, so slice a surrogate-expanded
    copy of the text, as Telethon's own markdown/HTML parsers do.
    """
    links: list[str] = []
    wide = None
    for entity in entities:
        if isinstance(entity, types.MessageEntityTextUrl):
            url = entity.url
        elif isinstance(entity, types.MessageEntityUrl):
            if wide is None:
                wide = helpers.add_surrogate(text)
            url = helpers.del_surrogate(wide[entity.offset:entity.offset + entity.length])
        else:
            continue
        if url and url not in links:
            links.append(url)
    return tuple(links)


def _forwarded_from(header: types.MessageFwdHeader | None) -> str | None:
    if header is None:
        return None
    if header.from_name:
        return header.from_name
    if header.from_id is not None:
        # The marked id (-100... for channels) is stable and names the peer without a lookup.
        return str(utils.get_peer_id(header.from_id))
    return header.post_author or header.saved_from_name or "unknown"


def _media(media) -> tuple[Media | None, tuple[str, ...]]:
    """The post's media (or ``None`` when it carries none) and any link it adds."""
    if isinstance(media, types.MessageMediaEmpty):
        return None, ()
    if isinstance(media, types.MessageMediaWebPage):
        # A link preview is not media the listener misses; the previewed URL is a link.
        url = getattr(media.webpage, "url", None)
        return None, (url,) if url else ()
    if isinstance(media, types.MessageMediaPhoto):
        return Media("photo", _photo_details(media.photo)), ()
    if isinstance(media, types.MessageMediaDocument):
        return _document(media), ()
    if isinstance(media, types.MessageMediaPoll):
        return Media("poll", _poll_details(media.poll)), ()
    if isinstance(media, types.MessageMediaVenue):
        details = {"title": media.title, "address": media.address, **_geo(media.geo)}
        return Media("venue", details), ()
    if isinstance(media, (types.MessageMediaGeo, types.MessageMediaGeoLive)):
        return Media("location", _geo(media.geo)), ()
    if isinstance(media, types.MessageMediaContact):
        # The name only: a phone number is personal data that has no place in a podcast.
        name = " ".join(part for part in (media.first_name, media.last_name) if part)
        return Media("contact", {"name": name} if name else {}), ()
    if isinstance(media, types.MessageMediaDice):
        return Media("dice", {"emoji": media.emoticon, "value": media.value}), ()
    if isinstance(media, types.MessageMediaGame):
        return Media("game", {"title": media.game.title}), ()
    if isinstance(media, types.MessageMediaInvoice):
        return Media("invoice", {"title": media.title, "description": media.description}), ()
    return Media("unknown", {"telegram_type": type(media).__name__}), ()


def _photo_details(photo) -> dict:
    sizes = [size for size in getattr(photo, "sizes", None) or () if hasattr(size, "w")]
    if not sizes:
        return {}
    largest = max(sizes, key=lambda size: size.w * size.h)
    return {"width": largest.w, "height": largest.h}


def _document(media: types.MessageMediaDocument) -> Media:
    document = media.document
    if not isinstance(document, types.Document):  # DocumentEmpty: expired or deleted
        return Media("file")
    attributes = {type(attr): attr for attr in document.attributes}
    details: dict = {"mime_type": document.mime_type}
    named = attributes.get(types.DocumentAttributeFilename)
    if named is not None:
        details["file_name"] = named.file_name

    sticker = attributes.get(types.DocumentAttributeSticker)
    if sticker is not None:
        return Media("sticker", {"emoji": sticker.alt} if sticker.alt else {})
    audio = attributes.get(types.DocumentAttributeAudio)
    if audio is not None:
        details["duration_seconds"] = audio.duration
        if audio.voice or media.voice:
            return Media("voice", details)
        if audio.title:
            details["title"] = audio.title
        if audio.performer:
            details["performer"] = audio.performer
        return Media("audio", details)
    video = attributes.get(types.DocumentAttributeVideo)
    if video is not None:
        details.update(duration_seconds=video.duration, width=video.w, height=video.h)
    # A GIF is sent as a silent looping video: it carries both attributes, and is an animation.
    if types.DocumentAttributeAnimated in attributes:
        return Media("animation", details)
    if video is not None:
        kind = "video_message" if (video.round_message or media.round) else "video"
        return Media(kind, details)
    return Media("file", details)


def _poll_details(poll: types.Poll) -> dict:
    return {
        "question": _plain(poll.question),
        "options": [_plain(answer.text) for answer in poll.answers],
    }


def _plain(text) -> str:
    # Layer 178 turned poll texts into TextWithEntities; older layers send plain strings.
    return text.text if isinstance(text, types.TextWithEntities) else str(text)


def _geo(point) -> dict:
    if isinstance(point, types.GeoPoint):
        return {"latitude": point.lat, "longitude": point.long}
    return {}  # GeoPointEmpty: the sender's location is unknown
