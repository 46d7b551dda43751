"""Telegram Desktop JSON export ("Export chat history" / "Export Telegram data") as a content source.

The format is whatever Telegram Desktop's ``export_output_json.cpp`` writes; facts this parser
relies on, read from that writer:

* Two layouts. Exporting one chat writes ``{"name", "type", "id", "messages"}``; exporting account
  data writes ``{"about", "personal_information", ..., "chats": {"about", "list": [...]},
  "left_chats": {"about", "list": [...]}}`` with one such chat object per list item.
* ``date`` is ``QDateTime::fromSecsSinceEpoch(..).toString(Qt::ISODate)``: the *exporting
  machine's local time*, with no offset. ``date_unixtime`` (a string of seconds, written since
  2021) is the real instant, so it wins. Exports older than that only have ``date``; we read it as
  UTC, which is off by the exporter's UTC offset — there is nothing in the file to do better.
* ``text`` is a string when the message is one plain run, otherwise a list mixing strings (plain
  runs) and ``{"type", "text", ...}`` entity objects; ``text_entities`` (newer exports) is always a
  list of objects, plain runs included as ``{"type": "plain"}``. Both carry the same runs, so
  either flattens to the same text.
* Media files are either a relative path or a skip note such as "(File not included. Change data
  exporting settings to download.)". Paths and notes are never copied into a ``Message``; a
  photo's path is remembered by the source, so ``fetch_photos`` can read the file (only inside
  the export's folder: a path in the JSON is not trusted to stay there).
* Desktop exports neither view nor forward counts, nor dice (its ``ParseMedia`` leaves dice as a
  TODO): a dice roll arrives as an empty message. ``views``/``forwards`` are still read when some
  other tool wrote them.
* A message Desktop could not represent is written as ``{"id", "type": "unsupported"}`` — no date.
"""
from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Sequence

from chalicelib.domain import Window
from chalicelib.errors import SourceFailed
from chalicelib.sources.base import Collection, Media, Message, PhotoSink

log = logging.getLogger(__name__)

CHANNEL_TYPES = ("public_channel", "private_channel")

# Desktop's skip notes for files it did not download (see ``pushPath`` in the JSON writer).
_PLACEHOLDER_RE = re.compile(
    # [^()]: the note ends at the next parenthesis, so a long unclosed run is scanned once.
    r"\((?:File|Photo) (?:not included|exceeds maximum size|unavailable)[^()]*+\)"
)
_URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"'«»“”]+", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?'\"»”’…"
_CLOSERS = {")": "(", "]": "["}
_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)

# Entity runs whose text is code, not prose: a URL inside them is not a link the post shares.
_CODE_ENTITIES = ("code", "pre")

# Media Desktop exports that ``Media.type`` has no word for; kept as ``unknown`` with a ``kind``.
_UNMODELLED_MEDIA = {
    "giveaway_information": "giveaway",
    "giveaway_results": "giveaway_results",
    "paid_stars_amount": "paid_media",
    "todo_list": "todo_list",
}


