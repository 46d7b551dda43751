"""Write a Telegram Desktop full-account export (``chats.list``) shaped like a busy real one:
one channel with 83,805 messages over three months — long posts and one-liners, replies down
chains, forwards from many other channels, photos, videos, files, stickers, polls, links and
formatted text written both as ``text`` and ``text_entities`` as Desktop writes them — beside
a dozen other chats, so the podcast's chat has to be chosen (``CHAT=``).

    .venv/bin/python bench/make_big_export.py OUT_DIR [MESSAGES]

Deterministic: the same arguments write the same file.
"""
from __future__ import annotations

import json
import random
import sys
from datetime import datetime, timezone
from pathlib import Path

MAIN_CHAT = "Daily Digest"
MAIN_ID = 1700000001
START_UNIX = 1788220800  # 2026-09-01T00:00:00Z
SPAN_SECONDS = 91 * 24 * 3600

WORDS = (
    "council budget harbour festival library station university market election storm bridge "
    "tunnel hospital school teachers doctors museum concert river forest airport railway tram "
    "housing rent prices wages factory startup engineers software release security outage "
    "battery solar wind energy water drought rainfall football coach league stadium tickets "
    "mayor minister court ruling protest strike agreement contract funding research vaccine "
    "clinic volunteers charity bakery restaurant chef recipe garden farmers harvest tourism "
    "satellite launch rocket telescope planet chip browser kernel network storage model data "
    "privacy startup investors merger shares inflation interest rates exports imports harbour"
).split()
OTHER_CHANNELS = [
    "City Hall Watch", "Tech Wire", "Science Today", "Market Pulse", "Sports Desk", "Weather Now",
    "Culture Club", "Health Notes", "Transit Updates", "Energy Brief", "Food & Markets",
    "Space Log", "Court Reporter", "Campus News", "Harbour Daily", "Green Desk",
]
SITES = ["https://example.com/story/", "https://news.example.org/a/", "https://blog.example.net/p/"]
PLACEHOLDER = "(File not included. Change data exporting settings to download.)"


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16))).capitalize() + "."


def _entities(rng: random.Random, words: int, message_id: int) -> list[dict]:
    """Formatted text as Desktop writes it: plain runs, bold, a link now and then."""
    runs: list[dict] = []
    left = words
    while left > 0:
        sentence = _sentence(rng)
        left -= len(sentence.split())
        kind = rng.random()
        if kind < 0.08:
            runs.append({"type": "bold", "text": sentence})
        elif kind < 0.14:
            runs.append({"type": "link", "text": f"{rng.choice(SITES)}{message_id}"})
        else:
            runs.append({"type": "plain", "text": sentence})
        runs.append({"type": "plain", "text": " "})
    return runs[:-1]


def _message(rng: random.Random, message_id: int, unix: int, chat: str, chat_id: int,
             recent_ids: list[int]) -> dict:
    roll = rng.random()
    # Long posts and one-liners: most are short, some run to several hundred words.
    words = rng.choice((3, 5, 8, 12, 20, 30, 45, 60, 90, 160)) if roll > 0.05 else 0
    entities = _entities(rng, words, message_id) if words else []
    text: object = entities[0]["text"] if len(entities) == 1 and entities[0]["type"] == "plain" else \
        [e["text"] if e["type"] == "plain" else e for e in entities]
    message = {
        "id": message_id,
        "type": "message",
        "date": datetime.fromtimestamp(unix, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
        "date_unixtime": str(unix),
        "from": chat,
        "from_id": f"channel{chat_id}",
    }
    if recent_ids and rng.random() < 0.1:
        message["reply_to_message_id"] = rng.choice(recent_ids[-40:])
    if rng.random() < 0.15:
        message["forwarded_from"] = rng.choice(OTHER_CHANNELS)
    media = rng.random()
    if media < 0.12 or not words:
        message.update({"photo": PLACEHOLDER, "width": 1280, "height": 720})
    elif media < 0.16:
        message.update({"file": PLACEHOLDER, "media_type": "video_file", "mime_type": "video/mp4",
                        "duration_seconds": rng.randint(5, 600), "width": 1920, "height": 1080})
    elif media < 0.18:
        message.update({"file": PLACEHOLDER, "file_name": f"report-{message_id}.pdf",
                        "mime_type": "application/pdf", "file_size": rng.randint(10_000, 9_000_000)})
    elif media < 0.19:
        message.update({"file": PLACEHOLDER, "media_type": "sticker", "sticker_emoji": "👍"})
    elif media < 0.20:
        message["poll"] = {"question": _sentence(rng).rstrip(".") + "?", "closed": True,
                           "total_voters": rng.randint(10, 5000),
                           "answers": [{"text": rng.choice(WORDS), "voters": rng.randint(0, 900),
                                        "chosen": False} for _ in range(3)]}
    if rng.random() < 0.03:
        message["edited"] = message["date"]
        message["edited_unixtime"] = str(unix + 60)
    message["text"] = text
    message["text_entities"] = entities
    return message


def chat(rng: random.Random, name: str, chat_id: int, count: int) -> dict:
    messages: list[dict] = []
    recent: list[int] = []
    step = SPAN_SECONDS / max(1, count)
    for n in range(count):
        unix = START_UNIX + int(n * step) + rng.randint(0, max(0, int(step) - 1))
        message_id = n + 1
        if rng.random() < 0.002:
            messages.append({"id": message_id, "type": "service", "date": messages[-1]["date"] if messages
                             else "2026-09-01T00:00:00", "date_unixtime": str(unix), "actor": name,
                             "actor_id": f"channel{chat_id}", "action": "pin_message",
                             "message_id": max(1, message_id - 1), "text": "", "text_entities": []})
            continue
        messages.append(_message(rng, message_id, unix, name, chat_id, recent))
        recent.append(message_id)
    return {"name": name, "type": "public_channel", "id": chat_id, "messages": messages}


def write_big_export(folder: Path, messages: int = 83_805, *, seed: int = 13) -> Path:
    rng = random.Random(seed)
    chats = [chat(rng, MAIN_CHAT, MAIN_ID, messages)]
    for i, name in enumerate(OTHER_CHANNELS[:12]):
        chats.append(chat(rng, name, MAIN_ID + 1 + i, 300))
    data = {
        "about": "Here is the data you requested.",
        "personal_information": {"user_id": 7700112233, "first_name": "Bench", "last_name": "User"},
        "chats": {"about": "This page lists all chats from this export.", "list": chats},
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "result.json"
    with path.open("w", encoding="utf-8") as out:
        json.dump(data, out, ensure_ascii=False, indent=1)
    return path


if __name__ == "__main__":
    target = write_big_export(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 83_805)
    print(f"{target}: {target.stat().st_size / 1e6:.1f} MB")
