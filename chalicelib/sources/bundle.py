"""The versioned content bundle: what a ``Collection`` becomes before it is stored in S3.

Filtering happens here, once, for every source. Nothing is dropped silently: every message that
is not in ``messages`` is counted by an entry in ``filtered`` with its reason, so
``counts.collected == counts.kept + counts.filtered`` always holds, ``counts.filtered`` being
the sum of the entries' ``count`` (1 where there is none). Reasons:

``service``/``unsupported``/``malformed``  skipped by the source itself (copied from the collection)
``duplicate``       the same (channel, id) seen again
``already_covered`` the same (channel, id) is in another episode of the podcast (completed or being made), edited or not
``empty``           no text and no media
``too_short``       text shorter than ``min_text_length`` and no media
``blocked_domain``  a link to a blocked domain or one of its subdomains
``duplicate_text``  the same normalised text as an earlier message (forwards, cross-posts)
``over_cap``        beyond ``max_messages``: the oldest go, the newest stay
``over_size``       the serialised bundle would exceed ``max_bytes``: the oldest go
                    (both as one entry per channel: ``count`` messages, ``id`` to ``last_id``)
``over_channel_cap``/``over_episode_cap``  cut by a live source's read caps (from the collection)

A source's skip may carry ``"and_later": true``: that entry stands for the message named *and
every later one of its channel in the window*, which the source never read (see
``telethon_source``): how many those are is unknown, so the entry counts once in ``counts``.
"""
from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Container
from datetime import datetime, timezone
from typing import Callable, Iterable
from urllib.parse import urlsplit

from chalicelib.domain import Window
from chalicelib.errors import SourceFailed
from chalicelib.sources.base import Collection, Message

# 2: an over_cap or over_size entry stands for a run of messages (``count``, ``last_id``).
SCHEMA_VERSION = 2

# Direction marks and zero-width characters differ between copies of the same (often Hebrew)
# text without changing what it says.
_INVISIBLE = dict.fromkeys([*range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF])


def message_to_json(m: Message, photo_key: Callable[[Message], str] | None = None) -> dict:
    media = m.media.to_json() if m.media else None
    if media is not None and photo_key is not None and m.media.type == "photo":
        media["key"] = photo_key(m)
    return {
        "id": m.id,
        "channel": m.channel,
        "date": _iso(m.date),
        "text": m.text,
        "links": list(m.links),
        "reply_to": m.reply_to,
        "forwarded_from": m.forwarded_from,
        "edited": _iso(m.edited) if m.edited else None,
        "views": m.views,
        "forwards": m.forwards,
        "media": media,
    }


