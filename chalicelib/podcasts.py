"""A podcast's settings: what an admin may set, checked in one place.

The admin API, the stores (before every write) and the CLI all validate a podcast here, and
``supabase/migrations`` / the SQLite store check the same rules in the database, so no client
can write a podcast the workflow cannot run. Every error is ``InvalidInput`` naming the field.
"""
from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import replace

from chalicelib.domain import FORMATS, LANGUAGES, MAX_WINDOW_DAYS, SPEECH_PROVIDERS, validate_podcast_id
from chalicelib.errors import InvalidInput
from chalicelib.schedule import parse_schedule
from chalicelib.sources.channels import parse_channel_ref
from chalicelib.stores.episodes import Podcast

# What PATCH may change and POST may set (``id`` only on POST).
WRITABLE = (
    "title", "description", "author", "language", "format", "hosts", "sources", "schedule",
    "paused", "speech_provider", "script_style", "target_minutes", "days_back", "explicit",
    "category", "image",
)
CREATABLE = ("id",) + WRITABLE

MAX_TITLE = 200
MAX_DESCRIPTION = 4000
MAX_AUTHOR = 200
MAX_STYLE = 1000
MAX_HOSTS = 2
MAX_HOST_NAME = 60
MAX_SOURCES = 20
MAX_IMAGE_URL = 2048
DEFAULT_TARGET_MINUTES = 20
TARGET_MINUTES_RANGE = (1, 180)
# Apple Podcasts' top-level categories (its feed's itunes:category must be one of its list).
CATEGORIES = (
    "Arts", "Business", "Comedy", "Education", "Fiction", "Government", "Health & Fitness",
    "History", "Kids & Family", "Leisure", "Music", "News", "Religion & Spirituality",
    "Science", "Society & Culture", "Sports", "Technology", "True Crime", "TV & Film",
)
# A provider's voice name: Polly's "Joanna", Gemini's "Kore", espeak-ng's "en-us+f3".
_VOICE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,63}$")
# Control characters (C0, DEL, C1) have no place in a name or title shown in apps and feeds.
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f]")
# Cover art: an https URL, or the key an upload stored it under.
_IMAGE_KEY_RE = re.compile(r"^podcasts/[A-Za-z0-9][A-Za-z0-9_-]{0,63}/cover\.(jpg|png)$")


def podcast_from_request(data: object, *, allow_exports: bool) -> Podcast:
    """A new podcast from ``POST /podcasts``. The id is given, or derived from the title."""
    data = _object(data)
    _known(data, CREATABLE)
    if "title" not in data:
        raise InvalidInput("title is required")
    if "sources" not in data:
        raise InvalidInput("sources is required: at least one Telegram channel")
    podcast_id = data.get("id")
    if podcast_id is None:
        podcast_id = id_from_title(_text(data["title"], "title", MAX_TITLE, required=True))
    podcast = Podcast(id=validate_podcast_id(podcast_id, "id"), title="")
    return apply_changes(podcast, {k: v for k, v in data.items() if k != "id"}, allow_exports=allow_exports)


def apply_changes(podcast: Podcast, data: object, *, allow_exports: bool) -> Podcast:
    """``podcast`` with the fields of a ``PATCH`` body applied and the result validated."""
    data = _object(data)
    _known(data, WRITABLE)
    values = {}
    for name, value in data.items():
        if name == "sources":
            values[name] = _sources(value, allow_exports=allow_exports, current=podcast.sources, check_files=True)
        elif name == "schedule":
            schedule = parse_schedule(value)
            values[name] = schedule.to_json() if schedule is not None else None
        else:
            values[name] = value
    return validate_podcast(replace(podcast, **values), allow_exports=allow_exports)


