"""Transcript and WebVTT captions of a stitched episode, timed from the segments' durations."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    speaker: str
    text: str
    message_ids: tuple[int, ...] = ()


def _timestamp(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def webvtt(cues: list[Cue]) -> str:
    """WebVTT with one cue per segment; the speaker as a voice span (``<v Alex>``)."""
    lines = ["WEBVTT", ""]
    for number, cue in enumerate(cues, start=1):
        text = cue.text.replace("-->", "->")  # the one sequence a cue's text may not hold
        lines += [str(number), f"{_timestamp(cue.start)} --> {_timestamp(cue.end)}",
                  f"<v {cue.speaker}>{text}", ""]
    return "\n".join(lines)


def transcript_lines(cues: list[Cue], turn_of: list[int]) -> str:
    """``Speaker: text``, one line per turn (segments of one turn joined again)."""
    lines: list[str] = []
    last_turn = None
    for cue, turn in zip(cues, turn_of):
        if turn == last_turn:
            lines[-1] += " " + cue.text
        else:
            lines.append(f"{cue.speaker}: {cue.text}")
        last_turn = turn
    return "".join(line + "\n" for line in lines)
