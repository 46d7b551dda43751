"""The offline script writer: a deterministic episode script from a content bundle, no network.

The writer first chooses what to tell (``chalicelib.script.stories``): the window's messages
become stories (a post and its reply chain), near-duplicates fold into one, the stories are
ranked by engagement and recency, and whole stories are taken until the target length is
spent. The chosen stories are then grouped by shared hashtag or keyword (then by channel) —
a story's messages always stay together — each group gets a spoken transition, and every
chosen message is presented in at least one turn. In a dialogue the hosts alternate strictly:
each turn reacts to what the other just presented and presents the next message. The length
is tuned by the choice of stories, re-chosen with a corrected budget when the rendered script
misses the target; only when a single story is longer than the whole target does the writer
shorten what it says of each message. What was left out, and why, is ``Script.selection``.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from chalicelib.domain import FORMATS, LANGUAGES
from chalicelib.errors import InvalidInput, NoContent
from chalicelib.script.base import Host, Script, Speaker, Story, Turn
from chalicelib.script.notes import MAX_LINKS_PER_STORY, MAX_STORIES, clip, message_links
from chalicelib.script.phrases import (
    PHRASES, count, fill, join_words, media_sentence, pick, quote, rounded,
)
from chalicelib.script.speakable import hashtag_words, site_name, speakable, spoken_date
from chalicelib.script.stories import (
    DEFAULT_TARGET_SECONDS, LENGTH_TOLERANCE, Selection, Story as RankedStory, language_pace, ranked_stories, select,
    words_seconds,
)
from chalicelib.script.validate import estimate_seconds

DEFAULT_HOSTS = {
    "en": (Host("Alex", "host"), Host("Maya", "expert")),
    "he": (Host("נועה", "host"), Host("דניאל", "expert")),
}

_STOPWORDS = frozenset(
    """
    about above after again against also among another because been before being below between
    both could does doing down during each even every from further have having here just more
    most much must only other over same should some such than that their theirs them then there
    these they this those through under until very were what when where which while will with
    would your yours into onto upon said says today tomorrow yesterday week weeks year years
    time like make made many people post posts channel news update updates still well back
    first last next since already really something anything nothing everything thing things
    know want need going come came take took give gave good great news read more here
    את של על עם זה זו זאת הוא היא הם הן אני אנחנו אתם לא כן גם כל כך אבל או אם כי רק עוד
    היה היתה היו יהיה להיות אחרי לפני בין תחת מול אצל כמו יותר פחות מאוד הרבה קצת היום אתמול
    מחר שנה שנים שבוע כבר עכשיו איך למה מתי איפה מה מי הזה הזאת האלה אלה שלנו שלהם שלו שלה
    יש אין אחד אחת שני שתי
    """.split()
)
_WORD_RE = re.compile(r"[^\W\d_]{4,}")
_HASHTAG_RE = re.compile(r"(?<![\w#])#(\w+)")
_URL_RE = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MAX_TOPICS = 8


@dataclass(frozen=True)
class _Detail:
    """How much of each message the script says. Levels run from most to least detail."""

    body_words: int | None  # None: the whole text
    reactions: bool  # the other host reacts before presenting the next message
    extras: bool  # dates, view counts, per-topic recaps
    brief_media: bool = False  # a poll's question and first options only
    terse: bool = False  # no lead-in phrases, topic counts or "and so on"


_LEVELS = (
    _Detail(None, True, True),
    _Detail(None, True, False),
    _Detail(80, True, False),
    _Detail(50, True, False),
    _Detail(35, False, False),
    _Detail(25, False, False, True),
    _Detail(16, False, False, True, True),
    _Detail(10, False, False, True, True),
    _Detail(6, False, False, True, True),
    _Detail(3, False, False, True, True),
)
_DEFAULT_LEVEL = _LEVELS[1]


@dataclass(frozen=True)
class _Item:
    id: int
    channel: str
    date: datetime
    text: str  # as written (plain)
    links: tuple[str, ...]
    reply_to: int | None
    forwarded_from: str | None
    views: int | None
    forwards: int | None
    media: dict | None


@dataclass(frozen=True)
class _Group:
    kind: str  # "topic" | "channel" | "misc"
    label: str  # spoken label (already quoted for topics)
    items: tuple[_Item, ...]
    written: str = ""  # the label as the show notes print it: the hashtag or word, the channel


class OfflineScriptWriter:
    """The default ``ScriptWriter``: same bundle and arguments, same script."""

    def __init__(self, *, words_per_minute: float | None = None):
        self._wpm = words_per_minute  # None: each language's own pace (stories.language_pace)

    def write(
        self,
        bundle: dict,
        *,
        title: str,
        language: str,
        format: str,
        hosts: list[Host],
        target_seconds: float | None = None,
    ) -> Script:
        if language not in LANGUAGES:
            raise InvalidInput(f"language must be one of {', '.join(LANGUAGES)}")
        if format not in FORMATS:
            raise InvalidInput(f"format must be one of {', '.join(FORMATS)}")
        if not bundle.get("messages"):
            raise NoContent("the content bundle holds no message to talk about")
        speakers = _speakers(hosts, language, format)
        wpm = self._wpm or language_pace(language)
        target = target_seconds if target_seconds and target_seconds > 0 else DEFAULT_TARGET_SECONDS
        ranked, duplicates = ranked_stories(bundle["messages"])
        spoken: dict[str, str] = {}  # shared by every render of this write

        def render(selection: Selection, level: _Detail) -> Script:
            stories = sorted((_items(story.messages) for story in selection.chosen),
                             key=lambda story: (story[0].date, story[0].channel, story[0].id))
            items = sorted((i for story in stories for i in story), key=lambda i: (i.date, i.channel, i.id))
            context = _Context(bundle, title, language, format, speakers, _group(stories, language), items,
                               spoken)
            script = context.render(level)
            script.selection = selection.to_json()
            return script

        # Stories are priced by their words at the default level of detail; the price is then
        # corrected by what the rendered script really measures, and the choice made again.
        scale, overhead = 1.0, words_seconds(_FIXED_WORDS, wpm)
        best: Script | None = None
        best_gap = float("inf")
        for _ in range(_ATTEMPTS):
            selection = select(
                ranked, budget_seconds=max(target - overhead, target * 0.1), left_out=duplicates,
                cost=lambda story: scale * words_seconds(_story_words(story), wpm),
            )
            if not selection.enough_material:
                # Short of material: every story, as the default level tells it; nothing padded.
                best = render(selection, _DEFAULT_LEVEL)
                best_gap = abs(estimate_seconds(best, wpm) - target)
                break
            script = render(selection, _DEFAULT_LEVEL)
            seconds = estimate_seconds(script, wpm)
            if abs(seconds - target) < best_gap:
                best, best_gap = script, abs(seconds - target)
            if best_gap <= target * _CLOSE_ENOUGH:
                break
            if selection.chosen_seconds > 0 and seconds > overhead:
                scale *= (seconds - overhead) / selection.chosen_seconds
        assert best is not None
        if estimate_seconds(best, wpm) > target * (1 + LENGTH_TOLERANCE):
            # Even the best single story is longer than the episode: say less of each message.
            for level in _LEVELS:
                script = render(selection, level)
                gap = abs(estimate_seconds(script, wpm) - target)
                if gap < best_gap:
                    best, best_gap = script, gap
        return best


# Words every episode spends outside the stories (welcome, window, goodbye), a first guess.
_FIXED_WORDS = 90
# Words a message costs beyond its own text at the default level: the lead, the other host's
# reaction, media and link sentences; and a story's transition.
_MESSAGE_WORDS = 16
_STORY_WORDS = 8
_ATTEMPTS = 4
_CLOSE_ENOUGH = 0.05


def _story_words(story: RankedStory) -> int:
    return story.words() + _MESSAGE_WORDS * len(story.messages) + _STORY_WORDS


def _speakers(hosts: list[Host], language: str, format: str) -> list[Speaker]:
    defaults = DEFAULT_HOSTS[language]
    if format == "narrator":
        host = hosts[0] if hosts else defaults[0]
        return [Speaker(host.name, host.role, "narrator")]
    chosen = list(hosts[:2])
    for fallback in defaults:
        if len(chosen) == 2:
            break
        if all(h.name != fallback.name for h in chosen):
            chosen.append(fallback)
    if chosen[0].name == chosen[1].name:
        raise InvalidInput("a dialogue needs two hosts with different names")
    return [Speaker(chosen[0].name, chosen[0].role, "host_a"),
            Speaker(chosen[1].name, chosen[1].role, "host_b")]


def _parse_dt(value: object) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value).strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _items(messages: list[dict]) -> list[_Item]:
    items = []
    for raw in messages:
        when = _parse_dt(raw.get("date")) or datetime(1970, 1, 1, tzinfo=timezone.utc)
        items.append(_Item(
            id=int(raw["id"]),
            channel=str(raw.get("channel") or ""),
            date=when,
            text=str(raw.get("text") or ""),
            links=tuple(str(u) for u in raw.get("links") or ()),
            reply_to=raw.get("reply_to"),
            forwarded_from=raw.get("forwarded_from"),
            views=raw.get("views"),
            forwards=raw.get("forwards"),
            media=raw.get("media") or None,
        ))
    items.sort(key=lambda i: (i.date, i.channel, i.id))
    return items


def _keys(item: _Item) -> tuple[set[str], dict[str, str]]:
    """Topic keys of a message ("#tag" for hashtags, a word otherwise) and their spoken labels."""
    text = _URL_RE.sub(" ", item.text)
    keys: set[str] = set()
    labels: dict[str, str] = {}
    for tag in _HASHTAG_RE.findall(text):
        key = "#" + tag.lower()
        keys.add(key)
        labels.setdefault(key, hashtag_words(tag))
    for word in _WORD_RE.findall(_HASHTAG_RE.sub(" ", text)):
        key = word.lower()
        if key not in _STOPWORDS:
            keys.add(key)
            labels.setdefault(key, word)
    return keys, labels


def _group(stories: list[list[_Item]], language: str) -> list[_Group]:
    """Greedy topic grouping of whole stories: repeatedly take the key shared by most unassigned
    stories (hashtags before words, then alphabetical, for determinism); leftovers go by
    channel. A story's messages stay together, in order, in one group."""
    keyed = []
    for story in stories:
        keys: set[str] = set()
        labels: dict[str, str] = {}
        for item in story:
            item_keys, item_labels = _keys(item)
            keys |= item_keys
            for key, label in item_labels.items():
                labels.setdefault(key, label)
        keyed.append((story, keys, labels))
    # A word in most stories ("talking", a channel's catchphrase) says nothing about any one of
    # them; hashtags are chosen by their authors and always count.
    common = max(2, len(stories) // 2)
    document_frequency: Counter[str] = Counter()
    for _, keys, _ in keyed:
        document_frequency.update(keys)
    unassigned = list(range(len(stories)))
    groups: list[_Group] = []

    def items_of(indexes) -> tuple[_Item, ...]:
        return tuple(item for i in indexes for item in stories[i])

    while len(groups) < _MAX_TOPICS:
        tally: Counter[str] = Counter()
        for i in unassigned:
            tally.update(keyed[i][1])
        ranked = sorted(
            ((key, n) for key, n in tally.items()
             if key.startswith("#") or document_frequency[key] <= common),
            key=lambda kv: (-kv[1], not kv[0].startswith("#"), kv[0]),
        )
        if not ranked or ranked[0][1] < 2:
            break
        key = ranked[0][0]
        members = [i for i in unassigned if key in keyed[i][1]]
        label = next(keyed[i][2][key] for i in members if key in keyed[i][2])
        groups.append(_Group("topic", quote(speakable(label, language)), items_of(members), label))
        taken = set(members)
        unassigned = [i for i in unassigned if i not in taken]
    channels = sorted({stories[i][0].channel for i in unassigned})
    if len({story[0].channel for story in stories}) > 1:
        for channel in channels:
            members = [i for i in unassigned if stories[i][0].channel == channel]
            groups.append(_Group("channel", channel_name(channel, language), items_of(members), channel))
    elif unassigned:
        groups.append(_Group("misc", "", items_of(unassigned)))
    groups.sort(key=lambda g: (g.items[0].date, g.items[0].channel, g.items[0].id))
    return groups


def channel_name(channel: str, language: str) -> str:
    """A channel as it is spoken: "@tech_news" or "https://t.me/tech_news" -> "tech news"."""
    name = channel.strip().rstrip("/")
    name = re.sub(r"^(?:https?://)?(?:www\.)?(?:t|telegram)\.me/", "", name)
    name = name.lstrip("@").replace("_", " ")
    return speakable(name, language) or ("ערוץ" if language == "he" else "a channel")


def _last_day(window_end: datetime) -> date:
    """The window's end is exclusive: a window ending at midnight ends the day before."""
    return (window_end - timedelta(microseconds=1)).date()


class _Context:
    """Everything one ``write`` call renders from; ``render`` turns it into a script per level."""

    def __init__(self, bundle: dict, title: str, language: str, format: str,
                 speakers: list[Speaker], groups: list[_Group], items: list[_Item],
                 spoken: dict[str, str] | None = None):
        self.bundle = bundle
        # One write renders several selections; each message's text is made speakable once.
        self._spoken = {} if spoken is None else spoken
        self.title = speakable(title, language) or ("הפודקאסט" if language == "he" else "the podcast")
        self.language = language
        self.format = format
        self.speakers = speakers
        self.groups = groups
        self.items = items
        self.p = PHRASES[language]
        self.title = self.name(self.title)
        window = bundle.get("window") or {}
        start = _parse_dt(window.get("start"))
        end = _parse_dt(window.get("end"))
        self.first_day = start.date() if start else items[0].date.date()
        self.last_day = _last_day(end) if end else items[-1].date.date()
        if self.last_day < self.first_day:
            self.last_day = self.first_day
        self.reference_year = self.first_day.year
        self.multi_channel = len({i.channel for i in items}) > 1
        ranked = sorted((i for i in items if i.views), key=lambda i: (-(i.views or 0), i.id))
        self.most_viewed = ranked[0].id if ranked else None

    # -- small phrasing helpers -------------------------------------------------------------
    def f(self, key: str, **values: object) -> str:
        return fill(str(self.p[key]), self.language, **values)

    def pick(self, key: str, *seed: object) -> str:
        return fill(pick(self.p[key], key, *seed), self.language)  # type: ignore[arg-type]

    def posts(self, n: int) -> str:
        singular, plural = self.p["post"]  # type: ignore[misc]
        return count(n, self.language, singular, plural)

    def date(self, day: date) -> str:
        return spoken_date(day, self.language, with_year=day.year != self.reference_year)

    def window_words(self) -> str:
        with_year = self.first_day.year != self.last_day.year
        first = spoken_date(self.first_day, self.language, with_year=with_year)
        if self.first_day == self.last_day:
            return self.f("window_day", day=first)
        last = spoken_date(self.last_day, self.language, with_year=with_year)
        return self.f("window_range", start=first, end=last)

    def name(self, text: str) -> str:
        """A proper name (channel, source, title) as spoken, quoted when it is written in the other
        language's script, so the hosts' own words stay recognisably in the podcast's language."""
        hebrew = len(re.findall(r"[\u05D0-\u05EA]", text))
        latin = len(re.findall(r"[A-Za-z]", text))
        foreign = latin > hebrew if self.language == "he" else hebrew > latin
        return quote(text) if foreign else text

    def say(self, text: str) -> str:
        if text not in self._spoken:
            self._spoken[text] = speakable(text, self.language, reference_year=self.reference_year)
        return self._spoken[text]

    # -- one message ------------------------------------------------------------------------
    def body(self, item: _Item, level: _Detail) -> str:
        text = self.say(item.text)
        if text and level.body_words is not None:
            text = _trim(text, level.body_words, "." if level.terse else str(self.p["cut"]))
        # A closing full stop gives the speech engine its pause before the host goes on.
        if text and text[-1] not in ".!?…:;":
            text += "."
        return text

    def present(self, item: _Item, level: _Detail, *, first_in_group: bool, group: _Group) -> str:
        """The sentences presenting one message: lead, quoted text, context, media, links."""
        parts: list[str] = []
        body = self.body(item, level)
        channel = self.name(channel_name(item.channel, self.language))
        # Name the channel unless the group already did (a channel group) or there is only one.
        name_channel = self.multi_channel and group.kind != "channel"
        if name_channel and level.terse:
            lead = self.f("lead_terse_channel", channel=channel)
        elif name_channel:
            lead = fill(pick(self.p["lead_channel"], item.id, item.text), self.language, channel=channel)
        elif body and level.terse:
            # Even the shortest presentation keeps a word of the hosts' own language.
            lead = self.pick("lead_terse", item.id, item.text)
        elif body:
            lead = self.pick("lead" if first_in_group else "lead_more", item.id, item.text)
        elif item.media:
            lead = ""
        else:
            lead = str(self.p["empty"])
        if level.extras:
            on_date = self.f("on_date", date=self.date(item.date.date()))
            lead = on_date + _lower_first(lead) if lead else on_date.rstrip(", ") + ":"
        lead = _upper_first(lead.strip().rstrip(",").strip()) if lead.strip() else ""
        if body:
            parts.append(f"{lead} {quote(body)}" if lead else quote(body))
        elif lead:
            parts.append(lead)
        if item.forwarded_from:
            parts.append(self.f("forwarded", source=self.name(channel_name(str(item.forwarded_from), self.language))))
        if item.reply_to is not None:
            parts.append(str(self.p["reply"]))
        media = media_sentence(item.media, self.language, brief=level.brief_media)
        if media:
            # A lead ending in a colon introduces the media itself: "On daily: a photo was shared."
            glue = len(parts) == 1 and not body and parts[0].endswith(":")
            parts.append(_lower_first(media) if glue else media)
        sites = _unique(site_name(u) for u in item.links)
        if sites:
            if self.language == "he":
                phrase = "קישור ל-" + sites[0] if len(sites) == 1 else \
                    "קישורים ל-" + join_words(sites, "he").replace("ו-", "ול-")
                parts.append(self.f("links", sites=phrase))
            else:
                parts.append(self.f("links", sites=join_words(sites, "en")))
        elif item.links:
            parts.append(str(self.p["link"]))
        if level.extras and item.id == self.most_viewed and item.views:
            parts.append(self.f("views", views=self.say(str(rounded(int(item.views))))))
            if item.forwards:
                times = self.p["times_one"] if item.forwards == 1 else \
                    self.f("times", n=self.say(str(int(item.forwards))))
                parts.append(self.f("forwards", times=times))
        return " ".join(p for p in parts if p)

    def react(self, item: _Item) -> str:
        """A short reaction by the other host, chosen by what the message holds."""
        kind = (item.media or {}).get("type")
        if kind == "poll":
            feature = "poll"
        elif kind in ("photo", "video", "video_message", "animation"):
            feature = "visual"
        elif kind in ("voice", "audio"):
            feature = "audio"
        elif item.forwarded_from:
            feature = "forwarded"
        elif "?" in item.text:
            feature = "question"
        elif re.search(r"\d", item.text):
            feature = "number"
        elif item.links:
            feature = "link"
        elif len(item.text.split()) > 60:
            feature = "long"
        else:
            feature = "default"
        options = self.p["react"][feature]  # type: ignore[index]
        return pick(options, feature, item.id, item.text)

    # -- groups -----------------------------------------------------------------------------
    def transition(self, group: _Group, index: int, level: _Detail) -> str:
        if group.kind == "topic":
            text = self.f("first_topic", label=group.label) if index == 0 else \
                fill(pick(self.p["next_topic"], group.label, index), self.language, label=group.label)
            if level.terse:
                return text
            return f"{text} {self.f('topic_count', posts=self.posts(len(group.items)))}"
        if group.kind == "channel":
            label = self.name(group.label)
            if index == 0:
                return self.f("first_channel", channel=label)
            return fill(pick(self.p["next_channel"], group.label, index), self.language, channel=label)
        return str(self.p["first_misc"]) if index == 0 else self.pick("next_misc", index)

    def recap(self, group: _Group) -> tuple[str, str]:
        """A question and its answer closing a topic (only at the most detailed level)."""
        question = fill(pick(self.p["question"], group.label), self.language, label=group.label)
        first, last = group.items[0].date.date(), group.items[-1].date.date()
        if first == last:
            answer = self.f("recap_day", posts=self.posts(len(group.items)), label=group.label,
                            start=self.date(first))
        else:
            answer = self.f("recap", posts=self.posts(len(group.items)), label=group.label,
                            start=self.date(first), end=self.date(last))
        return question, answer

    # -- the script -------------------------------------------------------------------------
    def intro(self) -> tuple[str, str]:
        if self.multi_channel:
            singular, plural = self.p["channel"]  # type: ignore[misc]
            source = count(len({i.channel for i in self.items}), self.language, singular, plural)
        else:
            source = self.f("one_channel", channel=self.name(channel_name(self.items[0].channel, self.language)))
        narrator = self.format == "narrator"
        if narrator:
            first = self.f("welcome_narrator", title=self.title)
        else:
            first = self.f("welcome", title=self.title, a=self.speakers[0].name, b=self.speakers[1].name)
        episode = self.bundle.get("title")
        if episode and str(episode).strip() and str(episode).strip() != self.title:
            first += " " + self.f("episode", episode=quote(self.say(str(episode))))
        covers = self.f("covers_narrator" if narrator else "covers", window=self.window_words(),
                        posts=self.posts(len(self.items)), source=source)
        topics = [g.label for g in self.groups if g.kind == "topic"][:4]
        if topics:
            hello = fill(pick(self.p["hello"], *topics), self.language, a=self.speakers[0].name,
                         topics=join_words(topics, self.language))
        else:
            hello = pick(self.p["hello_plain"], self.title)
        return f"{first} {covers}", hello

    def render(self, level: _Detail) -> Script:
        beats: list[tuple[str, tuple[int, ...]]] = []
        opening, hello = self.intro()
        dialogue = self.format == "dialogue"
        beats.append((opening, ()))
        if dialogue:
            beats.append((hello, ()))
        previous: _Item | None = None
        stories: list[Story] = []
        for g_index, group in enumerate(self.groups):
            stories.append(self.story(group, turn=len(beats)))
            for i_index, item in enumerate(group.items):
                parts: list[str] = []
                ids: list[int] = []
                if dialogue and level.reactions and previous is not None:
                    parts.append(self.react(previous))
                    ids.append(previous.id)
                if i_index == 0:
                    parts.append(self.transition(group, g_index, level))
                parts.append(self.present(item, level, first_in_group=i_index == 0, group=group))
                ids.append(item.id)
                beats.append((" ".join(parts), tuple(ids)))
                previous = item
            if level.extras and len(group.items) > 1 and group.kind == "topic":
                question, answer = self.recap(group)
                ids = tuple(i.id for i in group.items)
                if dialogue:
                    reaction = self.react(previous) + " " if previous is not None else ""
                    beats.append((reaction + question, ids))
                    beats.append((answer, ids))
                else:
                    beats.append((answer, ids))
                previous = None
        outro = self.f("outro_narrator" if not dialogue else "outro",
                       window=self.window_words(), title=self.title)
        goodbye = pick(self.p["goodbye"], self.title, len(self.items))
        if dialogue:
            closing = (self.react(previous) + " " if previous is not None and level.reactions else "")
            beats.append((closing + outro, (previous.id,) if closing and previous else ()))
            beats.append((goodbye, ()))
        else:
            beats.append((outro, ()))
        turns = [
            Turn(self.speakers[n % len(self.speakers)].name, text, ids)
            for n, (text, ids) in enumerate(beats)
        ]
        return Script(language=self.language, format=self.format,
                      speakers=list(self.speakers), turns=turns, title=self.episode_title(),
                      summary=clip(opening, 1000), stories=_merged(stories))

    # -- title and show notes -----------------------------------------------------------------
    def story(self, group: _Group, *, turn: int) -> Story:
        """A group as a chapter and an entry of the notes: its label and first message, and
        the sources of its messages (their t.me links, the links they carried)."""
        first = _URL_RE.sub("", group.items[0].text).strip()
        lead = clip(first, 120) if first else ""
        heading = group.written.strip()
        title = f"{heading}: {lead}" if heading and lead else heading or lead or self.posts(len(group.items))
        links: list[str] = []
        for item in group.items:
            links += message_links({"id": item.id, "channel": item.channel, "links": item.links})
        return Story(title=clip(title, 200), turn=turn, message_ids=tuple(i.id for i in group.items),
                     links=tuple(dict.fromkeys(links))[:MAX_LINKS_PER_STORY])

    def episode_title(self) -> str:
        labels = [g.written for g in self.groups if g.kind == "topic" and g.written][:3]
        day = self.first_day.isoformat() if self.first_day == self.last_day else \
            f"{self.first_day.isoformat()} – {self.last_day.isoformat()}"
        if labels:
            return clip(f"{', '.join(labels)} ({day})", 200)
        return clip(f"{self.bundle.get('title') or self.title} ({day})", 200)


def _merged(stories: list[Story]) -> list[Story]:
    """At most MAX_STORIES chapters: the last ones fold into one, keeping their sources."""
    if len(stories) <= MAX_STORIES:
        return stories
    head, tail = stories[: MAX_STORIES - 1], stories[MAX_STORIES - 1:]
    links = tuple(dict.fromkeys(link for s in tail for link in s.links))[:MAX_LINKS_PER_STORY]
    ids = tuple(i for s in tail for i in s.message_ids)
    return head + [Story(tail[0].title, tail[0].turn, ids, links)]


def _trim(text: str, max_words: int, cut: str) -> str:
    """At most ``max_words`` words, ending on a sentence boundary when one is close enough."""
    words = text.split()
    if len(words) <= max_words:
        return text
    kept: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        if len(kept) + len(sentence.split()) > max_words:
            break
        kept.extend(sentence.split())
    if len(kept) >= max_words // 2 and kept:
        return " ".join(kept)
    head = " ".join(words[:max_words]).rstrip(".,;:!?-")
    return head + cut


def _unique(values) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:1].isascii() else text
