"""An in-process stand-in for ``telethon.TelegramClient``: Telegram without the network.

It has only the methods ``TelethonSource`` calls, with TelegramClient's own signatures (async
where Telethon's are), yields Telethon's real TL objects and raises Telethon's real errors.
``iter_messages`` follows Telethon's documented reverse semantics: oldest first, ``offset_date``
and ``min_id`` exclusive, and it pages 100 messages per simulated ``GetHistoryRequest``.

Failures are scripted: ``fail_on`` maps a method name to a list of exceptions raised by its next
calls (one per call); ``flood_after`` maps a channel id to ``[(n, seconds), ...]``, raising
``FloodWaitError(seconds)`` mid-iteration once ``n`` messages were yielded by that call.
``photos`` maps ``(channel_id, message_id)`` to the bytes ``download_media(..., file=bytes)``
returns for that post; a photo not in it downloads as ``None``, as Telethon answers for an
empty photo.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from telethon import errors
from telethon.tl import types

PAGE = 100
T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)


def channel(channel_id: int, username: str | None) -> types.Channel:
    return types.Channel(
        id=channel_id,
        title=f"Channel {channel_id}",
        photo=types.ChatPhotoEmpty(),
        date=T0,
        broadcast=True,
        access_hash=channel_id * 7,
        username=username,
    )


def post(channel_id: int, msg_id: int, date: datetime, text: str = "", **fields) -> types.Message:
    return types.Message(
        id=msg_id, peer_id=types.PeerChannel(channel_id), date=date, message=text, **fields
    )


def photo_post(channel_id: int, msg_id: int, date: datetime, caption: str = "") -> types.Message:
    photo = types.Photo(
        id=msg_id * 1000, access_hash=msg_id, file_reference=b"ref", date=date, dc_id=2,
        sizes=[types.PhotoSize(type="x", w=800, h=600, size=52_000),
               types.PhotoSize(type="y", w=1280, h=960, size=98_000)],
    )
    return post(channel_id, msg_id, date, caption, media=types.MessageMediaPhoto(photo=photo))


def service(channel_id: int, msg_id: int, date: datetime) -> types.MessageService:
    return types.MessageService(
        id=msg_id,
        peer_id=types.PeerChannel(channel_id),
        date=date,
        action=types.MessageActionPinMessage(),
    )


def hourly_posts(channel_id: int, count: int, *, start: datetime = T0, first_id: int = 1):
    return [
        post(channel_id, first_id + n, start + timedelta(hours=n), f"post {first_id + n}")
        for n in range(count)
    ]


class TelegramDouble:
    def __init__(self, channels=(), history=None, *, authorized=True, fail_on=None,
                 flood_after=None, known_by_id=True, photos=None):
        self.channels = {chan.id: chan for chan in channels}
        self.history = {cid: sorted(msgs, key=lambda m: m.id) for cid, msgs in (history or {}).items()}
        self.authorized = authorized
        self.fail_on = {name: list(excs) for name, excs in (fail_on or {}).items()}
        self.flood_after = {cid: list(plan) for cid, plan in (flood_after or {}).items()}
        # A fresh StringSession knows no entity by id until the dialogs are loaded.
        self._cached_ids = set(self.channels) if known_by_id else set()
        self.calls: list[tuple] = []
        self.requests = 0  # simulated GetHistoryRequest count
        self.wait_times: list = []  # what each iter_messages call asked Telethon to pause
        self.connected = False
        self.photos = dict(photos or {})
        self.downloads: list[tuple[int, int]] = []  # (channel id, message id) per download

    def _maybe_fail(self, name: str) -> None:
        pending = self.fail_on.get(name)
        if pending:
            raise pending.pop(0)

    async def connect(self) -> None:
        self.calls.append(("connect",))
        self._maybe_fail("connect")
        self.connected = True

    async def disconnect(self):
        self.calls.append(("disconnect",))
        self.connected = False

    async def is_user_authorized(self) -> bool:
        self.calls.append(("is_user_authorized",))
        self._maybe_fail("is_user_authorized")
        return self.authorized

    async def get_dialogs(self, *args, **kwargs):
        self.calls.append(("get_dialogs",))
        self._cached_ids = set(self.channels)
        return list(self.channels.values())

    async def get_entity(self, entity):
        self.calls.append(("get_entity", entity))
        assert self.connected, "get_entity before connect"
        self._maybe_fail("get_entity")
        if isinstance(entity, str):
            for chan in self.channels.values():
                if chan.username and chan.username.lower() == entity.lower():
                    return chan
            raise ValueError(f'No user has "{entity}" as username')
        if isinstance(entity, types.PeerChannel):
            if entity.channel_id in self._cached_ids:
                return self.channels[entity.channel_id]
            raise ValueError(f"Could not find the input entity for {entity!r}")
        raise NotImplementedError(f"the double does not resolve {entity!r}")

    async def download_media(self, message, file=None, *, thumb=None, progress_callback=None):
        self.calls.append(("download_media", message.id))
        assert self.connected, "download_media before connect"
        if file is not bytes or thumb is not None:
            raise NotImplementedError("the double only downloads whole media into memory")
        self._maybe_fail("download_media")
        key = (message.peer_id.channel_id, message.id)
        self.downloads.append(key)
        if not isinstance(message.media, types.MessageMediaPhoto):
            raise NotImplementedError("the double only downloads photos")
        return self.photos.get(key)

    def iter_messages(self, entity, limit=None, *, offset_date=None, offset_id=0, max_id=0,
                      min_id=0, add_offset=0, search=None, filter=None, from_user=None,
                      wait_time=None, ids=None, reverse=False, reply_to=None, scheduled=False):
        self.calls.append(("iter_messages", entity.id, offset_date, min_id))
        self.wait_times.append(wait_time)
        unsupported = dict(offset_id=offset_id, max_id=max_id, add_offset=add_offset,
                           search=search, filter=filter, from_user=from_user, ids=ids,
                           reply_to=reply_to, scheduled=scheduled)
        if not reverse or any(unsupported.values()):
            raise NotImplementedError("the double only reads history oldest first")
        return self._iterate(entity, limit, offset_date, min_id)

    async def _iterate(self, entity, limit, offset_date, min_id):
        assert self.connected, "iter_messages before connect"
        self._maybe_fail("iter_messages")
        if not isinstance(entity, types.Channel):
            raise errors.ChannelInvalidError(request=None)
        chosen = [
            m for m in self.history.get(entity.id, [])
            if m.id > min_id and (offset_date is None or m.date > offset_date)
        ]
        if limit is not None:
            chosen = chosen[:limit]
        plan = self.flood_after.get(entity.id, [])
        for n, message in enumerate(chosen):
            if plan and plan[0][0] == n:
                raise errors.FloodWaitError(request=None, capture=plan.pop(0)[1])
            if n % PAGE == 0:
                self.requests += 1
            yield message
