"""How fast Telethon messages become podcasto messages (messages normalised per second), and how
big they make the content bundle (bytes per 1000 messages).

A realistic mix built from Telethon's own types: plain posts, posts with formatting and links
(including text outside the BMP, which takes the UTF-16 offset path), photos, documents of
several kinds, polls, link previews and service messages. Prints figures; asserts nothing.

    python bench/bench_normalise.py [--messages 20000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telethon.tl import types  # noqa: E402

from chalicelib.domain import Window  # noqa: E402
from chalicelib.sources.base import Collection  # noqa: E402
from chalicelib.sources.bundle import build_bundle, bundle_json_bytes  # noqa: E402
from chalicelib.sources.telethon_normalise import normalise  # noqa: E402

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
TEXT = "🎙 Today's episode: the markets, the weather and https://example.org/story — read more here. " * 3


def _document(mime: str, *attributes):
    return types.MessageMediaDocument(document=types.Document(
        id=1, access_hash=2, file_reference=b"", date=T0, mime_type=mime, size=1, dc_id=2,
        attributes=list(attributes),
    ))


def _variants():
    entities = [
        types.MessageEntityBold(offset=0, length=20),
        types.MessageEntityUrl(offset=49, length=25),
        types.MessageEntityTextUrl(offset=80, length=9, url="https://example.com/more"),
    ]
    photo = types.MessageMediaPhoto(photo=types.Photo(
        id=1, access_hash=2, file_reference=b"", date=T0, dc_id=2,
        sizes=[types.PhotoSize(type="m", w=320, h=240, size=1), types.PhotoSize(type="y", w=1280, h=960, size=9)],
    ))
    poll = types.MessageMediaPoll(
        poll=types.Poll(id=1, hash=0, question=types.TextWithEntities(text="Best?", entities=[]),
                        answers=[types.PollAnswer(text=types.TextWithEntities(text=t, entities=[]), option=b"0")
                                 for t in ("A", "B", "C")]),
        results=types.PollResults(),
    )
    preview = types.MessageMediaWebPage(webpage=types.WebPage(
        id=1, url="https://example.net", display_url="example.net", hash=0))
    return [
        {"message": "A plain short post about today's news."},
        {"message": TEXT, "entities": entities},
        {"message": "Look", "media": photo},
        {"message": "", "media": _document("audio/ogg", types.DocumentAttributeAudio(duration=12, voice=True))},
        {"message": "clip", "media": _document("video/mp4", types.DocumentAttributeVideo(duration=3, w=1, h=1),
                                               types.DocumentAttributeFilename(file_name="c.mp4"))},
        {"message": "", "media": poll},
        {"message": "see https://example.net", "media": preview,
         "fwd_from": types.MessageFwdHeader(date=T0, from_id=types.PeerChannel(555))},
        None,  # a service message
    ]


def build(count: int) -> list:
    variants = _variants()
    messages = []
    for n in range(count):
        fields = variants[n % len(variants)]
        date = T0 + timedelta(seconds=n)
        if fields is None:
            messages.append(types.MessageService(id=n + 1, peer_id=types.PeerChannel(1), date=date,
                                                 action=types.MessageActionPinMessage()))
        else:
            messages.append(types.Message(id=n + 1, peer_id=types.PeerChannel(1), date=date,
                                          views=n, **fields))
    return messages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    messages = build(args.messages)
    rates = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        for message in messages:
            normalise(message, "@bench")
        rates.append(len(messages) / (time.perf_counter() - started))
    print(f"normalise: {statistics.median(rates):,.0f} messages/s median of {args.repeat} runs "
          f"({min(rates):,.0f}-{max(rates):,.0f}), {len(messages)} Telethon messages per run")
    print(f"a capped episode (3000 messages) normalises in ~{3000 / statistics.median(rates) * 1000:.1f} ms")

    # Distinct texts, so de-duplication keeps them all; no caps, so every message is counted.
    kept = []
    for n, message in enumerate(messages[:1000]):
        normalised = normalise(message, "@bench")
        if normalised is not None:
            kept.append(dataclasses.replace(normalised, text=f"{normalised.text} #{n}"))
    bundle = build_bundle(Collection(channels=["@bench"], messages=kept), podcast_id="bench",
                          episode_id="00000000-0000-4000-8000-000000000000", window=Window(None, None),
                          max_messages=10**6, max_bytes=10**9)
    size = len(bundle_json_bytes(bundle))
    print(f"bundle: {size / len(bundle['messages']) * 1000 / 1024:,.0f} KiB per 1000 messages "
          f"({len(bundle['messages'])} kept of the mix above, {size:,} bytes)")


if __name__ == "__main__":
    main()
