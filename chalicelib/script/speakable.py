"""Text a person would say aloud: numbers, dates, money and links in words, markup gone.

Pure functions. ``speakable`` is the one pipeline every script turn passes through, so a speech
engine never reads out an asterisk, a URL or "two zero two six dash one one".
Numbers are spelled by ``num2words`` (English and Hebrew, with Hebrew grammatical gender).
"""
from __future__ import annotations

import functools
import html
import re
from datetime import date, datetime
from urllib.parse import urlsplit

from num2words import num2words

_MONTHS = {
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
    "he": (
        "ינואר", "פברואר", "מרץ", "אפריל", "מאי", "יוני",
        "יולי", "אוגוסט", "ספטמבר", "אוקטובר", "נובמבר", "דצמבר",
    ),
}

# Hosts whose registrable name is not what people call them.
_KNOWN_SITES = {
    "t.me": "Telegram",
    "telegram.me": "Telegram",
    "telegram.org": "Telegram",
    "youtu.be": "YouTube",
    "youtube.com": "YouTube",
    "x.com": "X",
    "twitter.com": "Twitter",
    "fb.com": "Facebook",
    "facebook.com": "Facebook",
    "instagram.com": "Instagram",
    "linkedin.com": "LinkedIn",
    "github.com": "GitHub",
    "wikipedia.org": "Wikipedia",
}
# Two-label public suffixes common in this product's channels (Israeli and English-language news).
_SECOND_LEVEL = {
    "co", "org", "ac", "gov", "net", "muni", "com", "edu", "idf", "k12",
}
_HOST_PREFIXES = ("www.", "m.", "mobile.", "amp.")

_TLDS = (
    "com|org|net|io|co|il|uk|us|de|fr|ru|ua|info|biz|me|tv|ai|app|dev|news|gov|edu|ly|gl|be|eu"
)
# Every pattern here sees channel text, where one "word" can be a megabyte long. Python's re
# tries a pattern at every position; a pattern that may scan to the end of a run from *each*
# position of that run takes time quadratic in its length (a 100k-character entity once held
# WriteScript for three minutes). So each one either starts only at the head of a run
# (a lookbehind) or stops its scan at the next possible start, and nothing it has scanned is
# rescanned (possessive quantifiers): linear time. tests/unit/script/test_linear_patterns.py
# runs megabyte words through every text path.
_URL_RE = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+"
    # A bare host starts at the head of its dotted chain only, never at each of its labels; and
    # "no word-like text goes on after it" is asked of the run of dots and hyphens after it
    # (the same question as the old (?![\w.-]*\w), without scanning the rest of the token).
    r"|\b(?<![\w-])(?<![\w-]\.)(?:[a-z0-9-]++\.)+(?:" + _TLDS + r")(?:/[^\s<>\"']*)?(?![.-]*+\w)",
    re.IGNORECASE,
)
# Starts only at the head of a run of address characters: from inside the run it would meet the
# same "@" (or none) again.
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)+")
_MD_LINK_RE = re.compile(r"\[([^\[\]]*+)\]\(([^)\s\[]*+)\)")
_TAG_RE = re.compile(r"<[^<>]*+>")
_MENTION_RE = re.compile(r"(?<![\w@])@(\w+)")
_HASHTAG_RE = re.compile(r"(?<![\w#])#(\w+)")
_ISO_DATE_RE = re.compile(
    # A Hebrew prefix letter glued by a hyphen ("ב-2026-11-20") absorbs the date's article.
    r"(?P<glued>(?<=[בלמה])-)?\b(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?(?!\d)"
)
_CURRENCY_WORDS = {
    "$": "dollar", "usd": "dollar", "€": "euro", "eur": "euro", "£": "pound", "gbp": "pound",
    "₪": "shekel", "ils": "shekel", "nis": "shekel", "ש״ח": "shekel", 'ש"ח': "shekel",
    "שקל": "shekel", "שקלים": "shekel", "דולר": "dollar", "יורו": "euro",
}
# A number starts at the head of a run of digits (of a comma-grouped chain for the grouped form),
# never inside one: linear however long the run.
_NUM = r"(?<!\d)(?<!\d,)\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<!\d)\d+(?:\.\d+)?"
_SCALE = r"(?:\s?(?P<scale>[kKmMbB]\b|thousand\b|million\b|billion\b|אלף\b|מיליון\b|מיליארד\b))?"
_MONEY_PREFIX_RE = re.compile(r"(?P<cur>[$€£₪])\s?(?P<num>" + _NUM + r")" + _SCALE)
_MONEY_SUFFIX_RE = re.compile(
    r"(?P<num>" + _NUM + r")" + _SCALE
    + r"\s?(?P<cur>[$€£₪]|(?:USD|EUR|GBP|ILS|NIS)\b|ש״ח|ש\"ח|שקלים|שקל|דולר|יורו)"
)
# A minus sign only when nothing word-like precedes it: "ב-3%" and "10-20" are not negative.
_NEG = r"(?:(?<![\w.,-])-)?"
_PERCENT_RE = re.compile(r"(?P<num>" + _NEG + r"(?:" + _NUM + r"))\s?%")
_TIME_RE = re.compile(r"(?<![\d:.])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])")
_ORDINAL_RE = re.compile(r"\b(\d+)(st|nd|rd|th)\b", re.IGNORECASE)
_VERSION_RE = re.compile(r"(?<![\d.])\d+(?:\.\d+){2,}(?![\d.])")
_NUMBER_RE = re.compile(r"(?<!\d)(?P<num>" + _NEG + r"(?:" + _NUM + r"))(?P<scale>[kKmM]\b)?(?![\d])")
# Words after which a four-digit number is a year ("in 2026" -> "in twenty twenty-six"); elsewhere
# it is a count ("2026 people" -> "two thousand and twenty-six people").
_YEAR_CUE = re.compile(
    r"\b(?:in|since|by|from|until|till|to|year|before|after|around|circa|during|of|early|late|mid)\s+$",
    re.IGNORECASE,
)
_EMOJI_RE = re.compile(
    "[\U0001F000-\U0001FAFF\U00002600-\U000027BF\U0001F900-\U0001F9FF\u2B00-\u2BFF"
    "\uFE0F\u200D\u20E3]"
)
_MARKUP_CHARS_RE = re.compile(r"[*#@<>\[\]{}|\\^~`_=]+")
_HEBREW_LETTER = re.compile(r"[\u05D0-\u05EA]")


