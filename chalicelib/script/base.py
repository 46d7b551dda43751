"""The script-writer seam: a bundle in, a validated list of speaker turns out."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Speaker:
    """A voice in the episode. ``voice`` is a role the speech engine maps to a real voice:
    ``host_a`` / ``host_b`` in a dialogue, ``narrator`` alone."""

    name: str
    role: str
    voice: str


@dataclass(frozen=True)
class Turn:
    speaker: str  # a Speaker.name
    text: str  # what is said, plain text, in the podcast's language (quotes may differ)
    message_ids: tuple[int, ...] = ()  # the bundle messages this turn draws on


@dataclass(frozen=True)
class Story:
    """A story or topic the episode covers: a chapter of the audio and an entry of the show
    notes. ``turn`` is the index of the turn where it starts (the chapter's start time comes
    from that turn's place in the stitched audio); ``links`` are its sources, each one a link
    of the bundle (``chalicelib.script.notes.allowed_links``)."""

    title: str
    turn: int
    message_ids: tuple[int, ...] = ()
    links: tuple[str, ...] = ()


@dataclass
class Script:
    language: str  # "en" | "he"
    format: str  # "dialogue" | "narrator"
    speakers: list[Speaker]
    turns: list[Turn] = field(default_factory=list)
    # What the writer chose from the window and what it left out, and why
    # (``chalicelib.script.stories.Selection.to_json``); None from a writer that chose nothing.
    selection: dict | None = None
    # The episode's title and show notes (a short summary, then the stories, in order).
    title: str = ""
    summary: str = ""
    stories: list[Story] = field(default_factory=list)

    def transcript(self) -> str:
        """UTF-8 plain text, one turn per line as ``Speaker: text``."""
        return "".join(f"{t.speaker}: {t.text}\n" for t in self.turns)


@dataclass(frozen=True)
class Host:
    """A podcast's configured host: name and role (e.g. "host", "expert")."""

    name: str
    role: str


class ScriptWriter(Protocol):
    def write(
        self,
        bundle: dict,
        *,
        title: str,
        language: str,
        format: str,
        hosts: list[Host],
        target_seconds: float | None = None,
    ) -> Script:
        ...
