"""The speech seam: text in, 16-bit mono PCM out."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SpeechPlan:
    """How an episode's script will be spoken, decided once by WriteScript."""

    provider: str  # espeak | polly | gemini
    model: str  # what besides text, role and language determines the audio (segment cache key)
    max_chars: int  # the longest segment the provider takes in one call


class SpeechEngine(Protocol):
    sample_rate: int  # Hz of the PCM returned by synthesize

    def synthesize(self, text: str, *, voice: str, language: str) -> bytes:
        """Signed 16-bit little-endian mono PCM at ``sample_rate``.

        ``voice`` is a script voice role (``host_a``, ``host_b``, ``narrator``); the engine maps
        it to one of its own voices so the two hosts are clearly different. A voice a podcast's
        host chose for this provider comes as ``own_voice(name)`` and is used as it is.
        """
        ...


# A host's own voice for the provider (podcast.hosts[].voices), told apart from the roles.
_OWN_VOICE = "own:"


def own_voice(name: str) -> str:
    """The segment voice that asks the engine for its voice ``name`` itself, not a role's."""
    return _OWN_VOICE + name


def chosen_voice(voice: str) -> str | None:
    """The provider's own voice name a segment asks for, or ``None`` for a role."""
    return voice[len(_OWN_VOICE):] if voice.startswith(_OWN_VOICE) else None
