import inspect
from datetime import timedelta

import pytest
from telethon import TelegramClient, errors
from telethon.crypto import AuthKey
from telethon.sessions import StringSession
from telethon.tl import types

from chalicelib.domain import Window
from chalicelib.errors import (
    ConfigurationError,
    InvalidInput,
    SourceFailed,
    SourceUnavailable,
    TelegramSessionInvalid,
)
from chalicelib.sources.bundle import build_bundle
from chalicelib.sources.telethon_source import TelethonSource, make_client
from telegram_double import T0, TelegramDouble, channel, hourly_posts, photo_post, post, service

NEWS = channel(1111111111, "podcasto_news")
TECH = channel(2222222222, "podcasto_tech")
OPEN = Window(start=None, end=None)
SECRET = "1BVtsOK8Bu5-SUPER-SECRET-SESSION"


class Sleeps(list):
    """The injected sleep: remembers what it was asked to wait, never waits."""

    def __call__(self, seconds):
        self.append(seconds)


def source(double, channels=("@podcasto_news",), **options):
    options.setdefault("sleep", Sleeps())
    return TelethonSource(lambda: double, list(channels), **options)


def ids(collection):
    return [(m.channel, m.id) for m in collection.messages]


# --- the double is a faithful stand-in -------------------------------------------------------

@pytest.mark.parametrize("name", ["connect", "disconnect", "is_user_authorized", "get_entity", "iter_messages",
                                  "download_media"])
def test_the_double_has_telegram_clients_signatures(name):
    real = inspect.signature(getattr(TelegramClient, name))
    double = inspect.signature(getattr(TelegramDouble, name))
    assert list(double.parameters) == list(real.parameters)
    assert inspect.iscoroutinefunction(getattr(TelegramDouble, name)) == (
        inspect.iscoroutinefunction(getattr(TelegramClient, name)) or name == "disconnect"
    )


# --- reading ---------------------------------------------------------------------------------

def test_pagination_collects_every_message_of_a_long_channel():
    double = TelegramDouble([NEWS], {NEWS.id: hourly_posts(NEWS.id, 350)})
    collection = source(double).collect(OPEN)
    assert [m.id for m in collection.messages] == list(range(1, 351))
    assert double.requests == 4  # 100 + 100 + 100 + 50
    assert collection.channels == ["@podcasto_news"]
    assert collection.skipped == []


def test_pages_are_read_without_telethons_unbounded_read_pause():
    double = TelegramDouble([NEWS], {NEWS.id: hourly_posts(NEWS.id, 5)})
    source(double, max_per_channel=1000).collect(OPEN)
    assert double.wait_times == [0]  # limit=None alone would make Telethon sleep 1 s per page


def test_very_large_caps_keep_telethons_pause_between_pages():
    double = TelegramDouble([NEWS], {NEWS.id: hourly_posts(NEWS.id, 5)})
    source(double, max_per_channel=5000, max_per_episode=5000).collect(OPEN)
    assert double.wait_times == [1]


def test_window_start_is_inclusive_and_end_exclusive():
    double = TelegramDouble([NEWS], {NEWS.id: hourly_posts(NEWS.id, 10)})
    window = Window(start=T0 + timedelta(hours=2), end=T0 + timedelta(hours=5))
    collection = source(double).collect(window)
    assert [m.id for m in collection.messages] == [3, 4, 5]  # posted at hours 2, 3, 4


def test_window_start_with_fractions_of_a_second_keeps_only_later_posts():
    history = [post(NEWS.id, 1, T0, "at T0"), post(NEWS.id, 2, T0 + timedelta(seconds=1), "after")]
    double = TelegramDouble([NEWS], {NEWS.id: history})
    collection = source(double).collect(Window(start=T0 + timedelta(milliseconds=500), end=None))
    assert [m.id for m in collection.messages] == [2]


def test_reading_stops_at_the_window_end():
    double = TelegramDouble([NEWS], {NEWS.id: hourly_posts(NEWS.id, 350)})
    source(double).collect(Window(start=T0, end=T0 + timedelta(hours=10)))
    assert double.requests == 1  # the first page held the end: no further page was asked for


