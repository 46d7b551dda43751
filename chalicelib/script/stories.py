"""Stories: what an episode chooses from. Shared by every script writer.

A window can hold five messages or eighty thousand; an episode has a target length. So the
writers never talk through the window in order: they group its messages into stories, rank the
stories, and take the best until the episode's time is spent — whole stories, never a story cut
off in the middle.

* **A story** is a message and every message that replies to it, directly or down a chain, in
  the same channel (``reply_to``), told together.
* **Near-duplicates** — the same post forwarded to another channel with a line added, a
  cross-post with different spacing — are one story told once: the later copy is folded into the
  earlier story (its views and forwards count for it) and listed as left out, ``near_duplicate``,
  naming the story it repeats. Exact copies never reach here (the bundle drops
  ``duplicate_text``).
* **Rank**: what readers engaged with (views, forwards, replies in the window, where the source
  gives them), then what is newest. A window without any engagement figure (Telegram Desktop
  exports have none) is ranked by recency and replies alone.
* **Selection** (``select``) walks the ranking and takes each story that still fits the time
  left; a story that does not fit is left out, ``over_length``, and smaller, lower-ranked stories
  may still fill the gap.

The rule for length: when the window holds at least the target's worth of material, the chosen
stories land within ``LENGTH_TOLERANCE`` of the target; when it holds less (five short posts
cannot fill twenty minutes), every story is told at full detail and the episode is shorter than
the target — nothing is invented to pad it. ``Selection.enough_material`` says which case it was.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable

# The one default episode length: a podcast without its own target gets this many seconds.
DEFAULT_TARGET_SECONDS = 1200.0
LENGTH_TOLERANCE = 0.15  # an episode with enough material lands within ±15% of its target
WORDS_PER_MINUTE = 150.0
# How many of a language's words a minute of speech holds, for pricing a script. Hebrew words
# carry their prefixes (ו, ה, ב, כ, ל, מ, ש) and take longer to say: with espeak-ng at its
# default rate, a Hebrew script priced at 150 came out 21% long (24.2 minutes for a 20-minute
# target, from real Hebrew posts), where English lands 5-8% long.
SPOKEN_WORDS_PER_MINUTE = {"en": WORDS_PER_MINUTE, "he": 128.0}


def language_pace(language: str) -> float:
    """Words a minute of ``language``'s speech holds (``WORDS_PER_MINUTE`` for any other)."""
    return SPOKEN_WORDS_PER_MINUTE.get(language, WORDS_PER_MINUTE)

# Near-duplicate test: the share of the shorter text's word triples found in the other text.
NEAR_DUPLICATE_CONTAINMENT = 0.7
_MIN_SHINGLES = 4  # texts shorter than this many word triples are never called near-duplicates
# A word triple in more stories than this is boilerplate (a channel's signature line), not
# evidence that two posts tell the same story; it is ignored, which also bounds the work.
_MAX_POSTINGS = 40
# Engagement weights: a forward or a reply says more about a post than one more view does.
_FORWARD_WEIGHT = 20.0
_REPLY_WEIGHT = 50.0
_ENGAGEMENT_SHARE = 0.65  # the rest of a story's score is recency

_WORD_RE = re.compile(r"\w+", re.UNICODE)
_URL_RE = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass
class Story:
    """Messages told together (a post and its replies), oldest first."""

    messages: list[dict]
    score: float = 0.0
    views: int = 0
    forwards: int = 0
    echoes: list[dict] = field(default_factory=list)  # near-duplicate copies folded into this story

    @property
    def ids(self) -> list[int]:
        return [int(m["id"]) for m in self.messages]

    @property
    def first(self) -> dict:
        return self.messages[0]

    @property
    def replies(self) -> int:
        return len(self.messages) - 1

    @property
    def latest(self) -> datetime:
        return max(parse_date(m.get("date")) for m in self.messages)

    def words(self) -> int:
        return sum(len(str(m.get("text") or "").split()) for m in self.messages)

    def ref(self) -> dict:
        """How a left-out list names this story: its channel and message ids."""
        return {"channel": self.first.get("channel"), "message_ids": self.ids}


@dataclass
class Selection:
    """The stories an episode tells and those it leaves out, each with its reason."""

    chosen: list[Story]  # in the order they were chosen (best first)
    left_out: list[dict]  # {"channel", "message_ids", "reason", ["of"]}
    enough_material: bool  # the window held at least the budget's worth of stories
    budget_seconds: float
    chosen_seconds: float

    def messages(self) -> list[dict]:
        """The chosen stories' messages, stories in the order they happened."""
        ordered = sorted(self.chosen, key=lambda s: _order(s.first))
        return [m for story in ordered for m in story.messages]

    def to_json(self) -> dict:
        return {
            "budget_seconds": round(self.budget_seconds, 1),
            "chosen_seconds": round(self.chosen_seconds, 1),
            "enough_material": self.enough_material,
            "chosen": [story.ref() for story in self.chosen],
            "left_out": self.left_out,
        }


def parse_date(value: object) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value or "").strip()
        if not text:
            return _EPOCH
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            return _EPOCH
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _order(message: dict) -> tuple:
    return (parse_date(message.get("date")), str(message.get("channel") or ""), int(message["id"]))


