"""Schedules: slots in the podcast's own time zone, DST handled, every field validated."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.errors import InvalidInput
from chalicelib.schedule import parse_schedule

UTC = timezone.utc
WEEKDAYS_JERUSALEM = {"days": ["mon", "tue", "wed", "thu", "fri"], "at": "07:00", "timezone": "Asia/Jerusalem"}


def slots(schedule, start, count):
    found, moment = [], start
    for _ in range(count):
        moment = schedule.next_after(moment)
        found.append(moment)
    return found


def test_a_weekday_schedule_across_a_week():
    schedule = parse_schedule(WEEKDAYS_JERUSALEM)
    # Sunday 2026-11-29, noon UTC: the next five slots are Monday to Friday, 07:00 in
    # Jerusalem (UTC+2 in winter), then the following Monday.
    found = slots(schedule, datetime(2026, 11, 29, 12, 0, tzinfo=UTC), 6)
    assert found == [datetime(2026, 11, d, 5, 0, tzinfo=UTC) for d in (30,)] + [
        datetime(2026, 12, d, 5, 0, tzinfo=UTC) for d in (1, 2, 3, 4, 7)]
    assert schedule.describe() == "every weekday at 07:00 (Asia/Jerusalem)"


def test_a_daily_time_stays_on_the_wall_clock_across_both_dst_changes():
    schedule = parse_schedule({"at": "07:00", "timezone": "Asia/Jerusalem"})
    # Israel moves to summer time on Friday 2027-03-26 and back on Sunday 2027-10-31.
    spring = slots(schedule, datetime(2027, 3, 24, 12, tzinfo=UTC), 4)
    assert [s.hour for s in spring] == [5, 4, 4, 4]  # 07:00 +02:00, then 07:00 +03:00 from the 26th
    assert all(s.astimezone(schedule_zone(schedule)).hour == 7 for s in spring)
    autumn = slots(schedule, datetime(2027, 10, 29, 12, tzinfo=UTC), 3)
    assert [s.hour for s in autumn] == [4, 5, 5]
    assert all(s.astimezone(schedule_zone(schedule)).hour == 7 for s in autumn)


def schedule_zone(schedule):
    from zoneinfo import ZoneInfo

    return ZoneInfo(schedule.timezone)


def test_a_time_that_does_not_exist_runs_after_the_jump_and_a_repeated_one_runs_once():
    london = parse_schedule({"at": "01:30", "timezone": "Europe/London"})
    # 2027-03-28: clocks jump from 01:00 to 02:00, so 01:30 never shows: it runs at 02:30 BST.
    skipped = london.next_after(datetime(2027, 3, 27, 12, tzinfo=UTC))
    assert skipped == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    # 2027-10-31: 01:30 happens twice; the slot is the first one (BST), once.
    repeated = london.next_after(datetime(2027, 10, 30, 12, tzinfo=UTC))
    assert repeated == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert london.next_after(repeated) == datetime(2027, 11, 1, 1, 30, tzinfo=UTC)


def test_every_sunday_and_every_three_days():
    sundays = parse_schedule({"days": ["sun"], "at": "06:30", "timezone": "UTC"})
    found = slots(sundays, datetime(2026, 12, 2, tzinfo=UTC), 3)
    assert found == [datetime(2026, 12, d, 6, 30, tzinfo=UTC) for d in (6, 13, 20)]
    every3 = parse_schedule({"every_days": 3, "at": "07:00", "timezone": "UTC", "starting": "2026-12-01"})
    assert slots(every3, datetime(2026, 11, 1, tzinfo=UTC), 3) == [
        datetime(2026, 12, d, 7, tzinfo=UTC) for d in (1, 4, 7)]
    assert every3.describe() == "every 3 days from 2026-12-01 at 07:00 (UTC)"


def test_the_latest_slot_at_or_before_a_moment():
    schedule = parse_schedule(WEEKDAYS_JERUSALEM)
    # Two days late on a Wednesday evening: the latest slot is Wednesday's.
    assert schedule.latest_at_or_before(datetime(2026, 12, 2, 20, tzinfo=UTC)) == datetime(2026, 12, 2, 5, tzinfo=UTC)
    assert schedule.latest_at_or_before(datetime(2026, 12, 2, 5, tzinfo=UTC)) == datetime(2026, 12, 2, 5, tzinfo=UTC)
    # Over a weekend: Friday's.
    assert schedule.latest_at_or_before(datetime(2026, 12, 6, 20, tzinfo=UTC)) == datetime(2026, 12, 4, 5, tzinfo=UTC)
    every = parse_schedule({"every_days": 3, "at": "07:00", "timezone": "UTC", "starting": "2026-12-01"})
    assert every.latest_at_or_before(datetime(2026, 11, 30, tzinfo=UTC)) is None


def test_next_after_and_latest_before_agree_over_a_year_of_slots():
    schedule = parse_schedule({"days": ["sun", "wed"], "at": "02:30", "timezone": "America/New_York"})
    moment = datetime(2027, 1, 1, tzinfo=UTC)
    for _ in range(120):
        slot = schedule.next_after(moment)
        assert slot > moment and slot - moment <= timedelta(days=5)
        assert schedule.latest_at_or_before(slot) == slot
        assert schedule.latest_at_or_before(slot - timedelta(seconds=1)) <= moment
        moment = slot


@pytest.mark.parametrize("value, field", [
    ("weekdays at 7", "schedule"),
    ({"at": "7:00", "timezone": "UTC"}, "schedule.at"),
    ({"at": "24:00", "timezone": "UTC"}, "schedule.at"),
    ({"at": "07:00"}, "schedule.timezone"),
    ({"at": "07:00", "timezone": "Mars/Olympus_Mons"}, "schedule.timezone"),
    ({"at": "07:00", "timezone": "../../etc/passwd"}, "schedule.timezone"),
    ({"at": "07:00", "timezone": "UTC", "days": []}, "schedule.days"),
    ({"at": "07:00", "timezone": "UTC", "days": ["funday"]}, "schedule.days"),
    ({"at": "07:00", "timezone": "UTC", "days": "mon"}, "schedule.days"),
    ({"at": "07:00", "timezone": "UTC", "every_days": 0}, "schedule.every_days"),
    ({"at": "07:00", "timezone": "UTC", "every_days": True}, "schedule.every_days"),
    ({"at": "07:00", "timezone": "UTC", "every_days": 2, "starting": "2026-02-31"}, "schedule.starting"),
    ({"at": "07:00", "timezone": "UTC", "days": ["mon"], "every_days": 2}, "schedule.days"),
    ({"at": "07:00", "timezone": "UTC", "starting": "2026-12-01"}, "schedule.starting"),
    ({"at": "07:00", "timezone": "UTC", "cron": "* * * * *"}, "schedule.cron"),
])
def test_a_bad_schedule_names_its_field(value, field):
    with pytest.raises(InvalidInput) as caught:
        parse_schedule(value)
    assert str(caught.value).startswith(field)