def test_messages_carry_the_channel_label_and_normalised_fields():
    history = [post(NEWS.id, 1, T0, "see https://example.org",
                    entities=[types.MessageEntityUrl(offset=4, length=19)], views=10)]
    double = TelegramDouble([NEWS], {NEWS.id: history})
    (message,) = source(double, ["https://t.me/podcasto_news"]).collect(OPEN).messages
    assert message.channel == "@podcasto_news"
    assert message.links == ("https://example.org",)
    assert message.views == 10


def test_service_messages_are_skipped_and_recorded():
    history = [post(NEWS.id, 1, T0, "hello"), service(NEWS.id, 2, T0 + timedelta(minutes=1)),
               post(NEWS.id, 3, T0 + timedelta(minutes=2), "bye")]
    double = TelegramDouble([NEWS], {NEWS.id: history})
    collection = source(double).collect(OPEN)
    assert [m.id for m in collection.messages] == [1, 3]
    assert collection.skipped == [{"id": 2, "channel": "@podcasto_news", "reason": "service"}]


def test_channels_are_merged_oldest_first():
    news = hourly_posts(NEWS.id, 3, start=T0)  # hours 0, 1, 2
    tech = hourly_posts(TECH.id, 3, start=T0 + timedelta(minutes=30))  # hours 0.5, 1.5, 2.5
    double = TelegramDouble([NEWS, TECH], {NEWS.id: news, TECH.id: tech})
    collection = source(double, ["@podcasto_news", "@podcasto_tech"]).collect(OPEN)
    assert ids(collection) == [
        ("@podcasto_news", 1), ("@podcasto_tech", 1), ("@podcasto_news", 2),
        ("@podcasto_tech", 2), ("@podcasto_news", 3), ("@podcasto_tech", 3),
    ]
    assert collection.channels == ["@podcasto_news", "@podcasto_tech"]


def test_the_same_channel_named_twice_is_read_once():
    double = TelegramDouble([NEWS], {NEWS.id: hourly_posts(NEWS.id, 2)})
    collection = source(double, ["@podcasto_news", "t.me/Podcasto_News"]).collect(OPEN)
    assert [m.id for m in collection.messages] == [1, 2]
    assert collection.channels == ["@podcasto_news"]


def test_a_channel_known_only_by_id_is_found_through_the_dialogs():
    double = TelegramDouble([NEWS], {NEWS.id: hourly_posts(NEWS.id, 2)}, known_by_id=False)
    collection = source(double, ["-1001111111111"]).collect(OPEN)
    assert [m.channel for m in collection.messages] == ["-1001111111111"] * 2
    assert ("get_dialogs",) in double.calls


# --- caps ------------------------------------------------------------------------------------

def test_channel_cap_keeps_the_oldest_and_records_what_was_left_out():
    double = TelegramDouble([NEWS], {NEWS.id: hourly_posts(NEWS.id, 30)})
    collection = source(double, max_per_channel=10).collect(OPEN)
    assert [m.id for m in collection.messages] == list(range(1, 11))
    assert collection.skipped == [
        {"id": 11, "channel": "@podcasto_news", "reason": "over_channel_cap", "and_later": True}
    ]


def test_a_channel_exactly_at_its_cap_records_nothing():
    double = TelegramDouble([NEWS], {NEWS.id: hourly_posts(NEWS.id, 10)})
    collection = source(double, max_per_channel=10).collect(OPEN)
    assert len(collection.messages) == 10
    assert collection.skipped == []


def test_episode_cap_keeps_the_oldest_across_channels_and_records_each_cut():
    news = hourly_posts(NEWS.id, 4, start=T0)
    tech = hourly_posts(TECH.id, 4, start=T0 + timedelta(minutes=30))
    double = TelegramDouble([NEWS, TECH], {NEWS.id: news, TECH.id: tech})
    collection = source(double, ["@podcasto_news", "@podcasto_tech"],
                        max_per_channel=10, max_per_episode=5).collect(OPEN)
    assert ids(collection) == [
        ("@podcasto_news", 1), ("@podcasto_tech", 1), ("@podcasto_news", 2),
        ("@podcasto_tech", 2), ("@podcasto_news", 3),
    ]
    assert collection.skipped == [
        {"id": 3, "channel": "@podcasto_tech", "reason": "over_episode_cap"},
        {"id": 4, "channel": "@podcasto_news", "reason": "over_episode_cap"},
        {"id": 4, "channel": "@podcasto_tech", "reason": "over_episode_cap"},
    ]


