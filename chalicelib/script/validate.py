"""The gate between writing a script and paying for its speech.

``validate_script`` rejects, with a message naming the turn, what would waste a synthesis run
or sound broken: unknown speakers, empty turns, hosts speaking the wrong language, markup or raw
URLs a speech engine would read out, message ids the bundle never had, a length far off target.
"""
from __future__ import annotations

import re

from chalicelib.domain import LANGUAGES
from chalicelib.errors import ScriptRejected
from chalicelib.script.base import Script
from chalicelib.script.stories import language_pace

DURATION_TOLERANCE = 0.25

_HEBREW = re.compile(r"[\u05D0-\u05EA]")
_LATIN = re.compile(r"[A-Za-z]")
# An ASCII '"' between Hebrew letters is a gershayim (צה"ל), not a quote mark.
_GERSHAYIM = re.compile(r'(?<=[\u05D0-\u05EA])"(?=[\u05D0-\u05EA])')
_QUOTED = re.compile(r"“[^“”]*”|„[^„“”]*[“”]|«[^«»]*»|\"[^\"]*\"")
_URL = re.compile(r"https?://|www\.\w", re.IGNORECASE)
_MARKUP = re.compile(r"[*#@<>\[\]]")


def estimate_seconds(script: Script, words_per_minute: float | None = None) -> float:
    """Spoken length estimated from the word count of every turn, at ``words_per_minute`` or
    else the script language's own pace (``stories.language_pace``)."""
    words = sum(len(turn.text.split()) for turn in script.turns)
    return words * 60.0 / (words_per_minute or language_pace(script.language))


def outside_quotes(text: str) -> str:
    """The host's own words: ``text`` with quoted material removed."""
    return _QUOTED.sub(" ", _GERSHAYIM.sub("\u05F4", text))


def _language_problem(text: str, language: str) -> str | None:
    own = outside_quotes(text)
    hebrew = len(_HEBREW.findall(own))
    latin = len(_LATIN.findall(own))
    if language == "he" and hebrew == 0:
        return "has no Hebrew outside quotes"
    # Product and site names stay in Latin letters in Hebrew speech ("iPhone", "GitHub"), so a
    # few are fine; a turn that is mostly Latin is an English turn with a Hebrew word in it.
    if language == "he" and latin > hebrew:
        return "is mostly not in Hebrew outside quotes"
    if language == "en" and (latin == 0 or hebrew > latin):
        return "is not in English outside quotes"
    return None


def validate_script(
    script: Script,
    *,
    bundle: dict | None = None,
    target_seconds: float | None = None,
    words_per_minute: float | None = None,
) -> Script:
    """``script`` unchanged if it may be spoken; otherwise ``ScriptRejected`` saying why."""
    if script.language not in LANGUAGES:
        raise ScriptRejected(f"script language {script.language!r} is not one of {', '.join(LANGUAGES)}")
    if not script.turns:
        raise ScriptRejected("the script has no turns")
    names = {speaker.name for speaker in script.speakers}
    known_ids = None
    if bundle is not None:
        known_ids = {int(m["id"]) for m in bundle.get("messages") or [] if "id" in m}
    for number, turn in enumerate(script.turns, start=1):
        if turn.speaker not in names:
            raise ScriptRejected(
                f"turn {number}: unknown speaker {turn.speaker!r} "
                f"(speakers: {', '.join(sorted(names)) or 'none'})"
            )
        if not turn.text or not turn.text.strip():
            raise ScriptRejected(f"turn {number} ({turn.speaker}) is empty")
        problem = _language_problem(turn.text, script.language)
        if problem:
            raise ScriptRejected(f"turn {number} ({turn.speaker}) {problem} (podcast language {script.language!r})")
        if _URL.search(turn.text) or _MARKUP.search(turn.text):
            raise ScriptRejected(
                f"turn {number} ({turn.speaker}) contains a URL or markup a speech engine would read aloud"
            )
        if known_ids is not None:
            unknown = sorted(set(turn.message_ids) - known_ids)
            if unknown:
                raise ScriptRejected(
                    f"turn {number} ({turn.speaker}) cites message ids not in the bundle: "
                    + ", ".join(str(i) for i in unknown[:5])
                )
    if target_seconds is not None and target_seconds > 0:
        estimate = estimate_seconds(script, words_per_minute)
        # A window with less material than the target makes a shorter episode, never a padded
        # one: only its upper bound holds (chalicelib/script/stories.py).
        short_of_material = script.selection is not None and not script.selection.get("enough_material", True)
        low = 0.0 if short_of_material else target_seconds * (1 - DURATION_TOLERANCE)
        high = target_seconds * (1 + DURATION_TOLERANCE)
        if not low <= estimate <= high:
            raise ScriptRejected(
                f"estimated length {estimate:.0f} s is outside ±{DURATION_TOLERANCE:.0%} of the {target_seconds:.0f} s target "
                f"({low:.0f}-{high:.0f} s)"
            )
    return script