class TelegramExportSource:
    """Messages of one chat in a Telegram Desktop JSON export (file or the folder holding it).

    ``chat`` picks the chat of a full-account export by name or id (``"123"``, ``"-100123"`` and
    ``"channel123"`` all name channel 123). Without it, a full-account export must hold exactly
    one channel. A single-chat export is used as is; a ``chat`` that does not name it is refused.
    The file is read on each ``collect``, never at construction.
    """

    def __init__(self, path: str | Path, chat: str | None = None):
        self.path = Path(path)
        self.chat = chat
        # (channel, message id) → the photo's path as the export wrote it, for the last collect.
        self._photo_paths: dict[tuple[str, int], str] = {}

    def fetch_photos(self, wanted: Sequence[tuple[str, int]], deliver: PhotoSink) -> None:
        folder = (self.path if self.path.is_dir() else self.path.parent).resolve()
        for channel, message_id in wanted:
            relative = self._photo_paths.get((channel, message_id))
            if relative is None:
                continue
            file = (folder / relative.replace("\\", "/")).resolve()
            if not file.is_relative_to(folder):
                log.warning("photo of message %s points outside the export; not read", message_id)
                continue
            try:
                data = file.read_bytes()
            except OSError:
                log.warning("photo of message %s is not in the export folder", message_id)
                continue
            if data:
                deliver(channel, message_id, data)

    def collect(self, window: Window) -> Collection:
        chat = self._select_chat(self._load())
        channel = _chat_name(chat)
        messages: list[Message] = []
        skipped: list[dict] = []
        self._photo_paths = {}
        # An "unsupported" entry has no date; it takes its predecessor's for the window test
        # (exports are written oldest first), so it is reported with its neighbours.
        last_date: datetime | None = None
        for raw in chat.get("messages") or []:
            if not isinstance(raw, dict):
                continue
            kind = raw.get("type", "message")
            moment = _message_date(raw)
            if moment is None:
                if last_date is not None and window.contains(last_date):
                    reason = "unsupported" if kind == "unsupported" else "malformed"
                    skipped.append({"id": raw.get("id"), "channel": channel, "reason": reason})
                continue
            last_date = moment
            if not window.contains(moment):
                continue
            if kind == "service":
                skipped.append({"id": raw.get("id"), "channel": channel, "reason": "service"})
                continue
            message = _parse_message(raw, channel, moment)
            if message is None:
                skipped.append({"id": raw.get("id"), "channel": channel, "reason": "malformed"})
                continue
            messages.append(message)
            photo = raw.get("photo")
            if isinstance(photo, str) and photo and not _PLACEHOLDER_RE.search(photo):
                self._photo_paths[(channel, message.id)] = photo
        messages.sort(key=lambda m: (m.date, m.id))
        return Collection(channels=[channel], messages=messages, skipped=skipped)

    # -- reading and choosing -------------------------------------------------------------------

    def _load(self) -> dict:
        return read_export(self.path)

    def _select_chat(self, data: dict) -> dict:
        if isinstance(data.get("messages"), list):
            if self.chat is not None and not _chat_matches(data, self.chat):
                raise SourceFailed(
                    f"chat {self.chat!r} is not in this export; it holds {_describe([data])}"
                )
            return data
        chats = _account_chats(data)
        if self.chat is None:
            channels = [c for c in chats if c.get("type") in CHANNEL_TYPES]
            if len(channels) == 1:
                return channels[0]
            found = "no channel" if not channels else f"{len(channels)} channels"
            raise SourceFailed(
                f"the export holds {found}; choose a chat by name or id: {_describe(chats)}"
            )
        matches = [c for c in chats if _chat_matches(c, self.chat)]
        if not matches:
            folded = self.chat.casefold()
            matches = [c for c in chats if str(c.get("name") or "").casefold() == folded]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise SourceFailed(f"chat {self.chat!r} is not in this export; chats: {_describe(chats)}")
        raise SourceFailed(
            f"{len(matches)} chats are named {self.chat!r}; choose one by id: {_describe(matches)}"
        )


def read_export(path: str | Path) -> dict:
    """The export's JSON, checked for the shape Telegram Desktop writes; ``SourceFailed`` with
    one line naming the problem otherwise. (The CLI calls it before starting the engine.)"""
    path = Path(path)
    path = path / "result.json" if path.is_dir() else path
    try:
        with path.open(encoding="utf-8-sig") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise SourceFailed(f"Telegram export not found: {path}") from None
    except IsADirectoryError:
        raise SourceFailed(f"Telegram export {path} is a directory, not a result.json file") from None
    except json.JSONDecodeError as exc:
        raise SourceFailed(
            f"Telegram export {path} is not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceFailed(f"cannot read Telegram export {path}: {type(exc).__name__}") from None
    except RecursionError:
        raise SourceFailed(f"Telegram export {path} is nested too deeply to be an export") from None
    expected = "expected an object with a chat's 'messages' or an account's 'chats'"
    if not isinstance(data, dict):
        raise SourceFailed(f"{path} is {_json_kind(data)}, not a Telegram Desktop JSON export ({expected})")
    if not (isinstance(data.get("messages"), list) or isinstance(data.get("chats"), dict)):
        raise SourceFailed(f"{path} is not a Telegram Desktop JSON export ({expected})")
    for section in ("chats", "left_chats"):
        listing = data.get(section)
        if listing is None:
            continue
        if not isinstance(listing, dict) or not isinstance(listing.get("list", []), list):
            raise SourceFailed(f"{path}: '{section}.list' is not a list of chats")
        for index, chat in enumerate(listing.get("list", [])):
            if not isinstance(chat, dict):
                raise SourceFailed(
                    f"{path}: '{section}.list' item {index} is {_json_kind(chat)}, not a chat object")
    return data


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a JSON array"
    return "an object"


def _account_chats(data: dict) -> list[dict]:
    chats: list[dict] = []
    for section in ("chats", "left_chats"):
        listing = data.get(section)
        if isinstance(listing, dict) and isinstance(listing.get("list"), list):
            chats.extend(c for c in listing["list"] if isinstance(c, dict))
    return chats


def _chat_matches(chat: dict, wanted: str) -> bool:
    wanted = str(wanted).strip()
    if chat.get("name") is not None and str(chat.get("name")) == wanted:
        return True
    chat_id = chat.get("id")
    if chat_id is None:
        return False
    forms = {str(chat_id)}
    if chat.get("type") in CHANNEL_TYPES or "supergroup" in str(chat.get("type")):
        # Bot API / Telethon "marked" ids and the export's own from_id spelling.
        forms |= {f"-100{chat_id}", f"channel{chat_id}"}
    return wanted in forms


def _chat_name(chat: dict) -> str:
    name = chat.get("name")
    if name:
        return str(name)
    # Saved Messages and Replies have no name in the export.
    return str(chat.get("type") or f"chat {chat.get('id')}")


def _describe(chats: list[dict]) -> str:
    if not chats:
        return "no chats"
    return "; ".join(
        f"{c.get('name') or '(no name)'} (id {c.get('id')}, {c.get('type') or 'unknown type'})"
        for c in chats
    )


# -- one message ------------------------------------------------------------------------------


def _message_date(raw: dict, prefix: str = "date") -> datetime | None:
    unix = raw.get(f"{prefix}_unixtime")
    if unix is not None:
        try:
            return datetime.fromtimestamp(int(unix), tz=timezone.utc)
        except (TypeError, ValueError, OverflowError, OSError):
            pass
    text = raw.get(prefix)
    if isinstance(text, str) and text:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            # Desktop wrote the exporter's local wall time; without date_unixtime, UTC is our guess.
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)
    return None