def test_one_channel_beyond_the_episode_cap_is_cut_while_reading():
    double = TelegramDouble([NEWS], {NEWS.id: hourly_posts(NEWS.id, 350)})
    collection = source(double, max_per_channel=1000, max_per_episode=120).collect(OPEN)
    assert len(collection.messages) == 120
    assert collection.skipped == [
        {"id": 121, "channel": "@podcasto_news", "reason": "over_episode_cap", "and_later": True}
    ]
    assert double.requests == 2


def test_the_bundle_says_a_capped_channel_was_cut_short_not_just_one_message():
    news = hourly_posts(NEWS.id, 30, start=T0)
    tech = hourly_posts(TECH.id, 3, start=T0 + timedelta(minutes=30), first_id=101)  # other texts
    double = TelegramDouble([NEWS, TECH], {NEWS.id: news, TECH.id: tech})
    collection = source(double, ["@podcasto_news", "@podcasto_tech"], max_per_channel=10).collect(OPEN)

    bundle = build_bundle(collection, podcast_id="p", episode_id="e", window=OPEN)

    assert bundle["filtered"] == [
        {"id": 11, "channel": "@podcasto_news", "reason": "over_channel_cap", "and_later": True}
    ]
    assert bundle["counts"] == {"collected": 14, "kept": 13, "filtered": 1}


def test_the_bundle_keeps_each_message_cut_by_the_episode_cap_without_and_later():
    news = hourly_posts(NEWS.id, 2, start=T0)
    tech = hourly_posts(TECH.id, 2, start=T0 + timedelta(minutes=30), first_id=101)
    double = TelegramDouble([NEWS, TECH], {NEWS.id: news, TECH.id: tech})
    collection = source(double, ["@podcasto_news", "@podcasto_tech"],
                        max_per_channel=10, max_per_episode=3).collect(OPEN)

    bundle = build_bundle(collection, podcast_id="p", episode_id="e", window=OPEN)

    assert bundle["filtered"] == [{"id": 102, "channel": "@podcasto_tech", "reason": "over_episode_cap"}]


@pytest.mark.parametrize("options", [{"max_per_channel": 0}, {"max_per_episode": -1}, {"max_per_channel": True}])
def test_caps_must_be_positive(options):
    with pytest.raises(InvalidInput):
        source(TelegramDouble(), **options)


# --- validation before the network -----------------------------------------------------------

def test_bad_channel_names_fail_before_any_connection():
    made = []
    with pytest.raises(InvalidInput) as caught:
        TelethonSource(lambda: made.append(1), ["@podcasto_news", "xyz!!"])
    assert "'xyz!!'" in str(caught.value)
    assert made == []


def test_no_channel_is_invalid_input():
    with pytest.raises(InvalidInput):
        TelethonSource(lambda: None, [])


# --- flood waits -----------------------------------------------------------------------------

def test_a_short_flood_wait_is_slept_and_reading_resumes_without_repeats():
    double = TelegramDouble([NEWS], {NEWS.id: hourly_posts(NEWS.id, 250)},
                            flood_after={NEWS.id: [(120, 7), (50, 3)]})
    sleeps = Sleeps()
    collection = source(double, sleep=sleeps).collect(OPEN)
    assert [m.id for m in collection.messages] == list(range(1, 251))
    assert sleeps == [7, 3]


def test_a_resumed_read_that_overlaps_what_was_seen_adds_no_duplicates():
    class OverlappingDouble(TelegramDouble):
        # As if Telegram answered the resumed read from an older offset than asked.
        def iter_messages(self, entity, limit=None, *, min_id=0, **kwargs):
            return super().iter_messages(entity, limit, min_id=max(0, min_id - 5), **kwargs)

    double = OverlappingDouble([NEWS], {NEWS.id: hourly_posts(NEWS.id, 30)},
                               flood_after={NEWS.id: [(20, 1)]})
    collection = source(double).collect(OPEN)
    assert [m.id for m in collection.messages] == list(range(1, 31))


