"""Telegram channel references: what an admin may type, checked before any network call.

Accepted: ``@username``, ``username``, ``t.me/username`` (with or without ``https://``, also
``telegram.me`` and the public preview ``t.me/s/username``), a private-channel link
``t.me/c/<internal id>/...``, and numeric ids, either marked (``-100<id>``, as Bot API and
Telethon print them) or bare (``<id>``). A trailing message number or query string on a link is
ignored: it names a post, the channel is what we collect.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from chalicelib.errors import InvalidInput

# Telegram's rule for public usernames: 5-32 characters of letters, digits and underscores,
# starting with a letter.
_USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{4,31}$")
_LINK_RE = re.compile(r"^(?:https?://)?(?:www\.)?(?:t|telegram)\.me/(?P<path>[^?#]*)(?:[?#].*)?$", re.I)
_MARKED_ID_RE = re.compile(r"^-100[0-9]{10}$")
_BARE_ID_RE = re.compile(r"^[1-9][0-9]{0,11}$")
# Bot API / Telethon "marked" channel ids are -(10**12 + id): -1001234567890 is channel 1234567890.
_MARK = 10**12
# Path words of t.me that are not usernames (invites, stickers, ...): never a channel to read.
_RESERVED = {"joinchat", "addstickers", "addemoji", "share", "proxy", "socks", "login", "setlanguage"}


@dataclass(frozen=True)
class ChannelRef:
    """A validated channel: exactly one of ``username`` or ``channel_id`` is set.

    ``channel_id`` is the bare channel id (what ``PeerChannel.channel_id`` holds), never the
    ``-100``-marked form.
    """

    username: str | None = None
    channel_id: int | None = None

    @property
    def label(self) -> str:
        """How the channel is named in messages, skips and errors: ``@name`` or ``-100<id>``."""
        if self.username is not None:
            return f"@{self.username}"
        return str(-(_MARK + self.channel_id))

    @property
    def key(self) -> str:
        """Identity for de-duplication: usernames are case-insensitive on Telegram."""
        return self.label.lower()


def parse_channel_ref(value: str) -> ChannelRef:
    """Turn what an admin typed into a ``ChannelRef``, or raise ``InvalidInput`` naming it."""
    if not isinstance(value, str):
        raise InvalidInput(f"channel {value!r} must be a string")
    text = value.strip()
    ref = _parse(text)
    if ref is None:
        raise InvalidInput(
            f"channel {value!r} is not a Telegram @username, t.me link or numeric id"
        )
    return ref


def _parse(text: str) -> ChannelRef | None:
    link = _LINK_RE.match(text)
    if link:
        return _parse_link_path(link.group("path"))
    if _MARKED_ID_RE.match(text):
        channel_id = -int(text) - _MARK
        return ChannelRef(channel_id=channel_id) if channel_id > 0 else None
    if _BARE_ID_RE.match(text):
        return ChannelRef(channel_id=int(text))
    name = text[1:] if text.startswith("@") else text
    if _USERNAME_RE.match(name):
        return ChannelRef(username=name)
    return None


def _parse_link_path(path: str) -> ChannelRef | None:
    parts = [part for part in path.split("/") if part]
    if parts and parts[0].lower() == "s":  # t.me/s/<name>: the web preview of a public channel
        parts = parts[1:]
    if not parts:
        return None
    if parts[0].lower() == "c":  # t.me/c/<id>/<post>: a private channel by internal id
        if len(parts) >= 2 and _BARE_ID_RE.match(parts[1]):
            return ChannelRef(channel_id=int(parts[1]))
        return None
    name = parts[0]
    if name.lower() in _RESERVED or not _USERNAME_RE.match(name):
        return None
    return ChannelRef(username=name)
