"""speakable: what a speech engine is handed must read like a person talking."""
from datetime import date, datetime, timezone

import pytest
from hypothesis import given, settings, strategies as st

from chalicelib.script.speakable import (
    hashtag_words, link_phrase, site_name, speakable, spoken_date, spoken_number, strip_markup,
)

FORBIDDEN = set("*#@<>[]")


@pytest.mark.parametrize(
    "url, name",
    [
        ("https://github.com/owner/repo/pull/1", "GitHub"),
        ("https://www.nytimes.com/2026/11/20/world/x.html", "nytimes"),
        ("http://m.bbc.co.uk/news", "bbc"),
        ("https://www.ynet.co.il/news/article/abc", "ynet"),
        ("https://t.me/some_channel/42", "Telegram"),
        ("youtu.be/dQw4w9WgXcQ", "YouTube"),
        ("example.org/path?q=1", "example"),
        ("https://my-site.io", "my site"),
        ("http://192.168.1.1/admin", ""),
        ("", ""),
    ],
)
def test_site_name_is_what_people_call_the_site(url, name):
    assert site_name(url) == name


def test_link_phrase_in_both_languages_and_without_a_name():
    assert link_phrase("https://nytimes.com/a", "en") == "a link to nytimes"
    assert link_phrase("https://nytimes.com/a", "he") == "קישור ל-nytimes"
    assert link_phrase("http://10.0.0.1/", "en") == "a link"


@pytest.mark.parametrize(
    "value, language, with_year, expected",
    [
        ("2026-11-20", "en", False, "November twentieth"),
        (date(2026, 11, 1), "en", True, "November first, twenty twenty-six"),
        (datetime(2026, 3, 22, 23, 0, tzinfo=timezone.utc), "en", False, "March twenty-second"),
        ("2026-11-20T10:00:00Z", "he", False, "העשרים בנובמבר"),
        ("2026-01-01", "he", True, "הראשון בינואר אלפיים עשרים ושש"),
    ],
)
def test_spoken_date(value, language, with_year, expected):
    assert spoken_date(value, language, with_year=with_year) == expected


@pytest.mark.parametrize(
    "value, language, expected",
    [
        ("1,200", "en", "one thousand two hundred"),
        (3.5, "en", "three point five"),
        ("-7", "en", "minus seven"),
        ("0541234567", "en", "zero five four one two three four five six seven"),
        ("1200", "he", "אלף ומאתיים"),
        ("3.5", "he", "שלוש נקודה חמש"),
    ],
)
def test_spoken_number(value, language, expected):
    assert spoken_number(value, language) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Up 3.5% this year", "Up three point five percent this year"),
        ("It costs $1,200.", "It costs one thousand two hundred dollars."),
        ("Only $3.50 left", "Only three dollars and fifty cents left"),
        ("Raised €2M", "Raised two million euros"),
        ("Meet on 2026-11-20 at 10:05", "Meet on November twentieth at ten oh five"),
        ("Doors open 18:00", "Doors open eighteen o'clock"),
        ("We came 1st of 1,234,567",
         "We came first of one million two hundred and thirty-four thousand five hundred and sixty-seven"),
        ("In 2026 there were 12 of us", "In twenty twenty-six there were twelve of us"),
        ("Python 3.11.2 is out", "Python three point eleven point two is out"),
        ("5k users, -3 degrees, 10-20 items", "five thousand users, minus three degrees, ten-twenty items"),
    ],
)
def test_english_numbers_money_dates_read_aloud(text, expected):
    assert speakable(text, "en") == expected


def test_a_date_in_another_year_keeps_its_year():
    assert speakable("Back on 2019-01-02.", "en", reference_year=2026) == \
        "Back on January second, twenty nineteen."
    assert speakable("On 2026-01-02.", "en", reference_year=2026) == "On January second."


def test_links_become_site_names_never_urls():
    out = speakable("Read https://www.nytimes.com/x?y=1, then github.com/a/b. Mail me: a.b@example.com", "en")
    assert out == "Read a link to nytimes, then a link to GitHub. Mail me: an email address"


def test_markup_hashtags_mentions_and_emoji_disappear():
    text = "**Big** news 🎉 from @tech_daily: <b>#ClimateChange</b> [report](https://un.org/r) > quoted `code`"
    out = speakable(text, "en")
    assert out == "Big news from tech daily: Climate Change report quoted code"


def test_hebrew_reading():
    out = speakable("המחיר עלה ב-3.5% ל-₪1,200 ב-2026-11-20. פרטים: https://www.ynet.co.il/news #בחירות_2026", "he")
    assert out == (
        "המחיר עלה ב-שלושה נקודה חמש אחוז ל-אלף ומאתיים שקלים בעשרים בנובמבר. "
        "פרטים: קישור ל-ynet בחירות אלפיים עשרים ושש"
    )


def test_hebrew_currency_after_the_number():
    assert speakable('50 ש"ח ו-$20', "he") == "חמישים שקלים ו-עשרים דולר"


def test_hashtag_words_and_strip_markup():
    assert hashtag_words("#ClimateChange") == "Climate Change"
    assert hashtag_words("climate_change") == "climate change"
    assert strip_markup("## Title\n* item [label](http://x.y)").split() == ["Title", "item", "label"]


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from(
    list("abc XYZ 0123456789.,:%$€₪-/#@*<>[]()_`~!?\n") + ["http://", "https://x.com/a", "www.", "שלום", "🎉"]
), max_size=40).map("".join), st.sampled_from(["en", "he"]))
def test_any_text_comes_out_without_digits_markup_or_urls(text, language):
    out = speakable(text, language)
    assert not FORBIDDEN & set(out)
    assert not any(ch.isdigit() for ch in out)
    assert "://" not in out and "www." not in out.lower()