def test_a_flood_wait_while_resolving_the_channel_is_slept():
    double = TelegramDouble([NEWS], {NEWS.id: hourly_posts(NEWS.id, 1)},
                            fail_on={"get_entity": [errors.FloodWaitError(request=None, capture=5)]})
    sleeps = Sleeps()
    assert len(source(double, sleep=sleeps).collect(OPEN).messages) == 1
    assert sleeps == [5]


def test_a_long_flood_wait_is_source_unavailable_saying_how_long():
    double = TelegramDouble([NEWS], {NEWS.id: hourly_posts(NEWS.id, 5)},
                            flood_after={NEWS.id: [(2, 31)]})
    sleeps = Sleeps()
    with pytest.raises(SourceUnavailable) as caught:
        source(double, sleep=sleeps, flood_wait_max_seconds=30).collect(OPEN)
    assert "31 s" in str(caught.value)
    assert "@podcasto_news" in str(caught.value)
    assert sleeps == []
    assert double.calls[-1] == ("disconnect",)


def test_a_flood_wait_of_exactly_the_maximum_is_slept():
    double = TelegramDouble([NEWS], {NEWS.id: hourly_posts(NEWS.id, 5)},
                            flood_after={NEWS.id: [(2, 30)]})
    sleeps = Sleeps()
    collection = source(double, sleep=sleeps, flood_wait_max_seconds=30).collect(OPEN)
    assert sleeps == [30]
    assert [m.id for m in collection.messages] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("method", ["connect", "is_user_authorized"])
def test_a_flood_wait_before_any_channel_is_read_is_source_unavailable_for_step_functions(method):
    # Telegram's "slow down" while logging in is transient: retried with the state machine's
    # backoff, never recorded as a source that failed for good.
    double = TelegramDouble([NEWS], {NEWS.id: hourly_posts(NEWS.id, 1)},
                            fail_on={method: [errors.FloodWaitError(request=None, capture=300)]})
    with pytest.raises(SourceUnavailable, match="Telegram asked us to slow down"):
        source(double).collect(OPEN)
    assert double.calls[-1] == ("disconnect",)


def test_at_most_three_flood_sleeps_per_channel():
    double = TelegramDouble([NEWS], {NEWS.id: hourly_posts(NEWS.id, 5)},
                            flood_after={NEWS.id: [(0, 1), (0, 1), (0, 1), (0, 1)]})
    sleeps = Sleeps()
    with pytest.raises(SourceUnavailable):
        source(double, sleep=sleeps).collect(OPEN)
    assert sleeps == [1, 1, 1]


def test_the_flood_budget_is_per_channel():
    double = TelegramDouble(
        [NEWS, TECH],
        {NEWS.id: hourly_posts(NEWS.id, 3), TECH.id: hourly_posts(TECH.id, 3)},
        flood_after={NEWS.id: [(0, 1), (0, 1), (0, 1)], TECH.id: [(1, 2), (1, 2), (0, 2)]},
    )
    sleeps = Sleeps()
    collection = source(double, ["@podcasto_news", "@podcasto_tech"], sleep=sleeps).collect(OPEN)
    assert len(collection.messages) == 6
    assert sleeps == [1, 1, 1, 2, 2, 2]


def test_flood_sleeping_is_bounded_per_collection_across_channels():
    # Each channel stays within its own limits (3 waits of 20 s, each under the 30 s bound);
    # together they would sleep 120 s.
    double = TelegramDouble(
        [NEWS, TECH],
        {NEWS.id: hourly_posts(NEWS.id, 3), TECH.id: hourly_posts(TECH.id, 3)},
        flood_after={NEWS.id: [(0, 20), (0, 20), (0, 20)], TECH.id: [(0, 20), (0, 20), (0, 20)]},
    )
    sleeps = Sleeps()
    with pytest.raises(SourceUnavailable) as caught:
        source(double, ["@podcasto_news", "@podcasto_tech"], sleep=sleeps,
               flood_wait_max_seconds=30, flood_wait_budget_seconds=60).collect(OPEN)
    assert sleeps == [20, 20, 20]  # the fourth wait would pass the 60 s budget: not slept
    assert "@podcasto_tech" in str(caught.value)
    assert "60 s" in str(caught.value)
    assert double.calls[-1] == ("disconnect",)


