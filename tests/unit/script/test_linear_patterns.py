"""Every path channel text takes runs in linear time, however long one unbroken word is.

A megabyte "word" of each shape that made a pattern or loop quadratic (an address run without
its "@", a dotted chain without a known TLD, a digit run, an unclosed "<", "[" or "(File ...",
a URL followed by closing brackets, ...) goes through the export reader, the bundle, the offline
writer, Telethon's normaliser and ``speakable`` in both languages. Linear, the whole run takes a
few seconds; any quadratic step on a 1 MB word takes hours (10k characters took 0.4 s, 40k took
5 s). The run happens in a subprocess with a generous timeout, so the assertion is about
orders of magnitude, not about this machine's speed.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

MB = 1_000_000
# Each was quadratic somewhere before: the comment names where.
SHAPES = [
    "a",  # speakable e-mail: a run of address characters with no "@"
    "a.",  # speakable bare host: a dotted chain with no known TLD, tried at every label
    "a-",
    "1",  # speakable numbers, percentages, money: a digit run tried at every digit
    "1,000,",  # comma-grouped numbers tried at every group
    "<",  # speakable tags
    "[a](x",  # speakable markdown links
    "(File not included ",  # the export's placeholder notes
    "a@",  # e-mail domains
    "אב-",  # Hebrew with hyphens
]
# A URL followed by a megabyte of closing brackets: the export's link trimmer once re-counted
# the whole URL for every bracket it dropped.
TRAILERS = ["http://x.io/" + ")" * MB, "see example.com" + "." * MB]


def words() -> list[str]:
    return [(shape * (MB // len(shape) + 1))[:MB] for shape in SHAPES] + TRAILERS


def run_every_path(word: str) -> None:
    from datetime import datetime, timezone

    from telethon.tl import types

    from chalicelib.domain import Window
    from chalicelib.script.offline import OfflineScriptWriter
    from chalicelib.script.speakable import speakable
    from chalicelib.script.validate import outside_quotes
    from chalicelib.sources.bundle import build_bundle, normalise_text
    from chalicelib.sources.export import TelegramExportSource
    from chalicelib.sources.telethon_normalise import normalise

    when = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "result.json"
        export.write_text(json.dumps({
            "name": "Long words", "type": "public_channel", "id": 1,
            "messages": [{"id": 1, "type": "message", "date": "2026-11-20T12:00:00",
                          "text": [{"type": "plain", "text": word}, {"type": "link", "text": "x"}]}],
        }), encoding="utf-8")
        collection = TelegramExportSource(export).collect(Window(None, None))
    normalise(types.Message(id=3, peer_id=types.PeerChannel(1), date=when, message=word,
                            entities=[types.MessageEntityUrl(offset=0, length=len(word))]), "@long")
    normalise_text(word)
    bundle = build_bundle(collection, podcast_id="long", episode_id="0d4c1f6e-0000-4000-8000-000000000001",
                          window=Window(None, None), max_bytes=50 * MB)
    speakable(word, "he")  # the writer below speaks English: Hebrew's own patterns here
    outside_quotes(word)
    OfflineScriptWriter().write(bundle, title="Long words", language="en", format="dialogue", hosts=[])


def test_megabyte_words_take_every_text_path_in_linear_time():
    # Linear: ~1-3 s per word on this machine. Quadratic: hours per word.
    done = subprocess.run(
        [sys.executable, __file__], capture_output=True, text=True, timeout=240,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [str(len(w)) for w in words()]


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    for w in words():
        run_every_path(w)
        print(len(w), flush=True)