def site_name(url: str) -> str:
    """What a listener calls the site a link points to ("github", "nytimes"); "" if unknown."""
    raw = url.strip()
    if "://" not in raw:
        raw = "http://" + raw
    try:
        host = (urlsplit(raw).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""
    if not host or re.fullmatch(r"[\d.:]+", host) or host in ("http", "https", "www"):
        return ""
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix):
            host = host[len(prefix):]
    labels = host.split(".")
    if len(labels) >= 2:
        registrable = ".".join(labels[-2:])
        if registrable in _KNOWN_SITES:
            return _KNOWN_SITES[registrable]
    if host in _KNOWN_SITES:
        return _KNOWN_SITES[host]
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        name = labels[-3]
    elif len(labels) >= 2:
        name = labels[-2]
    else:
        name = labels[0]
    return name.replace("-", " ")


def link_phrase(url: str, language: str) -> str:
    """ "a link to github" / "קישור ל-github"; a bare "a link" when the site has no name."""
    name = site_name(url)
    if language == "he":
        return f"קישור ל-{name}" if name else "קישור"
    return f"a link to {name}" if name else "a link"


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text).date() if "T" in text or " " in text else date.fromisoformat(text)


def spoken_date(value: date | datetime | str, language: str, *, with_year: bool = False) -> str:
    """ "November twentieth" / "העשרים בנובמבר"; the year in words when ``with_year``."""
    day = _as_date(value)
    month = _MONTHS[_lang(language)][day.month - 1]
    if _lang(language) == "he":
        text = f"{num2words(day.day, to='ordinal', lang='he', definite=True)} ב{month}"
        if with_year:
            text += " " + num2words(day.year, lang="he")
        return text
    text = f"{month} {num2words(day.day, to='ordinal', lang='en')}"
    if with_year:
        text += ", " + num2words(day.year, to="year", lang="en")
    return text