def _parse_message(raw: dict, channel: str, moment: datetime) -> Message | None:
    message_id = raw.get("id")
    if isinstance(message_id, bool) or not isinstance(message_id, int):
        return None
    text, links = flatten_text(raw.get("text_entities", raw.get("text")))
    reply_to = _int_or_none(raw.get("reply_to_message_id"))
    if raw.get("reply_to_peer_id") is not None:
        # A reply to a message of another chat: its id would point at the wrong post here.
        reply_to = None
    forwarded_from = None
    if "forwarded_from" in raw:
        # Desktop writes null when the original sender hid their name.
        forwarded_from = str(raw["forwarded_from"]) if raw["forwarded_from"] else "unknown"
    edited = _message_date(raw, "edited") if ("edited" in raw or "edited_unixtime" in raw) else None
    return Message(
        id=message_id,
        channel=channel,
        date=moment,
        text=text,
        links=links,
        reply_to=reply_to,
        forwarded_from=forwarded_from,
        edited=edited,
        views=_int_or_none(raw.get("views")),
        forwards=_int_or_none(raw.get("forwards")),
        media=parse_media(raw),
    )


def flatten_text(value: object) -> tuple[str, tuple[str, ...]]:
    """Plain text and shared links from an export ``text``/``text_entities`` value.

    Links are ``link`` runs, ``text_link`` targets, and http(s)/www URLs inside prose runs, in
    order of appearance, each once. Scheme-less links ("example.com/x", which Telegram links
    too) get ``http://`` as Telegram does when opening them.
    """
    if isinstance(value, str):
        parts: list[object] = [value]
    elif isinstance(value, list):
        parts = value
    else:
        parts = []
    chunks: list[str] = []
    links: list[str] = []
    for part in parts:
        if isinstance(part, str):
            kind, run = "plain", part
        elif isinstance(part, dict):
            kind, run = str(part.get("type", "plain")), part.get("text")
            run = run if isinstance(run, str) else ""
        else:
            continue
        chunks.append(run)
        if kind == "link":
            links.append(run.strip())
        elif kind == "text_link" and isinstance(part, dict) and part.get("href"):
            links.append(str(part["href"]).strip())
        elif kind not in _CODE_ENTITIES:
            links.extend(_urls_in(run))
    text = _strip_placeholders("".join(chunks)).strip()
    return text, _unique(_normalise_link(link) for link in links if link)


def _urls_in(run: str) -> list[str]:
    found = []
    for match in _URL_RE.finditer(run):
        url = match.group(0).rstrip(_TRAILING_PUNCTUATION)
        # A closing bracket without its opener belongs to the sentence: "(see https://x.io)".
        # Counted once and trimmed by index: a URL followed by a megabyte of ")" stays linear.
        counts = {c: url.count(c) for c in (*_CLOSERS, *_CLOSERS.values())}
        end = len(url)
        while end and url[end - 1] in _CLOSERS and counts[url[end - 1]] > counts[_CLOSERS[url[end - 1]]]:
            counts[url[end - 1]] -= 1
            end -= 1
            while end and url[end - 1] in _TRAILING_PUNCTUATION:
                end -= 1
        url = url[:end]
        if url:
            found.append(url)
    return found


def _normalise_link(link: str) -> str:
    if link.startswith("mailto:") or link.startswith("tg://") or _SCHEME_RE.match(link):
        return link
    return f"http://{link}"