def bundle_json_bytes(bundle: dict) -> bytes:
    return json.dumps(bundle, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def build_bundle(
    collection: Collection,
    *,
    podcast_id: str,
    episode_id: str,
    window: Window,
    title: str | None = None,
    min_text_length: int = 0,
    blocked_domains: Iterable[str] = (),
    max_messages: int = 2000,
    max_bytes: int = 5_000_000,
    photo_key: Callable[[Message], str] | None = None,
    covered: Container[tuple[str, int]] = frozenset(),
) -> dict:
    """Filter, de-duplicate and cap ``collection`` into the schema-1 bundle (messages oldest first).

    ``covered`` holds the (channel, id) of messages another episode of the podcast already told
    or is telling: they are filtered as ``already_covered``, and their text still counts for
    ``duplicate_text``, so a later copy of a story already told is not told again either.

    With ``photo_key``, each kept photo's media entry names the object key its photo will be
    stored at; set here, before sizing, so the keys count against ``max_bytes``.
    Raises ``SourceFailed`` only when even a bundle with no messages exceeds ``max_bytes``.
    """
    blocked = _normalise_domains(blocked_domains)
    filtered: list[dict] = [_skip_entry(s) for s in collection.skipped]

    def drop(m: Message, reason: str) -> None:
        filtered.append({"id": m.id, "channel": m.channel, "reason": reason})

    seen_ids: set[tuple[str, int]] = set()
    # The texts already seen, each as a 16-byte digest of its normalised form: a window of
    # 83,805 messages kept every normalised text alive beside the originals (~40 MB more).
    seen_texts: set[bytes] = set()
    kept: list[Message] = []
    # Oldest first, so "keep the earliest" of duplicate texts is simply "keep the first seen".
    for m in sorted(collection.messages, key=lambda m: (m.date, m.channel, m.id)):
        key = (m.channel, m.id)
        if key in seen_ids:
            drop(m, "duplicate")
            continue
        seen_ids.add(key)
        text = m.text.strip()
        if key in covered:
            drop(m, "already_covered")
            seen_texts.add(_text_digest(normalise_text(text)))
            continue
        if not text and m.media is None:
            drop(m, "empty")
            continue
        if m.media is None and len(text) < min_text_length:
            drop(m, "too_short")
            continue
        if blocked and any(_is_blocked(link, blocked) for link in m.links):
            drop(m, "blocked_domain")
            continue
        normalised = normalise_text(text)
        if normalised:
            digest = _text_digest(normalised)
            if digest in seen_texts:
                drop(m, "duplicate_text")
                continue
            seen_texts.add(digest)
        kept.append(m)

    if max_messages >= 0 and len(kept) > max_messages:
        cut = len(kept) - max_messages
        filtered.extend(_runs(kept[:cut], "over_cap"))
        kept = kept[cut:]

    bundle = {
        "schema_version": SCHEMA_VERSION,
        "podcast_id": podcast_id,
        "episode_id": episode_id,
        "title": title,
        "window": window.to_json(),
        "channels": list(collection.channels),
        "counts": {},
        "filtered": filtered,
        "messages": [message_to_json(m, photo_key) for m in kept],
    }
    _fit(bundle, kept, max_bytes)
    return bundle


def normalise_text(text: str) -> str:
    """The form two texts are compared in for ``duplicate_text``: case, spacing and marks aside."""
    text = unicodedata.normalize("NFKC", text)
    # str.translate and str.split run in C without a regex engine: a third of collecting an
    # 83,805-message export went to these two substitutions. str.split() splits on exactly
    # what the regex \s matches (str.isspace).
    text = text.translate(_INVISIBLE)
    return " ".join(text.split()).casefold()


def _text_digest(normalised: str) -> bytes:
    # 128 bits: two different texts share a digest with odds far below any window's size.
    return hashlib.blake2b(normalised.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _skip_entry(skipped: dict) -> dict:
    """A source's skip as a ``filtered`` entry. ``and_later`` survives: it says the entry stands
    for this message *and every later one* of its channel in the window, which the source
    left unread, so without it the bundle would under-report what was left out."""
    entry = {"id": skipped.get("id"), "channel": skipped.get("channel"),
             "reason": skipped.get("reason")}
    if skipped.get("and_later"):
        entry["and_later"] = True
    return entry


def _fit(bundle: dict, kept: list[Message], max_bytes: int) -> None:
    """Drop the fewest oldest messages (``over_size``) for the serialised bundle to fit ``max_bytes``."""
    messages, filtered = bundle["messages"], bundle["filtered"]
    filtered_count = sum(stands_for(entry) for entry in filtered)

    def arranged(drop: int) -> dict:
        """The bundle with its ``drop`` oldest messages moved to ``filtered``."""
        trial = {**bundle, "messages": messages[drop:],
                 "filtered": filtered + _runs(kept[:drop], "over_size")}
        trial["counts"] = {
            "collected": len(messages) + filtered_count,
            "kept": len(messages) - drop,
            "filtered": filtered_count + drop,
        }
        return trial

    def size(drop: int) -> int:
        return len(bundle_json_bytes(arranged(drop)))

    # Each message dropped takes its whole entry out and adds at most one run entry (smaller
    # than the message's own: the same id and channel without its text, date and fields), so
    # the size falls with every drop and the fewest drops that fit are found by walking.
    drop = 0
    whole = size(0)
    if whole > max_bytes:
        # Estimate how many to drop from per-message sizes (one serialisation of each message,
        # not one of the whole bundle per drop), then correct it by measuring: a channel's first
        # run entry, a run's digits and the counts' digits move the total by a few bytes either
        # way, and one byte too many in the estimate must not cost a message.
        excess = whole - max_bytes
        channels: set[str] = set()
        while excess > 0 and drop < len(messages):
            excess -= len(bundle_json_bytes(messages[drop])) + 1
            if kept[drop].channel not in channels:
                channels.add(kept[drop].channel)
                excess += len(bundle_json_bytes(_runs(kept[drop:drop + 1], "over_size")[0])) + 1
            drop += 1
        while drop > 0 and size(drop - 1) <= max_bytes:
            drop -= 1
        while (needed := size(drop)) > max_bytes:
            if drop == len(messages):
                raise SourceFailed(
                    f"the content bundle needs {needed} bytes without any message, over the "
                    f"{max_bytes}-byte limit; raise max_bytes or narrow the window"
                )
            drop += 1
    bundle.update(arranged(drop))


def _runs(messages: list[Message], reason: str) -> list[dict]:
    """``filtered`` entries for messages cut from the old end (``over_cap``, ``over_size``): one
    per channel, since the oldest go, so each channel's cut messages are its oldest ones in the
    window. An entry standing for more than one message says how many (``count``) and the last
    one's id (``last_id``); listing each of them (83,805 entries for a busy export) filled the
    whole bundle budget and left a few hundred messages to choose stories from."""
    runs: dict[str, dict] = {}
    for m in messages:
        run = runs.get(m.channel)
        if run is None:
            runs[m.channel] = {"id": m.id, "channel": m.channel, "reason": reason}
        else:
            run["count"] = run.get("count", 1) + 1
            run["last_id"] = m.id
    return list(runs.values())


def stands_for(entry: dict) -> int:
    """How many messages a ``filtered`` entry counts for (an ``and_later`` entry counts once)."""
    return entry.get("count", 1)


def _normalise_domains(domains: Iterable[str]) -> tuple[str, ...]:
    result = []
    for domain in domains:
        domain = str(domain).strip().lower().rstrip(".")
        domain = domain.removeprefix("*.").lstrip(".")
        if domain:
            result.append(domain)
    return tuple(result)


def _is_blocked(link: str, blocked: tuple[str, ...]) -> bool:
    host = _host(link)
    if not host:
        return False
    return any(host == domain or host.endswith("." + domain) for domain in blocked)


def _host(link: str) -> str:
    target = link if "//" in link else "//" + link
    try:
        host = urlsplit(target).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".").lower()


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