def spoken_number(value: int | float | str, language: str, *, gender: str = "f") -> str:
    """A number as words: "1,200" -> "one thousand two hundred", "3.5" -> "three point five".

    ``gender`` only matters in Hebrew ("m" for counted masculine nouns such as dollars).
    """
    grouped = "," in str(value)
    text = str(value).replace(",", "").strip()
    negative = text.startswith("-")
    text = text.lstrip("-+")
    if not re.fullmatch(r"\d+(?:\.\d+)?", text):
        raise ValueError(f"not a number: {value!r}")
    lang = _lang(language)
    whole, _, fraction = text.partition(".")
    # Long digit runs without grouping are identifiers (phone numbers, codes): read digit by digit.
    # So is any whole part past the quadrillions: nobody says it as a number, and int() refuses
    # a string of more than 4,300 digits.
    if (not fraction and not grouped and len(whole) >= 7) or len(whole) > _LONGEST_CARDINAL:
        words = _digits(whole, lang)
        if fraction:
            words += (" נקודה " if lang == "he" else " point ") + _digits(fraction, lang)
    elif fraction:
        point = "נקודה" if lang == "he" else "point"
        head = _cardinal(int(whole), lang, gender)
        # Digits after the point are read one by one, as people do: "three point one four".
        tail = _digits(fraction, lang)
        words = f"{head} {point} {tail}"
    else:
        words = _cardinal(int(whole), lang, gender)
    if negative:
        words = ("מינוס " if lang == "he" else "minus ") + words
    return words


_LONGEST_CARDINAL = 18


def _digits(run: str, lang: str) -> str:
    """A run of digits read one by one (words looked up, not recomputed: runs can be long)."""
    names = _digit_names(lang)
    return " ".join(names[d] for d in run)


@functools.lru_cache(maxsize=None)
def _digit_names(lang: str) -> dict[str, str]:
    return {d: num2words(int(d), lang=lang) for d in "0123456789"}


@functools.lru_cache(maxsize=4096)  # channel text repeats small numbers; num2words is slow
def _cardinal(value: int, lang: str, gender: str) -> str:
    if lang == "he":
        return num2words(value, lang="he", gender=gender)
    return num2words(value, lang="en").replace(",", "")


def _scaled(num: str, scale: str | None, lang: str, gender: str) -> str:
    words = spoken_number(num, lang, gender=gender)
    if not scale:
        return words
    key = scale.lower()
    if lang == "he":
        word = {"k": "אלף", "thousand": "אלף", "אלף": "אלף", "m": "מיליון", "million": "מיליון",
                "מיליון": "מיליון", "b": "מיליארד", "billion": "מיליארד", "מיליארד": "מיליארד"}[key]
    else:
        word = {"k": "thousand", "thousand": "thousand", "m": "million", "million": "million",
                "b": "billion", "billion": "billion", "אלף": "thousand", "מיליון": "million",
                "מיליארד": "billion"}[key]
    return f"{words} {word}"


def _money(num: str, scale: str | None, cur: str, lang: str) -> str:
    kind = _CURRENCY_WORDS[cur.lower() if cur.isascii() else cur]
    plain = num.replace(",", "")
    if lang == "he":
        noun = {"dollar": "דולר", "euro": "יורו", "pound": "לירות שטרלינג", "shekel": "שקלים"}[kind]
        if kind == "shekel" and plain == "1" and not scale:
            return "שקל אחד"
        return f"{_scaled(num, scale, lang, 'm')} {noun}"
    singular = plain == "1" and not scale
    noun = kind if singular else kind + "s"
    whole, _, cents = plain.partition(".")
    if len(cents) == 2 and not scale:
        cent_value = int(cents)
        main = f"{spoken_number(whole, 'en')} {kind if whole == '1' else kind + 's'}"
        if cent_value == 0:
            return main
        cent_noun = "cent" if cent_value == 1 else "cents"
        if kind == "pound":
            cent_noun = "penny" if cent_value == 1 else "pence"
        return f"{main} and {spoken_number(str(cent_value), 'en')} {cent_noun}"
    if scale:
        noun = kind + "s"
    return f"{_scaled(num, scale, lang, 'f')} {noun}"


def spoken_time(hour: int, minute: int, language: str) -> str:
    """ "10:05" -> "ten oh five"; "10:00" -> "ten o'clock"; Hebrew "עשר וחמש"."""
    if _lang(language) == "he":
        head = num2words(hour, lang="he")
        if minute == 0:
            return head
        return f"{head} ו{num2words(minute, lang='he', gender='f')}"
    head = num2words(hour, lang="en")
    if minute == 0:
        return f"{head} o'clock"
    if minute < 10:
        return f"{head} oh {num2words(minute, lang='en')}"
    return f"{head} {num2words(minute, lang='en')}"


