"""The offline writer's phrasebook: every sentence the hosts say, in English and in Hebrew.

Kept apart from the writer so the two languages can be read side by side. Hebrew phrasing avoids
first-person verbs, which carry gender, because a host's gender is not configured.
Choices among variants are made by ``pick`` from a content hash, never at random, so the same
bundle always gives the same script.
"""
from __future__ import annotations

import os
import re
import zlib

from num2words import num2words

from chalicelib.script.speakable import speakable

OPEN_QUOTE, CLOSE_QUOTE = "“", "”"


def pick(options: list[str] | tuple[str, ...], *seed: object) -> str:
    """A variant chosen by a stable hash of ``seed`` (crc32, not ``hash()``, which is salted)."""
    key = "|".join(str(s) for s in seed).encode("utf-8")
    return options[zlib.crc32(key) % len(options)]


def quote(text: str) -> str:
    """Quoted material between typographic quotes, which speech engines do not read aloud.

    Quote marks inside are neutralised so the validator can find where the quote ends; a Hebrew
    gershayim written as ASCII '"' (צה"ל) becomes the real gershayim sign.
    """
    text = re.sub(r'(?<=[\u05D0-\u05EA])"(?=[\u05D0-\u05EA])', "\u05F4", text)
    text = re.sub(r"[\"“”„«»]", "'", text)
    return f"{OPEN_QUOTE}{text.strip()}{CLOSE_QUOTE}"


def count(n: int, language: str, singular: str, plural: str, *, gender: str = "m") -> str:
    """ "one post" / "twelve posts"; Hebrew "פוסט אחד" / "שני פוסטים" / "שלושה פוסטים"."""
    if language == "he":
        if n == 1:
            return f"{singular} {'אחד' if gender == 'm' else 'אחת'}"
        construct = n == 2  # only two takes its construct form when counting: שני פוסטים
        return f"{num2words(n, lang='he', gender=gender, construct=construct)} {plural}"
    words = num2words(n, lang="en").replace(",", "")
    return f"{words} {singular if n == 1 else plural}"