def test_flood_sleeping_up_to_exactly_the_budget_is_allowed():
    double = TelegramDouble(
        [NEWS, TECH],
        {NEWS.id: hourly_posts(NEWS.id, 2), TECH.id: hourly_posts(TECH.id, 2, first_id=11)},
        flood_after={NEWS.id: [(0, 25)], TECH.id: [(1, 25)]},
        fail_on={"get_entity": [errors.FloodWaitError(request=None, capture=10)]},
    )
    sleeps = Sleeps()
    collection = source(double, ["@podcasto_news", "@podcasto_tech"], sleep=sleeps,
                        flood_wait_budget_seconds=60).collect(OPEN)
    assert len(collection.messages) == 4
    assert sorted(sleeps) == [10, 25, 25]


def test_a_single_wait_over_what_is_left_of_the_budget_is_not_slept():
    double = TelegramDouble([NEWS], {NEWS.id: hourly_posts(NEWS.id, 3)},
                            flood_after={NEWS.id: [(0, 5), (1, 10)]})
    sleeps = Sleeps()
    with pytest.raises(SourceUnavailable):
        source(double, sleep=sleeps, flood_wait_budget_seconds=12).collect(OPEN)
    assert sleeps == [5]


@pytest.mark.parametrize("options", [{"flood_wait_budget_seconds": -1}, {"flood_wait_max_seconds": "30"}])
def test_flood_wait_bounds_must_be_seconds(options):
    with pytest.raises(InvalidInput):
        source(TelegramDouble(), **options)


# --- photos ----------------------------------------------------------------------------------

def photo_history():
    return [post(NEWS.id, 1, T0, "text only"),
            photo_post(NEWS.id, 2, T0 + timedelta(minutes=1), "a caption"),
            photo_post(NEWS.id, 3, T0 + timedelta(minutes=2))]


class Delivered(list):
    def __call__(self, channel, message_id, data):
        self.append((channel, message_id, data))


def test_photos_of_the_last_collect_are_downloaded_into_memory_and_delivered():
    double = TelegramDouble([NEWS], {NEWS.id: photo_history()},
                            photos={(NEWS.id, 2): b"jpeg-2", (NEWS.id, 3): b"jpeg-3"})
    telethon = source(double)
    collection = telethon.collect(OPEN)
    assert [m.media.type if m.media else None for m in collection.messages] == [None, "photo", "photo"]
    delivered = Delivered()

    telethon.fetch_photos([("@podcasto_news", 3)], delivered)

    assert delivered == [("@podcasto_news", 3, b"jpeg-3")]  # only what was asked for
    assert double.downloads == [(NEWS.id, 3)]
    assert double.calls[-1] == ("disconnect",)
    assert not double.connected


def test_a_photo_not_collected_or_not_a_photo_is_not_downloaded():
    double = TelegramDouble([NEWS], {NEWS.id: photo_history()}, photos={(NEWS.id, 2): b"jpeg-2"})
    telethon = source(double)
    telethon.collect(OPEN)
    connects = double.calls.count(("connect",))
    delivered = Delivered()

    telethon.fetch_photos([("@podcasto_news", 1), ("@podcasto_news", 99)], delivered)

    assert delivered == []
    assert double.downloads == []
    assert double.calls.count(("connect",)) == connects  # nothing to fetch: no connection


def test_a_photo_telegram_gives_no_bytes_for_or_refuses_is_skipped():
    double = TelegramDouble(
        [NEWS], {NEWS.id: photo_history()}, photos={(NEWS.id, 3): b"jpeg-3"},
        fail_on={"download_media": [errors.FileReferenceExpiredError(request=None)]},
    )
    telethon = source(double)
    telethon.collect(OPEN)
    delivered = Delivered()

    telethon.fetch_photos([("@podcasto_news", 2), ("@podcasto_news", 3)], delivered)

    assert delivered == [("@podcasto_news", 3, b"jpeg-3")]


