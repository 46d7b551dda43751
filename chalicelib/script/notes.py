"""An episode's title and show notes: what the links may be, how they are checked and stored.

Every writer gives a ``Script`` a title, a summary and its stories (``script.base.Story``);
``validate_notes`` checks them like ``validate_script`` checks the turns, before any speech is
paid for. The one rule that matters most: no invented links. A story's links must each be a
link the bundle holds — one a message carried, or the message's own ``t.me`` link when its
channel is public (``@name``); a private channel (``-100…``) or an export's chat has none.
"""
from __future__ import annotations

from chalicelib.errors import ScriptRejected
from chalicelib.script.base import Script, Story

MAX_TITLE = 200
MAX_SUMMARY = 1000
MAX_STORIES = 50
MAX_STORY_TITLE = 200
MAX_LINKS_PER_STORY = 10


def message_link(message: dict) -> str | None:
    """``https://t.me/<name>/<id>`` for a message of a public channel, else ``None``."""
    channel = str(message.get("channel") or "")
    if channel.startswith("@") and len(channel) > 1 and "id" in message:
        return f"https://t.me/{channel[1:]}/{int(message['id'])}"
    return None


def message_links(message: dict) -> list[str]:
    """A message's sources, its own t.me link first, then the links it carried."""
    links = [message_link(message)] + [str(u) for u in message.get("links") or ()]
    return list(dict.fromkeys(link for link in links if link))


def allowed_links(bundle: dict) -> set[str]:
    return {link for message in bundle.get("messages") or [] for link in message_links(message)}


def validate_notes(script: Script, *, bundle: dict | None = None) -> Script:
    """``script`` unchanged when its title, summary and stories may be published; otherwise
    ``ScriptRejected`` naming what is wrong."""
    _text(script.title, "the episode title", MAX_TITLE)
    _text(script.summary, "the summary", MAX_SUMMARY)
    if not script.stories:
        raise ScriptRejected("the show notes list no story")
    if len(script.stories) > MAX_STORIES:
        raise ScriptRejected(f"the show notes list {len(script.stories)} stories (at most {MAX_STORIES})")
    allowed = allowed_links(bundle) if bundle is not None else None
    known_ids = ({int(m["id"]) for m in bundle.get("messages") or [] if "id" in m}
                 if bundle is not None else None)
    previous = -1
    for number, story in enumerate(script.stories, start=1):
        _text(story.title, f"story {number}'s title", MAX_STORY_TITLE)
        if isinstance(story.turn, bool) or not isinstance(story.turn, int) or not 0 <= story.turn < len(script.turns):
            raise ScriptRejected(f"story {number} starts at turn {story.turn!r}, not one of the script's "
                                 f"{len(script.turns)} turns (0-based)")
        if story.turn <= previous:
            raise ScriptRejected(f"story {number} starts at turn {story.turn}, not after the story before it "
                                 f"(turn {previous}): stories are chapters, in order")
        previous = story.turn
        if len(story.links) > MAX_LINKS_PER_STORY:
            raise ScriptRejected(f"story {number} has {len(story.links)} links (at most {MAX_LINKS_PER_STORY})")
        if allowed is not None:
            invented = [link for link in story.links if link not in allowed]
            if invented:
                raise ScriptRejected(f"story {number} links to {invented[0]!r}, which no message of the bundle holds")
        if known_ids is not None:
            unknown = sorted(set(story.message_ids) - known_ids)
            if unknown:
                raise ScriptRejected(f"story {number} cites message ids not in the bundle: "
                                     + ", ".join(str(i) for i in unknown[:5]))
    return script


def _text(value: object, what: str, limit: int) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ScriptRejected(f"{what} is empty")
    if len(value) > limit:
        raise ScriptRejected(f"{what} is {len(value)} characters (at most {limit})")


def notes_document(script: Script) -> dict:
    """The notes as script.json and the episode store keep them."""
    return {
        "summary": script.summary,
        "stories": [{"title": s.title, "turn": s.turn, "message_ids": list(s.message_ids),
                     "links": list(s.links)} for s in script.stories],
    }


def stories_from(document: dict) -> list[Story]:
    return [Story(title=s["title"], turn=int(s["turn"]), message_ids=tuple(s.get("message_ids") or ()),
                  links=tuple(s.get("links") or ())) for s in document.get("stories") or []]


def clip(text: str, limit: int) -> str:
    """``text`` on one line, at most ``limit`` characters, cut at a word with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    head = flat[: limit - 1]
    if " " in head[limit // 2:]:
        head = head[: head.rindex(" ")]
    return head.rstrip(" ,;:-") + "…"