def join_words(items: list[str], language: str) -> str:
    """ "a, b and c" / "a, b ו-c"."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    last = f"ו-{items[-1]}" if language == "he" else f"and {items[-1]}"
    return ", ".join(items[:-1]) + " " + last


def duration(seconds: float | int | None, language: str) -> str:
    """ "about a minute" / "כדקה"; "" when unknown."""
    if not seconds or seconds <= 0:
        return ""
    he = language == "he"
    if seconds < 15:
        return "כמה שניות" if he else "a few seconds"
    if seconds < 45:
        return "כחצי דקה" if he else "about half a minute"
    if seconds < 90:
        return "כדקה" if he else "about a minute"
    minutes = round(seconds / 60)
    if he:
        return "כ" + count(minutes, "he", "דקה", "דקות", gender="f")
    return "about " + count(minutes, "en", "minute", "minutes")


def rounded(n: int) -> int:
    """Two significant figures, the way people quote view counts: 12,345 -> 12,000."""
    if n < 100:
        return n
    digits = len(str(n)) - 2
    return round(n, -digits)


_FILE_KINDS = {
    "en": {
        "pdf": "a PDF", "doc": "a Word document", "docx": "a Word document",
        "xls": "a spreadsheet", "xlsx": "a spreadsheet", "csv": "a spreadsheet",
        "ppt": "a presentation", "pptx": "a presentation", "zip": "an archive",
        "rar": "an archive", "txt": "a text file", "apk": "an app installer",
        "mp3": "an audio file", "mp4": "a video file", "jpg": "an image", "png": "an image",
    },
    "he": {
        "pdf": "PDF", "doc": "מסמך וורד", "docx": "מסמך וורד", "xls": "גיליון", "xlsx": "גיליון",
        "csv": "גיליון", "ppt": "מצגת", "pptx": "מצגת", "zip": "ארכיון", "rar": "ארכיון",
        "txt": "קובץ טקסט", "apk": "קובץ התקנה", "mp3": "קובץ שמע", "mp4": "קובץ וידאו",
        "jpg": "תמונה", "png": "תמונה",
    },
}


def _file_name(raw: str, language: str) -> tuple[str, str]:
    """(spoken name, spoken kind) of a file, never its path or extension as written."""
    base = os.path.basename(raw.replace("\\", "/"))
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    name = speakable(re.sub(r"[_.\-]+", " ", stem), language)
    return name, _FILE_KINDS[language].get(ext.lower(), "")


def _named(value: object, language: str) -> str:
    text = speakable(str(value or ""), language)
    return quote(text) if text else ""


def media_sentence(media: dict | None, language: str, *, brief: bool = False) -> str:
    """One spoken sentence saying what a message carries: "A photo was shared." / "צורפה תמונה."

    Raw placeholders, file paths and coordinates are never spoken; names and titles are quoted.
    ``brief`` keeps a poll to its question and first options.
    """
    if not media:
        return ""
    kind = str(media.get("type") or "unknown")
    he = language == "he"
    length = duration(media.get("duration_seconds"), language)
    title = _named(media.get("title"), language)
    if kind == "photo":
        return "צורפה תמונה." if he else "A photo was shared."
    if kind == "video":
        if he:
            return "צורף סרטון" + (f" של {length}" if length else "") + "."
        return "There's a video" + (f", {length} long" if length else "") + "."
    if kind == "video_message":
        if he:
            return "צורפה הודעת וידאו עגולה" + (f" של {length}" if length else "") + "."
        return "There's a round video message" + (f" of {length}" if length else "") + "."
    if kind == "animation":
        return "צורפה אנימציה." if he else "There's an animated GIF."
    if kind == "voice":
        if he:
            return "צורפה הודעה קולית" + (f" של {length}" if length else "") + "."
        return "There's a voice message" + (f" of {length}" if length else "") + "."
    if kind == "audio":
        if he:
            return ("צורף קטע שמע" + (f" בשם {title}" if title else "")
                    + (f", באורך של {length}" if length else "") + ".")
        return ("There's an audio clip" + (f" called {title}" if title else "")
                + (f", {length} long" if length else "") + ".")
    if kind == "sticker":
        return "נשלחה מדבקה." if he else "A sticker was sent."
    if kind == "file":
        name, what = _file_name(str(media.get("file_name") or ""), language)
        if he:
            return ("צורף קובץ" + (f" בשם {quote(name)}" if name else "")
                    + (f", {what}" if what else "") + ".")
        return ("A file was attached" + (f", {quote(name)}" if name else "")
                + (f", {what}" if what else "") + ".")
    if kind == "poll":
        question = _named(media.get("question"), language)
        options = [
            _named(o.get("text") if isinstance(o, dict) else o, language)
            for o in (media.get("options") or [])
        ]
        options = [o for o in options if o]
        more = len(options) > 3 and brief
        if more:
            options = options[:3]
        if he:
            text = "יש סקר" + (f" ששואל {question}" if question else "")
            if options:
                text += ", והאפשרויות הן " + join_words(options, "he") + (" ועוד" if more else "")
            return text + "."
        text = "There's a poll" + (f" asking {question}" if question else "")
        if options:
            text += ", with the options " + join_words(options, "en") + (" and more" if more else "")
        return text + "."
    if kind == "location":
        place = _named(media.get("title") or media.get("address"), language)
        if he:
            return "שותף מיקום" + (f": {place}" if place else "") + "."
        return "A location was shared" + (f": {place}" if place else "") + "."
    if kind == "venue":
        address = _named(media.get("address"), language)
        if he:
            return ("שותף מקום" + (f": {title}" if title else "")
                    + (f", בכתובת {address}" if address else "") + ".")
        return ("A place was shared" + (f": {title}" if title else "")
                + (f", at {address}" if address else "") + ".")
    if kind == "contact":
        # Only the name: a phone number is personal data and no pleasure to hear.
        name = _named(media.get("name"), language)
        if he:
            return "שותף איש קשר" + (f" בשם {name}" if name else "") + "."
        return "A contact card was shared" + (f" for {name}" if name else "") + "."
    if kind == "dice":
        value = media.get("value")
        if he:
            return "הוטלה קובייה" + (f" והתוצאה {speakable(str(value), 'he')}" if value else "") + "."
        return "Someone rolled a dice" + (f" and got {speakable(str(value), 'en')}" if value else "") + "."
    if kind == "game":
        if he:
            return "צורף משחק" + (f" בשם {title}" if title else "") + "."
        return "There's a game" + (f" called {title}" if title else "") + "."
    if kind == "invoice":
        if he:
            return "צורפה חשבונית" + (f" עבור {title}" if title else "") + "."
        return "There's an invoice" + (f" for {title}" if title else "") + "."
    return "יש גם צרופה." if he else "Something was attached."


PHRASES: dict[str, dict[str, object]] = {
    "en": {
        "welcome": "Welcome to {title}. I'm {a}, and with me is {b}.",
        "welcome_narrator": "Welcome to {title}.",
        "episode": "This episode is called {episode}.",
        "covers": "We're looking at {window}: {posts} from {source}.",
        "covers_narrator": "Here is {window}: {posts} from {source}.",
        "one_channel": "the channel {channel}",
        "window_range": "what was posted from {start} to {end}",
        "window_day": "what was posted on {day}",
        "hello": [
            "Thanks, {a}. There's a lot to cover today, including {topics}.",
            "Hi everyone. Today we'll get into {topics}.",
            "Glad to be here. On the list today: {topics}.",
        ],
        "hello_plain": ["Hi everyone. Let's get into it.", "Glad to be here. Let's dive in."],
        "first_topic": "Let's start with {label}.",
        "next_topic": [
            "Next up: {label}.", "Moving on to {label}.", "Now, {label}.",
            "Let's turn to {label}.", "On to {label}.",
        ],
        "first_channel": "Let's start with the posts from {channel}.",
        "next_channel": ["Now, a few posts from {channel}.", "Over to {channel}.", "Next, {channel}."],
        "first_misc": "Let's start with a few posts.",
        "next_misc": ["And a few other posts.", "A few more posts before we wrap up.", "Some other things that came up."],
        "topic_count": "It came up in {posts}.",
        "lead_channel": ["On {channel}:", "{channel} posted:", "Over on {channel}:", "From {channel}:"],
        "lead": ["One post says:", "A post reads:", "Here's one:", "There's a post saying:", "One post puts it like this:"],
        "lead_terse_channel": "{channel}:",
        "lead_terse": ["Next:", "Also:", "Then:", "And:"],
        "lead_more": ["Another post says:", "And another:", "There's also this:", "Then this one:", "Also:"],
        "on_date": "On {date}, ",
        "forwarded": "It was forwarded from {source}.",
        "reply": "It's a reply to an earlier post.",
        "links": "It links to {sites}.",
        "link": "It includes a link.",
        "views": "It got about {views} views.",
        "forwards": "It was shared onward {times}.",
        "times_one": "once",
        "times": "{n} times",
        "cut": ", and so on.",
        "question": ["So what's the takeaway on {label}?", "Anything tying {label} together?", "How would you sum up {label}?"],
        "recap": "That was {posts} on {label}, from {start} to {end}.",
        "recap_day": "That was {posts} on {label}, all on {start}.",
        "react": {
            "poll": ["I'm curious how that vote turned out.", "A poll is a nice way to take the pulse.", "I'd love to see the results on that."],
            "visual": ["I wish listeners could see that.", "Worth looking at the picture on that one.", "The visuals probably say a lot there."],
            "audio": ["That's worth a listen in full.", "Nice to hear it in their own voice."],
            "forwarded": ["Interesting that it was passed along from elsewhere.", "So it's making the rounds."],
            "question": ["Good question.", "That's the question, isn't it?", "I'd like to know the answer to that too."],
            "number": ["Those numbers stand out.", "That's a notable figure.", "The numbers tell a story there."],
            "link": ["The link has the details.", "Worth following that link.", "Good to have a source on that."],
            "long": ["That's a lot of detail.", "There's a lot packed into that one.", "A thorough post."],
            "default": [
                "Interesting.", "Right.", "That's worth knowing.", "Good to keep in mind.",
                "Makes sense.", "I didn't know that.", "Fair point.", "Noted.",
            ],
        },
        "outro": "That's everything for {window}. Thanks for listening to {title}.",
        "outro_narrator": "That's everything for {window}. Thanks for listening to {title}, and see you next time.",
        "goodbye": ["See you next time.", "Thanks, everyone. Until next time.", "Take care, and see you next episode."],
        "post": ("post", "posts"),
        "channel": ("channel", "channels"),
        "empty": "A post was shared without any text.",
    },
    "he": {
        "welcome": "ברוכים הבאים ל{title}. כאן {a}, ואיתי {b}.",
        "welcome_narrator": "ברוכים הבאים ל{title}.",
        "episode": "הפרק הזה נקרא {episode}.",
        "covers": "היום נעבור על {window}: {posts} מ{source}.",
        "covers_narrator": "הנה {window}: {posts} מ{source}.",
        "one_channel": "הערוץ {channel}",
        "window_range": "מה שפורסם מ{start} ועד {end}",
        "window_day": "מה שפורסם ב{day}",
        "hello": [
            "תודה, {a}. יש הרבה על מה לדבר היום, בין השאר {topics}.",
            "שלום לכולם. היום נדבר על {topics}.",
            "כיף להיות כאן. ברשימה היום: {topics}.",
        ],
        "hello_plain": ["שלום לכולם. בואו נתחיל.", "כיף להיות כאן. יאללה, מתחילים."],
        "first_topic": "נתחיל עם {label}.",
        "next_topic": ["הנושא הבא: {label}.", "עוברים ל{label}.", "ועכשיו, {label}.", "נמשיך עם {label}.", "הלאה, {label}."],
        "first_channel": "נתחיל עם הפוסטים מהערוץ {channel}.",
        "next_channel": ["ועכשיו, כמה פוסטים מהערוץ {channel}.", "עוברים לערוץ {channel}.", "הלאה, לערוץ {channel}."],
        "first_misc": "נתחיל עם כמה פוסטים.",
        "next_misc": ["ועוד כמה פוסטים.", "עוד כמה דברים לפני הסיום.", "ועוד כמה דברים שעלו."],
        "topic_count": "הנושא עלה ב{posts}.",
        "lead_channel": ["בערוץ {channel}:", "הערוץ {channel} פרסם:", "ומהערוץ {channel}:"],
        "lead": ["פוסט אחד אומר:", "באחד הפוסטים נכתב:", "הנה אחד:", "יש פוסט שאומר:"],
        "lead_terse_channel": "מ{channel}:",
        "lead_terse": ["ועוד:", "וגם:", "ואז:", "בנוסף:"],
        "lead_more": ["פוסט נוסף אומר:", "ועוד אחד:", "יש גם את זה:", "ואז זה:", "וגם:"],
        "on_date": "ב{date}, ",
        "forwarded": "הפוסט הועבר מ-{source}.",
        "reply": "זו תגובה לפוסט קודם.",
        "links": "יש בו {sites}.",
        "link": "יש בו קישור.",
        "views": "הוא נצפה בערך {views} פעמים.",
        "forwards": "והועבר הלאה {times}.",
        "times_one": "פעם אחת",
        "times": "{n} פעמים",
        "cut": ", וכן הלאה.",
        "question": ["אז מה השורה התחתונה לגבי {label}?", "מה מחבר את כל זה בנושא {label}?", "איך אפשר לסכם את {label}?"],
        "recap": "אלה היו {posts} בנושא {label}, מ{start} ועד {end}.",
        "recap_day": "אלה היו {posts} בנושא {label}, כולם ב{start}.",
        "react": {
            "poll": ["מעניין מה יצא בהצבעה.", "סקר זו דרך טובה לבדוק את הדופק.", "הייתי רוצה לראות את התוצאות."],
            "visual": ["חבל שהמאזינים לא יכולים לראות את זה.", "שווה להציץ בתמונה הזאת.", "התמונה כנראה אומרת הרבה."],
            "audio": ["שווה להאזין לזה במלואו.", "נחמד לשמוע את זה בקול שלהם."],
            "forwarded": ["מעניין שזה הגיע ממקום אחר.", "אז זה מסתובב ברשת."],
            "question": ["שאלה טובה.", "זאת באמת השאלה.", "גם אני רוצה לדעת את התשובה."],
            "number": ["המספרים האלה בולטים.", "זה נתון משמעותי.", "המספרים מספרים כאן סיפור."],
            "link": ["בקישור יש את הפרטים.", "שווה ללחוץ על הקישור.", "טוב שיש מקור לזה."],
            "long": ["יש שם הרבה פרטים.", "הרבה מידע בפוסט אחד.", "פוסט יסודי."],
            "default": ["מעניין.", "נכון.", "טוב לדעת.", "שווה לזכור את זה.", "הגיוני.", "לא ידעתי את זה.", "נקודה טובה.", "רשמנו."],
        },
        "outro": "זה הכול לגבי {window}. תודה שהאזנתם ל{title}.",
        "outro_narrator": "זה הכול לגבי {window}. תודה שהאזנתם ל{title}, ונתראה בפעם הבאה.",
        "goodbye": ["נתראה בפעם הבאה.", "תודה לכולם, ועד הפעם הבאה.", "שמרו על עצמכם, ונתראה בפרק הבא."],
        "post": ("פוסט", "פוסטים"),
        "channel": ("ערוץ", "ערוצים"),
        "empty": "פוסט שותף בלי טקסט.",
    },
}


_PLACEHOLDER_RE = re.compile(r"(?<![\w{])(ו?[בלמ]?)\{(\w+)\}")


def he_prefix(letter: str, word: str) -> str:
    """A Hebrew prefix letter joined to a word: ב + העשרים -> בעשרים, ל + Podcasto -> ל-Podcasto."""
    if not word:
        return letter
    if letter in "בל" and word.startswith("ה") and len(word) > 1:
        return letter + word[1:]
    if re.match(r"[\u05D0-\u05EA]", word):
        return letter + word
    return f"{letter}-{word}"


def fill(template: str, language: str, **values: object) -> str:
    """``template`` with ``{name}`` filled; in Hebrew a prefix letter glued to a placeholder
    (``ל{title}``) is joined by Hebrew rules rather than pasted."""

    def repl(match: re.Match) -> str:
        letter, name = match.group(1), match.group(2)
        value = str(values[name])
        if letter and language == "he":
            return letter[:-1] + he_prefix(letter[-1], value)
        return letter + value

    return _PLACEHOLDER_RE.sub(repl, template)