def test_photo_downloads_flood_waits_count_against_the_collection_budget():
    double = TelegramDouble(
        [NEWS], {NEWS.id: photo_history()}, photos={(NEWS.id, 2): b"jpeg-2"},
        flood_after={NEWS.id: [(1, 25)]},
        fail_on={"download_media": [errors.FloodWaitError(request=None, capture=25)] * 2},
    )
    sleeps = Sleeps()
    telethon = source(double, sleep=sleeps, flood_wait_budget_seconds=60)
    telethon.collect(OPEN)

    with pytest.raises(SourceUnavailable):
        telethon.fetch_photos([("@podcasto_news", 2)], Delivered())
    assert sleeps == [25, 25]  # the third 25 s wait would pass the 60 s budget
    assert double.calls[-1] == ("disconnect",)


def test_a_revoked_session_while_fetching_photos_is_telegram_session_invalid():
    double = TelegramDouble([NEWS], {NEWS.id: photo_history()}, photos={(NEWS.id, 2): b"jpeg-2"})
    telethon = source(double)
    telethon.collect(OPEN)
    double.fail_on["download_media"] = [errors.AuthKeyUnregisteredError(request=None)]

    with pytest.raises(TelegramSessionInvalid):
        telethon.fetch_photos([("@podcasto_news", 2)], Delivered())


# --- failures --------------------------------------------------------------------------------

def test_an_unauthorised_session_tells_the_operator_what_to_do():
    double = TelegramDouble([NEWS], authorized=False)
    with pytest.raises(TelegramSessionInvalid) as caught:
        source(double).collect(OPEN)
    assert "make telegram-session" in str(caught.value)
    assert double.calls[-1] == ("disconnect",)


@pytest.mark.parametrize("error", [errors.AuthKeyUnregisteredError, errors.SessionRevokedError,
                                   errors.AuthKeyDuplicatedError])
def test_revoked_sessions_are_telegram_session_invalid(error):
    double = TelegramDouble([NEWS], {NEWS.id: hourly_posts(NEWS.id, 1)},
                            fail_on={"iter_messages": [error(request=None)]})
    with pytest.raises(TelegramSessionInvalid) as caught:
        source(double).collect(OPEN)
    assert "make telegram-session" in str(caught.value)
    assert isinstance(caught.value.__cause__, error)


@pytest.mark.parametrize(
    "error, why",
    [(errors.ChannelPrivateError(request=None), "private"),
     (errors.ChannelInvalidError(request=None), "invalid"),
     (errors.UsernameNotOccupiedError(request=None), "no channel has this username"),
     (errors.UsernameInvalidError(request=None), "no channel has this username"),
     (errors.ChannelBannedError(request=None), "banned"),
     (errors.ChatForbiddenError(request=None), "may not read it"),
     (errors.ChannelPublicGroupNaError(request=None), "not available")],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else None,
)
def test_a_channel_telegram_refuses_is_source_failed_naming_it(error, why):
    double = TelegramDouble([NEWS], fail_on={"get_entity": [error]})
    with pytest.raises(SourceFailed) as caught:
        source(double).collect(OPEN)
    assert "@podcasto_news" in str(caught.value)
    assert why in str(caught.value)
    assert caught.value.__cause__ is error
    assert double.calls[-1] == ("disconnect",)


def test_a_ban_found_while_reading_is_source_failed_not_retried():
    double = TelegramDouble([NEWS], {NEWS.id: hourly_posts(NEWS.id, 1)},
                            fail_on={"iter_messages": [errors.ChannelBannedError(request=None)]})
    with pytest.raises(SourceFailed) as caught:
        source(double).collect(OPEN)
    assert "@podcasto_news" in str(caught.value) and "banned" in str(caught.value)