def hashtag_words(tag: str) -> str:
    """ "#ClimateChange" / "climate_change" -> "Climate Change" / "climate change"."""
    body = tag.lstrip("#").replace("_", " ")
    body = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", body)
    return re.sub(r"\s+", " ", body).strip()


def strip_markup(text: str) -> str:
    """Plain text from Markdown/HTML-ish input: link labels kept, tags, emphasis and bullets gone."""
    text = html.unescape(text)
    text = _MD_LINK_RE.sub(lambda m: m.group(1) or m.group(2), text)
    text = _TAG_RE.sub(" ", text)
    text = re.sub(r"(?m)^\s{0,3}(?:>+|[*+-]|#{1,6})\s+", "", text)
    text = re.sub(r"(\*\*|__|~~|`+)", "", text)
    return text


def _lang(language: str) -> str:
    return "he" if language == "he" else "en"


def _attach(match: re.Match, words: str, source: str) -> str:
    """Keep a replaced number apart from a letter glued to it ("ב3" -> "ב-שלוש", "v3" -> "v three")."""
    start = match.start()
    if start > 0 and source[start - 1].isalpha():
        return ("-" if _HEBREW_LETTER.match(source[start - 1]) else " ") + words
    return words


def speakable(text: str, language: str, *, reference_year: int | None = None) -> str:
    """``text`` as a person would read it aloud in ``language``.

    Links become "a link to <site>", e-mail addresses "an email address", ISO dates words (with the
    year only when it differs from ``reference_year``), money, percentages, times, ordinals and
    numbers words; hashtags and mentions become their words; markup and emoji disappear.
    """
    lang = _lang(language)
    he = lang == "he"
    text = strip_markup(text)
    text = _EMAIL_RE.sub("כתובת מייל" if he else "an email address", text)

    def url(match: re.Match) -> str:
        # rstrip, not a loop of slices: one slice per trailing character was quadratic.
        raw = match.group(0).rstrip(".,;:!?)'\"")
        return link_phrase(raw, lang) + match.group(0)[len(raw):]

    text = _URL_RE.sub(url, text)
    text = _MENTION_RE.sub(lambda m: m.group(1).replace("_", " "), text)
    text = _HASHTAG_RE.sub(lambda m: hashtag_words(m.group(1)), text)

    def iso_date(match: re.Match) -> str:
        try:
            day = date(int(match.group(2)), int(match.group(3)), int(match.group(4)))
        except ValueError:
            return match.group(0)
        words = spoken_date(day, lang, with_year=reference_year is not None and day.year != reference_year)
        if match["glued"] and words.startswith("ה"):
            return words[1:]
        return words

    text = _ISO_DATE_RE.sub(iso_date, text)
    text = _MONEY_PREFIX_RE.sub(lambda m: _money(m["num"], m["scale"], m["cur"], lang), text)
    text = _MONEY_SUFFIX_RE.sub(lambda m: _money(m["num"], m["scale"], m["cur"], lang), text)
    text = _PERCENT_RE.sub(
        lambda m: spoken_number(m["num"], lang, gender="m") + (" אחוז" if he else " percent"), text
    )
    text = _TIME_RE.sub(lambda m: spoken_time(int(m.group(1)), int(m.group(2)), lang), text)
    if not he:
        text = _ORDINAL_RE.sub(lambda m: num2words(int(m.group(1)), to="ordinal", lang="en"), text)
    point = " נקודה " if he else " point "
    text = _VERSION_RE.sub(
        lambda m: point.join(spoken_number(p, lang) for p in m.group(0).split(".")), text
    )

    def number(match: re.Match) -> str:
        num, scale = match["num"], match["scale"]
        if not scale and not he and re.fullmatch(r"1[89]\d\d|20\d\d", num) and _YEAR_CUE.search(
            match.string[: match.start()]
        ):
            words = num2words(int(num), to="year", lang="en")
        else:
            words = _scaled(num, scale, lang, "f")
        return _attach(match, words, match.string)

    text = _NUMBER_RE.sub(number, text)
    # Scheme or "www." fragments the URL pattern could not take (an empty "http://").
    text = re.sub(r"https?:/*|www\.", " ", text, flags=re.IGNORECASE)
    text = _EMOJI_RE.sub("", text)
    text = text.replace("&", " ו" if he else " and ")
    text = re.sub(r"(?<=\w)/(?=\w)", " ", text)
    text = _MARKUP_CHARS_RE.sub(" ", text)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    return text.strip()
