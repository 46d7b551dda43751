"""Request → content window: what a start/end date or days_back means, in UTC."""
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain import MAX_WINDOW_DAYS, Window, parse_moment, window_from_request
from chalicelib.errors import InvalidInput

UTC = timezone.utc
ONE_US = timedelta(microseconds=1)


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# --- bare dates ------------------------------------------------------------------------------

def test_a_bare_end_date_means_through_that_whole_day():
    window = window_from_request(start_date="2026-11-01", end_date="2026-11-07")
    assert window == Window(start=at(2026, 11, 1), end=at(2026, 11, 8))


@pytest.mark.parametrize("end_date", ["2026-11-07", "20261107"])
def test_the_last_instant_of_the_end_day_is_inside_and_the_next_midnight_is_not(end_date):
    window = window_from_request(end_date=end_date)
    assert window.contains(at(2026, 11, 8) - ONE_US)
    assert not window.contains(at(2026, 11, 8))


def test_a_bare_start_date_starts_at_its_midnight_inclusive():
    window = window_from_request(start_date="2026-11-01")
    assert window.contains(at(2026, 11, 1))
    assert not window.contains(at(2026, 11, 1) - ONE_US)
    assert window.end is None


def test_a_one_day_window_is_that_day():
    window = window_from_request(start_date="2026-11-07", end_date="2026-11-07")
    assert window.end - window.start == timedelta(days=1)


# --- timestamps ------------------------------------------------------------------------------

def test_an_offset_is_converted_to_utc():
    window = window_from_request(start_date="2026-11-07T08:00:00+03:00",
                                 end_date="2026-11-07T20:30:00-02:00")
    assert window.start == at(2026, 11, 7, 5, 0)
    assert window.end == at(2026, 11, 7, 22, 30)
    assert window.start.tzinfo == UTC and window.end.tzinfo == UTC


def test_a_naive_timestamp_is_utc_and_z_is_utc():
    assert parse_moment("2026-11-07T08:00:00", "start_date") == at(2026, 11, 7, 8)
    assert parse_moment("2026-11-07T08:00:00Z", "start_date") == at(2026, 11, 7, 8)


def test_an_end_timestamp_is_exact_and_exclusive():
    window = window_from_request(start_date="2026-11-07T10:00:00Z", end_date="2026-11-07T12:00:00Z")
    assert window.contains(at(2026, 11, 7, 10))
    assert window.contains(at(2026, 11, 7, 12) - ONE_US)
    assert not window.contains(at(2026, 11, 7, 12))


def test_an_end_at_the_start_or_before_it_is_invalid_input():
    with pytest.raises(InvalidInput, match="end_date"):
        window_from_request(start_date="2026-11-07T10:00:00Z", end_date="2026-11-07T10:00:00Z")


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "", "07/11/2026"])
def test_what_is_not_a_date_names_the_field(value):
    with pytest.raises(InvalidInput, match="start_date"):
        window_from_request(start_date=value)


# --- days_back -------------------------------------------------------------------------------

def test_days_back_ends_now_and_starts_n_days_earlier():
    now = at(2026, 11, 7, 15, 30)
    window = window_from_request(days_back=7, now=now)
    assert window == Window(start=at(2026, 10, 31, 15, 30), end=now)
    assert window.contains(window.start)
    assert not window.contains(now)


def test_days_back_takes_a_clock_with_an_offset_as_utc():
    now = datetime(2026, 11, 7, 18, 30, tzinfo=timezone(timedelta(hours=3)))
    window = window_from_request(days_back=1, now=now)
    assert window.end == at(2026, 11, 7, 15, 30)
    assert window.end.tzinfo == UTC


def test_days_back_without_a_clock_ends_at_the_real_now():
    before = datetime.now(UTC)
    window = window_from_request(days_back=2)
    after = datetime.now(UTC)
    assert before <= window.end <= after
    assert window.end - window.start == timedelta(days=2)


@pytest.mark.parametrize("days_back", [0, -1, MAX_WINDOW_DAYS + 1, "7", 1.5, True])
def test_days_back_must_be_a_whole_number_in_range(days_back):
    with pytest.raises(InvalidInput, match="days_back"):
        window_from_request(days_back=days_back, now=at(2026, 11, 7))


