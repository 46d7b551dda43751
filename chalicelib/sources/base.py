"""The content-source seam: what any source (Telegram export, live Telethon) yields.

Sources normalise into ``Message``; ``chalicelib.sources.bundle`` turns a ``Collection`` into the
versioned content bundle stored in S3. Nothing in here does I/O.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Protocol, Sequence, runtime_checkable

from chalicelib.domain import Window


@dataclass(frozen=True)
class Media:
    """What a message carries besides text, in words the script writer can speak about.

    ``type`` is one of: photo, video, video_message, animation, voice, audio, sticker, file,
    poll, location, venue, contact, dice, game, invoice, unknown.
    ``details`` holds what is known and useful: file_name, mime_type, duration_seconds, width,
    height, emoji, question, options, latitude, longitude, title, address, name, phone, ...
    """

    type: str
    details: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"type": self.type, **self.details}


@dataclass(frozen=True)
class Message:
    """One channel post, normalised. Dates are aware UTC datetimes."""

    id: int
    channel: str
    date: datetime
    text: str  # plain text: formatting entities flattened, never markup
    links: tuple[str, ...] = ()
    reply_to: int | None = None
    forwarded_from: str | None = None
    edited: datetime | None = None
    views: int | None = None
    forwards: int | None = None
    media: Media | None = None


@dataclass
class Collection:
    """What a source found in a window, before filtering and de-duplication."""

    channels: list[str]
    messages: list[Message]
    # Messages the source itself skipped (service messages, ...): {"id", "channel", "reason"}.
    skipped: list[dict] = field(default_factory=list)


class ContentSource(Protocol):
    def collect(self, window: Window) -> Collection:
        """Every message of the source's channel(s) inside ``window``, oldest first."""
        ...


# ``deliver(channel, message_id, data)``: what a ``PhotoSource`` hands each photo's bytes to.
PhotoSink = Callable[[str, int, bytes], None]


@runtime_checkable
class PhotoSource(Protocol):
    """A source that can also give the bytes of the photos it collected (both sources can).

    Separate from ``collect`` so that only photos still in the bundle after filtering are
    fetched, and so the source never learns where they go (the collect step owns S3).
    """

    def fetch_photos(self, wanted: Sequence[tuple[str, int]], deliver: PhotoSink) -> None:
        """Call ``deliver`` once for each ``(channel, message_id)`` in ``wanted`` whose photo
        the last ``collect`` met and can still give; others are skipped (a photo an export did
        not download, one Telegram no longer serves)."""
        ...