def test_a_private_channel_found_while_reading_is_source_failed():
    double = TelegramDouble([NEWS], {NEWS.id: []},
                            fail_on={"iter_messages": [errors.ChannelPrivateError(request=None)]})
    with pytest.raises(SourceFailed) as caught:
        source(double).collect(OPEN)
    assert "@podcasto_news" in str(caught.value)
    assert "private" in str(caught.value)


def test_an_unknown_username_is_source_failed_naming_it():
    double = TelegramDouble([NEWS])  # "@nobody_here" resolves to nothing: Telethon's ValueError
    with pytest.raises(SourceFailed) as caught:
        source(double, ["@nobody_here"]).collect(OPEN)
    assert "@nobody_here" in str(caught.value)


def test_an_id_missing_even_from_the_dialogs_is_source_failed():
    double = TelegramDouble([NEWS], known_by_id=False)
    with pytest.raises(SourceFailed) as caught:
        source(double, ["-1009999999999"]).collect(OPEN)
    assert "-1009999999999" in str(caught.value)


def test_a_user_account_is_not_a_channel():
    user = types.User(id=42, username="some_person", access_hash=1)
    double = TelegramDouble()
    double.get_entity = _returns(user)
    with pytest.raises(SourceFailed) as caught:
        source(double, ["@some_person"]).collect(OPEN)
    assert "user account" in str(caught.value)


def _returns(value):
    async def get_entity(entity):
        return value
    return get_entity


@pytest.mark.parametrize(
    "method, error",
    [
        ("connect", ConnectionError("Connection to Telegram failed 5 time(s)")),
        ("get_entity", OSError("network unreachable")),
        ("iter_messages", TimeoutError()),
        ("iter_messages", errors.ServerError(request=None, message="RPC_CALL_FAIL", code=500)),
        ("iter_messages", errors.TimedOutError(request=None, message="Timeout", code=-503)),
    ],
)
def test_network_trouble_and_server_errors_are_source_unavailable(method, error):
    double = TelegramDouble([NEWS], {NEWS.id: hourly_posts(NEWS.id, 1)}, fail_on={method: [error]})
    with pytest.raises(SourceUnavailable):
        source(double).collect(OPEN)
    assert double.calls[-1] == ("disconnect",)


def test_an_invalid_api_id_is_a_configuration_error():
    double = TelegramDouble([NEWS], fail_on={"connect": [errors.ApiIdInvalidError(request=None)]})
    with pytest.raises(ConfigurationError):
        source(double).collect(OPEN)


def test_our_own_bugs_are_not_disguised_as_source_errors():
    double = TelegramDouble([NEWS], {NEWS.id: hourly_posts(NEWS.id, 1)},
                            fail_on={"iter_messages": [KeyError("bug")]})
    with pytest.raises(KeyError):
        source(double).collect(OPEN)


def test_disconnect_happens_after_success_too():
    double = TelegramDouble([NEWS], {NEWS.id: hourly_posts(NEWS.id, 1)})
    source(double).collect(OPEN)
    assert double.calls[0] == ("connect",)
    assert double.calls[-1] == ("disconnect",)
    assert not double.connected


# --- secrets ---------------------------------------------------------------------------------

def test_make_client_builds_a_string_session_client_that_raises_flood_waits():
    saved = StringSession()
    saved.set_dc(2, "149.154.167.51", 443)
    saved._auth_key = AuthKey(b"\x01" * 256)
    client = make_client("12345", "0123456789abcdef", saved.save())
    assert isinstance(client, TelegramClient)
    assert client.api_id == 12345
    assert client.flood_sleep_threshold == 0


@pytest.mark.parametrize("session", [SECRET, ""])
def test_a_bad_session_string_is_reported_without_quoting_it(session):
    with pytest.raises(TelegramSessionInvalid) as caught:
        make_client(12345, "0123456789abcdef", session)
    assert "make telegram-session" in str(caught.value)
    assert SECRET not in str(caught.value)
    assert caught.value.__cause__ is None


def test_a_bad_api_id_names_the_setting_not_the_value():
    with pytest.raises(ConfigurationError) as caught:
        make_client("not-a-number", "0123456789abcdef", SECRET)
    assert "TELEGRAM_API_ID" in str(caught.value)
    assert "not-a-number" not in str(caught.value)
