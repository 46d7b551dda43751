"""A podcast is a series: where its next episode's window starts.

An episode started without an explicit window (by the scheduler, or from the API with no dates)
starts where the podcast's last completed episode ended, so consecutive episodes leave no gap
and do not overlap; ``days_back`` bounds how far back it may reach (a first episode, or a
catch-up after a long pause). What a window still shares with a completed episode (a retried
episode completing late, an explicit window) is filtered as ``already_covered`` at collection.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from chalicelib.domain import Window, parse_moment
from chalicelib.stores.episodes import Podcast

# A window must end after it starts (both stores check it); a series whose last episode ended
# in the future (an explicit window) gets this sliver, in which no message can exist yet.
_EMPTY_WINDOW = timedelta(seconds=1)


def next_window(podcast: Podcast, *, last_end: str | None, now: datetime) -> Window:
    end = now.astimezone(timezone.utc)
    floor = end - timedelta(days=podcast.days_back) if podcast.days_back else None
    start = parse_moment(last_end, "window_end") if last_end else floor
    if floor is not None and start is not None and start < floor:
        start = floor
    if start is not None and start >= end:
        end = start + _EMPTY_WINDOW
    return Window(start=start, end=end)