def test_days_back_with_dates_is_invalid_input():
    with pytest.raises(InvalidInput, match="days_back"):
        window_from_request(days_back=3, start_date="2026-11-01")


def test_no_window_field_is_an_open_window():
    assert window_from_request() == Window(start=None, end=None)


def test_a_window_longer_than_the_maximum_is_invalid_input():
    with pytest.raises(InvalidInput, match=str(MAX_WINDOW_DAYS)):
        window_from_request(start_date="2025-01-01", end_date="2026-06-01")


def test_a_window_survives_its_json_form():
    window = window_from_request(start_date="2026-11-01T08:00:00+02:00", end_date="2026-11-07")
    assert window.to_json() == {"start": "2026-11-01T06:00:00Z", "end": "2026-11-08T00:00:00Z"}
    assert Window.from_json(window.to_json()) == window


# --- exact limits and messages -----------------------------------------------------------------

def test_days_back_of_exactly_the_maximum_is_accepted():
    window = window_from_request(days_back=MAX_WINDOW_DAYS, now=at(2026, 11, 7))
    assert window.end - window.start == timedelta(days=MAX_WINDOW_DAYS)


def test_dates_spanning_exactly_the_maximum_are_accepted_and_a_microsecond_more_is_not():
    start = at(2025, 1, 1)
    end = start + timedelta(days=MAX_WINDOW_DAYS)
    assert window_from_request(start_date=start.isoformat(), end_date=end.isoformat()) == Window(start, end)
    with pytest.raises(InvalidInput, match="^the window from start_date to end_date exceeds 366 days$"):
        window_from_request(start_date=start.isoformat(), end_date=(end + ONE_US).isoformat())


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"days_back": 3, "end_date": "2026-11-01"}, "days_back cannot be combined with start_date/end_date"),
        ({"days_back": "7"}, "days_back must be a whole number of days"),
        ({"days_back": 0}, "days_back must be between 1 and 366"),
        ({"start_date": "2026-11-07", "end_date": "2026-11-06"}, "end_date must be after start_date"),
        ({"start_date": 20261107}, "start_date must be a date (YYYY-MM-DD) or an ISO-8601 timestamp"),
        ({"end_date": "soon"}, "end_date must be a date (YYYY-MM-DD) or an ISO-8601 timestamp"),
        ({"end_date": ""}, "end_date must be a date (YYYY-MM-DD) or an ISO-8601 timestamp"),
    ],
)
def test_each_refusal_says_exactly_what_is_wrong(fields, message):
    with pytest.raises(InvalidInput) as caught:
        window_from_request(now=at(2026, 11, 7), **fields)
    assert str(caught.value) == message


def test_a_stored_windows_bad_moment_names_the_window_field():
    with pytest.raises(InvalidInput, match="^window.start must be a date"):
        Window.from_json({"start": "soon"})
    with pytest.raises(InvalidInput, match="^window.end must be a date"):
        Window.from_json({"end": "soon"})
    assert Window.from_json(None) == Window.from_json({}) == Window(None, None)


@pytest.fixture
def jerusalem_clock(monkeypatch):
    """A laptop whose local time is not UTC: naive times must still be read as UTC."""
    import time

    monkeypatch.setenv("TZ", "Asia/Jerusalem")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_on_a_machine_in_another_time_zone_windows_are_still_utc(jerusalem_clock):
    assert parse_moment("2026-11-07T10:00:00", "start_date") == at(2026, 11, 7, 10)
    moment = parse_moment("2026-11-07T10:00:00+03:00", "start_date")
    assert moment == at(2026, 11, 7, 7) and moment.utcoffset() == timedelta(0)
    window = window_from_request(days_back=1, now=datetime(2026, 11, 7, 12, tzinfo=timezone(timedelta(hours=2))))
    assert window.end.utcoffset() == timedelta(0) and window.end == at(2026, 11, 7, 10)
    assert window_from_request(days_back=1).end.utcoffset() == timedelta(0)
