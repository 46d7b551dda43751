"""What both episode stores share when reading rows back: timestamps as ISO-8601 UTC with a Z."""
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.stores.rows import utc_iso


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-01T10:00:00Z",
        "2026-11-01T10:00:00+00:00",
        "2026-11-01T12:00:00+02:00",
        "2026-11-01 10:00:00",  # SQLite's own form: no zone, meaning UTC
        datetime(2026, 11, 1, 10, tzinfo=timezone.utc),
        datetime(2026, 11, 1, 5, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2026, 11, 1, 10),
    ],
)
def test_any_timestamp_a_database_hands_back_is_iso_utc_with_a_z(value):
    assert utc_iso(value) == "2026-11-01T10:00:00Z"


def test_no_timestamp_stays_none():
    assert utc_iso(None) is None
