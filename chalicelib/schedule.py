"""When a podcast's episodes are due: a schedule an admin can read, in the podcast's own time zone.

A schedule is a small JSON object, validated field by field (errors name ``schedule.<field>``):

    {"days": ["mon", "tue", "wed", "thu", "fri"], "at": "07:00", "timezone": "Asia/Jerusalem"}
    {"days": ["sun"], "at": "06:30", "timezone": "UTC"}
    {"every_days": 3, "at": "07:00", "timezone": "Europe/London", "starting": "2026-12-01"}

``days`` and ``every_days`` exclude each other; without either, the schedule is daily. The
recurrence itself is computed by ``dateutil.rrule`` (RFC 5545 recurrence rules, the calendar
standard) on *wall-clock* times in the zone, then placed in the zone with ``zoneinfo``: 07:00
stays 07:00 across a DST change. A wall-clock time that does not exist on a spring-forward day
(02:30 in a skipped hour) runs at the same number of minutes past the jump (03:30); one that
happens twice on a fall-back day runs once, at its first occurrence (PEP 495's ``fold=0``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import rrule

from chalicelib.errors import InvalidInput

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RRULE_DAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)
FIELDS = ("days", "every_days", "at", "timezone", "starting")
MAX_EVERY_DAYS = 366
_AT_RE = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
# IANA names: Area/Location[/Sub], or a bare name such as UTC. Checked before zoneinfo sees
# the value, so a path-like string never reaches the file system lookup.
_ZONE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]{0,30}(/[A-Za-z0-9_+-]{1,30}){0,2}$")
# How far ahead the next slot is looked for: further than any valid schedule's period.
_HORIZON = timedelta(days=MAX_EVERY_DAYS + 8)


@dataclass(frozen=True)
class Schedule:
    timezone: str
    at: time
    days: tuple[int, ...] | None = None  # 0 = Monday; None: every day (or every_days)
    every_days: int | None = None
    starting: date | None = None  # the first day of an every_days schedule

    # -- reading ------------------------------------------------------------------------------
    def to_json(self) -> dict:
        data: dict = {"at": self.at.strftime("%H:%M"), "timezone": self.timezone}
        if self.days is not None:
            data["days"] = [DAY_NAMES[d] for d in self.days]
        if self.every_days is not None:
            data["every_days"] = self.every_days
            data["starting"] = self.starting.isoformat()
        return data

    def describe(self) -> str:
        """What an admin reads: "every weekday at 07:00 (Asia/Jerusalem)"."""
        if self.every_days is not None:
            every = "every day" if self.every_days == 1 else f"every {self.every_days} days"
            when = f"{every} from {self.starting.isoformat()}"
        elif self.days is None or len(self.days) == 7:
            when = "every day"
        elif self.days == (0, 1, 2, 3, 4):
            when = "every weekday"
        else:
            names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
            when = "every " + ", ".join(names[d] for d in self.days)
        return f"{when} at {self.at.strftime('%H:%M')} ({self.timezone})"

    # -- slots --------------------------------------------------------------------------------
    def next_after(self, moment: datetime) -> datetime:
        """The first slot strictly after ``moment`` (aware), in UTC."""
        zone = ZoneInfo(self.timezone)
        # Step back a day in local time so a slot that a DST jump moved is never missed.
        local = moment.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
        for wall in self._rule(local).xafter(local, inc=True):
            slot = _place(wall, zone)
            if slot > moment:
                return slot
            if wall - local > _HORIZON:
                break
        raise InvalidInput("schedule has no future slot")  # unreachable for a valid schedule

    def latest_at_or_before(self, moment: datetime) -> datetime | None:
        """The last slot at or before ``moment``, in UTC; ``None`` before the first one."""
        zone = ZoneInfo(self.timezone)
        local = moment.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
        rule = self._rule(local - _HORIZON)
        wall = rule.before(local, inc=True)
        while wall is not None:
            slot = _place(wall, zone)
            if slot <= moment:
                return slot
            wall = rule.before(wall)
        return None

    def _rule(self, around: datetime) -> rrule.rrule:
        if self.every_days is not None:
            start = datetime.combine(self.starting, self.at)
            return rrule.rrule(rrule.DAILY, interval=self.every_days, dtstart=start)
        start = datetime.combine(around.date() - timedelta(days=7), self.at)
        days = None if self.days is None else [_RRULE_DAYS[d] for d in self.days]
        return rrule.rrule(rrule.DAILY, byweekday=days, dtstart=start)


def _place(wall: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time in ``zone`` as a UTC instant (fold=0: the first of a repeated hour;
    a time in a skipped hour lands as far past the jump as it was meant to be past its start)."""
    return wall.replace(tzinfo=zone, fold=0).astimezone(timezone.utc)


def parse_schedule(value: object, field: str = "schedule", *, today: date | None = None) -> Schedule | None:
    """A schedule from its JSON form; ``None`` stays ``None`` (no schedule: on demand only)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput(f"{field} must be an object such as "
                           '{"days": ["mon"], "at": "07:00", "timezone": "UTC"}, or null')
    unknown = sorted(set(value) - set(FIELDS))
    if unknown:
        raise InvalidInput(f"{field}.{unknown[0]} is not a schedule field (allowed: {', '.join(FIELDS)})")
    zone = _zone(value.get("timezone"), f"{field}.timezone")
    at = _at(value.get("at"), f"{field}.at")
    days = value.get("days")
    every = value.get("every_days")
    if days is not None and every is not None:
        raise InvalidInput(f"{field}.days and {field}.every_days cannot both be given")
    if "starting" in value and every is None:
        raise InvalidInput(f"{field}.starting goes only with {field}.every_days")
    if days is not None:
        return Schedule(zone, at, days=_days(days, f"{field}.days"))
    if every is not None:
        if isinstance(every, bool) or not isinstance(every, int) or not 1 <= every <= MAX_EVERY_DAYS:
            raise InvalidInput(f"{field}.every_days must be a whole number from 1 to {MAX_EVERY_DAYS}")
        starting = value.get("starting")
        if starting is None:
            start = today or datetime.now(ZoneInfo(zone)).date()
        else:
            start = _day(starting, f"{field}.starting")
        return Schedule(zone, at, every_days=every, starting=start)
    return Schedule(zone, at)


def _zone(value: object, field: str) -> str:
    if not isinstance(value, str) or not _ZONE_RE.match(value):
        raise InvalidInput(f"{field} must be an IANA time zone name such as Asia/Jerusalem or UTC")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"{field} {value!r} is not a known IANA time zone") from None
    return value


def _at(value: object, field: str) -> time:
    match = _AT_RE.match(value) if isinstance(value, str) else None
    if not match:
        raise InvalidInput(f"{field} must be a time of day as HH:MM (24-hour), such as 07:00")
    return time(int(match.group(1)), int(match.group(2)))


def _days(value: object, field: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not value or len(value) > 7:
        raise InvalidInput(f"{field} must be a list of 1-7 days from {', '.join(DAY_NAMES)}")
    chosen = set()
    for day in value:
        if not isinstance(day, str) or day.lower() not in DAY_NAMES:
            raise InvalidInput(f"{field} must be a list of 1-7 days from {', '.join(DAY_NAMES)}")
        chosen.add(DAY_NAMES.index(day.lower()))
    return tuple(sorted(chosen))


def _day(value: object, field: str) -> date:
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise InvalidInput(f"{field} must be a date as YYYY-MM-DD")