def validate_podcast(podcast: Podcast, *, allow_exports: bool = True) -> Podcast:
    """Every rule a podcast must meet to be run; the stores call it before each write.
    Returns the podcast in canonical form (channels by their label: ``t.me/x`` → ``@x``)."""
    validate_podcast_id(podcast.id, "id")
    _text(podcast.title, "title", MAX_TITLE, required=True)
    _text(podcast.description, "description", MAX_DESCRIPTION, multiline=True)
    _text(podcast.author, "author", MAX_AUTHOR)
    _choice(podcast.language, "language", LANGUAGES)
    _choice(podcast.format, "format", FORMATS)
    _hosts(podcast.hosts)
    sources = _sources(podcast.sources, allow_exports=allow_exports, current=[], check_files=False)
    schedule = parse_schedule(podcast.schedule)
    _boolean(podcast.paused, "paused")
    _boolean(podcast.explicit, "explicit")
    if podcast.speech_provider is not None:
        _choice(podcast.speech_provider, "speech_provider", SPEECH_PROVIDERS)
    if podcast.script_style is not None:
        _text(podcast.script_style, "script_style", MAX_STYLE, multiline=True)
    _whole(podcast.target_minutes, "target_minutes", *TARGET_MINUTES_RANGE)
    _whole(podcast.days_back, "days_back", 1, MAX_WINDOW_DAYS)
    _choice(podcast.category, "category", CATEGORIES)
    _image(podcast.image)
    return replace(podcast, sources=sources, schedule=schedule.to_json() if schedule else None)


