import pytest

from chalicelib.errors import InvalidInput
from chalicelib.sources.channels import ChannelRef, parse_channel_ref


@pytest.mark.parametrize(
    "value",
    [
        "@podcasto_news",
        "podcasto_news",
        "  @podcasto_news ",
        "https://t.me/podcasto_news",
        "http://t.me/podcasto_news",
        "t.me/podcasto_news",
        "t.me/podcasto_news/1234",
        "https://t.me/podcasto_news?single",
        "https://t.me/s/podcasto_news",
        "t.me/s/podcasto_news/55",
        "https://telegram.me/podcasto_news",
        "www.t.me/podcasto_news",
    ],
)
def test_usernames_and_public_links_name_the_channel(value):
    assert parse_channel_ref(value) == ChannelRef(username="podcasto_news")


@pytest.mark.parametrize(
    "value",
    [
        "-1001234567890",
        "1234567890",
        "https://t.me/c/1234567890/42",
        "t.me/c/1234567890",
    ],
)
def test_numeric_ids_and_private_links_name_the_bare_channel_id(value):
    ref = parse_channel_ref(value)
    assert ref == ChannelRef(channel_id=1234567890)
    assert ref.label == "-1001234567890"


def test_short_channel_ids_use_the_padded_marked_form():
    assert parse_channel_ref("-1000000000555") == ChannelRef(channel_id=555)
    assert ChannelRef(channel_id=555).label == "-1000000000555"


def test_label_and_key():
    ref = parse_channel_ref("t.me/Podcasto_News")
    assert ref.label == "@Podcasto_News"
    assert ref.key == parse_channel_ref("@podcasto_news").key


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "xyz!!",
        "abcd",  # 4 characters: too short
        "a" * 33,  # too long
        "1abcde",  # must start with a letter
        "_abcde",
        "@@abcde",
        "abc-def",
        "@123456",
        "-123456",  # a basic group, not a channel
        "-100",
        "-1000000000000",  # marks channel 0
        "-10012345",  # too short to be a marked channel id
        "0",
        "https://t.me/",
        "https://t.me/joinchat/AAAAAEkk",
        "https://t.me/+AbCdEf123",
        "https://t.me/c/notanumber/1",
        "https://example.com/podcasto_news",
        "t.me/addstickers",
    ],
)
def test_anything_else_is_invalid_input_naming_the_channel(value):
    with pytest.raises(InvalidInput) as caught:
        parse_channel_ref(value)
    assert repr(value) in str(caught.value)
    assert "@username, t.me link or numeric id" in str(caught.value)


def test_the_message_reads_as_the_operator_sees_it():
    with pytest.raises(InvalidInput) as caught:
        parse_channel_ref("xyz!!")
    assert str(caught.value) == (
        "channel 'xyz!!' is not a Telegram @username, t.me link or numeric id"
    )


def test_non_strings_are_invalid_input():
    with pytest.raises(InvalidInput):
        parse_channel_ref(12345)  # type: ignore[arg-type]
