"""A script cut into speech requests a provider accepts, and the cache key of each one's audio.

Every turn starts a new segment (a segment has one voice). A turn longer than ``max_chars`` is
cut where a listener would pause anyway: first between sentences, then between clauses, and only
then between words; never inside a word. Pieces are packed greedily, so a cut happens only where
the limit forces one, and each segment's text is a slice of the turn's own text (inner spacing
kept, ends stripped), so the segments of a turn read back as the turn.

Sentence ends are found by punctuation (``. ! ? …`` and Hebrew sof pasuq ``׃``), possibly
followed by closing quotes or brackets, then whitespace. An abbreviation such as "Dr." may be
taken for a sentence end; that only moves a cut between two whole words, never into one.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from chalicelib.errors import ScriptRejected
from chalicelib.script.base import Turn

# Characters per request: Polly bills at most 3000 per SynthesizeSpeech (a margin for safety);
# Gemini TTS drifts and truncates on long inputs, so requests stay near the 1200-1500 characters
# the reference system used; espeak has no limit, 2000 keeps one call's PCM small.
MAX_CHARS = {"polly": 2900, "gemini": 1500, "espeak": 2000}

# Each tier matches the whitespace between two pieces (group 1); tried in order.
_TIERS = (
    re.compile(r"""(?<=[.!?…׃])["'”’»)\]]*(\s+)"""),  # between sentences
    re.compile(r"""(?<=[,;:—–])["'”’»)\]]*(\s+)"""),  # between clauses
    re.compile(r"(\s+)"),  # between words
)
_KEY_VERSION = 1  # bump when the audio for the same inputs would change (e.g. new PCM layout)


@dataclass(frozen=True)
class Segment:
    index: int  # position in the whole script, from 0
    speaker: str  # the Turn's speaker name
    voice: str  # the voice role (host_a, host_b, narrator) the engine maps to a real voice
    text: str
    message_ids: tuple[int, ...]  # the turn's source messages, on every segment of the turn


def split_script(
    turns: Iterable[Turn], *, max_chars: int, voices: Mapping[str, str]
) -> list[Segment]:
    """The script's turns, in order, as segments of at most ``max_chars`` characters.

    ``voices`` maps a speaker name to a voice role, as in ``render_mp3``. ``ScriptRejected`` for
    a turn with an unknown speaker, no text, or a single word longer than ``max_chars``.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be positive, got {max_chars}")
    segments: list[Segment] = []
    for number, turn in enumerate(turns):
        try:
            voice = voices[turn.speaker]
        except KeyError:
            raise ScriptRejected(
                f"turn {number}: speaker {turn.speaker!r} has no voice"
                f" (known speakers: {sorted(voices)})"
            ) from None
        text = turn.text
        start, end = _strip(text, 0, len(text))
        if start == end:
            raise ScriptRejected(f"turn {number} ({turn.speaker}) has no text")
        try:
            spans = _split(text, start, end, max_chars, 0)
        except _WordTooLong as exc:
            raise ScriptRejected(
                f"turn {number} ({turn.speaker}): a {exc.length}-character word is longer than"
                f" the {max_chars}-character limit of one speech request"
            ) from None
        for piece_start, piece_end in spans:
            segments.append(
                Segment(
                    index=len(segments),
                    speaker=turn.speaker,
                    voice=voice,
                    text=text[piece_start:piece_end],
                    message_ids=tuple(turn.message_ids),
                )
            )
    return segments


def segment_key(text: str, voice: str, provider: str, model: str, language: str) -> str:
    """SHA-256 hex naming the audio of one segment, for caching it in S3.

    Pass the provider's own voice name (``Matthew``, ``Kore``) and everything that changes the
    sound in ``model`` (Polly's engine, the Gemini model, espeak's rate), so a changed setting
    never reuses old audio.
    """
    canonical = json.dumps(
        {
            "v": _KEY_VERSION,
            "provider": provider,
            "model": model,
            "language": language,
            "voice": voice,
            "text": text,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class _WordTooLong(Exception):
    def __init__(self, length: int):
        super().__init__(length)
        self.length = length


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    """``start, end`` moved inward past whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _split(text: str, start: int, end: int, max_chars: int, tier: int) -> list[tuple[int, int]]:
    """Spans of ``text[start:end]`` (already stripped), each at most ``max_chars`` long."""
    if end - start <= max_chars:
        return [(start, end)]
    if tier == len(_TIERS):
        raise _WordTooLong(end - start)
    pieces: list[tuple[int, int]] = []
    piece_start = start
    for match in _TIERS[tier].finditer(text, start, end):
        pieces.append((piece_start, match.start(1)))
        piece_start = match.end(1)
    pieces.append((piece_start, end))
    fine: list[tuple[int, int]] = []
    for piece in pieces:
        fine.extend(_split(text, *piece, max_chars, tier + 1))
    return _pack(fine, max_chars)


def _pack(spans: list[tuple[int, int]], max_chars: int) -> list[tuple[int, int]]:
    """Neighbouring spans joined (with the text between them) while the result fits."""
    packed = [spans[0]]
    for start, end in spans[1:]:
        if end - packed[-1][0] <= max_chars:
            packed[-1] = (packed[-1][0], end)
        else:
            packed.append((start, end))
    return packed