def id_from_title(title: str) -> str:
    """``"Byte Brief!"`` → ``"byte-brief"``; a title with no Latin letters or digits (Hebrew)
    gets ``podcast-<digest>``, stable for the same title."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:48].strip("-")
    if slug:
        return slug
    return "podcast-" + hashlib.sha256(title.encode("utf-8")).hexdigest()[:10]


def public_sources(sources: list) -> list:
    """Sources as a response shows them: an export by its file name, never its server path."""
    shown = []
    for source in sources:
        if isinstance(source, dict):
            shown.append({"export": os.path.basename(str(source.get("export", ""))),
                          "chat": source.get("chat")})
        else:
            shown.append(source)
    return shown


def target_seconds(podcast: Podcast) -> float:
    return 60.0 * (podcast.target_minutes or DEFAULT_TARGET_MINUTES)


# -- field checks -------------------------------------------------------------------------------
def _object(data: object) -> dict:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidInput("the request body must be a JSON object")
    return data


def _known(data: dict, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise InvalidInput(f"unknown field {unknown[0]!r} (allowed: {', '.join(allowed)})")


def _text(value: object, field: str, limit: int, *, required: bool = False, multiline: bool = False) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a string")
    if required and not value.strip():
        raise InvalidInput(f"{field} must not be empty")
    if len(value) > limit:
        raise InvalidInput(f"{field} must be at most {limit} characters")
    checked = value.replace("\n", "").replace("\t", "") if multiline else value
    if _CONTROL_RE.search(checked):
        raise InvalidInput(f"{field} must not contain control characters")
    return value


def _choice(value: object, field: str, choices: tuple[str, ...]) -> None:
    if not isinstance(value, str) or value not in choices:
        raise InvalidInput(f"{field} must be one of {', '.join(choices)}")


def _boolean(value: object, field: str) -> None:
    if not isinstance(value, bool):
        raise InvalidInput(f"{field} must be true or false")


def _whole(value: object, field: str, low: int, high: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{field} must be a whole number from {low} to {high}, or null")


def _hosts(value: object) -> None:
    if not isinstance(value, list) or len(value) > MAX_HOSTS:
        raise InvalidInput(f"hosts must be a list of at most {MAX_HOSTS} hosts")
    names = set()
    for number, host in enumerate(value):
        field = f"hosts[{number}]"
        if not isinstance(host, dict):
            raise InvalidInput(f"{field} must be an object with a name")
        unknown = sorted(set(host) - {"name", "role", "voices"})
        if unknown:
            raise InvalidInput(f"{field}.{unknown[0]} is not a host field (allowed: name, role, voices)")
        name = _text(host.get("name"), f"{field}.name", MAX_HOST_NAME, required=True)
        if name.strip().lower() in names:
            raise InvalidInput(f"{field}.name must differ from the other host's")
        names.add(name.strip().lower())
        if host.get("role") is not None:
            _text(host["role"], f"{field}.role", MAX_HOST_NAME, required=True)
        voices = host.get("voices", {})
        if not isinstance(voices, dict):
            raise InvalidInput(f"{field}.voices must be an object of provider: voice name")
        for provider, voice in voices.items():
            if provider not in SPEECH_PROVIDERS:
                raise InvalidInput(f"{field}.voices.{provider} is not a speech provider "
                                   f"(one of {', '.join(SPEECH_PROVIDERS)})")
            if not isinstance(voice, str) or not _VOICE_RE.match(voice):
                raise InvalidInput(f"{field}.voices.{provider} must be a voice name such as Joanna or Kore")


def _sources(value: object, *, allow_exports: bool, current: list, check_files: bool) -> list:
    """Channels exactly as ``make generate CHANNEL=`` takes them, stored by their canonical
    label; an export ``{"export": <path>, "chat": ...}`` only where exports are allowed."""
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_SOURCES:
        raise InvalidInput(f"sources must be a list of 1-{MAX_SOURCES} Telegram channels")
    checked, seen = [], set()
    for number, source in enumerate(value):
        field = f"sources[{number}]"
        if isinstance(source, dict):
            checked.append(_export(source, field, allow_exports=allow_exports, current=current,
                                   check_files=check_files))
            continue
        if not isinstance(source, str):
            raise InvalidInput(f"{field} must be a Telegram @username, t.me link or numeric id")
        try:
            ref = parse_channel_ref(source)
        except InvalidInput as exc:
            raise InvalidInput(f"{field}: {exc}") from None
        if ref.key in seen:
            raise InvalidInput(f"{field}: channel {ref.label} is listed twice")
        seen.add(ref.key)
        checked.append(ref.label)
    if any(isinstance(s, dict) for s in checked) and len(checked) > 1:
        raise InvalidInput("sources: an export must be the podcast's only source")
    return checked


def _export(source: dict, field: str, *, allow_exports: bool, current: list, check_files: bool) -> dict:
    if not allow_exports:
        raise InvalidInput(f"{field}: a Telegram Desktop export is a source only on the local stage; "
                           "give Telegram channels")
    unknown = sorted(set(source) - {"export", "chat"})
    if unknown:
        raise InvalidInput(f"{field}.{unknown[0]} is not an export field (allowed: export, chat)")
    path, chat = source.get("export"), source.get("chat")
    if chat is not None and (isinstance(chat, bool) or not isinstance(chat, (str, int))):
        raise InvalidInput(f"{field}.chat must be a chat name or id, or null")
    if not isinstance(path, str) or not path or "\x00" in path:
        raise InvalidInput(f"{field}.export must be the path of a Telegram Desktop export's result.json")
    # A response shows an export by file name only; the same name sent back keeps its path.
    for known in current:
        if isinstance(known, dict) and path == os.path.basename(str(known.get("export", ""))):
            return {"export": known["export"], "chat": chat}
    if check_files:  # an admin's request; a stored podcast's file may come and go
        if not os.path.isabs(path):
            raise InvalidInput(f"{field}.export must be an absolute path on this machine")
        if not os.path.isfile(path):
            raise InvalidInput(f"{field}.export: no such file")
    return {"export": path, "chat": chat}


def _image(value: object) -> None:
    if value is None:
        return
    if isinstance(value, str) and _IMAGE_KEY_RE.match(value):
        return
    if (not isinstance(value, str) or not value.startswith("https://") or len(value) > MAX_IMAGE_URL
            or _CONTROL_RE.search(value) or " " in value):
        raise InvalidInput(f"image must be an https:// URL of at most {MAX_IMAGE_URL} characters, or null")
