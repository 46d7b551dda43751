"""The live content source: a podcast's Telegram channels read with Telethon.

Telethon is asyncio-native. ``collect`` runs one explicit event loop (``asyncio.run``) per call
and drives the client's async API inside it, rather than importing ``telethon.sync``: that module
rewrites every public method of ``TelegramClient`` process-wide on import and then runs whatever
loop ``asyncio.get_event_loop()`` happens to return. One loop per call, created and closed here,
keeps the Lambda handler synchronous and leaves no loop or client behind between invocations.

What is read: every post of each channel whose date is in ``window`` (start inclusive, end
exclusive), oldest first, at most ``max_per_channel`` per channel and ``max_per_episode`` in all.
Nothing is dropped silently: ``Collection.skipped`` records

- ``{"id", "channel", "reason": "service"}`` for service messages (joins, pins, title changes);
- ``{"id", "channel", "reason": "over_episode_cap"}`` for each post cut by the episode cap;
- ``{"id", "channel", "reason": "over_channel_cap", "and_later": True}`` once per channel whose
  cap was reached: ``id`` is the first post left out, and every later post of that channel in the
  window was left out too (reading them only to list them would cost requests and flood waits).

Photos: ``fetch_photos`` downloads, on a second connection, the photos of posts the last
``collect`` kept (only those the caller still wants after filtering), each into memory with
``download_media(message, file=bytes)``, and hands the bytes on; it never knows where they go.
Its flood waits count against the same collection budget. A photo Telegram refuses for good
(an expired file reference, a deleted post) is skipped, not fatal: the episode does not need it.

Failures become project errors here, once: a revoked session → ``TelegramSessionInvalid``; a
channel that is private, unknown or not a channel → ``SourceFailed`` naming it; network trouble,
Telegram 5xx, flood waits longer than ``flood_wait_max_seconds``, more than
``FLOOD_SLEEPS_PER_CHANNEL`` of them for one channel, or one that would take the collection's
flood sleeping past ``flood_wait_budget_seconds`` in all → ``SourceUnavailable`` for Step
Functions to retry with its own backoff. Neither the session string nor the API hash ever
reaches an error message or a log line.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable, NoReturn, Sequence

from telethon import TelegramClient, errors
from telethon.sessions import StringSession
from telethon.tl import types

from chalicelib.domain import Window
from chalicelib.errors import (
    ConfigurationError,
    InvalidInput,
    PodcastoError,
    SourceFailed,
    SourceUnavailable,
    TelegramSessionInvalid,
)
from chalicelib.sources.base import Collection, Message, PhotoSink
from chalicelib.sources.channels import ChannelRef, parse_channel_ref
from chalicelib.sources.telethon_normalise import normalise

log = logging.getLogger(__name__)
_ONE_SECOND = timedelta(seconds=1)
_TELETHON_FAST_READ = 3000  # messages Telethon reads without pausing between pages

FLOOD_SLEEPS_PER_CHANNEL = 3
_NEW_SESSION_ADVICE = "create a new session with `make telegram-session` and store it as the secret"


def make_client(api_id: int | str, api_hash: str, session: str) -> TelegramClient:
    """A production client for a saved ``StringSession`` (no session file: Lambda's disk is not ours).

    ``flood_sleep_threshold=0`` makes Telethon raise every ``FloodWaitError`` instead of sleeping
    up to a minute by itself, so ``TelethonSource`` alone decides how long a Lambda may wait.
    Updates are not received: the source only reads history.
    """
    try:
        numeric_id = int(api_id)
    except (TypeError, ValueError):
        raise ConfigurationError("TELEGRAM_API_ID must be a whole number") from None
    if not api_hash:
        raise ConfigurationError("TELEGRAM_API_HASH is empty")
    if not session:
        raise TelegramSessionInvalid(f"TELEGRAM_SESSION is empty: {_NEW_SESSION_ADVICE}")
    try:
        saved = StringSession(session)
    except Exception:  # a truncated or mangled string fails in base64/struct decoding
        # ``from None``: the decoding error could quote the secret.
        raise TelegramSessionInvalid(
            f"TELEGRAM_SESSION is not a Telethon session string: {_NEW_SESSION_ADVICE}"
        ) from None
    return TelegramClient(
        saved, numeric_id, api_hash, flood_sleep_threshold=0, receive_updates=False
    )


class TelethonSource:
    """``ContentSource`` over live Telegram channels; see the module docstring for the contract."""

    def __init__(
        self,
        client_factory: Callable[[], TelegramClient],
        channels: list[str],
        *,
        max_per_channel: int = 1000,
        max_per_episode: int = 3000,
        flood_wait_max_seconds: float = 30,
        flood_wait_budget_seconds: float = 60,
        sleep: Callable[[float], None] = time.sleep,
    ):
        # Validated here, before any connection, so a typo fails fast as InvalidInput.
        refs: list[ChannelRef] = []
        for value in channels or ():
            ref = parse_channel_ref(value)
            if ref.key not in {known.key for known in refs}:
                refs.append(ref)
        if not refs:
            raise InvalidInput("channels must name at least one Telegram channel")
        for name, cap in (("max_per_channel", max_per_channel), ("max_per_episode", max_per_episode)):
            if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
                raise InvalidInput(f"{name} must be a whole number of at least 1")
        for name, bound in (("flood_wait_max_seconds", flood_wait_max_seconds),
                            ("flood_wait_budget_seconds", flood_wait_budget_seconds)):
            if isinstance(bound, bool) or not isinstance(bound, (int, float)) or bound < 0:
                raise InvalidInput(f"{name} must be a number of seconds, at least 0")
        self._client_factory = client_factory
        self._refs = refs
        self._max_per_channel = max_per_channel
        self._max_per_episode = max_per_episode
        self._flood_wait_max = flood_wait_max_seconds
        self._flood_wait_budget = flood_wait_budget_seconds
        self._sleep = sleep
        self._slept = _FloodTotal(flood_wait_budget_seconds)
        # (channel label, message id) → the raw post, for each kept photo of the last collect.
        self._photos: dict[tuple[str, int], types.Message] = {}

    @property
    def channels(self) -> list[str]:
        return [ref.label for ref in self._refs]

    def collect(self, window: Window) -> Collection:
        return asyncio.run(self._collect(window))

    def fetch_photos(self, wanted: Sequence[tuple[str, int]], deliver: PhotoSink) -> None:
        chosen = [(ref, self._photos[ref]) for ref in wanted if ref in self._photos]
        if chosen:
            asyncio.run(self._fetch_photos(chosen, deliver))

    async def _collect(self, window: Window) -> Collection:
        # One budget for the whole collection: per-channel limits alone would let ten
        # channels sleep ten times as long, past the Lambda's timeout.
        self._slept = _FloodTotal(self._flood_wait_budget)
        client = self._client_factory()
        try:
            await _open(client)
            reads = [
                await self._read_channel(client, ref, window, self._slept) for ref in self._refs
            ]
        finally:
            await _disconnect(client)
        self._photos = {key: raw for read in reads for key, raw in read.photos.items()}
        return self._merge(reads)

    async def _fetch_photos(self, chosen, deliver: PhotoSink) -> None:
        client = self._client_factory()
        floods: dict[str, _FloodBudget] = {}
        try:
            await _open(client)
            for (channel, message_id), raw in chosen:
                if channel not in floods:
                    floods[channel] = _FloodBudget(
                        channel, self._flood_wait_max, self._slept, self._sleep
                    )
                data = await _download_photo(client, raw, channel, floods[channel])
                if data:
                    # In a worker thread, as the flood sleeps are: the upload blocks.
                    await asyncio.to_thread(deliver, channel, message_id, data)
        finally:
            await _disconnect(client)

    async def _read_channel(
        self, client, ref: ChannelRef, window: Window, slept: "_FloodTotal"
    ) -> "_ChannelRead":
        read = _ChannelRead(ref=ref, order=self._refs.index(ref))
        floods = _FloodBudget(ref.label, self._flood_wait_max, slept, self._sleep)
        try:
            entity = await _resolve(client, ref, floods)
            await self._read_history(client, entity, ref, window, read, floods)
        except Exception as exc:
            _reraise(exc, ref.label)
        log.info(
            "read %s: %d posts, %d skipped", ref.label, len(read.messages), len(read.skipped)
        )
        return read

    async def _read_history(self, client, entity, ref, window, read, floods) -> None:
        # A channel never contributes more than the episode cap, so that bounds its read too.
        limit = min(self._max_per_channel, self._max_per_episode)
        cap_reason = (
            "over_channel_cap" if self._max_per_channel <= self._max_per_episode else "over_episode_cap"
        )
        # With ``limit=None`` Telethon would pause 1 s between pages, its precaution for reads
        # over 3000 messages; apply that same rule to what we will actually keep instead.
        wait_time = 0 if limit <= _TELETHON_FAST_READ else 1
        last_id = 0
        while True:
            if last_id:
                # Resuming after a flood wait: everything newer than the last post seen.
                history = client.iter_messages(
                    entity, None, min_id=last_id, reverse=True, wait_time=wait_time
                )
            else:
                # Telethon treats offset_date as exclusive even in reverse; Telegram dates are
                # whole seconds, so one second earlier makes ``window.start`` inclusive, and the
                # local check below trims anything before it.
                start = window.start.replace(microsecond=0) - _ONE_SECOND if window.start else None
                history = client.iter_messages(
                    entity, None, offset_date=start, reverse=True, wait_time=wait_time
                )
            try:
                async for raw in history:
                    if raw.id <= last_id:
                        continue
                    last_id = raw.id
                    if window.start is not None and raw.date < window.start:
                        continue
                    if window.end is not None and raw.date >= window.end:
                        return  # channel posts are in date order: nothing later is in the window
                    message = normalise(raw, ref.label)
                    if message is None:
                        reason = "service" if isinstance(raw, types.MessageService) else "empty"
                        read.skipped.append({"id": raw.id, "channel": ref.label, "reason": reason})
                        continue
                    if len(read.messages) >= limit:
                        read.skipped.append(
                            {"id": raw.id, "channel": ref.label, "reason": cap_reason, "and_later": True}
                        )
                        return
                    read.messages.append(message)
                    if isinstance(raw.media, types.MessageMediaPhoto):
                        read.photos[(ref.label, raw.id)] = raw
                return
            except errors.FloodError as exc:
                await floods.wait(exc)

    def _merge(self, reads: list["_ChannelRead"]) -> Collection:
        merged = sorted(
            ((message, read.order) for read in reads for message in read.messages),
            key=lambda pair: (pair[0].date, pair[1], pair[0].id),
        )
        kept = [message for message, _ in merged[: self._max_per_episode]]
        skipped = [entry for read in reads for entry in read.skipped]
        skipped += [
            {"id": message.id, "channel": message.channel, "reason": "over_episode_cap"}
            for message, _ in merged[self._max_per_episode:]
        ]
        return Collection(channels=self.channels, messages=kept, skipped=skipped)


@dataclass
class _ChannelRead:
    ref: ChannelRef
    order: int
    messages: list[Message] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    photos: dict[tuple[str, int], types.Message] = field(default_factory=dict)


@dataclass
class _FloodTotal:
    """Flood-wait seconds slept so far in one collection, against the collection's budget."""

    budget: float
    seconds: float = 0


class _FloodBudget:
    """Telegram's "wait N seconds": honoured a few times per channel when N is short and the
    collection's total stays within its budget."""

    def __init__(self, channel: str, max_seconds: float, total: _FloodTotal,
                 sleep: Callable[[float], None]):
        self._channel = channel
        self._max_seconds = max_seconds
        self._total = total
        self._sleep = sleep
        self.used = 0

    async def wait(self, exc: errors.FloodError) -> None:
        seconds = getattr(exc, "seconds", None)
        if seconds is None or seconds > self._max_seconds:
            asked = f"{seconds} s" if seconds is not None else "an unstated time"
            raise SourceUnavailable(
                f"Telegram asked us to wait {asked} before reading {self._channel} "
                f"(more than the {self._max_seconds:g} s a collection may wait); retry later"
            ) from exc
        if self.used >= FLOOD_SLEEPS_PER_CHANNEL:
            raise SourceUnavailable(
                f"Telegram asked us to wait {seconds} s before reading {self._channel} for the "
                f"{self.used + 1}th time in one collection; retry later"
            ) from exc
        if self._total.seconds + seconds > self._total.budget:
            raise SourceUnavailable(
                f"Telegram asked us to wait {seconds} s before reading {self._channel}, after "
                f"{self._total.seconds:g} s of flood waits in this collection: more than the "
                f"{self._total.budget:g} s it may wait in all; retry later"
            ) from exc
        self.used += 1
        self._total.seconds += seconds
        log.warning("flood wait of %s s while reading %s", seconds, self._channel)
        # In a worker thread, so the client's connection tasks keep running while we wait.
        await asyncio.to_thread(self._sleep, seconds)


async def _open(client) -> None:
    """Connect and insist on a logged-in session."""
    try:
        await client.connect()
        authorized = await client.is_user_authorized()
    except Exception as exc:
        _reraise(exc, None)
    if not authorized:
        raise TelegramSessionInvalid(f"the Telegram session is not logged in: {_NEW_SESSION_ADVICE}")


async def _download_photo(client, raw: types.Message, channel: str, floods: _FloodBudget) -> bytes | None:
    """The photo's bytes (its largest size), or ``None`` when Telegram will not give them."""
    while True:
        try:
            return await client.download_media(raw, file=bytes)
        except errors.FloodError as exc:
            await floods.wait(exc)
        except Exception as exc:
            mapped = None if isinstance(exc, PodcastoError) else _translate(exc, channel)
            if isinstance(mapped, SourceFailed):
                # One photo refused for good is not worth failing the episode over.
                log.warning("photo %s of %s not downloaded: %s", raw.id, channel, mapped)
                return None
            _reraise(exc, channel)


async def _resolve(client, ref: ChannelRef, floods: _FloodBudget):
    if ref.username is not None:
        lookup = ref.username
    else:
        lookup = types.PeerChannel(ref.channel_id)
    refreshed = False
    while True:
        try:
            entity = await client.get_entity(lookup)
            break
        except errors.FloodError as exc:
            await floods.wait(exc)
        except ValueError:
            # A StringSession starts with an empty entity cache, and a channel known only by id
            # can be resolved only from the account's dialogs: load them once, then ask again.
            if ref.channel_id is None or refreshed:
                raise
            refreshed = True
            await client.get_dialogs()
    if isinstance(entity, types.User):
        raise SourceFailed(f"channel {ref.label} is a user account, not a channel or group")
    return entity


async def _disconnect(client) -> None:
    try:
        await client.disconnect()
    except Exception:  # never let a failed goodbye hide the collection's own outcome
        log.warning("disconnecting from Telegram failed", exc_info=True)


_SESSION_ERRORS = (errors.UnauthorizedError, errors.AuthKeyError)
_CHANNEL_ERRORS = (
    errors.ChannelPrivateError,
    errors.ChannelInvalidError,
    errors.UsernameNotOccupiedError,
    errors.UsernameInvalidError,
    errors.ChannelBannedError,
    errors.ChatForbiddenError,
    errors.ChannelPublicGroupNaError,
)


def _reraise(exc: Exception, channel: str | None) -> NoReturn:
    """Raise ``exc`` in the project's words; our own errors and our own bugs pass unchanged."""
    mapped = None if isinstance(exc, PodcastoError) else _translate(exc, channel)
    if mapped is None:
        raise exc
    raise mapped from exc


def _translate(exc: Exception, channel: str | None) -> PodcastoError | None:
    """Telethon's and the network's errors in the project's words; ``None`` for anything else."""
    where = f" while reading {channel}" if channel else ""
    if isinstance(exc, errors.ApiIdInvalidError):
        return ConfigurationError("TELEGRAM_API_ID and TELEGRAM_API_HASH are not a valid pair")
    if isinstance(exc, _SESSION_ERRORS):
        return TelegramSessionInvalid(
            f"Telegram rejected the session ({type(exc).__name__}){where}: {_NEW_SESSION_ADVICE}"
        )
    if channel and isinstance(exc, _CHANNEL_ERRORS):
        return SourceFailed(
            f"channel {channel} cannot be read: {_CHANNEL_REASONS.get(type(exc), exc.message)}"
        )
    if channel and isinstance(exc, ValueError):
        return SourceFailed(
            f"channel {channel} cannot be read: Telegram knows no such channel, or this account "
            "is not a member of it"
        )
    if isinstance(exc, (errors.ServerError, errors.TimedOutError, OSError, asyncio.TimeoutError)):
        return SourceUnavailable(f"Telegram is unreachable or failing{where} ({type(exc).__name__})")
    if isinstance(exc, errors.FloodError):
        return SourceUnavailable(f"Telegram asked us to slow down{where}: {exc.message}; retry later")
    if isinstance(exc, errors.RPCError):
        return SourceFailed(f"Telegram refused{where}: {exc.message} ({exc.code})")
    return None


_CHANNEL_REASONS = {
    errors.ChannelPrivateError: "it is private or this account was removed from it",
    errors.ChannelInvalidError: "Telegram says the channel is invalid",
    errors.UsernameNotOccupiedError: "no channel has this username",
    errors.UsernameInvalidError: "no channel has this username",
    errors.ChannelBannedError: "this account is banned from it",
    errors.ChatForbiddenError: "this account may not read it",
    errors.ChannelPublicGroupNaError: "the channel is not available",
}