def group(messages: Iterable[dict]) -> list[Story]:
    """Messages into stories: each reply chain (same channel) is one story. Oldest story first."""
    ordered = sorted(messages, key=_order)
    by_ref = {(str(m.get("channel") or ""), int(m["id"])): m for m in ordered}
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def root(ref: tuple[str, int]) -> tuple[str, int]:
        seen = []
        while ref in parent:
            seen.append(ref)
            ref = parent[ref]
        for step in seen:  # path compression keeps long chains cheap
            parent[step] = ref
        return ref

    for m in ordered:
        ref = (str(m.get("channel") or ""), int(m["id"]))
        reply_to = m.get("reply_to")
        if reply_to is None:
            continue
        target = (ref[0], int(reply_to))
        if target in by_ref and target != ref:
            top, own = root(target), root(ref)
            if top != own:
                parent[own] = top
    stories: dict[tuple[str, int], Story] = {}
    for m in ordered:
        ref = root((str(m.get("channel") or ""), int(m["id"])))
        story = stories.get(ref)
        if story is None:
            stories[ref] = Story([m])
        else:
            story.messages.append(m)
    result = list(stories.values())
    result.sort(key=lambda s: _order(s.first))
    return result


def _shingles(story: Story) -> set[str]:
    words: list[str] = []
    for m in story.messages:
        words.extend(w.casefold() for w in _WORD_RE.findall(_URL_RE.sub(" ", str(m.get("text") or ""))))
    # The triples themselves, not hash(): str hashes change with every process (PYTHONHASHSEED).
    return {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}


def fold_near_duplicates(stories: list[Story]) -> tuple[list[Story], list[dict]]:
    """Oldest first, each story that repeats an earlier one is folded into it. Returns the
    remaining stories and the left-out entries of the folded ones."""
    signatures = [_shingles(s) for s in stories]
    frequency: dict[str, int] = {}
    for signature in signatures:
        for shingle in signature:
            frequency[shingle] = frequency.get(shingle, 0) + 1
    postings: dict[str, list[int]] = {}
    kept: list[int] = []
    left_out: list[dict] = []
    folded_into: dict[int, int] = {}
    for index, signature in enumerate(signatures):
        useful = [s for s in signature if frequency[s] <= _MAX_POSTINGS]
        original = None
        if len(signature) >= _MIN_SHINGLES:
            shared: dict[int, int] = {}
            for shingle in useful:
                for other in postings.get(shingle, ()):
                    shared[other] = shared.get(other, 0) + 1
            for other, count in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0])):
                smaller = min(len(signature), len(signatures[other]))
                if count / smaller >= NEAR_DUPLICATE_CONTAINMENT:
                    original = other
                    break
        if original is None:
            kept.append(index)
            for shingle in useful if len(signature) >= _MIN_SHINGLES else ():
                postings.setdefault(shingle, []).append(index)
            continue
        folded_into[index] = original
        story, target = stories[index], stories[original]
        target.echoes.extend(story.messages)
        left_out.append({**story.ref(), "reason": "near_duplicate", "of": target.ref()})
    return [stories[i] for i in kept], left_out


def _number(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0
    return max(0, int(value))


def rank(stories: list[Story]) -> list[Story]:
    """Best first: engagement (views, forwards, replies), then recency; ties by age and id."""
    for story in stories:
        every = story.messages + story.echoes
        story.views = sum(_number(m.get("views")) for m in every)
        story.forwards = sum(_number(m.get("forwards")) for m in every)
    engagement = [s.views + _FORWARD_WEIGHT * s.forwards + _REPLY_WEIGHT * s.replies for s in stories]
    most = max(engagement, default=0.0)
    latest = [s.latest for s in stories]
    start, end = (min(latest), max(latest)) if latest else (_EPOCH, _EPOCH)
    span = (end - start).total_seconds()
    for story, engaged, when in zip(stories, engagement, latest):
        recency = (when - start).total_seconds() / span if span > 0 else 1.0
        if most > 0:
            story.score = (_ENGAGEMENT_SHARE * math.log1p(engaged) / math.log1p(most)
                           + (1 - _ENGAGEMENT_SHARE) * recency)
        else:
            story.score = recency
    return sorted(stories, key=lambda s: (-s.score, -s.latest.timestamp(),
                                          str(s.first.get("channel") or ""), int(s.first["id"])))


def ranked_stories(messages: Iterable[dict]) -> tuple[list[Story], list[dict]]:
    """The window's stories best first, and the near-duplicates left out of them."""
    stories, duplicates = fold_near_duplicates(group(messages))
    return rank(stories), duplicates


def select(
    ranked: list[Story],
    *,
    budget_seconds: float,
    cost: Callable[[Story], float],
    left_out: list[dict] | None = None,
    enough_at: float | None = None,
) -> Selection:
    """Take ranked stories while they fit ``budget_seconds`` (each costs ``cost(story)``).

    A story that does not fit is left out (``over_length``) and the walk goes on: a smaller,
    lower-ranked story may still fit. The walk stops early once the budget is all but spent,
    so a window of any size costs one pass at most. The best story is always chosen, so an
    episode is never empty for want of a short enough story (the writer then shortens it).
    ``enough_material`` is true when all the stories together cost at least ``enough_at``
    (by default the budget less the tolerance).
    """
    chosen: list[Story] = []
    outs = list(left_out or [])
    spent = 0.0
    total = 0.0
    full = budget_seconds * (1 - LENGTH_TOLERANCE / 3)
    for story in ranked:
        seconds = cost(story)
        total += seconds
        if spent >= full:
            outs.append({**story.ref(), "reason": "over_length"})
            continue
        if not chosen or spent + seconds <= budget_seconds:
            chosen.append(story)
            spent += seconds
        else:
            outs.append({**story.ref(), "reason": "over_length"})
    return Selection(
        chosen=chosen,
        left_out=outs,
        enough_material=total >= (budget_seconds * (1 - LENGTH_TOLERANCE) if enough_at is None else enough_at),
        budget_seconds=budget_seconds,
        chosen_seconds=spent,
    )


def words_seconds(words: float, words_per_minute: float = WORDS_PER_MINUTE) -> float:
    return words * 60.0 / words_per_minute