def _unique(items) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _strip_placeholders(text: str) -> str:
    return _PLACEHOLDER_RE.sub("", text)


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _number(value: object) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def _clean(details: dict) -> dict:
    """Drop empty values and anything that is, or carries, a skipped-file note."""
    cleaned = {}
    for key, value in details.items():
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, str):
            if _PLACEHOLDER_RE.search(value):
                continue
            value = value.strip()
        cleaned[key] = value
    return cleaned


def _file_name(raw: dict) -> str | None:
    name = raw.get("file_name")
    if isinstance(name, str) and name:
        return name
    path = raw.get("file")
    # Exports older than the file_name field only have the relative path of a downloaded file.
    if isinstance(path, str) and path and not _PLACEHOLDER_RE.search(path):
        return PurePosixPath(path.replace("\\", "/")).name
    return None


def parse_media(raw: dict) -> Media | None:
    """The ``Media`` of one exported message, or ``None`` for text only."""
    if "photo" in raw:
        return Media("photo", _clean({
            "width": _number(raw.get("width")),
            "height": _number(raw.get("height")),
            "spoiler": True if raw.get("media_spoiler") else None,
        }))
    if "file" in raw or "media_type" in raw:
        return _document(raw)
    if isinstance(raw.get("poll"), dict):
        poll = raw["poll"]
        answers = [a for a in poll.get("answers") or [] if isinstance(a, dict)]
        return Media("poll", _clean({
            "question": flatten_text(poll.get("question"))[0],
            "options": [flatten_text(a.get("text"))[0] for a in answers],
            "option_voters": [_int_or_none(a.get("voters")) or 0 for a in answers],
            "total_voters": _int_or_none(poll.get("total_voters")),
            "closed": bool(poll.get("closed")),
        }))
    if "contact_information" in raw:
        contact = raw.get("contact_information") or {}
        # The phone number is someone's personal data: only the name goes into the bundle.
        name = " ".join(
            str(contact.get(k) or "").strip() for k in ("first_name", "last_name")
        ).strip()
        return Media("contact", _clean({"name": name}))
    if "place_name" in raw or "address" in raw:
        point = raw.get("location_information") or {}
        return Media("venue", _clean({
            "title": raw.get("place_name"),
            "address": raw.get("address"),
            "latitude": _number(point.get("latitude")),
            "longitude": _number(point.get("longitude")),
        }))
    if "location_information" in raw:
        point = raw.get("location_information") or {}
        return Media("location", _clean({
            "latitude": _number(point.get("latitude")),
            "longitude": _number(point.get("longitude")),
            "live_period_seconds": _number(raw.get("live_location_period_seconds")),
        }))
    if "game_title" in raw:
        return Media("game", _clean({
            "title": raw.get("game_title"),
            "description": raw.get("game_description"),
        }))
    if isinstance(raw.get("invoice_information"), dict):
        invoice = raw["invoice_information"]
        return Media("invoice", _clean({
            "title": invoice.get("title"),
            "description": invoice.get("description"),
            # Telegram amounts are integers in the currency's smallest unit (cents, agorot, ...).
            "amount_minor_units": _int_or_none(invoice.get("amount")),
            "currency": invoice.get("currency"),
        }))
    if isinstance(raw.get("dice"), dict):
        # Not written by Desktop today; accepted from exports that carry the Bot API shape.
        dice = raw["dice"]
        return Media("dice", _clean({"emoji": dice.get("emoji") or dice.get("emoticon"),
                                     "value": _int_or_none(dice.get("value"))}))
    for key, kind in _UNMODELLED_MEDIA.items():
        if key in raw:
            return Media("unknown", {"kind": kind})
    return None


def _document(raw: dict) -> Media:
    media_type = raw.get("media_type")
    common = {
        "file_name": _file_name(raw),
        "mime_type": raw.get("mime_type"),
        "duration_seconds": _number(raw.get("duration_seconds")),
        "width": _number(raw.get("width")),
        "height": _number(raw.get("height")),
    }
    if media_type == "sticker":
        return Media("sticker", _clean({"emoji": raw.get("sticker_emoji")}))
    if media_type == "voice_message":
        return Media("voice", _clean({"duration_seconds": common["duration_seconds"],
                                      "mime_type": common["mime_type"]}))
    if media_type == "video_message":
        return Media("video_message", _clean({"duration_seconds": common["duration_seconds"]}))
    if media_type == "animation":
        return Media("animation", _clean(common))
    if media_type == "video_file":
        return Media("video", _clean(common))
    if media_type == "audio_file":
        return Media("audio", _clean({
            "performer": raw.get("performer"),
            "title": raw.get("title"),
            **common,
        }))
    if media_type is None:
        return Media("file", _clean({**common, "size_bytes": _number(raw.get("file_size"))}))
    return Media("unknown", _clean({"kind": str(media_type), **common}))
